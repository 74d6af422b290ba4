/**
 * The "Tokens" tree: plain-data nodes from model.ts, rendered as TreeItems. getTreeItem stays
 * cheap (it runs for every visible node on every refresh); token and target tooltips are built in
 * resolveTreeItem, which VS Code calls on hover.
 */
import * as vscode from 'vscode';
import { historyKey } from '../core/history';
import { perfOn, phase } from '../core/perf';
import { plain } from '../core/text';
import { buildTree, nodeTooltip, type NodeIcon, type TreeInput, type TreeNode, type TokenNode } from './model';

/** Plain data (strings, numbers, arrays, records) equal in value. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Does getTreeItem draw the two nodes alike? A refresh names a node only when it does not. */
function sameLook(a: TreeNode, b: TreeNode): boolean {
  return (
    a.type === b.type &&
    a.label === b.label &&
    a.description === b.description &&
    a.tooltip === b.tooltip &&
    a.contextValue === b.contextValue &&
    a.icon?.id === b.icon?.id &&
    a.icon?.color === b.icon?.color &&
    sameValue(a.command, b.command)
  );
}

/**
 * Would resolveTreeItem (hover) build the two nodes the same tooltip? VS Code keeps a resolved
 * tooltip until the item is refreshed, so a node whose tooltip would change is refreshed even
 * when it looks the same (a credential set for its profile, a new error of its last attempt).
 */
function sameTooltip(a: TreeNode, b: TreeNode): boolean {
  if (a.type === 'token' && b.type === 'token') {
    return a.hasCredential === b.hasCredential && a.stale === b.stale && a.folderName === b.folderName && sameValue(a.status, b.status) && sameValue(a.config, b.config);
  }
  if (a.type === 'target' && b.type === 'target') return sameValue(a, b);
  return true;
}

function childrenOf(n: TreeNode): readonly TreeNode[] | undefined {
  return n.type === 'folder' || n.type === 'token' ? n.children : undefined;
}

/** Every node of a tree by id (the first of an id, as adopt keeps it). */
function indexNodes(roots: readonly TreeNode[]): Map<string, TreeNode> {
  const out = new Map<string, TreeNode>();
  const walk = (nodes: readonly TreeNode[]): void => {
    for (const n of nodes) {
      if (!out.has(n.id)) out.set(n.id, n);
      const kids = childrenOf(n);
      if (kids) walk(kids);
    }
  };
  walk(roots);
  return out;
}

function idsOf(nodes: readonly TreeNode[] | undefined): string {
  return nodes === undefined ? '' : nodes.map((c) => c.id).join('\u0001');
}

export type TreeData = Omit<TreeInput, 'now' | 'rotating'>;

export class TokenTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<TreeNode | TreeNode[] | undefined>();
  private readonly updateEmitter = new vscode.EventEmitter<readonly TreeNode[]>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  /** Fires with the new roots after every rebuild (status bar, badge). */
  readonly onDidUpdate = this.updateEmitter.event;

  private data: TreeData | undefined;
  private cache: TreeNode[] | undefined;
  /**
   * Every node of the last build, by id. VS Code knows a node by its object: a rebuild updates
   * these objects in place, so a change event names only the nodes that look different (a batch
   * of 100 rotations in a 1,000-token tree refreshes 100 items, not 1,000, in the extension host
   * and in the workbench that draws them).
   */
  private known: Map<string, TreeNode> | undefined;
  /** Nodes to name in the next change event; `changedAll`: the roots changed (or none was sent yet). */
  private readonly changed = new Set<TreeNode>();
  private changedAll = true;
  /** The roots of the last build (kept while the cache is invalidated). */
  private lastRoots: TreeNode[] | undefined;
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
      // Build now (what changed is known once the nodes are adopted), then name what changed.
      const roots = this.data ? this.roots() : undefined;
      if (this.changedAll) this.changeEmitter.fire(undefined);
      else {
        // Only nodes still in the tree (one dropped since is refreshed through its parent).
        const nodes = [...this.changed].filter((n) => this.known?.get(n.id) === n);
        if (nodes.length > 0) this.changeEmitter.fire(nodes);
      }
      this.changed.clear();
      this.changedAll = false;
      if (roots) this.updateEmitter.fire(roots);
    });
  }

  roots(): TreeNode[] {
    if (!this.data) return [];
    if (!this.cache) {
      const data = this.data;
      this.cache = phase('tree: build', () => this.adopt(buildTree({ ...data, now: this.now(), rotating: this.rotating })));
      this.parents = undefined;
    }
    return this.cache;
  }

  /**
   * The fresh build, with each node that has an id of the last build replaced by that node's
   * object, updated in place. A node that looks different, or whose children are other ids, is
   * noted for the next change event; a different list of roots (or a node that could not be
   * kept) makes it a full refresh.
   */
  private adopt(fresh: TreeNode[]): TreeNode[] {
    if (this.lastRoots === undefined) {
      // The first build: nothing to keep (the first paint does not pay for the index; the next build makes it).
      this.changedAll = true;
      this.lastRoots = fresh;
      return fresh;
    }
    const previous = this.known ?? indexNodes(this.lastRoots);
    const known = new Map<string, TreeNode>();
    const visit = (nodes: readonly TreeNode[]): { list: TreeNode[]; replaced: boolean } => {
      let replaced = false;
      const list = nodes.map((n) => {
        const kids = childrenOf(n);
        const adopted = kids ? visit(kids) : undefined;
        const old = previous.get(n.id);
        if (old === undefined || old === n || old.type !== n.type || known.has(n.id)) {
          // New here (or not kept): its parent's children are re-read.
          if (old !== undefined && old !== n) replaced = true;
          if (adopted) (n as { children: TreeNode[] }).children = adopted.list;
          if (!known.has(n.id)) known.set(n.id, n);
          return n;
        }
        const differs = !sameLook(old, n) || !sameTooltip(old, n) || idsOf(childrenOf(old)) !== idsOf(kids) || adopted?.replaced === true;
        for (const k of Object.keys(old)) if (!(k in n)) delete (old as unknown as Record<string, unknown>)[k];
        Object.assign(old, n);
        if (adopted) (old as { children: TreeNode[] }).children = adopted.list;
        if (differs) this.changed.add(old);
        known.set(n.id, old);
        return old;
      });
      return { list, replaced };
    };
    const { list, replaced } = visit(fresh);
    if (replaced || idsOf(this.lastRoots) !== idsOf(list)) this.changedAll = true;
    this.known = known;
    this.lastRoots = list;
    return list;
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
    if (!element) return this.data ? (perfOn ? phase('tree: roots VS Code read (getChildren)', () => this.roots()) : this.roots()) : this.readyPromise.then(() => this.roots());
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
    return perfOn ? phase('tree: items VS Code read (getTreeItem)', () => this.treeItem(n)) : this.treeItem(n);
  }

  private treeItem(n: TreeNode): vscode.TreeItem {
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
