/**
 * Root hooks for mutation runs only (stryker.config.mjs puts this file in mochaOptions.require).
 *
 * Stryker keeps its test processes alive across mutants, so process-wide state would carry from
 * one mutant's run into the next. The secret registry in src/core/redact.ts is such state: a
 * mutant of registerSecret() could fill it with junk that then makes later, unrelated mutants
 * look killed. Every run starts with an empty registry, like a fresh `npm run test:unit`.
 */
import { knownSecrets } from '../../src/core/redact';

export const mochaHooks = {
  beforeAll(): void {
    (knownSecrets() as Set<string>).clear();
  },
};
