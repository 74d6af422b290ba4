/** Open editors: a dirty target is never overwritten; a clean open target shows the new value. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { CommandRotationResult } from '../../src/commands/rotate';
import { COMMANDS } from '../../src/constants';
import { CONFIG_FILE, configObject, idsFromState, TOKENS, type Secrets } from './fixture';
import { assertFilesHold, cfRotate, closeEditors, exec, file, onModal, read, resetWorld, rotate, rotatingRequests, sim, snapshotFiles, waitFor, type Shown } from './helpers';

async function openEnv(): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file('.env')));
  return vscode.window.showTextDocument(doc, { preview: false });
}

describe('open editors', () => {
  let secrets: Secrets;

  beforeEach(async () => {
    ({ secrets } = await resetWorld());
  });

  afterEach(async () => {
    onModal(undefined);
    await closeEditors();
    fs.rmSync(file('.env.local'), { force: true });
  });

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

  /**
   * `code .env.local` for a file that does not exist yet: an untitled editor with the target's
   * path. Saving it writes the file without asking, so its unsaved text counts as unsaved changes
   * of the target (it would overwrite the new secret, the only copy once the journal is gone).
   */
  async function untitledEditorOfNewTarget(): Promise<vscode.TextDocument> {
    const cfg = configObject(idsFromState(await sim.state()));
    (cfg.tokens[1] as { targets: unknown[] }).targets = [{ file: '.env.local', key: 'CF_USER_TOKEN' }];
    fs.writeFileSync(file(CONFIG_FILE), JSON.stringify(cfg, null, 2));
    await exec(COMMANDS.refresh);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file('.env.local')).with({ scheme: 'untitled' }));
    const editor = await vscode.window.showTextDocument(doc, { preview: false });
    assert.ok(await editor.edit((b) => b.insert(new vscode.Position(0, 0), 'DEBUG=1\n')));
    assert.equal(doc.uri.scheme, 'untitled');
    assert.equal(doc.isDirty, true);
    assert.equal(fs.existsSync(file('.env.local')), false);
    return doc;
  }

  it('an untitled editor with the path of a target that does not exist yet is unsaved changes: a script is refused before calling Cloudflare', async () => {
    const doc = await untitledEditorOfNewTarget();
    const r = await rotate(TOKENS.user);
    assert.equal(r?.ok, false, JSON.stringify(r));
    assert.equal(r?.state, 'failed');
    assert.equal(r?.error?.kind, 'file');
    assert.match(r?.error?.message ?? '', /\.env\.local has unsaved changes in an editor/);
    assert.deepEqual(await rotatingRequests(), [], 'the simulator saw no roll');
    assert.equal((await sim.secrets()).me, secrets.me);
    assert.equal(fs.existsSync(file('.env.local')), false, 'nothing was written');
    assert.equal(doc.isDirty, true);
    assert.equal(doc.getText(), 'DEBUG=1\n', 'the unsaved text is still there');
  });

  it('an untitled editor with the path of a target that does not exist yet: the confirmation offers Save and Rotate, which saves it first', async () => {
    const doc = await untitledEditorOfNewTarget();
    const dialogs: Shown[] = [];
    onModal((s) => {
      dialogs.push(s);
      return s.items.find((i) => i === 'Save and Rotate');
    });
    const r = await exec<CommandRotationResult>(COMMANDS.rotate, { name: TOKENS.user });
    assert.equal(dialogs.length, 1);
    assert.deepEqual(dialogs[0]?.items.filter((i) => i.endsWith('Rotate')), ['Save and Rotate']);
    assert.match(dialogs[0]?.detail ?? '', /save \.env\.local: it has unsaved changes in an editor/);
    assert.ok(r.ok, JSON.stringify(r));
    const live = (await sim.secrets()).me;
    assert.notEqual(live, secrets.me);
    const text = read('.env.local');
    assert.ok(text.startsWith('DEBUG=1\n') && text.includes(`CF_USER_TOKEN=${live}`), 'the saved text and the new secret');
    assert.equal((await (await cfRotate()).engine.interrupted()).length, 0);
    assert.ok(!vscode.workspace.textDocuments.some((d) => d.isDirty && d.uri.path === doc.uri.path), 'no editor holds unsaved text for .env.local');
  });
});
