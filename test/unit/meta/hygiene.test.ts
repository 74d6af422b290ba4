/**
 * The test suite's own guarantees: nothing is silently skipped. On CI a stray `.only` or a pending
 * test fails the run; type errors stop the build; the suites that need ../shared (dotenv's
 * fixtures, Cloudflare's OpenAPI documents) and the bin-entry test that needs dist/ fail without
 * them instead of generating zero cases or going pending.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { promises as fs, existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const repoRoot = path.resolve(__dirname, '../../../..');
const mochaBin = path.join(repoRoot, 'node_modules', 'mocha', 'bin', 'mocha.js');

interface MochaRun {
  code: number;
  stdout: string;
  stderr: string;
}

function runMocha(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<MochaRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [mochaBin, ...args], { cwd, env, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

interface JsonReport {
  stats: { tests: number; passes: number; failures: number; pending: number };
  failures: Array<{ fullTitle: string; err: { message?: string } }>;
}

function withoutCi(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.CI;
  return env;
}

describe('test hygiene: nothing is silently skipped', function () {
  this.timeout(120_000);

  it('tsconfig.json stops the build on type errors (noEmitOnError)', async () => {
    const tsconfig = JSON.parse(await fs.readFile(path.join(repoRoot, 'tsconfig.json'), 'utf8')) as { compilerOptions: Record<string, unknown> };
    assert.equal(tsconfig.compilerOptions.noEmitOnError, true);
  });

  describe('.mocharc.cjs on CI (CI set, as .ci/run exports it)', () => {
    let dir: string;
    before(async () => {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-mocharc-'));
      await fs.writeFile(path.join(dir, 'only.test.js'), "it.only('focused', () => {});\nit('other', () => {});\n");
      await fs.writeFile(path.join(dir, 'skipped.test.js'), "it('fine', () => {});\nit.skip('skipped', () => {});\n");
      await fs.writeFile(path.join(dir, 'runtime-skip.test.js'), "it('skips itself', function () { this.skip(); });\n");
      await fs.writeFile(path.join(dir, 'hook-skip.test.js'), "describe('s', () => { before(function () { this.skip(); }); it('t', () => {}); });\n");
    });
    after(() => fs.rm(dir, { recursive: true, force: true }));

    const config = (): string[] => ['--config', path.join(repoRoot, '.mocharc.cjs'), '--reporter', 'dot'];

    it('a stray .only fails the run with CI set', async () => {
      const onCi = await runMocha([...config(), path.join(dir, 'only.test.js')], dir, { ...process.env, CI: 'true' });
      assert.notEqual(onCi.code, 0, `passed on CI:\n${onCi.stdout}${onCi.stderr}`);
      assert.match(`${onCi.stdout}${onCi.stderr}`, /`.only` forbidden by --forbid-only/);
    });

    it('it.skip, this.skip() in a test and in a hook each fail the run with CI set', async () => {
      const files = ['skipped.test.js', 'runtime-skip.test.js', 'hook-skip.test.js'].map((f) => path.join(dir, f));
      const onCi = await runMocha([...config(), '--reporter', 'json', ...files], dir, { ...process.env, CI: 'true' });
      assert.notEqual(onCi.code, 0);
      const r = JSON.parse(onCi.stdout.slice(onCi.stdout.indexOf('{'))) as JsonReport;
      assert.deepEqual(r.failures.map((f) => [f.fullTitle, f.err.message]), [
        ['skipped', 'Pending test forbidden'],
        ['skips itself', 'Pending test forbidden'],
        ['s t', 'Pending test forbidden'],
      ]);
    });

    it('without CI the same files pass (pending is reported, not failed)', async () => {
      const files = ['only.test.js', 'skipped.test.js', 'runtime-skip.test.js', 'hook-skip.test.js'].map((f) => path.join(dir, f));
      const local = await runMocha([...config(), ...files], dir, withoutCi());
      assert.equal(local.code, 0, `${local.stdout}${local.stderr}`);
    });
  });

  describe('without ../shared and dist/', () => {
    let copy: string;
    before(async () => {
      // A copy of the compiled tests in a temporary folder: no `shared` beside it, no dist/.
      copy = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-noshared-')));
      for (let d = copy; ; d = path.dirname(d)) {
        assert.ok(!existsSync(path.join(d, 'shared')), `${d}/shared exists: this test needs a temporary folder without one above it`);
        if (path.dirname(d) === d) break;
      }
      await fs.cp(path.join(repoRoot, 'out'), path.join(copy, 'out'), { recursive: true });
      await fs.symlink(path.join(repoRoot, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
    });
    after(() => fs.rm(copy, { recursive: true, force: true }));

    async function report(files: string[], grep?: string): Promise<JsonReport & { code: number }> {
      const args = ['--no-config', '--timeout', '30000', '--reporter', 'json', ...(grep ? ['--grep', grep] : []), ...files.map((f) => path.join(copy, 'out', 'test', 'unit', f))];
      const run = await runMocha(args, copy, withoutCi());
      const json = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as JsonReport;
      return { ...json, code: run.code };
    }

    it('the dotenv fixtures suite fails (it does not generate zero cases)', async () => {
      const r = await report(['dotenv/fixtures.test.js']);
      assert.notEqual(r.code, 0);
      assert.equal(r.stats.pending, 0);
      assert.deepEqual(
        r.failures.map((f) => f.fullTitle),
        ['dotenv patcher on upstream fixtures finds all five upstream fixtures in ../shared, each with an expectation (without them this suite fails)'],
      );
      assert.match(r.failures[0]!.err.message ?? '', /shared\/fixtures\/dotenv-upstream not found/);
    });

    it('the simulator faithfulness suite fails (it does not skip)', async () => {
      const r = await report(['simulator/faithfulness.test.js']);
      assert.notEqual(r.code, 0);
      assert.equal(r.stats.pending, 0);
      const titles = r.failures.map((f) => f.fullTitle);
      assert.ok(titles.some((t) => t.includes('finds the OpenAPI documents in ../shared/cloudflare-openapi')), titles.join('\n'));
      assert.ok(titles.some((t) => t.includes('covers every operation of both files')), titles.join('\n'));
    });

    it('the bin-entry test fails without dist/cli.js (it does not go pending)', async () => {
      const r = await report(['cli/cli.test.js'], 'bin entry');
      assert.notEqual(r.code, 0);
      assert.equal(r.stats.pending, 0);
      assert.equal(r.failures.length, 1);
      assert.match(r.failures[0]!.err.message ?? '', /dist\/cli\.js is missing: run `npm run build`/);
    });
  });
});
