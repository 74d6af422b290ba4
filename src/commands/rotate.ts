/** rotate, rotateAll, rotateDue, resumeInterrupted, expirePreviousSecret. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CloudflareApi } from '../core/cloudflare/types';
import { fileTargets, targetLabel, type TokenConfig, type TokenKind } from '../core/config/schema';
import { stillOpenUntil, type RotationResult, type RotationState } from '../core/engine/engine';
import { heldResult, holderText, takeOverJournal } from '../core/engine/housekeeping';
import { unreadableJournalText, type JournalEntry, type UnreadableJournal } from '../core/engine/journal';
import { systemClock, type LockHolder } from '../core/ports';
import { mapLimit } from '../core/engine/queue';
import { plural } from '../core/l10n';
import type { ErrorKind } from '../core/errors';
import { CfRotateError, toCfRotateError } from '../core/errors';
import { NodeGit } from '../core/node/git';
import { redact } from '../core/redact';
import { dirtyDocumentsOf } from '../host/files';
import { addToGitignore, gitFileStatus, type GitFileStatus } from '../host/git';
import type { ResolvedToken } from '../host/configs';
import { samePath } from '../host/paths';
import { userGitPath } from '../host/services';
import { tokensToRotateWhenDue } from '../views/model';
import { BATCH_CONCURRENCY, BATCH_PROGRESS_INTERVAL_MS, COMMANDS } from '../constants';
import {
  askModal,
  ensureTrusted,
  guarded,
  localTime,
  notifyError,
  notifyInfo,
  notifyWarning,
  openTargetAction,
  pickText,
  resolveToken,
  showLogAction,
  userLocale,
  withProgressNotification,
  type Action,
  type App,
} from './app';
import {
  batchSummary,
  cloudflareLine,
  confirmBatchDetail,
  confirmRotateDetail,
  discardWarning,
  formatRelative,
  isCancelledBeforeCall,
  BATCH_LISTED,
  listedInBatch,
  resultMessage,
  stepText,
} from './describe';
import { coalesceReports } from './progress';
import { expireArgsSchema, parseArg, resumeArgsSchema, rotateArgsSchema, rotateBatchArgsSchema, type ResumeArgs } from './schemas';

/**
 * What rotate commands return: the engine's result (never a secret) without timing; `cancelled`
 * when the user declined, or cancelled before anything was sent to Cloudflare.
 */
export type CommandRotationResult = Omit<RotationResult, 'durationMs' | 'kind' | 'state'> & { kind?: TokenKind; state: RotationState | 'cancelled' };

export function toPublic(r: RotationResult): CommandRotationResult {
  return {
    name: r.name,
    folder: r.folder,
    kind: r.kind,
    ok: r.ok,
    state: isCancelledBeforeCall(r) ? 'cancelled' : r.state,
    targets: [...r.targets],
    ...(r.error ? { error: { kind: r.error.kind, message: redact(r.error.message), ...(r.error.hint ? { hint: redact(r.error.hint) } : {}) } } : {}),
    warnings: r.warnings.map(redact),
    ...(r.verified !== undefined ? { verified: r.verified } : {}),
    ...(r.notes?.length ? { notes: [...r.notes] } : {}),
    ...(r.graceUntil ? { graceUntil: r.graceUntil } : {}),
    ...(r.expiresAt ? { expiresAt: r.expiresAt } : {}),
    ...(r.checkAgainAt ? { checkAgainAt: r.checkAgainAt } : {}),
    ...(r.verdict ? { verdict: r.verdict } : {}),
    ...(r.tokenId ? { tokenId: r.tokenId } : {}),
    ...(r.retiresAt ? { retiresAt: r.retiresAt } : {}),
    ...(r.retired ? { retired: r.retired } : {}),
  };
}

/** A script (`confirm: false` / `skipConfirm: true`) gets no question at all: the engine's checks decide. */
function isScript(args: { confirm?: boolean | undefined; skipConfirm?: boolean | undefined } | undefined): boolean {
  return args?.confirm === false || args?.skipConfirm === true;
}

function skipConfirm(app: App, args: { confirm?: boolean | undefined; skipConfirm?: boolean | undefined } | undefined): boolean {
  return isScript(args) || !app.settings.confirmBeforeRotate();
}

function declined(token: TokenConfig, folder: string): CommandRotationResult {
  return { name: token.name, folder, kind: token.kind, ok: false, state: 'cancelled', targets: token.targets.map(targetLabel), warnings: [] };
}

function refusedResult(token: TokenConfig, folder: string, err: CfRotateError): CommandRotationResult {
  return { ...declined(token, folder), state: 'failed', error: { kind: err.kind, message: err.message, ...(err.hint ? { hint: err.hint } : {}) } };
}

type Item = { folder: string; token: TokenConfig };

// ------------------------------------------------------------------ before the question

interface TargetRef {
  folder: string;
  file: string;
}

/** What must happen before the rotation, offered in the confirmation (or its own question). */
interface Preparation {
  /** Open documents of targets with unsaved changes: saved first (Save and Rotate). */
  save: { doc: vscode.TextDocument; file: string }[];
  /** Targets git neither tracks nor ignores: added to .gitignore first (Add to .gitignore and Rotate). */
  gitignore: TargetRef[];
  /** Targets git tracks: the core refuses them; said before any question. */
  tracked: (TargetRef & { token: string })[];
}

const NOTHING_TO_PREPARE: Preparation = { save: [], gitignore: [], tracked: [] };

/** Target documents with unsaved changes (also an untitled editor with the target's path, also through a link). */
function dirtyTargets(items: readonly Item[]): Preparation['save'] {
  const docs = vscode.workspace.textDocuments;
  if (!docs.some((d) => d.isDirty)) return [];
  const out: Preparation['save'] = [];
  for (const { folder, token } of items) {
    for (const t of fileTargets(token)) {
      for (const doc of dirtyDocumentsOf(docs, path.resolve(folder, t.file))) {
        if (!out.some((o) => o.doc === doc)) out.push({ doc, file: t.file });
      }
    }
  }
  return out;
}

/** git's view of the targets (git by an absolute path outside the workspace; `git.path` from the user settings only). */
async function gitTargets(items: readonly Item[]): Promise<Pick<Preparation, 'gitignore' | 'tracked'>> {
  const git = new NodeGit({ configured: userGitPath() });
  const seen = new Set<string>();
  const jobs: Promise<{ ref: TargetRef & { token: string }; status: GitFileStatus | undefined }>[] = [];
  for (const { folder, token } of items) {
    for (const t of fileTargets(token)) {
      if (t.allowTracked === true) continue;
      const k = `${folder}\u0000${t.file}`;
      if (seen.has(k) || jobs.length >= 50) continue;
      seen.add(k);
      const ref = { folder, file: t.file, token: token.name };
      // No answer (no work tree, or git cannot say): the engine's git gate decides and says why.
      jobs.push(gitFileStatus(folder, t.file, git).then((status) => ({ ref, status }), () => ({ ref, status: undefined })));
    }
  }
  const out: Pick<Preparation, 'gitignore' | 'tracked'> = { gitignore: [], tracked: [] };
  for (const { ref, status } of await Promise.all(jobs)) {
    if (!status) continue;
    if (status.tracked) out.tracked.push(ref);
    else if (!status.ignored) out.gitignore.push({ folder: ref.folder, file: ref.file });
  }
  return out;
}

async function prepare(items: readonly Item[]): Promise<Preparation> {
  return { save: dirtyTargets(items), ...(await gitTargets(items)) };
}

function steps(p: Preparation): number {
  return p.save.length + p.gitignore.length;
}

/** The button that also does the preparation: "Save and Rotate", "Add to .gitignore and Rotate", … */
function rotateButton(p: Preparation): string {
  if (p.save.length > 0 && p.gitignore.length > 0) return vscode.l10n.t('Save, Add to .gitignore and Rotate');
  if (p.save.length > 0) return vscode.l10n.t('Save and Rotate');
  if (p.gitignore.length > 0) return vscode.l10n.t('Add to .gitignore and Rotate');
  return vscode.l10n.t('Rotate');
}

function uniqueFiles(refs: readonly { file: string }[]): string[] {
  return [...new Set(refs.map((r) => r.file))];
}

/** The "Before rotating" lines of the confirmation. */
function preparationLines(p: Preparation): string[] {
  if (steps(p) === 0) return [];
  const lines = ['', 'Before rotating:'];
  for (const f of uniqueFiles(p.save)) lines.push(`  • save ${f}: it has unsaved changes in an editor, which would hide the new secret (or overwrite it when saved later)`);
  for (const g of p.gitignore) lines.push(`  • add /${g.file.replace(/\\/g, '/')} to ${path.join(path.basename(g.folder), '.gitignore')}: git does not ignore it, and cf-rotate does not write a secret into a file git could commit`);
  if (p.gitignore.length > 0) lines.push('  (To keep a file out of .gitignore on purpose, add "allowTracked": true to its target in cf-rotate.json instead.)');
  return lines;
}

/** Without a confirmation (confirmBeforeRotate off), the preparation still needs a yes. */
async function askPreparation(p: Preparation, subject: string): Promise<boolean> {
  const save = uniqueFiles(p.save).join(', ');
  const ignore = uniqueFiles(p.gitignore).join(', ');
  const question =
    p.save.length > 0 && p.gitignore.length > 0
      ? vscode.l10n.t('Save {0} and add {1} to .gitignore before rotating {2}?', save, ignore, subject)
      : p.save.length > 0
        ? vscode.l10n.t('Save {0} before rotating {1}?', save, subject)
        : vscode.l10n.t('Add {0} to .gitignore before rotating {1}?', ignore, subject);
  const button = rotateButton(p);
  const choice = await askModal(question, `${preparationLines(p).slice(1).join('\n')}\n\n${vscode.l10n.t('Nothing has been rotated yet.')}`, button);
  return choice === button;
}

/** Saves and .gitignore entries, after the yes. An error here means nothing was rotated. */
async function applyPreparation(p: Preparation): Promise<CfRotateError | undefined> {
  for (const { doc, file } of p.save) {
    let saved = false;
    try {
      saved = await doc.save();
    } catch {
      saved = false;
    }
    if (!saved || doc.isDirty) {
      return new CfRotateError('file', vscode.l10n.t('Could not save {0}.', file), { hint: vscode.l10n.t('Save or revert it in the editor, then rotate again. Nothing was rotated.') });
    }
  }
  for (const g of p.gitignore) {
    try {
      await addToGitignore(g.folder, g.file);
    } catch (e) {
      const err = toCfRotateError(e, 'file');
      return new CfRotateError(err.kind, vscode.l10n.t('Could not add {0} to {1}: {2}', g.file, path.join(g.folder, '.gitignore'), err.message), {
        hint: vscode.l10n.t('Add /{0} to .gitignore yourself (or add "allowTracked": true to the target), then rotate again. Nothing was rotated.', g.file.replace(/\\/g, '/')),
      });
    }
  }
  return undefined;
}

function trackedError(t: TargetRef & { token: string }): CfRotateError {
  return new CfRotateError('file', vscode.l10n.t('{0} is tracked by git: the new secret of "{1}" would be committed with it. Nothing was rotated.', t.file, t.token), {
    hint: vscode.l10n.t('Untrack it (git rm --cached {0}) and add it to .gitignore, or add "allowTracked": true to this target in cf-rotate.json if the file must stay tracked.', t.file),
  });
}

/**
 * After a token was added: say what git would make the rotation refuse, and offer the fix.
 * (The core refuses a target that git tracks or does not ignore, unless it says "allowTracked".)
 */
export function offerGitNotices(app: App, items: readonly Item[]): void {
  void gitTargets(items).then(({ gitignore, tracked }) => {
    for (const t of tracked) notifyWarning(app, vscode.l10n.t('{0} is tracked by git: cf-rotate will refuse to write the secret of "{1}" into it. Untrack it (git rm --cached {2}) and add it to .gitignore, or add "allowTracked": true to the target.', t.file, t.token, t.file));
    if (gitignore.length === 0) return;
    const files = uniqueFiles(gitignore);
    const notIgnored = plural(
      files.length,
      vscode.l10n.t('{0} is not ignored by git: cf-rotate will refuse to write a secret into it until it is.', files.join(', ')),
      vscode.l10n.t('{0} are not ignored by git: cf-rotate will refuse to write a secret into them until they are.', files.join(', ')),
    );
    notifyWarning(app, notIgnored, [
      {
        title: vscode.l10n.t('Add to .gitignore'),
        run: async () => {
          const problem = await applyPreparation({ ...NOTHING_TO_PREPARE, gitignore });
          if (problem) notifyError(app, undefined, new CfRotateError(problem.kind, problem.message, { hint: problem.hint?.replace(/, then rotate again\. Nothing was rotated\.$/, '.') ?? '' }));
          else notifyInfo(app, vscode.l10n.t('Added {0} to .gitignore.', files.join(', ')));
        },
      },
    ]);
  });
}

// --------------------------------------------------------- what Cloudflare calls it

/** Per request, for the names shown in the confirmation: short, so a hung API never holds the dialog long. */
function readTimeoutMs(): number {
  const v = Number(process.env.CF_ROTATE_TIMEOUT);
  return Number.isFinite(v) && v >= 0.1 && v <= 10 ? Math.round(v * 1000) : 10_000;
}

async function cloudflareName(api: CloudflareApi, token: TokenConfig, signal: AbortSignal): Promise<string> {
  const opts = { signal, maxRetries: 0, timeoutMs: readTimeoutMs() };
  switch (token.kind) {
    case 'account-api-token':
      return (await api.getAccountToken(token.accountId, token.tokenId, opts)).name;
    case 'user-api-token':
      return (await api.getUserToken(token.tokenId, opts)).name;
    case 'access-service-token':
      return (await api.getServiceToken(token.accountId ? { accountId: token.accountId } : { zoneId: token.zoneId as string }, token.serviceTokenId, opts)).name;
    case 'moq-relay-token':
      return (await api.getMoqRelay(token.accountId, token.relayId, opts)).name;
    case 'turnstile-secret': {
      // The list, not GET: GET answers with the widget's secret, which a name has no need of.
      const w = (await api.listTurnstileWidgets(token.accountId, opts)).find((x) => x.sitekey === token.sitekey);
      if (!w) throw new CfRotateError('not-found', vscode.l10n.t('Cloudflare lists no Turnstile widget with sitekey {0} in account {1}.', token.sitekey, token.accountId));
      return w.name;
    }
    case 'oauth-client-secret':
      return (await api.getOAuthClient(token.accountId, token.clientId, opts)).name;
  }
}

/**
 * What Cloudflare calls each credential, for the confirmation ("Cloudflare: 'deploy (ci)' ·
 * token 3f2a…"): a repository can name an entry anything. A failed read is said, never blocks.
 */
async function cloudflareNames(app: App, items: readonly Item[]): Promise<Map<TokenConfig, string>> {
  const out = new Map<TokenConfig, string>();
  if (items.length === 0) return out;
  const title = items.length === 1 ? vscode.l10n.t('Reading "{0}" at Cloudflare…', (items[0] as Item).token.name) : vscode.l10n.t('Reading {0} credentials at Cloudflare…', items.length);
  await withProgressNotification(title, async (_report, signal) => {
    await mapLimit(items, 4, async ({ token }) => {
      try {
        const api = await app.clientFor(token.profile);
        out.set(token, cloudflareLine(token, { name: await cloudflareName(api, token, signal) }));
      } catch (e) {
        out.set(token, cloudflareLine(token, { error: signal.aborted ? vscode.l10n.t('not read: you cancelled the read') : toCfRotateError(e).message }));
      }
    });
  });
  return out;
}

// --------------------------------------------------------------------------- results

function firstTarget(r: Pick<RotationResult, 'targets'>): { file: string; key: string } | undefined {
  const t = r.targets[0];
  if (t === undefined) return undefined;
  const i = t.lastIndexOf(' › ');
  return i < 0 ? { file: t, key: '' } : { file: t.slice(0, i), key: t.slice(i + 3) };
}

/** Is an interrupted rotation of this token waiting (so that Resume has something to do)? */
async function hasInterrupted(app: App, r: Pick<RotationResult, 'name' | 'folder'>): Promise<boolean> {
  try {
    return (await app.engine.interrupted()).some((j) => j.token === r.name && samePath(j.folder, r.folder));
  } catch {
    return false;
  }
}

/**
 * The notification for one result (not awaited by the user; awaited here only for what it
 * offers). The engine logged the outcome already (every log line appears once), except for an
 * unfinished or unknown one, whose full text goes to the log here.
 */
export async function presentResult(app: App, r: RotationResult, opts: { cancelled?: boolean } = {}): Promise<void> {
  const ref = { name: r.name, folder: r.folder };
  const text = resultMessage(r, localTime);
  if (r.ok) {
    const actions: Action[] = [];
    const t = firstTarget(r);
    if (t) actions.push(openTargetAction(r.folder, t.file, t.key || undefined));
    if (r.kind === 'access-service-token' && r.graceUntil) {
      actions.push({ title: vscode.l10n.t('Expire Previous Secret'), run: () => vscode.commands.executeCommand(COMMANDS.expirePreviousSecret, ref) });
    }
    notifyInfo(app, opts.cancelled ? `${text} (It had finished before the cancellation could stop it.)` : text, actions, { log: false });
    if (r.warnings.length > 0) notifyWarning(app, vscode.l10n.t('"{0}": {1}', r.name, r.warnings.join(' ')), [], true, { log: false });
    return;
  }
  if (isCancelledBeforeCall(r)) {
    notifyInfo(app, text, [], { log: false }); // the engine logged the cancellation
    return;
  }
  const actions: Action[] = [];
  switch (r.state) {
    case 'lost':
      // The normal, confirmed path: cf-rotate.json may have changed since the first confirmation
      // (a pull, a branch switch), and the entry it holds at the click is the one that is rotated.
      actions.push({ title: vscode.l10n.t('Rotate Again'), run: () => vscode.commands.executeCommand(COMMANDS.rotate, ref) });
      break;
    case 'pending':
    case 'unknown':
      actions.push({ title: vscode.l10n.t('Resume'), run: () => vscode.commands.executeCommand(COMMANDS.resumeInterrupted, ref) });
      break;
    default:
      // Busy because an interrupted rotation waits: Resume finishes it. Busy because another
      // process is rotating: nothing to resume, wait.
      if (r.state === 'busy' && (await hasInterrupted(app, r))) actions.push({ title: vscode.l10n.t('Resume'), run: () => vscode.commands.executeCommand(COMMANDS.resumeInterrupted, ref) });
  }
  const unfinished = r.state === 'pending' || r.state === 'unknown';
  const message = opts.cancelled && unfinished ? vscode.l10n.t('Cancelled after the request was sent: {0}', text) : text;
  notifyError(app, undefined, new CfRotateError(r.error?.kind ?? 'internal', message), actions, { log: unfinished });
}

// --------------------------------------------------------------------------- rotate

/**
 * One engine call (rotate, resume) under a cancellable progress notification: its steps in words;
 * Cancel shows "Cancelling…" and calls `onCancel` (the caller words the result accordingly).
 */
function withEngineProgress(
  title: string,
  onCancel: () => void,
  call: (opts: { signal: AbortSignal; onProgress: (step: string) => void }) => Promise<RotationResult>,
): Thenable<RotationResult> {
  return withProgressNotification(title, (report, signal) => {
    signal.addEventListener(
      'abort',
      () => {
        onCancel();
        report('Cancelling…');
      },
      { once: true },
    );
    return call({ signal, onProgress: (step) => report(stepText(step, localTime)) });
  });
}

async function rotateOne(app: App, rt: ResolvedToken): Promise<{ result: RotationResult; cancelled: boolean }> {
  const ref = [{ folder: rt.folder.path, name: rt.token.name }];
  app.view.setRotating(ref, true);
  let cancelled = false;
  try {
    const result = await withEngineProgress(
      vscode.l10n.t('Rotating "{0}"', rt.token.name),
      () => (cancelled = true),
      (opts) => app.engine.rotate(rt.folder.path, rt.token, opts),
    );
    return { result, cancelled };
  } finally {
    app.view.setRotating(ref, false);
    await app.view.rebuild();
  }
}

async function rotate(app: App, raw: unknown): Promise<CommandRotationResult | undefined> {
  const args = parseArg(rotateArgsSchema, raw, COMMANDS.rotate);
  ensureTrusted();
  const rt = await resolveToken(app, args, vscode.l10n.t('Select the Cloudflare credential to rotate'));
  if (!rt) return undefined;
  const { folder, token } = rt;
  const items = [{ folder: folder.path, token }];
  const prep = isScript(args) ? NOTHING_TO_PREPARE : await prepare(items);
  const tracked = prep.tracked[0];
  if (tracked) {
    const err = trackedError(tracked);
    notifyError(app, vscode.l10n.t('"{0}" was not rotated', token.name), err, [{ title: vscode.l10n.t('Open Configuration'), run: () => vscode.commands.executeCommand(COMMANDS.openConfig, { folder: folder.path }) }]);
    return refusedResult(token, folder.path, err);
  }
  if (!skipConfirm(app, args)) {
    const names = await cloudflareNames(app, items);
    const detail = confirmRotateDetail(token, folder.name, app.settings.defaultGracePeriod(), Date.now(), { cloudflare: names.get(token), time: localTime });
    const button = rotateButton(prep);
    if ((await askModal(vscode.l10n.t('Rotate "{0}" now?', token.name), [detail, ...preparationLines(prep)].join('\n'), button)) !== button) return declined(token, folder.path);
  } else if (steps(prep) > 0 && !(await askPreparation(prep, `"${token.name}"`))) {
    return declined(token, folder.path);
  }
  const problem = await applyPreparation(prep);
  if (problem) {
    notifyError(app, vscode.l10n.t('"{0}" was not rotated', token.name), problem);
    return refusedResult(token, folder.path, problem);
  }
  const { result, cancelled } = await rotateOne(app, rt);
  await presentResult(app, result, { cancelled });
  return toPublic(result);
}

async function rotateBatch(app: App, raw: unknown, mode: 'all' | 'due'): Promise<CommandRotationResult[] | undefined> {
  const id = mode === 'all' ? COMMANDS.rotateAll : COMMANDS.rotateDue;
  const args = parseArg(rotateBatchArgsSchema, raw, id);
  ensureTrusted();
  await app.view.refresh();
  const folder = args?.folder !== undefined ? app.configs.resolveFolder(args.folder) : undefined;
  if (args?.folder !== undefined && !folder) throw new CfRotateError('not-found', vscode.l10n.t('There is no workspace folder "{0}".', args.folder));
  let items: ResolvedToken[] = app.configs.tokens();
  if (mode === 'due') {
    const due = new Set(tokensToRotateWhenDue(app.view.tree.roots()).map((n) => `${n.folder}\u0000${n.name}`));
    items = items.filter((rt) => due.has(`${rt.folder.path}\u0000${rt.token.name}`));
  }
  if (folder) items = items.filter((rt) => rt.folder.path === folder.path);
  if (items.length === 0) {
    const broken = app.configs.all().filter((s) => s.status === 'error');
    if (broken.length > 0) throw new CfRotateError('config', vscode.l10n.t('{0} is invalid.', broken.map((b) => b.configPath).join(', ')), { hint: vscode.l10n.t('Fix it (the Tokens view lists the problems), then try again.') });
    notifyInfo(app, mode === 'due' ? vscode.l10n.t('No Cloudflare credentials are due for rotation.') : vscode.l10n.t('No Cloudflare credentials are configured.'));
    return [];
  }
  const plain = items.map((rt) => ({ folder: rt.folder.path, token: rt.token }));
  // Tracked targets are refused by the engine, each with its reason in the results.
  const prep = isScript(args) ? NOTHING_TO_PREPARE : await prepare(plain);
  const n = items.length;
  const subject =
    mode === 'due' ? plural(n, vscode.l10n.t('{0} due credential', n), vscode.l10n.t('{0} due credentials', n)) : plural(n, vscode.l10n.t('{0} credential', n), vscode.l10n.t('{0} credentials', n));
  if (!skipConfirm(app, args)) {
    // What Cloudflare calls the first entries the dialog lists (one read each, before the dialog
    // appears: a batch of hundreds would wait for hundreds); the others are named by cf-rotate.json.
    const names = await cloudflareNames(app, listedInBatch(plain).slice(0, BATCH_LISTED));
    const detail = confirmBatchDetail(
      items.map((rt) => ({ token: rt.token, folderName: rt.folder.name, cloudflare: names.get(rt.token) })),
      app.settings.defaultGracePeriod(),
    );
    const button = rotateButton(prep);
    if ((await askModal(vscode.l10n.t('Rotate {0} now?', subject), [detail, ...preparationLines(prep)].join('\n'), button)) !== button) return [];
  } else if (steps(prep) > 0 && !(await askPreparation(prep, subject))) {
    return [];
  }
  const problem = await applyPreparation(prep);
  if (problem) {
    notifyError(app, vscode.l10n.t('No credential was rotated'), problem);
    return [];
  }
  const refs = items.map((rt) => ({ folder: rt.folder.path, name: rt.token.name }));
  app.view.setRotating(refs, true);
  let results: RotationResult[];
  let cancelled = false;
  try {
    results = await withProgressNotification(plural(items.length, vscode.l10n.t('Rotating {0} Cloudflare credential', items.length), vscode.l10n.t('Rotating {0} Cloudflare credentials', items.length)), async (sendReport, signal) => {
      // One report per finished rotation would be a message to the workbench and a redraw each: a
      // few a second show the same (the increments are summed); a wait or a cancel shows at once.
      const { report, urgent, flush } = coalesceReports(sendReport, BATCH_PROGRESS_INTERVAL_MS);
      let done = 0;
      let phase = '';
      const message = (): string => [vscode.l10n.t('{0}/{1} done', done, items.length), cancelled ? vscode.l10n.t('cancelling: no new rotation starts') : '', phase].filter(Boolean).join(' · ');
      signal.addEventListener(
        'abort',
        () => {
          cancelled = true;
          urgent(message());
        },
        { once: true },
      );
      urgent(message());
      try {
        return await app.engine.rotateMany(plain, {
          concurrency: args?.concurrency ?? BATCH_CONCURRENCY,
          // Stops starting new rotations; one that has started is finished (never cut in half).
          signal,
          onProgress: (step) => {
            // Only the slow phases are worth a line of their own in a batch.
            if (step.startsWith('waiting:') || step.startsWith('probing:')) {
              phase = stepText(step, localTime);
              urgent(message());
            }
          },
          onResult: (r) => {
            done++;
            phase = '';
            app.view.setRotating([{ folder: r.folder, name: r.name }], false);
            report(`${message()} · ${r.name} ${r.ok ? 'done' : isCancelledBeforeCall(r) ? 'not started' : 'failed'}`, 100 / items.length);
          },
        });
      } finally {
        flush();
      }
    });
  } finally {
    app.view.setRotating(refs, false);
    await app.view.rebuild();
  }
  // The engine logged every outcome; the summary is one more line.
  const failed = results.filter((r) => !r.ok && !isCancelledBeforeCall(r));
  const notStarted = results.filter((r) => isCancelledBeforeCall(r));
  if (failed.length === 0) {
    notifyInfo(app, batchSummary(results), [showLogAction(app)]);
  } else if (failed.length === 1 && notStarted.length === 0) {
    await presentResult(app, failed[0] as RotationResult, { cancelled });
  } else {
    const actions: Action[] = [];
    if (failed.some((r) => r.state === 'pending' || r.state === 'unknown')) actions.push({ title: vscode.l10n.t('Resume'), run: () => vscode.commands.executeCommand(COMMANDS.resumeInterrupted) });
    notifyError(app, undefined, new CfRotateError('internal', batchSummary(results), { hint: vscode.l10n.t('The log lists the reason for each.') }), actions);
  }
  const warned = results.filter((r) => r.ok && r.warnings.length > 0);
  if (warned.length > 0) notifyWarning(app, warned.map((r) => `"${r.name}": ${r.warnings.join(' ')}`).join(' '), [], true, { log: false });
  return results.map(toPublic);
}

// ---------------------------------------------------------------------------- resume

function inWorkspace(app: App, j: JournalEntry): boolean {
  // An interrupted rotation of an admin credential (folder '') is finished in any window.
  return j.store !== undefined || app.configs.folders().some((f) => samePath(f.path, j.folder));
}

/** A rotation whose lock a process this machine cannot check still holds (`Journal.waiting`). */
interface Held {
  entry: JournalEntry;
  holder: LockHolder;
}

/**
 * Take over a rotation held by a process this machine cannot check: asked first (unless
 * `takeOver` says), then its lock is broken; the resume that follows breaks such a process's
 * target-file locks too. 'not now': the user said yes, but another process holds it now.
 */
async function takeOverHeld(app: App, h: Held, takeOver: boolean | undefined): Promise<'taken' | 'declined' | 'not now'> {
  if (takeOver === false) return 'declined';
  if (takeOver !== true) {
    const button = vscode.l10n.t('Take Over');
    const detail = `${vscode.l10n.t('It is held by {0}; this machine cannot tell whether that process still runs.', holderText(h.holder, localTime))}\n\n${vscode.l10n.t('Take it over only if that process is gone (it ran on another machine or in a rebuilt dev container, or its pid was reused): one that still runs could write the same files again.')}`;
    if ((await askModal(vscode.l10n.t('Take over the interrupted rotation of "{0}"?', h.entry.token), detail, button)) !== button) return 'declined';
  }
  return (await takeOverJournal(app.engine.journal, h.entry, app.logger)) ? 'taken' : 'not now';
}

async function selectJournals(app: App, args: ResumeArgs | undefined, journals: JournalEntry[], held: ReadonlyMap<string, LockHolder> = new Map()): Promise<JournalEntry[]> {
  if (args?.journalId !== undefined) {
    const hit = journals.filter((j) => j.id === args.journalId);
    if (hit.length === 0) throw new CfRotateError('not-found', vscode.l10n.t('There is no interrupted rotation {0}.', args.journalId), { hint: vscode.l10n.t('It may have been finished or discarded in another window.') });
    return hit;
  }
  if (args?.name !== undefined) {
    const folder = args.folder !== undefined ? app.configs.resolveFolder(args.folder)?.path ?? args.folder : undefined;
    const hit = journals.filter((j) => j.token === args.name && (folder === undefined || samePath(j.folder, folder)));
    if (hit.length === 0) throw new CfRotateError('not-found', vscode.l10n.t('"{0}" has no interrupted rotation.', args.name), { hint: vscode.l10n.t('It may have been finished or discarded in another window.') });
    return hit;
  }
  if (args?.all) return journals;
  const now = Date.now();
  const items = journals.map((j) => {
    const holder = held.get(j.id);
    return {
      label: pickText(j.token),
      description: pickText(`${j.values ? 'new secret not yet in every file' : 'outcome unknown'} · ${path.basename(j.folder)}${inWorkspace(app, j) ? '' : ' (other workspace)'}${holder ? ` · held by ${holderText(holder, localTime)}` : ''}`),
      detail: pickText(`started ${formatRelative(j.startedAt, now, userLocale())} → ${j.targets.map((t) => `${t.rel} › ${t.key}`).join(', ')}${j.lastError ? ` · last error: ${j.lastError}` : ''}`),
      // One held by a process that may still run is offered, never chosen for the user.
      picked: inWorkspace(app, j) && holder === undefined,
      j,
    };
  });
  const picked = await vscode.window.showQuickPick(items, { canPickMany: true, placeHolder: vscode.l10n.t('Select the interrupted rotations to finish'), ignoreFocusOut: true, matchOnDetail: true });
  return (picked ?? []).map((p) => p.j);
}

async function discard(app: App, j: JournalEntry, ask: boolean): Promise<boolean> {
  const button = vscode.l10n.t('Discard');
  if (ask && (await askModal(vscode.l10n.t('Discard the interrupted rotation of "{0}"?', j.token), discardWarning(j), button)) !== button) return false;
  await app.engine.discard(j.id); // the engine logs it (and records it in the history)
  return true;
}

async function resumeOne(app: App, j: JournalEntry, overwrite: boolean | undefined, takeOver = false): Promise<{ result: RotationResult; cancelled: boolean }> {
  let cancelled = false;
  const run = (overwriteConflicts: boolean): Thenable<RotationResult> =>
    withEngineProgress(
      vscode.l10n.t('Finishing the rotation of "{0}"', j.token),
      () => (cancelled = true),
      (opts) => app.engine.resume(j.id, { overwriteConflicts, takeOver, ...opts }),
    );
  let r = await run(overwrite ?? false);
  if (!r.ok && r.error?.kind === 'conflict' && overwrite === undefined) {
    const overwriteButton = vscode.l10n.t('Overwrite');
    const discardButton = vscode.l10n.t('Discard');
    const choice = await askModal(
      vscode.l10n.t('"{0}": a target changed during the rotation.', j.token),
      `${r.error.message}\n\n${vscode.l10n.t('Overwrite puts the new secret from Cloudflare into the file (the value there now is replaced). Discard forgets the new secret instead:')}\n${discardWarning(j)}`,
      overwriteButton,
      discardButton,
    );
    if (choice === overwriteButton) r = await run(true);
    else if (choice === discardButton && (await discard(app, j, true))) {
      return { result: { ...r, state: 'failed', error: { kind: 'cancelled', message: vscode.l10n.t('The interrupted rotation of "{0}" was discarded.', j.token) } }, cancelled };
    }
  }
  return { result: r, cancelled };
}

async function resume(app: App, raw: unknown): Promise<CommandRotationResult[] | undefined> {
  const args = parseArg(resumeArgsSchema, raw, COMMANDS.resumeInterrupted);
  ensureTrusted();
  // One pass over the journal: the interrupted rotations, and those held by a process this machine
  // cannot check (another host, a rebuilt dev container), offered too since one may hold a new
  // secret whose process is gone; taken over only when the user says so (never discarded here).
  const waiting = await app.engine.journal.waiting();
  const journals = waiting.flatMap((w) => (w.holder ? [] : [w.entry]));
  const held = args?.discard ? [] : waiting.flatMap(({ entry, holder }) => (holder ? [{ entry, holder }] : []));
  if (journals.length === 0 && held.length === 0) {
    if (args?.journalId !== undefined || args?.name !== undefined) throw new CfRotateError('not-found', vscode.l10n.t('There is no interrupted rotation to resume.'), { hint: vscode.l10n.t('It may have been finished in another window.') });
    notifyInfo(app, vscode.l10n.t('There are no interrupted rotations.'));
    await app.view.rebuild();
    return [];
  }
  const heldById = new Map(held.map((h) => [h.entry.id, h.holder]));
  // `all` finishes what nobody may be working on; a held rotation only when named or picked.
  const chosen = args?.all && args.takeOver !== true ? await selectJournals(app, args, journals) : await selectJournals(app, args, [...journals, ...held.map((h) => h.entry)], heldById);
  const out: CommandRotationResult[] = [];
  try {
    for (const j of chosen) {
      const holder = heldById.get(j.id);
      const takenOver = holder ? await takeOverHeld(app, { entry: j, holder }, args?.takeOver) : undefined;
      if (holder && takenOver !== 'taken') {
        const r = heldResult(j, holder, { triedTakeOver: takenOver === 'not now', time: localTime });
        notifyWarning(app, `${r.error?.message ?? ''} ${r.error?.hint ?? ''}`); // l10n-exempt: both parts are localised in heldResult
        out.push(toPublic(r));
        continue;
      }
      if (args?.discard) {
        if (await discard(app, j, false)) {
          out.push({ name: j.token, folder: j.folder, kind: j.kind, ok: true, state: 'cancelled', targets: j.targets.map((t) => `${t.rel} › ${t.key}`), warnings: ['discarded'] });
        }
        continue;
      }
      const { result: r, cancelled } = await resumeOne(app, j, args?.overwriteConflicts, holder !== undefined);
      if (r.error?.kind !== 'cancelled') {
        if (!r.ok && (r.state === 'unknown' || r.state === 'pending')) {
          const actions: Action[] = [{ title: vscode.l10n.t('Try Again'), run: () => vscode.commands.executeCommand(COMMANDS.resumeInterrupted, { journalId: j.id }) }];
          // Not while its call may still take effect at Cloudflare: the engine refuses that discard (the message says until when).
          if (stillOpenUntil(j, Date.now(), systemClock.sinceBoot?.()) === undefined) actions.push({ title: vscode.l10n.t('Discard…'), run: () => discard(app, j, true).then(() => app.view.rebuild()) });
          notifyError(app, undefined, new CfRotateError(r.error?.kind ?? 'internal', `${cancelled ? 'Cancelled: ' : ''}${resultMessage(r, localTime)}`), actions);
        } else await presentResult(app, r, { cancelled });
      }
      out.push(toPublic(r));
    }
  } finally {
    await app.view.rebuild();
  }
  return out;
}

/** On activation: offer to finish rotations interrupted in this workspace (once). */
export async function offerResume(app: App, found?: { interrupted: readonly JournalEntry[]; unreadable: readonly UnreadableJournal[] }): Promise<void> {
  let journals: JournalEntry[];
  let unreadable: UnreadableJournal[];
  try {
    // `found`: what the caller has just read (activation), not read again.
    journals = (found?.interrupted ?? (await app.engine.interrupted())).filter((j) => inWorkspace(app, j));
    unreadable = (found?.unreadable ?? (await app.state.unreadable())).filter((u) => u.folder === undefined || u.folder === '' || app.configs.folders().some((f) => samePath(f.path, u.folder as string)));
  } catch (e) {
    notifyError(app, vscode.l10n.t('Could not read the interrupted-rotation journals'), e);
    return;
  }
  // Entries a newer cf-rotate made (or damaged ones) may hold a new secret: say so, touch nothing.
  for (const u of unreadable) notifyWarning(app, unreadableJournalText(u));
  if (journals.length === 0) return;
  const names = journals.slice(0, 3).map((j) => `"${j.token}"`).join(', ') + (journals.length > 3 ? ', …' : '');
  const withSecret = journals.some((j) => j.values);
  notifyWarning(
    app,
    withSecret
      ? plural(
          journals.length,
          vscode.l10n.t({ message: 'A rotation was interrupted ({1}). A new secret waits to be written into your files. Finish it now?', args: [journals.length, names], comment: ['{0}: the number of rotations (one), for languages whose "one" form names it'] }),
          vscode.l10n.t('{0} rotations were interrupted ({1}). A new secret waits to be written into your files. Finish them now?', journals.length, names),
        )
      : plural(
          journals.length,
          vscode.l10n.t({ message: 'A rotation was interrupted ({1}). Finish it now?', args: [journals.length, names], comment: ['{0}: the number of rotations (one), for languages whose "one" form names it'] }),
          vscode.l10n.t('{0} rotations were interrupted ({1}). Finish them now?', journals.length, names),
        ),
    [{ title: vscode.l10n.t('Resume'), run: () => vscode.commands.executeCommand(COMMANDS.resumeInterrupted) }],
  );
}

// ---------------------------------------------------------------------------- expire

async function expire(app: App, raw: unknown): Promise<{ name: string; folder: string; ok: boolean; error?: { kind: ErrorKind; message: string; hint?: string } } | undefined> {
  const args = parseArg(expireArgsSchema, raw, COMMANDS.expirePreviousSecret);
  ensureTrusted();
  const rt = await resolveToken(app, args, vscode.l10n.t('Select the Access service token whose previous secret should stop working'), (t) => t.token.kind === 'access-service-token');
  if (!rt) return undefined;
  const { folder, token } = rt;
  if (token.kind !== 'access-service-token') {
    throw new CfRotateError('validation', vscode.l10n.t('"{0}" is not an Access service token; only those keep a previous secret.', token.name));
  }
  // Not governed by confirmBeforeRotate: only an explicit argument skips this question.
  if (args?.confirm !== false && args?.skipConfirm !== true) {
    const expireButton = vscode.l10n.t('Expire Now');
    const ok =
      (await askModal(
        vscode.l10n.t('Expire the previous client secret of "{0}" now?', token.name),
        vscode.l10n.t('Anything that still uses the previous secret stops working immediately. Do this once every client uses the new secret.'),
        expireButton,
      )) === expireButton;
    if (!ok) return { name: token.name, folder: folder.path, ok: false, error: { kind: 'cancelled', message: vscode.l10n.t('Cancelled.') } };
  }
  try {
    // One short request that cannot be taken back half-way: not cancellable.
    await withProgressNotification(vscode.l10n.t('Expiring the previous secret of "{0}"…', token.name), () => app.engine.expirePreviousSecret(folder.path, token), { cancellable: false });
  } catch (e) {
    const err = toCfRotateError(e);
    notifyError(app, vscode.l10n.t('Could not expire the previous secret of "{0}"', token.name), err);
    return { name: token.name, folder: folder.path, ok: false, error: { kind: err.kind, message: err.message, ...(err.hint ? { hint: err.hint } : {}) } };
  } finally {
    await app.view.rebuild();
  }
  notifyInfo(app, vscode.l10n.t('The previous client secret of "{0}" no longer works; only the current one does.', token.name));
  return { name: token.name, folder: folder.path, ok: true };
}

export function registerRotateCommands(app: App): vscode.Disposable[] {
  // Everything these commands throw happens before the engine is called: nothing was rotated.
  const unchanged = { unchanged: vscode.l10n.t('Nothing was rotated.') };
  return [
    app.registerCommand(COMMANDS.rotate, (arg: unknown) => guarded(app, vscode.l10n.t('Rotation failed'), () => rotate(app, arg), unchanged)),
    app.registerCommand(COMMANDS.rotateAll, (arg: unknown) => guarded(app, vscode.l10n.t('Rotate all failed'), () => rotateBatch(app, arg, 'all'), unchanged)),
    app.registerCommand(COMMANDS.rotateDue, (arg: unknown) => guarded(app, vscode.l10n.t('Rotate due failed'), () => rotateBatch(app, arg, 'due'), unchanged)),
    app.registerCommand(COMMANDS.resumeInterrupted, (arg: unknown) => guarded(app, vscode.l10n.t('Resume failed'), () => resume(app, arg))),
    app.registerCommand(COMMANDS.expirePreviousSecret, (arg: unknown) => guarded(app, vscode.l10n.t('Expire previous secret failed'), () => expire(app, arg))),
  ];
}
