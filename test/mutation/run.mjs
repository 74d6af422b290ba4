/**
 * `npm run mutation [-- stryker options]`: Stryker over the modules of stryker.config.mjs, then the
 * score of each module (test/mutation/report.mjs). Options go to `stryker run`, for example
 * `--force` (ignore the incremental file) or `--mutate src/core/redact.ts`.
 * `npm run mutation -- --report-only` prints the scores of the last run without running Stryker.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPORT_DIR } from '../../stryker.config.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const reportOnly = args.includes('--report-only');
const bin = (name) => path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name);
const run = (cmd, argv) => spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' }).status ?? 1;

/**
 * Stryker reuses a surviving mutant when none of the tests covering it is new. A static mutant
 * (module-level code such as a regex constant) has no per-test coverage, so it would be reused
 * forever, even after a test that kills it was added. Drop such survivors from the incremental
 * file so that every run tests them again (they are few; each runs the modules' whole suite).
 */
function forgetStaticSurvivors() {
  const file = path.join(root, REPORT_DIR, 'incremental.json');
  if (!fs.existsSync(file)) return;
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  let dropped = 0;
  for (const data of Object.values(report.files ?? {})) {
    const kept = data.mutants.filter((m) => !(m.static && (m.status === 'Survived' || m.status === 'NoCoverage')));
    dropped += data.mutants.length - kept.length;
    data.mutants = kept;
  }
  if (dropped > 0) {
    fs.writeFileSync(file, JSON.stringify(report));
    console.log(`Retesting ${dropped} static mutant(s) that survived last time (Stryker would reuse them).`);
  }
}

if (!reportOnly) {
  if (!args.includes('--force')) forgetStaticSurvivors();
  const started = Date.now();
  const status = run(bin('stryker'), ['run', ...args]);
  console.log(`\nstryker run: ${((Date.now() - started) / 1000).toFixed(0)} s, exit code ${status}`);
  if (status !== 0) process.exit(status);
}
process.exit(run(process.execPath, [path.join(root, 'test', 'mutation', 'report.mjs')]));
