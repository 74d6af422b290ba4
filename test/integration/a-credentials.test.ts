/** Admin credentials: set by command argument, verified at the simulator, kept in SecretStorage, cleared. */
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { COMMANDS } from '../../src/constants';
import type { CfRotateApi } from '../../src/extension';
import { idsFromState, TOKENS } from './fixture';
import {
  ADMIN_TOKEN,
  exec,
  rotate,
  rotatingRequests,
  resetWorld,
  seenSecrets,
  setAdminCredential,
  shownSince,
  shown,
  sim,
  snapshotFiles,
  treeRoots,
} from './helpers';

interface SetResult {
  profile: string;
  stored: boolean;
  verified: boolean;
  error?: { kind: string; message: string };
}
interface VerifyResult {
  profile: string;
  ok: boolean;
  detail?: string;
  error?: { kind: string; message: string };
}

/** A well-formed API token value the simulator has never issued. */
function bogusToken(): string {
  const body = randomBytes(40).toString('base64').replace(/[^A-Za-z0-9]/g, '').padEnd(40, 'x').slice(0, 40);
  const v = `cfut_${body}${randomBytes(4).toString('hex')}`;
  seenSecrets.add(v);
  return v;
}

describe('credentials', () => {
  let api: CfRotateApi;

  before(async () => {
    ({ api } = await resetWorld({ credential: false }));
    for (const p of await api.credentials.profiles()) await exec(COMMANDS.clearCredential, { profile: p, confirm: false });
    await api.refresh();
  });

  after(async () => {
    if ((await api.credentials.get('default')) === undefined) await setAdminCredential();
  });

  it('without a credential the tree says so and rotation is refused with a Set Credential action', async () => {
    const roots = await treeRoots(api);
    const msg = roots.find((n) => n.type === 'message' && n.contextValue === 'message.noCredential');
    assert.ok(msg, `a "no credential" message node (roots: ${roots.map((r) => r.label).join(' | ')})`);
    assert.equal(msg.label, 'No Cloudflare credential for profile "default"');
    assert.equal(msg.command?.command, COMMANDS.setCredential);

    const before = snapshotFiles();
    const mark = shown.length;
    const r = await rotate(TOKENS.account);
    assert.equal(r?.ok, false);
    assert.equal(r?.error?.kind, 'credential-missing');
    assert.match(r?.error?.message ?? '', /No Cloudflare credential is set for profile "default"/);
    const err = shownSince(mark).find((s) => s.level === 'error');
    assert.ok(err, 'an error notification');
    assert.match(err.message, /Rotation of "deploy" failed: No Cloudflare credential/);
    assert.ok(err.items.includes('Set Credential'), `actions: ${err.items.join(', ')}`);
    assert.ok(err.items.includes('Show Log'), `actions: ${err.items.join(', ')}`);
    assert.deepEqual(snapshotFiles(), before, 'no file changed');
    assert.deepEqual(await rotatingRequests(), [], 'nothing was sent to Cloudflare');
  });

  it('setCredential {apiToken} verifies the token at the simulator and stores it in SecretStorage', async () => {
    await sim.clearRequests();
    const r = await exec<SetResult>(COMMANDS.setCredential, { profile: 'default', apiToken: ADMIN_TOKEN });
    assert.deepEqual(r, { profile: 'default', stored: true, verified: true });
    const verifies = await sim.requests('verifyUserToken');
    assert.equal(verifies.length, 1, 'one verify call');
    assert.equal(verifies[0]?.status, 200);
    assert.deepEqual(await api.credentials.profiles(), ['default']);
    assert.deepEqual(await api.credentials.get('default'), { type: 'api-token', token: ADMIN_TOKEN }, 'SecretStorage holds the token');

    // A second command reads it back from SecretStorage.
    const v = await exec<VerifyResult>(COMMANDS.verifyCredential, { profile: 'default' });
    assert.equal(v.ok, true);
    assert.equal(v.detail, 'token active');
    assert.equal((await sim.requests('verifyUserToken')).length, 2, 'verifyCredential called Cloudflare again');
    const roots = await treeRoots(api);
    assert.ok(!roots.some((n) => n.contextValue === 'message.noCredential'), 'the "no credential" node is gone');
  });

  it('setCredential refuses a token Cloudflare rejects, stores nothing and says why (no secret shown)', async () => {
    const bad = bogusToken();
    const mark = shown.length;
    const r = await exec<SetResult>(COMMANDS.setCredential, { profile: 'other', apiToken: bad });
    assert.equal(r.stored, false);
    assert.equal(r.verified, false);
    assert.equal(r.error?.kind, 'auth');
    assert.equal(await api.credentials.get('other'), undefined);
    assert.ok(!(await api.credentials.profiles()).includes('other'));
    const err = shownSince(mark).find((s) => s.level === 'error');
    assert.ok(err, 'an error notification');
    assert.match(err.message, /The credential for profile "other" was not saved/);
    assert.ok(err.items.includes('Show Log'));
    assert.ok(!err.message.includes(bad), 'the rejected token is not shown');
  });

  it('setCredential {email, apiKey} stores a Global API key credential after verifying it', async () => {
    const s = await sim.state();
    const r = await exec<SetResult>(COMMANDS.setCredential, { profile: 'legacy', email: s.user.email, apiKey: s.user.globalApiKey });
    assert.deepEqual(r, { profile: 'legacy', stored: true, verified: true });
    assert.deepEqual(await api.credentials.get('legacy'), { type: 'global-key', email: s.user.email, key: s.user.globalApiKey });
    const v = await exec<VerifyResult>(COMMANDS.verifyCredential, { profile: 'legacy' });
    assert.equal(v.ok, true);
    assert.match(v.detail ?? '', new RegExp(`user ${s.user.email.replace(/\./g, '\\.')}`));
  });

  it('setCredential {apiToken, email, apiKey} stores both schemes; verifyCredential checks both', async () => {
    const s = await sim.state();
    await sim.clearRequests();
    const r = await exec<SetResult>(COMMANDS.setCredential, { profile: 'both', apiToken: ADMIN_TOKEN, email: s.user.email, apiKey: s.user.globalApiKey });
    assert.deepEqual(r, { profile: 'both', stored: true, verified: true });
    assert.deepEqual((await sim.requests()).map((q) => q.op), ['verifyUserToken', 'getUser']);
    assert.deepEqual(await api.credentials.get('both'), { type: 'api-token', token: ADMIN_TOKEN, globalKey: { email: s.user.email, key: s.user.globalApiKey } });
    const v = await exec<VerifyResult>(COMMANDS.verifyCredential, { profile: 'both' });
    assert.equal(v.detail, `token active; user ${s.user.email}`);
    await exec(COMMANDS.clearCredential, { profile: 'both', confirm: false });
  });

  it('clearCredential removes a credential from SecretStorage; commands that need it then fail', async () => {
    const r = await exec<{ profile: string; cleared: boolean }>(COMMANDS.clearCredential, { profile: 'legacy', confirm: false });
    assert.deepEqual(r, { profile: 'legacy', cleared: true });
    assert.equal(await api.credentials.get('legacy'), undefined);

    const cleared = await exec<{ cleared: boolean }>(COMMANDS.clearCredential, { profile: 'default', confirm: false });
    assert.equal(cleared.cleared, true);
    assert.equal(await api.credentials.get('default'), undefined);
    assert.deepEqual(await api.credentials.profiles(), []);
    const before = snapshotFiles();
    const rot = await rotate(TOKENS.account);
    assert.equal(rot?.error?.kind, 'credential-missing', 'rotation no longer finds a credential');
    assert.deepEqual(snapshotFiles(), before);
    assert.deepEqual(await rotatingRequests(), []);

    await setAdminCredential();
    const again = await rotate(TOKENS.account);
    assert.equal(again?.ok, true, `rotation works again once the credential is set: ${JSON.stringify(again?.error)}`);
  });

  it('an account-owned admin token (cfat_, A1) stored with Set Credential: not asked on the user route (which refuses it), GET /accounts names its account; it rotates', async () => {
    const s = await sim.state();
    const ids = idsFromState(s);
    const owned = s.accountTokens.find((t) => t.name === 'cf-rotate account admin');
    assert.ok(owned, 'the demo has an account-owned admin token');
    seenSecrets.add(owned.value);
    await exec(COMMANDS.clearCredential, { profile: 'default', confirm: false });
    await sim.clearRequests();
    const mark = shown.length;
    const r = await exec<SetResult & { accountId?: string }>(COMMANDS.setCredential, { profile: 'default', apiToken: owned.value });
    assert.deepEqual(r, { profile: 'default', stored: true, verified: true, accountId: ids.accountId });
    assert.deepEqual(
      (await sim.requests()).map((q) => [q.op, q.status]),
      [
        ['listAccounts', 200],
        ['verifyAccountToken', 200],
      ],
    );
    assert.deepEqual(await api.credentials.get('default'), { type: 'api-token', token: owned.value, accountId: ids.accountId }, 'SecretStorage holds the token and its account');
    const saved = shownSince(mark).find((m) => m.level === 'info');
    assert.match(saved?.message ?? '', /Saved the Cloudflare credential for profile "default" \(verified\) in the secret storage: an API token \(account-owned token of account [0-9a-f]{32}\)/);

    // It rotates what an account-owned token may: account API tokens, account-level Access, MoQ.
    await sim.clearRequests();
    for (const name of [TOKENS.account, TOKENS.access, TOKENS.moq]) {
      const rot = await rotate(name);
      assert.equal(rot?.ok, true, `${name}: ${JSON.stringify(rot?.error)}`);
    }
    const reqs = await sim.requests();
    assert.ok(reqs.every((q) => q.op !== 'verifyUserToken' || q.credential !== `token:${owned.id}`), 'its checks use the account route only');
    assert.ok(reqs.some((q) => q.op === 'verifyAccountToken' && q.credential === `token:${owned.id}` && q.status === 200));
    // User-level tokens are out of its reach: Cloudflare refuses, nothing changes.
    const me = await rotate(TOKENS.user);
    assert.equal(me?.ok, false);
    assert.equal(me?.error?.kind, 'permission');

    await exec(COMMANDS.clearCredential, { profile: 'default', confirm: false });
    await setAdminCredential();
  });
});
