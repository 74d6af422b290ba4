/**
 * Root hooks for mutation runs only (stryker.config.mjs puts this file in mochaOptions.require).
 *
 * Stryker keeps its test processes alive across mutants, so process-wide state would carry from
 * one mutant's run into the next. The secret registry in src/core/redact.ts is such state: a
 * mutant of registerSecret() could fill it with junk that then makes later, unrelated mutants
 * look killed. Every run starts with an empty registry, like a fresh `npm run test:unit`.
 *
 * redact.ts is imported in the hook, not at the top: Stryker loads this file before the test
 * files, and a module loaded that early would miss the static mutants (its module-level code,
 * such as the PATTERNS list, is evaluated once, when the test files load with the mutant active).
 */
type Redact = typeof import('../../src/core/redact');

export const mochaHooks = {
  beforeAll(): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded late on purpose (see above)
    const { knownSecrets } = require('../../src/core/redact') as Redact;
    (knownSecrets() as Set<string>).clear();
  },
};
