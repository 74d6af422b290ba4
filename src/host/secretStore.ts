/**
 * The core's SecretStore over VS Code SecretStorage. SecretStorage in @types/vscode 1.95 cannot
 * list keys (`keys()` arrived in VS Code 1.105), so the keys this extension writes are also
 * indexed in globalState (keys are ids, never secrets). The native `keys()` is used as well
 * when the running VS Code has it.
 */
import type * as vscode from 'vscode';
import type { SecretStore } from '../core/ports';
import { STATE } from '../constants';

type MaybeListingSecrets = vscode.SecretStorage & { keys?: () => Thenable<string[]> };

export class VscodeSecretStore implements SecretStore {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly state: vscode.Memento,
    private readonly indexKey: string = STATE.secretKeyIndex,
  ) {}

  async get(key: string): Promise<string | undefined> {
    return await this.secrets.get(key);
  }

  async store(key: string, value: string): Promise<void> {
    // Index first: an indexed key without a secret is harmless (filtered by keys()); a secret without an index entry could be forgotten.
    await this.updateIndex((keys) => keys.add(key));
    await this.secrets.store(key, value);
  }

  async delete(key: string): Promise<void> {
    await this.secrets.delete(key);
    await this.updateIndex((keys) => keys.delete(key));
  }

  async keys(prefix: string): Promise<string[]> {
    const candidates = new Set(this.indexed());
    const native = this.secrets as MaybeListingSecrets;
    if (typeof native.keys === 'function') {
      try {
        for (const k of await native.keys()) candidates.add(k);
      } catch {
        /* some web embedders do not implement listing */
      }
    }
    const present: string[] = [];
    const stale: string[] = [];
    // One round trip per key to the editor: asked all at once, not one after the other.
    const wanted = [...candidates].filter((k) => k.startsWith(prefix));
    const found = await Promise.all(wanted.map(async (k) => (await this.secrets.get(k)) !== undefined));
    wanted.forEach((k, i) => (found[i] ? present : stale).push(k));
    if (stale.length > 0) await this.updateIndex((keys) => stale.forEach((k) => keys.delete(k)));
    return present.sort();
  }

  /** Another window stored or deleted `key` (SecretStorage.onDidChange): keep the index in step. */
  async noteChanged(key: string): Promise<void> {
    const present = (await this.secrets.get(key)) !== undefined;
    await this.updateIndex((keys) => (present ? keys.add(key) : keys.delete(key)));
  }

  private indexed(): string[] {
    const raw = this.state.get<unknown>(this.indexKey);
    return Array.isArray(raw) ? raw.filter((k): k is string => typeof k === 'string') : [];
  }

  private updateIndex(change: (keys: Set<string>) => unknown): Promise<void> {
    const next = this.chain.then(async () => {
      const keys = new Set(this.indexed());
      const before = [...keys].join('\u0000');
      change(keys);
      if ([...keys].join('\u0000') === before) return;
      await this.state.update(this.indexKey, [...keys].sort());
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}
