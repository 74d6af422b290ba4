/**
 * Tree nodes of the stored admin credentials (one per profile) and the wording of pending
 * retirements, as plain data (unit-tested, no VS Code). A credential node shows the scheme, the
 * API token's own expiry and age (what Cloudflare reported when the tree last asked), and a pending
 * retirement of the previous admin token; its context value offers Rotate Admin Credential….
 * Never a secret: profile names, token ids and times only.
 */
import { relativeTime } from '../core/schedule';
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
  const what = r.kind === 'oauth-client-secret' ? 'previous secret' : r.admin ? 'previous admin token' : 'previous token';
  if (r.lastError) return long ? `The ${what}${r.target ? ` (${r.target})` : ''} could not be deleted yet (${r.attempts} attempt${r.attempts === 1 ? '' : 's'}: ${r.lastError}); it is tried again.` : `${what} retirement failed, retrying`;
  const when = r.dueAt <= now ? 'now' : relativeTime(r.dueAt, now);
  return long ? `The ${what}${r.target ? ` (${r.target})` : ''} keeps working and is deleted ${when === 'now' ? 'now' : when} (${new Date(r.dueAt).toISOString()}).` : `${what} retires ${when}`;
}

const esc = (t: string): string => t.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, '\\$&');

function age(c: CredentialInfo, now: number): string | undefined {
  const since = c.rotatedAt ?? c.modifiedAt ?? c.issuedAt;
  return since !== undefined ? `${relativeTime(since, now).replace(/ ago$/, '')} old` : undefined;
}

export function credentialNodes(creds: readonly CredentialInfo[], retirements: readonly RetirementInfo[], now: number): CredentialNode[] {
  return [...creds]
    .sort((a, b) => a.profile.localeCompare(b.profile))
    .map((c) => {
      const token = c.schemes.includes('api-token');
      const retiring = retirements.find((r) => r.admin === true && r.profile === c.profile);
      const parts: string[] = [token ? (c.accountId ? 'account-owned API token' : 'API token') : 'Global API key'];
      if (token && c.schemes.includes('global-key')) parts.push('+ Global API key');
      if (c.problem) parts.push(c.problem);
      if (c.expiresAt !== undefined) parts.push(c.expiresAt > now ? `expires ${relativeTime(c.expiresAt, now)}` : `expired ${relativeTime(c.expiresAt, now)}`);
      else if (token && c.tokenId !== undefined) parts.push('no expiry');
      const a = age(c, now);
      if (a) parts.push(a);
      if (retiring) parts.push(retirementNote(retiring, now));
      const tip = [
        `**Admin credential of profile "${esc(c.profile)}"**`,
        '',
        `- Holds: ${c.schemes.map((s) => (s === 'api-token' ? 'an API token' : 'email + Global API key')).join(' and ')}`,
        ...(c.tokenId ? [`- Token ID: ${c.tokenId}${c.accountId ? ` (account ${c.accountId})` : ''}`] : []),
        ...(c.expiresAt !== undefined ? [`- Expires: ${new Date(c.expiresAt).toISOString()}`] : []),
        ...(c.issuedAt !== undefined ? [`- Issued: ${new Date(c.issuedAt).toISOString()}`] : []),
        ...(c.rotatedAt !== undefined ? [`- Last rotated by cf-rotate: ${new Date(c.rotatedAt).toISOString()}`] : []),
        ...(retiring ? [`- ${retirementNote(retiring, now, true)}`] : []),
        '',
        token ? 'Rotate it with **Rotate Admin Credential…**: the new value is stored here.' : 'Global API keys cannot be rotated by API (dashboard: My Profile › API Tokens).',
      ].join('\n');
      const expired = c.expiresAt !== undefined && c.expiresAt <= now;
      const soon = c.expiresAt !== undefined && c.expiresAt - now < 14 * 86_400_000;
      return {
        type: 'credential' as const,
        id: `credential:${c.profile}`,
        label: `Credential "${c.profile}"`,
        description: parts.join(' · '),
        tooltip: tip,
        contextValue: token ? 'credential.api-token' : 'credential.global-key',
        icon: { id: 'key', ...(expired || c.problem ? { color: 'errorForeground' } : soon ? { color: 'charts.yellow' } : {}) },
        profile: c.profile,
        command: { command: COMMANDS.verifyCredential, title: 'Verify Credential', arguments: [{ profile: c.profile }] },
      };
    });
}
