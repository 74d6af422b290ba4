/**
 * The machine-wide lock: one holder at a time across processes; a crashed holder's lock (dead pid,
 * or a pid that now belongs to a process started at another time) is stale and taken over; a
 * stale lock broken by several processes at once still ends with exactly one holder.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs, writeFileSync, utimesSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { busyError, MemoryLocks, takingOver } from '../../../src/core/locks';
import { heldResult, takeOverJournal } from '../../../src/core/engine/housekeeping';
import type { JournalEntry } from '../../../src/core/engine/journal';
import { cliWording, editorWording, useWording, wording } from '../../../src/core/wording';
import { FileLocks, ownerAlive, processStartTime, sweepLockTemporaries } from '../../../src/core/node/lock';

const CHILD = path.join(__dirname, 'lockChild.js');

interface ChildMsg {
  got?: boolean;
  holder?: number;
  released?: boolean;
}

function child(dir: string, name: string, mode: 'hold' | 'try' | 'die-before-link'): { proc: ChildProcess; first: Promise<ChildMsg> } {
  const proc = fork(CHILD, [dir, name, mode], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const first = new Promise<ChildMsg>((resolve, reject) => {
    proc.once('message', (m) => resolve(m as ChildMsg));
    proc.once('exit', (code) => reject(new Error(`lock child exited (${code}) before answering`)));
  });
  return { proc, first };
}

const exited = (p: ChildProcess): Promise<void> => new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));

describe('machine-wide locks (FileLocks)', function () {
  this.timeout(30_000);
  let dir: string;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-locks-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('one holder at a time; the holder is named; release frees it; the lock file is 0600 in a 0700 folder', async () => {
    const a = new FileLocks(dir, { app: 'A' });
    const b = new FileLocks(dir, { app: 'B' });
    const lease = await a.tryAcquire('rot-x', 'rotating "x"');
    assert.ok('release' in lease);
    const busy = await b.tryAcquire('rot-x', 'rotating "x"');
    assert.ok(!('release' in busy));
    assert.equal(busy.pid, process.pid);
    assert.equal(busy.app, 'A');
    assert.equal(busy.what, 'rotating "x"');
    assert.equal((await fs.stat(path.join(dir, 'rot-x.lock'))).mode & 0o777, 0o600);
    await assert.rejects(b.acquire('rot-x', 'rotating "x"'), (e: Error & { kind?: string }) => e.kind === 'busy' && /A \(pid \d+\) is rotating "x"/.test(e.message));
    await lease.release();
    assert.deepEqual(await fs.readdir(dir), [], 'nothing left behind');
    const again = await b.tryAcquire('rot-x', 'w');
    assert.ok('release' in again);
    await again.release();
  });

  it('acquire waits (bounded) for a holder that lets go', async () => {
    const a = new FileLocks(dir, { app: 'A' });
    const lease = await a.acquire('file-y', 'writing');
    setTimeout(() => void lease.release(), 150);
    const t0 = Date.now();
    const b = await new FileLocks(dir, { app: 'B' }).acquire('file-y', 'writing', { waitMs: 5_000 });
    assert.ok(Date.now() - t0 >= 100);
    await b.release();
  });

  it('a lock held by another live process is busy; after that process is SIGKILLed it is taken over', async () => {
    const { proc, first } = child(dir, 'rot-k', 'hold');
    assert.equal((await first).got, true);
    const mine = new FileLocks(dir, { app: 'me' });
    const busy = await mine.tryAcquire('rot-k', 'rotating');
    assert.ok(!('release' in busy));
    assert.equal(busy.pid, proc.pid);
    proc.kill('SIGKILL');
    await exited(proc);
    const taken = await mine.tryAcquire('rot-k', 'rotating');
    assert.ok('release' in taken, 'the dead holder\'s lock is stale');
    await taken.release();
  });

  it('a pid that now belongs to a process started at another time is not the holder (pid reuse)', async function () {
    if (processStartTime(process.pid) === null) this.skip();
    // Our own pid with a start time that is not ours: the process that wrote it is gone.
    const owner = { pid: process.pid, start: '1', host: os.hostname(), nonce: 'n', since: 1, what: 'old', app: 'old' };
    assert.equal(ownerAlive(owner), false);
    assert.equal(ownerAlive({ ...owner, start: processStartTime(process.pid) }), true);
    writeFileSync(path.join(dir, 'rot-r.lock'), JSON.stringify({ ...owner, pid: 1 }));
    const lease = await new FileLocks(dir, { app: 'me' }).tryAcquire('rot-r', 'w');
    assert.ok('release' in lease, 'pid 1 runs, but not since the recorded start time');
    await lease.release();
  });

  it('another host\'s lock is never broken (it cannot be checked from here)', async () => {
    writeFileSync(path.join(dir, 'rot-h.lock'), JSON.stringify({ pid: 999_999, start: null, host: 'elsewhere.example', nonce: 'n', since: 1, what: 'rotating', app: 'CLI' }));
    const r = await new FileLocks(dir, { app: 'me' }).tryAcquire('rot-h', 'w');
    assert.ok(!('release' in r));
    assert.equal(r.host, 'elsewhere.example');
  });

  it('another host\'s lock of a file: busy, with the hint to take it over; takingOver (resume --take-over) breaks it, says whose it was, and takes it', async () => {
    const owner = { pid: 4242, start: '77', host: 'devcontainer-before-rebuild', nonce: 'n'.repeat(24), since: Date.now() - 60_000, what: 'writing .env', app: 'cf-rotate CLI' };
    writeFileSync(path.join(dir, 'file-h.lock'), JSON.stringify(owner));
    const locks = new FileLocks(dir, { app: 'me' });
    await assert.rejects(locks.acquire('file-h', 'Writing .env'), (e: Error & { kind?: string; hint?: string }) => e.kind === 'busy' && /resume --take-over/.test(e.hint ?? ''));
    const taken: [string, number, string][] = [];
    const lease = await takingOver(locks, (name, h) => taken.push([name, h.pid, h.host])).acquire('file-h', 'Writing .env');
    assert.deepEqual(taken, [['file-h', 4242, 'devcontainer-before-rebuild']]);
    assert.equal(lease.holder.pid, process.pid);
    assert.equal((await locks.holder('file-h'))?.pid, process.pid);
    await lease.release();
    assert.equal(await locks.holder('file-h'), undefined);
  });

  it('takingOver leaves a holder this machine sees alive (another process here) and this process\'s own: busy, nothing broken', async () => {
    const { proc, first } = child(dir, 'file-live', 'hold');
    try {
      assert.equal((await first).got, true);
      const locks = new FileLocks(dir, { app: 'me' });
      const taken: string[] = [];
      const over = takingOver(locks, (name) => taken.push(name));
      await assert.rejects(over.acquire('file-live', 'Writing .env'), (e: Error & { kind?: string; hint?: string }) => e.kind === 'busy' && !/take-over/.test(e.hint ?? ''));
      const mine = await over.acquire('file-mine', 'Writing .env');
      const again = await over.tryAcquire('file-mine', 'Writing .env');
      assert.ok(!('release' in again), 'its own lock is not broken for a second lease');
      assert.deepEqual(taken, []);
      await mine.release();
    } finally {
      proc.kill('SIGKILL');
      await exited(proc);
    }
  });

  it('unreadable content: young = being created (busy), old = torn by a crash (taken over)', async () => {
    const f = path.join(dir, 'rot-t.lock');
    writeFileSync(f, '{"pid": 12');
    const locks = new FileLocks(dir, { app: 'me' });
    assert.ok(!('release' in (await locks.tryAcquire('rot-t', 'w'))));
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(f, old, old);
    const lease = await locks.tryAcquire('rot-t', 'w');
    assert.ok('release' in lease);
    await lease.release();
  });

  it('8 processes racing for one stale lock: exactly one holds it, 10 times over', async function () {
    this.timeout(120_000);
    for (let round = 0; round < 10; round++) {
      const name = `rot-race${round}`;
      writeFileSync(path.join(dir, `${name}.lock`), JSON.stringify({ pid: 2 ** 22 + 12345, start: null, host: os.hostname(), nonce: `dead${round}`, since: 1, what: 'crashed', app: 'gone' }));
      const kids = Array.from({ length: 8 }, () => child(dir, name, 'try'));
      const answers = await Promise.all(kids.map((k) => k.first));
      const winners = answers.filter((a) => a.got).length;
      for (const k of kids) k.proc.send('release');
      await Promise.all(kids.map((k) => exited(k.proc)));
      assert.equal(winners, 1, `round ${round}: ${winners} holders`);
      const holders = new Set(answers.filter((a) => !a.got).map((a) => a.holder));
      assert.ok(!holders.has(2 ** 22 + 12345), 'nobody reports the dead holder as live');
    }
  });
});

/** A pid that no process has (pid_max is at most 2^22). */
const NO_SUCH_PID = 4_194_303_999;

/** Replace fs.promises.link (what lock.ts calls) for one test. */
function stubLink(fn: (...args: unknown[]) => Promise<void>): () => void {
  const fsp = fs as unknown as { link: (...args: unknown[]) => Promise<void> };
  const orig = fsp.link;
  fsp.link = fn;
  return () => {
    fsp.link = orig;
  };
}
const failing = (code: string) => async (): Promise<void> => {
  throw Object.assign(new Error(`stubbed ${code}`), { code });
};
const throwing = (code: string) => (): never => {
  throw Object.assign(new Error(`stubbed ${code}`), { code });
};

describe('machine-wide locks: each rule on its own', function () {
  this.timeout(30_000);
  let dir: string;
  const here = os.hostname();

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-lockrules-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const lockFile = (name: string): string => path.join(dir, `${name}.lock`);
  const put = (name: string, content: unknown): void => writeFileSync(lockFile(name), typeof content === 'string' ? content : JSON.stringify(content));
  const putBreaker = (name: string, content: unknown): void => writeFileSync(`${lockFile(name)}.break`, typeof content === 'string' ? content : JSON.stringify(content));
  const age = (file: string, ms: number): void => {
    const t = (Date.now() - ms) / 1000;
    utimesSync(file, t, t);
  };

  it('processStartTime: field 22 of /proc/<pid>/stat; null for a pid that does not exist', function () {
    if (process.platform !== 'linux') this.skip();
    const field22 = execFileSync('awk', ['{ print $22 }', `/proc/${process.pid}/stat`], { encoding: 'utf8' }).trim();
    assert.match(field22, /^\d+$/);
    assert.equal(processStartTime(process.pid), field22);
    assert.equal(processStartTime(NO_SUCH_PID), null);
  });

  it('ownerAlive: another host is alive; a pid that is not a positive integer or does not exist is not', () => {
    const owner = { pid: NO_SUCH_PID, start: null, host: here, since: 1, what: 'w', app: 'a' };
    assert.equal(ownerAlive(owner), false, 'no such process');
    assert.equal(ownerAlive({ ...owner, host: 'elsewhere.example' }), true, 'cannot be checked from here');
    assert.equal(ownerAlive({ ...owner, pid: process.pid }), true);
    for (const pid of [0, -1, -process.pid, 2.5, Number.NaN]) assert.equal(ownerAlive({ ...owner, pid }), false, `pid ${pid}`);
  });

  it('ownerAlive: EPERM means the pid exists (alive, even with an unknown start time); any other error means it does not', () => {
    const orig = process.kill;
    const owner = { pid: NO_SUCH_PID, start: '5', host: here, since: 1, what: 'w', app: 'a' };
    try {
      process.kill = throwing('EPERM') as unknown as typeof process.kill;
      assert.equal(ownerAlive(owner), true, 'start time unknown (no /proc entry): never break what we cannot check');
      assert.equal(ownerAlive({ ...owner, start: null }), true);
      process.kill = throwing('EINVAL') as unknown as typeof process.kill;
      assert.equal(ownerAlive({ ...owner, start: null }), false);
    } finally {
      process.kill = orig;
    }
  });

  it('lock names: letters, digits, . _ - (1 to 120), not starting with a dot', async () => {
    const locks = new FileLocks(dir, { app: 'me' });
    for (const bad of ['', '.hidden', 'a/b', 'a b', '..', 'x'.repeat(121), 'ä']) {
      await assert.rejects(locks.tryAcquire(bad, 'w'), (e: Error) => e.message === `invalid lock name ${bad}`, JSON.stringify(bad));
      await assert.rejects(locks.holder(bad), (e: Error) => e.message === `invalid lock name ${bad}`);
    }
    for (const good of ['x'.repeat(120), 'A-z_0.9', 'a']) {
      const lease = await locks.tryAcquire(good, 'w');
      assert.ok('release' in lease, good);
      assert.ok(existsSync(path.join(dir, `${good}.lock`)));
      await lease.release();
    }
  });

  it('the lock file holds the owner as JSON; the folder is created 0700', async () => {
    const nested = path.join(dir, 'locks');
    const lease = await new FileLocks(nested, { app: 'The App' }).tryAcquire('rot-j', 'doing "j"');
    assert.ok('release' in lease);
    assert.equal((await fs.stat(nested)).mode & 0o777, 0o700);
    const stored = JSON.parse(await fs.readFile(path.join(nested, 'rot-j.lock'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(stored).sort(), ['app', 'host', 'nonce', 'pid', 'since', 'start', 'what']);
    assert.equal(stored.pid, process.pid);
    assert.equal(stored.host, here);
    assert.equal(stored.app, 'The App');
    assert.equal(stored.what, 'doing "j"');
    assert.match(String(stored.nonce), /^[0-9a-f]{24}$/);
    assert.equal(stored.start, processStartTime(process.pid));
    assert.deepEqual(lease.holder, stored);
    await lease.release();
  });

  it('the same FileLocks asked twice: the second answer is the holder, not a second lease', async () => {
    const locks = new FileLocks(dir, { app: 'me' });
    const lease = await locks.tryAcquire('rot-2', 'first');
    assert.ok('release' in lease);
    const again = await locks.tryAcquire('rot-2', 'second');
    assert.ok(!('release' in again));
    assert.deepEqual(again, lease.holder);
    assert.deepEqual(await locks.holder('rot-2'), lease.holder);
    await lease.release();
    assert.equal(await locks.holder('rot-2'), undefined);
  });

  it('holder(): none, a live holder elsewhere, one being created, a dead one, a torn one', async () => {
    const locks = new FileLocks(dir, { app: 'me' });
    assert.equal(await locks.holder('rot-h'), undefined);
    put('rot-h', { pid: 7, host: 'elsewhere.example', nonce: 'n', start: '12', since: 34, what: 'w', app: 'A' });
    assert.deepEqual(await locks.holder('rot-h'), { pid: 7, host: 'elsewhere.example', nonce: 'n', start: '12', since: 34, what: 'w', app: 'A' });
    put('rot-h', { pid: NO_SUCH_PID, host: here, nonce: 'n' });
    assert.equal(await locks.holder('rot-h'), undefined, 'its process is gone');
    put('rot-h', '{"pid": 1');
    const creating = await locks.holder('rot-h');
    assert.deepEqual({ ...creating, since: 0 }, { pid: 0, start: null, host: here, since: 0, what: 'being created', app: '' });
    assert.ok(Math.abs((creating?.since ?? 0) - Date.now()) < 60_000);
    age(lockFile('rot-h'), 6_000);
    assert.equal(await locks.holder('rot-h'), undefined, 'unreadable for more than 5 s: torn by a crash');
  });

  it('an owner with missing fields gets defaults; wrong types count as missing; no pid, host or nonce is unreadable', async () => {
    const locks = new FileLocks(dir, { app: 'me' });
    const base = { pid: 7, host: 'elsewhere.example', nonce: 'n' };
    const defaults = { ...base, start: null, since: 0, what: '', app: '' };
    put('rot-p', base);
    assert.deepEqual(await locks.tryAcquire('rot-p', 'w'), defaults);
    put('rot-p', { ...base, start: 5, since: '9', what: 3, app: false });
    assert.deepEqual(await locks.tryAcquire('rot-p', 'w'), defaults);
    for (const torn of [{ host: 'elsewhere.example', nonce: 'n' }, { ...base, pid: '7' }, { ...base, host: 1 }, { pid: 7, host: 'elsewhere.example' }, { ...base, nonce: 5 }, 'null', '7']) {
      put('rot-p', torn);
      const r = await locks.tryAcquire('rot-p', 'w');
      assert.ok(!('release' in r), JSON.stringify(torn));
      assert.equal(r.what, 'being created', JSON.stringify(torn));
      assert.equal(r.pid, 0);
      assert.equal(r.app, '');
      assert.equal(r.start, null);
    }
  });

  it('unreadable content just under 5 s old is still being created; just over, it is torn and taken over', async () => {
    const locks = new FileLocks(dir, { app: 'me' });
    put('rot-g', 'x');
    age(lockFile('rot-g'), 4_000);
    const busy = await locks.tryAcquire('rot-g', 'w');
    assert.ok(!('release' in busy));
    assert.equal(busy.what, 'being created');
    age(lockFile('rot-g'), 6_000);
    const lease = await locks.tryAcquire('rot-g', 'w');
    assert.ok('release' in lease);
    await lease.release();
    assert.deepEqual(await fs.readdir(dir), []);
  });

  it('release() removes only its own lock: not a lock taken after it, nor one that replaced it', async () => {
    const a = new FileLocks(dir, { app: 'A' });
    const b = new FileLocks(dir, { app: 'B' });
    const first = await a.tryAcquire('rot-r', 'w');
    assert.ok('release' in first);
    await first.release();
    const second = await b.tryAcquire('rot-r', 'w');
    assert.ok('release' in second);
    await first.release(); // a second release of the first lease
    assert.deepEqual(await a.holder('rot-r'), second.holder, 'B still holds it');
    await second.release();
    const third = await a.tryAcquire('rot-r', 'w');
    assert.ok('release' in third);
    const other = { pid: 7, host: 'elsewhere.example', nonce: 'other', start: null, since: 1, what: 'w', app: 'X' };
    put('rot-r', other);
    await third.release();
    assert.deepEqual(JSON.parse(await fs.readFile(lockFile('rot-r'), 'utf8')), other, 'the lock that replaced it is kept');
  });

  it('acquire(): busy at once without waitMs; an aborted signal stops the wait; the holder is named', async () => {
    const a = new FileLocks(dir, { app: 'A' });
    const lease = await a.tryAcquire('rot-a', 'rotating "a"');
    assert.ok('release' in lease);
    const b = new FileLocks(dir, { app: 'B' });
    const t0 = Date.now();
    await assert.rejects(b.acquire('rot-a', 'Rotating "a"'), (e: Error & { kind?: string }) => e.kind === 'busy' && e.message.startsWith(`Rotating "a" is not possible now: A (pid ${process.pid}) is rotating "a", since `));
    await assert.rejects(b.acquire('rot-a', 'Rotating "a"', { waitMs: 60_000, signal: AbortSignal.abort() }), (e: Error & { kind?: string }) => e.kind === 'busy');
    assert.ok(Date.now() - t0 < 30_000, 'the aborted wait ended long before its 60 s');
    await lease.release();
  });

  it('a lock that keeps changing hands: 5 attempts, then "busy"', async () => {
    let calls = 0;
    const restore = stubLink(async () => {
      calls++;
      throw Object.assign(new Error('exists'), { code: 'EEXIST' });
    });
    try {
      // link says the lock exists, reading it finds none (released meanwhile): try again, 5 times.
      await assert.rejects(new FileLocks(dir, { app: 'me' }).tryAcquire('rot-c', 'w'), (e: Error & { kind?: string; hint?: string }) => {
        assert.equal(e.kind, 'busy');
        assert.equal(e.message, 'Could not take the lock rot-c: it keeps changing hands.');
        assert.equal(e.hint, 'Try again in a moment.');
        return true;
      });
    } finally {
      restore();
    }
    assert.equal(calls, 5);
    assert.deepEqual(await fs.readdir(dir), [], 'no temporary left');
  });

  for (const code of ['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']) {
    it(`no hard links (${code}): the lock is created with O_EXCL instead, 0600, with its owner; a second taker is busy`, async () => {
      const restore = stubLink(failing(code));
      try {
        const lease = await new FileLocks(dir, { app: 'A' }).tryAcquire('rot-f', 'w');
        assert.ok('release' in lease);
        assert.deepEqual(await fs.readdir(dir), ['rot-f.lock'], 'the temporary is gone');
        assert.equal((await fs.stat(lockFile('rot-f'))).mode & 0o777, 0o600);
        assert.deepEqual(JSON.parse(await fs.readFile(lockFile('rot-f'), 'utf8')), lease.holder);
        const busy = await new FileLocks(dir, { app: 'B' }).tryAcquire('rot-f', 'w');
        assert.ok(!('release' in busy));
        assert.equal(busy.app, 'A');
        await lease.release();
        assert.deepEqual(await fs.readdir(dir), []);
      } finally {
        restore();
      }
    });
  }

  it('no hard links, and the exclusive create fails for another reason than "exists": that error is thrown', async () => {
    const restore = stubLink(failing('EPERM'));
    const fsp = fs as unknown as { open: (...args: unknown[]) => Promise<unknown> };
    const open = fsp.open;
    fsp.open = failing('EIO');
    try {
      await assert.rejects(new FileLocks(dir, { app: 'A' }).tryAcquire('rot-e', 'w'), (e: Error & { code?: string }) => e.code === 'EIO');
    } finally {
      fsp.open = open;
      restore();
    }
    assert.deepEqual(await fs.readdir(dir), []);
  });

  it('any other error of link() is not a missing feature: it is thrown, and the temporary removed', async () => {
    const restore = stubLink(failing('EIO'));
    try {
      await assert.rejects(new FileLocks(dir, { app: 'A' }).tryAcquire('rot-e', 'w'), (e: Error & { code?: string }) => e.code === 'EIO');
    } finally {
      restore();
    }
    assert.deepEqual(await fs.readdir(dir), []);
  });

  it('a FileLocks never hands out a second lease for a name it holds, even when its lock file vanished', async () => {
    const locks = new FileLocks(dir, { app: 'me' });
    const first = await locks.tryAcquire('rot-v', 'w');
    assert.ok('release' in first);
    await first.release();
    const second = await locks.tryAcquire('rot-v', 'w');
    assert.ok('release' in second);
    await first.release(); // a stale second release must not forget the second lease
    await fs.rm(lockFile('rot-v'));
    assert.deepEqual(await locks.holder('rot-v'), second.holder);
    const again = await locks.tryAcquire('rot-v', 'w');
    assert.ok(!('release' in again));
    assert.deepEqual(again, second.holder);
    await second.release();
  });

  it('a lock of this pid written by a process started at another time is stale (pid reuse); one of a dead pid with our start time too', async () => {
    const me = processStartTime(process.pid);
    for (const owner of [
      { pid: process.pid, start: me === '1' ? '2' : '1', host: here, nonce: 'reused', since: 1, what: 'old', app: 'old' },
      { pid: NO_SUCH_PID, start: me, host: here, nonce: 'dead', since: 1, what: 'old', app: 'old' },
    ]) {
      if (owner.start === null) continue;
      put('rot-u', owner);
      const lease = await new FileLocks(dir, { app: 'me' }).tryAcquire('rot-u', 'w');
      assert.ok('release' in lease, JSON.stringify(owner));
      await lease.release();
    }
  });

  it('sweepLockTemporaries: removes the temporaries of dead owners (their record, or the pid in the name when torn); keeps a live process\'s, this one\'s, another host\'s, and anything else', async function () {
    if (process.platform !== 'linux') this.skip(); // start times (pid reuse) come from /proc
    const nonce = 'ab'.repeat(12);
    const owner = (pid: number, start: string | null, host = here): string => JSON.stringify({ pid, start, host, nonce, since: 1, what: 'w', app: 'a' });
    const me = processStartTime(process.pid);
    const initStart = processStartTime(1);
    const files: [string, string, 'removed' | 'kept'][] = [
      [`rot-a.lock.${NO_SUCH_PID}-${nonce}.tmp`, owner(NO_SUCH_PID, null), 'removed'],
      [`rot-a.lock.break.${NO_SUCH_PID - 1}-${nonce}.tmp`, owner(NO_SUCH_PID - 1, '7'), 'removed'],
      [`rot-b.lock.${NO_SUCH_PID - 2}-${nonce}.tmp`, '', 'removed'], // torn (killed while writing it): the pid in its name is gone
      [`rot-c.lock.1-${nonce}.tmp`, owner(1, initStart === '1' ? '2' : '1'), 'removed'], // pid 1 now is another process
      [`rot-d.lock.1-${nonce}.tmp`, owner(1, initStart), 'kept'], // a live process's
      [`rot-e.lock.${process.pid}-${nonce}.tmp`, owner(process.pid, me), 'kept'], // this process's (in flight)
      [`rot-f.lock.${process.pid}-${nonce}.tmp`, '{"pid', 'kept'], // torn, of a pid that is alive (this one)
      [`rot-g.lock.${NO_SUCH_PID}-${'cd'.repeat(12)}.tmp`, owner(NO_SUCH_PID, null, 'elsewhere.example'), 'kept'], // another host: cannot be checked here
      [`rot-h.lock.${NO_SUCH_PID}-${'ef'.repeat(12)}.tmp`, owner(1, initStart), 'removed'], // a record that does not match its name: the name's pid decides
      ['rot-i.lock', owner(NO_SUCH_PID, null), 'kept'], // a lock (stale locks are broken when contended, not swept)
      ['rot-i.lock.break', owner(NO_SUCH_PID, null), 'kept'],
      [`rot-j.lock.${NO_SUCH_PID}-short.tmp`, '', 'kept'],
      [`.env.cf-rotate-${NO_SUCH_PID}-77-abcdef012345.tmp`, '', 'kept'], // not a lock's
      ['x.tmp', '', 'kept'],
    ];
    for (const [n, text] of files) writeFileSync(path.join(dir, n), text);
    await fs.mkdir(path.join(dir, `rot-k.lock.${NO_SUCH_PID}-${nonce}.tmp`)); // a folder named like one
    assert.equal(await sweepLockTemporaries(dir), files.filter((f) => f[2] === 'removed').length);
    const left = (await fs.readdir(dir)).sort();
    assert.deepEqual(left, [...files.filter((f) => f[2] === 'kept').map((f) => f[0]), `rot-k.lock.${NO_SUCH_PID}-${nonce}.tmp`].sort());
    assert.equal(await sweepLockTemporaries(path.join(dir, 'missing')), 0);
  });

  it('a process SIGKILLed between writing a lock\'s temporary and linking it: the temporary is swept once it is gone, the lock is free', async () => {
    const c = child(dir, 'rot-z', 'die-before-link');
    await c.first.catch(() => undefined); // it dies before it answers
    await exited(c.proc);
    assert.equal(c.proc.signalCode, 'SIGKILL');
    const left = await fs.readdir(dir);
    assert.equal(left.length, 1);
    assert.match(left[0]!, new RegExp(`^rot-z\\.lock\\.${c.proc.pid}-[0-9a-f]{24}\\.tmp$`));
    assert.equal(await sweepLockTemporaries(dir), 1);
    assert.deepEqual(await fs.readdir(dir), []);
    const lease = await new FileLocks(dir, { app: 'me' }).tryAcquire('rot-z', 'w');
    assert.ok('release' in lease);
    await lease.release();
  });

  it('a lock path that cannot be read (a directory) is an error, not "gone"', async () => {
    await fs.mkdir(lockFile('rot-d'));
    await assert.rejects(new FileLocks(dir, { app: 'me' }).tryAcquire('rot-d', 'w'), (e: Error & { code?: string }) => e.code === 'EISDIR');
  });

  describe('breaking a stale lock under <name>.lock.break', () => {
    const stale = { pid: NO_SUCH_PID, start: null, host: here, nonce: 'dead', since: 1, what: 'crashed', app: 'gone' };

    it('a break lock of a live process, taken just now: the stale lock is left to it (busy after 5 attempts)', async () => {
      put('rot-b', stale);
      putBreaker('rot-b', { pid: process.pid, start: processStartTime(process.pid), host: here, nonce: 'breaker', since: Date.now(), what: 'breaking a stale lock', app: 'X' });
      await assert.rejects(new FileLocks(dir, { app: 'me' }).tryAcquire('rot-b', 'w'), /keeps changing hands/);
      assert.deepEqual((await fs.readdir(dir)).sort(), ['rot-b.lock', 'rot-b.lock.break']);
    });

    it('a break lock being created (unreadable, young) is left alone too', async () => {
      put('rot-b', stale);
      putBreaker('rot-b', '{');
      await assert.rejects(new FileLocks(dir, { app: 'me' }).tryAcquire('rot-b', 'w'), /keeps changing hands/);
      assert.deepEqual((await fs.readdir(dir)).sort(), ['rot-b.lock', 'rot-b.lock.break']);
    });

    for (const [why, breaker] of [
      ['its process is gone', { pid: NO_SUCH_PID, start: null, host: here, nonce: 'b', since: Date.now(), what: 'breaking a stale lock', app: 'X' }],
      ['it is older than 10 s (left by a crash)', { pid: process.pid, start: processStartTime(process.pid), host: here, nonce: 'b', since: Date.now() - 11_000, what: 'breaking a stale lock', app: 'X' }],
    ] as const) {
      it(`a break lock whose ${why} is removed, and the stale lock is then taken over`, async () => {
        put('rot-b', stale);
        putBreaker('rot-b', breaker);
        const lease = await new FileLocks(dir, { app: 'me' }).tryAcquire('rot-b', 'w');
        assert.ok('release' in lease);
        assert.deepEqual(await fs.readdir(dir), ['rot-b.lock']);
        await lease.release();
        assert.deepEqual(await fs.readdir(dir), []);
      });
    }

    /** Run `between` once, right after this process links its break lock (inside breakStale). */
    async function afterBreakLockTaken(between: () => void, run: () => Promise<void>): Promise<void> {
      const fsp = fs as unknown as { link: (a: string, b: string) => Promise<void>; readFile: (...args: unknown[]) => Promise<unknown> };
      const link = fsp.link;
      const readFile = fsp.readFile;
      let armed = false;
      fsp.link = async (a: string, b: string) => {
        await link(a, b);
        if (b.endsWith('.break')) armed = true;
      };
      fsp.readFile = async (...args: unknown[]) => {
        if (armed && String(args[0]).endsWith('.lock')) {
          armed = false;
          between();
        }
        return readFile(...args);
      };
      try {
        await run();
      } finally {
        fsp.link = link;
        fsp.readFile = readFile;
      }
    }

    it('a fresh lock taken between reading the stale one and breaking it is not broken', async () => {
      put('rot-n', stale);
      const fresh = { pid: 7, start: null, host: 'elsewhere.example', nonce: 'fresh', since: 2, what: 'rotating', app: 'Other' };
      await afterBreakLockTaken(
        () => put('rot-n', fresh),
        async () => {
          const r = await new FileLocks(dir, { app: 'me' }).tryAcquire('rot-n', 'w');
          assert.ok(!('release' in r));
          assert.equal(r.app, 'Other');
        },
      );
      assert.deepEqual(JSON.parse(await fs.readFile(lockFile('rot-n'), 'utf8')), fresh);
      assert.deepEqual(await fs.readdir(dir), ['rot-n.lock'], 'our break lock is removed');
    });

    it('a break lock that is no longer ours is not removed', async () => {
      put('rot-o', stale);
      const other = { pid: process.pid, start: processStartTime(process.pid), host: here, nonce: 'someone-else', since: Date.now(), what: 'breaking a stale lock', app: 'X' };
      await afterBreakLockTaken(
        () => putBreaker('rot-o', other),
        async () => {
          const lease = await new FileLocks(dir, { app: 'me' }).tryAcquire('rot-o', 'w');
          assert.ok('release' in lease);
          await lease.release();
        },
      );
      assert.deepEqual(JSON.parse(await fs.readFile(`${lockFile('rot-o')}.break`, 'utf8')), other);
    });

    it('a stale lock is broken and taken over; nothing but the new lock is left', async () => {
      put('rot-s', stale);
      const lease = await new FileLocks(dir, { app: 'me' }).tryAcquire('rot-s', 'w');
      assert.ok('release' in lease);
      assert.deepEqual(await fs.readdir(dir), ['rot-s.lock']);
      assert.equal(JSON.parse(await fs.readFile(lockFile('rot-s'), 'utf8')).nonce, (lease.holder as { nonce?: string }).nonce);
      await lease.release();
    });
  });
});

describe('busyError and MemoryLocks (locks.ts)', () => {
  const here = os.hostname();
  const since = Date.UTC(2026, 0, 2, 3, 4, 5, 6);

  it('busyError names the holder: app, pid, host when it is another, what it does, since when', () => {
    const h = { pid: 4242, start: null, host: here, since, what: 'rotating "deploy"', app: 'VS Code' };
    const e = busyError(h, 'Rotating "x"');
    assert.equal(e.kind, 'busy');
    assert.equal(e.message, 'Rotating "x" is not possible now: VS Code (pid 4242) is rotating "deploy", since 2026-01-02T03:04:05.006Z.');
    assert.equal(e.hint, 'Wait for it to finish and try again. Nothing was changed.');
    assert.equal(busyError({ ...h, host: 'elsewhere.example' }, 'W').message, 'W is not possible now: VS Code (pid 4242 on elsewhere.example) is rotating "deploy", since 2026-01-02T03:04:05.006Z.');
    assert.equal(busyError({ ...h, app: '' }, 'W').message, 'W is not possible now: another cf-rotate process (pid 4242) is rotating "deploy", since 2026-01-02T03:04:05.006Z.');
    assert.equal(busyError({ ...h, pid: 0 }, 'W').message, 'W is not possible now: another cf-rotate process is rotating "deploy", since 2026-01-02T03:04:05.006Z.');
    assert.equal(busyError({ ...h, what: '', since: 0 }, 'W').message, 'W is not possible now: VS Code (pid 4242) is working on it.');
  });

  it('busyError names resume --take-over only for a holder this machine cannot check, with a pid', () => {
    const elsewhere = { pid: 4242, start: '77', host: 'elsewhere.example', since, what: 'writing .env', app: 'CLI' };
    assert.match(busyError(elsewhere, 'W', { takeOver: true }).hint ?? '', /cf-rotate resume --take-over/);
    assert.doesNotMatch(busyError(elsewhere, 'W').hint ?? '', /take-over/, 'not where it does not apply');
    assert.doesNotMatch(busyError({ ...elsewhere, pid: 0 }, 'W', { takeOver: true }).hint ?? '', /take-over/, 'no pid: nothing to name or take over');
    assert.doesNotMatch(busyError({ ...elsewhere, host: here }, 'W', { takeOver: true }).hint ?? '', /take-over/, 'a local holder with a start time is checked, not taken over');
  });

  it('the take-over hint is the host\'s: the CLI names its flag, the editor its command and button (busyError and heldResult)', () => {
    const elsewhere = { pid: 4242, start: '77', host: 'elsewhere.example', since, what: 'rotating "deploy"', app: 'cf-rotate CLI' };
    const entry = { id: 'j1', token: 'deploy', folder: '/w', kind: 'account-api-token', targets: [{ rel: '.env', key: 'K' }], destinations: [] } as unknown as JournalEntry;
    const before = wording();
    try {
      useWording(cliWording);
      assert.match(busyError(elsewhere, 'W', { takeOver: true }).hint ?? '', /, run "cf-rotate resume --take-over" to finish its rotation here\. Nothing was changed\.$/);
      assert.equal(
        heldResult(entry, elsewhere).error?.hint,
        'If that process is gone (it ran on another machine or in a rebuilt dev container, or its pid was reused), run "cf-rotate resume --take-over" to finish the rotation here. Nothing was changed.',
      );
      useWording(editorWording);
      const editorHint = busyError(elsewhere, 'W', { takeOver: true }).hint ?? '';
      assert.match(editorHint, /run "Cloudflare Rotate: Resume Interrupted Rotation…" and choose Take Over to finish its rotation here/);
      assert.doesNotMatch(editorHint, /cf-rotate resume/, 'the editor does not send its user to the CLI');
      assert.match(heldResult(entry, elsewhere).error?.hint ?? '', /run "Cloudflare Rotate: Resume Interrupted Rotation…" and choose Take Over to finish the rotation here/);
    } finally {
      useWording(before);
    }
  });

  it('heldResult: busy, nothing changed, the holder named; the journaled secret said; a take-over tried now says to try again', () => {
    const holder = { pid: 4242, start: '77', host: 'devcontainer', since, what: 'rotating "deploy"', app: 'cf-rotate CLI' };
    const entry = { id: 'j1', token: 'deploy', folder: '/w', kind: 'account-api-token', targets: [{ rel: '.env', key: 'K' }], destinations: [] } as unknown as JournalEntry;
    const r = heldResult(entry, holder);
    assert.deepEqual({ ...r, error: undefined }, { name: 'deploy', folder: '/w', kind: 'account-api-token', ok: false, state: 'busy', targets: ['.env › K'], warnings: [], durationMs: 0, error: undefined });
    assert.equal(r.error?.kind, 'busy');
    assert.equal(r.error?.message, 'The interrupted rotation of "deploy" is held by cf-rotate CLI (pid 4242 on devcontainer), rotating "deploy", since 2026-01-02T03:04:05.006Z; this machine cannot tell whether that process still runs.');
    assert.match(heldResult({ ...entry, values: { K: 'x' } } as unknown as JournalEntry, holder).error?.message ?? '', /^The interrupted rotation of "deploy", with its new secret journaled, is held by /);
    assert.match(heldResult(entry, { ...holder, app: '', what: '' }, { time: () => '09:12' }).error?.message ?? '', /held by another cf-rotate process \(pid 4242 on devcontainer\), working on it, since 09:12;/);
    assert.equal(heldResult(entry, holder, { triedTakeOver: true }).error?.hint, 'It could not be taken over now (another process is breaking its lock); try again in a moment. Nothing was changed.');
  });

  it('takeOverJournal: true when the lock was broken (logged) or let go meanwhile, false while another process holds it', async () => {
    const holder = { pid: 4242, start: '77', host: 'devcontainer', since, what: 'rotating', app: 'CLI' };
    const entry = { id: 'j1', token: 'deploy' } as unknown as JournalEntry;
    const warned: string[] = [];
    const logger = { warn: (m: string) => void warned.push(m) };
    assert.equal(await takeOverJournal({ takeOver: async () => holder, holder: async () => assert.fail('not asked') }, entry, logger), true);
    assert.deepEqual(warned, ['Took over the interrupted rotation of "deploy" from pid 4242 on devcontainer (since 2026-01-02T03:04:05.006Z).']);
    assert.equal(await takeOverJournal({ takeOver: async () => undefined, holder: async () => undefined }, entry, logger), true, 'let go meanwhile');
    assert.equal(await takeOverJournal({ takeOver: async () => undefined, holder: async () => holder }, entry, logger), false, 'held by another now');
    assert.equal(warned.length, 1);
  });

  it('takingOver asks the port to break a lock only for a holder with a pid that this machine cannot check, and passes takeOver through', async () => {
    const holders = new Map<string, { pid: number; start: string | null; host: string; since: number; what: string; app: string }>([
      ['elsewhere', { pid: 4242, start: '77', host: 'elsewhere.example', since, what: 'writing .env', app: 'CLI' }],
      ['no-pid', { pid: 0, start: null, host: 'elsewhere.example', since, what: 'being created', app: '' }],
      ['local', { pid: 4242, start: '77', host: here, since, what: 'writing .env', app: 'CLI' }],
    ]);
    const asked: string[] = [];
    const inner = new MemoryLocks();
    const port = {
      tryAcquire: (name: string, what: string) => inner.tryAcquire(name, what),
      acquire: (name: string, what: string, opts?: { waitMs?: number }) => inner.acquire(name, what, opts),
      holder: async (name: string) => holders.get(name),
      takeOver: async (name: string) => {
        asked.push(name);
        const h = holders.get(name);
        holders.delete(name);
        return h;
      },
    };
    const taken: [string, number][] = [];
    const over = takingOver(port, (name, h) => taken.push([name, h.pid]));
    for (const name of ['elsewhere', 'no-pid', 'local', 'free']) await (await over.acquire(name, 'W')).release();
    assert.deepEqual(asked, ['elsewhere'], 'only the unverifiable holder with a pid is broken');
    assert.deepEqual(taken, [['elsewhere', 4242]]);
    assert.ok('release' in (await over.tryAcquire('again', 'W')));
    assert.equal((await over.takeOver?.('local'))?.pid, 4242, 'takeOver is the port\'s own');
    assert.deepEqual(asked, ['elsewhere', 'local']);
    const without = takingOver({ tryAcquire: port.tryAcquire, acquire: port.acquire, holder: port.holder }, () => assert.fail('nothing to take over with'));
    assert.equal(without.takeOver, undefined);
    await (await without.acquire('no-pid', 'W')).release();
  });

  it('MemoryLocks: one holder; release frees; a stale release does not free the next holder; acquire waits; holder()', async () => {
    const m = new MemoryLocks();
    assert.equal(await m.holder('n'), undefined);
    const first = await m.tryAcquire('n', 'first');
    assert.ok('release' in first);
    assert.deepEqual({ ...first.holder, since: 0 }, { pid: process.pid, start: null, host: here, since: 0, what: 'first', app: 'this process' });
    const busy = await m.tryAcquire('n', 'second');
    assert.ok(!('release' in busy));
    assert.equal(busy, first.holder);
    assert.equal(await m.holder('n'), first.holder);
    await assert.rejects(m.acquire('n', 'Third'), (e: Error & { kind?: string }) => e.kind === 'busy' && /^Third is not possible now: this process \(pid \d+\) is first, since /.test(e.message));
    await assert.rejects(m.acquire('n', 'Third', { waitMs: 60_000, signal: AbortSignal.abort() }), (e: Error & { kind?: string }) => e.kind === 'busy');
    await first.release();
    assert.equal(await m.holder('n'), undefined);
    const second = await m.tryAcquire('n', 'second');
    assert.ok('release' in second);
    await first.release();
    assert.equal(await m.holder('n'), second.holder, 'the first lease released again frees nothing');
    setTimeout(() => void second.release(), 50);
    const third = await m.acquire('n', 'third', { waitMs: 10_000 });
    assert.equal(third.holder.what, 'third');
    await third.release();
    await third.release();
    assert.equal(await m.holder('n'), undefined);
  });
});
