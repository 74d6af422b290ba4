import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'dotenv';
import { main } from '../../../src/cli/main';
import { NodeJournalStore } from '../../../src/core/node/journalStore';
import { read, startWorld, tempFolder, write, type World } from '../helpers/world';

const run = promisify(execFile);
const repoRoot = path.resolve(__dirname, '../../../..');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

describe('cf-rotate CLI (against the simulator)', function () {
  this.timeout(30_000);
  let world: World;
  let folder: string;
  let stateDir: string;
  let env: NodeJS.ProcessEnv;
  const outputs: string[] = [];

  async function cli(...args: string[]): Promise<Ran> {
    let stdout = '';
    let stderr = '';
    const code = await main(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), env, cwd: folder });
    outputs.push(stdout, stderr);
    return { code, stdout, stderr };
  }

  function secrets(): string[] {
    const st = world.sim.control.state();
    return [
      world.admin.token,
      st.user.globalApiKey,
      ...[...st.userTokens, ...st.accountTokens].flatMap((t) => [t.value, t.previousValue ?? '']),
      ...st.serviceTokens.flatMap((s) => [s.clientSecret, s.previousClientSecret ?? '']),
      ...st.moqRelays.flatMap((r) => r.tokens.map((t) => t.secret)),
    ].filter((s) => s.length > 0);
  }

  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    const all = secrets();
    for (const out of outputs) for (const s of all) assert.ok(!out.includes(s), 'a secret appeared in CLI output');
    await world.close();
  });

  let ids: { deploy: { id: string; value: string }; me: { id: string; value: string }; ci: { id: string; clientId: string; clientSecret: string }; zone: { id: string; clientSecret: string }; relay: { uid: string; secret: string } };

  beforeEach(async () => {
    folder = await tempFolder();
    stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-state-'));
    env = { ...world.adminEnv, CLOUDFLARE_API_BASE_URL: world.sim.url, CF_ROTATE_STATE_DIR: stateDir, CF_ROTATE_TIMEOUT: '1' };
    const c = world.sim.control;
    const deploy = c.addAccountToken(world.accountId, { name: 'deploy' });
    const me = c.addUserToken({ name: 'me', permissions: [] });
    const ci = c.addServiceToken({ accountId: world.accountId, name: 'ci' });
    const zone = c.addServiceToken({ zoneId: world.zoneId, name: 'zone' });
    const relay = c.addMoqRelay({ accountId: world.accountId, name: 'relay', tokens: [{ operations: ['publish', 'subscribe'] }, { operations: ['subscribe'] }] });
    const pub = relay.tokens.find((t) => t.type === 'publish_subscribe')!;
    ids = { deploy, me, ci, zone, relay: { uid: relay.uid, secret: pub.secret } };
    await write(folder, '.vscode/cf-rotate.json', JSON.stringify({
      tokens: [
        { name: 'deploy', kind: 'account-api-token', accountId: world.accountId, tokenId: deploy.id, rotateEveryDays: 30, targets: [{ file: '.env', key: 'CLOUDFLARE_API_TOKEN' }, { file: '.dev.vars', key: 'CLOUDFLARE_API_TOKEN' }] },
        { name: 'me', kind: 'user-api-token', tokenId: me.id, targets: [{ file: '.env', key: 'CF_USER_TOKEN' }] },
        { name: 'ci-access', kind: 'access-service-token', accountId: world.accountId, serviceTokenId: ci.id, gracePeriod: '24h', targets: [{ file: '.env', key: 'CF_ACCESS_CLIENT_ID', field: 'clientId' }, { file: '.env', key: 'CF_ACCESS_CLIENT_SECRET', field: 'clientSecret' }] },
        { name: 'zone-access', kind: 'access-service-token', zoneId: world.zoneId, serviceTokenId: zone.id, clientSecretVersion: 1, targets: [{ file: '.env', key: 'ZONE_ACCESS_SECRET' }] },
        { name: 'relay-pub', kind: 'moq-relay-token', accountId: world.accountId, relayId: relay.uid, tokenType: 'publish_subscribe', targets: [{ file: '.env', key: 'MOQ_PUBLISH_TOKEN' }] },
      ],
    }, null, 2));
    await write(folder, '.env', [
      '# app secrets',
      `export CLOUDFLARE_API_TOKEN="${deploy.value}"`,
      `CF_USER_TOKEN=${me.value} # mine`,
      `CF_ACCESS_CLIENT_ID=${ci.clientId}`,
      `CF_ACCESS_CLIENT_SECRET='${ci.clientSecret}'`,
      `ZONE_ACCESS_SECRET = ${zone.clientSecret}`,
      `MOQ_PUBLISH_TOKEN=${pub.secret}`,
      'UNRELATED=keep me',
      '',
    ].join('\n'));
    await write(folder, '.dev.vars', `CLOUDFLARE_API_TOKEN=${deploy.value}\r\nOTHER=x\r\n`);
  });

  afterEach(async () => {
    world.sim.control.clearFaults();
    await fs.rm(folder, { recursive: true, force: true });
    await fs.rm(stateDir, { recursive: true, force: true });
  });

  it('--help documents every command, option and exit code', async () => {
    const r = await cli('--help');
    assert.equal(r.code, 0);
    for (const s of ['list', 'rotate', 'resume', 'history', '--all', '--due', '--dry-run', '--json', '--config', 'CLOUDFLARE_API_TOKEN', 'CLOUDFLARE_EMAIL', 'Exit status']) assert.ok(r.stdout.includes(s), s);
    for (const s of ['CLOUDFLARE_API_TOKEN_<PROFILE>', 'CLOUDFLARE_EMAIL_<PROFILE> + CLOUDFLARE_API_KEY_<PROFILE>', 'CLOUDFLARE_ACCOUNT_ID_<PROFILE>', 'CLOUDFLARE_ACCOUNT_ID ']) assert.ok(r.stdout.includes(s), s);
    assert.match(r.stdout, /zone-level Access service\s+tokens need email \+ Global API key/);
  });

  it('list --json shows every configured token', async () => {
    const r = await cli('list', '--json');
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as { name: string; kind: string; due: string }[];
    assert.deepEqual(rows.map((x) => x.name), ['deploy', 'me', 'ci-access', 'zone-access', 'relay-pub']);
    assert.equal(rows[0]!.due, 'overdue', 'scheduled but never rotated');
  });

  it('rotate --all rotates every kind; the new values land byte-exactly and are the ones Cloudflare accepts', async () => {
    const before = await read(folder, '.env');
    const beforeVars = await read(folder, '.dev.vars');
    const r = await cli('rotate', '--all', '--json');
    assert.equal(r.code, 0, r.stderr);
    const results = JSON.parse(r.stdout) as { name: string; ok: boolean }[];
    assert.equal(results.length, 5);
    assert.ok(results.every((x) => x.ok));

    const st = world.sim.control.state();
    const deploy = st.accountTokens.find((t) => t.id === ids.deploy.id)!.value;
    const me = st.userTokens.find((t) => t.id === ids.me.id)!.value;
    const ci = st.serviceTokens.find((t) => t.id === ids.ci.id)!;
    const zone = st.serviceTokens.find((t) => t.id === ids.zone.id)!;
    const env = parse(await read(folder, '.env'));
    const moq = env.MOQ_PUBLISH_TOKEN!;
    assert.equal(world.sim.control.moqCheck(moq).allowed, true);
    assert.equal(world.sim.control.moqCheck(ids.relay.secret).allowed, false);
    const expected = before
      .replace(ids.deploy.value, deploy)
      .replace(ids.me.value, me)
      .replace(ids.ci.clientSecret, ci.clientSecret)
      .replace(ids.zone.clientSecret, zone.clientSecret)
      .replace(ids.relay.secret, moq);
    assert.equal(await read(folder, '.env'), expected, 'every other byte unchanged');
    assert.equal(await read(folder, '.dev.vars'), beforeVars.replace(ids.deploy.value, deploy));
    assert.equal(world.sim.control.accessCheck(ids.ci.clientId, ci.clientSecret).allowed, true);
    assert.equal(world.sim.control.accessCheck(ids.ci.clientId, ids.ci.clientSecret).allowed, true, '24h grace');

    const hist = await cli('history', '--json');
    assert.equal((JSON.parse(hist.stdout) as unknown[]).length, 5);
    const list = JSON.parse((await cli('list', '--json')).stdout) as { name: string; due: string; lastRotated: string | null }[];
    assert.equal(list[0]!.due, 'ok');
    assert.ok(list.every((x) => x.lastRotated));
  });

  it('rotate NAME rotates only that token; --due then finds nothing due', async () => {
    const r = await cli('rotate', 'deploy');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /✓ deploy: rotated/);
    assert.equal(parse(await read(folder, '.env')).CF_USER_TOKEN, ids.me.value, 'me untouched');
    const due = await cli('rotate', '--due');
    assert.equal(due.code, 0);
    assert.match(due.stdout, /Nothing to rotate/);
  });

  it('a failure exits 1 with the reason on stderr and leaves the files alone', async () => {
    world.sim.control.addFault({ op: 'rollAccountToken', type: 'status', status: 503 });
    const before = await read(folder, '.env');
    const r = await cli('rotate', 'deploy');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /✗ deploy: .*(503|server|Cloudflare)/i);
    assert.equal(await read(folder, '.env'), before);
  });

  it('--dry-run changes nothing', async () => {
    const before = await read(folder, '.env');
    const r = await cli('rotate', '--all', '--dry-run');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await read(folder, '.env'), before);
    assert.equal(world.sim.control.state().accountTokens.find((t) => t.id === ids.deploy.id)!.value, ids.deploy.value);
  });

  it('usage and configuration errors exit 2', async () => {
    assert.equal((await cli('rotate')).code, 2);
    assert.equal((await cli('frobnicate')).code, 2);
    assert.equal((await cli('rotate', '--bogus')).code, 2);
    assert.equal((await cli('rotate', 'nope')).code, 2);
    assert.equal((await cli('rotate', '--all', '--api-base', 'http://api.example.com/client/v4')).code, 2, 'plain http to a non-loopback host is refused');
    await write(folder, '.vscode/cf-rotate.json', '{"tokens": [{"name": "x", "kind": "user-api-token", "tokenId": "nothex", "targets": [{"file": "../.env", "key": "K"}]}]}');
    const bad = await cli('list');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /tokens\[0\]\.tokenId: must be 32 hex/);
    assert.match(bad.stderr, /tokens\[0\]\.targets\[0\]\.file/);
  });

  it('missing credentials are reported per token with the variable to set', async () => {
    delete env.CLOUDFLARE_API_TOKEN;
    const r = await cli('rotate', 'deploy');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /CLOUDFLARE_API_TOKEN/);
  });

  it('email + Global API key alone: zone- and account-level Access rotate; API tokens and MoQ are refused before any request, naming CLOUDFLARE_API_TOKEN', async () => {
    const st = world.sim.control.state();
    env = { CLOUDFLARE_EMAIL: st.user.email, CLOUDFLARE_API_KEY: st.user.globalApiKey, CLOUDFLARE_API_BASE_URL: world.sim.url, CF_ROTATE_STATE_DIR: stateDir, CF_ROTATE_TIMEOUT: '1' };
    world.sim.control.clearRequests();
    const ok = await cli('rotate', 'zone-access', 'ci-access');
    assert.equal(ok.code, 0, ok.stderr);
    assert.notEqual(parse(await read(folder, '.env')).ZONE_ACCESS_SECRET, ids.zone.clientSecret);
    assert.ok(world.sim.control.requests().every((r) => r.credential.startsWith('global-key:')));
    world.sim.control.clearRequests();
    const refused = await cli('rotate', 'me', 'relay-pub');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /✗ me: Rotating "me" \(user api token\) needs an API token: Cloudflare accepts only API tokens for user API tokens \(\/user\/tokens\), and the admin credential for profile "default" holds email \+ Global API key\. Nothing was sent\..*set CLOUDFLARE_API_TOKEN /);
    assert.match(refused.stderr, /✗ relay-pub: .*needs an API token/);
    assert.equal(world.sim.control.requests().length, 0, 'nothing reached Cloudflare');
    assert.equal(parse(await read(folder, '.env')).CF_USER_TOKEN, ids.me.value);
  });

  it('an API token alone: the zone-level service token is refused before any request, naming CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY', async () => {
    delete env.CLOUDFLARE_EMAIL;
    delete env.CLOUDFLARE_API_KEY;
    world.sim.control.clearRequests();
    const before = await read(folder, '.env');
    const r = await cli('rotate', 'zone-access');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /✗ zone-access: Rotating "zone-access" \(a zone-level Access service token\) needs email \+ Global API key: zone-level Access service tokens accept only email \+ Global API key, and the admin credential for profile "default" holds an API token\. Nothing was sent\./);
    assert.match(r.stderr, /set CLOUDFLARE_EMAIL \+ CLOUDFLARE_API_KEY beside CLOUDFLARE_API_TOKEN/);
    assert.deepEqual(world.sim.control.requests(), [], 'not even the credential check');
    assert.equal(await read(folder, '.env'), before);
  });

  it('per-profile variables: CLOUDFLARE_API_TOKEN_<P>, CLOUDFLARE_EMAIL_<P> + CLOUDFLARE_API_KEY_<P>', async () => {
    const cfg = JSON.parse(await read(folder, '.vscode/cf-rotate.json')) as { tokens: Record<string, unknown>[] };
    for (const t of cfg.tokens) t['profile'] = 'ops team';
    await write(folder, '.vscode/cf-rotate.json', JSON.stringify(cfg));
    env = {
      CLOUDFLARE_API_TOKEN_OPS_TEAM: world.adminEnv['CLOUDFLARE_API_TOKEN']!,
      CLOUDFLARE_EMAIL_OPS_TEAM: world.adminEnv['CLOUDFLARE_EMAIL']!,
      CLOUDFLARE_API_KEY_OPS_TEAM: world.adminEnv['CLOUDFLARE_API_KEY']!,
      CLOUDFLARE_API_BASE_URL: world.sim.url,
      CF_ROTATE_STATE_DIR: stateDir,
      CF_ROTATE_TIMEOUT: '1',
    };
    const r = await cli('rotate', 'zone-access', 'me');
    assert.equal(r.code, 0, r.stderr);
    delete env.CLOUDFLARE_EMAIL_OPS_TEAM;
    const refused = await cli('rotate', 'zone-access');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /profile "ops team".*set CLOUDFLARE_EMAIL_OPS_TEAM \+ CLOUDFLARE_API_KEY_OPS_TEAM beside CLOUDFLARE_API_TOKEN_OPS_TEAM/);
  });

  it('an account-owned admin token (cfat_, A1): with CLOUDFLARE_ACCOUNT_ID, and without it (found through GET /accounts)', async () => {
    const owner = world.sim.control.addAccountToken(world.accountId, { name: 'ci admin', permissions: ['Account API Tokens Read', 'Account API Tokens Write', 'Access: Service Tokens Read', 'Access: Service Tokens Write', 'MoQ Read', 'MoQ Write'] });
    env = { CLOUDFLARE_API_TOKEN: owner.value, CLOUDFLARE_ACCOUNT_ID: world.accountId, CLOUDFLARE_API_BASE_URL: world.sim.url, CF_ROTATE_STATE_DIR: stateDir, CF_ROTATE_TIMEOUT: '1' };
    world.sim.control.clearRequests();
    const r = await cli('rotate', 'deploy', 'ci-access', 'relay-pub');
    assert.equal(r.code, 0, r.stderr);
    const verifies = world.sim.control.requests().filter((q) => q.op === 'verifyUserToken' || q.op === 'verifyAccountToken');
    assert.ok(verifies.length > 0 && verifies.every((q) => q.op === 'verifyAccountToken' || q.status === 200), JSON.stringify(verifies.map((q) => [q.op, q.status])));
    assert.equal(world.sim.control.requests({ op: 'verifyUserToken' }).filter((q) => q.credential === `token:${owner.id}`).length, 0, 'the account route only, with CLOUDFLARE_ACCOUNT_ID');
    delete env.CLOUDFLARE_ACCOUNT_ID;
    const again = await cli('rotate', 'deploy');
    assert.equal(again.code, 0, again.stderr);
  });

  it('--config resolves targets against the folder holding .vscode/', async () => {
    const elsewhere = await tempFolder('cf-rotate-cwd-');
    let stdout = '';
    const code = await main(['rotate', 'me', '--config', path.join(folder, '.vscode/cf-rotate.json')], { stdout: (s) => (stdout += s), stderr: () => undefined, env, cwd: elsewhere });
    outputs.push(stdout);
    assert.equal(code, 0);
    assert.equal(parse(await read(folder, '.env')).CF_USER_TOKEN, world.sim.control.state().userTokens.find((t) => t.id === ids.me.id)!.value);
    await fs.rm(elsewhere, { recursive: true, force: true });
  });

  it('keeps its journal in one 0600 file per entry, in a 0700 folder of the state directory', async () => {
    const store = new NodeJournalStore(stateDir);
    await store.put('k', 'v');
    const names = await fs.readdir(path.join(stateDir, 'journal'));
    assert.equal(names.length, 1);
    assert.equal((await fs.stat(path.join(stateDir, 'journal', names[0]!))).mode & 0o777, 0o600);
    assert.equal((await fs.stat(path.join(stateDir, 'journal'))).mode & 0o777, 0o700);
    assert.deepEqual(await store.list(), ['v']);
    await store.delete('k');
    assert.deepEqual(await fs.readdir(path.join(stateDir, 'journal')), []);
  });

  it('retire [NAME] without --now: lists what is waiting and deletes nothing before the overlap ends; once due, deletes it; an unknown name is refused', async () => {
    const nightly = world.sim.control.addAccountToken(world.accountId, { name: 'nightly', permissions: ['Workers Scripts Write'] });
    const configPath = path.join(folder, '.vscode', 'cf-rotate.json');
    const config = JSON.parse(await read(folder, '.vscode/cf-rotate.json')) as { tokens: Record<string, unknown>[] };
    config.tokens.push({ name: 'nightly', kind: 'account-api-token', accountId: world.accountId, tokenId: nightly.id, strategy: 'replace', overlap: '3s', targets: [{ file: '.env', key: 'NIGHTLY_TOKEN' }] });
    await fs.writeFile(configPath, JSON.stringify(config, null, 2));
    const live = (id: string): boolean => world.sim.control.state().accountTokens.some((t) => t.id === id);

    assert.equal((await cli('retire')).stdout, 'No pending retirements.\n');
    const rotated = await cli('rotate', 'nightly');
    assert.equal(rotated.code, 0, rotated.stderr);
    const twin = parse(await read(folder, '.env'))['NIGHTLY_TOKEN'];
    assert.ok(twin && twin !== nightly.value, '.env holds the twin');
    assert.ok(live(nightly.id), 'the previous token works during the overlap');

    // Not due yet: listed with its time and the command that deletes it now; nothing is deleted.
    for (const args of [['retire'], ['retire', 'nightly']]) {
      const r = await cli(...args);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^• nightly: the previous token ${nightly.id} of "nightly" keeps working until \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z; "cf-rotate retire nightly --now" deletes it now\\.\\n$`));
      assert.ok(live(nightly.id), `${args.join(' ')}: nothing deleted before the overlap ends`);
    }
    const json = await cli('retire', 'nightly', '--json');
    assert.equal(json.code, 0);
    const [waiting] = JSON.parse(json.stdout) as { name: string; state: string }[];
    assert.deepEqual([waiting?.name, waiting?.state], ['nightly', 'waiting']);

    const unknown = await cli('retire', 'deploy');
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, `cf-rotate: No pending retirement of "deploy" in ${folder}. Pending: nightly.\n`);
    assert.ok(live(nightly.id));

    // Once the overlap has passed, the same command (still without --now) deletes it.
    await new Promise((r) => setTimeout(r, 3_200));
    const due = await cli('retire', 'nightly');
    assert.equal(due.code, 0, due.stderr);
    assert.equal(due.stdout, `✓ nightly: deleted the previous token ${nightly.id} of "nightly".\n`);
    assert.equal(live(nightly.id), false, 'deleted at Cloudflare');
    assert.equal((await cli('retire')).stdout, 'No pending retirements.\n');
  });

  it('the bundled dist/cli.js runs (bin entry)', async () => {
    const cliJs = path.join(repoRoot, 'dist', 'cli.js');
    // `npm test` builds before the unit tier; without dist/ this test fails rather than goes pending.
    await fs.access(cliJs).catch(() => assert.fail(`${cliJs} is missing: run \`npm run build\` before the unit tests`));
    const { stdout } = await run(process.execPath, [cliJs, '--help']);
    assert.match(stdout, /Usage:/);
    const { stdout: listed } = await run(process.execPath, [cliJs, 'list', '--json'], { cwd: folder, env: { ...process.env, ...env } });
    assert.equal((JSON.parse(listed) as unknown[]).length, 5);
  });
});
