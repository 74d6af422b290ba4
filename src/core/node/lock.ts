/**
 * One lock primitive for the whole machine: a rotation of a credential, a write of a target file,
 * the history's trim. Shared by every cf-rotate process of the user (CLI runs, VS Code windows)
 * through a directory in the user's state directory.
 *
 * A lock is a file `<dir>/<name>.lock` holding its owner (pid, process start time, host, a
 * random nonce). It is created atomically with its content: the owner is written to a private
 * temporary file, which is then hard-linked to the lock name (link(2) fails if the name exists).
 * Where hard links are not supported it falls back to O_CREAT|O_EXCL.
 *
 * A lock whose owner process is gone (no such pid, or the pid now belongs to a process that
 * started at another time) is stale. Stale locks are broken under a second, short-lived lock
 * (`<name>.lock.break`), after re-reading that the lock still belongs to the same dead owner, so
 * two processes breaking the same stale lock cannot remove a fresh lock taken in between.
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { CfRotateError } from '../errors';
import { busyError } from '../locks';
import { unverifiable, type Lease, type LockHolder, type Locks } from '../ports';

export interface LockOwner extends LockHolder {
  nonce: string;
}

function errno(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

/** Start time of a process, from /proc (Linux): clock ticks since boot. `null` where unknown. */
export function processStartTime(pid: number): string | null {
  if (process.platform !== 'linux') return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? null; // field 22 overall
  } catch {
    return null;
  }
}

let selfStart: string | null | undefined;
function ownStartTime(): string | null {
  if (selfStart === undefined) selfStart = processStartTime(process.pid);
  return selfStart;
}

/** Is the process that wrote `owner` still running? Unknown hosts count as alive (never break what we cannot check). */
export function ownerAlive(owner: LockHolder): boolean {
  if (owner.host !== os.hostname()) return true;
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return false; // torn content: no live owner to protect
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    // EPERM: the pid exists but belongs to someone else (a recycled pid, or another user's process).
    // ESRCH: no such process; anything else (an impossible pid): no live owner either.
    if (errno(e) !== 'EPERM') return false;
  }
  if (owner.start !== null) {
    const now = processStartTime(owner.pid);
    if (now !== null && now !== owner.start) return false; // the pid was reused
  }
  return true;
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (typeof o.pid === 'number' && typeof o.host === 'string' && typeof o.nonce === 'string') {
      return {
        pid: o.pid,
        host: o.host,
        nonce: o.nonce,
        start: typeof o.start === 'string' ? o.start : null,
        since: typeof o.since === 'number' ? o.since : 0,
        what: typeof o.what === 'string' ? o.what : '',
        app: typeof o.app === 'string' ? o.app : '',
      };
    }
  } catch {
    /* torn or foreign content */
  }
  return undefined;
}

/** A lock's (or a break lock's) private temporary, written before it is linked to the lock's name: `<name>.lock[.break].<pid>-<nonce>.tmp`. */
const LOCK_TEMP_RE = /^[A-Za-z0-9._-]+\.lock(?:\.break)?\.(\d+)-[0-9a-f]{24}\.tmp$/;
/** An owner record is a few hundred bytes; anything larger is not one. */
const MAX_OWNER_BYTES = 4096;

/**
 * Remove the temporaries of locks that killed processes left in `dir` (a kill between writing a
 * lock's owner record and linking it to the lock's name). One is stale when the process that
 * wrote it is gone: the owner record it holds says so (pid, start time, host: `ownerAlive`), or,
 * when that record is torn, no process has the pid its name carries. Those of a live process
 * (this one's included) are kept. Returns how many were removed.
 */
export async function sweepLockTemporaries(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const n of names) {
    const m = LOCK_TEMP_RE.exec(n);
    if (!m) continue;
    const pid = Number(m[1]);
    const full = path.join(dir, n);
    let text = '';
    try {
      const st = await fs.lstat(full);
      if (!st.isFile()) continue;
      if (st.size <= MAX_OWNER_BYTES) text = await fs.readFile(full, { encoding: 'utf8', flag: constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0) });
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
    const recorded = parseOwner(text);
    const owner: LockHolder = recorded?.pid === pid ? recorded : { pid, start: null, host: os.hostname(), since: 0, what: '', app: '' };
    if (ownerAlive(owner)) continue;
    await fs.unlink(full).then(
      () => removed++,
      () => undefined,
    );
  }
  return removed;
}

/** A lock file younger than this with unreadable content is still being created (fallback path only). */
const CREATING_GRACE_MS = 5_000;
/** A break lock is held for microseconds; one older than this was left by a crash. */
const BREAK_STALE_MS = 10_000;

export interface FileLocksOptions {
  /** Who we are, for "busy" messages: "cf-rotate CLI", "VS Code". */
  app: string;
}

export class FileLocks implements Locks {
  private readonly held = new Map<string, LockOwner>();
  /** The lock folder was made (or found) by this instance; made again if it disappears. */
  private dirMade = false;

  constructor(
    readonly dir: string,
    private readonly options: FileLocksOptions,
  ) {}

  private file(name: string): string {
    if (!/^[A-Za-z0-9._-]{1,120}$/.test(name) || name.startsWith('.')) throw new Error(`invalid lock name ${name}`);
    return path.join(this.dir, `${name}.lock`);
  }

  async tryAcquire(name: string, what: string): Promise<Lease | LockHolder> {
    if (this.held.has(name)) return this.held.get(name) as LockOwner;
    const file = this.file(name);
    if (!this.dirMade) {
      await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
      this.dirMade = true;
    }
    const owner: LockOwner = {
      pid: process.pid,
      start: ownStartTime(),
      host: os.hostname(),
      nonce: randomBytes(12).toString('hex'),
      since: Date.now(),
      what,
      app: this.options.app,
    };
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await this.create(file, owner)) {
        this.held.set(name, owner);
        return this.lease(name, file, owner);
      }
      const current = await this.readOwner(file);
      if (current === 'gone') continue; // released meanwhile: try again
      if (current === 'creating') return { pid: 0, start: null, host: os.hostname(), since: Date.now(), what: l10n.t('being created'), app: '' };
      if (current.pid === process.pid && current.start === owner.start && current.host === owner.host) return current; // ours, elsewhere in this process
      if (ownerAlive(current)) return current;
      await this.breakStale(file, current);
    }
    throw new CfRotateError('busy', l10n.t('Could not take the lock {0}: it keeps changing hands.', name), { hint: l10n.t('Try again in a moment.') });
  }

  async acquire(name: string, what: string, opts: { waitMs?: number; signal?: AbortSignal } = {}): Promise<Lease> {
    const deadline = Date.now() + (opts.waitMs ?? 0);
    let delay = 5;
    for (;;) {
      const r = await this.tryAcquire(name, what);
      if ('release' in r) return r;
      // A holder this machine cannot check: the hint names resume --take-over (which breaks it, file locks included).
      if (Date.now() >= deadline || opts.signal?.aborted) throw busyError(r, what, { takeOver: true });
      await new Promise((res) => setTimeout(res, delay));
      delay = Math.min(delay * 2, 100);
    }
  }

  /** The live owner of a lock, if any (for "is this journal being worked on?"). */
  async holder(name: string): Promise<LockHolder | undefined> {
    const mine = this.held.get(name);
    if (mine) return mine;
    const current = await this.readOwner(this.file(name));
    if (current === 'gone') return undefined;
    if (current === 'creating') return { pid: 0, start: null, host: os.hostname(), since: Date.now(), what: l10n.t('being created'), app: '' };
    return ownerAlive(current) ? current : undefined;
  }

  async takeOver(name: string): Promise<LockHolder | undefined> {
    if (this.held.has(name)) return undefined; // this process's own
    const file = this.file(name);
    const current = await this.readOwner(file);
    if (typeof current !== 'object' || !ownerAlive(current) || !unverifiable(current, os.hostname())) return undefined;
    await this.breakStale(file, current);
    const after = await this.readOwner(file);
    return typeof after === 'object' && after.nonce === current.nonce ? undefined : current;
  }

  private lease(name: string, file: string, owner: LockOwner): Lease {
    let released = false;
    return {
      holder: owner,
      // The lock file still names this lease (its nonce). Gone, torn or another owner's: taken over.
      // Any other failure to read it says nothing about the owner: the act it guards goes on (and
      // fails by itself if the state directory cannot be used).
      stillHeld: () => {
        if (released) return false;
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (e) {
          return errno(e) !== 'ENOENT';
        }
        return parseOwner(text)?.nonce === owner.nonce;
      },
      release: async () => {
        if (released) return;
        released = true;
        this.held.delete(name);
        const current = await this.readOwner(file);
        if (typeof current === 'object' && current.nonce === owner.nonce) await fs.unlink(file).catch(() => undefined);
      },
    };
  }

  /** Create the lock file with its content in one step. False if it exists. */
  private async create(file: string, owner: LockOwner): Promise<boolean> {
    const text = JSON.stringify(owner);
    const tmp = `${file}.${process.pid}-${owner.nonce}.tmp`;
    try {
      await fs.writeFile(tmp, text, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if (errno(e) !== 'ENOENT') {
        // Created but not written (disk full): no empty temporary stays behind.
        await fs.unlink(tmp).catch(() => undefined);
        throw e;
      }
      // The folder was removed since this process made it: make it again.
      await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      await fs.writeFile(tmp, text, { mode: 0o600, flag: 'wx' }).catch(async (e2: unknown) => {
        await fs.unlink(tmp).catch(() => undefined);
        throw e2;
      });
    }
    try {
      await fs.link(tmp, file);
      return true;
    } catch (e) {
      const code = errno(e);
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EXDEV') throw e;
      // No hard links on this file system: exclusive create, then the content.
      let h: fs.FileHandle;
      try {
        h = await fs.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      } catch (e2) {
        if (errno(e2) === 'EEXIST') return false;
        throw e2;
      }
      try {
        await h.writeFile(text);
        await h.sync();
      } finally {
        await h.close();
      }
      return true;
    } finally {
      await fs.unlink(tmp).catch(() => undefined);
    }
  }

  private async readOwner(file: string): Promise<LockOwner | 'gone' | 'creating'> {
    let text: string;
    let mtime = 0;
    try {
      text = await fs.readFile(file, 'utf8');
      const owner = parseOwner(text);
      if (owner) return owner;
      // Only an unreadable owner needs the file's age.
      mtime = (await fs.stat(file)).mtimeMs;
    } catch (e) {
      if (errno(e) === 'ENOENT') return 'gone';
      throw e;
    }
    // Unreadable: being written by the fallback path, or left torn by a crash there.
    if (Date.now() - mtime < CREATING_GRACE_MS) return 'creating';
    return { pid: -1, start: null, host: os.hostname(), nonce: `torn:${mtime}:${text.length}`, since: mtime, what: '', app: '' };
  }

  private async breakStale(file: string, stale: LockOwner): Promise<void> {
    const breaker = `${file}.break`;
    const me: LockOwner = { pid: process.pid, start: ownStartTime(), host: os.hostname(), nonce: randomBytes(12).toString('hex'), since: Date.now(), what: 'breaking a stale lock', app: this.options.app };
    if (!(await this.create(breaker, me))) {
      const b = await this.readOwner(breaker);
      if (b === 'gone' || b === 'creating') return;
      if (!ownerAlive(b) || Date.now() - b.since > BREAK_STALE_MS) await fs.unlink(breaker).catch(() => undefined);
      return; // the caller retries
    }
    try {
      const again = await this.readOwner(file);
      if (typeof again === 'object' && again.nonce === stale.nonce) await fs.unlink(file).catch(() => undefined);
    } finally {
      const mine = await this.readOwner(breaker);
      if (typeof mine === 'object' && mine.nonce === me.nonce) await fs.unlink(breaker).catch(() => undefined);
    }
  }
}

