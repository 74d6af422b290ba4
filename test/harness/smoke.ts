/**
 * End-to-end proof of the harness: `node out/test/harness/smoke.js`.
 * 1. extension tests: loads test/harness/smoke into code-server's remote extension host and
 *    runs out/test/harness/smoke/suite there (commands, files on disk, SecretStorage, env).
 * 2. UI: runs the smoke command through the command palette and checks the file on disk.
 * Exits 0 only if everything passed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openWorkbench, devPayload, runCommand, waitForWorkbench } from './browser';
import { launchCodeServer } from './codeServer';
import { provision } from './provision';
import { runExtensionTests } from './runExtensionTests';
import { cacheDir, log, repoRoot, resultsDir, sleep } from './util';

const EXTENSION = path.join(repoRoot(), 'test', 'harness', 'smoke');
const OUTPUT = 'harness-smoke-output.txt';

function freshFolder(name: string): string {
  const dir = cacheDir('workspaces', name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

async function extensionTests(): Promise<boolean> {
  const folder = freshFolder('smoke-tests');
  const results = await runExtensionTests({
    name: 'harness-smoke',
    extensionDevelopmentPath: EXTENSION,
    extensionTestsPath: path.join(__dirname, 'smoke', 'suite', 'index.js'),
    folder,
    resultsFile: resultsDir('harness-smoke.json'),
    timeoutMs: 120_000,
    env: { CF_ROTATE_TEST_SMOKE: 'from-harness' },
  });
  const info = path.join(folder, 'harness-smoke-info.json');
  if (fs.existsSync(info)) log(`extension host facts: ${fs.readFileSync(info, 'utf8').replace(/\s+/g, ' ')}`);
  const onDisk = fs.existsSync(path.join(folder, OUTPUT));
  log(`file written by the extension is on disk: ${onDisk}`);
  return results.failed === 0 && results.passed > 0 && onDisk;
}

async function uiTest(): Promise<boolean> {
  const folder = freshFolder('smoke-ui');
  const server = await launchCodeServer({ folder });
  const wb = await openWorkbench(server.url, { folder, payload: devPayload(server.url, EXTENSION) });
  try {
    await waitForWorkbench(wb.page);
    await runCommand(wb.page, 'Harness Smoke: Write File');
    const file = path.join(folder, OUTPUT);
    for (let i = 0; i < 40 && !fs.existsSync(file); i++) await sleep(250);
    const ok = fs.existsSync(file);
    log(`UI: command palette -> ${file} exists: ${ok}; screenshot ${await wb.screenshot(ok ? 'harness-smoke-ui' : 'harness-smoke-ui-failure')}`);
    return ok;
  } catch (err) {
    log(`UI: ${err instanceof Error ? err.message : String(err)}; screenshot ${await wb.screenshot('harness-smoke-ui-failure')}`);
    return false;
  } finally {
    await wb.close();
    await server.stop();
  }
}

async function main(): Promise<number> {
  const t0 = Date.now();
  await provision();
  log(`provision ok (${Date.now() - t0} ms)`);
  const t1 = Date.now();
  const tests = await extensionTests();
  log(`extension tests ${tests ? 'passed' : 'FAILED'} (${Date.now() - t1} ms)`);
  const t2 = Date.now();
  const ui = await uiTest();
  log(`UI test ${ui ? 'passed' : 'FAILED'} (${Date.now() - t2} ms)`);
  const passed = Number(tests) + Number(ui);
  process.stdout.write(`harness-smoke: ${passed} passed, ${2 - passed} failed\n`);
  return passed === 2 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[harness] smoke failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
