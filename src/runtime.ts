/**
 * Everything behind the activation shell (src/extension.ts): host adapters, engine, tree, commands.
 * Built into its own bundle (dist/runtime.js) and required by the shell right after activate()
 * returns, or earlier when the Tokens view or a command needs it. This bundle is the only one
 * that contains src/core, so there is exactly one secret registry (src/core/redact.ts).
 */
import * as vscode from 'vscode';
import type { CommandId } from './constants';
import { CREDENTIAL_PREFIX, type CredentialStore } from './core/credentials';
import type { RotationEngine } from './core/engine/engine';
import { JOURNAL_PREFIX } from './core/engine/journal';
import { toCfRotateError } from './core/errors';
import { configureL10n, resetL10n } from './core/l10n';
import { phase } from './core/perf';
import type { HistoryStore } from './core/history';
import type { ConfigRegistry } from './host/configs';
import { createHostServices, type HostServices } from './host/services';
import { editorWording, useWording } from './core/wording';
import { migrateLegacyState } from './host/migrate';
import { sweepStateDir } from './core/node/stateDir';
import { Settings } from './host/settings';
import { ViewController } from './views/controller';
import type { TreeNode } from './views/model';
import type { TokenTreeProvider } from './views/tree';
import type { App, CommandHandler } from './commands/app';
import { ALL_COMMAND_IDS } from './constants';
import { actions } from './lazy';

/** How often due retirements are carried out while a window is open. */
const RETIRE_TICK_MS = 10 * 60_000;

/** What activate() returns to other extensions: nothing that holds or reaches a credential. */
export interface CfRotatePublicApi {
  /** Resolves when the runtime is loaded and its first load (configs, history, journals, credentials) has finished. */
  ready: Promise<void>;
  /** Re-read every cf-rotate.json and rebuild the tree. */
  refresh(): Promise<void>;
}

/** What activate() returns to the extension's own tests (`ExtensionMode.Test`) only. Holds no secret, but reaches them. */
export interface CfRotateApi extends CfRotatePublicApi {
  engine: RotationEngine;
  tree: TokenTreeProvider;
  configs: ConfigRegistry;
  credentials: CredentialStore;
  history: HistoryStore;
  settings: Settings;
}

/** What the activation shell created before the runtime was loaded. */
export interface Shell {
  /** The Tokens view; its data provider forwards to the one `attachTree` installs. */
  treeView: vscode.TreeView<TreeNode>;
  attachTree(provider: vscode.TreeDataProvider<TreeNode>): vscode.Disposable;
  /** The shell registered every command of package.json; this installs the code behind one. */
  setHandler(id: CommandId, handler: CommandHandler): vscode.Disposable;
}

export function start(context: vscode.ExtensionContext, shell: Shell): CfRotateApi {
  useWording(editorWording);
  // The core's and the tree's messages (@vscode/l10n) from the bundle VS Code loaded for the display language.
  configureL10n({ bundle: vscode.l10n.bundle, language: vscode.env.language });
  const host = createHostServices(context);
  const view = new ViewController(host, shell.treeView);
  // The commands' code (src/actions.ts) loads with the first command: until then each command id
  // has a dispatcher that loads it, and its handlers are kept here.
  const handlers = new Map<CommandId, CommandHandler>();
  // Not a spread of `host`: its engine is made (and dist/actions.js loaded) on first use only.
  const app: App = Object.assign(Object.create(host) as HostServices, {
    view,
    registerCommand: (id: CommandId, handler: CommandHandler): vscode.Disposable => {
      handlers.set(id, handler);
      return new vscode.Disposable(() => {
        if (handlers.get(id) === handler) handlers.delete(id);
      });
    },
  });
  let commandsLoaded = false;
  const loadCommands = (): void => {
    if (commandsLoaded) return;
    context.subscriptions.push(...actions().registerCommands(app));
    commandsLoaded = true;
  };

  context.subscriptions.push(
    { dispose: resetL10n },
    host.log,
    host.configs,
    view,
    shell.attachTree(view.tree),
    ...ALL_COMMAND_IDS.map((id) =>
      shell.setHandler(id, (...args: unknown[]) => {
        loadCommands();
        const handler = handlers.get(id);
        if (!handler) throw new Error(`Cloudflare Rotate has no implementation of ${id}.`);
        return handler(...args);
      }),
    ),
    // (A configuration change rebuilds the tree: the ViewController listens itself.)
    // Other windows share SecretStorage: credentials and journals can change under us.
    context.secrets.onDidChange((e) => {
      if (!e.key.startsWith(CREDENTIAL_PREFIX) && !e.key.startsWith(JOURNAL_PREFIX)) return;
      void host.secrets.noteChanged(e.key).catch(() => undefined);
      if (e.key.startsWith(CREDENTIAL_PREFIX)) {
        host.credentials.noteChanged(e.key);
        host.state.resetClients();
      }
      void view.rebuild();
    }),
    // The effective API base URL, compared on every settings change (not only edits of the setting
    // itself: VS Code re-reading the settings can drop a value too), so cached clients never keep an old one.
    host.settings.watchApiBaseUrl((next) => {
      host.state.resetClients();
      if (next.error !== undefined) actions().notifyError(app, vscode.l10n.t('The setting cfRotate.apiBaseUrl is invalid'), next.error);
      else host.logger.info(`Cloudflare API base URL: ${next.url ?? ''} (${next.source}).`);
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (Settings.affects(e, 'reminderDays')) void view.rebuild();
    }),
  );

  const ready = (async () => {
    try {
      // cf-rotate 0.1's state (moved once, rarely there; asking SecretStorage is a round trip) is moved
      // after the tree has its data, not while it loads (its reads would compete with the tree's):
      // the tree shows what was moved after one more rebuild.
      await phase('ready: configs + tree data', () => view.refresh());
      if (await phase('ready: legacy state', () => migrateLegacyState(host))) await view.rebuild();
      // Temporary files that killed processes left beside the targets (and in the state directory).
      void Promise.all(host.configs.tokens().map((rt) => host.state.sweep(rt.folder.path, [rt.token]))).catch(() => undefined);
      void sweepStateDir(host.stateDir).catch(() => undefined);
      // The commands' code is loaded only when there is something to offer or to carry out.
      await phase('ready: offer resume', async () => {
        const waiting = await Promise.all([host.state.interrupted(), host.state.unreadable()]).catch(() => undefined);
        // A failed read is offered too: offerResume reads again and says what failed.
        if (!waiting) await actions().offerResume(app);
        else if (waiting.some((x) => x.length > 0)) await actions().offerResume(app, { interrupted: waiting[0], unreadable: waiting[1] });
      });
      // Previous credentials whose overlap ended (replace, OAuth clients, admin credentials): delete them now, and every 10 minutes.
      const retireDue = async (): Promise<unknown> => {
        const now = Date.now();
        if (!(await host.state.retirements.list().catch(() => [{ dueAt: now }])).some((r) => r.dueAt <= now)) return [];
        return actions().retireDue(app);
      };
      void retireDue().catch((e: unknown) => actions().notifyError(app, vscode.l10n.t('Could not carry out the due retirements'), e));
      const tick = setInterval(() => void retireDue().catch(() => undefined), RETIRE_TICK_MS);
      context.subscriptions.push({ dispose: () => clearInterval(tick) });
    } catch (e) {
      actions().notifyError(app, vscode.l10n.t('Cloudflare Rotate could not load its state'), toCfRotateError(e));
      // Never leave the tree spinning: show what is known (nothing) and let Refresh try again.
      if (!view.tree.hasData()) view.tree.setData({ folders: [], workspaceFolderCount: 0, history: [], reminderDays: 0, interrupted: new Set() });
    }
  })();

  return {
    get engine(): RotationEngine {
      return host.engine;
    },
    tree: view.tree,
    configs: host.configs,
    credentials: host.credentials,
    history: host.history,
    settings: host.settings,
    ready,
    refresh: () => view.refresh({ reloadConfigs: true }),
  };
}
