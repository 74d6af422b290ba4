/** Open editors: a dirty target is never overwritten; a clean open target shows the new value. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { TOKENS, type Secrets } from './fixture';
import { assertFilesHold, closeEditors, file, read, resetWorld, rotate, rotatingRequests, sim, snapshotFiles, waitFor } from './helpers';

async function openEnv(): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file('.env')));
  return vscode.window.showTextDocument(doc, { preview: false });
}

describe('open editors', () => {
  let secrets: Secrets;

  beforeEach(async () => {
    ({ secrets } = await resetWorld());
  });

  afterEach(closeEditors);

  it('refuses to rotate into a .env with unsaved changes, before calling Cloudflare; the edit survives', async () => {
    const editor = await openEnv();
    const edited = await editor.edit((b) => b.insert(new vscode.Position(1, 0), '# an unsaved edit\n'));
    assert.ok(edited);
    assert.equal(editor.document.isDirty, true);
    const disk = snapshotFiles();

    const r = await rotate(TOKENS.account);
    assert.equal(r?.ok, false);
    assert.equal(r?.state, 'failed');
    assert.equal(r?.error?.kind, 'file');
    assert.match(r?.error?.message ?? '', /\.env has unsaved changes in an editor/);
    assert.match(r?.error?.hint ?? '', /Nothing was rotated/);
    assert.deepEqual(await rotatingRequests(), [], 'the simulator saw no roll');
    assert.equal((await sim.secrets()).deploy, secrets.deploy);
    assert.equal(editor.document.isDirty, true, 'the document is still dirty');
    assert.match(editor.document.getText(), /# an unsaved edit/, 'the unsaved edit is still there');
    assert.deepEqual(snapshotFiles(), disk, 'nothing changed on disk');
  });

  it('a clean open .env is updated and its editor shows the new value', async () => {
    const editor = await openEnv();
    assert.equal(editor.document.isDirty, false);
    const r = await rotate(TOKENS.account);
    assert.ok(r?.ok, JSON.stringify(r?.error));
    const live = await sim.secrets();
    assertFilesHold(live, 'holds the new value');
    await waitFor(() => editor.document.getText() === read('.env'), 'the open document to reload the file from disk');
    assert.equal(editor.document.isDirty, false);
    const shown = vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath === file('.env'));
    assert.ok(shown, 'the .env editor is still visible');
    assert.match(shown.document.getText(), new RegExp(`CLOUDFLARE_API_TOKEN="${live.deploy}"`));
  });
});
