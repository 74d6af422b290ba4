/**
 * The activation shell: the only code VS Code loads to activate Cloudflare Rotate (dist/extension.js,
 * a few KiB). It registers every contributed command and the Tokens view, returns at once, and then
 * loads the runtime (dist/runtime.js: core, engine, tree, commands) on the next turn of the event
 * loop, or as soon as the view or a command needs it. Lint keeps this file to `vscode`, constants and
 * type imports, so the runtime's modules (and its secret registry) exist exactly once.
 */
import * as vscode from 'vscode';
import { ALL_COMMAND_IDS, VIEWS, type CommandId } from './constants';
import type { CommandHandler } from './commands/app';
import type * as Runtime from './runtime';
import type { CfRotateApi, CfRotatePublicApi, Shell } from './runtime';
import type { TreeNode } from './views/model';

export type { CfRotateApi, CfRotatePublicApi } from './runtime';

type TreeProvider = Parameters<Shell['attachTree']>[0];

/** CPU time of this process so far (user + system, every thread), in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function loadRuntime(): typeof Runtime {
  // A plain require of the sibling bundle (esbuild leaves it external; tsc output has out/runtime.js).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./runtime') as typeof Runtime;
}

/**
 * Returns what other extensions may use: `ready` and `refresh()`. The full object (engine,
 * credentials, history, …) only to the extension's own tests (`ExtensionMode.Test`).
 */
export function activate(context: vscode.ExtensionContext): CfRotatePublicApi | CfRotateApi {
  const handlers = new Map<CommandId, CommandHandler>();
  const changed = new vscode.EventEmitter<TreeNode | TreeNode[] | undefined | null | void>();
  let provider: TreeProvider | undefined;
  let api: CfRotateApi | undefined;

  const proxy: vscode.TreeDataProvider<TreeNode> = {
    onDidChangeTreeData: changed.event,
    getChildren: async (element) => {
      await runtime();
      return (provider as TreeProvider).getChildren(element);
    },
    // Elements only come from getChildren, so the provider is there by now.
    getTreeItem: (element) => (provider as TreeProvider).getTreeItem(element),
    getParent: (element) => provider?.getParent?.(element),
    resolveTreeItem: (item, element, token) => provider?.resolveTreeItem?.(item, element, token) ?? item,
  };
  const treeView = vscode.window.createTreeView(VIEWS.tokens, { treeDataProvider: proxy, showCollapseAll: true });

  const shell: Shell = {
    treeView,
    attachTree(p) {
      provider = p;
      const sub = p.onDidChangeTreeData?.((e) => changed.fire(e));
      changed.fire(undefined);
      return new vscode.Disposable(() => {
        sub?.dispose();
        if (provider === p) provider = undefined;
      });
    },
    setHandler(id, handler) {
      handlers.set(id, handler);
      return new vscode.Disposable(() => {
        if (handlers.get(id) === handler) handlers.delete(id);
      });
    },
  };

  let loading: Promise<CfRotateApi> | undefined;
  function runtime(): Promise<CfRotateApi> {
    loading ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      try {
        // Marks for the benchmark and for profiling (Developer: Startup Performance shows the host's own),
        // with the process's CPU time so far (core/perf.ts markWithCpu; the shell cannot import the core).
        const mark = (name: string): void => void performance.mark(name, { detail: { cpuMs: cpuMs() } });
        mark('cf-rotate/runtime/willLoad');
        const rt = loadRuntime();
        mark('cf-rotate/runtime/didLoad');
        api = rt.start(context, shell);
        mark('cf-rotate/runtime/didStart');
        void api.ready.then(() => performance.mark('cf-rotate/ready'), () => undefined);
        return api;
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        const reload = vscode.l10n.t('Reload Window');
        void vscode.window
          .showErrorMessage(vscode.l10n.t('Cloudflare Rotate could not load ({0}). Reload the window; if it happens again, reinstall the extension.', why), reload)
          .then((choice) => (choice === reload ? vscode.commands.executeCommand('workbench.action.reloadWindow') : undefined));
        throw e;
      }
    });
    return loading;
  }

  context.subscriptions.push(
    changed,
    treeView,
    ...ALL_COMMAND_IDS.map((id) =>
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        await runtime();
        const handler = handlers.get(id);
        if (!handler) throw new Error(`Cloudflare Rotate has no implementation of ${id}.`);
        return handler(...args);
      }),
    ),
  );

  const ready = runtime().then((a) => a.ready);
  ready.catch(() => undefined); // reported by runtime(); callers that await `ready` still see the error
  const loaded = (): CfRotateApi => {
    if (!api) throw new Error('Cloudflare Rotate is still loading: await `ready` first.');
    return api;
  };
  const refresh = async (): Promise<void> => (await runtime()).refresh();
  if (context.extensionMode !== vscode.ExtensionMode.Test) return { ready, refresh };
  return {
    get engine() {
      return loaded().engine;
    },
    get tree() {
      return loaded().tree;
    },
    get configs() {
      return loaded().configs;
    },
    get credentials() {
      return loaded().credentials;
    },
    get history() {
      return loaded().history;
    },
    get settings() {
      return loaded().settings;
    },
    ready,
    refresh,
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
