import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { parse } from 'dotenv';
import { CloudflareClient } from '../../../src/core/cloudflare/client';
import { credentialKey } from '../../../src/core/config/schema';
import { CfRotateError } from '../../../src/core/errors';
import { NodeFiles, fileError } from '../../../src/core/node/files';
import { MemoryJournalStore } from '../../../src/core/engine/journal';
import { MemoryLocks } from '../../../src/core/locks';
import type { FileRules, Files, Git, GitStatus } from '../../../src/core/ports';
import { makeEngine, read, startWorld, tempFolder, tokens, write, type World } from '../helpers/world';

describe('rotation engine (against the simulator)', function () {
  this.timeout(30_000);
  let world: World;
  let folder: string;

  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world.close();
  });
  beforeEach(async () => {
    folder = await tempFolder();
    world.sim.control.clearFaults();
  });
  afterEach(async () => {
    await fs.rm(folder, { recursive: true, force: true });
  });

  function allSecrets(): string[] {
    const st = world.sim.control.state();
    const out = [world.admin.token, world.admin.globalKey?.key ?? ''];
    for (const t of [...st.userTokens, ...st.accountTokens]) out.push(t.value, ...(t.previousValue ? [t.previousValue] : []));
    for (const s of st.serviceTokens) out.push(s.clientSecret, ...(s.previousClientSecret ? [s.previousClientSecret] : []));
    for (const r of st.moqRelays) for (const t of r.tokens) out.push(t.secret);
    return out;
  }

  function assertNoLeak(texts: string[]): void {
    const secrets = allSecrets();
    for (const text of texts) for (const s of secrets) assert.ok(!text.includes(s), `a secret leaked into: ${text.slice(0, 120)}`);
  }

  it('rolls an account-owned API token and writes it byte-exactly into every target', async () => {
    const tok = world.sim.control.addAccountToken(world.accountId, { name: 'deploy' });
    const before = `# deploy\nexport CLOUDFLARE_API_TOKEN="${tok.value}" # rolled by cf-rotate\r\nOTHER=1\n`;
    await write(folder, '.env', before);
    await write(folder, '.dev.vars', `CLOUDFLARE_API_TOKEN=${tok.value}`);
    const [token] = tokens([{ name: 'deploy', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'CLOUDFLARE_API_TOKEN' }, { file: '.dev.vars', key: 'CLOUDFLARE_API_TOKEN' }] }]);
    const h = makeEngine(world);
    const r = await h.engine.rotate(folder, token!);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    assert.equal(r.state, 'rotated');
    assert.equal(r.verified, true);
    const live = world.sim.control.state().accountTokens.find((t) => t.id === tok.id)!;
    assert.notEqual(live.value, tok.value);
    const after = await read(folder, '.env');
    assert.equal(after, before.replace(tok.value, live.value), 'only the value changed');
    assert.equal(await read(folder, '.dev.vars'), `CLOUDFLARE_API_TOKEN=${live.value}`);
    assert.deepEqual(await h.engine.interrupted(), []);
    assert.equal(h.history.entries[0]?.outcome, 'rotated');
    assertNoLeak([...h.logger.lines, JSON.stringify(r), JSON.stringify(h.history.entries)]);
  });

  it('rolls a user-owned API token, appending the key when missing and creating a missing file 0600', async () => {
    const tok = world.sim.control.addUserToken({ name: 'me', permissions: [] });
    await write(folder, '.env', 'A=1');
    const [token] = tokens([{ name: 'me', kind: 'user-api-token', tokenId: tok.id, targets: [{ file: '.env', key: 'CF_USER_TOKEN' }, { file: 'new/.env.local', key: 'CF_USER_TOKEN' }] }]);
    await fs.mkdir(path.join(folder, 'new'));
    const h = makeEngine(world);
    const r = await h.engine.rotate(folder, token!);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    const live = world.sim.control.state().userTokens.find((t) => t.id === tok.id)!;
    assert.equal(await read(folder, '.env'), `A=1\nCF_USER_TOKEN=${live.value}\n`);
    assert.equal(await read(folder, 'new/.env.local'), `CF_USER_TOKEN=${live.value}\n`);
    const st = await fs.stat(path.join(folder, 'new/.env.local'));
    assert.equal(st.mode & 0o777, 0o600);
  });

  it('verifies the new token while the targets are written (both done before the result), not after them', async () => {
    const tok = world.sim.control.addAccountToken(world.accountId, { name: 'deploy' });
    await write(folder, '.env', `CLOUDFLARE_API_TOKEN=${tok.value}\n`);
    const [token] = tokens([{ name: 'deploy', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'CLOUDFLARE_API_TOKEN' }] }]);
    const verifies = (): number => world.sim.control.stats().byOperation.verifyAccountToken?.requests ?? 0;
    const before = verifies();
    const inner = new NodeFiles();
    let sawVerifyDuringWrite = false;
    const files = Object.create(inner) as Files;
    files.write = async (root, rel, data, rules) => {
      // Hold the write until Cloudflare has been asked to verify (at most 3 s): with the verify after
      // the writes, it never comes while this write waits.
      for (let waited = 0; waited < 3_000 && verifies() === before; waited += 20) await new Promise((r) => setTimeout(r, 20));
      sawVerifyDuringWrite = verifies() > before;
      return inner.write(root, rel, data, rules);
    };
    const h = makeEngine(world, { files });
    const r = await h.engine.rotate(folder, token!);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    assert.equal(r.verified, true);
    assert.ok(sawVerifyDuringWrite, 'the verify request was sent while the .env write was in progress');
    const live = world.sim.control.state().accountTokens.find((t) => t.id === tok.id)!;
    assert.equal(parse(await read(folder, '.env')).CLOUDFLARE_API_TOKEN, live.value);
  });

  it('a target that cannot be written leaves the rotation pending even when the verify (running beside it) fails too', async () => {
    const tok = world.sim.control.addAccountToken(world.accountId, { name: 'deploy' });
    await write(folder, '.env', `CLOUDFLARE_API_TOKEN=${tok.value}\n`);
    const [token] = tokens([{ name: 'deploy', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'CLOUDFLARE_API_TOKEN' }] }]);
    world.sim.control.addFault({ op: 'verifyAccountToken', type: 'status', status: 500, times: -1, retryAfterSec: 0 });
    const inner = new NodeFiles();
    const files = Object.create(inner) as Files;
    files.write = async () => {
      throw fileError('write', '.env', Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const h = makeEngine(world, { files });
      const r = await h.engine.rotate(folder, token!);
      assert.equal(r.ok, false);
      assert.equal(r.state, 'pending');
      assert.match(r.error?.message ?? '', /kept safely in the journal/);
      assert.equal(r.verified, undefined, 'no verdict is reported for a value that is not written');
      assert.equal((await h.engine.interrupted()).length, 1);
      await new Promise((r2) => setTimeout(r2, 50));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  /** A journal store on a full disk: the intent fits, the entry with the secret does not (or never, with `always`). */
  function fullDiskJournal(always = false): MemoryJournalStore & { refused: number } {
    const store = Object.assign(new MemoryJournalStore(), { refused: 0 });
    const put = store.put.bind(store);
    store.put = async (id: string, text: string) => {
      if (always || text.includes('"values"')) {
        store.refused++;
        throw fileError('write', 'journal', Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
      }
      return put(id, text);
    };
    return store;
  }

  it('disk full for the journal and the target: the result says the secret is lost, never that the journal keeps it', async () => {
    const tok = world.sim.control.addAccountToken(world.accountId, { name: 'deploy' });
    await write(folder, '.env', `CLOUDFLARE_API_TOKEN=${tok.value}\n`);
    const [token] = tokens([{ name: 'deploy', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'CLOUDFLARE_API_TOKEN' }] }]);
    const files = Object.create(new NodeFiles()) as Files;
    files.write = async () => {
      throw fileError('write', '.env', Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
    };
    const journal = fullDiskJournal();
    const h = makeEngine(world, { files, journal, clock: { now: () => Date.now(), sleep: async () => undefined } });
    const r = await h.engine.rotate(folder, token!);
    assert.equal(r.ok, false);
    assert.equal(r.state, 'lost');
    assert.equal(r.verdict, 'lost');
    assert.doesNotMatch(`${r.error?.message} ${r.error?.hint}`, /kept safely|in the journal, but/);
    assert.match(r.error?.message ?? '', /^Cloudflare rotated "deploy", but its new secret could be saved neither in the journal \(.*no space left.*\) nor in its targets \(.*\): it is lost\.$/);
    assert.match(r.error?.hint ?? '', /free disk space.*rotate "deploy" again/);
    assert.ok(journal.refused >= 2, 'the journal write was tried again before giving up');
    assert.equal(parse(await read(folder, '.env')).CLOUDFLARE_API_TOKEN, tok.value, 'the file is untouched');
  });

  it('disk full for the journal only: the target holds the secret and the rotation succeeds', async () => {
    const tok = world.sim.control.addAccountToken(world.accountId, { name: 'deploy' });
    await write(folder, '.env', `CLOUDFLARE_API_TOKEN=${tok.value}\n`);
    const [token] = tokens([{ name: 'deploy', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'CLOUDFLARE_API_TOKEN' }] }]);
    const h = makeEngine(world, { journal: fullDiskJournal() });
    const r = await h.engine.rotate(folder, token!);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    const live = world.sim.control.state().accountTokens.find((t) => t.id === tok.id)!;
    assert.equal(parse(await read(folder, '.env')).CLOUDFLARE_API_TOKEN, live.value);
  });

  /** Locks whose files-of-targets lock the (full) state directory cannot hold; the rotation's own lock was taken before the call. */
  function fullDiskFileLocks(): MemoryLocks & { refused: number } {
    const locks = Object.assign(new MemoryLocks(), { refused: 0 });
    const acquire = locks.acquire.bind(locks);
    locks.acquire = async (name, what, opts) => {
      if (name.startsWith('file-')) {
        locks.refused++;
        throw Object.assign(new Error(`ENOSPC: no space left on device, open '${name}.lock.tmp'`), { code: 'ENOSPC' });
      }
      return acquire(name, what, opts);
    };
    return locks;
  }

  it('disk full for the state directory (journal and the file locks), the target on another disk: the file is written without its lock, nothing lost', async () => {
    const tok = world.sim.control.addAccountToken(world.accountId, { name: 'deploy' });
    await write(folder, '.env', `A=1\nCLOUDFLARE_API_TOKEN=${tok.value}\n`);
    const [token] = tokens([{ name: 'deploy', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'CLOUDFLARE_API_TOKEN' }] }]);
    const locks = fullDiskFileLocks();
    const h = makeEngine(world, { journal: fullDiskJournal(), locks });
    const r = await h.engine.rotate(folder, token!);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    assert.equal(locks.refused, 1);
    const live = world.sim.control.state().accountTokens.find((t) => t.id === tok.id)!;
    assert.notEqual(live.value, tok.value, 'rolled');
    const env = parse(await read(folder, '.env'));
    assert.equal(env.CLOUDFLARE_API_TOKEN, live.value);
    assert.equal(env.A, '1');
    assert.ok(h.logger.lines.some((l) => /^warn .*the lock of \.env could not be taken \(ENOSPC\)/.test(l)), 'the log says the lock was skipped');
  });

  it('disk full for the state directory while another process writes the same file: the unjournaled secret waits for that writer, never writes past it', async () => {
    const tok = world.sim.control.addAccountToken(world.accountId, { name: 'deploy' });
    await write(folder, '.env', `A=1\nCLOUDFLARE_API_TOKEN=${tok.value}\n`);
    const [token] = tokens([{ name: 'deploy', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'CLOUDFLARE_API_TOKEN' }] }]);
    const locks = fullDiskFileLocks();
    // Another process holds the file's lock for a while, writing A=2 when it lets go.
    const other = { pid: 4242, start: '1', host: hostname(), since: Date.now(), what: 'writing .env', app: 'cf-rotate CLI' };
    let held = true;
    const holder = locks.holder.bind(locks);
    locks.holder = async (name: string) => (name.startsWith('file-') && held ? other : holder(name));
    const released = new Promise<void>((resolve) =>
      setTimeout(() => {
        void write(folder, '.env', `A=2\nCLOUDFLARE_API_TOKEN=${tok.value}\n`).then(() => {
          held = false;
          resolve();
        });
      }, 400),
    );
    const h = makeEngine(world, { journal: fullDiskJournal(), locks });
    const r = await h.engine.rotate(folder, token!);
    await released;
    assert.equal(r.ok, true, JSON.stringify(r.error));
    const env = parse(await read(folder, '.env'));
    assert.equal(env.A, '2', "the other writer's change is kept: ours came after it");
    assert.equal(env.CLOUDFLARE_API_TOKEN, world.sim.control.state().accountTokens.find((t) => t.id === tok.id)!.value);
  });

  it('the file lock refused for lack of space while the journal holds the secret: the lock still counts (the journal keeps the secret, the rotation is pending)', async () => {
    const tok = world.sim.control.addAccountToken(world.accountId, { name: 'deploy' });
    await write(folder, '.env', `CLOUDFLARE_API_TOKEN=${tok.value}\n`);
    const [token] = tokens([{ name: 'deploy', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'CLOUDFLARE_API_TOKEN' }] }]);
    const h = makeEngine(world, { locks: fullDiskFileLocks() });
    const r = await h.engine.rotate(folder, token!);
    assert.equal(r.ok, false);
    assert.equal(r.state, 'pending');
    assert.match(r.error?.message ?? '', /kept safely in the journal/);
    assert.equal(parse(await read(folder, '.env')).CLOUDFLARE_API_TOKEN, tok.value, 'not written without its lock');
    const [entry] = await h.engine.interrupted();
    assert.equal(entry?.values?.token, world.sim.control.state().accountTokens.find((t) => t.id === tok.id)!.value);
  });

  it('disk full for the journal, one file written and the next not: the result names where the secret is', async () => {
    const tok = world.sim.control.addAccountToken(world.accountId, { name: 'deploy' });
    await write(folder, '.env', `CLOUDFLARE_API_TOKEN=${tok.value}\n`);
    await write(folder, 'api/.env', `CLOUDFLARE_API_TOKEN=${tok.value}\n`);
    const [token] = tokens([{ name: 'deploy', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'CLOUDFLARE_API_TOKEN' }, { file: 'api/.env', key: 'CLOUDFLARE_API_TOKEN' }] }]);
    const inner = new NodeFiles();
    const files = Object.create(inner) as Files;
    files.write = async (...a: Parameters<Files['write']>) => {
      if (a[1] === 'api/.env') throw fileError('write', 'api/.env', Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
      return inner.write(...a);
    };
    const h = makeEngine(world, { files, journal: fullDiskJournal(), clock: { now: () => Date.now(), sleep: async () => undefined } });
    const r = await h.engine.rotate(folder, token!);
    assert.equal(r.ok, false);
    assert.equal(r.state, 'pending');
    assert.doesNotMatch(r.error?.message ?? '', /kept safely/);
    assert.match(r.error?.message ?? '', /could not be saved in the journal .* The new secret is only in: \.env › CLOUDFLARE_API_TOKEN\.$/);
    const live = world.sim.control.state().accountTokens.find((t) => t.id === tok.id)!;
    assert.equal(parse(await read(folder, '.env')).CLOUDFLARE_API_TOKEN, live.value);
  });

  it('keeps the mode of an existing file', async () => {
    const tok = world.sim.control.addAccountToken(world.accountId, { name: 'm' });
    const p = await write(folder, '.env', `T=${tok.value}\n`);
    await fs.chmod(p, 0o640);
    const [token] = tokens([{ name: 'm', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'T' }] }]);
    const r = await makeEngine(world).engine.rotate(folder, token!);
    assert.equal(r.ok, true);
    assert.equal((await fs.stat(p)).mode & 0o777, 0o640);
  });

  it('rotates an account Access service token with a grace period: old secret accepted until then, new one at once', async () => {
    const st = world.sim.control.addServiceToken({ accountId: world.accountId, name: 'ci' });
    await write(folder, '.env', `CF_ACCESS_CLIENT_ID=${st.clientId}\nCF_ACCESS_CLIENT_SECRET='${st.clientSecret}'\n`);
    const [token] = tokens([{ name: 'ci', kind: 'access-service-token', accountId: world.accountId, serviceTokenId: st.id, gracePeriod: '2h', targets: [{ file: '.env', key: 'CF_ACCESS_CLIENT_ID', field: 'clientId' }, { file: '.env', key: 'CF_ACCESS_CLIENT_SECRET', field: 'clientSecret' }] }]);
    const h = makeEngine(world);
    const r = await h.engine.rotate(folder, token!);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    assert.ok(r.graceUntil && Date.parse(r.graceUntil) > Date.now() + 3_500_000);
    const live = world.sim.control.state().serviceTokens.find((t) => t.id === st.id)!;
    const env = parse(await read(folder, '.env'));
    assert.equal(env.CF_ACCESS_CLIENT_SECRET, live.clientSecret);
    assert.equal(env.CF_ACCESS_CLIENT_ID, st.clientId);
    assert.match(await read(folder, '.env'), /CF_ACCESS_CLIENT_SECRET='[^']+'\n$/, 'quote style kept');
    assert.equal(world.sim.control.accessCheck(st.clientId, live.clientSecret).allowed, true);
    assert.equal(world.sim.control.accessCheck(st.clientId, st.clientSecret).allowed, true, 'previous secret inside its grace window');
    await h.engine.expirePreviousSecret(folder, token!);
    assert.equal(world.sim.control.accessCheck(st.clientId, st.clientSecret).allowed, false, 'previous secret expired on request');
  });

  it('rotates a zone-level service token by bumping client_secret_version', async () => {
    const st = world.sim.control.addServiceToken({ zoneId: world.zoneId, name: 'zone' });
    await write(folder, '.env', `ZONE_SECRET=${st.clientSecret}\n`);
    const [token] = tokens([{ name: 'zone', kind: 'access-service-token', zoneId: world.zoneId, serviceTokenId: st.id, clientSecretVersion: 1, targets: [{ file: '.env', key: 'ZONE_SECRET' }] }]);
    const r = await makeEngine(world).engine.rotate(folder, token!);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    const live = world.sim.control.state().serviceTokens.find((t) => t.id === st.id)!;
    assert.equal(live.clientSecretVersion, st.clientSecretVersion + 1);
    assert.equal(parse(await read(folder, '.env')).ZONE_SECRET, live.clientSecret);
  });

  it('a zone-level service token rotated twice: the second rotation sends the version cf-rotate remembered (the config still says 1), and Cloudflare rotates again', async () => {
    const st = world.sim.control.addServiceToken({ zoneId: world.zoneId, name: 'zone-twice' });
    await write(folder, '.env', `ZONE_SECRET=${st.clientSecret}\n`);
    const [token] = tokens([{ name: 'zone-twice', kind: 'access-service-token', zoneId: world.zoneId, serviceTokenId: st.id, clientSecretVersion: 1, gracePeriod: '0s', targets: [{ file: '.env', key: 'ZONE_SECRET' }] }]);
    const live = (): { clientSecret: string; clientSecretVersion: number } => world.sim.control.state().serviceTokens.find((t) => t.id === st.id)!;
    world.sim.control.clearRequests();
    const h = makeEngine(world);
    const first = await h.engine.rotate(folder, token!);
    assert.equal(first.ok, true, JSON.stringify(first.error));
    assert.equal(live().clientSecretVersion, 2);
    // Newest first; without a grace period each rotation is followed by the previous secret's expiry ("retired").
    const rotated = (): typeof h.history.entries => h.history.entries.filter((e) => e.outcome === 'rotated');
    assert.equal(rotated()[0]?.secretVersion, 2, 'the version it set is remembered');
    const firstSecret = live().clientSecret;
    // Another engine over the same history (another window, the CLI): Cloudflare's GET still reports no version (A3).
    const second = await makeEngine(world, { history: h.history }).engine.rotate(folder, token!);
    assert.equal(second.ok, true, JSON.stringify(second.error));
    const puts = world.sim.control.requests({ op: 'updateServiceToken' });
    assert.deepEqual(puts.map((q) => (q.body as { client_secret_version?: unknown }).client_secret_version).filter((v) => v !== undefined), [2, 3], 'config 1 → 2, then the remembered 2 → 3');
    assert.equal(live().clientSecretVersion, 3);
    assert.notEqual(live().clientSecret, firstSecret, 'a real rotation, not a moved expiry');
    assert.equal(parse(await read(folder, '.env')).ZONE_SECRET, live().clientSecret);
    assert.equal(rotated()[0]?.secretVersion, 3);
  });

  it('refuses a rotation by version whose current client_secret_version is unknown before any request: not even the credential check or a GET', async () => {
    const zoneSt = world.sim.control.addServiceToken({ zoneId: world.zoneId, name: 'zone-unknown' });
    const accountSt = world.sim.control.addServiceToken({ accountId: world.accountId, name: 'account-version' });
    const env = `ZONE_SECRET=${zoneSt.clientSecret}\nACCOUNT_SECRET=${accountSt.clientSecret}\n`;
    await write(folder, '.env', env);
    const [zone, account] = tokens([
      { name: 'zone-unknown', kind: 'access-service-token', zoneId: world.zoneId, serviceTokenId: zoneSt.id, targets: [{ file: '.env', key: 'ZONE_SECRET' }] },
      { name: 'account-version', kind: 'access-service-token', accountId: world.accountId, serviceTokenId: accountSt.id, method: 'version', targets: [{ file: '.env', key: 'ACCOUNT_SECRET' }] },
    ]);
    const h = makeEngine(world);
    // A remembered value that is not a version (a history line edited by hand) is no version either.
    await h.history.append({ at: new Date().toISOString(), folder, name: 'zone-unknown', kind: 'access-service-token', outcome: 'rotated', targets: ['.env'], resource: credentialKey(zone!), secretVersion: 2.5 });
    world.sim.control.clearRequests();
    const results = [await h.engine.rotate(folder, zone!), await h.engine.rotate(folder, zone!, { dryRun: true }), await h.engine.rotate(folder, account!)];
    for (const [r, name] of [[results[0], 'zone-unknown'], [results[1], 'zone-unknown'], [results[2], 'account-version']] as const) {
      assert.equal(r?.ok, false);
      assert.equal(r?.state, 'failed');
      assert.equal(r?.error?.kind, 'config');
      assert.equal(r?.error?.message, `cf-rotate does not know the current client_secret_version of the service token "${name}", and Cloudflare does not report it.`);
      assert.match(r?.error?.hint ?? '', /Nothing was rotated\.$/);
    }
    assert.match(results[0]?.error?.hint ?? '', /^Set "clientSecretVersion" in cf-rotate\.json to the version in use now/);
    assert.match(results[2]?.error?.hint ?? '', /^Use "method": "rotate" for this account-level token/);
    assert.deepEqual(world.sim.control.requests(), [], 'no request at all');
    assert.equal(await read(folder, '.env'), env);
    assert.deepEqual(await h.engine.interrupted(), []);
    const live = world.sim.control.state().serviceTokens.filter((t) => t.id === zoneSt.id || t.id === accountSt.id);
    assert.deepEqual(live.map((t) => [t.clientSecretVersion, t.previousClientSecret]), [[1, undefined], [1, undefined]]);
  });

  it('rotates a MoQ relay token: create new, write, then delete the old (the rotate route is gone upstream, A4)', async () => {
    const relay = world.sim.control.addMoqRelay({ accountId: world.accountId, name: 'relay', tokens: [{ operations: ['publish', 'subscribe'] }, { operations: ['subscribe'] }] });
    const old = relay.tokens.find((t) => t.type === 'publish_subscribe')!;
    await write(folder, '.env', `MOQ_PUBLISH_TOKEN=${old.secret}\n`);
    const [token] = tokens([{ name: 'relay', kind: 'moq-relay-token', accountId: world.accountId, relayId: relay.uid, tokenType: 'publish_subscribe', targets: [{ file: '.env', key: 'MOQ_PUBLISH_TOKEN' }] }]);
    world.sim.control.clearRequests();
    const h = makeEngine(world);
    const r = await h.engine.rotate(folder, token!);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    const value = parse(await read(folder, '.env')).MOQ_PUBLISH_TOKEN!;
    assert.notEqual(value, old.secret);
    assert.equal(world.sim.control.moqCheck(value).allowed, true, 'new token accepted');
    assert.equal(world.sim.control.moqCheck(old.secret).allowed, false, 'old token revoked');
    assert.deepEqual(r.warnings, []);
    assert.equal(world.sim.control.requests().filter((q) => q.path.endsWith('/tokens/rotate')).length, 0);
    // The expiry Cloudflare gave the new token (create answer) is reported and recorded.
    const created = world.sim.control.state().moqRelays.find((x) => x.uid === relay.uid)!.tokens.find((t) => t.secret === value)!;
    assert.equal(r.expiresAt, created.expires);
    assert.equal(h.history.entries.at(-1)?.expiresAt, created.expires);
  });

  describe('MoQ: which previous token is deleted after the new one is written', () => {
    /** A relay token entry writing MOQ_TOKEN into .env, which does not hold the old JWT (so its jti cannot come from the file). */
    async function setup(name: string, relayTokens: { operations: ('publish' | 'subscribe')[]; label?: string }[]): Promise<{ relay: ReturnType<typeof world.sim.control.addMoqRelay>; token: ReturnType<typeof tokens>[number] }> {
      const relay = world.sim.control.addMoqRelay({ accountId: world.accountId, name, tokens: relayTokens });
      await write(folder, '.env', 'OTHER=1\n');
      const [token] = tokens([{ name, kind: 'moq-relay-token', accountId: world.accountId, relayId: relay.uid, tokenType: 'publish_subscribe', targets: [{ file: '.env', key: 'MOQ_TOKEN' }] }]);
      world.sim.control.clearRequests();
      return { relay, token: token! };
    }
    const deleted = (): string[] => world.sim.control.requests({ op: 'deleteMoqToken' }).map((q) => q.apiPath.split('/').at(-1) as string);
    const works = (secret: string): boolean => world.sim.control.moqCheck(secret).allowed;

    it('by the jti cf-rotate recorded for this credential (history)', async () => {
      const { relay, token } = await setup('relay-jti', [{ operations: ['publish', 'subscribe'], label: 'encoder' }, { operations: ['publish', 'subscribe'], label: 'player' }]);
      const [old, other] = relay.tokens;
      const h = makeEngine(world);
      await h.history.append({ at: new Date().toISOString(), folder, name: 'relay-jti', kind: 'moq-relay-token', outcome: 'rotated', targets: ['.env'], resource: credentialKey(token), jti: old!.jti });
      const r = await h.engine.rotate(folder, token);
      assert.equal(r.ok, true, JSON.stringify(r.error));
      assert.deepEqual(r.warnings, []);
      assert.deepEqual(deleted(), [old!.jti], 'the recorded one only');
      assert.equal(works(old!.secret), false);
      assert.equal(works(other!.secret), true, 'a token of the same operations but no record of cf-rotate stays');
      const value = parse(await read(folder, '.env')).MOQ_TOKEN!;
      assert.equal(works(value), true);
      const created = world.sim.control.state().moqRelays.find((x) => x.uid === relay.uid)!.tokens.find((t) => t.secret === value);
      assert.equal(h.history.entries[0]?.jti, created?.jti, 'the new jti is recorded for the next rotation');
    });

    it('by its cf-rotate:<name>: label, with the same operations', async () => {
      const { relay, token } = await setup('relay-b', [
        { operations: ['publish', 'subscribe'], label: 'cf-rotate:relay-b:lk2f0a1' },
        { operations: ['publish', 'subscribe'], label: 'cf-rotate:relay-bx:lk2f0a1' },
        { operations: ['subscribe'], label: 'cf-rotate:relay-b:lk2f0a2' },
        { operations: ['publish', 'subscribe'], label: 'encoder' },
      ]);
      const [mine, otherName, otherOps, unlabelled] = relay.tokens;
      const r = await makeEngine(world).engine.rotate(folder, token);
      assert.equal(r.ok, true, JSON.stringify(r.error));
      assert.deepEqual(r.warnings, []);
      assert.deepEqual(deleted(), [mine!.jti]);
      assert.equal(works(mine!.secret), false);
      for (const t of [otherName, otherOps, unlabelled]) assert.equal(works(t!.secret), true, `${t!.label} stays`);
      const value = parse(await read(folder, '.env')).MOQ_TOKEN;
      const created = world.sim.control.state().moqRelays.find((x) => x.uid === relay.uid)!.tokens.find((t) => t.secret === value);
      assert.match(created?.label ?? '', /^cf-rotate:relay-b:[0-9a-z]+$/, 'the new token carries the label the next rotation looks for');
    });

    it('a delete that fails stays pending as a retirement, due at once: the next carry-out deletes the previous token', async () => {
      const { relay, token } = await setup('relay-fail', [{ operations: ['publish', 'subscribe'], label: 'cf-rotate:relay-fail:old' }]);
      const [old] = relay.tokens;
      const h = makeEngine(world);
      world.sim.control.addFault({ op: 'deleteMoqToken', type: 'status', status: 502, retryAfterSec: 0, times: -1 });
      const r = await h.engine.rotate(folder, token);
      world.sim.control.clearFaults();
      assert.equal(r.ok, true, JSON.stringify(r.error));
      assert.equal(r.warnings.length, 1);
      assert.match(r.warnings[0]!, new RegExp(`^The previous MoQ token ${old!.jti} of "relay-fail" could not be deleted \\(.+\\); it stays pending and is deleted by the next rotation or retire\\.$`));
      assert.equal(works(old!.secret), true, 'not deleted yet');
      const [pending, ...more] = await h.engine.retirements.list();
      assert.equal(more.length, 0);
      assert.deepEqual([pending?.kind, pending?.resource, pending?.name, pending?.folder], ['moq-relay-token', { accountId: world.accountId, relayId: relay.uid, jti: old!.jti }, 'relay-fail', folder]);
      assert.ok(pending!.dueAt <= Date.now(), 'due at once');
      const [done] = await h.engine.retirements.carryOut(() => true);
      assert.deepEqual([done?.state, done?.label], ['retired', `the previous MoQ token ${old!.jti} of "relay-fail"`]);
      assert.equal(works(old!.secret), false);
      assert.equal(works(parse(await read(folder, '.env')).MOQ_TOKEN!), true, 'the new one stays');
      assert.deepEqual(await h.engine.retirements.list(), []);
      assert.equal(h.history.entries[0]?.outcome, 'retired');
    });

    it('resumed without an admin credential: the new token is written and the previous one is kept as a pending retirement, not forgotten', async () => {
      const { relay, token } = await setup('relay-nocred', [{ operations: ['publish', 'subscribe'], label: 'cf-rotate:relay-nocred:old' }]);
      const [old] = relay.tokens;
      // A process killed once the new token was journaled: its entry, as it left it.
      const created = await makeEngine(world).deps.api(world.admin, 'default').createMoqToken(world.accountId, relay.uid, ['publish', 'subscribe'], { label: 'cf-rotate:relay-nocred:new' });
      const journal = new MemoryJournalStore();
      const now = Date.now();
      const left = {
        v: 2, id: credentialKey(token), owner: 'killed-process', folder, token: 'relay-nocred', kind: 'moq-relay-token', profile: 'default', state: 'rotated',
        resource: { accountId: world.accountId, relayId: relay.uid, tokenType: 'publish_subscribe' }, startedAt: now - 5_000, updatedAt: now - 4_000, sentAt: now - 5_000, deadline: now - 1_000,
        pre: { oldJtis: [old!.jti] }, received: { jti: created.jti }, moqLabel: 'cf-rotate:relay-nocred:new',
        targets: [{ rel: '.env', key: 'MOQ_TOKEN', field: 'token', oldHash: null, done: false }],
        values: { token: created.token },
      } as const;
      await journal.put(left.id, JSON.stringify(left));
      // Another process (no credential in its environment) resumes from the same state.
      const retirements = new MemoryJournalStore();
      const resumer = makeEngine(world, { journal, retirements, credentials: { get: async () => undefined } });
      const r = await resumer.engine.resume(left.id);
      assert.equal(r.state, 'recovered', JSON.stringify(r));
      assert.equal(parse(await read(folder, '.env')).MOQ_TOKEN, left.values.token);
      assert.ok(r.warnings.includes(`The previous MoQ token of "relay-nocred" (${old!.jti}) was not deleted: no credential was available. It keeps working until the next rotation or retire deletes it (it is pending).`), r.warnings.join('\n'));
      const pending = await resumer.engine.retirements.list();
      assert.deepEqual(pending.map((x) => [x.kind, x.resource.jti, x.rotation]), [['moq-relay-token', old!.jti, left.owner]]);
      // With a credential, the retirement is carried out.
      const later = makeEngine(world, { retirements });
      assert.deepEqual((await later.engine.retirements.carryOut(() => true)).map((x) => x.state), ['retired']);
      assert.equal(works(old!.secret), false);
      assert.equal(works(left.values.token), true);
    });

    it('none identified: the new token is written, nothing is deleted, and the user is told the older one keeps working', async () => {
      const { relay, token } = await setup('relay-none', [{ operations: ['publish', 'subscribe'], label: 'encoder' }]);
      const [old] = relay.tokens;
      await write(folder, '.env', 'MOQ_TOKEN=not-a-jwt\n');
      const r = await makeEngine(world).engine.rotate(folder, token);
      assert.equal(r.ok, true, JSON.stringify(r.error));
      assert.equal(r.state, 'rotated');
      assert.deepEqual(r.warnings, ['No previous MoQ token of "relay-none" could be identified, so none was deleted; if an older token for it exists, it keeps working until you delete it in the dashboard.']);
      assert.deepEqual(deleted(), []);
      assert.equal(works(old!.secret), true);
      const value = parse(await read(folder, '.env')).MOQ_TOKEN!;
      assert.notEqual(value, 'not-a-jwt');
      assert.equal(works(value), true);
      assert.equal(world.sim.control.state().moqRelays.find((x) => x.uid === relay.uid)!.tokens.length, 2);
    });
  });

  it('refuses a rotation whose profile lacks the scheme Cloudflare accepts for it, before any request (A5)', async () => {
    const st = world.sim.control.addServiceToken({ zoneId: world.zoneId, name: 'zone' });
    await write(folder, '.env', `ZONE_SECRET=${st.clientSecret}\n`);
    const [token] = tokens([{ name: 'zone', kind: 'access-service-token', zoneId: world.zoneId, serviceTokenId: st.id, clientSecretVersion: 1, targets: [{ file: '.env', key: 'ZONE_SECRET' }] }]);
    world.sim.control.clearRequests();
    const tokenOnly = { type: 'api-token', token: world.admin.token } as const;
    const h = makeEngine(world, { credentials: { get: async () => tokenOnly } });
    const r = await h.engine.rotate(folder, token!);
    assert.equal(r.ok, false);
    assert.equal(r.state, 'failed');
    assert.equal(r.error?.kind, 'credential-missing');
    assert.match(r.error?.message ?? '', /^Rotating "zone" \(a zone-level Access service token\) needs email \+ Global API key/);
    assert.match(r.error?.hint ?? '', /Nothing was rotated\.$/);
    assert.deepEqual(world.sim.control.requests(), [], 'not even the admin credential check');
    assert.deepEqual(await h.engine.interrupted(), []);
    assert.equal(parse(await read(folder, '.env')).ZONE_SECRET, st.clientSecret);
  });

  it("a 429 on the roll that outlasts the retries: 'rate-limited', settled as not rotated (A7: Cloudflare did not process it), never ambiguous", async () => {
    const tok = world.sim.control.addAccountToken(world.accountId, { name: 'busy' });
    await write(folder, '.env', `K=${tok.value}\n`);
    const [token] = tokens([{ name: 'busy', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'K' }] }]);
    world.sim.control.addFault({ op: 'rollAccountToken', type: 'rate-limit', retryAfterSec: 1, times: -1 });
    world.sim.control.clearRequests();
    const h = makeEngine(world, { api: (credential) => new CloudflareClient({ baseUrl: world.sim.url, credential, maxRetries: 1, timeoutMs: 2000 }) });
    const r = await h.engine.rotate(folder, token!);
    world.sim.control.clearFaults();
    assert.equal(r.ok, false);
    assert.equal(r.state, 'failed');
    assert.equal(r.error?.kind, 'rate-limited');
    assert.equal(r.verdict, 'not-rotated');
    assert.match(r.error?.message ?? '', /Cloudflare did not process it/);
    assert.deepEqual(world.sim.control.requests({ op: 'rollAccountToken' }).map((q) => q.status), [429, 429]);
    assert.equal(world.sim.control.state().accountTokens.find((t) => t.id === tok.id)!.value, tok.value);
    assert.deepEqual(await h.engine.interrupted(), [], 'no journal left to resume');
    assert.equal(h.history.entries.at(-1)?.errorKind, 'rate-limited');
  });

  describe('API faults leave files untouched unless a secret was received', () => {
    async function setupRoll(): Promise<{ tok: { id: string; value: string }; token: ReturnType<typeof tokens>[number]; before: string }> {
      const tok = world.sim.control.addAccountToken(world.accountId, { name: 'f' });
      const before = `K=${tok.value}\n`;
      await write(folder, '.env', before);
      const [token] = tokens([{ name: 'f', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'K' }] }]);
      return { tok, token: token!, before };
    }
    const liveValue = (id: string): string => world.sim.control.state().accountTokens.find((t) => t.id === id)!.value;

    for (const status of [500, 502, 503] as const) {
      it(`${status} on the roll: nothing changed, said so, journal cleared`, async () => {
        const { tok, token, before } = await setupRoll();
        world.sim.control.addFault({ op: 'rollAccountToken', type: 'status', status });
        const h = makeEngine(world);
        const r = await h.engine.rotate(folder, token);
        assert.equal(r.ok, false);
        assert.equal(r.state, 'failed');
        assert.equal(r.error?.kind, 'server');
        assert.match(r.error!.message, /did not rotate/);
        assert.equal(await read(folder, '.env'), before);
        assert.equal(liveValue(tok.id), tok.value);
        assert.deepEqual(await h.engine.interrupted(), []);
      });
    }

    for (const type of ['drop-after-commit', 'missing-secret', 'malformed-json'] as const) {
      it(`${type}: Cloudflare rolled but the value never arrived → "lost", told to roll again, which works`, async () => {
        const { tok, token, before } = await setupRoll();
        world.sim.control.addFault({ op: 'rollAccountToken', type });
        const h = makeEngine(world);
        const r = await h.engine.rotate(folder, token);
        assert.equal(r.ok, false);
        assert.equal(r.state, 'lost', JSON.stringify(r));
        assert.match(r.error!.hint ?? '', /Rotate "f" again/);
        assert.equal(await read(folder, '.env'), before, 'no file touched without a secret');
        assert.notEqual(liveValue(tok.id), tok.value, 'the simulator did roll');
        const again = await h.engine.rotate(folder, token);
        assert.equal(again.ok, true, JSON.stringify(again.error));
        assert.equal(parse(await read(folder, '.env')).K, liveValue(tok.id));
        assertNoLeak([...h.logger.lines, JSON.stringify(r), JSON.stringify(again)]);
      });
    }

    it('drop-after-commit while the verify route refuses the old value with 403 / 9109 (notes A8: revoked, or only IP filtering): no verdict from that; the rotation stays journaled as unknown, never "not rotated"', async () => {
      const { tok, token, before } = await setupRoll();
      world.sim.control.configure({ invalidTokenAnswer: 403 });
      try {
        world.sim.control.addFault({ op: 'rollAccountToken', type: 'drop-after-commit' });
        const h = makeEngine(world);
        const r = await h.engine.rotate(folder, token);
        assert.equal(r.state, 'unknown', JSON.stringify(r));
        assert.notEqual(liveValue(tok.id), tok.value, 'the simulator did roll');
        assert.ok(world.sim.control.requests({ op: 'verifyAccountToken' }).some((q) => q.status === 403), 'the probe met a 403');
        assert.equal((await h.engine.interrupted()).length, 1, 'kept in the journal');
        assert.equal(await read(folder, '.env'), before);
      } finally {
        world.sim.control.configure({ invalidTokenAnswer: 401 });
      }
    });

    it('drop-after-commit while the target holds another live token (not the one rolled): its value verifying says nothing about this roll, never "not rotated"', async () => {
      const other = world.sim.control.addAccountToken(world.accountId, { name: 'other' });
      const tok = world.sim.control.addAccountToken(world.accountId, { name: 'f' });
      const before = `K=${other.value}\n`;
      await write(folder, '.env', before);
      const [token] = tokens([{ name: 'f', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'K' }] }]);
      world.sim.control.addFault({ op: 'rollAccountToken', type: 'drop-after-commit' });
      const h = makeEngine(world);
      const r = await h.engine.rotate(folder, token!);
      assert.notEqual(liveValue(tok.id), tok.value, 'the simulator did roll');
      assert.ok(r.state === 'lost' || r.state === 'unknown', JSON.stringify(r));
      assert.doesNotMatch(r.error?.message ?? '', /did not rotate|not rotated/);
      assert.equal(await read(folder, '.env'), before, 'the other token is left where it was');
      assert.equal(liveValue(other.id), other.value);
    });

    it('hang: times out as ambiguous, finds out whether it happened (it did not) and says so', async () => {
      const { tok, token, before } = await setupRoll();
      world.sim.control.addFault({ op: 'rollAccountToken', type: 'hang' });
      const h = makeEngine(world, { timeoutMs: 400 });
      const r = await h.engine.rotate(folder, token);
      assert.equal(r.ok, false);
      assert.equal(r.state, 'failed');
      assert.equal(r.error?.kind, 'ambiguous');
      assert.match(r.error!.message, /did not rotate/);
      assert.equal(await read(folder, '.env'), before);
      assert.equal(liveValue(tok.id), tok.value);
    });

    it('429 with retry-after is waited out and the rotation succeeds', async () => {
      const { tok, token } = await setupRoll();
      world.sim.control.addFault({ op: 'rollAccountToken', type: 'rate-limit', retryAfterSec: 1 });
      const r = await makeEngine(world).engine.rotate(folder, token);
      assert.equal(r.ok, true, JSON.stringify(r.error));
      assert.equal(parse(await read(folder, '.env')).K, liveValue(tok.id));
    });

    it('a rejected admin credential fails before anything changes, naming the cause', async () => {
      const { tok, token, before } = await setupRoll();
      const h = makeEngine(world, { credentials: { get: async () => ({ type: 'api-token', token: 'x'.repeat(40) }) } });
      const r = await h.engine.rotate(folder, token);
      assert.equal(r.ok, false);
      assert.equal(r.error?.kind, 'auth');
      assert.equal(await read(folder, '.env'), before);
      assert.equal(liveValue(tok.id), tok.value);
    });

    it('a missing credential is reported with the way to set it', async () => {
      const { token } = await setupRoll();
      const r = await makeEngine(world, { credentials: { get: async () => undefined } }).engine.rotate(folder, token);
      assert.equal(r.error?.kind, 'credential-missing');
      assert.match(r.error!.hint ?? '', /Set Credential/);
    });

    it('an unknown token id is "not-found"', async () => {
      await write(folder, '.env', 'K=x\n');
      const [token] = tokens([{ name: 'nf', kind: 'account-api-token', accountId: world.accountId, tokenId: '0'.repeat(32), targets: [{ file: '.env', key: 'K' }] }]);
      const r = await makeEngine(world).engine.rotate(folder, token!);
      assert.equal(r.error?.kind, 'not-found');
    });

    it('a service token rotate whose answer is lost inside the grace window says the old secret still works', async () => {
      const st = world.sim.control.addServiceToken({ accountId: world.accountId, name: 'g' });
      await write(folder, '.env', `S=${st.clientSecret}\n`);
      const [token] = tokens([{ name: 'g', kind: 'access-service-token', accountId: world.accountId, serviceTokenId: st.id, gracePeriod: '1h', targets: [{ file: '.env', key: 'S' }] }]);
      world.sim.control.addFault({ op: 'rotateServiceToken', type: 'drop-after-commit' });
      const r = await makeEngine(world).engine.rotate(folder, token!);
      assert.equal(r.state, 'lost');
      assert.match(r.error!.hint ?? '', /still works until/);
      assert.equal(world.sim.control.accessCheck(st.clientId, st.clientSecret).allowed, true);
    });
  });

  describe('file faults', () => {
    it('a read-only target fails before the API call', async () => {
      // Root ignores file modes, so the refusal comes from a Files port, as it would from the OS.
      const tok = world.sim.control.addAccountToken(world.accountId, { name: 'ro' });
      await write(folder, '.env', `K=${tok.value}\n`);
      const [token] = tokens([{ name: 'ro', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'K' }] }]);
      const base = new NodeFiles();
      const files: Files = Object.assign(Object.create(base) as Files, {
        check: async (_root: string, rel: string) => {
          throw new CfRotateError('file', `Could not write ${path.basename(rel)}: permission denied (EACCES).`);
        },
      });
      const r = await makeEngine(world, { files }).engine.rotate(folder, token!);
      assert.equal(r.ok, false);
      assert.equal(r.error?.kind, 'file');
      assert.equal(world.sim.control.state().accountTokens.find((t) => t.id === tok.id)!.value, tok.value, 'not rotated');
    });

    it('ENOSPC while writing keeps the secret in the journal; resume writes it', async () => {
      const tok = world.sim.control.addAccountToken(world.accountId, { name: 'nospc' });
      await write(folder, '.env', `K=${tok.value}\n`);
      const [token] = tokens([{ name: 'nospc', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'K' }] }]);
      const base = new NodeFiles();
      let fail = true;
      const files: Files = Object.assign(Object.create(base) as Files, {
        write: async (root: string, rel: string, d: Uint8Array, o?: FileRules & { mode?: number }) => {
          if (fail) {
            const e = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
            throw fileError('write', rel, e);
          }
          return base.write(root, rel, d, o);
        },
      });
      const h = makeEngine(world, { files });
      const r = await h.engine.rotate(folder, token!);
      assert.equal(r.ok, false);
      assert.equal(r.state, 'pending');
      assert.match(r.error!.message, /no space left/);
      assert.equal(await read(folder, '.env'), `K=${tok.value}\n`, 'file intact');
      const pending = await h.engine.interrupted();
      assert.equal(pending.length, 1);
      const live = world.sim.control.state().accountTokens.find((t) => t.id === tok.id)!.value;
      assert.equal(pending[0]!.values?.token, live, 'the new secret is safe in the journal');
      fail = false;
      const resumed = await h.engine.resume(pending[0]!.id);
      assert.equal(resumed.ok, true, JSON.stringify(resumed.error));
      assert.equal(resumed.state, 'recovered');
      assert.equal(await read(folder, '.env'), `K=${live}\n`);
      assert.deepEqual(await h.engine.interrupted(), []);
      assertNoLeak([...h.logger.lines, JSON.stringify(r), JSON.stringify(resumed)]);
    });

    it('an interrupted rotation is reported before anything else, even an unsaved editor', async () => {
      const tok = world.sim.control.addAccountToken(world.accountId, { name: 'order' });
      const p = await write(folder, '.env', `K=${tok.value}\n`);
      const [token] = tokens([{ name: 'order', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'K' }] }]);
      const h = makeEngine(world);
      const id = 'account-api-token:' + `${world.accountId}:${tok.id}`.toLowerCase();
      await h.journal.put(id, JSON.stringify({ v: 2, id, owner: 'o', folder, token: 'order', kind: 'account-api-token', profile: 'default', state: 'intent', resource: { accountId: world.accountId, tokenId: tok.id }, startedAt: 1, updatedAt: 1, targets: [] }));
      const files: Files = Object.assign(Object.create(new NodeFiles()) as Files, { isDirty: (f: string) => f === p });
      const r = await makeEngine(world, { files, journal: h.journal }).engine.rotate(folder, token!);
      assert.equal(r.error?.kind, 'busy');
      assert.match(r.error!.hint ?? '', /Resume/);
    });

    it('a document with unsaved edits stops the rotation before the API call', async () => {
      const tok = world.sim.control.addAccountToken(world.accountId, { name: 'dirty' });
      const p = await write(folder, '.env', `K=${tok.value}\n`);
      const files: Files = Object.assign(Object.create(new NodeFiles()) as Files, { isDirty: (f: string) => f === p });
      const [token] = tokens([{ name: 'dirty', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'K' }] }]);
      const r = await makeEngine(world, { files }).engine.rotate(folder, token!);
      assert.equal(r.ok, false);
      assert.match(r.error!.message, /unsaved changes/);
      assert.equal(world.sim.control.state().accountTokens.find((t) => t.id === tok.id)!.value, tok.value);
    });

    it('a symlink inside the folder is followed and kept; one pointing outside is refused', async () => {
      const tok = world.sim.control.addAccountToken(world.accountId, { name: 'link' });
      await write(folder, 'real/.env', `K=${tok.value}\n`);
      await fs.symlink(path.join(folder, 'real/.env'), path.join(folder, '.env'));
      const [token] = tokens([{ name: 'link', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'K' }] }]);
      const r = await makeEngine(world).engine.rotate(folder, token!);
      assert.equal(r.ok, true, JSON.stringify(r.error));
      assert.ok((await fs.lstat(path.join(folder, '.env'))).isSymbolicLink(), 'link kept');
      const live = world.sim.control.state().accountTokens.find((t) => t.id === tok.id)!.value;
      assert.equal(await read(folder, 'real/.env'), `K=${live}\n`);

      const outside = await tempFolder('cf-rotate-outside-');
      await write(outside, '.env', `K=${live}\n`);
      await fs.symlink(path.join(outside, '.env'), path.join(folder, 'out.env'));
      const [t2] = tokens([{ name: 'link', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: 'out.env', key: 'K' }] }]);
      const r2 = await makeEngine(world).engine.rotate(folder, t2!);
      assert.equal(r2.ok, false);
      assert.match(r2.error!.message, /outside the workspace folder/);
      assert.equal(world.sim.control.state().accountTokens.find((t) => t.id === tok.id)!.value, live, 'not rotated');
      await fs.rm(outside, { recursive: true, force: true });
    });

    it('binary and non-UTF-8 targets are refused before the API call', async () => {
      const tok = world.sim.control.addAccountToken(world.accountId, { name: 'bin' });
      await fs.writeFile(path.join(folder, 'bin.env'), Buffer.from([0x4b, 0x3d, 0x00, 0x01]));
      await fs.writeFile(path.join(folder, 'latin1.env'), Buffer.from([0x4b, 0x3d, 0xe9, 0x0a]));
      for (const file of ['bin.env', 'latin1.env']) {
        const [token] = tokens([{ name: 'bin', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file, key: 'K' }] }]);
        const r = await makeEngine(world).engine.rotate(folder, token!);
        assert.equal(r.ok, false, file);
        assert.match(r.error!.message, /binary|UTF-8/);
      }
      assert.equal(world.sim.control.state().accountTokens.find((t) => t.id === tok.id)!.value, tok.value);
    });

    it('a directory that cannot be written fails before the API call', async () => {
      // Root ignores directory modes here, so the refusal comes from the Files port, as the OS would give it.
      const tok = world.sim.control.addAccountToken(world.accountId, { name: 'rodir' });
      await write(folder, 'locked/.env', `K=${tok.value}\n`);
      const [token] = tokens([{ name: 'rodir', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: 'locked/.env', key: 'K' }] }]);
      const files: Files = Object.assign(Object.create(new NodeFiles()) as Files, {
        check: async (_root: string, rel: string) => {
          throw fileError('write', rel, Object.assign(new Error('denied'), { code: 'EACCES' }));
        },
      });
      const r = await makeEngine(world, { files }).engine.rotate(folder, token!);
      assert.equal(r.error?.kind, 'file');
      assert.match(r.error!.message, /permission denied \(EACCES\)/);
      assert.equal(world.sim.control.state().accountTokens.find((t) => t.id === tok.id)!.value, tok.value, 'not rotated');
      assert.equal(await read(folder, 'locked/.env'), `K=${tok.value}\n`);
    });

    it('a 5 MB target with CRLF and a BOM is patched byte-exactly', async () => {
      const tok = world.sim.control.addAccountToken(world.accountId, { name: 'big' });
      const filler = Array.from({ length: 110_000 }, (_, i) => `VAR_${i}="value number ${i} with some padding text"`).join('\r\n');
      const before = `\uFEFF# big file\r\n${filler}\r\nexport BIG_TOKEN='${tok.value}' # live\r\n${filler.slice(0, 1000)}`;
      assert.ok(Buffer.byteLength(before) > 5 * 1024 * 1024, 'at least 5 MB');
      await write(folder, '.env', before);
      const [token] = tokens([{ name: 'big', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'BIG_TOKEN' }] }]);
      const r = await makeEngine(world).engine.rotate(folder, token!);
      assert.equal(r.ok, true, JSON.stringify(r.error));
      const live = world.sim.control.state().accountTokens.find((t) => t.id === tok.id)!.value;
      assert.equal(await read(folder, '.env'), before.replace(tok.value, live));
    });

    it('a conflicting duplicate key is refused before the API call', async () => {
      const tok = world.sim.control.addAccountToken(world.accountId, { name: 'dup' });
      await write(folder, '.env', `K=${tok.value}\nK=something-else-entirely\n`);
      const [token] = tokens([{ name: 'dup', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'K' }] }]);
      const r = await makeEngine(world).engine.rotate(folder, token!);
      assert.equal(r.error?.kind, 'conflict');
    });
  });

  describe('concurrency', () => {
    it('rotateMany: 100 tokens into one .env file → 100/100 keys correct, every other byte identical', async () => {
      const toks = world.sim.control.addAccountTokens(world.accountId, 100, { name: 'bulk' });
      const lines = ['# header', ...toks.map((t, i) => `KEY_${i}=${t.value}  # token ${i}`), 'TAIL=unchanged'];
      const before = `${lines.join('\r\n')}\r\n`;
      await write(folder, '.env', before);
      const cfg = tokens(toks.map((t, i) => ({ name: `bulk-${i}`, kind: 'account-api-token', accountId: world.accountId, tokenId: t.id, targets: [{ file: '.env', key: `KEY_${i}` }] })));
      const h = makeEngine(world);
      const results = await h.engine.rotateMany(cfg.map((token) => ({ folder, token })), { concurrency: 16 });
      assert.equal(results.filter((r) => r.ok).length, 100, JSON.stringify(results.find((r) => !r.ok)?.error));
      const after = await read(folder, '.env');
      const live = new Map(world.sim.control.state().accountTokens.map((t) => [t.id, t.value]));
      let expected = before;
      toks.forEach((t) => {
        expected = expected.replace(t.value, live.get(t.id)!);
      });
      assert.equal(after, expected);
      const env = parse(after);
      toks.forEach((t, i) => assert.equal(env[`KEY_${i}`], live.get(t.id)));
    });

    it('two rotations of the same token at once: the second is refused while the first holds the journal', async () => {
      const tok = world.sim.control.addAccountToken(world.accountId, { name: 'twice' });
      await write(folder, '.env', `K=${tok.value}\n`);
      world.sim.control.addFault({ op: 'rollAccountToken', type: 'latency', ms: 300 });
      const [token] = tokens([{ name: 'twice', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'K' }] }]);
      const h = makeEngine(world);
      const [a, b] = await Promise.all([h.engine.rotate(folder, token!), h.engine.rotate(folder, token!)]);
      const oks = [a, b].filter((r) => r.ok);
      const busy = [a, b].filter((r) => r.error?.kind === 'busy');
      assert.equal(oks.length, 1);
      assert.equal(busy.length, 1);
      assert.equal(world.sim.control.requests({ op: 'rollAccountToken' }).filter((q) => q.path.includes(tok.id)).length, 1, 'one roll only');
      assert.equal(parse(await read(folder, '.env')).K, world.sim.control.state().accountTokens.find((t) => t.id === tok.id)!.value);
    });
  });

  it('dry run checks everything and rotates nothing', async () => {
    const tok = world.sim.control.addAccountToken(world.accountId, { name: 'dry' });
    await write(folder, '.env', `K=${tok.value}\n`);
    const [token] = tokens([{ name: 'dry', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'K' }] }]);
    const r = await makeEngine(world).engine.rotate(folder, token!, { dryRun: true });
    assert.equal(r.state, 'planned');
    assert.equal(world.sim.control.state().accountTokens.find((t) => t.id === tok.id)!.value, tok.value);
  });
});

describe('rotateMany asks git once per folder', () => {
  const setup = async (answer: (rels: readonly string[]) => Map<string, GitStatus>) => {
    const world = await startWorld();
    const folder = await tempFolder();
    const toks = world.sim.control.addAccountTokens(world.accountId, 6, { name: 'g' });
    await write(folder, 'a.env', toks.slice(0, 3).map((t, i) => `K${i}=${t.value}`).join('\n'));
    await write(folder, 'b.env', toks.slice(3).map((t, i) => `K${i + 3}=${t.value}`).join('\n'));
    const cfg = tokens(toks.map((t, i) => ({ name: `g${i}`, kind: 'account-api-token', accountId: world.accountId, tokenId: t.id, targets: [{ file: i < 3 ? 'a.env' : 'b.env', key: `K${i}` }] })));
    const calls: string[][] = [];
    const git: Git = {
      status: async (_folder, rels) => {
        calls.push([...rels].sort());
        return answer(rels);
      },
    };
    const h = makeEngine(world, { git });
    return { world, folder, toks, cfg, calls, h, done: async () => { await world.close(); await fs.rm(folder, { recursive: true, force: true }); } };
  };
  const ignored = (rels: readonly string[]): Map<string, GitStatus> => new Map(rels.map((r) => [r, { inWorkTree: true, tracked: false, ignored: true }]));

  it('one git question for every file of the batch, answered for all six rotations', async () => {
    const t = await setup(ignored);
    try {
      const results = await t.h.engine.rotateMany(t.cfg.map((token) => ({ folder: t.folder, token })), { concurrency: 2 });
      assert.equal(results.filter((r) => r.ok).length, 6);
      assert.deepEqual(t.calls, [['a.env', 'b.env']]);
    } finally {
      await t.done();
    }
  });

  it('a file the shared answer says is tracked is refused before any roll; the other file\'s rotations go on', async () => {
    const t = await setup((rels) => new Map(rels.map((r) => [r, r === 'b.env' ? { inWorkTree: true, tracked: true, ignored: false } : { inWorkTree: true, tracked: false, ignored: true }])));
    try {
      const results = await t.h.engine.rotateMany(t.cfg.map((token) => ({ folder: t.folder, token })), { concurrency: 2 });
      assert.deepEqual(results.map((r) => r.ok), [true, true, true, false, false, false]);
      for (const r of results.slice(3)) assert.match(r.error?.message ?? '', /b\.env is tracked by git/);
      assert.equal(t.world.sim.control.requests({ op: 'rollAccountToken' }).length, 3);
      assert.equal(t.calls.length, 1);
    } finally {
      await t.done();
    }
  });

  it('when the shared answer has a problem, each rotation asks git on its own (one file git cannot answer for never decides another)', async () => {
    let first = true;
    const t = await setup((rels) => {
      const shared = first;
      first = false;
      return new Map(rels.map((r) => [r, shared ? { inWorkTree: true, problem: 'git timed out' } : { inWorkTree: true, tracked: false, ignored: true }]));
    });
    try {
      const results = await t.h.engine.rotateMany(t.cfg.map((token) => ({ folder: t.folder, token })), { concurrency: 2 });
      assert.equal(results.filter((r) => r.ok).length, 6);
      assert.equal(t.calls.length, 7, 'the shared question, then one per rotation');
      assert.deepEqual(t.calls.slice(1).map((c) => c.join()).sort(), ['a.env', 'a.env', 'a.env', 'b.env', 'b.env', 'b.env']);
    } finally {
      await t.done();
    }
  });
});

describe('resume asks git again before it writes a journaled secret', () => {
  it('a file git now tracks (or no longer ignores) is not written on resume: the secret stays in the journal; once ignored again, resume writes it; an allowTracked target is not asked', async () => {
    const world = await startWorld();
    const folder = await tempFolder();
    try {
      const toks = world.sim.control.addAccountTokens(world.accountId, 2, { name: 'r' });
      await write(folder, '.env', `K0=${toks[0]!.value}\n`);
      await write(folder, 'tracked.env', `K1=${toks[1]!.value}\n`);
      const [plain, allowed] = tokens([
        { name: 'r0', kind: 'account-api-token', accountId: world.accountId, tokenId: toks[0]!.id, targets: [{ file: '.env', key: 'K0' }] },
        { name: 'r1', kind: 'account-api-token', accountId: world.accountId, tokenId: toks[1]!.id, targets: [{ file: 'tracked.env', key: 'K1', allowTracked: true }] },
      ]);
      let status: GitStatus = { inWorkTree: true, tracked: false, ignored: true };
      const asked: string[][] = [];
      const git: Git = { status: async (_f, rels) => (asked.push([...rels]), new Map(rels.map((r) => [r, r === 'tracked.env' ? { inWorkTree: true, tracked: true, ignored: false } : status]))) };
      // The first writes fail (the secret is journaled, the files untouched): the rotations wait for a resume.
      const inner = new NodeFiles();
      let refuse = true;
      const files = Object.create(inner) as Files;
      files.write = async (...a: Parameters<Files['write']>) => {
        if (refuse) throw fileError('write', a[1], Object.assign(new Error('permission denied'), { code: 'EACCES' }));
        return inner.write(...a);
      };
      const h = makeEngine(world, { files, git });
      for (const t of [plain!, allowed!]) assert.equal((await h.engine.rotate(folder, t)).state, 'pending');
      refuse = false;
      const entries = await h.engine.interrupted();
      const idOf = (name: string): string => entries.find((e) => e.token === name)!.id;
      assert.equal(entries.find((e) => e.token === 'r1')?.targets[0]?.allowTracked, true, 'the journal keeps the opt-out');
      assert.ok(entries.every((e) => e.gitGated === true));

      status = { inWorkTree: true, tracked: true, ignored: false }; // a checkout that tracks .env
      asked.length = 0;
      const r = await h.engine.resume(idOf('r0'));
      assert.equal(r.ok, false);
      assert.equal(r.state, 'pending');
      assert.match(r.error?.message ?? '', /kept safely in the journal, but a target could not be written: \.env is tracked by git/);
      assert.match(r.error?.hint ?? '', /git rm --cached \.env.*Then .*resume/);
      assert.equal(parse(await read(folder, '.env')).K0, toks[0]!.value, 'not written');
      assert.ok(await h.engine.journal.get(idOf('r0')), 'still journaled');

      status = { inWorkTree: true, tracked: false, ignored: false }; // tracked no more, but not ignored either
      assert.match((await h.engine.resume(idOf('r0'))).error?.message ?? '', /\.env is not ignored by git/);

      status = { inWorkTree: true, tracked: false, ignored: true };
      const ok = await h.engine.resume(idOf('r0'));
      assert.equal(ok.ok, true, JSON.stringify(ok.error));
      const live = (id: string): string => world.sim.control.state().accountTokens.find((t) => t.id === id)!.value;
      assert.equal(parse(await read(folder, '.env')).K0, live(toks[0]!.id));

      asked.length = 0;
      assert.equal((await h.engine.resume(idOf('r1'))).ok, true);
      assert.deepEqual(asked, [], 'a target that allows tracking is not asked about');
      assert.equal(parse(await read(folder, 'tracked.env')).K1, live(toks[1]!.id));

      // An entry of an earlier version (no gitGated, no allowTracked recorded): not asked again, as then.
      const r2 = world.sim.control.addAccountToken(world.accountId, { name: 'r2' });
      await write(folder, 'old.env', `K2=${r2.value}\n`);
      const [legacy] = tokens([{ name: 'r2', kind: 'account-api-token', accountId: world.accountId, tokenId: r2.id, targets: [{ file: 'old.env', key: 'K2', allowTracked: true }] }]);
      refuse = true;
      assert.equal((await h.engine.rotate(folder, legacy!)).state, 'pending');
      refuse = false;
      const id2 = (await h.engine.interrupted()).find((e) => e.token === 'r2')!.id;
      const stored = JSON.parse((await h.journal.get(id2))!) as Record<string, unknown>;
      delete stored.gitGated;
      for (const t of stored.targets as Record<string, unknown>[]) delete t.allowTracked;
      await h.journal.put(id2, JSON.stringify(stored));
      status = { inWorkTree: true, tracked: true, ignored: false };
      asked.length = 0;
      assert.equal((await h.engine.resume(id2)).ok, true);
      assert.deepEqual(asked, []);
    } finally {
      await world.close();
      await fs.rm(folder, { recursive: true, force: true });
    }
  });
});

describe('rotateMany cancellation', () => {
  /** `n` account tokens named `<prefix><i>`, each in .env as K<i>, as rotateMany items. */
  async function batchOf(world: World, folder: string, n: number, prefix: string) {
    const toks = world.sim.control.addAccountTokens(world.accountId, n, { name: prefix });
    await write(folder, '.env', toks.map((t, i) => `K${i}=${t.value}`).join('\n'));
    const cfg = tokens(toks.map((t, i) => ({ name: `${prefix}${i}`, kind: 'account-api-token', accountId: world.accountId, tokenId: t.id, targets: [{ file: '.env', key: `K${i}` }] })));
    return { toks, items: cfg.map((token) => ({ folder, token })) };
  }

  it('stops starting new rotations once the signal is aborted; those whose call went out finish', async () => {
    const world = await startWorld();
    const folder = await tempFolder();
    try {
      const { toks, items } = await batchOf(world, folder, 6, 'c');
      const ac = new AbortController();
      const h = makeEngine(world);
      const results = await h.engine.rotateMany(items, {
        concurrency: 2,
        signal: ac.signal,
        onResult: () => ac.abort(),
      });
      const done = results.filter((r) => r.ok);
      const cancelled = results.filter((r) => r.error?.kind === 'cancelled');
      // At most twice the concurrency had started (checks and journal) when the first one finished.
      assert.ok(done.length >= 1 && done.length <= 4, `in flight finished: ${done.length}`);
      assert.ok(cancelled.length >= 2, `cancelled: ${cancelled.length}`);
      assert.equal(done.length + cancelled.length, 6);
      const rolled = new Set(world.sim.control.requests({ op: 'rollAccountToken' }).map((q) => q.path));
      toks.forEach((t, i) => {
        const r = results[i]!;
        assert.equal([...rolled].some((p) => p.includes(t.id)), r.ok, `${r.name}: rolled exactly when it finished`);
      });
      assert.deepEqual(await h.engine.interrupted(), [], 'no journal left behind');
      const env = parse(await read(folder, '.env'));
      const live = new Map(world.sim.control.state().accountTokens.map((t) => [t.id, t.value]));
      toks.forEach((t, i) => assert.equal(env[`K${i}`], live.get(t.id), 'every file value is the live one'));
    } finally {
      await world.close();
      await fs.rm(folder, { recursive: true, force: true });
    }
  });

  it('a rotation that journaled its intent and waits for a call slot is stopped by the cancel: nothing sent, its journal cleared', async () => {
    const world = await startWorld({ latencyMs: 120 });
    const folder = await tempFolder();
    try {
      const { toks, items } = await batchOf(world, folder, 3, 'w');
      const ac = new AbortController();
      const h = makeEngine(world);
      const journaled: string[] = [];
      const put = h.journal.put.bind(h.journal);
      h.journal.put = async (id, text) => {
        await put(id, text);
        journaled.push((JSON.parse(text) as { token: string }).token);
      };
      // concurrency 1: two rotations under way, one call out. Cancel while the first roll is out
      // and the second has journaled its intent and waits for the slot.
      let armed = false;
      const results = await h.engine.rotateMany(items, {
        concurrency: 1,
        signal: ac.signal,
        onProgress: (step) => {
          if (step !== 'rotating' || armed) return;
          armed = true;
          const poll = setInterval(() => {
            if (new Set(journaled).size >= 2) {
              clearInterval(poll);
              ac.abort();
            }
          }, 2);
        },
      });
      // Either of the first two may take the slot first; the other waited for it.
      const first = results[0]!.ok ? 0 : 1;
      const waited = 1 - first;
      const kinds = results.map((r) => (r.ok ? 'ok' : r.error?.kind));
      assert.deepEqual(kinds, first === 0 ? ['ok', 'cancelled', 'cancelled'] : ['cancelled', 'ok', 'cancelled']);
      assert.match(results[waited]!.error!.message, /cancel/i);
      assert.match(`${results[waited]!.error!.message} ${results[waited]!.error!.hint ?? ''}`, /Nothing was (sent|rotated)/);
      assert.equal(world.sim.control.requests({ op: 'rollAccountToken' }).length, 1, 'only the first roll went out');
      assert.deepEqual(await h.engine.interrupted(), [], 'the waiting rotation\'s intent is gone');
      assert.equal(h.journal.data.size, 0);
      assert.deepEqual((await h.history.list()).map((e) => e.name), [`w${first}`], 'a cancelled rotation is no failure in the history');
      const env = parse(await read(folder, '.env'));
      assert.equal(env[`K${waited}`], toks[waited]!.value, 'untouched');
      assert.equal(env[`K${first}`], world.sim.control.state().accountTokens.find((t) => t.id === toks[first]!.id)!.value);
    } finally {
      await world.close();
      await fs.rm(folder, { recursive: true, force: true });
    }
  });

  it('never has more Cloudflare calls of the batch out than its concurrency, while twice as many rotations are under way', async () => {
    const world = await startWorld({ latencyMs: 40 });
    const folder = await tempFolder();
    try {
      const { items } = await batchOf(world, folder, 12, 'p');
      const h = makeEngine(world);
      let underWay = 0;
      let maxUnderWay = 0;
      const lock = h.deps.locks.tryAcquire.bind(h.deps.locks);
      h.deps.locks.tryAcquire = async (name, what) => {
        const r = await lock(name, what);
        if (name.startsWith('rot-') && 'release' in r) {
          maxUnderWay = Math.max(maxUnderWay, ++underWay);
          const release = r.release.bind(r);
          return { ...r, release: async () => { underWay--; await release(); } };
        }
        return r;
      };
      const results = await h.engine.rotateMany(items, { concurrency: 3 });
      assert.equal(results.filter((r) => r.ok && r.verified === true).length, 12);
      const calls = world.sim.control.requests().filter((q) => q.op === 'rollAccountToken' || q.op === 'verifyAccountToken');
      assert.equal(calls.length, 24);
      assert.ok(world.sim.control.stats().maxInFlight <= 3, `at most 3 calls out at once, saw ${world.sim.control.stats().maxInFlight}`);
      assert.ok(maxUnderWay > 3 && maxUnderWay <= 6, `rotations under way at once: ${maxUnderWay}`);
    } finally {
      await world.close();
      await fs.rm(folder, { recursive: true, force: true });
    }
  });
});
