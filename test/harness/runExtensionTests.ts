/**
 * Loads an extension under development into code-server's remote extension host, runs
 * its extensionTestsPath module there (see extensionTestRunner.ts) and collects the
 * JSON results it writes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { devPayload, openWorkbench, type Workbench } from './browser';
import { launchCodeServer, type CodeServer } from './codeServer';
import { saveFailureDiagnostics } from './diagnostics';
import { RESULTS_ENV, type TestResults } from './extensionTestRunner';
import { cacheDir, log, repoRoot, resultsDir, sleep } from './util';

export interface ExtensionTestOptions {
  /** Folder with the extension's package.json. */
  extensionDevelopmentPath: string;
  /** Compiled module exporting `run()`. */
  extensionTestsPath: string;
  /** Workspace folder to open. */
  folder: string;
  /** JSON written by the test module; deleted before the run. */
  resultsFile: string;
  timeoutMs: number;
  settings?: Record<string, unknown>;
  /** Machine/settings.json (the remote machine's settings; see CodeServerOptions). */
  machineSettings?: Record<string, unknown>;
  env?: Record<string, string>;
  /** Label for screenshots and logs (default: basename of resultsFile). */
  name?: string;
}

function failure(message: string): TestResults {
  return { passed: 0, failed: 1, failures: [{ title: 'harness', message }], tests: [] };
}

async function waitForResults(file: string, server: CodeServer, wb: Workbench, timeoutMs: number): Promise<TestResults> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (fs.existsSync(file)) {
      try {
        return JSON.parse(fs.readFileSync(file, 'utf8')) as TestResults;
      } catch (err) {
        return failure(`unreadable results file ${file}: ${String(err)}`);
      }
    }
    if (wb.page.isClosed()) return failure('the workbench page closed before results were written');
    if (!server.isRunning()) return failure(`code-server exited before results were written (log: ${server.logFile})`);
    if (Date.now() > deadline) return failure(`timed out after ${timeoutMs / 1000}s waiting for ${file} (server log: ${server.logFile})`);
    await sleep(500);
  }
}

export function printResults(name: string, r: TestResults): void {
  const out = (s: string): boolean => process.stdout.write(`${s}\n`);
  out(`\n${name}`);
  for (const t of r.tests) out(`  ${t.state === 'passed' ? '✓' : t.state === 'failed' ? '✗' : '-'} ${t.title} (${t.durationMs} ms)`);
  r.failures.forEach((f, i) => out(`\n  ${i + 1}) ${f.title}\n     ${f.message.split('\n').join('\n     ')}`));
  out(`\n${r.passed} passed, ${r.failed} failed`);
}

export async function runExtensionTests(opts: ExtensionTestOptions): Promise<TestResults> {
  const name = opts.name ?? path.basename(opts.resultsFile, '.json');
  fs.rmSync(opts.resultsFile, { force: true });
  let server: CodeServer | undefined;
  let wb: Workbench | undefined;
  let results: TestResults;
  try {
    server = await launchCodeServer({
      folder: opts.folder,
      settings: opts.settings,
      ...(opts.machineSettings ? { machineSettings: opts.machineSettings } : {}),
      env: { ...opts.env, [RESULTS_ENV]: path.resolve(opts.resultsFile) },
    });
    const payload = devPayload(server.url, opts.extensionDevelopmentPath, opts.extensionTestsPath);
    wb = await openWorkbench(server.url, { folder: opts.folder, payload });
    results = await waitForResults(opts.resultsFile, server, wb, opts.timeoutMs);
  } catch (err) {
    results = failure(err instanceof Error ? err.message : String(err));
  }
  printResults(name, results);
  if (results.failed > 0 || results.passed === 0) {
    const open = wb && !wb.page.isClosed() ? wb : undefined;
    if (open) {
      const shot = await open.screenshot(`${name}-failure`).catch(() => undefined);
      if (shot) log(`screenshot: ${shot}`);
    }
    saveFailureDiagnostics(name, open, server);
  }
  await wb?.close().catch(() => undefined);
  await server?.stop();
  return results;
}

const USAGE = `usage: node out/test/harness/runExtensionTests.js <extensionTestsPath> [--extension DIR] [--folder DIR]
       [--results FILE] [--timeout SECONDS]
  --extension  extensionDevelopmentPath (default: the repository root)
  --folder     workspace folder (default: a fresh .vscode-test/workspaces/<name>)
  --results    results JSON (default: test-results/<name>.json)
Exits 0 only if at least one test ran and none failed. The environment is passed on to the
extension host (e.g. CF_ROTATE_TEST_* variables).`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      extension: { type: 'string' },
      folder: { type: 'string' },
      results: { type: 'string' },
      timeout: { type: 'string', default: '300' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length !== 1) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const testsPath = path.resolve(positionals[0]);
  const name = path.basename(path.dirname(testsPath));
  const folder = values.folder ? path.resolve(values.folder) : cacheDir('workspaces', name);
  if (!values.folder) fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder, { recursive: true });
  const results = await runExtensionTests({
    name,
    extensionDevelopmentPath: path.resolve(values.extension ?? repoRoot()),
    extensionTestsPath: testsPath,
    folder,
    resultsFile: path.resolve(values.results ?? resultsDir(`${name}.json`)),
    timeoutMs: Number(values.timeout) * 1000,
  });
  return results.failed === 0 && results.passed > 0 ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`[harness] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
