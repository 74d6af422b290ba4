/**
 * The machine-wide lock: one holder at a time across processes; a crashed holder's lock (dead pid,
 * or a pid that now belongs to a process started at another time) is stale and taken over; a
 * stale lock broken by several processes at once still ends with exactly one holder.
 */
import { strict as assert } from 'node:assert';
import { fork, type ChildProcess } from 'node:child_process';
import { promises as fs, writeFileSync, utimesSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileLocks, ownerAlive, processStartTime } from '../../../src/core/node/lock';

const CHILD = path.join(__dirname, 'lockChild.js');

interface ChildMsg {
  got?: boolean;
  holder?: number;
  released?: boolean;
}

function child(dir: string, name: string, mode: 'hold' | 'try'): { proc: ChildProcess; first: Promise<ChildMsg> } {
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
