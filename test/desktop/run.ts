/**
 * `npm run test:desktop`: the same integration suite (out/test/integration/*.test.js) in VS Code
 * desktop through @vscode/test-electron, for machines that can download VS Code. (This project's
 * CI cannot; it runs the suite in code-server: test/integration/run.ts.)
 *
 * The simulator runs in this process; the machine-scoped cfRotate.apiBaseUrl goes into the user
 * settings of a fresh user-data-dir, as a user would set it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import type { TestResults } from '../harness/extensionTestRunner';
import { repoRoot, resultsDir } from '../harness/util';
import { start } from '../simulator';
import { writeWorkspace } from '../integration/fixture';

async function main(): Promise<number> {
  const root = repoRoot();
  const sim = await start({ port: 0, scenario: 'demo' });
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'cfr-desktop-'));
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'cfr-desktop-user-'));
  const resultsFile = resultsDir('integration-desktop.json');
  try {
    writeWorkspace(folder, sim.control.state());
    fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
    fs.writeFileSync(
      path.join(userData, 'User', 'settings.json'),
      JSON.stringify({ 'cfRotate.apiBaseUrl': sim.url, 'files.autoSave': 'off', 'security.workspace.trust.enabled': false, 'workbench.startupEditor': 'none' }, null, 2),
    );
    const admin = sim.control.state().userTokens.find((t) => t.name === 'cf-rotate admin');
    if (!admin) throw new Error('the demo scenario has no "cf-rotate admin" token');
    fs.rmSync(resultsFile, { force: true });
    await runTests({
      version: process.env.CF_ROTATE_VSCODE_VERSION ?? 'stable',
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(root, 'out', 'test', 'integration', 'index.js'),
      launchArgs: [folder, '--user-data-dir', userData, '--disable-extensions', '--skip-welcome', '--skip-release-notes'],
      extensionTestsEnv: {
        CF_ROTATE_TEST_SIM_URL: sim.url,
        CF_ROTATE_TEST_ADMIN_TOKEN: admin.value,
        CF_ROTATE_TEST_WORKSPACE: folder,
        CF_ROTATE_TEST_RESULTS_FILE: resultsFile,
      },
    }).catch((e: unknown) => {
      // A failing suite also rejects here; the results file says which tests failed.
      if (!fs.existsSync(resultsFile)) throw e;
    });
    const r = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as TestResults;
    for (const f of r.failures) process.stdout.write(`  ✗ ${f.title}: ${f.message}\n`);
    process.stdout.write(`${r.passed} passed, ${r.failed} failed\n`);
    return r.failed === 0 && r.passed > 0 ? 0 : 1;
  } finally {
    await sim.close();
    fs.rmSync(folder, { recursive: true, force: true });
    fs.rmSync(userData, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`[test:desktop] ${e instanceof Error ? e.message : String(e)}\n`);
    process.stderr.write('[test:desktop] This runner downloads VS Code; where that is impossible use `npm run test:integration` (code-server).\n');
    process.exit(1);
  },
);
