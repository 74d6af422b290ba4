/**
 * A lock-holding child for lock.test.ts. argv: dir name mode
 *  - hold: acquire, report {got}, keep it until killed;
 *  - try:  one tryAcquire, report {got, holder}, keep what it got until told "release", then exit.
 */
import { FileLocks } from '../../../src/core/node/lock';

async function run(): Promise<void> {
  const [dir, name, mode] = process.argv.slice(2) as [string, string, string];
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
