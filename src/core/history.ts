/** Rotation history: when, what, outcome, which files. Never a secret value. */
import type { TokenKind } from './config/schema';
import type { ErrorKind } from './errors';

export interface HistoryEntry {
  /** ISO time the rotation finished. */
  at: string;
  folder: string;
  name: string;
  kind: TokenKind;
  outcome: 'rotated' | 'failed' | 'recovered' | 'lost' | 'discarded' | 'expired-previous' | 'retired';
  targets: string[];
  errorKind?: ErrorKind;
  error?: string;
  /** Expiry of the new credential where Cloudflare reports one. */
  expiresAt?: string;
  /** Until when the previous secret is still accepted (service tokens). */
  graceUntil?: string;
  /** The Cloudflare credential (`resourceId`), so facts follow the credential, not its config name. */
  resource?: string;
  /** The journal entry this settles (a verdict is recorded once even if its resume is repeated). */
  journal?: string;
  /** Access service tokens rotated by version: the client_secret_version cf-rotate set. */
  secretVersion?: number;
  /** MoQ: the jti of the token cf-rotate created. */
  jti?: string;
  /** `strategy: "replace"`: the id of the twin that took the token's place. */
  tokenId?: string;
  /** Outcome `retired`: what was deleted after its overlap ("the previous token … of "deploy""). */
  retired?: string;
}

export interface HistoryStore {
  append(entry: HistoryEntry): Promise<void>;
  /** Newest first. */
  list(limit?: number): Promise<HistoryEntry[]>;
}

export const HISTORY_LIMIT = 1000;

export class MemoryHistory implements HistoryStore {
  entries: HistoryEntry[] = [];
  async append(e: HistoryEntry): Promise<void> {
    this.entries.unshift(e);
    this.entries.length = Math.min(this.entries.length, HISTORY_LIMIT);
  }
  async list(limit = HISTORY_LIMIT): Promise<HistoryEntry[]> {
    return this.entries.slice(0, limit);
  }
}

/** The newest entry about a credential that satisfies `pick`. */
export function latestFor(entries: readonly HistoryEntry[], resource: string, pick: (e: HistoryEntry) => boolean): HistoryEntry | undefined {
  let best: HistoryEntry | undefined;
  for (const e of entries) if (e.resource === resource && pick(e) && (!best || best.at < e.at)) best = e;
  return best;
}

/** Latest successful rotation per (folder, name). */
export function lastRotations(entries: readonly HistoryEntry[]): Map<string, HistoryEntry> {
  const out = new Map<string, HistoryEntry>();
  for (const e of entries) {
    if (e.outcome !== 'rotated' && e.outcome !== 'recovered') continue;
    const k = historyKey(e.folder, e.name);
    const prev = out.get(k);
    if (!prev || prev.at < e.at) out.set(k, e);
  }
  return out;
}

/**
 * Kinds whose lost rotation leaves the value in the targets working: an OAuth client keeps both
 * secrets until the previous one is deleted; a MoQ token that was created and never arrived is
 * deleted, and the previous one stays.
 */
const LOSS_KEEPS_WORKING: ReadonlySet<TokenKind> = new Set<TokenKind>(['oauth-client-secret', 'moq-relay-token']);

/** Does a lost rotation of this kind leave its targets with a value Cloudflare stops accepting? Then it must be rotated again. */
export function lossKillsValue(kind: TokenKind): boolean {
  return !LOSS_KEEPS_WORKING.has(kind);
}

/**
 * Per (folder, name): the newest `lost` outcome that no later successful rotation settled, of the
 * kinds where a loss kills the value in the targets (at once, or when a grace period ends). Until
 * the token is rotated again, its targets hold a value Cloudflare no longer accepts (or soon won't).
 */
export function unsettledLosses(entries: readonly HistoryEntry[]): Map<string, HistoryEntry> {
  const success = lastRotations(entries);
  const out = new Map<string, HistoryEntry>();
  for (const e of entries) {
    if (e.outcome !== 'lost' || !lossKillsValue(e.kind)) continue;
    const k = historyKey(e.folder, e.name);
    const ok = success.get(k);
    if (ok && ok.at >= e.at) continue;
    const prev = out.get(k);
    if (!prev || prev.at < e.at) out.set(k, e);
  }
  return out;
}

export function historyKey(folder: string, name: string): string {
  return `${folder}\u0000${name}`;
}
