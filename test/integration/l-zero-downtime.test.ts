/**
 * Zero-downtime rotation in the real VS Code (issue 14): `strategy: "replace"` through Rotate Now
 * (a twin in .env with its R2 fields, cf-rotate.json pointed at it with its comments kept, the
 * previous token still working), the pending retirement in the tree and the status bar, Retire
 * Previous Token Now… deleting it; then Rotate Admin Credential… (replace: the twin stored in the
 * SecretStorage and the previous admin token retired; roll), and the refusal for a Global API key.
 * No secret reaches the log.
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { parse } from 'dotenv';
import { parse as parseJsonc } from 'jsonc-parser';
import { COMMANDS } from '../../src/constants';
import { tokenIdOf } from '../../src/core/config/edit';
import { assertNoSecret, cfRotate, credentialRoots, exec, file, logText, read, resetWorld, rotate, seenSecrets, shown, shownSince, sim, tokenNode, treeRoots, waitFor, ADMIN_TOKEN } from './helpers';

const CONFIG = file('.vscode/cf-rotate.json');

describe('zero-downtime: replace + retirement, and the admin credential rotated', () => {
  let original: string;
  let envOriginal: string;
  let accountId: string;
  let oldId: string;
  let oldValue: string;

  before(async () => {
    const { api } = await resetWorld();
    const st = await sim.state();
    accountId = st.accounts[0]!.id;
    const seeded = await sim.seed({ accountTokens: [{ accountId, name: 'zd deploy', permissions: ['Zone Read', 'Workers Scripts Write'] }] });
    oldId = seeded.accountTokens[0]!.id;
    oldValue = seeded.accountTokens[0]!.value;
    original = fs.readFileSync(CONFIG, 'utf8');
    envOriginal = read('.env');
    fs.writeFileSync(file('.env'), `${envOriginal}ZD_TOKEN=${oldValue}\nR2_ACCESS_KEY_ID=${oldId}\nR2_SECRET_ACCESS_KEY=x\n`);
    const cfg = parseJsonc(original) as { tokens: unknown[] };
    cfg.tokens.push({
      name: 'zd-deploy',
      kind: 'account-api-token',
      accountId,
      tokenId: oldId,
      strategy: 'replace',
      overlap: '24h',
      targets: [
        { file: '.env', key: 'ZD_TOKEN' },
        { file: '.env', key: 'R2_ACCESS_KEY_ID', field: 'r2AccessKeyId' },
        { file: '.env', key: 'R2_SECRET_ACCESS_KEY', field: 'r2SecretAccessKey' },
      ],
    });
    fs.writeFileSync(CONFIG, `// zero-downtime suite: this comment stays\n${JSON.stringify(cfg, null, 2)}\n`);
    await api.refresh();
  });

  after(async () => {
    fs.writeFileSync(CONFIG, original);
    fs.writeFileSync(file('.env'), envOriginal);
    const { api } = await resetWorld();
    for (const r of await api.engine.retirements.list()) await api.engine.retirements.forget(r.id);
  });

  it('Rotate Now with "replace": the twin is in .env (R2 fields too), tokenId names it (comment kept), the previous token still works and retires in 24 h (tree)', async () => {
    const r = await rotate('zd-deploy');
    assert.ok(r?.ok, `ok: ${JSON.stringify(r?.error)}`);
    assert.equal(r.state, 'rotated');
    const st = await sim.state();
    const cfgText = fs.readFileSync(CONFIG, 'utf8');
    assert.ok(cfgText.startsWith('// zero-downtime suite: this comment stays\n'), 'comments kept');
    const newId = tokenIdOf(cfgText, 'zd-deploy');
    assert.ok(newId && newId !== oldId, 'cf-rotate.json names the twin');
    const twin = st.accountTokens.find((t) => t.id === newId)!;
    seenSecrets.add(twin.value);
    const env = parse(read('.env'));
    assert.equal(env.ZD_TOKEN, twin.value);
    assert.equal(env.R2_ACCESS_KEY_ID, newId);
    assert.equal(env.R2_SECRET_ACCESS_KEY, createHash('sha256').update(twin.value).digest('hex'));
    assert.equal(st.accountTokens.find((t) => t.id === oldId)?.status, 'active', 'the previous token keeps working');
    const { api } = await resetWorldless();
    const node = await waitFor(async () => {
      const n = await tokenNode(api, 'zd-deploy');
      return typeof n.description === 'string' && /previous token retires/.test(n.description) ? n : undefined;
    }, 'the tree to show the pending retirement');
    assert.match(String(node.description), /^replaced just now · previous token retires in (2[34] h|1 d)$/);
    assert.equal((await api.engine.retirements.list()).length, 1);
    assertNoSecret(logText(), 'the log');
    assertNoSecret(JSON.stringify(await treeRoots(api)), 'the tree');
  });

  it('Retire Previous Token Now… deletes the previous token at once; the tree no longer mentions it', async () => {
    const { api } = await resetWorldless();
    const results = await exec<{ state: string }[]>(COMMANDS.retirePrevious, { name: 'zd-deploy', confirm: false });
    assert.deepEqual(results.map((x) => x.state), ['retired']);
    const st = await sim.state();
    assert.equal(st.accountTokens.find((t) => t.id === oldId), undefined, 'the previous token is deleted');
    assert.equal((await api.engine.retirements.list()).length, 0);
    const n = await tokenNode(api, 'zd-deploy');
    assert.ok(!/retires/.test(String(n.description)));
    assert.ok((await api.history.list(20)).some((h) => h.outcome === 'retired' && h.name === 'zd-deploy'));
  });

  it('Rotate Admin Credential… (replace): the twin is verified and stored, the previous admin token keeps working until retired; then a roll', async () => {
    const { api } = await resetWorldless();
    const before = await sim.state();
    const admin = [...before.userTokens, ...before.accountTokens].find((t) => t.value === ADMIN_TOKEN)!;
    assert.ok(admin, 'the admin token is at the simulator');
    const r = await exec<{ ok: boolean; state: string; error?: unknown }>(COMMANDS.rotateCredential, { profile: 'default', strategy: 'replace', overlap: '1h', confirm: false });
    assert.ok(r?.ok, JSON.stringify(r));
    const stored = await api.credentials.get('default');
    assert.equal(stored?.type, 'api-token');
    const now = (stored as { token: string }).token;
    seenSecrets.add(now);
    assert.notEqual(now, ADMIN_TOKEN, 'a new admin token is stored');
    const st = await sim.state();
    assert.equal([...st.userTokens, ...st.accountTokens].find((t) => t.id === admin.id)?.status, 'active', 'the previous admin token works during the overlap');
    const pending = await api.engine.retirements.list();
    assert.equal(pending.length, 1);
    assert.equal(pending[0]!.admin, true);
    // The credential node shows the admin token and its pending retirement.
    const cred = await waitFor(async () => (await credentialRoots(api)).find((n) => /retires/.test(String(n.description))), 'the credential node to show the retirement');
    assert.match(String(cred.description), /API token/);
    // The new credential works: a rotation with it, then the previous admin token is retired.
    const again = await rotate('zd-deploy');
    assert.ok(again?.ok, JSON.stringify(again?.error));
    const done = await exec<{ state: string }[]>(COMMANDS.retirePrevious, { all: true, confirm: false });
    assert.ok(done.every((x) => x.state === 'retired'), JSON.stringify(done));
    const st2 = await sim.state();
    assert.equal([...st2.userTokens, ...st2.accountTokens].find((t) => t.id === admin.id), undefined, 'the previous admin token is deleted');
    // A roll: the same id, a new value, nothing to retire.
    const rolled = await exec<{ ok: boolean }>(COMMANDS.rotateCredential, { profile: 'default', strategy: 'roll', confirm: false });
    assert.ok(rolled?.ok, JSON.stringify(rolled));
    const stored2 = (await api.credentials.get('default')) as { token: string };
    seenSecrets.add(stored2.token);
    assert.notEqual(stored2.token, now);
    const verified = await exec<{ ok: boolean }>(COMMANDS.verifyCredential, { profile: 'default' });
    assert.equal(verified.ok, true, 'the rolled admin token works');
    assert.equal((await api.engine.retirements.list()).filter((x) => x.admin).length, 0);
    assertNoSecret(logText(), 'the log');
  });

  it('Rotate Admin Credential… refuses a Global API key with what to do instead', async () => {
    const { user } = await sim.state();
    const set = await exec<{ stored: boolean }>(COMMANDS.setCredential, { profile: 'gkonly', email: user.email, apiKey: user.globalApiKey, verify: false });
    assert.equal(set.stored, true);
    try {
      const mark = shown.length;
      let said = '';
      const r = await exec<{ ok?: boolean } | undefined>(COMMANDS.rotateCredential, { profile: 'gkonly', confirm: false }).catch((e: unknown) => {
        said = e instanceof Error ? e.message : String(e);
        return undefined;
      });
      assert.notEqual(r?.ok, true);
      said += shownSince(mark).map((x) => x.message).join(' ');
      assert.match(said, /Global API key/);
      assert.match(said, /dashboard/);
    } finally {
      await exec(COMMANDS.clearCredential, { profile: 'gkonly', confirm: false });
    }
  });
});

/** The API without resetting the simulator (the suite's state carries from test to test). */
async function resetWorldless(): Promise<{ api: Awaited<ReturnType<typeof resetWorld>>['api'] }> {
  return { api: await cfRotate() };
}
