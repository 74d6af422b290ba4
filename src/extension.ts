/**
 * Cloudflare Rotate: activation wires the host adapters, the tree and the commands, then loads
 * everything in the background. No network, no blocking file reads here.
 */
import * as vscode from 'vscode';
import { CREDENTIAL_PREFIX, type CredentialStore } from './core/credentials';
import type { RotationEngine } from './core/engine/engine';
import { JOURNAL_PREFIX } from './core/engine/journal';
import { toCfRotateError } from './core/errors';
import type { HistoryStore } from './core/history';
import type { ConfigRegistry } from './host/configs';
import { createHostServices } from './host/services';
import { Settings } from './host/settings';
import { ViewController } from './views/controller';
import type { TokenTreeProvider } from './views/tree';
import type { App } from './commands/app';
import { notifyError } from './commands/app';
import { registerConfigCommands } from './commands/config';
import { registerCredentialCommands } from './commands/credentials';
import { offerResume, registerRotateCommands } from './commands/rotate';
import { registerViewCommands } from './commands/view';

/** Returned by activate() for integration tests and other extensions. Holds no secret. */
export interface CfRotateApi {
  engine: RotationEngine;
  tree: TokenTreeProvider;
  configs: ConfigRegistry;
  credentials: CredentialStore;
  history: HistoryStore;
  settings: Settings;
  /** Resolves when the first load (configs, history, journals, credentials) has finished. */
  ready: Promise<void>;
  /** Re-read every cf-rotate.json and rebuild the tree. */
  refresh(): Promise<void>;
}

export function activate(context: vscode.ExtensionContext): CfRotateApi {
  const host = createHostServices(context);
  const view = new ViewController(host);
  const app: App = { ...host, view };

  context.subscriptions.push(
    host.log,
    host.configs,
    view,
    ...registerRotateCommands(app),
    ...registerCredentialCommands(app),
    ...registerConfigCommands(app),
    ...registerViewCommands(app),
    host.configs.onDidChange(() => void view.rebuild()),
    // Other windows share SecretStorage: credentials and journals can change under us.
    context.secrets.onDidChange((e) => {
      if (!e.key.startsWith(CREDENTIAL_PREFIX) && !e.key.startsWith(JOURNAL_PREFIX)) return;
      void host.secrets.noteChanged(e.key).catch(() => undefined);
      if (e.key.startsWith(CREDENTIAL_PREFIX)) host.engine.resetClients();
      void view.rebuild();
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (Settings.affects(e, 'apiBaseUrl')) {
        host.engine.resetClients();
        try {
          host.logger.info(`Cloudflare API base URL: ${host.settings.apiBaseUrl()}`);
        } catch (err) {
          notifyError(app, 'The setting cfRotate.apiBaseUrl is invalid', err);
        }
      }
      if (Settings.affects(e, 'reminderDays')) void view.rebuild();
    }),
  );

  const ready = (async () => {
    try {
      await view.refresh();
      await offerResume(app);
    } catch (e) {
      notifyError(app, 'Cloudflare Rotate could not load its state', toCfRotateError(e));
      // Never leave the tree spinning: show what is known (nothing) and let Refresh try again.
      if (!view.tree.hasData()) view.tree.setData({ folders: [], workspaceFolderCount: 0, history: [], reminderDays: 0, interrupted: new Set() });
    }
  })();

  return {
    engine: host.engine,
    tree: view.tree,
    configs: host.configs,
    credentials: host.credentials,
    history: host.history,
    settings: host.settings,
    ready,
    refresh: () => view.refresh({ reloadConfigs: true }),
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
