// @ts-check
/**
 * Mutation testing with StrykerJS: `npm run mutation` (see "Mutation testing" in CONTRIBUTING.md).
 *
 * MODULES is the only list to edit: one line per module, naming the TypeScript sources to mutate
 * and the compiled unit tests (out/test/unit/…, built by `tsc -p .`) that must kill their mutants.
 * test/mutation/report.mjs prints the score of each module from the JSON report and fails when
 * one is below its threshold; test/mutation/equivalent.md lists the survivors that are equivalent.
 */

/** @typedef {{ name: string, mutate: string[], tests: string[], threshold?: number }} MutationModule */

/** @type {MutationModule[]} */
export const MODULES = [
  { name: 'dotenv', mutate: ['src/core/dotenv/**/*.ts'], tests: ['out/test/unit/dotenv/**/*.test.js'] },
  { name: 'redact', mutate: ['src/core/redact.ts'], tests: ['out/test/unit/core/redact.test.js', 'out/test/unit/security/**/*.test.js'] },
  { name: 'lock', mutate: ['src/core/node/lock.ts', 'src/core/locks.ts'], tests: ['out/test/unit/core/lock.test.js', 'out/test/unit/core/journal.test.js'] },
  { name: 'checked writer', mutate: ['src/core/node/checked.ts', 'src/core/node/files.ts', 'src/core/node/io.ts'], tests: ['out/test/unit/core/checked.test.js', 'out/test/unit/core/targets.test.js', 'out/test/unit/core/io.test.js'] },
  { name: 'journal', mutate: ['src/core/engine/journal.ts', 'src/core/node/journalStore.ts'], tests: ['out/test/unit/core/journal.test.js', 'out/test/unit/core/engine.test.js'] },
  { name: 'targets', mutate: ['src/core/engine/targets/**/*.ts'], tests: ['out/test/unit/core/targets.test.js', 'out/test/unit/core/engine.test.js', 'out/test/unit/destinations/**/*.test.js'] },
  // The schemas themselves: not the other files of src/core/config/ (docs.ts, the words of each key; edit.ts, the
  // tokenId edit; syntax.ts, syntax errors in words), which came after this module and are not mutation-tested yet.
  { name: 'schemas', mutate: ['src/core/config/schema.ts', 'src/core/config/load.ts', 'src/core/credentials.ts'], tests: ['out/test/unit/core/config.test.js', 'out/test/unit/core/credentials.test.js'] },
];

/**
 * `MUTATION_MODULES=lock,journal npm run mutation` runs Stryker over those modules only (names as
 * in MODULES, comma-separated), with their own tests, report and incremental file
 * (reports/mutation/<names>/): a short run while working on one module's tests.
 */
const only = (process.env.MUTATION_MODULES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
for (const name of only) {
  if (!MODULES.some((m) => m.name === name)) throw new Error(`MUTATION_MODULES: no module named "${name}" in stryker.config.mjs (${MODULES.map((m) => m.name).join(', ')})`);
}
/** The modules this run mutates: all of MODULES, or those named in MUTATION_MODULES. */
export const SELECTED = only.length === 0 ? MODULES : MODULES.filter((m) => only.includes(m.name));

/** Minimum mutation score (killed + timed out, over killed + timed out + survived + no coverage) of each module. */
export const DEFAULT_THRESHOLD = 85;

export const REPORT_DIR = only.length === 0 ? 'reports/mutation' : `reports/mutation/${only.map((n) => n.replace(/[^A-Za-z0-9]+/g, '-')).join('+')}`;

const unique = (/** @type {string[]} */ list) => [...new Set(list)];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions & { mochaOptions: Record<string, unknown> }} */
export default {
  packageManager: 'npm',
  testRunner: 'mocha',
  checkers: ['typescript'],
  // The checker type-checks each mutant against the core only (see test/mutation/tsconfig.checker.json).
  tsconfigFile: 'test/mutation/tsconfig.checker.json',
  // Stryker mutates the TypeScript in a sandbox copy of the repository (.stryker-tmp/), builds it
  // once with every mutant switched in, then runs the compiled tests with one mutant active at a
  // time. The TypeScript checker sorts out mutants that do not compile; the build itself ignores
  // types (disableTypeChecks adds `// @ts-nocheck` to every file it compiles).
  buildCommand: 'tsc -p .',
  disableTypeChecks: '{src,test,bench,scripts}/**/*.ts',
  mutate: unique(SELECTED.flatMap((m) => m.mutate)),
  mochaOptions: {
    config: '.mocharc.cjs',
    spec: unique(SELECTED.flatMap((m) => m.tests)),
    // Each mutant run starts with an empty secret registry, as a fresh process would.
    require: ['out/test/unit/setup.js', 'out/test/mutation/hooks.js'],
  },
  coverageAnalysis: 'perTest',
  // Two cores: two test processes; the TypeScript checker works ahead of them.
  concurrency: 2,
  timeoutMS: 10_000,
  incremental: true,
  incrementalFile: `${REPORT_DIR}/incremental.json`,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `${REPORT_DIR}/index.html` },
  jsonReporter: { fileName: `${REPORT_DIR}/mutation.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true, reportMutants: true },
  thresholds: { high: 95, low: DEFAULT_THRESHOLD, break: null },
  // The sandbox needs the sources, the configs and out/ (the compiled tests are the test files
  // the incremental mode compares between runs); not the bundles, caches or VS Code downloads.
  ignorePatterns: ['/.stryker-tmp*', '/dist', '/.vscode-test', '/demo-workspace', '/test-results', '/bench/tmp', '/reports', '*.vsix'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
