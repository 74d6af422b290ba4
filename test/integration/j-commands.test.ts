/** The remaining commands in a real VS Code: rotateDue, removeToken, verifyCredential, showHistory, openConfig, refresh, showLog. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { CommandRotationResult } from '../../src/commands/rotate';
import { COMMANDS } from '../../src/constants';
import type { HistoryEntry } from '../../src/core/history';
import { CONFIG_FILE, idsFromState, TOKENS } from './fixture';
import { assertNoSecret, cfRotate, exec, file, FOLDER, read, resetWorld, rotatingRequests, sim, tokenNode, treeRoots } from './helpers';

describe('the other commands', () => {
  beforeEach(async () => {
    await resetWorld();
  });

  it('rotateDue rotates only the scheduled token that is due, then finds nothing due', async () => {
    const ids = idsFromState(await sim.state());
    const seeded = await sim.seed({ accountTokens: [{ accountId: ids.accountId, name: 'nightly' }] });
    const created = seeded.accountTokens[0]!;
    await exec(COMMANDS.addToken, { folder: FOLDER, token: { name: 'nightly', kind: 'account-api-token', accountId: ids.accountId, tokenId: created.id, rotateEveryDays: 30, targets: [{ file: '.env', key: 'NIGHTLY_TOKEN' }] } });
    const results = await exec<CommandRotationResult[]>(COMMANDS.rotateDue, { skipConfirm: true });
    assert.deepEqual(results.map((r) => [r.name, r.ok]), [['nightly', true]]);
    const live = (await sim.state()).accountTokens.find((t) => t.id === created.id)!.value;
    assert.match(read('.env'), new RegExp(`NIGHTLY_TOKEN=${live}\\n`));
    assert.deepEqual((await rotatingRequests()).map((r) => r.op), ['rollAccountToken']);
    const node = await tokenNode(await cfRotate(), 'nightly');
    assert.equal(node.state, 'ok', `after its rotation: ${node.description ?? ''}`);
    assert.deepEqual(await exec<CommandRotationResult[]>(COMMANDS.rotateDue, { skipConfirm: true }), []);
  });

  it('verifyCredential checks the stored credential at Cloudflare', async () => {
    const r = await exec<{ profile: string; ok: boolean }>(COMMANDS.verifyCredential, { profile: 'default' });
    assert.equal(r.profile, 'default');
    assert.equal(r.ok, true);
    assert.ok((await sim.requests('verifyUserToken')).length > 0, 'asked the API');
    assertNoSecret(JSON.stringify(r), 'verifyCredential result');
  });

  it('removeToken takes the entry out of cf-rotate.json and the tree; the .env is left alone', async () => {
    const envBefore = read('.env');
    const r = await exec<{ removed: boolean }>(COMMANDS.removeToken, { name: TOKENS.user, confirm: false });
    assert.equal(r.removed, true);
    assert.doesNotMatch(read(CONFIG_FILE), /"name": "me"/);
    await assert.rejects(tokenNode(await cfRotate(), TOKENS.user));
    assert.equal(read('.env'), envBefore);
    assert.deepEqual(await rotatingRequests(), [], 'nothing sent to Cloudflare');
  });

  it('showHistory returns past rotations without secrets; refresh and showLog run', async () => {
    await exec(COMMANDS.rotate, { name: TOKENS.account, skipConfirm: true });
    const entries = await exec<HistoryEntry[]>(COMMANDS.showHistory, { show: false });
    assert.equal(entries[0]?.name, TOKENS.account);
    assert.equal(entries[0]?.outcome, 'rotated');
    assertNoSecret(JSON.stringify(entries), 'history');
    await exec(COMMANDS.refresh);
    assert.ok((await treeRoots(await cfRotate())).length > 0);
    await exec(COMMANDS.showLog);
  });

  it('openConfig opens cf-rotate.json in an editor', async () => {
    await exec(COMMANDS.openConfig);
    const editor = vscode.window.activeTextEditor;
    assert.ok(editor);
    assert.equal(editor.document.uri.fsPath, file(CONFIG_FILE));
  });
});
