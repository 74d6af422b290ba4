/**
 * A SecretStore in one 0600 JSON file (the CLI's journal and nothing else). Lives in the user's
 * state directory, never in a workspace. Writes are atomic and serialised within the process.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import type { SecretStore } from '../ports';
import { NodeFiles } from './files';

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CF_ROTATE_STATE_DIR) return env.CF_ROTATE_STATE_DIR;
  if (process.platform === 'win32') return path.join(env.LOCALAPPDATA ?? path.join(os.homedir(), 'AppData', 'Local'), 'cf-rotate');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'cf-rotate');
  return path.join(env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state'), 'cf-rotate');
}

export class FileSecretStore implements SecretStore {
  private readonly files = new NodeFiles();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  private async load(): Promise<Record<string, string>> {
    const raw = await this.files.read(this.file);
    if (!raw) return {};
    const data: unknown = JSON.parse(Buffer.from(raw).toString('utf8'));
    return typeof data === 'object' && data !== null ? (data as Record<string, string>) : {};
  }

  private mutate(fn: (d: Record<string, string>) => void): Promise<void> {
    const next = this.chain.then(async () => {
      await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      const data = await this.load();
      fn(data);
      await this.files.writeAtomic(this.file, Buffer.from(JSON.stringify(data, null, 1)), { mode: 0o600 });
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  async get(key: string): Promise<string | undefined> {
    await this.chain;
    return (await this.load())[key];
  }
  store(key: string, value: string): Promise<void> {
    return this.mutate((d) => {
      d[key] = value;
    });
  }
  delete(key: string): Promise<void> {
    return this.mutate((d) => {
      delete d[key];
    });
  }
  async keys(prefix: string): Promise<string[]> {
    await this.chain;
    return Object.keys(await this.load()).filter((k) => k.startsWith(prefix));
  }
}

/** In-memory store for tests and for `--dry-run`. */
export class MemorySecretStore implements SecretStore {
  readonly data = new Map<string, string>();
  async get(key: string): Promise<string | undefined> {
    return this.data.get(key);
  }
  async store(key: string, value: string): Promise<void> {
    this.data.set(key, value);
  }
  async delete(key: string): Promise<void> {
    this.data.delete(key);
  }
  async keys(prefix: string): Promise<string[]> {
    return [...this.data.keys()].filter((k) => k.startsWith(prefix));
  }
}
