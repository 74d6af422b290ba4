/**
 * Workspace discovery: one `.vscode/cf-rotate.json` per (file-system) workspace folder, read
 * once synchronously (see `ready`), then re-read asynchronously when a watcher or a folder change says so.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CONFIG_RELATIVE_PATH, ConfigError, ConfigTexts, MAX_CONFIG_BYTES } from '../core/config/load';
import { CheckedFiles } from '../core/node/checked';
import { targetFileIssueSteps } from '../core/node/targetFiles';
import { runAsync, runSync, type Steps } from '../core/node/io';
import type { TokenConfig } from '../core/config/schema';
import { CfRotateError, toCfRotateError } from '../core/errors';
import type { Logger } from '../core/ports';
import type { FolderConfigState, FolderInfo } from '../views/model';
import { CONFIG_GLOB } from '../constants';
import { samePath } from './paths';

export interface ResolvedToken {
  folder: FolderInfo;
  token: TokenConfig;
}

/** What the log last said about a folder's configuration: it logs changes of state, not every read. */
type LoggedState = 'missing' | 'ok' | 'invalid' | 'unreadable';

export class ConfigRegistry implements vscode.Disposable {
  private readonly states = new Map<string, FolderConfigState>();
  /** The tokens of each folder's last valid configuration (this session): shown under a parse error. */
  private readonly lastValid = new Map<string, TokenConfig[]>();
  private readonly logged = new Map<string, LoggedState>();
  private readonly emitter = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private initial: Promise<void> | undefined;
  /** Fires after any folder's configuration was (re)read. */
  readonly onDidChange = this.emitter.event;

  private readonly files = new CheckedFiles();
  /** Each folder's last text and its configuration: a text read again unchanged is not parsed again. */
  private readonly texts = new ConfigTexts();

  /** The parsed texts of the folders' cf-rotate.json (the engine reuses them: an unchanged file is not parsed again). */
  get parsed(): ConfigTexts {
    return this.texts;
  }

  constructor(private readonly logger: Logger) {
    const watcher = vscode.workspace.createFileSystemWatcher(CONFIG_GLOB);
    const onFile = (uri: vscode.Uri): void => {
      const folder = this.folders().find((f) => samePath(configPathOf(f.path), uri.fsPath));
      if (folder) this.schedule(folder.path);
    };
    this.disposables.push(
      watcher,
      watcher.onDidCreate(onFile),
      watcher.onDidChange(onFile),
      watcher.onDidDelete(onFile),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.reloadAll()),
      this.emitter,
    );
  }

  /** Workspace folders on the local file system (virtual folders are not supported). */
  folders(): FolderInfo[] {
    return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => ({ path: f.uri.fsPath, name: f.name }));
  }

  /**
   * Resolves once every folder was read at least once. Starts the first read, which is synchronous
   * (in a microtask, the same checked reads): while the editor starts, every turn of the event loop
   * waits behind the other extensions starting in this process, and the asynchronous reads took
   * about ten such turns before the Tokens view could show anything. Later reads are asynchronous.
   */
  ready(): Promise<void> {
    this.initial ??= Promise.resolve().then(() => {
      for (const f of this.forgetGone()) runSync(this.readSteps(f));
      this.emitter.fire();
    });
    return this.initial;
  }

  async reloadAll(): Promise<void> {
    await Promise.all(this.forgetGone().map((f) => this.read(f)));
    this.emitter.fire();
  }

  /** The workspace's folders, after forgetting those that left it. */
  private forgetGone(): FolderInfo[] {
    const folders = this.folders();
    for (const key of [...this.states.keys()]) {
      if (folders.some((f) => f.path === key)) continue;
      this.states.delete(key);
      this.lastValid.delete(key);
      this.logged.delete(key);
      this.texts.forget(key);
    }
    return folders;
  }

  async reload(folderPath: string): Promise<void> {
    const f = this.folders().find((x) => samePath(x.path, folderPath));
    if (!f) return;
    await this.read(f);
    this.emitter.fire();
  }

  private schedule(folderPath: string): void {
    clearTimeout(this.timers.get(folderPath));
    this.timers.set(
      folderPath,
      setTimeout(() => {
        this.timers.delete(folderPath);
        void this.reload(folderPath);
      }, 150),
    );
  }

  private setMissing(folder: FolderInfo, configPath: string): void {
    this.lastValid.delete(folder.path);
    this.texts.forget(folder.path);
    this.note(folder, 'missing');
    this.states.set(folder.path, { folder, status: 'missing', configPath });
  }

  private read(folder: FolderInfo): Promise<void> {
    return runAsync(this.readSteps(folder));
  }

  private *readSteps(folder: FolderInfo): Steps<void> {
    const configPath = configPathOf(folder.path);
    let text: string;
    try {
      // The checked reader, as the CLI's: a regular file inside the folder (no link out of it, no
      // FIFO or device), at most MAX_CONFIG_BYTES; a cloned repository cannot point it elsewhere.
      const read = yield* this.files.readSteps(folder.path, CONFIG_RELATIVE_PATH, { denyGitDir: true, maxBytes: MAX_CONFIG_BYTES });
      if (read === undefined) {
        this.setMissing(folder, configPath);
        return;
      }
      text = Buffer.from(read.bytes).toString('utf8');
    } catch (e) {
      // No .vscode folder (the checked reader says so with an ENOENT cause): no configuration.
      if (e instanceof CfRotateError && (e.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
        this.setMissing(folder, configPath);
        return;
      }
      const err = toCfRotateError(e, 'config');
      this.note(folder, 'unreadable', () => this.logger.error(`Cannot read ${configPath}: ${err.message}`));
      this.states.set(folder.path, { folder, status: 'error', configPath, message: vscode.l10n.t('Cannot read the file: {0}', err.message), issues: [], ...this.kept(folder.path) });
      return;
    }
    try {
      const cfg = this.texts.parse(folder.path, text, CONFIG_RELATIVE_PATH);
      // A target that is there and is no regular file (FIFO, device, socket, directory): a problem of the file, by JSON path.
      const targetIssues = yield* targetFileIssueSteps(folder.path, cfg.tokens, this.files, path.join(folder.path, CONFIG_RELATIVE_PATH));
      if (targetIssues.length > 0) throw new ConfigError(CONFIG_RELATIVE_PATH, targetIssues);
      this.lastValid.set(folder.path, cfg.tokens);
      this.note(folder, 'ok', (was) => {
        // l10n-exempt: a log line (logs stay English)
        if (was === 'invalid' || was === 'unreadable') this.logger.info(`${folder.name}: ${CONFIG_RELATIVE_PATH} is valid again (${cfg.tokens.length} token${cfg.tokens.length === 1 ? '' : 's'}).`);
      });
      this.states.set(folder.path, { folder, status: 'ok', configPath, tokens: cfg.tokens });
    } catch (e) {
      const err = toCfRotateError(e, 'config');
      const issues = err instanceof ConfigError ? err.issues : [];
      const kept = this.kept(folder.path);
      // Once per change of state: an auto-saved file being typed is invalid on most saves.
      this.note(folder, 'invalid', () =>
        this.logger.warn(`${folder.name}: ${err.message}${kept.lastValid ? ` The Tokens view keeps the ${kept.lastValid.length} token(s) of the last valid version; none can be rotated until the file is fixed.` : ''}`),
      );
      this.states.set(folder.path, { folder, status: 'error', configPath, message: err.message, issues, ...kept });
    }
  }

  /** The last valid tokens of a folder, for a state that is now invalid. */
  private kept(folderPath: string): { lastValid?: TokenConfig[] } {
    const tokens = this.lastValid.get(folderPath);
    return tokens && tokens.length > 0 ? { lastValid: tokens } : {};
  }

  /** Records a folder's state; `onChange` runs only when it differs from the last one (with the previous state). */
  private note(folder: FolderInfo, now: LoggedState, onChange?: (was: LoggedState | undefined) => void): void {
    const was = this.logged.get(folder.path);
    if (was === now) return;
    this.logged.set(folder.path, now);
    onChange?.(was);
  }

  /** States in workspace-folder order (folders not read yet are left out). */
  all(): FolderConfigState[] {
    return this.folders()
      .map((f) => this.states.get(f.path))
      .filter((s): s is FolderConfigState => s !== undefined);
  }

  state(folderPath: string): FolderConfigState | undefined {
    return this.states.get(folderPath) ?? [...this.states.values()].find((s) => samePath(s.folder.path, folderPath));
  }

  tokens(): ResolvedToken[] {
    const out: ResolvedToken[] = [];
    for (const s of this.all()) if (s.status === 'ok') for (const token of s.tokens) out.push({ folder: s.folder, token });
    return out;
  }

  /** A folder by path, name or URI string. */
  resolveFolder(ref: string): FolderInfo | undefined {
    const folders = this.folders();
    let fsPath: string | undefined;
    if (/^[a-z][a-z0-9+.-]+:\/\//i.test(ref)) {
      try {
        const uri = vscode.Uri.parse(ref, true);
        if (uri.scheme === 'file') fsPath = uri.fsPath;
      } catch {
        fsPath = undefined;
      }
    }
    return (
      folders.find((f) => samePath(f.path, fsPath ?? ref)) ??
      folders.find((f) => f.name === ref) ??
      (path.isAbsolute(ref) ? undefined : folders.find((f) => f.name.toLowerCase() === ref.toLowerCase()))
    );
  }

  /** The token `name` (in `folder`, if given). Throws a CfRotateError naming what is wrong. */
  find(name: string, folder?: string): ResolvedToken {
    let candidates = this.tokens().filter((t) => t.token.name === name);
    if (folder !== undefined) {
      const f = this.resolveFolder(folder);
      if (!f) throw new CfRotateError('not-found', vscode.l10n.t('There is no workspace folder "{0}".', folder), { hint: vscode.l10n.t('Pass the folder path or name as shown in the Explorer.') });
      candidates = candidates.filter((t) => t.folder.path === f.path);
    }
    if (candidates.length === 1) return candidates[0] as ResolvedToken;
    if (candidates.length === 0) {
      // Shown in the tree from the last valid version, but not rotatable until the file is valid again.
      const f = folder !== undefined ? this.resolveFolder(folder) : undefined;
      const stale = this.all().find((s) => s.status === 'error' && (f === undefined || s.folder.path === f.path) && s.lastValid?.some((t) => t.name === name));
      if (stale?.status === 'error') {
        const first = stale.issues[0];
        const message = !first
          ? vscode.l10n.t('"{0}" cannot be rotated now: {1} is invalid ({2}). Nothing was rotated.', name, stale.configPath, stale.message)
          : first.path === '(file)'
            ? vscode.l10n.t('"{0}" cannot be rotated now: {1} is invalid (it {2}). Nothing was rotated.', name, stale.configPath, first.message)
            : vscode.l10n.t('"{0}" cannot be rotated now: {1} is invalid ({2} {3}). Nothing was rotated.', name, stale.configPath, first.path, first.message);
        throw new CfRotateError('config', message, {
          hint: vscode.l10n.t('Fix the file (the Tokens view names the problem; "Cloudflare Rotate: Open Configuration" opens it), then try again.'),
        });
      }
      const broken = this.all().filter((s) => s.status === 'error');
      throw new CfRotateError('not-found', folder !== undefined ? vscode.l10n.t('No token named "{0}" is configured in {1}.', name, folder) : vscode.l10n.t('No token named "{0}" is configured.', name), {
        hint:
          broken.length > 0
            ? vscode.l10n.t('Fix {0} first: it is invalid.', broken.map((b) => b.configPath).join(', '))
            : vscode.l10n.t('Check the name in .vscode/cf-rotate.json, or run "Cloudflare Rotate: Refresh".'),
      });
    }
    throw new CfRotateError('validation', vscode.l10n.t('Several workspace folders have a token named "{0}".', name), {
      hint: vscode.l10n.t('Pass "folder" as well: {0}.', candidates.map((c) => c.folder.name).join(', ')),
    });
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const d of this.disposables) d.dispose();
  }
}

export function configPathOf(folderPath: string): string {
  return path.join(folderPath, CONFIG_RELATIVE_PATH);
}
