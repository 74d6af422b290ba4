/**
 * What the tree shows of each stored admin credential beyond its scheme: the API token's id,
 * account, expiry, and since when it is in use. Learnt from checks the user runs anyway (Set
 * Credential, Verify Credential) and from Rotate Admin Credential — never from extra requests, so
 * the view costs no API call. Kept in globalState: ids and times only, never a secret.
 */
import type * as vscode from 'vscode';
import type { CredentialCheck } from '../core/cloudflare/types';

const KEY = 'cfRotate.credentialInfo';

export interface StoredCredentialInfo {
  tokenId?: string;
  accountId?: string;
  /** Epoch ms; null: the token has no expiry. Absent: unknown. */
  expiresAt?: number | null;
  /** When Cloudflare last confirmed it (epoch ms). */
  checkedAt?: number;
  /** When this token was stored for the profile (epoch ms): its age as cf-rotate knows it. */
  storedAt?: number;
}

export class CredentialInfoStore {
  constructor(private readonly state: vscode.Memento) {}

  all(): Record<string, StoredCredentialInfo> {
    const raw = this.state.get<unknown>(KEY);
    return typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, StoredCredentialInfo>) : {};
  }

  get(profile: string): StoredCredentialInfo | undefined {
    return this.all()[profile];
  }

  private async put(profile: string, info: StoredCredentialInfo | undefined): Promise<void> {
    const next = { ...this.all() };
    if (info === undefined) delete next[profile];
    else next[profile] = info;
    await this.state.update(KEY, next);
  }

  /** A check of the profile's credential (Set / Verify Credential). A new token id starts a new age. */
  async noteCheck(profile: string, check: CredentialCheck, now = Date.now()): Promise<void> {
    const prev = this.get(profile);
    const same = prev?.tokenId !== undefined && prev.tokenId === check.id;
    await this.put(profile, {
      ...(check.id !== undefined && check.status !== undefined ? { tokenId: check.id } : {}),
      ...(check.accountId ? { accountId: check.accountId } : {}),
      ...(check.status !== undefined ? { expiresAt: check.expiresOn ? Date.parse(check.expiresOn) : null } : {}),
      checkedAt: now,
      storedAt: same && prev?.storedAt !== undefined ? prev.storedAt : now,
    });
  }

  /** Rotate Admin Credential stored a new token. */
  async noteRotated(profile: string, tokenId: string | undefined, accountId: string | undefined, expiresAt: string | undefined, now = Date.now()): Promise<void> {
    await this.put(profile, {
      ...(tokenId ? { tokenId } : {}),
      ...(accountId ? { accountId } : {}),
      expiresAt: expiresAt ? Date.parse(expiresAt) : null,
      checkedAt: now,
      storedAt: now,
    });
  }

  async forget(profile: string): Promise<void> {
    await this.put(profile, undefined);
  }
}
