/** Runs last: after every rotation above, no secret the tests saw appears in the log or a notification. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { COMMANDS } from '../../src/constants';
import type { HistoryEntry } from '../../src/core/history';
import { assertNoSecret, EXTENSION_ID, exec, logFile, logText, seenSecrets, shown, sim } from './helpers';

describe('secret hygiene', () => {
  before(async () => {
    await sim.state(); // collect the latest live secrets as well
  });

  it('runs as a workspace extension in a VS Code that engines.vscode admits', () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    assert.equal(ext.extensionKind, vscode.ExtensionKind.Workspace);
    const want = /(\d+)\.(\d+)/.exec(String((ext.packageJSON as { engines: { vscode: string } }).engines.vscode));
    const have = /^(\d+)\.(\d+)/.exec(vscode.version);
    assert.ok(want && have, vscode.version);
    const [wm, wn, hm, hn] = [want[1], want[2], have[1], have[2]].map(Number) as [number, number, number, number];
    assert.ok(hm > wm || (hm === wm && hn >= wn), `VS Code ${vscode.version} is older than the manifest's ${want[0]}`);
  });

  it('the Cloudflare Rotate log recorded the session and holds no secret', () => {
    const f = logFile();
    assert.ok(f, 'the log file exists');
    const text = logText();
    assert.match(text, /Rotated "deploy" → \.env › CLOUDFLARE_API_TOKEN/, 'the log is the one the rotations wrote to');
    assert.ok(seenSecrets.size > 20, `the check covers every secret seen (${seenSecrets.size})`);
    assertNoSecret(text, f);
  });

  it('no notification the extension showed carries a secret', () => {
    assert.ok(shown.length > 20, `notifications were recorded (${shown.length})`);
    for (const s of shown) assertNoSecret(`${s.message} ${s.items.join(' ')}`, `the ${s.level} notification "${s.message.slice(0, 60)}…"`);
  });

  it('no suite ran into a modal dialog it did not answer on purpose (the spy answers those as dismissed, which would hide a missing skipConfirm)', () => {
    assert.deepEqual(shown.filter((s) => s.modal && !s.answered).map((s) => s.message), []);
  });

  it('no notification or dialog text VS Code received carries Markdown link syntax', () => {
    for (const s of shown) assert.ok(!s.message.includes('](') && !(s.detail ?? '').includes(']('), `the ${s.level} "${s.message.slice(0, 80)}…"`);
  });

  it('the history holds no secret', async () => {
    const entries = await exec<HistoryEntry[]>(COMMANDS.showHistory, { show: false });
    assert.ok(entries.length > 10);
    assertNoSecret(JSON.stringify(entries), 'the history');
  });
});
