/**
 * Runs inside the VS Code extension host: an extensionTestsPath module's `run()` calls
 * runMochaTests(), which runs mocha over compiled test files and always writes a JSON
 * results file for the harness (a failure result if anything goes wrong).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import type Mocha from 'mocha';

/** Env var with the results file path (the harness sets it on code-server; the extension host inherits it). */
export const RESULTS_ENV = 'CF_ROTATE_TEST_RESULTS_FILE';
/** Fallback: a file next to the test module holding the results path. */
export const RESULTS_POINTER_FILE = 'harness-results-path.txt';

export interface TestOutcome {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs: number;
}

export interface TestResults {
  passed: number;
  failed: number;
  failures: Array<{ title: string; message: string }>;
  tests: TestOutcome[];
}

export interface MochaRunOptions {
  /** Folder the pattern is matched under (usually the test module's __dirname). */
  testsRoot: string;
  /** Glob relative to testsRoot; supports `**`, `*` and `?`. Default `**\/*.test.js`. */
  pattern?: string;
  /** Overrides the env var / pointer file. */
  resultsFile?: string;
  /** Per-test timeout in ms (default 20 s). */
  timeoutMs?: number;
  /** Only run tests whose full title matches. */
  grep?: string;
}

export function resolveResultsFile(testsRoot: string, explicit?: string): string {
  if (explicit) return explicit;
  if (process.env[RESULTS_ENV]) return process.env[RESULTS_ENV];
  const pointer = path.join(testsRoot, RESULTS_POINTER_FILE);
  if (fs.existsSync(pointer)) return fs.readFileSync(pointer, 'utf8').trim();
  return path.join(testsRoot, 'results.json');
}

export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (glob.startsWith('**/', i)) {
      re += '(?:.*/)?';
      i += 2;
    } else if (glob.startsWith('**', i)) {
      re += '.*';
      i += 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function findFiles(root: string, pattern: string): string[] {
  const re = globToRegExp(pattern);
  return (fs.readdirSync(root, { recursive: true }) as string[])
    .map((rel) => rel.split(path.sep).join('/'))
    .filter((rel) => re.test(rel))
    .sort()
    .map((rel) => path.join(root, rel));
}

function writeResults(file: string, results: TestResults): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(results, null, 2) + '\n');
  fs.renameSync(tmp, file); // atomic: the harness never reads half a file
}

function errorText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

async function runMocha(opts: MochaRunOptions): Promise<TestResults> {
  // Loaded lazily so that a load failure is reported in the results file.
  const MochaCtor = createRequire(__filename)('mocha') as typeof Mocha;
  const mocha = new MochaCtor({ ui: 'bdd', color: false, timeout: opts.timeoutMs ?? 20_000 });
  if (opts.grep) mocha.grep(opts.grep);
  const files = findFiles(opts.testsRoot, opts.pattern ?? '**/*.test.js');
  if (files.length === 0) throw new Error(`no test files match ${opts.pattern ?? '**/*.test.js'} under ${opts.testsRoot}`);
  files.forEach((f) => mocha.addFile(f));
  await mocha.loadFilesAsync();
  const results: TestResults = { passed: 0, failed: 0, failures: [], tests: [] };
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    runner.on('pass', (t) => {
      results.passed++;
      results.tests.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration ?? 0 });
    });
    runner.on('fail', (t, err) => {
      results.failed++;
      results.failures.push({ title: t.fullTitle(), message: errorText(err) });
      results.tests.push({ title: t.fullTitle(), state: 'failed', durationMs: t.duration ?? 0 });
    });
    runner.on('pending', (t) => results.tests.push({ title: t.fullTitle(), state: 'pending', durationMs: 0 }));
  });
  return results;
}

/** Never rejects: whatever happens, a results file is written and returned. */
export async function runMochaTests(opts: MochaRunOptions): Promise<TestResults> {
  let file = path.join(opts.testsRoot, 'results.json');
  let results: TestResults;
  try {
    file = resolveResultsFile(opts.testsRoot, opts.resultsFile);
    results = await runMocha(opts);
  } catch (err) {
    results = { passed: 0, failed: 1, failures: [{ title: 'extension test runner', message: errorText(err) }], tests: [] };
  }
  try {
    writeResults(file, results);
  } catch (err) {
    console.error(`[harness] could not write ${file}: ${errorText(err)}`);
  }
  return results;
}
