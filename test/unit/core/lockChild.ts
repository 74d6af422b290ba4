/**
 * A lock-holding child for lock.test.ts. argv: dir name mode
 *  - hold: acquire, report {got}, keep it until killed;
 *  - try:  one tryAcquire, report {got, holder}, keep what it got until told "release", then exit;
 *  - die-before-link: SIGKILL itself once the lock's temporary is written, before it is linked
 *    to the lock's name (what a crash at that instant leaves).
 */
import { promises as fsp } from 'node:fs';
import { FileLocks } from '../../../src/core/node/lock';

async function run(): Promise<void> {
  const [dir, name, mode] = process.argv.slice(2) as [string, string, string];
  if (mode === 'die-before-link') {
    (fsp as unknown as { link: () => Promise<void> }).link = async () => {
      process.kill(process.pid, 'SIGKILL');
      await new Promise(() => undefined);
    };
  }
  const locks = new FileLocks(dir, { app: `child ${process.pid}` });
  const r = await locks.tryAcquire(name, `${mode} test`);
  const got = 'release' in r;
  process.send?.({ got, holder: got ? process.pid : r.pid });
  if (mode === 'hold') {
    setInterval(() => undefined, 1000);
    return;
  }
  process.on('message', (m) => {
    if (m === 'release') {
      void (got && 'release' in r ? r.release() : Promise.resolve()).then(() => process.exit(0));
    }
  });
}

void run().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(3);
});
