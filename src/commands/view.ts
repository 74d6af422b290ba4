/** refresh, revealTarget, showHistory, showLog. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isInside } from '../core/node/checked';
import { destinationUrl, githubWebOrigin } from '../core/destinations';
import { CfRotateError } from '../core/errors';
import type { HistoryEntry } from '../core/history';
import { relativeTime } from '../core/schedule';
import { COMMANDS } from '../constants';
import { guarded, notifyInfo, openFile, pickFolder, type App } from './app';
import { findKeyLine } from './describe';
import { historyArgsSchema, parseArg, revealTargetArgsSchema } from './schemas';

async function revealTarget(app: App, raw: unknown): Promise<{ file: string; line?: number } | { url: string; opened: boolean } | undefined> {
  const args = parseArg(revealTargetArgsSchema, raw, COMMANDS.revealTarget);
  if (!args) {
    throw new CfRotateError('validation', `${COMMANDS.revealTarget} needs a target: click one in the Tokens view.`, { hint: 'Pass { folder, file, key } (a file) or { destination } (a Worker, Pages project, Secrets Store or GitHub repository) when calling it from a script.' });
  }
  if ('destination' in args) {
    // Built from the validated ids only: nothing of the configuration's text reaches the URL otherwise.
    const url = destinationUrl(args.destination, githubWebOrigin(app.settings.githubApiUrl()));
    if (!url) throw new CfRotateError('validation', 'This destination has no settings page cf-rotate can open.', { hint: 'Check its ids in cf-rotate.json.' });
    const opened = await vscode.env.openExternal(vscode.Uri.parse(url, true));
    return { url, opened };
  }
  const folder = await pickFolder(app, args.folder);
  if (!folder) return undefined;
  const file = path.resolve(folder.path, args.file);
  if (!isInside(path.resolve(folder.path), file)) {
    throw new CfRotateError('validation', `${args.file} is outside the workspace folder ${folder.name}.`);
  }
  try {
    await fs.access(file);
  } catch {
    notifyInfo(app, `${args.file} does not exist yet: the first rotation of its token creates it with ${args.key}.`);
    return { file };
  }
  const editor = await openFile(file);
  const at = findKeyLine(editor.document.getText(), args.key);
  if (!at) {
    notifyInfo(app, `${args.key} is not in ${args.file} yet: the next rotation adds it.`);
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
};

async function showHistory(app: App, raw: unknown): Promise<HistoryEntry[]> {
  const args = parseArg(historyArgsSchema, raw, COMMANDS.showHistory);
  const entries = await app.history.list(args?.limit ?? 200);
  if (args?.show === false) return entries;
  if (entries.length === 0) {
    notifyInfo(app, 'No rotations recorded yet.');
    return entries;
  }
  const now = Date.now();
  const multi = app.configs.folders().length > 1;
  const items = entries.map((e) => ({
    label: `$(${OUTCOME_ICON[e.outcome] ?? 'circle-outline'}) ${e.name}`,
    description: `${e.outcome} · ${relativeTime(Date.parse(e.at), now)}${multi ? ` · ${path.basename(e.folder)}` : ''}`,
    detail: [e.at, e.targets.length > 0 ? `→ ${e.targets.join(', ')}` : undefined, e.graceUntil ? `previous secret valid until ${e.graceUntil}` : undefined, e.error].filter(Boolean).join(' · '),
  }));
  // Not awaited: the command returns the entries while the list is open.
  void vscode.window.showQuickPick(items, { title: 'Cloudflare Rotate: History', placeHolder: 'Past rotations, newest first (no secret values are kept)', matchOnDescription: true, matchOnDetail: true });
  return entries;
}

export function registerViewCommands(app: App): vscode.Disposable[] {
  return [
    app.registerCommand(COMMANDS.refresh, () => guarded(app, 'Refresh failed', () => app.view.refresh({ reloadConfigs: true }))),
    app.registerCommand(COMMANDS.revealTarget, (arg: unknown) => guarded(app, 'Reveal target failed', () => revealTarget(app, arg))),
    app.registerCommand(COMMANDS.showHistory, (arg: unknown) => guarded(app, 'Show history failed', () => showHistory(app, arg))),
    app.registerCommand(COMMANDS.showLog, () => app.log.show(true)),
  ];
}
