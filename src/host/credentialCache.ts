/**
 * The admin credentials of the extension host, read once per profile and kept (parsed) in memory
 * until SecretStorage says the key changed (this window's set/delete, or another window's
 * SecretStorage.onDidChange). Without it, every rotation of a batch made a SecretStorage round
 * trip to the editor's main process (and re-validated the value): in the real editor the largest
 * cost of the batch path that the core does not have. The engine keeps an API client (which holds
 * the credential) per profile anyway, so the credential was in this process's memory already.
 * No vscode import.
 */
import type { AdminCredential } from '../core/cloudflare/types';
import { CREDENTIAL_PREFIX, CredentialStore } from '../core/credentials';

export class CachedCredentialStore extends CredentialStore {
  private readonly cache = new Map<string, Promise<AdminCredential | undefined>>();
  /** Bumped on every change: a read that started before it is not cached. */
  private generation = 0;

  override get(profile: string): Promise<AdminCredential | undefined> {
    const hit = this.cache.get(profile);
    if (hit) return hit;
    const gen = this.generation;
    const p = super.get(profile);
    this.cache.set(profile, p);
    const drop = (): void => {
      if (this.cache.get(profile) === p) this.cache.delete(profile);
    };
    // A failed read (unreadable value, storage error) is not kept; neither is one overtaken by a change.
    p.then(() => (gen !== this.generation ? drop() : undefined), drop);
    return p;
  }

  override async set(profile: string, credential: AdminCredential): Promise<void> {
    this.forget();
    try {
      await super.set(profile, credential);
    } finally {
      this.forget();
    }
  }

  override async delete(profile: string): Promise<void> {
    this.forget();
    try {
      await super.delete(profile);
    } finally {
      this.forget();
    }
  }

  /** A SecretStorage key changed (here or in another window): drop what is cached for it (any key: everything). */
  noteChanged(key?: string): void {
    if (key !== undefined && !key.startsWith(CREDENTIAL_PREFIX)) return;
    this.forget();
  }

  private forget(): void {
    this.generation++;
    this.cache.clear();
  }
}
