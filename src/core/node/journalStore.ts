/**
 * The journal on disk: one 0600 file per credential under `<state dir>/journal/`, written
 * through the checked writer (temp + fsync + rename + directory fsync), so an entry is either the
 * old or the new one after a crash, and writing one never touches another. The same store keeps
 * the pending retirements under `<state dir>/retire/` (`new NodeJournalStore(dir, 'retire')`).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { errorCodes } from '../cloudflare/transport';
import { journalKey, type JournalStore, type UnreadableFile } from '../engine/journal';
import { CfRotateError } from '../errors';
import { CheckedFiles } from './checked';
import { ignoreStateDirInGit, rescueJournalTemporaries } from './stateDir';

const RULES = { denyGitDir: false, maxBytes: 4 * 1024 * 1024 };

/** Why a stored entry could not be read, naming its owner when permission was denied (an entry written by sudo, say). */
async function unreadableReason(file: string, e: unknown): Promise<string> {
  const message = e instanceof Error ? e.message : String(e);
  if (!errorCodes(e).some((c) => c === 'EACCES' || c === 'EPERM')) return message;
  const st = await fs.stat(file).catch(() => undefined);
  const mine = typeof process.getuid === 'function' ? process.getuid() : undefined;
  return st && st.uid !== mine ? l10n.t('{0}; the file belongs to user id {1}, this process runs as {2}', message, String(st.uid), String(mine ?? '?')) : message;
}

export class NodeJournalStore implements JournalStore {
  private readonly files = new CheckedFiles({ tempFolders: false }); // the state directory: no repository holds it
  private ready: Promise<void> | undefined;

  constructor(
    readonly stateDir: string,
    /** The folder under the state directory: `journal` (default) or `retire`. */
    readonly folder: 'journal' | 'retire' = 'journal',
  ) {}

  private rel(id: string): string {
    return `${this.folder}/${journalKey(id)}.json`;
  }

  private ensure(): Promise<void> {
    this.ready ??= (async () => {
      await fs.mkdir(path.join(this.stateDir, this.folder), { recursive: true, mode: 0o700 });
      await fs.chmod(this.stateDir, 0o700).catch(() => undefined);
      ignoreStateDirInGit(this.stateDir);
      await this.sweep();
    })().catch((e: unknown) => {
      this.ready = undefined;
      throw e;
    });
    return this.ready;
  }

  async get(id: string, opts: { locked?: boolean } = {}): Promise<string | undefined> {
    await this.ensure();
    // A killed process's newer state waiting in a temporary is what the entry is (see rescue),
    // unless the caller holds the lock: then rescue has put it back already.
    const newer = this.folder === 'journal' && opts.locked !== true ? (await rescueJournalTemporaries(this.stateDir, this.files, journalKey(id)).catch(() => undefined))?.newer.get(`${journalKey(id)}.json`) : undefined;
    if (newer !== undefined) return newer;
    const r = await this.files.read(this.stateDir, this.rel(id), RULES);
    return r && Buffer.from(r.bytes).toString('utf8');
  }

  async put(id: string, text: string): Promise<void> {
    await this.ensure();
    await this.files.write(this.stateDir, this.rel(id), Buffer.from(text, 'utf8'), { ...RULES, mode: 0o600 });
  }

  async delete(id: string): Promise<void> {
    await this.ensure();
    await this.files.remove(this.stateDir, this.rel(id), RULES);
  }

  async list(): Promise<(string | UnreadableFile)[]> {
    await this.ensure();
    const names = (await fs.readdir(path.join(this.stateDir, this.folder))).filter((n) => /^[0-9a-f]{40}\.json$/.test(n));
    const newer = this.folder === 'journal' ? ((await rescueJournalTemporaries(this.stateDir, this.files).catch(() => undefined))?.newer ?? new Map<string, string>()) : new Map<string, string>();
    const out: (string | UnreadableFile)[] = [];
    for (const n of names) {
      const kept = newer.get(n);
      if (kept !== undefined) {
        out.push(kept);
        continue;
      }
      const rel = `${this.folder}/${n}`;
      try {
        const r = await this.files.read(this.stateDir, rel, RULES);
        if (r) out.push(Buffer.from(r.bytes).toString('utf8'));
      } catch (e) {
        // Gone meanwhile (finished by its holder) is nothing; anything else is said, never skipped.
        if (errorCodes(e).includes('ENOENT')) continue;
        out.push({ unreadable: { file: path.join(this.stateDir, rel), reason: await unreadableReason(path.join(this.stateDir, rel), e) } });
      }
    }
    return out;
  }

  /**
   * The newest state of `id` a killed process left in a temporary, put back (the caller holds the
   * entry's lock). Throws when one could not be put back: nothing may act on the older entry.
   */
  async rescue(id: string): Promise<void> {
    if (this.folder !== 'journal') return;
    await this.ensure();
    const { unresolved } = await rescueJournalTemporaries(this.stateDir, this.files, journalKey(id), true);
    if (unresolved.length > 0) {
      throw new CfRotateError('file', l10n.t('The newest state of an interrupted rotation is in {0}, a temporary file of a process that was killed, and it could not be put back in place; nothing was changed.', path.join(this.stateDir, this.folder, unresolved[0] as string)), {
        hint: l10n.t('Free disk space or fix the permissions of the state directory, then resume; keep that file until then (it can hold a new secret).'),
      });
    }
  }

  /** Remove temporaries in the folder left by processes that are gone; in the journal, those that hold a newer entry than their file are kept (see rescue). */
  async sweep(): Promise<number> {
    const keep = this.folder === 'journal' ? (await rescueJournalTemporaries(this.stateDir, this.files).catch(() => undefined))?.keep : undefined;
    return this.files.sweep(this.stateDir, this.folder, undefined, keep);
  }
}

