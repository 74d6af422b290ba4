/**
 * The two drivers of file-system steps (core/node/io.ts): the same algorithm gives the same
 * answers and the same errors either way, errors reach the step's own try/catch, a finally that
 * makes calls runs them, and steps run together are concurrent when asynchronous.
 */
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { allSettled, call, fdOf, runAsync, runSync, type Handle, type Steps } from '../../../src/core/node/io';

describe('file-system steps: run asynchronously or synchronously', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-io-')));
    await fs.writeFile(path.join(dir, 'a.txt'), 'hello');
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  /** Reads a file through a handle, closing it in a finally that makes a call; a missing file is caught. */
  function* readVia(file: string, log: string[]): Steps<string | undefined> {
    let h: Handle;
    try {
      h = yield* call('open', file, fs.constants.O_RDONLY);
    } catch (e) {
      log.push(`caught ${(e as NodeJS.ErrnoException).code ?? ''}`);
      return undefined;
    }
    try {
      const st = yield* call('fstat', h);
      const buf = Buffer.alloc(st.size);
      const n = yield* call('read', h, buf, 0);
      assert.ok(fdOf(h) >= 0);
      return buf.subarray(0, n).toString();
    } finally {
      yield* call('close', h);
      log.push('closed');
    }
  }

  it('answers, a caught error and a finally with calls: the same both ways', async () => {
    for (const file of ['a.txt', 'missing.txt']) {
      const logA: string[] = [];
      const logS: string[] = [];
      const a = await runAsync(readVia(path.join(dir, file), logA));
      const s = runSync(readVia(path.join(dir, file), logS));
      assert.equal(a, s);
      assert.deepEqual(logA, logS);
    }
    assert.equal(runSync(readVia(path.join(dir, 'a.txt'), [])), 'hello');
    assert.deepEqual(
      (() => {
        const log: string[] = [];
        runSync(readVia(path.join(dir, 'missing.txt'), log));
        return log;
      })(),
      ['caught ENOENT'],
    );
  });

  it('an error the steps do not catch leaves them, after their finally ran', async () => {
    function* failing(log: string[]): Steps<never> {
      const h = yield* call('open', path.join(dir, 'a.txt'), fs.constants.O_RDONLY);
      try {
        yield* call('lstat', path.join(dir, 'nope'));
        throw new Error('not reached');
      } finally {
        yield* call('close', h);
        log.push('closed');
      }
    }
    const logA: string[] = [];
    await assert.rejects(runAsync(failing(logA)), { code: 'ENOENT' });
    const logS: string[] = [];
    assert.throws(() => runSync(failing(logS)), { code: 'ENOENT' });
    assert.deepEqual(logA, ['closed']);
    assert.deepEqual(logS, ['closed']);
  });

  it('allSettled: each settled on its own, in order; asynchronously the steps run at once', async () => {
    const steps = (): Steps<string>[] => [call('realpath', dir), call('realpath', path.join(dir, 'nope')), call('readFile', path.join(dir, 'a.txt')) as unknown as Steps<string>];
    const shape = (r: PromiseSettledResult<unknown>[]): unknown[] => r.map((x) => (x.status === 'fulfilled' ? String(x.value) : (x.reason as NodeJS.ErrnoException).code));
    function* all(): Steps<PromiseSettledResult<string>[]> {
      return yield* allSettled(steps());
    }
    assert.deepEqual(shape(await runAsync(all())), [dir, 'ENOENT', 'hello']);
    assert.deepEqual(shape(runSync(all())), [dir, 'ENOENT', 'hello']);
    // Asynchronously they are in flight at once (one turn of the event loop for all).
    const fsp = fs as unknown as { realpath: (p: string) => Promise<string> };
    const real = fsp.realpath;
    let inFlight = 0;
    let most = 0;
    fsp.realpath = async (p: string) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return real(p);
    };
    try {
      await runAsync(allSettled([call('realpath', dir), call('realpath', dir), call('realpath', dir)]));
    } finally {
      fsp.realpath = real;
    }
    assert.equal(most, 3);
  });

  it('close and fsync reach the file system either way (a closed descriptor is EBADF)', async () => {
    const h = await fs.open(path.join(dir, 'a.txt'), 'r');
    const fd = h.fd;
    runSync(call('fsync', fd));
    await h.close();
    assert.throws(() => runSync(call('fsync', fd)), { code: 'EBADF' });
    assert.throws(() => runSync(call('close', fd)), { code: 'EBADF' });
    const closed = await fs.open(path.join(dir, 'a.txt'), 'r');
    await closed.close();
    await assert.rejects(runAsync(call('fsync', closed)), { code: 'EBADF' });
  });

  it('runSync makes no asynchronous call', () => {
    const fsp = fs as unknown as Record<string, unknown>;
    const saved = { ...fsp };
    for (const k of Object.keys(fsp)) if (typeof fsp[k] === 'function') fsp[k] = () => assert.fail(`fs.promises.${k}`);
    try {
      assert.equal(runSync(readVia(path.join(dir, 'a.txt'), [])), 'hello');
    } finally {
      Object.assign(fsp, saved);
    }
  });
});
