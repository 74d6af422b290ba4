/** rotate, rotateAll, rotateDue, resumeInterrupted, expirePreviousSecret. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { fileTargets, targetLabel, type TokenConfig, type TokenKind } from '../core/config/schema';
import type { RotationResult, RotationState } from '../core/engine/engine';
import type { JournalEntry } from '../core/engine/journal';
import type { ErrorKind } from '../core/errors';
import { CfRotateError, toCfRotateError } from '../core/errors';
import { redact } from '../core/redact';
import { relativeTime } from '../core/schedule';
import { addToGitignore, gitFileStatus, gitWarning } from '../host/git';
import type { ResolvedToken } from '../host/configs';
import { samePath } from '../host/paths';
import { dueTokens } from '../views/model';
import { BATCH_CONCURRENCY, COMMANDS } from '../constants';
import {
  confirmModal,
  ensureTrusted,
  guarded,
  notifyError,
  notifyInfo,
  notifyWarning,
  openTargetAction,
  resolveToken,
  showLogAction,
  type Action,
  type App,
} from './app';
import { batchSummary, confirmBatchDetail, confirmRotateDetail, discardWarning, resultMessage } from './describe';
import { expireArgsSchema, parseArg, resumeArgsSchema, rotateArgsSchema, rotateBatchArgsSchema, type ResumeArgs } from './schemas';

/** What rotate commands return: the engine's result (never a secret) without timing; `cancelled` when the user declined. */
export type CommandRotationResult = Omit<RotationResult, 'durationMs' | 'kind' | 'state'> & { kind?: TokenKind; state: RotationState | 'cancelled' };

export function toPublic(r: RotationResult): CommandRotationResult {
  return {
    name: r.name,
    folder: r.folder,
    kind: r.kind,
    ok: r.ok,
    state: r.state,
    targets: [...r.targets],
    ...(r.error ? { error: { kind: r.error.kind, message: redact(r.error.message), ...(r.error.hint ? { hint: redact(r.error.hint) } : {}) } } : {}),
    warnings: r.warnings.map(redact),
    ...(r.verified !== undefined ? { verified: r.verified } : {}),
    ...(r.notes?.length ? { notes: [...r.notes] } : {}),
    ...(r.graceUntil ? { graceUntil: r.graceUntil } : {}),
    ...(r.expiresAt ? { expiresAt: r.expiresAt } : {}),
  };
}

const STEP_TEXT: Record<string, string> = {
  checking: 'Checking the credential and the target files…',
  rotating: 'Rotating at Cloudflare…',
  writing: 'Writing the new secret into the files…',
  verifying: 'Verifying the new secret…',
};

function skipConfirm(app: App, args: { confirm?: boolean | undefined; skipConfirm?: boolean | undefined } | undefined): boolean {
  return args?.confirm === false || args?.skipConfirm === true || !app.settings.confirmBeforeRotate();
}

// ------------------------------------------------------------------------------------- git

interface GitNotice {
  folder: string;
  file: string;
  text: string;
}

async function gitNotices(items: readonly { folder: string; token: TokenConfig }[]): Promise<GitNotice[]> {
  const seen = new Set<string>();
  const jobs: Promise<GitNotice | undefined>[] = [];
  for (const { folder, token } of items) {
    for (const t of fileTargets(token)) {
      const k = `${folder}\u0000${t.file}`;
      if (seen.has(k)) continue;
      seen.add(k);
      jobs.push(
        gitFileStatus(folder, t.file)
          .then((s) => {
            const text = gitWarning(t.file, s);
            return text ? { folder, file: t.file, text } : undefined;
          })
          .catch(() => undefined),
      );
      if (jobs.length >= 50) break;
    }
  }
  return (await Promise.all(jobs)).filter((n): n is GitNotice => n !== undefined);
}

function offerGitignore(app: App, notices: readonly GitNotice[]): void {
  if (notices.length === 0) return;
  const text = notices.length === 1 ? (notices[0] as GitNotice).text : `${notices.length} target files are not protected from git: ${notices.map((n) => n.file).join(', ')}.`;
  notifyWarning(app, text, [
    {
      title: 'Add to .gitignore',
      run: async () => {
        const added: string[] = [];
        for (const n of notices) {
          try {
            if (await addToGitignore(n.folder, n.file)) added.push(n.file);
          } catch (e) {
            notifyError(app, `Could not update ${path.join(n.folder, '.gitignore')}`, e);
          }
        }
        if (added.length > 0) notifyInfo(app, `Added ${added.join(', ')} to .gitignore. A file git already tracks stays tracked until you run "git rm --cached <file>".`);
      },
    },
  ]);
}

/** Check the targets with git in the background and offer .gitignore entries. */
export function offerGitNotices(app: App, items: readonly { folder: string; token: TokenConfig }[]): void {
  void gitNotices(items).then((n) => offerGitignore(app, n));
}

// --------------------------------------------------------------------------------- results

function firstTargetFile(r: Pick<RotationResult, 'targets'>): string | undefined {
  return r.targets[0]?.split(' › ')[0];
}

/** The notification for one result. Not awaited. */
export function presentResult(app: App, r: RotationResult): void {
  const file = firstTargetFile(r);
  const ref = { name: r.name, folder: r.folder };
  const text = resultMessage(r);
  if (r.ok) {
    const actions: Action[] = [];
    if (file) actions.push(file === '.env' ? { ...openTargetAction(r.folder, file), title: 'Open .env' } : openTargetAction(r.folder, file));
    if (r.kind === 'access-service-token' && r.graceUntil) {
      actions.push({ title: 'Expire Previous Secret', run: () => vscode.commands.executeCommand(COMMANDS.expirePreviousSecret, ref) });
    }
    notifyInfo(app, text, actions);
    if (r.warnings.length > 0) notifyWarning(app, `"${r.name}": ${r.warnings.join(' ')}`);
    return;
  }
  const actions: Action[] = [];
  switch (r.state) {
    case 'lost':
      actions.push({ title: 'Rotate Again', run: () => vscode.commands.executeCommand(COMMANDS.rotate, { ...ref, skipConfirm: true }) });
      break;
    case 'pending':
    case 'unknown':
      actions.push({ title: 'Resume', run: () => vscode.commands.executeCommand(COMMANDS.resumeInterrupted, ref) });
      break;
    default:
      if (r.error?.kind === 'busy') actions.push({ title: 'Resume', run: () => vscode.commands.executeCommand(COMMANDS.resumeInterrupted, ref) });
  }
  const err = new CfRotateError(r.error?.kind ?? 'internal', text);
  notifyError(app, undefined, err, actions);
}

// ---------------------------------------------------------------------------------- rotate

async function rotateOne(app: App, rt: ResolvedToken): Promise<RotationResult> {
  const ref = [{ folder: rt.folder.path, name: rt.token.name }];
  app.view.setRotating(ref, true);
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Rotating "${rt.token.name}"`, cancellable: false },
      (progress) => app.engine.rotate(rt.folder.path, rt.token, { onProgress: (step) => progress.report({ message: STEP_TEXT[step] ?? step }) }),
    );
  } finally {
    app.view.setRotating(ref, false);
    await app.view.rebuild();
  }
}

async function rotate(app: App, raw: unknown): Promise<CommandRotationResult | undefined> {
  const args = parseArg(rotateArgsSchema, raw, COMMANDS.rotate);
  ensureTrusted();
  const rt = await resolveToken(app, args, 'Select the Cloudflare credential to rotate');
  if (!rt) return undefined;
  const { folder, token } = rt;
  const git = gitNotices([{ folder: folder.path, token }]);
  if (!skipConfirm(app, args)) {
    const notices = await git;
    const ok = await confirmModal(
      `Rotate "${token.name}" now?`,
      confirmRotateDetail(token, folder.name, app.settings.defaultGracePeriod(), Date.now(), notices.map((n) => n.text)),
      'Rotate',
    );
    if (!ok) {
      return { name: token.name, folder: folder.path, kind: token.kind, ok: false, state: 'cancelled', targets: token.targets.map(targetLabel), warnings: [] };
    }
  }
  const result = await rotateOne(app, rt);
  presentResult(app, result);
  if (result.ok) void git.then((n) => offerGitignore(app, n));
  return toPublic(result);
}

async function rotateBatch(app: App, raw: unknown, mode: 'all' | 'due'): Promise<CommandRotationResult[] | undefined> {
  const id = mode === 'all' ? COMMANDS.rotateAll : COMMANDS.rotateDue;
  const args = parseArg(rotateBatchArgsSchema, raw, id);
  ensureTrusted();
  await app.view.refresh();
  const folder = args?.folder !== undefined ? app.configs.resolveFolder(args.folder) : undefined;
  if (args?.folder !== undefined && !folder) throw new CfRotateError('not-found', `There is no workspace folder "${args.folder}".`);
  let items: ResolvedToken[] = app.configs.tokens();
  if (mode === 'due') {
    const due = new Set(dueTokens(app.view.tree.roots()).map((n) => `${n.folder}\u0000${n.name}`));
    items = items.filter((rt) => due.has(`${rt.folder.path}\u0000${rt.token.name}`));
  }
  if (folder) items = items.filter((rt) => rt.folder.path === folder.path);
  if (items.length === 0) {
    const broken = app.configs.all().filter((s) => s.status === 'error');
    if (broken.length > 0) throw new CfRotateError('config', `${broken.map((b) => b.configPath).join(', ')} is invalid.`, { hint: 'Fix it (the Tokens view lists the problems), then try again.' });
    notifyInfo(app, mode === 'due' ? 'No Cloudflare credentials are due for rotation.' : 'No Cloudflare credentials are configured.');
    return [];
  }
  if (!skipConfirm(app, args)) {
    const ok = await confirmModal(
      `Rotate ${items.length} ${mode === 'due' ? 'due ' : ''}credential${items.length === 1 ? '' : 's'} now?`,
      confirmBatchDetail(items.map((rt) => ({ token: rt.token, folderName: rt.folder.name })), app.settings.defaultGracePeriod()),
      'Rotate',
    );
    if (!ok) return [];
  }
  const refs = items.map((rt) => ({ folder: rt.folder.path, name: rt.token.name }));
  app.view.setRotating(refs, true);
  let results: RotationResult[];
  try {
    results = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Rotating ${items.length} Cloudflare credential${items.length === 1 ? '' : 's'}`, cancellable: false },
      async (progress) => {
        let done = 0;
        progress.report({ message: `0/${items.length}` });
        return app.engine.rotateMany(
          items.map((rt) => ({ folder: rt.folder.path, token: rt.token })),
          {
            concurrency: args?.concurrency ?? BATCH_CONCURRENCY,
            onResult: (r) => {
              done++;
              app.view.setRotating([{ folder: r.folder, name: r.name }], false);
              progress.report({ increment: 100 / items.length, message: `${done}/${items.length} · ${r.name} ${r.ok ? 'done' : 'failed'}` });
            },
          },
        );
      },
    );
  } finally {
    app.view.setRotating(refs, false);
    await app.view.rebuild();
  }
  for (const r of results) {
    if (r.ok) app.logger.info(resultMessage(r));
    else app.logger.warn(resultMessage(r));
  }
  const failed = results.filter((r) => !r.ok);
  if (failed.length === 0) {
    notifyInfo(app, batchSummary(results), [showLogAction(app)]);
  } else if (failed.length === 1) {
    presentResult(app, failed[0] as RotationResult);
  } else {
    const actions: Action[] = [];
    if (failed.some((r) => r.state === 'pending' || r.state === 'unknown')) actions.push({ title: 'Resume', run: () => vscode.commands.executeCommand(COMMANDS.resumeInterrupted) });
    notifyError(app, undefined, new CfRotateError('internal', batchSummary(results), { hint: 'The log lists the reason for each.' }), actions);
  }
  const warned = results.filter((r) => r.ok && r.warnings.length > 0);
  if (warned.length > 0) notifyWarning(app, warned.map((r) => `"${r.name}": ${r.warnings.join(' ')}`).join(' '));
  const okItems = items.filter((rt) => results.some((r) => r.ok && r.name === rt.token.name && r.folder === rt.folder.path));
  offerGitNotices(app, okItems.map((rt) => ({ folder: rt.folder.path, token: rt.token })));
  return results.map(toPublic);
}

// ---------------------------------------------------------------------------------- resume

function inWorkspace(app: App, j: JournalEntry): boolean {
  return app.configs.folders().some((f) => samePath(f.path, j.folder));
}

async function selectJournals(app: App, args: ResumeArgs | undefined, journals: JournalEntry[]): Promise<JournalEntry[]> {
  if (args?.journalId !== undefined) {
    const hit = journals.filter((j) => j.id === args.journalId);
    if (hit.length === 0) throw new CfRotateError('not-found', `There is no interrupted rotation ${args.journalId}.`, { hint: 'It may have been finished or discarded in another window.' });
    return hit;
  }
  if (args?.name !== undefined) {
    const folder = args.folder !== undefined ? app.configs.resolveFolder(args.folder)?.path ?? args.folder : undefined;
    const hit = journals.filter((j) => j.token === args.name && (folder === undefined || samePath(j.folder, folder)));
    if (hit.length === 0) throw new CfRotateError('not-found', `"${args.name}" has no interrupted rotation.`, { hint: 'It may have been finished or discarded in another window.' });
    return hit;
  }
  if (args?.all) return journals;
  const items = journals.map((j) => ({
    label: j.token,
    description: `${j.values ? 'new secret not yet in every file' : 'outcome unknown'} · ${path.basename(j.folder)}${inWorkspace(app, j) ? '' : ' (other workspace)'}`,
    detail: `started ${relativeTime(j.startedAt, Date.now())} → ${j.targets.map((t) => `${t.rel} › ${t.key}`).join(', ')}${j.lastError ? ` · last error: ${j.lastError}` : ''}`,
    picked: inWorkspace(app, j),
    j,
  }));
  const picked = await vscode.window.showQuickPick(items, { canPickMany: true, placeHolder: 'Select the interrupted rotations to finish', ignoreFocusOut: true, matchOnDetail: true });
  return (picked ?? []).map((p) => p.j);
}

async function discard(app: App, j: JournalEntry, ask: boolean): Promise<boolean> {
  if (ask) {
    const ok = await confirmModal(`Discard the interrupted rotation of "${j.token}"?`, discardWarning(j), 'Discard');
    if (!ok) return false;
  }
  await app.engine.discard(j.id);
  app.logger.warn(`Discarded the interrupted rotation of "${j.token}" (${j.folder}).`);
  return true;
}

async function resumeOne(app: App, j: JournalEntry, overwrite: boolean | undefined): Promise<RotationResult> {
  const run = (overwriteConflicts: boolean): Thenable<RotationResult> =>
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Finishing the rotation of "${j.token}"`, cancellable: false }, (progress) =>
      app.engine.resume(j.id, { overwriteConflicts, onProgress: (step) => progress.report({ message: STEP_TEXT[step] ?? step }) }),
    );
  let r = await run(overwrite ?? false);
  if (!r.ok && r.error?.kind === 'conflict' && overwrite === undefined) {
    const choice = await vscode.window.showWarningMessage(
      `"${j.token}": a target changed during the rotation.`,
      {
        modal: true,
        detail: `${r.error.message}\n\nOverwrite puts the new secret from Cloudflare into the file (the value there now is replaced). Discard forgets the new secret instead:\n${discardWarning(j)}`,
      },
      'Overwrite',
      'Discard',
    );
    if (choice === 'Overwrite') r = await run(true);
    else if (choice === 'Discard' && (await discard(app, j, true))) {
      return { ...r, state: 'failed', error: { kind: 'cancelled', message: `The interrupted rotation of "${j.token}" was discarded.` } };
    }
  }
  return r;
}

async function resume(app: App, raw: unknown): Promise<CommandRotationResult[] | undefined> {
  const args = parseArg(resumeArgsSchema, raw, COMMANDS.resumeInterrupted);
  ensureTrusted();
  const journals = await app.engine.interrupted();
  if (journals.length === 0) {
    if (args?.journalId !== undefined || args?.name !== undefined) throw new CfRotateError('not-found', 'There is no interrupted rotation to resume.', { hint: 'It may have been finished in another window.' });
    notifyInfo(app, 'There are no interrupted rotations.');
    await app.view.rebuild();
    return [];
  }
  const chosen = await selectJournals(app, args, journals);
  const out: CommandRotationResult[] = [];
  try {
    for (const j of chosen) {
      if (args?.discard) {
        if (await discard(app, j, false)) {
          out.push({ name: j.token, folder: j.folder, kind: j.kind, ok: true, state: 'cancelled', targets: j.targets.map((t) => `${t.rel} › ${t.key}`), warnings: ['discarded'] });
        }
        continue;
      }
      const r = await resumeOne(app, j, args?.overwriteConflicts);
      if (r.error?.kind !== 'cancelled') {
        if (!r.ok && (r.state === 'unknown' || r.state === 'pending')) {
          const actions: Action[] = [
            { title: 'Try Again', run: () => vscode.commands.executeCommand(COMMANDS.resumeInterrupted, { journalId: j.id }) },
            { title: 'Discard…', run: () => discard(app, j, true).then(() => app.view.rebuild()) },
          ];
          notifyError(app, undefined, new CfRotateError(r.error?.kind ?? 'internal', resultMessage(r)), actions);
        } else presentResult(app, r);
      }
      out.push(toPublic(r));
    }
  } finally {
    await app.view.rebuild();
  }
  return out;
}

/** On activation: offer to finish rotations interrupted in this workspace (once). */
export async function offerResume(app: App): Promise<void> {
  let journals: JournalEntry[];
  try {
    journals = (await app.engine.interrupted()).filter((j) => inWorkspace(app, j));
  } catch (e) {
    notifyError(app, 'Could not read the interrupted-rotation journals', e);
    return;
  }
  if (journals.length === 0) return;
  const names = journals.slice(0, 3).map((j) => `"${j.token}"`).join(', ') + (journals.length > 3 ? ', …' : '');
  const withSecret = journals.some((j) => j.values);
  notifyWarning(
    app,
    `${journals.length === 1 ? 'A rotation was' : `${journals.length} rotations were`} interrupted (${names}).${withSecret ? ' A new secret waits to be written into your files.' : ''} Finish ${journals.length === 1 ? 'it' : 'them'} now?`,
    [{ title: 'Resume', run: () => vscode.commands.executeCommand(COMMANDS.resumeInterrupted) }],
  );
}

// ---------------------------------------------------------------------------------- expire

async function expire(app: App, raw: unknown): Promise<{ name: string; folder: string; ok: boolean; error?: { kind: ErrorKind; message: string; hint?: string } } | undefined> {
  const args = parseArg(expireArgsSchema, raw, COMMANDS.expirePreviousSecret);
  ensureTrusted();
  const rt = await resolveToken(app, args, 'Select the Access service token whose previous secret should stop working', (t) => t.token.kind === 'access-service-token');
  if (!rt) return undefined;
  const { folder, token } = rt;
  if (token.kind !== 'access-service-token') {
    throw new CfRotateError('validation', `"${token.name}" is not an Access service token; only those keep a previous secret.`);
  }
  // Not governed by confirmBeforeRotate: only an explicit argument skips this question.
  if (args?.confirm !== false && args?.skipConfirm !== true) {
    const ok = await confirmModal(
      `Expire the previous client secret of "${token.name}" now?`,
      'Anything that still uses the previous secret stops working immediately. Do this once every client uses the new secret.',
      'Expire Now',
    );
    if (!ok) return { name: token.name, folder: folder.path, ok: false, error: { kind: 'cancelled', message: 'Cancelled.' } };
  }
  try {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Expiring the previous secret of "${token.name}"…` }, () =>
      app.engine.expirePreviousSecret(folder.path, token),
    );
  } catch (e) {
    const err = toCfRotateError(e);
    notifyError(app, `Could not expire the previous secret of "${token.name}"`, err);
    return { name: token.name, folder: folder.path, ok: false, error: { kind: err.kind, message: err.message, ...(err.hint ? { hint: err.hint } : {}) } };
  } finally {
    await app.view.rebuild();
  }
  notifyInfo(app, `The previous client secret of "${token.name}" no longer works; only the current one does.`);
  return { name: token.name, folder: folder.path, ok: true };
}

export function registerRotateCommands(app: App): vscode.Disposable[] {
  return [
    app.registerCommand(COMMANDS.rotate, (arg: unknown) => guarded(app, 'Rotation failed', () => rotate(app, arg))),
    app.registerCommand(COMMANDS.rotateAll, (arg: unknown) => guarded(app, 'Rotate all failed', () => rotateBatch(app, arg, 'all'))),
    app.registerCommand(COMMANDS.rotateDue, (arg: unknown) => guarded(app, 'Rotate due failed', () => rotateBatch(app, arg, 'due'))),
    app.registerCommand(COMMANDS.resumeInterrupted, (arg: unknown) => guarded(app, 'Resume failed', () => resume(app, arg))),
    app.registerCommand(COMMANDS.expirePreviousSecret, (arg: unknown) => guarded(app, 'Expire previous secret failed', () => expire(app, arg))),
  ];
}
