/** The "Tokens" tree: plain-data nodes from model.ts, rendered as TreeItems. */
import * as vscode from 'vscode';
import { historyKey } from '../core/history';
import { buildTree, type TreeInput, type TreeNode, type TokenNode } from './model';

export type TreeData = Omit<TreeInput, 'now' | 'rotating'>;

export class TokenTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<TreeNode | undefined>();
  private readonly updateEmitter = new vscode.EventEmitter<readonly TreeNode[]>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  /** Fires with the new roots after every rebuild (status bar, badge). */
  readonly onDidUpdate = this.updateEmitter.event;

  private data: TreeData | undefined;
  private cache: TreeNode[] | undefined;
  private readonly parents = new Map<string, TreeNode>();
  private readonly rotating = new Set<string>();
  static readonly THROTTLE_MS = 1000;
  private lastFlush = 0;
  private trailing: ReturnType<typeof setTimeout> | undefined;
  private resolveReady!: () => void;
  private readonly readyPromise = new Promise<void>((r) => (this.resolveReady = r));

  constructor(private readonly now: () => number = Date.now) {}

  /** New data (configs, history, journals, credentials): rebuild and notify. */
  setData(data: TreeData): void {
    this.data = data;
    this.resolveReady();
    this.invalidate();
  }

  hasData(): boolean {
    return this.data !== undefined;
  }

  /** Mark tokens as being rotated (spinner) or done. */
  setRotating(items: readonly { folder: string; name: string }[], on: boolean): void {
    for (const i of items) {
      const k = historyKey(i.folder, i.name);
      if (on) this.rotating.add(k);
      else this.rotating.delete(k);
    }
    this.invalidate();
  }

  /**
   * Rebuild (relative times, due states) without new data. Throttled: the first change is shown at
   * once, later ones at most every THROTTLE_MS (a batch of 100 rotations would otherwise rebuild and
   * re-render the whole tree ~120 times).
   */
  invalidate(): void {
    this.cache = undefined;
    if (this.trailing) return;
    const wait = this.lastFlush + TokenTreeProvider.THROTTLE_MS - Date.now();
    if (wait <= 0) this.flush();
    else this.trailing = setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    if (this.trailing) clearTimeout(this.trailing);
    this.trailing = undefined;
    this.lastFlush = Date.now();
    this.changeEmitter.fire(undefined);
    if (this.data) this.updateEmitter.fire(this.roots());
  }

  roots(): TreeNode[] {
    if (!this.data) return [];
    if (!this.cache) {
      this.cache = buildTree({ ...this.data, now: this.now(), rotating: this.rotating });
      this.parents.clear();
      const index = (nodes: readonly TreeNode[], parent: TreeNode | undefined): void => {
        for (const n of nodes) {
          if (parent) this.parents.set(n.id, parent);
          if (n.type === 'folder' || n.type === 'token') index(n.children, n);
        }
      };
      index(this.cache, undefined);
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

  async getChildren(element?: TreeNode): Promise<TreeNode[]> {
    if (!element) {
      await this.readyPromise;
      return this.roots();
    }
    return element.type === 'folder' || element.type === 'token' ? element.children : [];
  }

  getParent(element: TreeNode): TreeNode | undefined {
    return this.parents.get(element.id);
  }

  getTreeItem(n: TreeNode): vscode.TreeItem {
    const collapsible =
      n.type === 'folder'
        ? vscode.TreeItemCollapsibleState.Expanded
        : n.type === 'token'
          ? vscode.TreeItemCollapsibleState.Collapsed
          : vscode.TreeItemCollapsibleState.None;
    const item = new vscode.TreeItem(n.label, collapsible);
    item.id = n.id;
    item.contextValue = n.contextValue;
    if (n.description !== undefined) item.description = n.description;
    if (n.tooltip !== undefined) {
      const md = new vscode.MarkdownString(n.tooltip);
      md.supportHtml = false;
      md.isTrusted = false;
      item.tooltip = md;
    }
    if (n.icon) item.iconPath = new vscode.ThemeIcon(n.icon.id, n.icon.color ? new vscode.ThemeColor(n.icon.color) : undefined);
    if (n.command) item.command = { command: n.command.command, title: n.command.title, ...(n.command.arguments ? { arguments: n.command.arguments } : {}) };
    item.accessibilityInformation = { label: n.description ? `${n.label}, ${n.description}` : n.label };
    return item;
  }

  dispose(): void {
    if (this.trailing) clearTimeout(this.trailing);
    this.changeEmitter.dispose();
    this.updateEmitter.dispose();
  }
}
