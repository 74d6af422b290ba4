/**
 * Loads src/actions.ts (the commands, the engine and the API clients) on first use: a plain
 * require of the sibling module (esbuild leaves it external: dist/actions.js beside
 * dist/runtime.js; tsc output has out/src/actions.js). Synchronous, so an API client or the
 * engine can still be made where one is needed.
 */
import * as vscode from 'vscode';
import type * as Actions from './actions';

let loaded: typeof Actions | undefined;
let reported = false;

export function actions(): typeof Actions {
  if (loaded) return loaded;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('./actions') as typeof Actions;
    return loaded;
  } catch (e) {
    // A damaged installation (dist/actions.js missing or unreadable): nothing ran, say so once.
    const why = e instanceof Error ? e.message.split('\n')[0] ?? '' : String(e);
    if (!reported) {
      reported = true;
      const reload = vscode.l10n.t('Reload Window');
      void vscode.window
        .showErrorMessage(vscode.l10n.t('Cloudflare Rotate could not load its commands ({0}). Nothing was changed. Reload the window; if it happens again, reinstall the extension.', why), reload)
        .then((choice) => (choice === reload ? vscode.commands.executeCommand('workbench.action.reloadWindow') : undefined));
    }
    throw new Error(vscode.l10n.t('Cloudflare Rotate could not load its commands ({0}). Nothing was changed.', why));
  }
}
