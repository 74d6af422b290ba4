/**
 * Zero-downtime rotation (issue 14), against the simulator: `strategy: "replace"` for account and
 * user API tokens (twin, targets, the JSONC edit of cf-rotate.json, pending retirement), the R2 S3
 * fields derived from a token, Turnstile and OAuth-client secrets, and the rotation of the admin
 * credential itself.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { parse } from 'dotenv';
import { validateConfig, ConfigError } from '../../../src/core/config/load';
import { setTokenId, tokenIdOf } from '../../../src/core/config/edit';
import type { AdminCredential } from '../../../src/core/cloudflare/types';
import { MemoryJournalStore } from '../../../src/core/engine/journal';
import { CloudflareClient } from '../../../src/core/cloudflare/client';
import { ALL_PERMISSIONS } from '../../simulator/types';
import { systemClock } from '../../../src/core/ports';
import { makeEngine, read, startWorld, tempFolder, tokens, write, type World } from '../helpers/world';

const CONFIG = '.vscode/cf-rotate.json';
const HOUR = 3_600_000;

function configText(entry: Record<string, unknown>): string {
  // Comments and odd formatting that the JSONC edit must keep.
  const json = JSON.stringify({ tokens: [entry] }, null, 4);
  return `// team config — keep this comment\n${json.replace('"tokens": [', '"tokens": [ /* the deploy token */')}\n`;
}

describe('zero-downtime: config shapes', () => {
  const acct = '954a55fc5f585e634c5bbd7b5e8f4cf2';
  const tok = 'd4d91b6ee94bb6cf9ab22ea88c125f56';
  it('accepts replace with an overlap, R2 fields, turnstile-secret and oauth-client-secret', () => {
    const cfg = validateConfig({
      tokens: [
        { kind: 'account-api-token', name: 'deploy', accountId: acct, tokenId: tok, strategy: 'replace', overlap: '24h', targets: [{ file: '.env', key: 'T' }, { file: '.env', key: 'R2_ACCESS_KEY_ID', field: 'r2AccessKeyId' }, { file: '.env', key: 'R2_SECRET_ACCESS_KEY', field: 'r2SecretAccessKey' }] },
        { kind: 'turnstile-secret', name: 'ts', accountId: acct, sitekey: '0x4AAAAAAABBBBBBBBBBBBBB', targets: [{ file: '.env', key: 'TURNSTILE_SECRET' }] },
        { kind: 'oauth-client-secret', name: 'oc', accountId: acct, clientId: 'ab'.repeat(16), overlap: '1h', targets: [{ file: '.env', key: 'OAUTH_SECRET' }, { file: '.env', key: 'OAUTH_ID', field: 'clientId' }] },
      ],
    });
    assert.equal(cfg.tokens.length, 3);
  });
  const bad: [string, unknown, RegExp][] = [
    ['overlap without replace', { kind: 'user-api-token', name: 'a', tokenId: tok, overlap: '1h', targets: [{ file: '.env', key: 'T' }] }, /strategy/],
    ['an unknown strategy', { kind: 'user-api-token', name: 'a', tokenId: tok, strategy: 'swap', targets: [{ file: '.env', key: 'T' }] }, /roll|replace/],
    ['R2 fields on a service token', { kind: 'access-service-token', name: 'a', accountId: acct, serviceTokenId: 'ca3dcb05-d4a3-4edb-bfb3-57b90ed8d20d', targets: [{ file: '.env', key: 'T', field: 'r2AccessKeyId' }] }, /clientId, clientSecret/],
    ['a bad sitekey', { kind: 'turnstile-secret', name: 'a', accountId: acct, sitekey: 'nope', targets: [{ file: '.env', key: 'T' }] }, /sitekey/],
    ['an unknown key on a turnstile entry', { kind: 'turnstile-secret', name: 'a', accountId: acct, sitekey: '0x4AAAAAAABBBB', overlap: '1h', targets: [{ file: '.env', key: 'T' }] }, /overlap/],
  ];
  for (const [what, entry, re] of bad) {
    it(`refuses ${what}`, () => {
      assert.throws(() => validateConfig({ tokens: [entry] }), (e: unknown) => e instanceof ConfigError && re.test(e.message));
    });
  }
});

describe('zero-downtime: the JSONC edit of tokenId', () => {
  const text = `{\n  // keep me\n  "tokens": [\n    { "name": "a", "tokenId": "${'1'.repeat(32)}" /* inline */ },\n    { "name": "b",   "tokenId": "${'2'.repeat(32)}" }\n  ]\n}\n`;
  it('changes only the one value, keeping comments and formatting', () => {
    const r = setTokenId(text, 'b', '2'.repeat(32), '3'.repeat(32));
    assert.equal(r.state, 'edited');
    assert.equal((r as { text: string }).text, text.replace('2'.repeat(32), '3'.repeat(32)));
    assert.equal(tokenIdOf((r as { text: string }).text, 'b'), '3'.repeat(32));
  });
  it('says "already" when done and "missing" when the entry names another token', () => {
    assert.equal(setTokenId(text, 'a', '9'.repeat(32), '1'.repeat(32)).state, 'already');
    assert.equal(setTokenId(text, 'a', '9'.repeat(32), '8'.repeat(32)).state, 'missing');
    assert.equal(setTokenId(text, 'zzz', '1'.repeat(32), '8'.repeat(32)).state, 'missing');
  });
});

describe('zero-downtime: the engine against the simulator', function () {
  this.timeout(60_000);
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(async () => world.close());

  async function setupReplace(owner: 'account' | 'user', extra: Record<string, unknown> = {}) {
    const folder = await tempFolder();
    const t = owner === 'account' ? world.sim.control.addAccountToken(world.accountId, { name: 'deploy token', permissions: ['Workers Scripts Write', 'Zone Read'] }) : world.sim.control.addUserToken({ name: 'deploy token', permissions: ['Workers Scripts Write', 'Zone Read'] });
    const entry = {
      kind: `${owner}-api-token`,
      name: 'deploy',
      ...(owner === 'account' ? { accountId: world.accountId } : {}),
      tokenId: t.id,
      strategy: 'replace',
      overlap: '24h',
      targets: [
        { file: '.env', key: 'CLOUDFLARE_API_TOKEN' },
        { file: '.env', key: 'R2_ACCESS_KEY_ID', field: 'r2AccessKeyId' },
        { file: '.env', key: 'R2_SECRET_ACCESS_KEY', field: 'r2SecretAccessKey' },
      ],
      ...extra,
    };
    await write(folder, '.env', `CLOUDFLARE_API_TOKEN=${t.value}\nR2_ACCESS_KEY_ID=${t.id}\nR2_SECRET_ACCESS_KEY=old\n`);
    const text = configText(entry);
    await write(folder, CONFIG, text);
    await write(folder, '.gitignore', '.env\n');
    return { folder, old: t, text, token: tokens([entry])[0]! };
  }

  const tokenState = (id: string) => {
    const st = world.sim.control.state();
    return [...st.userTokens, ...st.accountTokens].find((x) => x.id === id);
  };

  for (const owner of ['account', 'user'] as const) {
    it(`replace (${owner} token): twin in every target, R2 fields derived, tokenId edited with comments kept, previous token retires after the overlap`, async () => {
      const { folder, old, text, token } = await setupReplace(owner);
      const h = makeEngine(world);
      const r = await h.engine.rotate(folder, token);
      assert.equal(r.ok, true, JSON.stringify(r.error));
      assert.equal(r.state, 'rotated');
      assert.ok(r.tokenId && r.tokenId !== old.id, 'a new token id');
      const env = parse(await read(folder, '.env'));
      const twin = tokenState(r.tokenId!);
      assert.ok(twin, 'the twin exists');
      assert.equal(env.CLOUDFLARE_API_TOKEN, twin.value);
      assert.equal(env.R2_ACCESS_KEY_ID, r.tokenId);
      assert.equal(env.R2_SECRET_ACCESS_KEY, createHash('sha256').update(twin.value).digest('hex'));
      assert.deepEqual(twin.permissions.sort(), tokenState(old.id)!.permissions.sort(), 'same policies');
      // The previous token keeps working during the overlap.
      assert.equal(tokenState(old.id)?.value, old.value);
      assert.equal(tokenState(old.id)?.status, 'active');
      const cfg = await read(folder, CONFIG);
      assert.ok(cfg.startsWith('// team config — keep this comment\n'));
      assert.ok(cfg.includes('/* the deploy token */'));
      assert.equal(tokenIdOf(cfg, 'deploy'), r.tokenId);
      assert.equal(cfg.replace(r.tokenId!, old.id), text, 'only tokenId changed');
      // A durable pending retirement, not due yet.
      const pending = await h.engine.retirements.list();
      assert.equal(pending.length, 1);
      assert.equal(pending[0]!.resource.tokenId, old.id);
      assert.ok(Math.abs(pending[0]!.dueAt - (Date.now() + 24 * HOUR)) < 60_000);
      assert.equal(h.journal.data.size, 0, 'the journal entry is gone');
      const waiting = await h.engine.retirements.carryOut(() => true);
      assert.equal(waiting[0]!.state, 'waiting');
      assert.ok(tokenState(old.id), 'not deleted before it is due');
      const done = await h.engine.retirements.carryOut(() => true, { now: true });
      assert.equal(done[0]!.state, 'retired');
      assert.equal(tokenState(old.id), undefined, 'the previous token is deleted');
      assert.equal((await h.engine.retirements.list()).length, 0);
      assert.ok((await h.history.list(10)).some((e) => e.outcome === 'retired'));
      // Secrets never in the log.
      const log = h.logger.lines.join('\n');
      assert.ok(!log.includes(twin.value) && !log.includes(old.value));
    });
  }

  it('two replace entries of one cf-rotate.json in one run: both ids edited (cf-rotate\'s own edit of the other entry is no change), both retire', async () => {
    const folder = await tempFolder();
    const a = world.sim.control.addAccountToken(world.accountId, { name: 'a', permissions: ['Zone Read'] });
    const b = world.sim.control.addUserToken({ name: 'b', permissions: ['Zone Read'] });
    const entries = [
      { kind: 'account-api-token', name: 'a', accountId: world.accountId, tokenId: a.id, strategy: 'replace', targets: [{ file: '.env', key: 'A' }] },
      { kind: 'user-api-token', name: 'b', tokenId: b.id, strategy: 'replace', overlap: '2h', targets: [{ file: '.env', key: 'B' }] },
    ];
    await write(folder, '.env', `A=${a.value}\nB=${b.value}\n`);
    await write(folder, '.gitignore', '.env\n');
    await write(folder, CONFIG, `// two\n${JSON.stringify({ tokens: entries }, null, 2)}\n`);
    const h = makeEngine(world);
    const results = await h.engine.rotateMany(tokens(entries).map((token) => ({ folder, token })), { concurrency: 2 });
    for (const r of results) assert.equal(r.ok, true, JSON.stringify(r.error));
    const cfg = await read(folder, CONFIG);
    assert.equal(tokenIdOf(cfg, 'a'), results[0]!.tokenId);
    assert.equal(tokenIdOf(cfg, 'b'), results[1]!.tokenId);
    assert.ok(cfg.startsWith('// two\n'));
    assert.equal((await h.engine.retirements.list()).length, 2);
  });

  it('replace with overlap 0s deletes the previous token right after verifying', async () => {
    const { folder, old, token } = await setupReplace('account', { overlap: '0s' });
    const h = makeEngine(world);
    const r = await h.engine.rotate(folder, token);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    assert.equal(r.retired, true);
    assert.equal(tokenState(old.id), undefined);
    assert.equal((await h.engine.retirements.list()).length, 0);
  });

  it('a retirement whose token is already deleted counts as done; a failed one stays pending with its error and is retried', async () => {
    const { folder, old, token } = await setupReplace('account');
    const h = makeEngine(world);
    const r = await h.engine.rotate(folder, token);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    world.sim.control.addFault({ op: 'deleteAccountToken', type: 'status', status: 500, times: -1, pathIncludes: old.id, retryAfterSec: 0 } as never);
    const failed = await h.engine.retirements.carryOut(() => true, { now: true });
    assert.equal(failed[0]!.state, 'failed');
    assert.ok(failed[0]!.error?.message);
    const still = await h.engine.retirements.list();
    assert.equal(still.length, 1);
    assert.equal(still[0]!.attempts, 1);
    assert.ok(still[0]!.lastError);
    // Someone deleted it meanwhile: the retry counts that as done.
    world.sim.control.clearFaults();
    const raw = await new CloudflareClient({ baseUrl: world.sim.url, credential: world.admin, timeoutMs: 2000 }).deleteAccountToken(world.accountId, old.id);
    assert.equal(raw, true);
    const again = await h.engine.retirements.carryOut(() => true, { now: true });
    assert.equal(again[0]!.state, 'already-gone');
    assert.equal(again[0]!.ok, true);
    assert.equal((await h.engine.retirements.list()).length, 0);
  });

  it('replace refuses to rewrite a cf-rotate.json that changed meanwhile: pending, twin safe in the journal, resume --overwrite-conflicts finishes', async () => {
    const { folder, old, token } = await setupReplace('user');
    let changed = false;
    const h = makeEngine(world, {
      checkpoint: async (p) => {
        if (p === 'files-written' && !changed) {
          changed = true;
          await write(folder, CONFIG, `${await read(folder, CONFIG)}// someone edited this\n`);
        }
      },
    });
    const r = await h.engine.rotate(folder, token);
    assert.equal(r.ok, false);
    assert.equal(r.state, 'pending');
    assert.equal(r.error?.kind, 'conflict');
    assert.match(r.error!.message, /changed since the rotation began/);
    assert.equal(tokenIdOf(await read(folder, CONFIG), 'deploy'), old.id, 'not rewritten');
    assert.equal(tokenState(old.id)?.status, 'active', 'the previous token still works');
    assert.equal(h.journal.data.size, 1, 'the rotation is pending in the journal');
    assert.equal((await h.engine.retirements.list()).length, 0, 'no retirement before the config names the twin');
    const [pendingEntry] = await h.engine.interrupted();
    const res = await h.engine.resume(pendingEntry!.id, { overwriteConflicts: true });
    assert.equal(res.ok, true, JSON.stringify(res));
    const cfg = await read(folder, CONFIG);
    assert.ok(cfg.includes('// someone edited this'));
    assert.notEqual(tokenIdOf(cfg, 'deploy'), old.id);
    assert.equal((await h.engine.retirements.list()).length, 1);
  });

  it('turnstile-secret: rotated and written; a second rotation inside the 2-hour window is refused up front with the time it becomes possible', async () => {
    const folder = await tempFolder();
    const w = world.sim.control.seed({ turnstileWidgets: [{ accountId: world.accountId, name: 'login' }] }).turnstileWidgets[0]!;
    await write(folder, '.env', `TURNSTILE_SECRET=${w.secret}\n`);
    await write(folder, '.gitignore', '.env\n');
    const [token] = tokens([{ kind: 'turnstile-secret', name: 'ts', accountId: world.accountId, sitekey: w.sitekey, targets: [{ file: '.env', key: 'TURNSTILE_SECRET' }] }]);
    const h = makeEngine(world);
    const r = await h.engine.rotate(folder, token!);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    const now = world.sim.control.state().turnstileWidgets.find((x) => x.sitekey === w.sitekey)!;
    assert.equal(parse(await read(folder, '.env')).TURNSTILE_SECRET, now.secret);
    assert.equal(now.previousSecret, w.secret);
    const before = world.sim.control.stats().byOperation.rotateTurnstileSecret?.requests;
    const again = await h.engine.rotate(folder, token!);
    assert.equal(again.ok, false);
    assert.match(`${again.error?.message} ${again.error?.hint ?? ''}`, /\d{4}-\d\d-\d\dT|in \d|after/);
    assert.equal(world.sim.control.stats().byOperation.rotateTurnstileSecret?.requests, before, 'refused before any call');
    assert.ok(!h.logger.lines.join('\n').includes(now.secret));
  });

  it('turnstile-secret with an account-owned admin token is refused before the call, naming why', async () => {
    const folder = await tempFolder();
    const w = world.sim.control.seed({ turnstileWidgets: [{ accountId: world.accountId, name: 'signup' }] }).turnstileWidgets[0]!;
    await write(folder, '.env', `TS=${w.secret}\n`);
    await write(folder, '.gitignore', '.env\n');
    const acctAdmin = world.sim.control.addAccountToken(world.accountId, { name: 'acct admin', permissions: [...ALL_PERMISSIONS] } as never);
    const cred: AdminCredential = { type: 'api-token', token: acctAdmin.value, accountId: world.accountId } as AdminCredential;
    const [token] = tokens([{ kind: 'turnstile-secret', name: 'ts2', accountId: world.accountId, sitekey: w.sitekey, targets: [{ file: '.env', key: 'TS' }] }]);
    const h = makeEngine(world, { credentials: { get: async () => cred } });
    const r = await h.engine.rotate(folder, token!);
    assert.equal(r.ok, false);
    assert.match(r.error!.message + (r.error!.hint ?? ''), /account-owned/i);
    assert.equal(world.sim.control.state().turnstileWidgets.find((x) => x.sitekey === w.sitekey)!.rotations, 0);
  });

  it('oauth-client-secret: rotated, written, previous secret deleted when the overlap ends', async () => {
    const folder = await tempFolder();
    const c = world.sim.control.seed({ oauthClients: [{ accountId: world.accountId, name: 'app' }] }).oauthClients[0]!;
    await write(folder, '.env', `OAUTH_SECRET=${c.secret}\nOAUTH_ID=${c.clientId}\n`);
    await write(folder, '.gitignore', '.env\n');
    const store = new MemoryJournalStore();
    const [token] = tokens([{ kind: 'oauth-client-secret', name: 'oc', accountId: world.accountId, clientId: c.clientId, overlap: '1h', targets: [{ file: '.env', key: 'OAUTH_SECRET' }, { file: '.env', key: 'OAUTH_ID', field: 'clientId' }] }]);
    const h = makeEngine(world, { retirements: store });
    const r = await h.engine.rotate(folder, token!);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    let st = world.sim.control.state().oauthClients.find((x) => x.clientId === c.clientId)!;
    const env = parse(await read(folder, '.env'));
    assert.equal(env.OAUTH_SECRET, st.secret);
    assert.equal(env.OAUTH_ID, c.clientId);
    assert.equal(st.previousSecret, c.secret, 'the previous secret keeps working');
    const [p] = await h.engine.retirements.list();
    assert.equal(p!.kind, 'oauth-client-secret');
    const later = { ...systemClock, now: () => Date.now() + HOUR + 1000 };
    const h2 = makeEngine(world, { clock: later, retirements: store });
    const done = await h2.engine.retirements.carryOut(() => true);
    assert.equal(done[0]!.state, 'retired', JSON.stringify(done[0]));
    st = world.sim.control.state().oauthClients.find((x) => x.clientId === c.clientId)!;
    assert.equal(st.hasRotatedSecret, false);
  });

  it('Rotate Admin Credential: replace stores the twin, the previous admin token retires; roll changes it in place; a Global API key is refused', async () => {
    const admin = world.sim.control.addUserToken({ name: 'my admin', permissions: [...ALL_PERMISSIONS] });
    let stored: AdminCredential = { type: 'api-token', token: admin.value };
    const sink = { set: async (_p: string, c: AdminCredential) => void (stored = c) };
    const h = makeEngine(world, { credentials: { get: async () => stored }, credentialSink: sink });
    const r = await h.engine.rotateAdmin('default', { overlap: '1h' });
    assert.equal(r.ok, true, JSON.stringify(r.error));
    assert.equal(stored.type, 'api-token');
    const now = stored as { token: string };
    assert.notEqual(now.token, admin.value);
    assert.ok(tokenState(admin.id), 'the previous admin token keeps working during the overlap');
    const [p] = await h.engine.retirements.list();
    assert.equal(p!.admin, true);
    assert.equal(p!.resource.tokenId, admin.id);
    const done = await h.engine.retirements.carryOut(() => true, { now: true });
    assert.equal(done[0]!.state, 'retired', JSON.stringify(done[0]));
    assert.equal(tokenState(admin.id), undefined);
    // The new credential works (it is what the engine uses now).
    const rolled = await h.engine.rotateAdmin('default', { strategy: 'roll' });
    assert.equal(rolled.ok, true, JSON.stringify(rolled.error));
    assert.notEqual((stored as { token: string }).token, now.token);
    assert.equal((await h.engine.retirements.list()).length, 0, 'a roll leaves nothing to retire');
    assert.ok(!h.logger.lines.join('\n').includes((stored as { token: string }).token));

    const g = makeEngine(world, { credentials: { get: async () => ({ type: 'global-key', email: 'a@b.c', key: 'k'.repeat(37) }) as AdminCredential }, credentialSink: sink });
    const refused = await g.engine.rotateAdmin('default');
    assert.equal(refused.ok, false);
    assert.match(refused.error!.message, /Global API key/);
  });
});
