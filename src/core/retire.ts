/**
 * Pending retirements: what a zero-downtime rotation leaves working for an overlap and deletes
 * afterwards — the previous API token after `strategy: "replace"` (also the previous admin
 * credential), the previous secret of an OAuth client — and the previous MoQ relay token a
 * rotation could not delete at once (no credential at resume, a failed delete): due at once.
 *
 * One record per retirement in the state directory (`retire/<key>.json`, 0600, through the same
 * store as the journal: temp + fsync + rename), shared by the CLI and every VS Code window. A
 * record holds ids and times, never a secret. It is written as part of the journaled rotation
 * (before the journal entry goes), so a retirement is never forgotten: one that fails stays,
 * counts its attempts, names its last error, and is tried again by the next activation of the
 * extension, `cf-rotate rotate` and `cf-rotate retire`. Deleting what is already gone (404)
 * counts as done. Every retirement carried out is recorded in the history (outcome `retired`).
 */
import * as l10n from '@vscode/l10n';
import * as z from 'zod/mini';
import type { CloudflareApi } from './cloudflare/types';
import { TOKEN_KINDS, type TokenKind } from './config/schema';
import { journalKey, type JournalStore } from './engine/journal';
import { scopeOf } from './engine/kinds/serviceToken';
import { CfRotateError, toCfRotateError, type ErrorKind } from './errors';
import type { HistoryEntry, HistoryStore } from './history';
import type { Clock, Locks, Logger } from './ports';
import { relativeTime } from './schedule';

const retirementSchema = z.object({
  v: z.literal(1),
  /** Stable key of what is retired (`retire:<kind>:<account>:<token or client id>[:<created>]`). */
  id: z.string(),
  /** The kind of the entry that was rotated: API token kinds delete a token, `oauth-client-secret` the client's previous secret. */
  kind: z.enum(TOKEN_KINDS),
  /** accountId (account tokens, OAuth clients), tokenId or clientId. */
  resource: z.record(z.string(), z.string()),
  /** The config entry's name (admin credentials: `admin credential (profile …)`). */
  name: z.string(),
  /** The workspace folder of the entry; '' for an admin credential (any window carries it out). */
  folder: z.string(),
  /** Whose admin credential deletes it. */
  profile: z.string(),
  /** The previous admin credential of `profile` itself. */
  admin: z.optional(z.boolean()),
  createdAt: z.number(),
  dueAt: z.number(),
  attempts: z.number(),
  lastAttemptAt: z.optional(z.number()),
  lastError: z.optional(z.string()),
  lastErrorKind: z.optional(z.string()),
  /** The rotation that left it (journal owner). */
  rotation: z.optional(z.string()),
});

export type Retirement = z.infer<typeof retirementSchema>;

export type RetirementState = 'retired' | 'already-gone' | 'waiting' | 'failed' | 'busy' | 'refused';

export interface UnreadableRetirement {
  /** The record's file, when the store could not read it at all. */
  file?: string | undefined;
  reason: string;
}

/** A pending retirement that cannot be read, in words (where, why, what it may mean). */
export function unreadableRetirementText(u: UnreadableRetirement): string {
  return u.file !== undefined
    ? l10n.t('A pending retirement in {0} cannot be read ({1}): a previous credential it names may still be live. Nothing was deleted. Read it as its owner (it may have been written under another user), or delete that credential in the dashboard.', u.file, u.reason)
    : l10n.t('A pending retirement cannot be read ({0}): a previous credential it names may still be live. Nothing was deleted. Keep it, and report it if no newer cf-rotate made it.', u.reason);
}

export interface RetirementResult {
  id: string;
  name: string;
  folder: string;
  kind: TokenKind;
  /** "previous token 0a1b… of "deploy"" — ids only. */
  label: string;
  state: RetirementState;
  ok: boolean;
  dueAt: string;
  attempts: number;
  error?: { kind: ErrorKind; message: string; hint?: string };
}

/** What a retirement deletes, for messages: "the previous token 4f2c… of "deploy"". */
export function retirementLabel(r: Pick<Retirement, 'kind' | 'resource' | 'name' | 'admin' | 'profile'>): string {
  if (r.kind === 'oauth-client-secret') return l10n.t('the previous secret of OAuth client {0} ("{1}")', r.resource.clientId ?? '?', r.name);
  if (r.kind === 'access-service-token') return l10n.t('the previous secret of Access service token {0} ("{1}")', r.resource.serviceTokenId ?? '?', r.name);
  if (r.kind === 'moq-relay-token') return l10n.t('the previous MoQ token {0} of "{1}"', r.resource.jti ?? '?', r.name);
  if (r.admin) return l10n.t('the previous admin token {0} of profile "{1}"', r.resource.tokenId ?? '?', r.profile);
  return l10n.t('the previous token {0} of "{1}"', r.resource.tokenId ?? '?', r.name);
}

/** "retires in 23 h", "retirement overdue (last attempt failed: …)". */
export function retirementText(r: Pick<Retirement, 'dueAt' | 'lastError' | 'kind' | 'admin'>, now: number): string {
  const secret = r.kind === 'oauth-client-secret' || r.kind === 'access-service-token';
  if (r.lastError) {
    const why = r.lastError.slice(0, 80);
    return secret
      ? l10n.t('previous secret: retirement failed, retried ({0})', why)
      : r.admin
        ? l10n.t('previous admin token: retirement failed, retried ({0})', why)
        : l10n.t('previous token: retirement failed, retried ({0})', why);
  }
  if (r.dueAt <= now) return secret ? l10n.t('previous secret retires now') : r.admin ? l10n.t('previous admin token retires now') : l10n.t('previous token retires now');
  const when = relativeTime(r.dueAt, now);
  return secret ? l10n.t('previous secret retires {0}', when) : r.admin ? l10n.t('previous admin token retires {0}', when) : l10n.t('previous token retires {0}', when);
}

/** true when `call` did it; false when Cloudflare no longer knows the thing (already gone). */
async function doneUnlessGone(call: Promise<unknown>): Promise<boolean> {
  try {
    await call;
    return true;
  } catch (e) {
    if (toCfRotateError(e).kind === 'not-found') return false;
    throw e;
  }
}

export function retirementKey(kind: TokenKind, resource: Record<string, string>): string {
  const target = kind === 'oauth-client-secret' ? resource.clientId : kind === 'moq-relay-token' ? resource.jti : kind === 'access-service-token' ? resource.serviceTokenId : resource.tokenId;
  return `retire:${kind}:${(resource.accountId ?? 'user').toLowerCase()}:${(target ?? '').toLowerCase()}`;
}

export interface RetirementDeps {
  store: JournalStore;
  locks: Locks;
  clock: Clock;
  logger: Logger;
  history: HistoryStore;
  /** The API client of a profile's current admin credential (throws 'credential-missing'). */
  apiFor(profile: string): Promise<CloudflareApi>;
}

export interface CarryOutOptions {
  /** Carry out even when not due yet (Retire Previous Token Now…, `cf-rotate retire --now`). */
  now?: boolean;
  /**
   * Says why a retirement must not happen now (e.g. cf-rotate.json names the token again):
   * it is then refused and kept.
   */
  inUse?: (r: Retirement) => string | undefined;
  signal?: AbortSignal;
}

export class Retirements {
  constructor(private readonly deps: RetirementDeps) {}

  /** Every pending retirement, oldest due first. Records that cannot be read are not in it: `scan` names them. */
  async list(): Promise<Retirement[]> {
    return (await this.scan()).pending;
  }

  /**
   * One reading of the store: the pending retirements (oldest due first), and the records that
   * cannot be read (a file the store could not open, another user's written under sudo, say, or one
   * this version cannot parse). Each of those may be the only note that a previous credential is
   * still live: said, never passed over.
   */
  async scan(): Promise<{ pending: Retirement[]; unreadable: UnreadableRetirement[] }> {
    const pending: Retirement[] = [];
    const unreadable: UnreadableRetirement[] = [];
    for (const raw of await this.deps.store.list()) {
      if (typeof raw !== 'string') {
        unreadable.push({ file: raw.unreadable.file, reason: raw.unreadable.reason });
        continue;
      }
      const r = parseRetirement(raw);
      if (r) pending.push(r);
      else unreadable.push({ reason: l10n.t('not a retirement record this version can read') });
    }
    return { pending: pending.sort((a, b) => a.dueAt - b.dueAt), unreadable };
  }

  async get(id: string): Promise<Retirement | undefined> {
    const raw = await this.deps.store.get(id);
    return raw === undefined ? undefined : parseRetirement(raw);
  }

  /**
   * Record a pending retirement (durable). Recording the same thing again keeps the first record
   * (its due time and attempts): resuming a rotation does not postpone it.
   */
  async record(r: Omit<Retirement, 'v' | 'id' | 'attempts'>): Promise<Retirement> {
    const id = retirementKey(r.kind, r.resource);
    const existing = await this.get(id);
    // The same rotation again (a resume): its record stands. Another rotation of a client or
    // service token whose one "previous secret" it names: that secret is now another one, due when
    // this rotation says (an older record's due time would cut this overlap short).
    if (existing && (existing.rotation === undefined || r.rotation === undefined || existing.rotation === r.rotation)) return existing;
    const rec: Retirement = { v: 1, id, attempts: 0, ...r };
    await this.deps.store.put(id, JSON.stringify(rec));
    return rec;
  }

  /** Forget a retirement without carrying it out (the previous credential then stays valid). */
  async forget(id: string): Promise<void> {
    await this.deps.store.delete(id);
  }

  /** Carry out the retirements `pick` selects that are due (or all of them with `now`), one at a time. */
  async carryOut(pick: (r: Retirement) => boolean, opts: CarryOutOptions = {}): Promise<RetirementResult[]> {
    const out: RetirementResult[] = [];
    for (const r of (await this.list()).filter(pick)) {
      if (opts.signal?.aborted) break;
      out.push(await this.one(r, opts));
    }
    return out;
  }

  private result(r: Retirement, state: RetirementState, err?: CfRotateError): RetirementResult {
    return {
      id: r.id,
      name: r.name,
      folder: r.folder,
      kind: r.kind,
      label: retirementLabel(r),
      state,
      ok: state === 'retired' || state === 'already-gone' || state === 'waiting',
      dueAt: new Date(r.dueAt).toISOString(),
      attempts: r.attempts,
      ...(err ? { error: err.toJSON() } : {}),
    };
  }

  private async one(first: Retirement, opts: CarryOutOptions): Promise<RetirementResult> {
    if (!opts.now && first.dueAt > this.deps.clock.now()) return this.result(first, 'waiting');
    const lease = await this.deps.locks.tryAcquire(`retire-${journalKey(first.id)}`, l10n.t('retiring {0}', retirementLabel(first)));
    if (!('release' in lease)) return this.result(first, 'busy');
    try {
      const r = await this.get(first.id); // under the lock: another process may have carried it out
      if (!r) return this.result(first, 'already-gone');
      // Or carried it out and recorded the next rotation's under the same key (one previous secret
      // per client or service token): that one is due when it says, whatever was listed.
      const other = r.createdAt !== first.createdAt || r.rotation !== first.rotation;
      if ((other || !opts.now) && r.dueAt > this.deps.clock.now()) return this.result(r, 'waiting');
      const refusal = opts.inUse?.(r);
      if (refusal) {
        const err = new CfRotateError('conflict', l10n.t('{0} was not deleted: {1}', cap(retirementLabel(r)), refusal), {
          hint: l10n.t('Point the configuration at the current token again, or forget this retirement if the previous token must stay. Nothing was deleted.'),
        });
        return this.result(r, 'refused', err);
      }
      let gone: boolean;
      try {
        gone = !(await this.delete(r, opts.signal));
      } catch (e) {
        const err = toCfRotateError(e);
        const now = this.deps.clock.now();
        const next: Retirement = { ...r, attempts: r.attempts + 1, lastAttemptAt: now, lastError: err.message, lastErrorKind: err.kind };
        await this.deps.store.put(r.id, JSON.stringify(next)).catch(() => undefined);
        this.deps.logger.warn(`Could not delete ${retirementLabel(r)} (attempt ${next.attempts}): ${err.message}`);
        return this.result(next, 'failed', new CfRotateError(err.kind, l10n.t('Could not delete {0}: {1}', retirementLabel(r), err.message), { hint: err.hint ? l10n.t('{0} It stays pending and is tried again (Retire Previous Token Now…, or cf-rotate retire).', err.hint) : l10n.t('It stays pending and is tried again (Retire Previous Token Now…, or cf-rotate retire).') }));
      }
      await this.recordDone(r, gone);
      await this.deps.store.delete(r.id);
      this.deps.logger.info(gone ? `${cap(retirementLabel(r))} was already deleted.` : `Deleted ${retirementLabel(r)}.`);
      return this.result(r, gone ? 'already-gone' : 'retired');
    } finally {
      await lease.release();
    }
  }

  /** true: deleted now; false: it was already gone. */
  private async delete(r: Retirement, signal: AbortSignal | undefined): Promise<boolean> {
    const api = await this.deps.apiFor(r.profile);
    const o = signal ? { signal } : undefined;
    const accountId = r.resource.accountId;
    if (r.kind === 'oauth-client-secret') return api.deleteRotatedOAuthClientSecret(accountId as string, r.resource.clientId as string, o);
    // The previous secret stops now (it was kept for a short safety window): a deleted token has none left.
    if (r.kind === 'access-service-token') return doneUnlessGone(api.setPreviousSecretExpiry(scopeOf(r.resource), r.resource.serviceTokenId as string, new Date(this.deps.clock.now()), o));
    if (r.kind === 'moq-relay-token') return doneUnlessGone(api.deleteMoqToken(accountId as string, r.resource.relayId as string, r.resource.jti as string, o));
    const tokenId = r.resource.tokenId as string;
    // Never delete the token the profile authenticates with now (it was stored again by hand, say).
    const me = await api.verifyCredential(o).catch(() => undefined);
    if (me?.id !== undefined && me.id.toLowerCase() === tokenId.toLowerCase()) {
      throw new CfRotateError('conflict', l10n.t('token {0} is the admin credential profile "{1}" uses now.', tokenId, r.profile), {
        hint: l10n.t('Store the newer admin token for this profile (Set Credential…), or forget this retirement.'),
      });
    }
    return r.kind === 'account-api-token' && accountId ? api.deleteAccountToken(accountId, tokenId, o) : api.deleteUserToken(tokenId, o);
  }

  /** The history line, once per retirement (a kill between it and the record's removal repeats neither). */
  private async recordDone(r: Retirement, gone: boolean): Promise<void> {
    const marker = `${r.id}@${r.createdAt}`;
    const recent = await this.deps.history.list(200).catch(() => [] as HistoryEntry[]);
    if (recent.some((h) => h.journal === marker)) return;
    const e: HistoryEntry = {
      at: new Date(this.deps.clock.now()).toISOString(),
      folder: r.folder,
      name: r.name,
      kind: r.kind,
      outcome: 'retired',
      targets: [],
      resource: r.id,
      journal: marker,
      retired: gone ? l10n.t('{0} (already deleted)', retirementLabel(r)) : retirementLabel(r),
    };
    await this.deps.history.append(e).catch((err: unknown) => this.deps.logger.warn(`Could not record history: ${toCfRotateError(err).message}`));
  }
}

function parseRetirement(raw: string): Retirement | undefined {
  try {
    const r = retirementSchema.safeParse(JSON.parse(raw));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
