/** cf-rotate's version (package.json "version"; test/unit/core/version.test.ts keeps them equal). */
export const VERSION = '0.1.0';
