/**
 * Runs in a window whose folder is NOT trusted (security.workspace.trust.enabled: true).
 *
 * The manifest declares untrustedWorkspaces unsupported, so an installed copy is disabled in
 * Restricted Mode. An extension loaded from extensionDevelopmentPath, however, is activated
 * anyway (observed with VS Code 1.108), which lets this suite test the extension's own guard:
 * every command that changes credentials or files must refuse, and nothing may rotate. The
 * harness checks the same from outside after the run (files on disk, simulator requests).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { COMMANDS } from '../../../src/constants';
import { CONFIG_FILE, devVarsText, envText, TOKENS } from '../fixture';
import { EXTENSION_ID, file, read, shown, shownSince, sim } from '../helpers';

const UNTRUSTED = /Cloudflare Rotate does not change credentials or files in an untrusted workspace/;

describe('Restricted Mode (untrusted folder)', () => {
  it('the window is in Restricted Mode', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  it('every command that rotates or edits files refuses, says why, and offers the log', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, 'the extension under development is loaded');
    await ext.activate();
    const config = fs.readFileSync(file(CONFIG_FILE), 'utf8');
    const attempts: Array<[string, unknown]> = [
      [COMMANDS.rotate, { name: TOKENS.account, skipConfirm: true }],
      [COMMANDS.rotateAll, { skipConfirm: true }],
      [COMMANDS.rotateDue, { skipConfirm: true }],
      [COMMANDS.resumeInterrupted, { all: true }],
      [COMMANDS.expirePreviousSecret, { name: TOKENS.access, confirm: false }],
      [COMMANDS.removeToken, { name: TOKENS.user, confirm: false }],
      [COMMANDS.addToken, { token: { name: 'x', kind: 'user-api-token', tokenId: 'a'.repeat(32), targets: [{ file: '.env', key: 'X' }] } }],
    ];
    for (const [command, arg] of attempts) {
      const mark = shown.length;
      await assert.rejects(Promise.resolve(vscode.commands.executeCommand(command, arg)), UNTRUSTED, `${command} refuses`);
      const err = shownSince(mark).find((s) => s.level === 'error');
      assert.ok(err, `${command}: an error notification`);
      assert.match(err.message, /Trust this workspace/);
      assert.ok(err.items.includes('Show Log'));
    }
    assert.equal(fs.readFileSync(file(CONFIG_FILE), 'utf8'), config, 'cf-rotate.json is unchanged');
  });

  it('nothing rotated: the files hold the live values unchanged and Cloudflare was never called', async () => {
    const secrets = await sim.secrets();
    assert.equal(read('.env'), envText(secrets));
    assert.equal(read('.dev.vars'), devVarsText(secrets));
    assert.deepEqual(await sim.requests(), [], 'the simulator received no request at all');
  });
});
