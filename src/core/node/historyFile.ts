/**
 * History as JSON lines in the user's state directory, shared by the CLI and every VS Code window.
 * Appends are single O_APPEND writes followed by fsync (a verdict is durable before the journal
 * entry it settles is removed); concurrent processes never rewrite each other's lines. When the
 * file grows past twice the limit it is trimmed under the machine-wide "history" lock.
 */
import { constants as C, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { HISTORY_LIMIT, type HistoryEntry, type HistoryStore } from '../history';
import type { Locks } from '../ports';
import { CheckedFiles } from './checked';
import { call, runAsync, runSync, type Steps } from './io';

const O_NOFOLLOW = C.O_NOFOLLOW ?? 0;

export class FileHistory implements HistoryStore {
  private readonly files = new CheckedFiles({ tempFolders: false }); // the state directory: no repository holds it

  constructor(
    readonly file: string,
    private readonly locks?: Locks,
    private readonly limit: number = HISTORY_LIMIT,
  ) {}

  async append(entry: HistoryEntry): Promise<void> {
    const flags = C.O_WRONLY | C.O_APPEND | C.O_CREAT | O_NOFOLLOW;
    let h: fs.FileHandle;
    try {
      h = await fs.open(this.file, flags, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      // The state folder does not exist yet.
      await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      h = await fs.open(this.file, flags, 0o600);
    }
    let size: number;
    try {
      await h.write(`${JSON.stringify(entry)}\n`);
      await h.sync();
      size = (await h.stat()).size;
    } finally {
      await h.close();
    }
    // ~400 bytes a line: trim once the file holds about twice the limit.
    if (size > this.limit * 800) await this.trim().catch(() => undefined);
  }

  async list(limit = this.limit): Promise<HistoryEntry[]> {
    return (await this.read()).slice(0, limit);
  }

  /** `list`, synchronously: the editor's first load (no turn of the event loop; see io.ts). */
  listSync(limit = this.limit): HistoryEntry[] {
    return runSync(this.readSteps()).slice(0, limit);
  }

  private async trim(): Promise<void> {
    if (!this.locks) return;
    const r = await this.locks.tryAcquire('history', 'trimming the rotation history');
    if (!('release' in r)) return; // someone else trims
    try {
      const keep = (await this.read()).slice(0, this.limit).reverse();
      const text = keep.map((e) => JSON.stringify(e)).join('\n');
      await this.files.write(path.dirname(this.file), path.basename(this.file), Buffer.from(`${text}\n`), { denyGitDir: false, mode: 0o600 });
    } finally {
      await r.release();
    }
  }

  /** Newest first. */
  private read(): Promise<HistoryEntry[]> {
    return runAsync(this.readSteps());
  }

  private *readSteps(): Steps<HistoryEntry[]> {
    let raw: Buffer;
    try {
      raw = yield* call('readFile', this.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: HistoryEntry[] = [];
    for (const line of raw.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const e = JSON.parse(line) as HistoryEntry;
        if (typeof e.at === 'string' && typeof e.name === 'string') out.push(e);
      } catch {
        /* a torn line from a crash: skip it */
      }
    }
    // Appends from several processes are in completion order; `at` decides.
    return out.reverse().sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  }
}
