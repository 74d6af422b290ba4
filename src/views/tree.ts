/**
 * The "Tokens" tree: plain-data nodes from model.ts, rendered as TreeItems. getTreeItem stays
 * cheap (it runs for every visible node on every refresh); token and target tooltips are built in
 * resolveTreeItem, which VS Code calls on hover.
 */
import * as vscode from 'vscode';
import { historyKey } from '../core/history';
import { phase } from '../core/perf';
import { plain } from '../core/text';
import { buildTree, nodeTooltip, type NodeIcon, type TreeInput, type TreeNode, type TokenNode } from './model';

export type TreeData = Omit<TreeInput, 'now' | 'rotating'>;

export class TokenTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<TreeNode | undefined>();
  private readonly updateEmitter = new vscode.EventEmitter<readonly TreeNode[]>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  /** Fires with the new roots after every rebuild (status bar, badge). */
  readonly onDidUpdate = this.updateEmitter.event;

  private data: TreeData | undefined;
  private cache: TreeNode[] | undefined;
  /** Node id → parent, built on the first getParent after a rebuild (only `reveal` needs it). */
  private parents: Map<string, TreeNode> | undefined;
  /** ThemeIcons are immutable: one per NodeIcon (the model shares those of tokens and targets). */
  private readonly icons = new WeakMap<NodeIcon, vscode.ThemeIcon>();
  private readonly rotating = new Set<string>();
  static readonly THROTTLE_MS = 1000;
  static readonly BATCH_THROTTLE_MS = 5000;
  private lastFlush = 0;
  private trailing: ReturnType<typeof setTimeout> | undefined;
  private trailingAt = 0;
  private resolveReady!: () => void;
  private readonly readyPromise = new Promise<void>((r) => (this.resolveReady = r));

  constructor(private readonly now: () => number = Date.now) {}

  /** New data (configs, history, journals, credentials): rebuild and notify (`throttleMs` 0: at once). */
  setData(data: TreeData, throttleMs?: number): void {
    this.data = data;
    this.resolveReady();
    this.invalidate(throttleMs);
  }

  hasData(): boolean {
    return this.data !== undefined;
  }

  /**
   * Mark tokens as being rotated (spinner) or done. While others of a batch still rotate, a token
   * that is done is shown with the next rebuild at most every BATCH_THROTTLE_MS (each rebuild
   * re-renders every node of the tree; a batch of 100 used to rebuild it once a second).
   */
  setRotating(items: readonly { folder: string; name: string }[], on: boolean): void {
    for (const i of items) {
      const k = historyKey(i.folder, i.name);
      if (on) this.rotating.add(k);
      else this.rotating.delete(k);
    }
    if (!on && this.rotating.size > 0) this.invalidate(TokenTreeProvider.BATCH_THROTTLE_MS);
    else this.invalidate();
  }

  /**
   * Rebuild (relative times, due states) without new data. Throttled: the first change is shown at
   * once, later ones at most every THROTTLE_MS (a batch of 100 rotations would otherwise rebuild and
   * re-render the whole tree ~120 times).
   */
  invalidate(throttleMs: number = TokenTreeProvider.THROTTLE_MS): void {
    this.cache = undefined;
    const wait = this.lastFlush + throttleMs - Date.now();
    if (this.trailing) {
      // A sooner flush is already planned; a change that needs one sooner than planned brings it forward.
      if (this.trailingAt <= Date.now() + Math.max(wait, 0)) return;
      clearTimeout(this.trailing);
      this.trailing = undefined;
    }
    if (wait <= 0) this.flush();
    else {
      this.trailingAt = Date.now() + wait;
      this.trailing = setTimeout(() => this.flush(), wait);
    }
  }

  private flush(): void {
    if (this.trailing) clearTimeout(this.trailing);
    this.trailing = undefined;
    this.lastFlush = Date.now();
    phase('tree: change events', () => {
      this.changeEmitter.fire(undefined);
      if (this.data) this.updateEmitter.fire(this.roots());
    });
  }

  roots(): TreeNode[] {
    if (!this.data) return [];
    if (!this.cache) {
      const data = this.data;
      this.cache = phase('tree: build', () => buildTree({ ...data, now: this.now(), rotating: this.rotating }));
      this.parents = undefined;
    }
    return this.cache;
  }

  findToken(folder: string, name: string): TokenNode | undefined {
    const walk = (nodes: readonly TreeNode[]): TokenNode | undefined => {
      for (const n of nodes) {
        if (n.type === 'token' && n.folder === folder && n.name === name) return n;
        if (n.type === 'folder') {
          const hit = walk(n.children);
          if (hit) return hit;
        }
      }
      return undefined;
    };
    return walk(this.roots());
  }

  /** Synchronous once there is data (no promise per node); the roots wait for the first setData. */
  getChildren(element?: TreeNode): TreeNode[] | Promise<TreeNode[]> {
    if (!element) return this.data ? this.roots() : this.readyPromise.then(() => this.roots());
    return element.type === 'folder' || element.type === 'token' ? element.children : [];
  }

  getParent(element: TreeNode): TreeNode | undefined {
    const roots = this.roots();
    if (!this.parents) {
      const parents = new Map<string, TreeNode>();
      const index = (nodes: readonly TreeNode[], parent: TreeNode | undefined): void => {
        for (const n of nodes) {
          if (parent) parents.set(n.id, parent);
          if (n.type === 'folder' || n.type === 'token') index(n.children, n);
        }
      };
      index(roots, undefined);
      this.parents = parents;
    }
    return this.parents.get(element.id);
  }

  getTreeItem(n: TreeNode): vscode.TreeItem {
    const collapsible =
      n.type === 'folder'
        ? vscode.TreeItemCollapsibleState.Expanded
        : n.type === 'token'
          ? vscode.TreeItemCollapsibleState.Collapsed
          : vscode.TreeItemCollapsibleState.None;
    // Labels and descriptions are plain text: no control, bidi or invisible characters from a
    // repository or from Cloudflare. Tooltips are Markdown built from escaped text (model.ts).
    const label = plain(n.label);
    const item = new vscode.TreeItem(label, collapsible);
    item.id = n.id;
    item.contextValue = n.contextValue;
    const description = n.description !== undefined ? plain(n.description) : undefined;
    if (description !== undefined) item.description = description;
    // Token and target nodes have no tooltip yet: resolveTreeItem builds it on hover.
    if (n.tooltip !== undefined) item.tooltip = markdown(n.tooltip);
    if (n.icon) item.iconPath = this.icon(n.icon);
    if (n.command) item.command = n.command;
    item.accessibilityInformation = { label: description ? vscode.l10n.t('{0}, {1}', label, description) : label };
    return item;
  }

  /** Fills in the tooltip of a token or target node (VS Code calls this on hover). */
  resolveTreeItem(item: vscode.TreeItem, n: TreeNode): vscode.TreeItem {
    if (item.tooltip === undefined) {
      const tip = nodeTooltip(n);
      if (tip !== undefined) item.tooltip = markdown(tip);
    }
    return item;
  }

  private icon(i: NodeIcon): vscode.ThemeIcon {
    let icon = this.icons.get(i);
    if (!icon) {
      icon = new vscode.ThemeIcon(i.id, i.color ? new vscode.ThemeColor(i.color) : undefined);
      this.icons.set(i, icon);
    }
    return icon;
  }

  dispose(): void {
    if (this.trailing) clearTimeout(this.trailing);
    this.changeEmitter.dispose();
    this.updateEmitter.dispose();
  }
}

/** Untrusted Markdown: no HTML, no command links that run, no theme icons. */
function markdown(text: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(text);
  md.supportHtml = false;
  md.isTrusted = false;
  md.supportThemeIcons = false;
  return md;
}
