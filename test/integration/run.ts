/**
 * Integration tests of the extension in the real VS Code (code-server + headless Chromium, see
 * test/harness/README.md) against the Cloudflare API simulator running in this process.
 *
 *   npx tsc -p . && node esbuild.js && node out/test/integration/run.js [--grep TEXT] [--only trusted|untrusted]
 *
 * 1. trusted window: out/test/integration/*.test.js inside the extension host (they drive the
 *    commands, read the files on disk and ask the simulator's /__sim control API what it accepts);
 * 2. Restricted Mode window (workspace trust on, folder not trusted): out/test/integration/untrusted,
 *    plus checks from here that no file changed and the simulator saw no request.
 *
 * Prints `N passed, N failed`; exits non-zero on any failure, on a timeout, or when no test ran.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { TestResults } from '../harness/extensionTestRunner';
import { provision } from '../harness/provision';
import { runExtensionTests } from '../harness/runExtensionTests';
import { log, repoRoot, resultsDir } from '../harness/util';
import { start, type SimulatorHandle } from '../simulator';
import { writeWorkspace } from './fixture';

const OPS_THAT_ROTATE = new Set(['rollAccountToken', 'rollUserToken', 'rotateServiceToken', 'updateServiceToken', 'createMoqToken', 'deleteMoqToken']);

function adminToken(sim: SimulatorHandle): string {
  const admin = sim.control.state().userTokens.find((t) => t.name === 'cf-rotate admin');
  if (!admin) throw new Error('the demo scenario has no "cf-rotate admin" token');
  return admin.value;
}

function tempFolder(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `cfr-${label}-`));
}

function testEnv(sim: SimulatorHandle, folder: string, grep?: string): Record<string, string> {
  return {
    CF_ROTATE_TEST_SIM_URL: sim.url,
    CF_ROTATE_TEST_ADMIN_TOKEN: adminToken(sim),
    CF_ROTATE_TEST_WORKSPACE: folder,
    // Short requests: an unanswered rotation is settled within seconds (default 20 s + 10 s margin).
    CF_ROTATE_TIMEOUT: '3',
    ...(grep ? { CF_ROTATE_TEST_GREP: grep } : {}),
  };
}

async function trustedRun(sim: SimulatorHandle, grep: string | undefined): Promise<TestResults> {
  const root = repoRoot();
  const folder = tempFolder('it');
  writeWorkspace(folder, sim.control.state());
  log(`workspace ${folder}, simulator ${sim.url}`);
  const r = await runExtensionTests({
    name: 'integration',
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(root, 'out', 'test', 'integration', 'index.js'),
    folder,
    resultsFile: resultsDir('integration.json'),
    timeoutMs: 300_000,
    // code-server defaults to files.autoSave "afterDelay": the dirty-editor tests need documents to stay dirty.
    // The GitHub API of GitHub Actions targets: the simulator's (user settings, as a user would set it).
    // VS Code's own git extension off: cf-rotate asks git itself (src/core/node/git.ts), and that
    // extension's background `check-ignore --stdin` dies with an uncaught EPIPE when a test removes the
    // repository under it, which mocha in the shared extension host pins on whichever test runs then.
    settings: { 'cfRotate.apiBaseUrl': sim.url, 'cfRotate.githubApiUrl': sim.githubUrl, 'files.autoSave': 'off', 'git.enabled': false },
    // code-server's window is remote: machine-scoped settings count from the remote's settings (as the demo writes them).
    machineSettings: { 'cfRotate.apiBaseUrl': sim.url, 'cfRotate.githubApiUrl': sim.githubUrl },
    env: testEnv(sim, folder, grep),
  });
  if (r.failed === 0) fs.rmSync(folder, { recursive: true, force: true });
  return r;
}

/** Restricted Mode: inside-the-host suite plus what is observable from outside. */
async function untrustedRun(sim: SimulatorHandle): Promise<TestResults> {
  const root = repoRoot();
  sim.control.reset();
  const folder = tempFolder('untrusted');
  writeWorkspace(folder, sim.control.state());
  const files = ['.env', '.dev.vars', path.join('.vscode', 'cf-rotate.json')];
  const before = files.map((f) => fs.readFileSync(path.join(folder, f)));
  const r = await runExtensionTests({
    name: 'integration-untrusted',
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(root, 'out', 'test', 'integration', 'untrusted', 'index.js'),
    folder,
    resultsFile: resultsDir('integration-untrusted.json'),
    timeoutMs: 120_000,
    settings: { 'cfRotate.apiBaseUrl': sim.url, 'security.workspace.trust.enabled': true },
    machineSettings: { 'cfRotate.apiBaseUrl': sim.url },
    env: testEnv(sim, folder),
  });
  const outside: Array<[string, () => void]> = [
    [
      'no target file changed on disk (checked by the harness)',
      () => {
        files.forEach((f, i) => {
          if (!fs.readFileSync(path.join(folder, f)).equals(before[i] as Buffer)) throw new Error(`${f} changed`);
        });
      },
    ],
    [
      'the simulator saw no rotation (checked by the harness)',
      () => {
        const rotating = sim.control.requests().filter((q) => q.op !== null && OPS_THAT_ROTATE.has(q.op));
        if (rotating.length > 0) throw new Error(`rotating requests: ${rotating.map((q) => q.op).join(', ')}`);
      },
    ],
  ];
  for (const [title, check] of outside) {
    const full = `Restricted Mode (untrusted folder) ${title}`;
    try {
      check();
      r.passed++;
      r.tests.push({ title: full, state: 'passed', durationMs: 0 });
      process.stdout.write(`  ✓ ${full}\n`);
    } catch (e) {
      r.failed++;
      r.failures.push({ title: full, message: e instanceof Error ? e.message : String(e) });
      r.tests.push({ title: full, state: 'failed', durationMs: 0 });
      process.stdout.write(`  ✗ ${full}: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
  if (r.failed === 0) fs.rmSync(folder, { recursive: true, force: true });
  return r;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { grep: { type: 'string' }, only: { type: 'string' } } });
  const t0 = Date.now();
  await provision();
  log(`provision ok (${Date.now() - t0} ms)`);
  for (const f of ['dist/extension.js', 'out/test/integration/index.js']) {
    if (!fs.existsSync(path.join(repoRoot(), f))) throw new Error(`${f} is missing: run "npx tsc -p . && node esbuild.js" first`);
  }
  const sim = await start({ port: 0, scenario: 'demo' });
  const runs: Array<[string, TestResults]> = [];
  try {
    if (values.only !== 'untrusted') {
      const t = Date.now();
      runs.push(['trusted window', await trustedRun(sim, values.grep)]);
      log(`trusted window: ${Date.now() - t} ms`);
    }
    if (values.only !== 'trusted' && values.grep === undefined) {
      const t = Date.now();
      runs.push(['Restricted Mode window', await untrustedRun(sim)]);
      log(`Restricted Mode window: ${Date.now() - t} ms`);
    }
  } finally {
    await sim.close();
  }
  const passed = runs.reduce((n, [, r]) => n + r.passed, 0);
  const failed = runs.reduce((n, [, r]) => n + r.failed, 0);
  process.stdout.write(`\nintegration: ${runs.map(([n, r]) => `${n} ${r.passed}/${r.passed + r.failed}`).join(', ')} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed === 0 && passed > 0 && runs.every(([, r]) => r.passed > 0) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[integration] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
