/** refresh, revealTarget, showHistory, showLog. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CheckedFiles, isInside, type Resolved } from '../core/node/checked';
import { destinationUrl, githubWebOrigin } from '../core/destinations';
import { samePath } from '../host/paths';
import { CfRotateError } from '../core/errors';
import type { HistoryEntry } from '../core/history';
import { KIND_LABELS } from '../views/model';
import { COMMANDS } from '../constants';
import { askModal, guarded, localDateTime, notifyInfo, openFile, pickFolder, pickText, userLocale, type App } from './app';
import { findKeyLine, formatDateTime, formatRelative, localiseInstants } from './describe';
import { historyArgsSchema, parseArg, revealTargetArgsSchema } from './schemas';

async function revealTarget(app: App, raw: unknown): Promise<{ file: string; line?: number } | { url: string; opened: boolean } | undefined> {
  const args = parseArg(revealTargetArgsSchema, raw, COMMANDS.revealTarget);
  if (!args) {
    throw new CfRotateError('validation', vscode.l10n.t('{0} needs a target: click one in the Tokens view.', COMMANDS.revealTarget), {
      hint: vscode.l10n.t('Pass { folder, file, key } (a file) or { destination } (a Worker, Pages project, Secrets Store or GitHub repository) when calling it from a script.'),
    });
  }
  if ('destination' in args) {
    // Built from the validated ids only: nothing of the configuration's text reaches the URL otherwise.
    const url = destinationUrl(args.destination, githubWebOrigin(app.settings.githubApiUrl()));
    if (!url) throw new CfRotateError('validation', vscode.l10n.t('This destination has no settings page cf-rotate can open.'), { hint: vscode.l10n.t('Check its ids in cf-rotate.json.') });
    const opened = await vscode.env.openExternal(vscode.Uri.parse(url, true));
    return { url, opened };
  }
  const folder = await pickFolder(app, args.folder);
  if (!folder) return undefined;
  const file = path.resolve(folder.path, args.file);
  if (!isInside(path.resolve(folder.path), file)) {
    throw new CfRotateError('validation', vscode.l10n.t('{0} is outside the workspace folder {1}.', args.file, folder.name));
  }
  // Containment on the real path: a link (the file's, or a folder's on the way) that leads out of
  // the folder is refused, as a rotation refuses it; what is opened is the file that was checked.
  let checked: Resolved | undefined;
  try {
    checked = await new CheckedFiles().resolve(folder.path, args.file, { denyGitDir: false });
  } catch (e) {
    // Refused (a link out, not a regular file) with its reason as the notification; a folder that does not exist yet: nothing to open.
    if (!(e instanceof CfRotateError) || (e.cause as NodeJS.ErrnoException | undefined)?.code !== 'ENOENT') throw e;
  }
  if (!checked?.exists) {
    notifyInfo(app, vscode.l10n.t('{0} does not exist yet: the first rotation of its token creates it with {1}.', args.file, args.key));
    return { file };
  }
  const editor = await openFile(checked.real);
  const at = findKeyLine(editor.document.getText(), args.key);
  if (!at) {
    notifyInfo(app, vscode.l10n.t('{0} is not in {1} yet: the next rotation adds it.', args.key, args.file));
    return { file };
  }
  const line = editor.document.lineAt(at.line).range;
  editor.selection = new vscode.Selection(line.start, line.end);
  editor.revealRange(line, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  return { file, line: at.line };
}

const OUTCOME_ICON: Record<HistoryEntry['outcome'], string> = {
  rotated: 'pass',
  recovered: 'debug-restart',
  failed: 'error',
  lost: 'warning',
  discarded: 'trash',
  'expired-previous': 'clock',
  retired: 'history',
};

/** An outcome in words (translated when shown). */
function outcomeText(outcome: HistoryEntry['outcome']): string {
  switch (outcome) {
    case 'rotated':
      return vscode.l10n.t('rotated');
    case 'recovered':
      return vscode.l10n.t('finished after an interruption');
    case 'failed':
      return vscode.l10n.t('failed');
    case 'lost':
      return vscode.l10n.t('lost its new secret');
    case 'discarded':
      return vscode.l10n.t('discarded');
    case 'expired-previous':
      return vscode.l10n.t('previous secret expired');
    case 'retired':
      return vscode.l10n.t('previous credential deleted');
    default:
      return String(outcome);
  }
}

function splitTarget(t: string): { file: string; key: string } {
  const i = t.lastIndexOf(' › ');
  return i < 0 ? { file: t, key: '' } : { file: t.slice(0, i), key: t.slice(i + 3) };
}

/** One entry in full (a dialog), with a button per target that opens the file at its variable. */
async function showHistoryEntry(app: App, e: HistoryEntry): Promise<void> {
  const locale = userLocale();
  const at = Date.parse(e.at);
  const when = Number.isFinite(at) ? `${formatDateTime(at, locale)} (${formatRelative(at, Date.now(), locale)})` : e.at;
  const local = (s: string): string => localiseInstants(s, localDateTime);
  const lines = [
    vscode.l10n.t('Outcome: {0}', outcomeText(e.outcome)),
    vscode.l10n.t('When: {0}', when),
    vscode.l10n.t('Kind: {0}', KIND_LABELS[e.kind] ?? e.kind),
    vscode.l10n.t('Folder: {0}', e.folder),
    ...(e.targets.length > 0 ? [vscode.l10n.t('Targets:'), ...e.targets.map((t) => `  • ${t}`)] : []),
    ...(e.graceUntil ? [vscode.l10n.t('Previous secret valid until: {0}', local(e.graceUntil))] : []),
    ...(e.expiresAt ? [vscode.l10n.t('Expires: {0}', local(e.expiresAt))] : []),
    ...(e.error ? [e.errorKind ? vscode.l10n.t('Error ({0}): {1}', e.errorKind, local(e.error)) : vscode.l10n.t('Note: {0}', local(e.error))] : []),
  ];
  const open = app.configs.folders().some((f) => samePath(f.path, e.folder))
    ? [...new Map(e.targets.map((t) => splitTarget(t)).filter((t) => t.key !== '').map((t) => [vscode.l10n.t('Open {0} › {1}', path.basename(t.file), t.key), t] as const)).entries()].slice(0, 2)
    : [];
  const choice = await askModal(vscode.l10n.t('"{0}": {1}', e.name, outcomeText(e.outcome)), lines.join('\n'), ...open.map(([title]) => title));
  const target = open.find(([title]) => title === choice)?.[1];
  if (target) await vscode.commands.executeCommand(COMMANDS.revealTarget, { folder: e.folder, file: target.file, key: target.key });
}

async function showHistory(app: App, raw: unknown): Promise<HistoryEntry[]> {
  const args = parseArg(historyArgsSchema, raw, COMMANDS.showHistory);
  const entries = await app.history.list(args?.limit ?? 200);
  if (args?.show === false) return entries;
  if (entries.length === 0) {
    notifyInfo(app, vscode.l10n.t('No rotations recorded yet.'));
    return entries;
  }
  const now = Date.now();
  const locale = userLocale();
  const multi = app.configs.folders().length > 1;
  const items = entries.map((e) => {
    const at = Date.parse(e.at);
    const known = Number.isFinite(at);
    return {
      label: `$(${OUTCOME_ICON[e.outcome] ?? 'circle-outline'}) ${pickText(e.name)}`,
      description: pickText([outcomeText(e.outcome), known ? formatRelative(at, now, locale) : e.at, multi ? path.basename(e.folder) : ''].filter(Boolean).join(' · ')),
      detail: pickText(
        [
          known ? formatDateTime(at, locale) : e.at,
          e.targets.length > 0 ? `→ ${e.targets.join(', ')}` : undefined,
          e.graceUntil ? vscode.l10n.t('previous secret valid until {0}', localiseInstants(e.graceUntil, localDateTime)) : undefined,
          e.error ? localiseInstants(e.error, localDateTime) : undefined,
        ]
          .filter(Boolean)
          .join(' · '),
      ),
      entry: e,
    };
  });
  // Not awaited: the command returns the entries while the list is open. Picking one shows it in full.
  void vscode.window
    .showQuickPick(items, { title: vscode.l10n.t('Cloudflare Rotate: History'), placeHolder: vscode.l10n.t('Past rotations, newest first (no secret values are kept); pick one for its details'), matchOnDescription: true, matchOnDetail: true })
    .then((picked) => (picked ? showHistoryEntry(app, picked.entry) : undefined))
    .then(undefined, () => undefined);
  return entries;
}

export function registerViewCommands(app: App): vscode.Disposable[] {
  return [
    app.registerCommand(COMMANDS.refresh, () => guarded(app, vscode.l10n.t('Refresh failed'), () => app.view.refresh({ reloadConfigs: true }))),
    app.registerCommand(COMMANDS.revealTarget, (arg: unknown) => guarded(app, vscode.l10n.t('Reveal target failed'), () => revealTarget(app, arg))),
    app.registerCommand(COMMANDS.showHistory, (arg: unknown) => guarded(app, vscode.l10n.t('Show history failed'), () => showHistory(app, arg))),
    app.registerCommand(COMMANDS.showLog, () => app.log.show(true)),
  ];
}
