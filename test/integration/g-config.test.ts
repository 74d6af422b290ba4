/** A broken cf-rotate.json: the tree names the JSON paths, rotation refuses, Open Configuration goes there. */
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

  /** Waits for the file watcher to reload the config and the tree to show its problems. */
  async function problems(what: string): Promise<MessageNode[]> {
    return waitFor(async () => {
      const roots = await treeRoots(api);
      const msgs = roots.filter((n): n is MessageNode => n.type === 'message' && n.contextValue === 'message.configError');
      return msgs.length > 0 && msgs.length === roots.length ? msgs : undefined;
    }, what);
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
  });

  it('rotation is refused while the file is invalid, naming the file to fix; nothing is sent', async () => {
    const mark = shown.length;
    await assert.rejects(Promise.resolve(exec(COMMANDS.rotate, { name: TOKENS.user, skipConfirm: true })), /No token named "me" is configured/);
    const err = shownSince(mark).find((s) => s.level === 'error');
    assert.ok(err, 'an error notification');
    assert.match(err.message, /Fix .*cf-rotate\.json first: it is invalid/);
    assert.ok(err.items.includes('Show Log'));
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

  it('a JSON syntax error is reported with its line and column', async () => {
    await closeEditors();
    fs.writeFileSync(file(CONFIG_FILE), '{\n  "tokens": [\n    { "name": "x", }\n  ]\n');
    const msgs = await waitFor(async () => {
      const m = await problems('a syntax problem');
      return m[0]?.label === 'cf-rotate.json' ? m : undefined;
    }, 'the syntax error node');
    assert.match(msgs[0]?.description ?? '', /JSON syntax error .* at line \d+, column \d+/);
  });

  it('fixing the file brings the tokens back', async () => {
    fs.writeFileSync(file(CONFIG_FILE), JSON.stringify(configObject(idsFromState(await sim.state())), null, 2));
    const roots = await waitFor(async () => {
      const r = await treeRoots(api);
      return r.length === 5 && r.every((n) => n.type === 'token') ? r : undefined;
    }, 'the tokens to come back');
    assert.deepEqual(roots.map((n) => n.label), Object.values(TOKENS));
  });
});
