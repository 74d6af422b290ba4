import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'cf-rotate.cf-rotate-harness-smoke';

function workspaceFile(name: string): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'a workspace folder is open');
  return path.join(folder.uri.fsPath, name);
}

describe('harness smoke extension', () => {
  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is loaded`);
    await ext.activate();
  });

  it('writes a file to disk through a command', async () => {
    const expected = workspaceFile('harness-smoke-output.txt');
    fs.rmSync(expected, { force: true });
    const written = await vscode.commands.executeCommand<string>('cfRotateSmoke.writeFile', 'hello from the harness\n');
    assert.equal(written, expected);
    assert.equal(fs.readFileSync(expected, 'utf8'), 'hello from the harness\n');
  });

  it('round-trips a secret through SecretStorage', async () => {
    const value = `secret-${Date.now()}`;
    const got = await vscode.commands.executeCommand<{ read?: string; afterDelete?: string }>(
      'cfRotateSmoke.secretRoundtrip',
      value,
    );
    assert.deepEqual(got, { read: value, afterDelete: undefined });
  });

  it('receives CF_ROTATE_TEST_* env vars given to code-server', async () => {
    const info = await vscode.commands.executeCommand<{ env: Record<string, string> }>('cfRotateSmoke.info');
    fs.writeFileSync(workspaceFile('harness-smoke-info.json'), JSON.stringify(info, null, 2) + '\n');
    assert.equal(info.env.CF_ROTATE_TEST_SMOKE, 'from-harness');
  });
});
