import './fakeVscode';
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { validateConfig } from '../../../src/core/config/load';
import type { TreeNode } from '../../../src/views/model';
import { TokenTreeProvider } from '../../../src/views/tree';

const A = '0123456789abcdef0123456789abcdef';

function iconId(item: vscode.TreeItem): string | undefined {
  return item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : undefined;
}

function tooltipText(item: vscode.TreeItem): string | undefined {
  return item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : item.tooltip;
}

describe('TokenTreeProvider refresh throttling', () => {
  it('shows the first change at once and coalesces a burst into one trailing refresh', async () => {
    const tree = new TokenTreeProvider();
    let changes = 0;
    let updates = 0;
    tree.onDidChangeTreeData(() => changes++);
    tree.onDidUpdate(() => updates++);
    tree.setData({ folders: [], workspaceFolderCount: 1, history: [], reminderDays: 7, interrupted: new Set() });
    assert.equal(changes, 1, 'leading edge: immediate');
    for (let i = 0; i < 100; i++) tree.setRotating([{ folder: '/w', name: `t${i}` }], i % 2 === 0);
    assert.equal(changes, 1, 'a burst waits for the trailing refresh');
    await new Promise((r) => setTimeout(r, TokenTreeProvider.THROTTLE_MS + 50));
    assert.equal(changes, 2, 'one trailing refresh for the whole burst');
    assert.equal(updates, 2);
    tree.dispose();
  });
});

describe('TokenTreeProvider items', () => {
  const tokens = validateConfig({
    tokens: [
      { name: 'deploy_1', kind: 'account-api-token', accountId: A, tokenId: A, targets: [{ file: '.env', key: 'CF_TOKEN' }] },
      { name: 'other', kind: 'user-api-token', tokenId: A, profile: 'ops', targets: [{ file: '.env', key: 'CF_USER_TOKEN' }] },
    ],
  }).tokens;

  async function provider(): Promise<{ tree: TokenTreeProvider; nodes: TreeNode[] }> {
    const tree = new TokenTreeProvider();
    tree.setData({
      folders: [{ folder: { path: '/w', name: 'w' }, status: 'ok', configPath: '/w/.vscode/cf-rotate.json', tokens }],
      workspaceFolderCount: 1,
      history: [],
      reminderDays: 7,
      interrupted: new Set(),
      credentialProfiles: new Set(['default']),
    });
    const nodes: TreeNode[] = [];
    const walk = async (parent: TreeNode | undefined): Promise<void> => {
      for (const n of await tree.getChildren(parent)) {
        nodes.push(n);
        await walk(n);
      }
    };
    await walk(undefined);
    return { tree, nodes };
  }

  it('leaves token and target tooltips to resolveTreeItem (hover) and keeps message tooltips', async () => {
    const { tree, nodes } = await provider();
    assert.deepEqual(nodes.map((n) => n.type), ['message', 'token', 'target', 'token', 'target']);
    const [message, token, target] = nodes as [TreeNode, TreeNode, TreeNode];
    assert.match(tooltipText(tree.getTreeItem(message)) ?? '', /profile \*\*ops\*\*/, 'message nodes: tooltip at once');
    const item = tree.getTreeItem(token);
    assert.equal(item.tooltip, undefined, 'getTreeItem stays cheap: no token tooltip');
    const resolved = tree.resolveTreeItem(item, token);
    assert.equal(resolved, item, 'fills in the same item');
    const tip = resolved.tooltip;
    assert.ok(tip instanceof vscode.MarkdownString);
    assert.equal(tip.isTrusted, false);
    assert.equal(tip.supportHtml, false);
    assert.match(tip.value, /^\*\*deploy\\_1\*\* — Account API token/);
    const targetItem = tree.resolveTreeItem(tree.getTreeItem(target), target);
    assert.match(tooltipText(targetItem) ?? '', /Receives the token of \*\*deploy\\_1\*\*/);
    tree.dispose();
  });

  it('renders commands, icons and parents', async () => {
    const { tree, nodes } = await provider();
    const [, token, target] = nodes as [TreeNode, TreeNode, TreeNode];
    const t = tree.getTreeItem(target);
    assert.deepEqual(t.command, { command: 'cfRotate.revealTarget', title: 'Reveal Target', arguments: [{ folder: '/w', file: '.env', key: 'CF_TOKEN' }] });
    assert.equal(iconId(t), 'symbol-variable');
    assert.equal(iconId(tree.getTreeItem(token)), 'key');
    assert.deepEqual(tree.getTreeItem(token).accessibilityInformation, { label: 'deploy_1, not rotated yet' });
    assert.equal(tree.getParent(target), token);
    assert.equal(tree.getParent(token), undefined);
    tree.dispose();
  });
});
