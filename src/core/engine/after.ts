/**
 * The steps of a journaled rotation after its targets are written and verified (see engine.ts):
 *
 *  1. `config` (API tokens, `strategy: "replace"`): cf-rotate.json's `tokenId` becomes the twin's
 *     id — a JSONC edit through the checked writer, refused when the file changed since the
 *     rotation began (its hash then) unless the user says to overwrite; already done on resume
 *     when the entry names the twin.
 *  2. `store` (the admin credential rotated): the new value becomes the profile's stored credential
 *     (the journal holds it until this succeeded).
 *  3. `retire`: the previous credential's retirement is recorded (durable), due after the overlap.
 *
 * Each step is idempotent, so a resume repeats what a kill interrupted. A step that cannot be done
 * leaves the rotation pending (the journal entry stays) with what to do.
 */
import * as l10n from '@vscode/l10n';
import { CfRotateError, toCfRotateError } from '../errors';
import type { Clock, Files, Locks, Logger } from '../ports';
import type { KeyedQueue } from './queue';
import { journalKey } from './journal';
import { CONFIG_RULES } from '../config/load';
import { configFingerprint, setTokenId, tokenIdOf } from '../config/edit';
import type { TokenConfig } from '../config/schema';
import { retirementLabel, type Retirement, type Retirements } from '../retire';
import { cap, wording } from '../wording';
import type { Checkpoint, EngineDeps } from './engine';
import type { JournalEntry } from './journal';
import { hashValue } from './targets';

export { adminTokenName } from './housekeeping';

const decode = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

/**
 * Before a `replace`: cf-rotate.json must exist, be saved, and name this token for this entry.
 * Its hash is journaled with the intent.
 */
export async function configStep(files: Files, folder: string, rel: string, token: TokenConfig): Promise<NonNullable<JournalEntry['config']>> {
  // l10n-exempt: a type guard: strategyOf gives "replace" only for API tokens
  if (token.kind !== 'account-api-token' && token.kind !== 'user-api-token') throw new CfRotateError('internal', `"${token.name}" is not an API token.`);
  const r = await files.read(folder, rel, CONFIG_RULES);
  if (!r) {
    throw new CfRotateError('config', l10n.t('"{0}" uses "strategy": "replace", which points its "tokenId" at the new token in {1}, but {1} was not found in {2}.', token.name, rel, folder), {
      hint: l10n.t('Rotate it with the configuration file it comes from (CLI: --config FILE). Nothing was rotated.'),
    });
  }
  if (files.isDirty?.(r.file.real)) {
    throw new CfRotateError('file', l10n.t('{0} has unsaved changes in an editor: "strategy": "replace" rewrites its "tokenId" of "{1}".', rel, token.name), {
      hint: l10n.t('Save or revert it, then rotate again. Nothing was rotated.'),
    });
  }
  const text = decode(r.bytes);
  const named = tokenIdOf(text, token.name);
  if (named === undefined || named.toLowerCase() !== token.tokenId.toLowerCase()) {
    throw new CfRotateError('config', named === undefined ? l10n.t('{0} does not name token {1} for "{2}" (it has no such entry): it changed since it was read.', rel, token.tokenId, token.name) : l10n.t('{0} does not name token {1} for "{2}" (it names {3}): it changed since it was read.', rel, token.tokenId, token.name, named), {
      hint: l10n.t('Reload the configuration (Refresh) and rotate again. Nothing was rotated.'),
    });
  }
  return { rel, hash: hashValue(configFingerprint(text)), previousTokenId: token.tokenId };
}

export interface AfterContext {
  files: Files;
  /** cf-rotate.json is read, edited and written under its machine-wide lock, one edit at a time in this process. */
  locks: Locks;
  queue: KeyedQueue;
  fileLockWaitMs: number;
  retirements: Retirements;
  sink: EngineDeps['credentialSink'];
  clock: Clock;
  logger: Logger;
  checkpoint: ((p: Checkpoint, token: string) => void | Promise<void>) | undefined;
  /** resume --overwrite-conflicts: make the one `tokenId` edit in a cf-rotate.json that changed meanwhile. */
  overwrite: boolean;
  /** Cloudflare refused the new value: the previous credential is kept (no retirement). */
  rejected: boolean;
  /** After the admin credential was stored (cached API clients are stale). */
  onStored: () => void;
}

export interface AfterTargets {
  /** A step could not be done: the rotation stays pending (journal kept). */
  pending?: CfRotateError;
  warnings: string[];
  /** The retirement recorded (or already recorded) by this rotation. */
  retirement?: Retirement;
}

export async function runAfterTargets(entry: JournalEntry, ctx: AfterContext): Promise<AfterTargets> {
  const warnings: string[] = [];
  if (entry.config) {
    try {
      await applyConfig(entry, ctx);
    } catch (e) {
      return { pending: toCfRotateError(e, 'file'), warnings };
    }
    await ctx.checkpoint?.('config-written', entry.token);
  }
  if (entry.store) {
    const value = entry.values?.token;
    if (!ctx.sink) {
      return {
        pending: new CfRotateError('validation', l10n.t('The new admin token of profile "{0}" is safe in the journal, but only VS Code stores admin credentials.', entry.store.profile), {
          hint: l10n.t('Finish it in VS Code: "Cloudflare Rotate: Resume Interrupted Rotation…".'),
        }),
        warnings,
      };
    }
    if (value === undefined) return { pending: new CfRotateError('internal', l10n.t('The journal of "{0}" holds no new token to store.', entry.token)), warnings };
    try {
      await ctx.sink.set(entry.store.profile, { type: 'api-token', token: value, ...(entry.store.accountId ? { accountId: entry.store.accountId } : {}) });
    } catch (e) {
      const err = toCfRotateError(e, 'internal');
      return {
        pending: new CfRotateError(err.kind, l10n.t('The new admin token of profile "{0}" works, but storing it failed: {1}', entry.store.profile, err.message), {
          hint: entry.retire ? l10n.t('It is safe in the journal: {0} to store it.', wording().resume()) : l10n.t('It is safe in the journal: {0} to store it. The previous value no longer works.', wording().resume()),
        }),
        warnings,
      };
    }
    ctx.onStored();
    await ctx.checkpoint?.('credential-stored', entry.token);
  }
  let retirement: Retirement | undefined;
  if (entry.retire) {
    if (ctx.rejected) {
      warnings.push(l10n.t('{0} was kept (not scheduled for deletion), since Cloudflare does not accept the new value; delete it yourself once the new one works.', cap(retirementLabel({ kind: entry.kind, resource: entry.retire.resource, name: entry.token, admin: entry.retire.admin, profile: entry.store?.profile ?? entry.profile }))));
    } else {
      const now = ctx.clock.now();
      retirement = await ctx.retirements.record({
        kind: entry.kind,
        resource: entry.retire.resource,
        name: entry.token,
        folder: entry.folder,
        profile: entry.store?.profile ?? entry.profile,
        ...(entry.retire.admin ? { admin: true } : {}),
        createdAt: now,
        dueAt: now + entry.retire.overlapMs,
        rotation: entry.owner,
      });
      await ctx.checkpoint?.('retirement-recorded', entry.token);
    }
  }
  return { warnings, ...(retirement ? { retirement } : {}) };
}

async function applyConfig(entry: JournalEntry, ctx: AfterContext): Promise<void> {
  const c = entry.config as NonNullable<JournalEntry['config']>;
  const to = entry.received?.tokenId;
  if (to === undefined) throw new CfRotateError('internal', l10n.t('The journal of "{0}" does not name the new token.', entry.token));
  const set = l10n.t('Set "tokenId" of "{0}" to "{1}" in {2} yourself, then {3}', entry.token, to, c.rel, wording().resume());
  const r = await ctx.files.read(entry.folder, c.rel, CONFIG_RULES);
  if (!r) {
    throw new CfRotateError('config', l10n.t('The new token {0} of "{1}" is in every target and works, but {2} is gone, so it could not be pointed at it.', to, entry.token, c.rel), { hint: l10n.t('{0}. The previous token {1} keeps working meanwhile.', set, c.previousTokenId) });
  }
  if (ctx.files.isDirty?.(r.file.real)) {
    throw new CfRotateError('file', l10n.t('The new token {0} of "{1}" is in every target and works, but {2} has unsaved changes in an editor.', to, entry.token, c.rel), { hint: l10n.t('Save or revert it, then {0}: it sets "tokenId" to the new token.', wording().resume()) });
  }
  // One edit at a time (two replace rotations of one file in one run; another process).
  await ctx.queue.run(r.file.real, async () => {
    const lease = await ctx.locks.acquire(`file-${journalKey(r.file.real)}`, l10n.t('editing {0}', c.rel), { waitMs: ctx.fileLockWaitMs });
    try {
      await editConfig(entry, ctx, c, to, set);
    } finally {
      await lease.release();
    }
  });
}

async function editConfig(entry: JournalEntry, ctx: AfterContext, c: NonNullable<JournalEntry['config']>, to: string, set: string): Promise<void> {
  // Read again under the lock: the text another edit just wrote.
  const r = await ctx.files.read(entry.folder, c.rel, CONFIG_RULES);
  if (!r) throw new CfRotateError('config', l10n.t('The new token {0} of "{1}" is in every target and works, but {2} is gone, so it could not be pointed at it.', to, entry.token, c.rel), { hint: l10n.t('{0}. The previous token {1} keeps working meanwhile.', set, c.previousTokenId) });
  const text = decode(r.bytes);
  const edit = setTokenId(text, entry.token, c.previousTokenId, to);
  if (edit.state === 'already') return;
  if (edit.state === 'missing') {
    throw new CfRotateError('conflict', edit.found ? l10n.t('The new token {0} of "{1}" is in every target and works, but {2} no longer has an entry "{1}" with "tokenId" {3} (it names {4}).', to, entry.token, c.rel, c.previousTokenId, edit.found) : l10n.t('The new token {0} of "{1}" is in every target and works, but {2} no longer has an entry "{1}" with "tokenId" {3}.', to, entry.token, c.rel, c.previousTokenId), {
      hint: l10n.t('{0}. The previous token {1} keeps working until it is deleted.', set, c.previousTokenId),
    });
  }
  if (hashValue(configFingerprint(text)) !== c.hash && !ctx.overwrite) {
    throw new CfRotateError('conflict', l10n.t('The new token {0} of "{1}" is in every target and works, but {2} changed since the rotation began, so cf-rotate did not rewrite it.', to, entry.token, c.rel), {
      hint: l10n.t('{0} — or {1} to let cf-rotate make just that edit in the changed file. The previous token {2} keeps working meanwhile.', set, wording().resumeOverwrite(), c.previousTokenId),
    });
  }
  await ctx.files.write(entry.folder, c.rel, Buffer.from(edit.text, 'utf8'), CONFIG_RULES);
  const back = await ctx.files.read(entry.folder, c.rel, CONFIG_RULES);
  if (!back || tokenIdOf(decode(back.bytes), entry.token)?.toLowerCase() !== to.toLowerCase()) {
    throw new CfRotateError('file', l10n.t('{0} did not keep the new "tokenId" of "{1}" after writing.', c.rel, entry.token), { hint: l10n.t('Check the disk, then {0}.', wording().resume()) });
  }
  ctx.logger.info(`${c.rel}: "${entry.token}" now names token ${to} (was ${c.previousTokenId}).`);
}
