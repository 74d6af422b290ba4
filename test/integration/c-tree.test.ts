/** The Tokens tree, through the extension's own TreeDataProvider: nodes, TreeItems, states, and no secrets. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { COMMANDS } from '../../src/constants';
import type { HistoryEntry } from '../../src/core/history';
import type { CfRotateApi } from '../../src/extension';
import type { TreeNode } from '../../src/views/model';
import { CONFIG_FILE, envText, idsFromState, TOKENS, type Secrets } from './fixture';
import { assertNoSecret, exec, file, FOLDER, read, resetWorld, rotate, sim, tokenNode, treeRoots, waitFor } from './helpers';

const KIND_ICON: Record<string, string> = {
  'account-api-token': 'key',
  'user-api-token': 'account',
  'access-service-token': 'shield',
  'moq-relay-token': 'broadcast',
};

function themeIconId(item: vscode.TreeItem): string | undefined {
  return item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : undefined;
}

async function allNodes(api: CfRotateApi): Promise<TreeNode[]> {
  const out: TreeNode[] = [];
  const walk = async (nodes: TreeNode[]): Promise<void> => {
    for (const n of nodes) {
      out.push(n);
      await walk(await api.tree.getChildren(n));
    }
  };
  await walk(await treeRoots(api));
  return out;
}

describe('Tokens tree', () => {
  let api: CfRotateApi;
  let secrets: Secrets;

  before(async () => {
    ({ api, secrets } = await resetWorld());
  });

  it('lists every configured token with its kind, state and target children', async () => {
    const roots = await treeRoots(api);
    assert.deepEqual(
      roots.map((n) => n.label),
      [TOKENS.account, TOKENS.user, TOKENS.access, TOKENS.zoneAccess, TOKENS.moq],
      'one root per token, in config order (a single folder is not grouped; no credential message)',
    );
    for (const n of roots) {
      assert.equal(n.type, 'token');
      if (n.type !== 'token') continue;
      const item = api.tree.getTreeItem(n);
      assert.equal(item.label, n.name);
      assert.equal(item.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
      assert.match(item.contextValue ?? '', new RegExp(`^token\\.${n.kind}\\.(ok|due|overdue|failed|unscheduled)$`));
      assert.equal(themeIconId(item), KIND_ICON[n.kind], `icon of ${n.name}`);
    }
    const children = async (name: string): Promise<TreeNode[]> => api.tree.getChildren(await tokenNode(api, name));
    const deploy = await children(TOKENS.account);
    assert.deepEqual(deploy.map((c) => c.label), ['.env › CLOUDFLARE_API_TOKEN']);
    const access = await children(TOKENS.access);
    assert.deepEqual(access.map((c) => [c.label, c.description]), [
      ['.env › CF_ACCESS_CLIENT_ID', 'client ID'],
      ['.env › CF_ACCESS_CLIENT_SECRET', 'client secret'],
    ]);
    const moq = await children(TOKENS.moq);
    assert.deepEqual(moq.map((c) => c.label), ['.dev.vars › MOQ_PUBLISH_TOKEN']);
    const target = api.tree.getTreeItem(deploy[0] as TreeNode);
    assert.equal(target.contextValue, 'target');
    assert.equal(target.collapsibleState, vscode.TreeItemCollapsibleState.None);
    assert.equal(target.command?.command, COMMANDS.revealTarget);
  });

  it('addToken adds a scheduled token; its description follows its age: not rotated yet, overdue, due soon, rolled just now', async () => {
    const ids = idsFromState(await sim.state());
    const seeded = await sim.seed({ accountTokens: [{ accountId: ids.accountId, name: 'preview' }] });
    const created = seeded.accountTokens[0];
    assert.ok(created, 'the simulator created the token');
    const added = await exec<{ folder: string; name: string }>(COMMANDS.addToken, {
      folder: FOLDER,
      token: {
        name: 'preview',
        kind: 'account-api-token',
        accountId: ids.accountId,
        tokenId: created.id,
        rotateEveryDays: 30,
        targets: [{ file: '.env', key: 'PREVIEW_API_TOKEN' }],
      },
    });
    assert.deepEqual(added, { folder: FOLDER, name: 'preview' });
    assert.match(read(CONFIG_FILE), /"name": "preview"/, 'cf-rotate.json on disk lists it');

    const before = await tokenNode(api, 'preview');
    assert.equal(before.state, 'overdue', 'a scheduled token cf-rotate never rotated has an unknown age');
    assert.equal(before.description, 'not rotated yet · overdue (age unknown)');
    assert.equal(api.tree.getTreeItem(before).contextValue, 'token.account-api-token.overdue');

    // Rotated 31 days ago (a history entry from another machine, say): overdue by a day.
    const DAY = 86_400_000;
    const past = (days: number): HistoryEntry => ({
      at: new Date(Date.now() - days * DAY).toISOString(),
      folder: FOLDER,
      name: 'preview',
      kind: 'account-api-token',
      outcome: 'rotated',
      targets: ['.env › PREVIEW_API_TOKEN'],
    });
    await api.history.append(past(31));
    await api.refresh();
    const overdue = await tokenNode(api, 'preview');
    assert.equal(overdue.description, 'rolled 31 d ago · overdue by 1 d');
    assert.equal(api.tree.getTreeItem(overdue).contextValue, 'token.account-api-token.overdue');
    // 25 days ago: due within the 7 reminder days.
    await api.history.append(past(25));
    await api.refresh();
    const due = await tokenNode(api, 'preview');
    assert.equal(due.description, 'rolled 25 d ago · due in 5 d');
    assert.equal(api.tree.getTreeItem(due).contextValue, 'token.account-api-token.due');

    const r = await rotate('preview');
    assert.ok(r?.ok, JSON.stringify(r?.error));
    const after = await tokenNode(api, 'preview');
    assert.equal(after.state, 'ok');
    assert.equal(after.description, 'rolled just now');
    assert.equal(api.tree.getTreeItem(after).contextValue, 'token.account-api-token.ok');
    const live = (await sim.state()).accountTokens.find((t) => t.id === created.id);
    assert.ok(live);
    assert.equal(read('.env'), `${envText(secrets)}PREVIEW_API_TOKEN=${live.value}\n`, 'the missing key is appended; nothing else changes');

    const s = await rotate(TOKENS.zoneAccess);
    assert.ok(s?.ok, JSON.stringify(s?.error));
    const zone = await tokenNode(api, TOKENS.zoneAccess);
    // Service tokens are "rotated" (API tokens "rolled"); the demo token's 8760h duration gives the expiry.
    assert.equal(zone.description, 'rotated just now · expires in 365 d');
    assert.equal(zone.state, 'ok', 'the known expiry schedules it');
  });

  it('shows a spinner ("rotating…") while a rotation runs', async () => {
    await sim.addFault({ op: 'rollUserToken', type: 'latency', ms: 1500 });
    const running = rotate(TOKENS.user);
    try {
      const node = await waitFor(async () => {
        const n = await tokenNode(api, TOKENS.user);
        return n.state === 'rotating' ? n : undefined;
      }, 'the "me" node to show as rotating');
      assert.equal(node.description, 'rotating…');
      const item = api.tree.getTreeItem(node);
      assert.equal(themeIconId(item), 'sync~spin');
      assert.equal(item.contextValue, 'token.user-api-token.rotating', 'no inline Rotate action while rotating');
    } finally {
      const r = await running;
      assert.ok(r?.ok, JSON.stringify(r?.error));
    }
    assert.equal((await tokenNode(api, TOKENS.user)).description, 'rolled just now');
  });

  it('a failed rotation is marked in the tree with the reason in the tooltip', async () => {
    await sim.addFault({ op: 'rotateServiceToken', type: 'status', status: 500 });
    const r = await rotate(TOKENS.access);
    assert.equal(r?.ok, false);
    const node = await tokenNode(api, TOKENS.access);
    assert.equal(node.state, 'failed');
    assert.match(node.description ?? '', /last rotation failed/);
    const item = api.tree.getTreeItem(node);
    assert.equal(item.tooltip, undefined, 'built on hover, not with the tree');
    const tooltip = (await api.tree.resolveTreeItem(item, node)).tooltip;
    assert.ok(tooltip instanceof vscode.MarkdownString);
    assert.match(tooltip.value, /Last attempt \(failed\)/);
  });

  it('clicking a target reveals its variable in the .env file', async () => {
    const target = (await api.tree.getChildren(await tokenNode(api, TOKENS.user)))[0];
    assert.ok(target && target.type === 'target');
    const cmd = api.tree.getTreeItem(target).command;
    assert.ok(cmd);
    const r = await exec<{ file: string; line?: number }>(cmd.command, cmd.arguments?.[0]);
    assert.equal(r.file, file('.env'));
    assert.equal(r.line, 3, 'CF_USER_TOKEN is on line 4 (0-based 3)');
    const editor = vscode.window.activeTextEditor;
    assert.ok(editor, 'an editor is open');
    assert.equal(editor.document.uri.fsPath, file('.env'));
    assert.equal(editor.selection.start.line, 3);
  });

  it('no node, label, description, tooltip or command argument carries a secret', async () => {
    await sim.state(); // collect the current secrets too
    const nodes = await allNodes(api);
    assert.ok(nodes.length >= 5 + 7, `nodes: ${nodes.length}`);
    for (const n of nodes) {
      const item = api.tree.resolveTreeItem(api.tree.getTreeItem(n), n);
      const tooltip = item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : String(item.tooltip ?? '');
      assertNoSecret(JSON.stringify(n), `tree node ${n.id}`);
      assertNoSecret(`${String(item.label)} ${String(item.description)} ${tooltip} ${JSON.stringify(item.command ?? {})}`, `tree item ${n.id}`);
    }
  });
});
