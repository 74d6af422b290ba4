/** The editor-aware Files port (dirty documents) and the SecretStorage key index. */
import './fakeVscode';
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { EditorAwareFiles } from '../../../src/host/files';
import { MementoHistory } from '../../../src/host/history';
import { VscodeSecretStore } from '../../../src/host/secretStore';
import { FakeSecretStorage, Memento, Uri } from './fakeVscode';

function doc(file: string, isDirty: boolean): vscode.TextDocument {
  return { uri: Uri.file(file), isDirty } as unknown as vscode.TextDocument;
}

describe('host adapters', () => {
  it('isDirty: only dirty file documents of the same path (also through a symlink)', async function () {
    const dir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-dirty-')));
    try {
      const env = path.join(dir, '.env');
      await fs.writeFile(env, 'A=1\n');
      let docs: vscode.TextDocument[] = [];
      const files = new EditorAwareFiles(() => docs);
      assert.equal(files.isDirty(env), false);
      docs = [doc(env, false)];
      assert.equal(files.isDirty(env), false, 'a clean open document is fine');
      docs = [doc(path.join(dir, 'other.env'), true)];
      assert.equal(files.isDirty(env), false);
      docs = [doc(path.join(dir, 'sub', '..', '.env'), true)];
      assert.equal(files.isDirty(env), true);
      if (process.platform !== 'win32') {
        const link = path.join(dir, '.env.link');
        await fs.symlink(env, link);
        docs = [doc(env, true)];
        assert.equal(files.isDirty(link), true, 'target given through the link, editor on the real file');
        docs = [doc(link, true)];
        assert.equal(files.isDirty(env), true, 'editor opened through the link');
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('isDirty: an untitled (or other non-file) document with the path of a target that does not exist yet counts', async function () {
    const dir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-dirty-')));
    try {
      const local = path.join(dir, '.env.local'); // not on disk: what `code .env.local` opens
      const other = (scheme: string, p: string, isDirty: boolean): vscode.TextDocument => ({ uri: { scheme, path: p, fsPath: p }, isDirty }) as unknown as vscode.TextDocument;
      let docs: vscode.TextDocument[] = [];
      const files = new EditorAwareFiles(() => docs);
      docs = [other('untitled', local, true)];
      assert.equal(files.isDirty(local), true, 'untitled with the target path: saving it writes the target');
      docs = [other('vscode-remote', local, true)];
      assert.equal(files.isDirty(local), true, 'any scheme whose path is the target');
      docs = [other('untitled', local, false)];
      assert.equal(files.isDirty(local), false, 'an untitled document without changes');
      docs = [other('untitled', 'Untitled-1', true)];
      assert.equal(files.isDirty(local), false, 'an untitled document without a path writes nothing');
      if (process.platform !== 'win32') {
        // The folder reached through a link: the document has one path, the target the other (neither file exists).
        const link = `${dir}-link`;
        await fs.symlink(dir, link);
        try {
          docs = [other('untitled', path.join(link, '.env.local'), true)];
          assert.equal(files.isDirty(local), true, 'untitled through a linked folder');
          docs = [doc(local, true)];
          assert.equal(files.isDirty(path.join(link, '.env.local')), true, 'target given through a linked folder');
        } finally {
          await fs.rm(link, { force: true });
        }
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('SecretStore: lists keys through the globalState index, prunes stale entries, follows other windows', async () => {
    const secrets = new FakeSecretStorage();
    const state = new Memento();
    const store = new VscodeSecretStore(secrets as unknown as vscode.SecretStorage, state as unknown as vscode.Memento, 'idx');
    await Promise.all([store.store('cfRotate.journal.a', '1'), store.store('cfRotate.journal.b', '2'), store.store('cfRotate.credential.default', '3')]);
    assert.deepEqual(state.get('idx'), ['cfRotate.credential.default', 'cfRotate.journal.a', 'cfRotate.journal.b']);
    assert.deepEqual(await store.keys('cfRotate.journal.'), ['cfRotate.journal.a', 'cfRotate.journal.b']);
    await store.delete('cfRotate.journal.a');
    assert.deepEqual(await store.keys('cfRotate.journal.'), ['cfRotate.journal.b']);
    // Another window deleted b and stored c behind our back.
    secrets.data.delete('cfRotate.journal.b');
    secrets.data.set('cfRotate.journal.c', '4');
    await store.noteChanged('cfRotate.journal.c');
    assert.deepEqual(await store.keys('cfRotate.journal.'), ['cfRotate.journal.c']);
    assert.deepEqual(state.get('idx'), ['cfRotate.credential.default', 'cfRotate.journal.c']);
    assert.ok(!JSON.stringify([...state.data]).match(/"[1-4]"/), 'values never reach globalState');
  });

  it('SecretStore: uses the native keys() when VS Code has it', async () => {
    const secrets = new FakeSecretStorage();
    secrets.data.set('cfRotate.journal.native', 'x');
    const native = Object.assign(secrets, { keys: async () => [...secrets.data.keys()] });
    const store = new VscodeSecretStore(native as unknown as vscode.SecretStorage, new Memento() as unknown as vscode.Memento);
    assert.deepEqual(await store.keys('cfRotate.journal.'), ['cfRotate.journal.native']);
  });

  it('history: newest first, bounded, error texts redacted', async () => {
    const state = new Memento();
    const h = new MementoHistory(state as unknown as vscode.Memento, 3, 'h');
    for (let i = 0; i < 5; i++) {
      await h.append({ at: `2026-01-0${i + 1}T00:00:00Z`, folder: '/f', name: `t${i}`, kind: 'user-api-token', outcome: 'failed', targets: [], error: `Bearer cfut_${'x'.repeat(40)} rejected` });
    }
    const list = await h.list();
    assert.deepEqual(list.map((e) => e.name), ['t4', 't3', 't2']);
    assert.ok(list.every((e) => !e.error?.includes('x'.repeat(40))));
  });
});
