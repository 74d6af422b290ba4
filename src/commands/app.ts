/** What every command gets, and the UI helpers they share. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { targetLabel } from '../core/config/schema';
import { CfRotateError, toCfRotateError, type ErrorKind } from '../core/errors';
import { redact } from '../core/redact';
import type { ResolvedToken } from '../host/configs';
import type { HostServices } from '../host/services';
import type { ViewController } from '../views/controller';
import { KIND_ICONS, KIND_LABELS, type FolderInfo } from '../views/model';
import { COMMANDS, type CommandId } from '../constants';

export type CommandHandler = (...args: unknown[]) => unknown;

export interface App extends HostServices {
  view: ViewController;
  /** Install the code behind a command (the activation shell registered every id with VS Code). */
  registerCommand(id: CommandId, handler: CommandHandler): vscode.Disposable;
}

export interface Action {
  title: string;
  run: () => unknown;
}

function defaultActions(kind: ErrorKind): Action[] {
  switch (kind) {
    case 'credential-missing':
    case 'auth':
      return [{ title: 'Set Credential', run: () => vscode.commands.executeCommand(COMMANDS.setCredential) }];
    case 'config':
      return [{ title: 'Open Configuration', run: () => vscode.commands.executeCommand(COMMANDS.openConfig) }];
    case 'busy':
      return [{ title: 'Resume', run: () => vscode.commands.executeCommand(COMMANDS.resumeInterrupted) }];
    default:
      return [];
  }
}

/** A non-modal notification; the chosen action runs later. Text passes the redactor once more. */
function show(level: 'error' | 'warning' | 'info', text: string, actions: readonly Action[]): void {
  const fn = level === 'error' ? vscode.window.showErrorMessage : level === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  void fn(redact(text), ...actions.map((a) => a.title)).then((choice) => {
    const a = actions.find((x) => x.title === choice);
    if (a) void Promise.resolve(a.run()).catch(() => undefined);
  });
}

export function showLogAction(app: App): Action {
  return { title: 'Show Log', run: () => app.log.show(true) };
}

/**
 * Error notification: what failed, why, what to do (the error's hint), plus actions and
 * "Show Log". Not awaited: commands return while the notification is visible.
 */
export function notifyError(app: App, what: string | undefined, err: unknown, actions: readonly Action[] = []): void {
  const e = toCfRotateError(err);
  const text = what ? `${what}: ${e.userMessage}` : e.userMessage;
  app.logger.error(text);
  const all = [...actions];
  for (const a of defaultActions(e.kind)) if (!all.some((x) => x.title === a.title)) all.push(a);
  all.push(showLogAction(app));
  show('error', text, all);
}

export function notifyWarning(app: App, text: string, actions: readonly Action[] = [], withLog = true): void {
  app.logger.warn(text);
  show('warning', text, withLog ? [...actions, showLogAction(app)] : actions);
}

export function notifyInfo(app: App, text: string, actions: readonly Action[] = []): void {
  app.logger.info(text);
  show('info', text, actions);
}

/** Errors in how a command was invoked: scripts get a rejected promise. */
const INVOCATION_ERRORS: ReadonlySet<ErrorKind> = new Set(['validation', 'not-found', 'untrusted', 'config']);

/**
 * Run a command body: errors become a notification (what + why + hint + Show Log); invocation
 * errors (bad argument, unknown token, untrusted workspace) are also rethrown for scripts.
 */
export async function guarded<T>(app: App, what: string, body: () => Promise<T>): Promise<T | undefined> {
  try {
    return await body();
  } catch (e) {
    const err = toCfRotateError(e);
    if (err.kind === 'cancelled') return undefined;
    notifyError(app, what, err);
    if (INVOCATION_ERRORS.has(err.kind)) throw err;
    return undefined;
  }
}

export function ensureTrusted(): void {
  if (!vscode.workspace.isTrusted) {
    throw new CfRotateError('untrusted', 'Cloudflare Rotate does not change credentials or files in an untrusted workspace.', {
      hint: 'Trust this workspace ("Workspaces: Manage Workspace Trust"), then try again.',
    });
  }
}

export function cancelled(): CfRotateError {
  return new CfRotateError('cancelled', 'Cancelled.');
}

/** Pick a workspace folder (no question when there is one). */
export async function pickFolder(app: App, ref: string | undefined, placeHolder = 'Select a workspace folder'): Promise<FolderInfo | undefined> {
  if (ref !== undefined) {
    const f = app.configs.resolveFolder(ref);
    if (!f) throw new CfRotateError('not-found', `There is no workspace folder "${ref}".`, { hint: 'Pass the folder path or name as shown in the Explorer.' });
    return f;
  }
  const folders = app.configs.folders();
  if (folders.length === 0) {
    throw new CfRotateError('config', 'Cloudflare Rotate needs a folder on disk.', { hint: 'Open a folder (File › Open Folder…), then try again.' });
  }
  if (folders.length === 1) return folders[0];
  const picked = await vscode.window.showQuickPick(
    folders.map((f) => {
      const s = app.configs.state(f.path);
      return { label: f.name, description: s?.status === 'ok' ? `${s.tokens.length} token(s)` : s?.status === 'error' ? 'cf-rotate.json is invalid' : 'no cf-rotate.json', detail: f.path, folder: f };
    }),
    { placeHolder, ignoreFocusOut: true },
  );
  return picked?.folder;
}

/** Pick a configured token (optionally filtered). */
export async function pickToken(app: App, placeHolder: string, filter: (t: ResolvedToken) => boolean = () => true): Promise<ResolvedToken | undefined> {
  await app.view.refresh();
  const all = app.configs.tokens().filter(filter);
  if (all.length === 0) {
    const broken = app.configs.all().filter((s) => s.status === 'error');
    if (broken.length > 0) throw new CfRotateError('config', `${broken.map((b) => b.configPath).join(', ')} is invalid.`, { hint: 'Fix it (see the Tokens view for the problems), then try again.' });
    notifyInfo(app, 'No matching Cloudflare tokens are configured in this workspace.', [{ title: 'Add Token', run: () => vscode.commands.executeCommand(COMMANDS.addToken) }]);
    return undefined;
  }
  const multi = app.configs.folders().length > 1;
  const items = all.map((rt) => {
    const node = app.view.tree.findToken(rt.folder.path, rt.token.name);
    return {
      label: rt.token.name,
      iconPath: new vscode.ThemeIcon(KIND_ICONS[rt.token.kind]),
      description: `${KIND_LABELS[rt.token.kind]}${multi ? ` · ${rt.folder.name}` : ''}`,
      detail: `${node?.description ? `${node.description} · ` : ''}→ ${rt.token.targets.map(targetLabel).join(', ')}`,
      rt,
    };
  });
  const picked = await vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true, matchOnDetail: true, ignoreFocusOut: true });
  return picked?.rt;
}

/** The token named by an argument, or picked interactively. */
export async function resolveToken(
  app: App,
  ref: { name: string; folder?: string | undefined } | undefined,
  placeHolder: string,
  filter?: (t: ResolvedToken) => boolean,
): Promise<ResolvedToken | undefined> {
  if (!ref) return pickToken(app, placeHolder, filter);
  await app.configs.ready();
  return app.configs.find(ref.name, ref.folder);
}

export async function openFile(file: string, select?: vscode.Range): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  const editor = await vscode.window.showTextDocument(doc, { preview: true });
  if (select) {
    editor.selection = new vscode.Selection(select.start, select.end);
    editor.revealRange(select, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }
  return editor;
}

export function openTargetAction(folder: string, rel: string): Action {
  const base = path.basename(rel);
  return { title: `Open ${base}`, run: () => openFile(path.resolve(folder, rel)) };
}

/** Modal yes/no. Returns true when `button` was chosen. */
export async function confirmModal(message: string, detail: string, button: string): Promise<boolean> {
  const choice = await vscode.window.showWarningMessage(message, { modal: true, detail }, button);
  return choice === button;
}
