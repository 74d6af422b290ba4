/**
 * Loads src/actions.ts (the commands and the API clients) on first use: a plain require of the
 * sibling module (esbuild leaves it external: dist/actions.js beside dist/runtime.js; tsc output
 * has out/src/actions.js). Synchronous, so an API client can still be made where one is needed.
 */
import type * as Actions from './actions';

let loaded: typeof Actions | undefined;

export function actions(): typeof Actions {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loaded ??= require('./actions') as typeof Actions);
}
