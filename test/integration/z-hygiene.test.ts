/** Runs last: after every rotation above, no secret the tests saw appears in the log or a notification. */
import * as assert from 'node:assert/strict';
import { COMMANDS } from '../../src/constants';
import type { HistoryEntry } from '../../src/core/history';
import { assertNoSecret, exec, logFile, logText, seenSecrets, shown, sim } from './helpers';

describe('secret hygiene', () => {
  before(async () => {
    await sim.state(); // collect the latest live secrets as well
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
