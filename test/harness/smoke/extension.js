// Plain-JS smoke extension for the code-server harness (see ../README.md).
'use strict';
const fs = require('fs');
const path = require('path');
const vscode = require('vscode');

const OUTPUT = 'harness-smoke-output.txt';

function workspaceFile(name) {
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  if (!folder) throw new Error('no workspace folder open');
  return path.join(folder.uri.fsPath, name);
}

function activate(context) {
  context.subscriptions.push(
    // Writes a file into the first workspace folder and returns its path.
    vscode.commands.registerCommand('cfRotateSmoke.writeFile', (content) => {
      const file = workspaceFile(OUTPUT);
      fs.writeFileSync(file, typeof content === 'string' ? content : 'written by cfRotateSmoke.writeFile\n');
      return file;
    }),
    // Stores a secret in SecretStorage, reads it back, deletes it; returns what was read.
    vscode.commands.registerCommand('cfRotateSmoke.secretRoundtrip', async (value) => {
      const key = 'cfRotateSmoke.secret';
      await context.secrets.store(key, String(value));
      const read = await context.secrets.get(key);
      await context.secrets.delete(key);
      const afterDelete = await context.secrets.get(key);
      return { read, afterDelete };
    }),
    // Facts about the extension host the tests want to report.
    vscode.commands.registerCommand('cfRotateSmoke.info', () => ({
      pid: process.pid,
      node: process.version,
      vscode: vscode.version,
      appHost: vscode.env.appHost,
      remoteName: vscode.env.remoteName,
      extensionMode: context.extensionMode,
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('CF_ROTATE_TEST_'))),
    })),
  );
}

function deactivate() {}

module.exports = { activate, deactivate };
