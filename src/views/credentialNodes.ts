/**
 * Tree nodes of the stored admin credentials (one per profile) and the wording of pending
 * retirements, as plain data (unit-tested, no VS Code). A credential node shows the scheme, the
 * API token's own expiry and age (what Cloudflare reported when the tree last asked), and a pending
 * retirement of the previous admin token; its context value offers Rotate Admin Credential….
 * Never a secret: profile names, token ids and times only.
 */
import * as l10n from '@vscode/l10n';
import { formatInstant, plural } from '../core/l10n';
import { elapsedText, relativeTime } from '../core/schedule';
import { COMMANDS } from '../constants';
import type { CredentialNode } from './model';

/** A pending retirement, as the tree shows it (from `engine.retirements.list()`). */
export interface RetirementInfo {
  folder: string;
  name: string;
  profile: string;
  kind: string;
  admin?: boolean | undefined;
  dueAt: number;
  attempts: number;
  lastError?: string | undefined;
  /** The id retired (token or OAuth client). */
  target?: string | undefined;
}

/** What the tree knows about a profile's stored credential. */
export interface CredentialInfo {
  profile: string;
  /** Which schemes the profile holds. */
  schemes: ('api-token' | 'global-key')[];
  /** The API token's id and owner, once Cloudflare was asked. */
  tokenId?: string | undefined;
  accountId?: string | undefined;
  /** Epoch ms: the token's expiry (none: never expires), its issue, its last change (a roll). */
  expiresAt?: number | undefined;
  issuedAt?: number | undefined;
  modifiedAt?: number | undefined;
  /** When the token was last rotated by cf-rotate (history), if ever. */
  rotatedAt?: number | undefined;
  /** The check failed: why (shown, no secret). */
  problem?: string | undefined;
}

/** "previous token retires in 23 h", "previous secret retires now", "… retirement failed, retried (…)". */
export function retirementNote(r: RetirementInfo, now: number, long = false): string {
  const secret = r.kind === 'oauth-client-secret';
  if (!long) {
    // Short forms (the tree's descriptions): one whole phrase per credential and state.
    if (r.lastError) return secret ? l10n.t('previous secret retirement failed, retrying') : r.admin ? l10n.t('previous admin token retirement failed, retrying') : l10n.t('previous token retirement failed, retrying');
    if (r.dueAt <= now) return secret ? l10n.t('previous secret retires now') : r.admin ? l10n.t('previous admin token retires now') : l10n.t('previous token retires now');
    const when = relativeTime(r.dueAt, now);
    return secret ? l10n.t('previous secret retires {0}', when) : r.admin ? l10n.t('previous admin token retires {0}', when) : l10n.t('previous token retires {0}', when);
  }
  const base = secret ? l10n.t('The previous secret') : r.admin ? l10n.t('The previous admin token') : l10n.t('The previous token');
  const what = r.target ? `${base} (${r.target})` : base;
  if (r.lastError) {
    return plural(
      r.attempts,
      l10n.t('{0} could not be deleted yet ({1} attempt: {2}); it is tried again.', what, r.attempts, r.lastError),
      l10n.t('{0} could not be deleted yet ({1} attempts: {2}); it is tried again.', what, r.attempts, r.lastError),
    );
  }
  return r.dueAt <= now
    ? l10n.t('{0} keeps working and is deleted now ({1}).', what, formatInstant(r.dueAt))
    : l10n.t('{0} keeps working and is deleted {1} ({2}).', what, relativeTime(r.dueAt, now), formatInstant(r.dueAt));
}

const esc = (t: string): string => t.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, '\\$&');

function age(c: CredentialInfo, now: number): string | undefined {
  const since = c.rotatedAt ?? c.modifiedAt ?? c.issuedAt;
  if (since === undefined) return undefined;
  const elapsed = elapsedText(since, now);
  return elapsed === undefined ? l10n.t('new') : l10n.t('{0} old', elapsed);
}

/** "Holds: an API token and email + Global API key". */
function holds(schemes: CredentialInfo['schemes']): string {
  const token = schemes.includes('api-token');
  const key = schemes.includes('global-key');
  if (token && key) return l10n.t('Holds: an API token and email + Global API key');
  if (token) return l10n.t('Holds: an API token');
  if (key) return l10n.t('Holds: email + Global API key');
  return l10n.t('Holds: nothing');
}

export function credentialNodes(creds: readonly CredentialInfo[], retirements: readonly RetirementInfo[], now: number): CredentialNode[] {
  return [...creds]
    .sort((a, b) => a.profile.localeCompare(b.profile))
    .map((c) => {
      const token = c.schemes.includes('api-token');
      const retiring = retirements.find((r) => r.admin === true && r.profile === c.profile);
      const parts: string[] = [token ? (c.accountId ? l10n.t('account-owned API token') : l10n.t('API token')) : l10n.t('Global API key')];
      if (token && c.schemes.includes('global-key')) parts.push(l10n.t('+ Global API key'));
      if (c.problem) parts.push(c.problem);
      if (c.expiresAt !== undefined) parts.push(c.expiresAt > now ? l10n.t('expires {0}', relativeTime(c.expiresAt, now)) : l10n.t('expired {0}', relativeTime(c.expiresAt, now)));
      else if (token && c.tokenId !== undefined) parts.push(l10n.t('no expiry'));
      const a = age(c, now);
      if (a) parts.push(a);
      if (retiring) parts.push(retirementNote(retiring, now));
      const tip = [
        `**${l10n.t('Admin credential of profile "{0}"', esc(c.profile))}**`,
        '',
        `- ${holds(c.schemes)}`,
        ...(c.tokenId ? [`- ${c.accountId ? l10n.t('Token ID: {0} (account {1})', c.tokenId, c.accountId) : l10n.t('Token ID: {0}', c.tokenId)}`] : []),
        ...(c.expiresAt !== undefined ? [`- ${l10n.t('Expires: {0}', formatInstant(c.expiresAt))}`] : []),
        ...(c.issuedAt !== undefined ? [`- ${l10n.t('Issued: {0}', formatInstant(c.issuedAt))}`] : []),
        ...(c.rotatedAt !== undefined ? [`- ${l10n.t('Last rotated by cf-rotate: {0}', formatInstant(c.rotatedAt))}`] : []),
        ...(retiring ? [`- ${retirementNote(retiring, now, true)}`] : []),
        '',
        token ? l10n.t('Rotate it with **Rotate Admin Credential…**: the new value is stored here.') : l10n.t('Global API keys cannot be rotated by API (dashboard: My Profile › API Tokens).'),
      ].join('\n');
      const expired = c.expiresAt !== undefined && c.expiresAt <= now;
      const soon = c.expiresAt !== undefined && c.expiresAt - now < 14 * 86_400_000;
      return {
        type: 'credential' as const,
        id: `credential:${c.profile}`,
        label: l10n.t('Credential "{0}"', c.profile),
        description: parts.join(' · '),
        tooltip: tip,
        contextValue: token ? 'credential.api-token' : 'credential.global-key',
        icon: { id: 'key', ...(expired || c.problem ? { color: 'errorForeground' } : soon ? { color: 'charts.yellow' } : {}) },
        profile: c.profile,
        command: { command: COMMANDS.verifyCredential, title: l10n.t('Verify Credential'), arguments: [{ profile: c.profile }] },
      };
    });
}
