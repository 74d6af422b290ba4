/**
 * zod's code generator (`compileFn` of zod/v4/core, what `z.compile` uses), in its own bundle:
 * dist/codegen.js beside dist/runtime.js (esbuild leaves load.ts's `require('./codegen')`
 * external for the runtime; the CLI and the action bundle it), or out/src/core/config/codegen.js
 * under tsc. Only a configuration of COMPILE_FROM_TOKENS entries or more needs it (load.ts), so
 * the runtime the editor loads at startup does not carry it: ~40 KiB of the generator and the
 * parts of zod only it uses. It works on the runtime's schema objects (their definitions are plain
 * data), so it holds no state of its own that the runtime's zod would have to share.
 */
export { compileFn, INVALID } from 'zod/v4/core';
