/**
 * A broken cf-rotate.json: the tree names the JSON paths (a syntax error in plain words) and keeps
 * the tokens of the last valid version under them; rotation refuses with the reason; Open
 * Configuration goes there.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { COMMANDS } from '../../src/constants';
import type { CfRotateApi } from '../../src/extension';
import type { TreeNode } from '../../src/views/model';
import { CONFIG_FILE, configObject, idsFromState, TOKENS, type Secrets } from './fixture';
import { assertFilesHold, closeEditors, exec, file, resetWorld, rotatingRequests, shown, shownSince, sim, treeRoots, waitFor } from './helpers';

type MessageNode = TreeNode & { type: 'message' };

describe('configuration errors', () => {
  let api: CfRotateApi;
  let secrets: Secrets;

  before(async () => {
    ({ api, secrets } = await resetWorld());
  });

  after(async () => {
    await closeEditors();
    await resetWorld();
  });

  /** Waits for the file watcher to reload the config and the tree to show its problems (then the last valid tokens). */
  async function problems(what: string): Promise<MessageNode[]> {
    return waitFor(async () => {
      const roots = await treeRoots(api);
      const msgs = roots.filter((n): n is MessageNode => n.type === 'message' && n.contextValue === 'message.configError');
      return msgs.length > 0 && roots.slice(0, msgs.length).every((n) => msgs.includes(n as MessageNode)) ? msgs : undefined;
    }, what);
  }

  /** The tokens the tree shows after the problems: the last valid version's, marked as such. */
  async function lastValidTokens(): Promise<(TreeNode & { type: 'token' })[]> {
    const roots = await treeRoots(api);
    return roots.filter((n): n is TreeNode & { type: 'token' } => n.type === 'token');
  }

  it('names each invalid field by its JSON path in the tree (picked up by the file watcher)', async () => {
    const cfg = configObject(idsFromState(await sim.state()));
    const tokens = cfg.tokens;
    (tokens[0] as Record<string, unknown>).accountId = 'not-an-account-id';
    delete (tokens[2] as Record<string, unknown>).serviceTokenId;
    fs.writeFileSync(file(CONFIG_FILE), JSON.stringify(cfg, null, 2));

    const msgs = await problems('the tree to show the configuration problems');
    assert.deepEqual(
      msgs.map((m) => [m.label, m.description]),
      [
        ['tokens[0].accountId', 'must be 32 hex characters (the account ID from the Cloudflare dashboard or API)'],
        ['tokens[2].serviceTokenId', 'is required'],
      ],
    );
    const item = api.tree.getTreeItem(msgs[0] as MessageNode);
    assert.equal(item.contextValue, 'message.configError');
    assert.deepEqual(item.command?.arguments, [{ folder: msgs[0]?.folder, path: 'tokens[0].accountId' }]);
    const kept = await lastValidTokens();
    assert.deepEqual(kept.map((n) => n.label), Object.values(TOKENS), 'the last valid tokens stay under the problems');
    for (const n of kept) assert.match(String(n.description), /^from the last valid version · /, n.label);
  });

  it('rotation is refused while the file is invalid, naming the file to fix; nothing is sent', async () => {
    const mark = shown.length;
    const reason = /"me" cannot be rotated now: .*cf-rotate\.json is invalid \(tokens\[0\]\.accountId must be 32 hex characters .*\)\. Nothing was rotated\./;
    await assert.rejects(Promise.resolve(exec(COMMANDS.rotate, { name: TOKENS.user, skipConfirm: true })), reason);
    const err = shownSince(mark).find((s) => s.level === 'error');
    assert.ok(err, 'an error notification');
    assert.match(err.message, reason);
    assert.match(err.message, /Fix the file/);
    assert.deepEqual(err.items, ['Open Configuration', 'Show Log']);
    const mark2 = shown.length;
    // rotateAll is refused too, and like rotate its promise rejects so scripts see why.
    await assert.rejects(Promise.resolve(exec(COMMANDS.rotateAll, { skipConfirm: true })), /cf-rotate\.json is invalid/);
    const allErr = shownSince(mark2).find((s) => s.level === 'error');
    assert.match(allErr?.message ?? '', /^Rotate all failed: .*cf-rotate\.json is invalid\. Fix it/);
    assert.deepEqual(allErr?.items, ['Open Configuration', 'Show Log']);
    assert.deepEqual(await rotatingRequests(), []);
    assertFilesHold(secrets, 'is unchanged');
  });

  it('the problem node opens cf-rotate.json with the offending property selected', async () => {
    const msgs = await problems('the configuration problems');
    const cmd = api.tree.getTreeItem(msgs[0] as MessageNode).command;
    assert.ok(cmd);
    await exec(cmd.command, cmd.arguments?.[0]);
    const editor = vscode.window.activeTextEditor;
    assert.ok(editor);
    assert.equal(editor.document.uri.fsPath, file(CONFIG_FILE));
    assert.equal(editor.document.getText(editor.selection), '"accountId": "not-an-account-id"');
  });

  it('a half-typed file (auto-save): the tree says where, in plain words, and keeps the last valid tokens', async () => {
    await closeEditors();
    // The fixture, valid, then a new entry being typed at its top.
    const valid = JSON.stringify(configObject(idsFromState(await sim.state())), null, 2);
    fs.writeFileSync(file(CONFIG_FILE), valid);
    await waitFor(async () => ((await treeRoots(api)).every((n) => n.type === 'token' && n.stale !== true) ? true : undefined), 'the valid tokens');
    fs.writeFileSync(file(CONFIG_FILE), valid.replace('"tokens": [\n', '"tokens": [\n    {\n      1\n'));
    const msgs = await waitFor(async () => {
      const m = await problems('a syntax problem');
      return m[0]?.label === 'cf-rotate.json' ? m : undefined;
    }, 'the syntax error node');
    assert.equal(msgs.length, 1, 'one problem: the first syntax error');
    assert.match(msgs[0]?.description ?? '', /^has a syntax error at line 4, column 7: a property name is missing/);
    const kept = await lastValidTokens();
    assert.deepEqual(kept.map((n) => n.label), Object.values(TOKENS));
    assert.ok(kept.every((n) => n.stale === true && String(n.description).startsWith('from the last valid version')));
    await assert.rejects(Promise.resolve(exec(COMMANDS.rotate, { name: TOKENS.account, skipConfirm: true })), /"deploy" cannot be rotated now: .*\(it has a syntax error at line 4, column 7: a property name is missing/);
    assert.deepEqual(await rotatingRequests(), []);
  });

  it('fixing the file brings the tokens back', async () => {
    fs.writeFileSync(file(CONFIG_FILE), JSON.stringify(configObject(idsFromState(await sim.state())), null, 2));
    const roots = await waitFor(async () => {
      const r = await treeRoots(api);
      return r.length === 5 && r.every((n) => n.type === 'token' && n.stale !== true) ? r : undefined;
    }, 'the tokens to come back');
    assert.deepEqual(roots.map((n) => n.label), Object.values(TOKENS));
  });
});
