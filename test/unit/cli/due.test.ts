/**
 * "Due" without a persisted history: Cloudflare's own timestamps (src/core/lastRotated.ts) and
 * `cf-rotate rotate --due --due-from history|cloudflare|auto` (src/cli/due.ts), on the simulator.
 */
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'dotenv';
import { main } from '../../../src/cli/main';
import { CloudflareClient } from '../../../src/core/cloudflare/client';
import { FileHistory } from '../../../src/core/node/historyFile';
import { lastRotatedAtCloudflare } from '../../../src/core/lastRotated';
import { read, startWorld, tempFolder, tokens, write, type World } from '../helpers/world';

const DAY = 86_400_000;
const ago = (days: number): string => new Date(Date.now() - days * DAY).toISOString();

describe('last rotation from Cloudflare (src/core/lastRotated.ts)', function () {
  this.timeout(30_000);
  let world: World;
  let api: CloudflareClient;
  before(async () => {
    world = await startWorld();
    api = new CloudflareClient({ baseUrl: world.sim.url, credential: world.admin });
  });
  after(() => world.close());

  it('API tokens: modified_on, else issued_on; expiry from expires_on', async () => {
    const c = world.sim.control;
    const acc = c.addAccountToken(world.accountId, { name: 'a', issuedOn: ago(100), modifiedOn: ago(40), expiresOn: new Date(Date.now() + 5 * DAY).toISOString() });
    const user = c.addUserToken({ name: 'u', issuedOn: ago(12), modifiedOn: ago(12) });
    const [ta, tu] = tokens([
      { kind: 'account-api-token', name: 'a', accountId: world.accountId, tokenId: acc.id, targets: [{ file: '.env', key: 'A' }] },
      { kind: 'user-api-token', name: 'u', tokenId: user.id, targets: [{ file: '.env', key: 'U' }] },
    ]);
    const a = await lastRotatedAtCloudflare(api, ta!);
    assert.equal(a.field, 'modified_on');
    assert.ok(Math.abs((a.at ?? 0) - (Date.now() - 40 * DAY)) < 5_000);
    assert.ok(a.expiresAt && a.expiresAt > Date.now());
    const u = await lastRotatedAtCloudflare(api, tu!);
    assert.ok(Math.abs((u.at ?? 0) - (Date.now() - 12 * DAY)) < 5_000);
  });

  it('Access service tokens: updated_at; a rotation moves it to now', async () => {
    const st = world.sim.control.addServiceToken({ accountId: world.accountId, name: 's', createdAt: ago(200), updatedAt: ago(90) });
    const [t] = tokens([{ kind: 'access-service-token', name: 's', accountId: world.accountId, serviceTokenId: st.id, targets: [{ file: '.env', key: 'S' }] }]);
    const before = await lastRotatedAtCloudflare(api, t!);
    assert.equal(before.field, 'updated_at');
    assert.ok(Math.abs((before.at ?? 0) - (Date.now() - 90 * DAY)) < 5_000);
    await api.rotateServiceToken(world.accountId, st.id, undefined);
    const after = await lastRotatedAtCloudflare(api, t!);
    assert.ok((after.at ?? 0) > Date.now() - 60_000, 'rotated just now');
  });

  it('MoQ relay tokens: created of the newest token of the configured type', async () => {
    const relay = world.sim.control.addMoqRelay({
      accountId: world.accountId,
      name: 'r',
      tokens: [
        { operations: ['publish', 'subscribe'], created: ago(50) },
        { operations: ['publish', 'subscribe'], created: ago(20) },
        { operations: ['subscribe'], created: ago(3) },
      ],
    });
    const [pub, sub] = tokens([
      { kind: 'moq-relay-token', name: 'p', accountId: world.accountId, relayId: relay.uid, targets: [{ file: '.env', key: 'P' }] },
      { kind: 'moq-relay-token', name: 's', accountId: world.accountId, relayId: relay.uid, tokenType: 'subscribe', targets: [{ file: '.env', key: 'S' }] },
    ]);
    const p = await lastRotatedAtCloudflare(api, pub!);
    assert.equal(p.field, 'created');
    assert.ok(Math.abs((p.at ?? 0) - (Date.now() - 20 * DAY)) < 5_000, 'the newest publish_subscribe token');
    const s = await lastRotatedAtCloudflare(api, sub!);
    assert.ok(Math.abs((s.at ?? 0) - (Date.now() - 3 * DAY)) < 5_000);
  });
});

describe('cf-rotate rotate --due --due-from', function () {
  this.timeout(30_000);
  let world: World;
  let folder: string;
  let stateDir: string;
  let env: NodeJS.ProcessEnv;
  let old: { id: string; value: string };
  let fresh: { id: string; value: string };

  before(async () => {
    world = await startWorld();
  });
  after(() => world.close());

  beforeEach(async () => {
    folder = await tempFolder();
    stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-state-'));
    env = { ...world.adminEnv, CLOUDFLARE_API_BASE_URL: world.sim.url, CF_ROTATE_STATE_DIR: stateDir };
    old = world.sim.control.addAccountToken(world.accountId, { name: 'old', issuedOn: ago(120), modifiedOn: ago(45) });
    fresh = world.sim.control.addAccountToken(world.accountId, { name: 'fresh', issuedOn: ago(5), modifiedOn: ago(5) });
    await write(folder, '.vscode/cf-rotate.json', JSON.stringify({
      tokens: [
        { name: 'old', kind: 'account-api-token', accountId: world.accountId, tokenId: old.id, rotateEveryDays: 30, targets: [{ file: '.env', key: 'OLD' }] },
        { name: 'fresh', kind: 'account-api-token', accountId: world.accountId, tokenId: fresh.id, rotateEveryDays: 30, targets: [{ file: '.env', key: 'FRESH' }] },
      ],
    }));
    await write(folder, '.env', `OLD=${old.value}\nFRESH=${fresh.value}\n`);
  });
  afterEach(async () => {
    await fs.rm(folder, { recursive: true, force: true });
    await fs.rm(stateDir, { recursive: true, force: true });
  });

  async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const code = await main(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), env, cwd: folder });
    return { code, stdout, stderr };
  }

  const live = (id: string): string => world.sim.control.state().accountTokens.find((t) => t.id === id)!.value;

  it('history (the default) without history: every scheduled token is due, no API read', async () => {
    world.sim.control.clearRequests();
    const r = await cli('rotate', '--due', '--dry-run', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { name: string }[]).map((x) => x.name).sort(), ['fresh', 'old']);
    // Deciding what is due read nothing; the dry run then reads each chosen token once (it checks, changing nothing).
    assert.equal(world.sim.control.requests().filter((q) => q.op === 'getAccountToken').length, 2);
  });

  it('cloudflare: only the token Cloudflare last changed more than rotateEveryDays ago is rotated', async () => {
    const r = await cli('rotate', '--due', '--due-from', 'cloudflare', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { name: string; ok: boolean }[]).map((x) => [x.name, x.ok]), [['old', true]]);
    const file = parse(await read(folder, '.env'));
    assert.equal(file.OLD, live(old.id));
    assert.notEqual(file.OLD, old.value);
    assert.equal(file.FRESH, fresh.value, 'not due: untouched');
    // The roll moved modified_on: a second run finds nothing due, still without any history.
    await fs.rm(stateDir, { recursive: true, force: true });
    const again = await cli('rotate', '--due', '--due-from', 'cloudflare');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Nothing to rotate/);
  });

  it('auto: the history where it has an entry, Cloudflare otherwise', async () => {
    const history = new FileHistory(path.join(stateDir, 'history.jsonl'));
    // The history says "old" was rotated yesterday (Cloudflare says 45 days): the history wins.
    await history.append({ at: ago(1), folder, name: 'old', kind: 'account-api-token', outcome: 'rotated', targets: ['.env › OLD'] });
    const r = await cli('rotate', '--due', '--due-from', 'auto', '--dry-run');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Nothing to rotate/);
  });

  it('a token whose timestamp cannot be read is reported as failed (exit 1) and not rotated; the others go on', async () => {
    const cfg = JSON.parse(await read(folder, '.vscode/cf-rotate.json')) as { tokens: { tokenId: string }[] };
    cfg.tokens[1]!.tokenId = 'f'.repeat(32); // "fresh" now points at a token that does not exist
    await write(folder, '.vscode/cf-rotate.json', JSON.stringify(cfg));
    const r = await cli('rotate', '--due', '--due-from', 'cloudflare', '--json');
    assert.equal(r.code, 1);
    const results = JSON.parse(r.stdout) as { name: string; ok: boolean; error?: { kind: string; message: string } }[];
    assert.deepEqual(results.map((x) => [x.name, x.ok]).sort(), [['fresh', false], ['old', true]]);
    assert.match(results.find((x) => x.name === 'fresh')!.error!.message, /Could not read from Cloudflare when "fresh" was last rotated, so it was not rotated/);
    assert.match(r.stderr, /✗ fresh: .*Nothing was changed for it/);
    assert.equal(parse(await read(folder, '.env')).FRESH, fresh.value);
  });

  it('bad --due-from values and --due-from without --due are usage errors (exit 2)', async () => {
    const bad = await cli('rotate', '--due', '--due-from', 'calendar');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--due-from must be one of history, cloudflare, auto/);
    assert.equal((await cli('rotate', '--all', '--due-from', 'cloudflare')).code, 2);
    assert.equal(live(old.id), old.value, 'nothing rotated');
  });
});
