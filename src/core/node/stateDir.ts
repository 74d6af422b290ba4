/**
 * The user's cf-rotate state directory, shared by the CLI and every VS Code window of the user:
 *
 *   journal/<key>.json   one entry per credential with a rotation in progress or interrupted (0600)
 *   retire/<key>.json    pending retirements of previous credentials
 *   locks/<name>.lock    machine-wide locks (a rotation of a credential, a write of a target file)
 *   history.jsonl        rotation history (never a secret)
 *
 * The directory is 0700 and never inside a workspace by default; it holds a `.gitignore` of `*`
 * in case CF_ROTATE_STATE_DIR puts it in one.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Logger } from '../ports';
import { JOURNAL_PREFIX, journalKey, parseJournal, type JournalEntry, type JournalStore } from '../engine/journal';
import { CheckedFiles, staleTemporaryOf, writeIgnoreAll } from './checked';
import { sweepLockTemporaries } from './lock';

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CF_ROTATE_STATE_DIR) return path.resolve(env.CF_ROTATE_STATE_DIR);
  if (process.platform === 'win32') return path.join(env.LOCALAPPDATA ?? path.join(os.homedir(), 'AppData', 'Local'), 'cf-rotate');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'cf-rotate');
  return path.join(env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state'), 'cf-rotate');
}

export async function ensureStateDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await fs.chmod(dir, 0o700).catch(() => undefined);
  ignoreStateDirInGit(dir);
}

/**
 * The state directory's own `.gitignore` of `*`, written once (an existing file is kept): when
 * CF_ROTATE_STATE_DIR points into a git work tree (a CI job's checkout), git ignores the journals
 * (which hold a new secret while a rotation is in flight), the retirements and the history, so a
 * later `git add -A` in the job does not commit them. Best effort: a failure is not an error.
 */
export function ignoreStateDirInGit(dir: string): void {
  try {
    writeIgnoreAll(dir, "cf-rotate's state directory: its journals can hold new secrets; never commit it");
  } catch {
    /* best effort */
  }
}

const JOURNAL_RULES = { denyGitDir: false, maxBytes: 4 * 1024 * 1024 };

/**
 * A journal entry's temporary that a killed process wrote (and fsynced) but did not rename over
 * the entry can hold the newest state of its rotation: the new secret, journaled and not yet in
 * any target. Such a temporary (a whole, valid entry of the file it was written for, newer than
 * that file) is kept by every sweep, and put back in the file's place by the next process that
 * takes the entry's lock (`put`: only the lock holder writes an entry, so nothing newer can be
 * overwritten), through the checked writer. A temporary whose file is gone is stale (the entry was
 * cleared since: its rotation ended) and is swept, as is one cut short or older than its file; one
 * whose file cannot be read is kept beside it (a damaged entry is reported, never replaced).
 *
 * `only`: one key (journalKey). `write`: the caller holds that key's lock: its temporaries are put
 * back. Otherwise nothing is written: `keep` names what the sweep must keep, and `newer` the text
 * of each entry whose newest state is in a kept temporary (by its file name), which readers show
 * instead of the older file. `unresolved`: newer temporaries that could not be put back.
 */
export async function rescueJournalTemporaries(
  stateDir: string,
  files = new CheckedFiles({ tempFolders: false }),
  only?: string,
  write = false,
): Promise<{ rescued: number; keep: Set<string>; newer: Map<string, string>; unresolved: string[] }> {
  const keep = new Set<string>();
  const newer = new Map<string, string>();
  const unresolved: string[] = [];
  let realDir: string;
  let names: string[];
  try {
    realDir = await fs.realpath(path.join(stateDir, 'journal'));
    names = await fs.readdir(realDir);
  } catch {
    return { rescued: 0, keep, newer, unresolved };
  }
  const entryOf = async (rel: string): Promise<JournalEntry | undefined | 'unreadable'> => {
    try {
      const r = await files.read(stateDir, rel, JOURNAL_RULES);
      return r === undefined ? undefined : parseJournal(Buffer.from(r.bytes).toString('utf8'));
    } catch {
      return 'unreadable';
    }
  };
  let rescued = 0;
  for (const name of names) {
    // Another key's temporaries are not even checked for a live writer.
    if (only !== undefined && !name.startsWith(`${only}.json.`)) continue;
    const forName = staleTemporaryOf(realDir, name);
    if (forName === undefined || !/^[0-9a-f]{40}\.json$/.test(forName)) continue;
    const temp = await entryOf(`journal/${name}`);
    if (temp === undefined || temp === 'unreadable' || `${journalKey(temp.id)}.json` !== forName) continue; // cut short or not an entry: swept
    const now = await entryOf(`journal/${forName}`);
    if (now === 'unreadable') {
      keep.add(name);
      if (write) unresolved.push(name);
      continue;
    }
    if (now === undefined || now.updatedAt >= temp.updatedAt) continue; // cleared since, or superseded: swept
    if (!write) {
      keep.add(name); // the next holder of its lock puts it back
      newer.set(forName, JSON.stringify(temp));
      continue;
    }
    try {
      await files.write(stateDir, `journal/${forName}`, Buffer.from(JSON.stringify(temp), 'utf8'), { ...JOURNAL_RULES, mode: 0o600 });
      rescued++;
      await files.remove(stateDir, `journal/${name}`, JOURNAL_RULES).catch(() => undefined);
    } catch {
      keep.add(name); // put back by the next holder of its lock
      unresolved.push(name);
    }
  }
  return { rescued, keep, newer, unresolved };
}

/**
 * Remove the temporary files killed processes left in the state directory: those of the history's
 * trim and of cf-rotate 0.1's journal file beside them (`history.jsonl.cf-rotate-<pid>-….tmp`,
 * `.journal.json.cf-rotate-<hex>.tmp`), of the journal entries and the retirements (`journal/`,
 * `retire/`), and of the locks (`locks/<name>.lock.<pid>-<nonce>.tmp`). Only stale ones: their
 * process is gone (pid and start time; a 0.1 temporary, which names no process, once it is an
 * hour old). Run at the start of every CLI command that rotates, resumes, retires or discards,
 * and when the extension starts. Returns how many were removed.
 */
export async function sweepStateDir(dir: string): Promise<number> {
  const files = new CheckedFiles();
  let n = 0;
  for (const [rel, only] of [
    ['', 'history.jsonl'],
    ['', 'journal.json'],
    ['journal', undefined],
    ['retire', undefined],
  ] as const) {
    const keep = rel === 'journal' ? (await rescueJournalTemporaries(dir).catch(() => undefined))?.keep : undefined;
    n += await files.sweep(dir, rel, only, keep).catch(() => 0);
  }
  return n + (await sweepLockTemporaries(path.join(dir, 'locks')).catch(() => 0));
}

/**
 * cf-rotate 0.1 kept journals in one JSON object file (`{ "cfRotate.journal.<id>": "<entry>" }`:
 * the CLI's `<state>/journal.json`, the extension's mirror in its global storage). Move every
 * entry into the per-entry store (an entry already there wins), then remove the old file, but
 * only when every entry is in the store: an entry that could not be stored (a full disk) or read
 * keeps the old file, and the next start tries again. Returns how many entries were moved.
 */
export async function migrateLegacyJournalFile(file: string, store: JournalStore, logger?: Logger): Promise<number> {
  let raw: string;
  try {
    raw = await fs.readFile(file, 'utf8');
  } catch {
    return 0;
  }
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    logger?.warn(`The old journal file ${file} is not valid JSON; it was left in place.`);
    return 0;
  }
  const outcomes = await migrateLegacyEntries(
    Object.entries(typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {})
      .filter(([k, v]) => k.startsWith(JOURNAL_PREFIX) && typeof v === 'string')
      .map(([, v]) => v as string),
    store,
    logger,
  );
  if (outcomes.every(inStore)) await fs.unlink(file).catch(() => undefined);
  else logger?.warn(`The old journal file ${file} was kept: not every entry in it could be moved (see above); cf-rotate tries again next time.`);
  return outcomes.filter((o) => o === 'moved').length;
}

/** What became of one legacy entry: moved, already in the store, unreadable, or not stored (the store failed). */
export type LegacyOutcome = 'moved' | 'present' | 'unreadable' | 'failed';

/** Is the entry in the store now (its legacy copy may go)? */
export const inStore = (o: LegacyOutcome): boolean => o === 'moved' || o === 'present';

/** Move legacy (v1) entry texts into the store; entries already there win. One outcome per text, in order. */
export async function migrateLegacyEntries(texts: readonly string[], store: JournalStore, logger?: Logger): Promise<LegacyOutcome[]> {
  const out: LegacyOutcome[] = [];
  for (const text of texts) {
    let entry: JournalEntry;
    try {
      entry = parseJournal(text);
    } catch {
      logger?.warn('An old rotation journal entry could not be read; it was left where it was.');
      out.push('unreadable');
      continue;
    }
    try {
      if ((await store.get(entry.id)) !== undefined) out.push('present');
      else {
        await store.put(entry.id, JSON.stringify(entry));
        out.push('moved');
      }
    } catch (e) {
      logger?.error(`An interrupted rotation of "${entry.token}" from cf-rotate 0.1 could not be moved into the state directory (${e instanceof Error ? e.message : String(e)}); it was left where it was.`);
      out.push('failed');
    }
  }
  return out;
}
