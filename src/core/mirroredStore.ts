/**
 * A SecretStore written to two places. The rotation journal uses it in the extension: VS Code's
 * SecretStorage can silently be in-memory (no OS keyring) or live in a browser's localStorage
 * (code-server), and a journal that holds a not-yet-written secret must survive both. The mirror
 * is a 0600 file in the extension's global storage; it exists only while a rotation is unfinished.
 */
import type { SecretStore } from './ports';

export class MirroredSecretStore implements SecretStore {
  constructor(
    private readonly primary: SecretStore,
    private readonly mirror: SecretStore,
    private readonly onMirrorError: (e: unknown) => void = () => undefined,
  ) {}

  async get(key: string): Promise<string | undefined> {
    return (await this.primary.get(key)) ?? (await this.mirror.get(key).catch((e: unknown) => this.fail(e)));
  }

  async store(key: string, value: string): Promise<void> {
    // Both must hold it; a failing primary is an error (the engine then keeps going on the files).
    await Promise.all([this.primary.store(key, value), this.mirror.store(key, value).catch((e: unknown) => this.fail(e))]);
  }

  async delete(key: string): Promise<void> {
    await Promise.all([this.primary.delete(key), this.mirror.delete(key).catch((e: unknown) => this.fail(e))]);
  }

  async keys(prefix: string): Promise<string[]> {
    const [a, b] = await Promise.all([this.primary.keys(prefix), this.mirror.keys(prefix).catch((e: unknown) => this.fail(e) ?? [])]);
    return [...new Set([...a, ...(b ?? [])])];
  }

  private fail(e: unknown): undefined {
    this.onMirrorError(e);
    return undefined;
  }
}
