/**
 * The part of the runtime that is loaded on first use (dist/actions.js): the commands and the API
 * clients. The runtime (src/runtime.ts) draws the tree and registers a dispatcher for every command
 * without them; the first command, API client, interrupted rotation to offer or due retirement
 * loads this module (src/lazy.ts). In the bundles, every module this one shares with the runtime
 * is the runtime's own instance (esbuild.js maps it), so there is still one secret registry.
 */
import type * as vscode from 'vscode';
import type { App } from './commands/app';
import { registerConfigCommands } from './commands/config';
import { registerCredentialCommands } from './commands/credentials';
import { registerRotateCommands } from './commands/rotate';
import { registerViewCommands } from './commands/view';
import { registerZeroDowntimeCommands } from './commands/zeroDowntime';

export { CloudflareClient } from './core/cloudflare/client';
export { RotationEngine } from './core/engine/engine';
export { GitHubClient } from './core/github/client';
export { notifyError } from './commands/app';
export { offerResume } from './commands/rotate';
export { retireDue } from './commands/zeroDowntime';

/** Every command's handler, through `app.registerCommand`. */
export function registerCommands(app: App): vscode.Disposable[] {
  return [
    ...registerRotateCommands(app),
    ...registerCredentialCommands(app),
    ...registerConfigCommands(app),
    ...registerViewCommands(app),
    ...registerZeroDowntimeCommands(app),
  ];
}
