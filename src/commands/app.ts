/** What every command gets, and the UI helpers they share. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { targetLabel } from '../core/config/schema';
import { CfRotateError, toCfRotateError, type ErrorKind } from '../core/errors';
import { redact } from '../core/redact';
import { notification, plain } from '../core/text';
import type { ResolvedToken } from '../host/configs';
import type { HostServices } from '../host/services';
import type { ViewController } from '../views/controller';
import { KIND_ICONS, KIND_LABELS, type FolderInfo } from '../views/model';
import { COMMANDS, type CommandId } from '../constants';
import { formatDateTime, formatTime, type TimeFormat } from './describe';

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
      return [{ title: vscode.l10n.t('Set Credential'), run: () => vscode.commands.executeCommand(COMMANDS.setCredential) }];
    case 'config':
      return [{ title: vscode.l10n.t('Open Configuration'), run: () => vscode.commands.executeCommand(COMMANDS.openConfig) }];
    default:
      // Not "Resume" for 'busy': a rotation another process is running leaves nothing to resume.
      // Callers that know an interrupted rotation waits offer it themselves.
      return [];
  }
}

// ------------------------------------------------------------------- neutralised text

/**
 * The one way text reaches a notification, a progress notification or a dialog message: the
 * redactor once more, then `notification()` (no control or bidi characters, no `](`, so a target
 * path, a name or a Cloudflare error text never becomes a `command:` link). Links the extension
 * itself offers are actions (buttons), never Markdown in the text.
 */
export function notificationText(text: string): string {
  return notification(redact(text));
}

/** A dialog's detail: like `notificationText`, line by line (the detail keeps its line breaks). */
export function dialogDetail(text: string): string {
  return redact(text).split(/\r?\n/).map((line) => notification(line)).join('\n');
}

/** QuickPick labels, descriptions and details; tree labels; status-bar text: no control or bidi characters. */
export function pickText(text: string): string {
  return plain(redact(text));
}

/** A non-modal notification; the chosen action runs later. */
function show(level: 'error' | 'warning' | 'info', text: string, actions: readonly Action[]): void {
  const fn = level === 'error' ? vscode.window.showErrorMessage : level === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  const titled = actions.map((a) => ({ ...a, title: plain(a.title) }));
  void fn(notificationText(text), ...titled.map((a) => a.title)).then((choice) => {
    const a = titled.find((x) => x.title === choice);
    if (a) void Promise.resolve(a.run()).catch(() => undefined);
  });
}

export function showLogAction(app: App): Action {
  return { title: vscode.l10n.t('Show Log'), run: () => app.log.show(true) };
}

export interface NotifyOptions {
  /** false: the core already logged this outcome (every log line appears once). Default true. */
  log?: boolean;
}

/**
 * Error notification: what failed, why, what to do (the error's hint), plus actions and
 * "Show Log". Not awaited: commands return while the notification is visible.
 */
export function notifyError(app: App, what: string | undefined, err: unknown, actions: readonly Action[] = [], opts: NotifyOptions = {}): void {
  const e = toCfRotateError(err);
  const text = what ? `${what}: ${e.userMessage}` : e.userMessage;
  if (opts.log !== false) app.logger.error(text);
  const all = [...actions];
  for (const a of defaultActions(e.kind)) if (!all.some((x) => x.title === a.title)) all.push(a);
  all.push(showLogAction(app));
  show('error', text, all);
}

export function notifyWarning(app: App, text: string, actions: readonly Action[] = [], withLog = true, opts: NotifyOptions = {}): void {
  if (opts.log !== false) app.logger.warn(text);
  show('warning', text, withLog ? [...actions, showLogAction(app)] : actions);
}

export function notifyInfo(app: App, text: string, actions: readonly Action[] = [], opts: NotifyOptions = {}): void {
  if (opts.log !== false) app.logger.info(text);
  show('info', text, actions);
}

// ------------------------------------------------------------------------- progress

export type ProgressReport = (message: string, increment?: number) => void;

/**
 * A progress notification whose Cancel button aborts `signal` (cancellable unless told
 * otherwise). Title and messages are neutralised like every notification.
 */
export function withProgressNotification<T>(title: string, task: (report: ProgressReport, signal: AbortSignal) => Promise<T>, opts: { cancellable?: boolean } = {}): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: notificationText(title), cancellable: opts.cancellable ?? true }, async (progress, token) => {
    const controller = new AbortController();
    const sub = token?.onCancellationRequested?.(() => controller.abort());
    if (token?.isCancellationRequested) controller.abort();
    try {
      return await task((message, increment) => progress.report({ message: notificationText(message), ...(increment !== undefined ? { increment } : {}) }), controller.signal);
    } finally {
      sub?.dispose();
    }
  });
}

/**
 * `work`, or a 'cancelled' error as soon as `signal` aborts (also when it already has), for
 * reads that cannot take a signal. What `work` was waiting for changes nothing.
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(cancelled());
  }
  return Promise.race([work, new Promise<never>((_resolve, reject) => signal.addEventListener('abort', () => reject(cancelled()), { once: true }))]);
}

// ----------------------------------------------------------------------- the locale

/** The user's display language (VS Code's), for dates and times. */
export function userLocale(): string | undefined {
  try {
    return vscode.env?.language || undefined;
  } catch {
    return undefined;
  }
}

/** Instants as people read them: the time of day (with the date when not today), in the user's locale. */
export const localTime: TimeFormat = (at) => formatTime(at, userLocale());

/** A full date and time in the user's locale. */
export const localDateTime: TimeFormat = (at) => formatDateTime(at, userLocale());

/** Errors in how a command was invoked: scripts get a rejected promise. */
const INVOCATION_ERRORS: ReadonlySet<ErrorKind> = new Set(['validation', 'not-found', 'untrusted', 'config']);

/**
 * Run a command body: errors become a notification (what + why + hint + Show Log); invocation
 * errors (bad argument, unknown token, untrusted workspace) are also rethrown for scripts.
 */
export async function guarded<T>(app: App, what: string, body: () => Promise<T>, opts: { unchanged?: string } = {}): Promise<T | undefined> {
  try {
    return await body();
  } catch (e) {
    const err = toCfRotateError(e);
    if (err.kind === 'cancelled') return undefined;
    // Commands whose every throw happens before anything changed say so ("Nothing was rotated.").
    const said = /nothing (was|has been) (rotated|changed)/i.test(err.userMessage) || (opts.unchanged !== undefined && err.userMessage.includes(opts.unchanged));
    notifyError(app, what, opts.unchanged && !said ? new CfRotateError(err.kind, err.message, { hint: [err.hint, opts.unchanged].filter(Boolean).join(' ') }) : err);
    if (INVOCATION_ERRORS.has(err.kind)) throw err;
    return undefined;
  }
}

export function ensureTrusted(): void {
  if (!vscode.workspace.isTrusted) {
    throw new CfRotateError('untrusted', vscode.l10n.t('Cloudflare Rotate does not change credentials or files in an untrusted workspace.'), {
      hint: vscode.l10n.t('Trust this workspace ("Workspaces: Manage Workspace Trust"), then try again.'),
    });
  }
}

export function cancelled(): CfRotateError {
  return new CfRotateError('cancelled', vscode.l10n.t('Cancelled.'));
}

/** Pick a workspace folder (no question when there is one). */
export async function pickFolder(app: App, ref: string | undefined, placeHolder = vscode.l10n.t('Select a workspace folder')): Promise<FolderInfo | undefined> {
  if (ref !== undefined) {
    const f = app.configs.resolveFolder(ref);
    if (!f) throw new CfRotateError('not-found', vscode.l10n.t('There is no workspace folder "{0}".', ref), { hint: vscode.l10n.t('Pass the folder path or name as shown in the Explorer.') });
    return f;
  }
  const folders = app.configs.folders();
  if (folders.length === 0) {
    throw new CfRotateError('config', vscode.l10n.t('Cloudflare Rotate needs a folder on disk.'), { hint: vscode.l10n.t('Open a folder (File › Open Folder…), then try again.') });
  }
  if (folders.length === 1) return folders[0];
  const picked = await vscode.window.showQuickPick(
    folders.map((f) => {
      const s = app.configs.state(f.path);
      return { label: pickText(f.name), description: s?.status === 'ok' ? `${s.tokens.length} token(s)` : s?.status === 'error' ? 'cf-rotate.json is invalid' : 'no cf-rotate.json', detail: pickText(f.path), folder: f };
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
    if (broken.length > 0) throw new CfRotateError('config', vscode.l10n.t('{0} is invalid.', broken.map((b) => b.configPath).join(', ')), { hint: vscode.l10n.t('Fix it (see the Tokens view for the problems), then try again.') });
    notifyInfo(app, vscode.l10n.t('No matching Cloudflare tokens are configured in this workspace.'), [{ title: vscode.l10n.t('Add Token'), run: () => vscode.commands.executeCommand(COMMANDS.addToken) }]);
    return undefined;
  }
  const multi = app.configs.folders().length > 1;
  const items = all.map((rt) => {
    const node = app.view.tree.findToken(rt.folder.path, rt.token.name);
    return {
      label: pickText(rt.token.name),
      iconPath: new vscode.ThemeIcon(KIND_ICONS[rt.token.kind]),
      description: pickText(`${KIND_LABELS[rt.token.kind]}${multi ? ` · ${rt.folder.name}` : ''}`),
      detail: pickText(`${node?.description ? `${node.description} · ` : ''}→ ${rt.token.targets.map(targetLabel).join(', ')}`),
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

export function openTargetAction(folder: string, rel: string, key?: string): Action {
  const base = path.basename(rel);
  // With a key: Reveal Target opens the file at the variable's line (not line 1).
  return { title: vscode.l10n.t('Open {0}', base), run: () => (key !== undefined ? vscode.commands.executeCommand(COMMANDS.revealTarget, { folder, file: rel, key }) : openFile(path.resolve(folder, rel))) };
}

/** Modal question; the chosen button, or undefined (Cancel). Message and detail are neutralised. */
export async function askModal(message: string, detail: string, ...buttons: string[]): Promise<string | undefined> {
  const titles = buttons.map((b) => plain(b));
  const choice = await vscode.window.showWarningMessage(notificationText(message), { modal: true, detail: dialogDetail(detail) }, ...titles);
  const i = choice === undefined ? -1 : titles.indexOf(choice);
  return i >= 0 ? buttons[i] : undefined;
}

/** Modal yes/no. Returns true when `button` was chosen. */
export async function confirmModal(message: string, detail: string, button: string): Promise<boolean> {
  return (await askModal(message, detail, button)) === button;
}
