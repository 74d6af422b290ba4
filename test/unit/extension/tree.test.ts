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
    const tokens = validateConfig({ tokens: Array.from({ length: 100 }, (_, i) => ({ name: `t${i}`, kind: 'account-api-token', accountId: A, tokenId: `${A.slice(0, 29)}${String(i).padStart(3, '0')}`, targets: [{ file: '.env', key: `K${i}` }] })) }).tokens;
    tree.setData({ folders: [{ folder: { path: '/w', name: 'w' }, status: 'ok', configPath: '/w/.vscode/cf-rotate.json', tokens }], workspaceFolderCount: 1, history: [], reminderDays: 7, interrupted: new Set(), credentialProfiles: new Set(['default']) });
    assert.equal(changes, 1, 'leading edge: immediate');
    for (let i = 0; i < 100; i++) tree.setRotating([{ folder: '/w', name: `t${i}` }], i % 2 === 0);
    assert.equal(changes, 1, 'a burst waits for the trailing refresh');
    await new Promise((r) => setTimeout(r, TokenTreeProvider.THROTTLE_MS + 50));
    assert.equal(changes, 2, 'one trailing refresh for the whole burst');
    assert.equal(updates, 2);
    tree.dispose();
  });
});

describe('TokenTreeProvider change events name what changed', () => {
  const B = 'fedcba9876543210fedcba9876543210';
  const entry = (name: string, tokenId: string, keys: string[]): unknown => ({ name, kind: 'account-api-token', accountId: A, tokenId, targets: keys.map((key) => ({ file: '.env', key })) });
  const data = (tokens: unknown[], folders: string[] = ['/w']): Parameters<TokenTreeProvider['setData']>[0] => ({
    folders: folders.map((f) => ({ folder: { path: f, name: f.slice(1) }, status: 'ok' as const, configPath: `${f}/.vscode/cf-rotate.json`, tokens: validateConfig({ tokens }).tokens })),
    workspaceFolderCount: folders.length,
    history: [],
    reminderDays: 7,
    interrupted: new Set(),
    credentialProfiles: new Set(['default']),
  });
  /** Change events as VS Code gets them (undefined: the whole tree), each flushed at once. */
  function watch(tree: TokenTreeProvider): (TreeNode | TreeNode[] | undefined)[] {
    const events: (TreeNode | TreeNode[] | undefined)[] = [];
    tree.onDidChangeTreeData((e) => events.push(e ?? undefined));
    return events;
  }
  const roots = (tree: TokenTreeProvider): TreeNode[] => tree.getChildren(undefined) as TreeNode[];
  /** The nodes an event names (an array event). */
  const named = (e: unknown): TreeNode[] => {
    assert.ok(Array.isArray(e), 'an event that names nodes');
    return e as TreeNode[];
  };
  const token = (tree: TokenTreeProvider, name: string): TreeNode => {
    const hit = tree.findToken('/w', name);
    assert.ok(hit, name);
    return hit;
  };

  /** setRotating's refresh is throttled (the first event of the build was just sent): wait for it. */
  const trailing = (): Promise<void> => new Promise((r) => setTimeout(r, TokenTreeProvider.THROTTLE_MS + 50));

  it('a token that changes is refreshed alone, as the object VS Code already holds, updated in place', async () => {
    const tree = new TokenTreeProvider();
    const events = watch(tree);
    tree.setData(data([entry('one', A, ['K1']), entry('two', B, ['K2'])]), 0);
    assert.deepEqual(events, [undefined], 'the first event is the whole tree');
    const [one, two] = roots(tree).filter((n) => n.type === 'token');
    assert.ok(one && two);
    const target = (tree.getChildren(one) as TreeNode[])[0];
    assert.equal(iconId(tree.getTreeItem(one)), 'key');

    tree.setRotating([{ folder: '/w', name: 'one' }], true);
    await trailing();
    assert.equal(events.length, 2);
    assert.equal(named(events[1]).length, 1, 'only the token that now rotates');
    assert.equal(named(events[1])[0], one);
    assert.equal(token(tree, 'one'), one, 'the same object');
    assert.equal(iconId(tree.getTreeItem(one)), 'sync~spin', 'getTreeItem of that object draws the new state');
    assert.equal((tree.getChildren(one) as TreeNode[])[0], target, 'its unchanged target is the same object too');
    assert.equal(token(tree, 'two'), two);
    assert.equal(tree.getParent(target as TreeNode), one);
    tree.dispose();
  });

  it('a rebuild that changes nothing sends no change event (the status bar still hears of it)', () => {
    const tree = new TokenTreeProvider();
    const events = watch(tree);
    let updates = 0;
    tree.onDidUpdate(() => updates++);
    tree.setData(data([entry('one', A, ['K1'])]), 0);
    tree.setData(data([entry('one', A, ['K1'])]), 0);
    assert.deepEqual(events, [undefined]);
    assert.equal(updates, 2);
    tree.dispose();
  });

  it('new targets refresh their token (its children are read again); new or removed tokens refresh the whole tree', () => {
    const tree = new TokenTreeProvider();
    const events = watch(tree);
    tree.setData(data([entry('one', A, ['K1']), entry('two', B, ['K2'])]), 0);
    const one = token(tree, 'one');
    tree.setData(data([entry('one', A, ['K1', 'K1B']), entry('two', B, ['K2'])]), 0);
    assert.equal(named(events[1]).length, 1);
    assert.equal(named(events[1])[0], one);
    assert.deepEqual((tree.getChildren(one) as TreeNode[]).map((c) => c.label), ['.env › K1', '.env › K1B']);
    tree.setData(data([entry('one', A, ['K1', 'K1B'])]), 0);
    assert.equal(events.length, 3);
    assert.equal(events[2], undefined, 'a token removed: the whole tree');
    assert.equal(tree.findToken('/w', 'two'), undefined);
    tree.setData(data([entry('one', A, ['K1', 'K1B']), entry('three', B, ['K3'])]), 0);
    assert.equal(events[3], undefined, 'a token added: the whole tree');
    tree.dispose();
  });

  it('a target whose variable changed is refreshed with its token, not its sibling (its label and its command say the new variable)', () => {
    const tree = new TokenTreeProvider();
    const events = watch(tree);
    tree.setData(data([entry('one', A, ['K1', 'K2'])]), 0);
    const one = token(tree, 'one');
    const [first, second] = tree.getChildren(one) as TreeNode[];
    tree.setData(data([entry('one', A, ['K1', 'K9'])]), 0);
    assert.equal(events.length, 2);
    // The token too: its tooltip lists its targets.
    assert.deepEqual(new Set(named(events[1])), new Set([one, second]), 'the token and its second target, the same objects');
    assert.deepEqual(tree.getTreeItem(second as TreeNode).command?.arguments, [{ folder: '/w', file: '.env', key: 'K9' }]);
    assert.equal((tree.getChildren(one) as TreeNode[])[0], first);
    tree.dispose();
  });

  it('a token whose tooltip would change is refreshed though it looks the same (a new error of its last attempt)', () => {
    const tree = new TokenTreeProvider();
    const events = watch(tree);
    const failed = (error: string): Parameters<TokenTreeProvider['setData']>[0] => ({
      ...data([entry('one', A, ['K1'])]),
      history: [{ at: new Date(Date.now() - 60_000).toISOString(), folder: '/w', name: 'one', kind: 'account-api-token', outcome: 'failed', targets: ['.env › K1'], error }],
    });
    tree.setData(failed('first reason'), 0);
    const one = token(tree, 'one');
    const item = tree.getTreeItem(one);
    const tip = (n: TreeNode): string => String((tree.resolveTreeItem(tree.getTreeItem(n), n).tooltip as vscode.MarkdownString).value);
    assert.match(tip(one), /first reason/);
    tree.setData(failed('second reason'), 0);
    assert.equal(events.length, 2);
    assert.deepEqual(named(events[1]).map((n) => n.id), [one.id]);
    assert.equal(tree.getTreeItem(one).description, item.description, 'it looks the same');
    assert.match(tip(one), /second reason/);
    tree.dispose();
  });

  it('with several folders, a token under a folder is refreshed alone', async () => {
    const tree = new TokenTreeProvider();
    const events = watch(tree);
    tree.setData(data([entry('one', A, ['K1'])], ['/w', '/v']), 0);
    const folders = roots(tree);
    assert.deepEqual(folders.map((f) => f.type), ['folder', 'folder']);
    const one = token(tree, 'one');
    tree.setRotating([{ folder: '/w', name: 'one' }], true);
    await trailing();
    assert.equal(events.length, 2);
    assert.equal(named(events[1]).length, 1);
    assert.equal(named(events[1])[0], one);
    const now = roots(tree);
    assert.ok(now.length === 2 && now[0] === folders[0] && now[1] === folders[1], 'the folder nodes are kept');
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
