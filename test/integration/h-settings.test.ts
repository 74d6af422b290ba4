/**
 * cfRotate.apiBaseUrl is machine-scoped: a workspace cannot redirect the admin credential, and in a
 * remote window (code-server is one) the value comes from the remote machine's settings, so a
 * change of any other setting leaves it where it was.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS } from '../../src/constants';
import type { CfRotateApi } from '../../src/extension';
import { TOKENS } from './fixture';
import { assertFilesHold, exec, file, resetWorld, rotate, sim, SIM_URL, waitFor, waitForLog } from './helpers';

const SETTINGS_FILE = path.join('.vscode', 'settings.json');
const EVIL_URL = 'http://127.0.0.1:1/client/v4';

describe('workspace settings', () => {
  let api: CfRotateApi;

  before(async () => {
    ({ api } = await resetWorld());
  });

  after(async () => {
    fs.rmSync(file(SETTINGS_FILE), { force: true });
    await waitFor(() => vscode.workspace.getConfiguration('cfRotate').get('reminderDays') === 7, 'the workspace settings to be gone');
  });

  it('the user setting points the extension at the simulator', () => {
    assert.equal(api.settings.apiBaseUrl(), SIM_URL);
  });

  it('ignores cfRotate.apiBaseUrl from .vscode/settings.json: rotation still goes to the user-configured API', async () => {
    fs.writeFileSync(file(SETTINGS_FILE), JSON.stringify({ 'cfRotate.apiBaseUrl': EVIL_URL, 'cfRotate.reminderDays': 9 }, null, 2));
    // reminderDays (window scope) proves VS Code has read the file.
    await waitFor(() => vscode.workspace.getConfiguration('cfRotate').get('reminderDays') === 9, 'VS Code to read .vscode/settings.json');
    assert.equal(api.settings.apiBaseUrl(), SIM_URL, 'the workspace value is ignored');

    const r = await rotate(TOKENS.account);
    assert.ok(r?.ok, `rotation reached the simulator: ${JSON.stringify(r?.error)}`);
    assert.equal((await sim.requests('rollAccountToken')).length, 1, 'the simulator received the roll');
    assertFilesHold(await sim.secrets(), 'holds the new value');
    // VS Code 1.108 itself drops machine-scoped values from workspace settings; should one get
    // through, the extension's own check must both ignore it (asserted above) and say so.
    if (vscode.workspace.getConfiguration('cfRotate').inspect('apiBaseUrl')?.workspaceValue !== undefined) {
      await waitForLog('Ignoring cfRotate.apiBaseUrl from the workspace settings');
    }
  });

  it('after a change of an unrelated setting, Verify Credential and a rotation still reach the simulator', async () => {
    const editor = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('editor');
    const before = editor().inspect<boolean>('minimap.enabled')?.globalValue;
    const toggled = before === false;
    await editor().update('minimap.enabled', toggled, vscode.ConfigurationTarget.Global);
    try {
      await waitFor(() => editor().inspect<boolean>('minimap.enabled')?.globalValue === toggled, 'VS Code to store the minimap setting');
      // VS Code re-reads the user settings after the change: give a dropped machine value time to show.
      await new Promise((r) => setTimeout(r, 500));
      const info = vscode.workspace.getConfiguration('cfRotate').inspect<string>('apiBaseUrl');
      assert.equal(api.settings.apiBaseUrl(), SIM_URL, `the API base URL (inspect: ${JSON.stringify(info)})`);

      await sim.clearRequests();
      const v = await exec<{ ok: boolean; error?: unknown } | undefined>(COMMANDS.verifyCredential, { profile: 'default' });
      assert.equal(v?.ok, true, `Verify Credential: ${JSON.stringify(v?.error)}`);
      assert.ok((await sim.requests()).some((r) => r.op === 'verifyUserToken'), 'the simulator verified the credential');

      await resetWorld();
      const r = await rotate(TOKENS.user);
      assert.ok(r?.ok, `rotation reached the simulator: ${JSON.stringify(r?.error)}`);
      assert.equal((await sim.requests('rollUserToken')).length, 1, 'the simulator received the roll');
      assertFilesHold(await sim.secrets(), 'holds the new value');
    } finally {
      await editor().update('minimap.enabled', before, vscode.ConfigurationTarget.Global);
    }
  });
});
