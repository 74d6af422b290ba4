/**
 * What the engine needs to know about one kind of credential. The engine owns the order of
 * things (lock, preflight, journal, call, write, verify, record, unlock) and every durability
 * rule; a driver only says how its kind is called, checked and described. One file per kind.
 */
import type { CloudflareApi, MutationOptions, SecretValues } from '../../cloudflare/types';
import type { SecretField, TokenConfig, TokenKind } from '../../config/schema';
import type { CfRotateError } from '../../errors';
import type { HistoryEntry, HistoryStore } from '../../history';
import type { Clock, Logger } from '../../ports';
import type { JournalEntry, Verdict } from '../journal';
import type { Retirements } from '../../retire';
import type { PreparedTarget } from '../targets';

export interface DriverContext {
  api: CloudflareApi;
  history: HistoryStore;
  logger: Logger;
  clock: Clock;
  signal?: AbortSignal | undefined;
  /** Grace period for Access service tokens without their own (setting). */
  defaultGracePeriod: string;
  /** The admin API token is account-owned (its account's verify route accepted it): Turnstile refuses those. */
  adminTokenAccountOwned?: boolean | undefined;
  /** Pending retirements: what a step could not delete now is recorded there and deleted later. */
  retirements?: Retirements | undefined;
}

/**
 * Did an unanswered call take effect? `{ recovered }`: it did, and Cloudflare handed the new
 * secret out again (a Turnstile widget's GET returns its current secret): it is journaled and
 * written like an answer that arrived.
 */
export type ProbeAnswer = 'rotated' | 'not-rotated' | 'unknown' | { recovered: SecretValues };

/** Short timeouts for probes: a hung API must give a verdict in well under a minute. */
export const PROBE = { timeoutMs: 5_000, maxRetries: 0 } as const;

export interface KindDriver<T extends TokenConfig = TokenConfig> {
  readonly kind: TokenKind;
  /** Machine-wide identity of the credential: journal and lock key, history `resource`. */
  resourceId(t: T): string;
  /** Identifiers kept in the journal, so resume needs no config. */
  resource(t: T): Record<string, string>;
  /** The id of the API token this entry rolls, if it rolls one (refused when it is the admin credential's own). */
  apiTokenId?(t: T): string | undefined;
  /** Fields of the journal entry decided before the call (grace period end, labels). */
  intent?(t: T, now: number, ctx: Pick<DriverContext, 'defaultGracePeriod'>): Partial<JournalEntry>;
  /**
   * Before any request (right after the lock, the journal and the scheme checks): what the config
   * and the history alone decide, merged under `preState`'s answer. May refuse: nothing was sent.
   */
  plan?(ctx: Pick<DriverContext, 'history'>, t: T): Promise<JournalEntry['pre']>;
  /** Read-only, before the call: what resume needs to judge an unanswered call. May refuse (nothing sent yet). */
  preState(ctx: DriverContext, t: T, targets: readonly PreparedTarget[]): Promise<JournalEntry['pre']>;
  /** Dry run: read the credential at Cloudflare (exists, readable) without changing it, where `preState` did not already. */
  inspect?(ctx: DriverContext, t: T): Promise<void>;
  /** The mutation. The secret reaches the journal through `hooks.onSecret`; returns facts to journal with it. */
  call(ctx: DriverContext, e: JournalEntry, hooks: MutationOptions): Promise<JournalEntry['received']>;
  /** Read-only (except deleting its own unusable leftovers): did an unanswered call take effect? */
  probe(ctx: DriverContext, e: JournalEntry, targets: readonly PreparedTarget[]): Promise<ProbeAnswer>;
  /**
   * Before any probe of an entry whose secret was never journaled: a target holds `value`, which is
   * not the value it held before the rotation (`field` of it). Is it this rotation's new secret,
   * written to the files while the journal could not hold it (a full or read-only state directory,
   * then a kill or a failed removal of the entry)? Then the values to finish with: a probe must
   * never delete, or report lost, what a target holds. Undefined: not this rotation's secret (the
   * user's edit). Read-only; throws when it cannot tell (then no probe runs this time).
   */
  recognize?(ctx: DriverContext, e: JournalEntry, field: SecretField, value: string): Promise<SecretValues | undefined>;
  /** Why a probe cannot tell, for the "unknown" message (" (…)"), or ''. */
  cannotTell?(e: JournalEntry, targets: readonly PreparedTarget[]): string;
  /**
   * Before the targets are written (also on resume): facts the answer should have carried but did
   * not (the id of a twin). Returns fields to journal, or nothing. Throws when they cannot be found.
   */
  beforeWrite?(ctx: DriverContext, e: JournalEntry): Promise<Partial<JournalEntry> | undefined>;
  /** After the targets are written: does Cloudflare accept the new values? */
  verify(ctx: DriverContext, e: JournalEntry, values: SecretValues): Promise<{ ok: boolean; error?: CfRotateError; expiresAt?: string }>;
  /** After writing and verifying: clean up (e.g. delete the previous MoQ token). Returns warnings. */
  finish?(ctx: DriverContext, e: JournalEntry): Promise<string[]>;
  /**
   * The targets were written but no admin credential is at hand (a resume without one): keep what
   * `finish` would have cleaned up as pending retirements, so it is not forgotten. Returns warnings.
   */
  deferFinish?(retirements: Retirements, e: JournalEntry, now: number): Promise<string[]>;
  /** Cloudflare rotated and the answer never arrived. */
  lost(e: JournalEntry, now: number): Verdict;
  /** How "the call did not take effect" reads for this kind. */
  notRotated?(e: JournalEntry): string;
  /** Facts the history keeps about a completed (or lost) rotation (versions, jtis). */
  record?(e: JournalEntry, outcome: HistoryEntry['outcome']): Partial<HistoryEntry>;
}

/** Every driver's `resource()` fields of a config entry that are strings. */
export function pick(t: object, keys: readonly string[]): Record<string, string> {
  const r: Record<string, string> = {};
  for (const k of keys) {
    const v = (t as Record<string, unknown>)[k];
    if (typeof v === 'string') r[k] = v;
  }
  return r;
}
