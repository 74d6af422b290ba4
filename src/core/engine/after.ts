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
import { CfRotateError, toCfRotateError } from '../errors';
import type { Clock, Files, Locks, Logger } from '../ports';
import type { KeyedQueue } from './queue';
import { journalKey } from './journal';
import { MAX_CONFIG_BYTES } from '../config/load';
import { configFingerprint, setTokenId, tokenIdOf } from '../config/edit';
import type { TokenConfig } from '../config/schema';
import { retirementLabel, type Retirement, type Retirements } from '../retire';
import { cap, wording } from '../wording';
import type { Checkpoint, EngineDeps } from './engine';
import type { JournalEntry } from './journal';
import { hashValue } from './targets';

/** How cf-rotate.json is read and written: inside the folder, never under .git, at most 1 MiB. */
export const CONFIG_RULES = { denyGitDir: true, maxBytes: MAX_CONFIG_BYTES } as const;

export { adminTokenName } from './housekeeping';

const decode = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

/**
 * Before a `replace`: cf-rotate.json must exist, be saved, and name this token for this entry.
 * Its hash is journaled with the intent.
 */
export async function configStep(files: Files, folder: string, rel: string, token: TokenConfig): Promise<NonNullable<JournalEntry['config']>> {
  if (token.kind !== 'account-api-token' && token.kind !== 'user-api-token') throw new CfRotateError('internal', `"${token.name}" is not an API token.`);
  const r = await files.read(folder, rel, CONFIG_RULES);
  if (!r) {
    throw new CfRotateError('config', `"${token.name}" uses "strategy": "replace", which points its "tokenId" at the new token in ${rel}, but ${rel} was not found in ${folder}.`, {
      hint: 'Rotate it with the configuration file it comes from (CLI: --config FILE). Nothing was rotated.',
    });
  }
  if (files.isDirty?.(r.file.real)) {
    throw new CfRotateError('file', `${rel} has unsaved changes in an editor: "strategy": "replace" rewrites its "tokenId" of "${token.name}".`, {
      hint: 'Save or revert it, then rotate again. Nothing was rotated.',
    });
  }
  const text = decode(r.bytes);
  const named = tokenIdOf(text, token.name);
  if (named === undefined || named.toLowerCase() !== token.tokenId.toLowerCase()) {
    throw new CfRotateError('config', `${rel} does not name token ${token.tokenId} for "${token.name}" (it ${named === undefined ? 'has no such entry' : `names ${named}`}): it changed since it was read.`, {
      hint: 'Reload the configuration (Refresh) and rotate again. Nothing was rotated.',
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
        pending: new CfRotateError('validation', `The new admin token of profile "${entry.store.profile}" is safe in the journal, but only VS Code stores admin credentials.`, {
          hint: 'Finish it in VS Code: "Cloudflare Rotate: Resume Interrupted Rotation…".',
        }),
        warnings,
      };
    }
    if (value === undefined) return { pending: new CfRotateError('internal', `The journal of "${entry.token}" holds no new token to store.`), warnings };
    try {
      await ctx.sink.set(entry.store.profile, { type: 'api-token', token: value, ...(entry.store.accountId ? { accountId: entry.store.accountId } : {}) });
    } catch (e) {
      const err = toCfRotateError(e, 'internal');
      return {
        pending: new CfRotateError(err.kind, `The new admin token of profile "${entry.store.profile}" works, but storing it failed: ${err.message}`, {
          hint: `It is safe in the journal: ${wording().resume()} to store it.${entry.retire ? '' : ' The previous value no longer works.'}`,
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
      warnings.push(`${cap(retirementLabel({ kind: entry.kind, resource: entry.retire.resource, name: entry.token, admin: entry.retire.admin, profile: entry.store?.profile ?? entry.profile }))} was kept (not scheduled for deletion), since Cloudflare does not accept the new value; delete it yourself once the new one works.`);
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
  if (to === undefined) throw new CfRotateError('internal', `The journal of "${entry.token}" does not name the new token.`);
  const set = `Set "tokenId" of "${entry.token}" to "${to}" in ${c.rel} yourself, then ${wording().resume()}`;
  const r = await ctx.files.read(entry.folder, c.rel, CONFIG_RULES);
  if (!r) {
    throw new CfRotateError('config', `The new token ${to} of "${entry.token}" is in every target and works, but ${c.rel} is gone, so it could not be pointed at it.`, { hint: `${set}. The previous token ${c.previousTokenId} keeps working meanwhile.` });
  }
  if (ctx.files.isDirty?.(r.file.real)) {
    throw new CfRotateError('file', `The new token ${to} of "${entry.token}" is in every target and works, but ${c.rel} has unsaved changes in an editor.`, { hint: `Save or revert it, then ${wording().resume()}: it sets "tokenId" to the new token.` });
  }
  // One edit at a time (two replace rotations of one file in one run; another process).
  await ctx.queue.run(r.file.real, async () => {
    const lease = await ctx.locks.acquire(`file-${journalKey(r.file.real)}`, `editing ${c.rel}`, { waitMs: ctx.fileLockWaitMs });
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
  if (!r) throw new CfRotateError('config', `The new token ${to} of "${entry.token}" is in every target and works, but ${c.rel} is gone, so it could not be pointed at it.`, { hint: `${set}. The previous token ${c.previousTokenId} keeps working meanwhile.` });
  const text = decode(r.bytes);
  const edit = setTokenId(text, entry.token, c.previousTokenId, to);
  if (edit.state === 'already') return;
  if (edit.state === 'missing') {
    throw new CfRotateError('conflict', `The new token ${to} of "${entry.token}" is in every target and works, but ${c.rel} no longer has an entry "${entry.token}" with "tokenId" ${c.previousTokenId}${edit.found ? ` (it names ${edit.found})` : ''}.`, {
      hint: `${set}. The previous token ${c.previousTokenId} keeps working until it is deleted.`,
    });
  }
  if (hashValue(configFingerprint(text)) !== c.hash && !ctx.overwrite) {
    throw new CfRotateError('conflict', `The new token ${to} of "${entry.token}" is in every target and works, but ${c.rel} changed since the rotation began, so cf-rotate did not rewrite it.`, {
      hint: `${set} — or ${wording().resumeOverwrite()} to let cf-rotate make just that edit in the changed file. The previous token ${c.previousTokenId} keeps working meanwhile.`,
    });
  }
  await ctx.files.write(entry.folder, c.rel, Buffer.from(edit.text, 'utf8'), CONFIG_RULES);
  const back = await ctx.files.read(entry.folder, c.rel, CONFIG_RULES);
  if (!back || tokenIdOf(decode(back.bytes), entry.token)?.toLowerCase() !== to.toLowerCase()) {
    throw new CfRotateError('file', `${c.rel} did not keep the new "tokenId" of "${entry.token}" after writing.`, { hint: `Check the disk, then ${wording().resume()}.` });
  }
  ctx.logger.info(`${c.rel}: "${entry.token}" now names token ${to} (was ${c.previousTokenId}).`);
}
