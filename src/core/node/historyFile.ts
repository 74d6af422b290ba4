/** History as JSON lines in the user's state directory (CLI). Bounded; never holds a secret. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { HISTORY_LIMIT, type HistoryEntry, type HistoryStore } from '../history';
import { NodeFiles } from './files';

export class FileHistory implements HistoryStore {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly files = new NodeFiles();
  constructor(readonly file: string) {}

  append(entry: HistoryEntry): Promise<void> {
    const next = this.chain.then(async () => {
      await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      const all = await this.read();
      all.unshift(entry);
      const lines = all.slice(0, HISTORY_LIMIT).reverse().map((e) => JSON.stringify(e));
      await this.files.writeAtomic(this.file, Buffer.from(`${lines.join('\n')}\n`), { mode: 0o600 });
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  async list(limit = HISTORY_LIMIT): Promise<HistoryEntry[]> {
    await this.chain;
    return (await this.read()).slice(0, limit);
  }

  private async read(): Promise<HistoryEntry[]> {
    const raw = await this.files.read(this.file);
    if (!raw) return [];
    const out: HistoryEntry[] = [];
    for (const line of Buffer.from(raw).toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as HistoryEntry);
      } catch {
        /* a torn line from a crash: skip it */
      }
    }
    return out.reverse();
  }
}
