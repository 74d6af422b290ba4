/**
 * API failures injected at the simulator: each one gives the right result and notification
 * (what failed, what to do, Show Log), is logged, and leaves the files as they were.
 */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { COMMANDS } from '../../src/constants';
import { CONFIG_FILE, configObject, idsFromState, TOKENS, type Secrets } from './fixture';
import {
  assertFilesHold,
  exec,
  file,
  onModal,
  resetWorld,
  rotate,
  rotatingRequests,
  seenSecrets,
  setAdminCredential,
  shown,
  shownSince,
  sim,
  waitFor,
  waitForLog,
  type Shown,
} from './helpers';

function errorShown(mark: number): Shown {
  const errors = shownSince(mark).filter((s) => s.level === 'error');
  assert.equal(errors.length, 1, `one error notification (got: ${JSON.stringify(errors)})`);
  const e = errors[0] as Shown;
  assert.ok(e.items.includes('Show Log'), `a Show Log action (actions: ${e.items.join(', ')})`);
  return e;
}

describe('API errors', () => {
  let secrets: Secrets;

  beforeEach(async () => {
    ({ secrets } = await resetWorld());
  });

  it('401 (bad admin credential): refused, told to set the credential again, files intact', async () => {
    const bad = `cfut_${randomBytes(30).toString('hex').slice(0, 40)}${randomBytes(4).toString('hex')}`;
    seenSecrets.add(bad);
    await exec(COMMANDS.setCredential, { profile: 'default', apiToken: bad, verify: false });
    try {
      const mark = shown.length;
      const r = await rotate(TOKENS.account);
      assert.equal(r?.ok, false);
      assert.equal(r?.state, 'failed');
      assert.equal(r?.error?.kind, 'auth');
      assert.match(r?.error?.hint ?? '', /Set the admin credential/);
      const e = errorShown(mark);
      assert.match(e.message, /Rotation of "deploy" failed: .*Set the admin credential/);
      assert.ok(e.items.includes('Set Credential'), `actions: ${e.items.join(', ')}`);
      assert.ok(!e.message.includes(bad), 'the bad credential is not shown');
      assertFilesHold(secrets, 'is unchanged');
      assert.equal((await sim.secrets()).deploy, secrets.deploy, 'the token was not rolled');
      // The admin credential is checked before the roll (the engine refuses to roll the admin's own token): that check fails.
      // Logged once, by the engine (the notification does not log the same outcome again).
      const logged = await waitForLog('Rotation of "deploy" failed: auth: Checking the admin credential');
      assert.match(logged, /\[warning\] Rotation of "deploy" failed: auth: Checking the admin credential \(API token\) failed: the admin credential for profile "default" was rejected \(API token, HTTP 401/);
      assert.equal(logged.split('\n').filter((l) => l.includes('Rotation of "deploy" failed') && l.includes('Checking the admin credential')).length, 1, 'one log line for one failure');
      assert.deepEqual(await rotatingRequests(), [], 'nothing was rolled');
    } finally {
      await setAdminCredential();
    }
  });

  it('429 with retry-after: waits, retries and succeeds', async () => {
    await sim.addFault({ op: 'rollAccountToken', type: 'rate-limit', retryAfterSec: 1 });
    const t = Date.now();
    const r = await rotate(TOKENS.account);
    assert.ok(r?.ok, JSON.stringify(r?.error));
    assert.ok(Date.now() - t >= 900, 'it waited for retry-after');
    const calls = await sim.requests('rollAccountToken');
    assert.deepEqual(calls.map((c) => c.status), [429, 200], 'one 429, then the retry');
    const live = await sim.secrets();
    assert.notEqual(live.deploy, secrets.deploy);
    assertFilesHold(live, 'holds the value of the retried roll');
    await waitForLog('retry 1/3');
  });

  it('5xx: nothing rotated, told it is safe to rotate again, files intact', async () => {
    await sim.addFault({ op: 'rollAccountToken', type: 'status', status: 503 });
    const mark = shown.length;
    const r = await rotate(TOKENS.account);
    assert.equal(r?.ok, false);
    assert.equal(r?.state, 'failed');
    assert.equal(r?.error?.kind, 'server');
    assert.match(r?.error?.message ?? '', /Cloudflare did not rotate "deploy": the current secret still works and no file was changed/);
    assert.match(r?.error?.hint ?? '', /safe to rotate "deploy" again/);
    assert.equal((await sim.requests('rollAccountToken')).length, 1, 'a roll is never retried blindly');
    const e = errorShown(mark);
    assert.match(e.message, /Rotation of "deploy" failed: .*did not rotate/);
    assertFilesHold(secrets, 'is unchanged');
    assert.equal((await sim.secrets()).deploy, secrets.deploy, 'the old value still works');
    const again = await rotate(TOKENS.account);
    assert.ok(again?.ok, 'rotating again works');
  });

  it('ambiguous (connection dropped after Cloudflare rolled): state lost, told to rotate again, files intact', async () => {
    await sim.addFault({ op: 'rollAccountToken', type: 'drop-after-commit' });
    const mark = shown.length;
    const r = await rotate(TOKENS.account);
    assert.equal(r?.ok, false);
    assert.equal(r?.state, 'lost');
    assert.equal(r?.error?.kind, 'ambiguous');
    assert.match(r?.error?.message ?? '', /rolled the API token "deploy" but the new value never arrived/);
    assert.match(r?.error?.hint ?? '', /Rotate "deploy" again/);
    const e = errorShown(mark);
    assert.match(e.message, /Rotation of "deploy" lost its new secret/);
    assert.ok(e.items.includes('Rotate Again'), `actions: ${e.items.join(', ')}`);
    assertFilesHold(secrets, 'is unchanged (no value was received)');
    const live = await sim.secrets();
    assert.notEqual(live.deploy, secrets.deploy, 'Cloudflare did roll it: the old value is dead');

    const again = await rotate(TOKENS.account);
    assert.ok(again?.ok, JSON.stringify(again?.error));
    assertFilesHold(await sim.secrets(), 'holds the value of the second rotation');
  });

  it('"Rotate Again" after a lost rotation asks again, naming what cf-rotate.json says at the click', async () => {
    await sim.addFault({ op: 'rollAccountToken', type: 'drop-after-commit' });
    const dialogs: Shown[] = [];
    onModal((s) => {
      dialogs.push(s);
      return undefined; // Cancel
    });
    // Press the notification's button, as the user would, after cf-rotate.json changed (a pull, a branch switch).
    const w = vscode.window as unknown as Record<string, (...a: unknown[]) => Thenable<unknown>>;
    const spied = w.showErrorMessage as (...a: unknown[]) => Thenable<unknown>;
    let clicked = false;
    w.showErrorMessage = (message: unknown, ...rest: unknown[]): Thenable<unknown> => {
      const shownThere = spied(message, ...rest);
      if (clicked || !rest.includes('Rotate Again')) return shownThere;
      clicked = true;
      return (async () => {
        const c = configObject(idsFromState(await sim.state()));
        (c.tokens[0] as { targets: unknown[] }).targets = [{ file: 'leak.env', key: 'STOLEN' }];
        fs.writeFileSync(file(CONFIG_FILE), JSON.stringify(c, null, 2));
        await exec(COMMANDS.refresh);
        return 'Rotate Again';
      })();
    };
    try {
      const r = await exec<{ state: string }>(COMMANDS.rotate, { name: TOKENS.account, skipConfirm: true });
      assert.equal(r.state, 'lost');
      await waitFor(() => dialogs.length > 0 || fs.existsSync(file('leak.env')), 'the second rotation to ask (or to write)');
    } finally {
      w.showErrorMessage = spied;
      onModal(undefined);
    }
    assert.ok(clicked);
    assert.equal(dialogs.length, 1, 'the second rotation is confirmed');
    assert.equal(dialogs[0]?.message, 'Rotate "deploy" now?');
    assert.match(dialogs[0]?.detail ?? '', /leak\.env › STOLEN/, 'the confirmation names the entry as it is at the click');
    assert.equal((await sim.requests('rollAccountToken')).length, 1, 'cancelled: no second roll');
    assert.equal(fs.existsSync(file('leak.env')), false);
  });

  it('an unknown token name is rejected (the promise fails) and nothing is sent', async () => {
    await assert.rejects(Promise.resolve(exec(COMMANDS.rotate, { name: 'no-such-token', skipConfirm: true })), /No token named "no-such-token" is configured/);
    await assert.rejects(Promise.resolve(exec(COMMANDS.rotate, { name: 42 })), /Invalid argument for cfRotate\.rotate: name/);
    assert.deepEqual(await sim.requests(), []);
    assertFilesHold(secrets, 'is unchanged');
  });
});
