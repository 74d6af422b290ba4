/**
 * `npm run mutation [-- stryker options]`: Stryker over the modules of stryker.config.mjs, then the
 * score of each module (test/mutation/report.mjs). Options go to `stryker run`, for example
 * `--force` (ignore the incremental file) or `--mutate src/core/redact.ts`.
 * `npm run mutation -- --report-only` prints the scores of the last run without running Stryker.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const reportOnly = args.includes('--report-only');
const bin = (name) => path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name);
const run = (cmd, argv) => spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' }).status ?? 1;

if (!reportOnly) {
  const started = Date.now();
  const status = run(bin('stryker'), ['run', ...args]);
  console.log(`\nstryker run: ${((Date.now() - started) / 1000).toFixed(0)} s, exit code ${status}`);
  if (status !== 0) process.exit(status);
}
process.exit(run(process.execPath, [path.join(root, 'test', 'mutation', 'report.mjs')]));
