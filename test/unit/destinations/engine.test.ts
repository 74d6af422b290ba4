/**
 * Destinations through the engine, against the simulator: config shapes, preflight (nothing is
 * rotated when a destination is missing or cannot be reached), the write phase (files first, then
 * each destination, journaled as done), a destination that fails leaves the rotation pending with
 * the secret in the journal, and resume sends the rest (and only the rest).
 */
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import { parse } from 'dotenv';
import { CloudflareClient } from '../../../src/core/cloudflare/client';
import { RateLimiter } from '../../../src/core/cloudflare/limiter';
import { validateConfig } from '../../../src/core/config/load';
import { configJsonSchema } from '../../../src/core/config/schema';
import type { GitHubAccess } from '../../../src/core/engine/engine';
import { parseJournal } from '../../../src/core/engine/journal';
import { ConfigError } from '../../../src/core/config/load';
import { CfRotateError } from '../../../src/core/errors';
import { GitHubClient } from '../../../src/core/github/client';
import { makeEngine, read, startWorld, tempFolder, tokens, write, type World } from '../helpers/world';

const STORE = 'cccccccccccccccccccccccccccccccc';
const SECRET_ID = 'dddddddddddddddddddddddddddddddd';

function configError(input: unknown): ConfigError {
  try {
    validateConfig(input);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail('expected the config to be refused');
}

describe('destinations: config shapes', () => {
  const acct = '954a55fc5f585e634c5bbd7b5e8f4cf2';
  const base = { kind: 'account-api-token', name: 'deploy', accountId: acct, tokenId: 'd4d91b6ee94bb6cf9ab22ea88c125f56' };
  const every = [
    { file: '.env', key: 'CLOUDFLARE_API_TOKEN' },
    { worker: 'api-gateway', key: 'CF_API_TOKEN' },
    { pages: 'marketing-site', environment: 'production', key: 'CF_TOKEN' },
    { secretsStore: STORE, secretId: SECRET_ID },
    { github: 'acme/app', key: 'CLOUDFLARE_API_TOKEN' },
    { github: 'acme/app', environment: 'prod', key: 'CLOUDFLARE_API_TOKEN' },
    { worker: 'other', key: 'T', accountId: 'ffffffffffffffffffffffffffffffff', profile: 'ops', field: 'token' },
  ];

  it('accepts every target shape beside files, and the existing shapes unchanged', () => {
    const cfg = validateConfig({ tokens: [{ ...base, targets: every }] });
    assert.equal(cfg.tokens[0]!.targets.length, every.length);
    const svc = validateConfig({ tokens: [{ kind: 'access-service-token', name: 's', accountId: acct, serviceTokenId: 'ca3dcb05-d4a3-4edb-bfb3-57b90ed8d20d', targets: [{ worker: 'w', key: 'CID', field: 'clientId' }, { github: 'a/b', key: 'SECRET' }] }] });
    assert.equal(svc.tokens[0]!.targets.length, 2);
    const schema = JSON.stringify(configJsonSchema());
    for (const k of ['"worker"', '"pages"', '"secretsStore"', '"github"']) assert.ok(schema.includes(k), `the editor's JSON schema knows ${k}`);
  });

  const bad: [string, unknown, string, RegExp][] = [
    ['unknown key on a destination', { ...base, targets: [{ worker: 'w', key: 'K', repo: 'x' }] }, 'tokens[0].targets[0]', /unknown key "repo"/],
    ['pages without environment', { ...base, targets: [{ pages: 'site', key: 'K' }] }, 'tokens[0].targets[0].environment', /required/],
    ['pages environment other than production/preview', { ...base, targets: [{ pages: 'site', environment: 'staging', key: 'K' }] }, 'tokens[0].targets[0].environment', /production/],
    ['a Worker name with a slash', { ...base, targets: [{ worker: 'a/b', key: 'K' }] }, 'tokens[0].targets[0].worker', /Worker/],
    ['a GitHub repository without owner', { ...base, targets: [{ github: 'app', key: 'K' }] }, 'tokens[0].targets[0].github', /owner\/name/],
    ['a GitHub secret named GITHUB_*', { ...base, targets: [{ github: 'a/b', key: 'GITHUB_TOKEN' }] }, 'tokens[0].targets[0].key', /GITHUB_/],
    ['a Secrets Store id that is not hex', { ...base, targets: [{ secretsStore: 'x', secretId: SECRET_ID }] }, 'tokens[0].targets[0].secretsStore', /32 hex/],
    ['a target naming nothing is read as a file', { ...base, targets: [{ key: 'K' }] }, 'tokens[0].targets[0].file', /required/],
    ['a user token has no account for a Worker', { kind: 'user-api-token', name: 'me', tokenId: 'd4d91b6ee94bb6cf9ab22ea88c125f56', targets: [{ worker: 'w', key: 'K' }] }, 'tokens[0].targets[0]', /accountId/],
    ['a field the kind does not have', { ...base, targets: [{ github: 'a/b', key: 'K', field: 'clientId' }] }, 'tokens[0].targets[0].field', /token/],
    ['one destination twice in a token', { ...base, targets: [{ worker: 'w', key: 'K' }, { worker: 'w', key: 'K', accountId: acct }] }, 'tokens[0].targets[1].key', /twice/],
    ['two tokens, one GitHub secret (names are case-insensitive)', { tokens: [{ ...base, targets: [{ github: 'Acme/App', key: 'x_token' }] }, { ...base, name: 'b', targets: [{ github: 'acme/app', key: 'X_TOKEN' }] }] }, 'tokens[1].targets[0].key', /also written by tokens\[0\]/],
  ];
  for (const [what, input, path, re] of bad) {
    it(`refuses ${what}, naming ${path}`, () => {
      const e = configError((input as { tokens?: unknown }).tokens ? input : { tokens: [input] });
      const issue = e.issues.find((i) => i.path === path);
      assert.ok(issue, `${what}: ${e.message}`);
      assert.match(issue.message, re);
    });
  }
});

describe('destinations: the engine writes, verifies and resumes them (against the simulator)', function () {
  this.timeout(60_000);
  let world: World;
  let folder: string;
  let ghToken: string;

  before(async () => {
    world = await startWorld();
  });
  after(async () => world.close());
  beforeEach(async () => {
    folder = await tempFolder();
    world.sim.control.clearFaults();
    world.sim.control.seed({
      workers: [{ accountId: world.accountId, name: `w-${Date.now()}` }],
    });
    ghToken = world.sim.control.seed({ githubTokens: [{ login: 'rotator' }] }).githubTokens[0]!.value;
  });
  afterEach(async () => fs.rm(folder, { recursive: true, force: true }));

  const github = (token = (): string => ghToken): GitHubAccess => ({ client: async () => new GitHubClient({ baseUrl: world.sim.githubUrl, token: token(), source: 'GH_TOKEN', maxRetries: 0, timeoutMs: 2000 }) });

  /** A fresh account token with one destination of each kind (and a file). */
  function setup(suffix: string): { tokenId: string; value: string; worker: string; pages: string; store: string; repo: string; entry: Record<string, unknown> } {
    const c = world.sim.control;
    const tok = c.addAccountToken(world.accountId, { name: `dest-${suffix}` });
    const worker = `api-${suffix}`;
    const pages = `site-${suffix}`;
    const store = `${suffix}`.padEnd(32, '0').slice(0, 32).replace(/[^0-9a-f]/g, 'a');
    const repo = `acme/app-${suffix}`;
    c.seed({
      workers: [{ accountId: world.accountId, name: worker, secrets: [{ name: 'CF_API_TOKEN', value: tok.value }] }],
      pagesProjects: [{ accountId: world.accountId, name: pages, envVars: { production: { CF_TOKEN: { type: 'secret_text', value: tok.value }, MODE: { type: 'plain_text', value: 'prod' } } } }],
      secretsStores: [{ accountId: world.accountId, id: store, secrets: [{ id: SECRET_ID, name: 'CF', value: tok.value, modified: '2026-01-01T00:00:00Z' }] }],
      githubRepos: [{ name: repo, environments: ['prod'], secrets: [{ name: 'CLOUDFLARE_API_TOKEN', value: tok.value, updatedAt: '2026-01-01T00:00:00Z' }] }],
    });
    const entry = {
      name: `dest-${suffix}`,
      kind: 'account-api-token',
      accountId: world.accountId,
      tokenId: tok.id,
      targets: [
        { file: '.env', key: 'CLOUDFLARE_API_TOKEN' },
        { worker, key: 'CF_API_TOKEN' },
        { pages, environment: 'production', key: 'CF_TOKEN' },
        { secretsStore: store, secretId: SECRET_ID },
        { github: repo, key: 'CLOUDFLARE_API_TOKEN' },
        { github: repo, environment: 'prod', key: 'CLOUDFLARE_API_TOKEN' },
      ],
    };
    return { tokenId: tok.id, value: tok.value, worker, pages, store, repo, entry };
  }

  /** The value each destination holds now, read from the simulator (GitHub: what it decrypted). */
  function held(s: ReturnType<typeof setup>): Record<string, string | undefined> {
    const st = world.sim.control.state();
    const repo = st.githubRepos.find((r) => r.name === s.repo)!;
    return {
      worker: st.workers.find((w) => w.name === s.worker)?.secrets.find((x) => x.name === 'CF_API_TOKEN')?.value,
      pages: st.pagesProjects.find((p) => p.name === s.pages)?.envVars.production.CF_TOKEN?.value,
      store: st.secretsStores.find((x) => x.id === s.store)?.secrets[0]?.value,
      github: repo.secrets.find((x) => x.name === 'CLOUDFLARE_API_TOKEN')?.value,
      githubEnv: repo.environments[0]?.secrets.find((x) => x.name === 'CLOUDFLARE_API_TOKEN')?.value,
    };
  }

  const live = (tokenId: string): string => world.sim.control.state().accountTokens.find((t) => t.id === tokenId)!.value;

  it('rotates into a file, a Worker, a Pages project, a Secrets Store secret and two GitHub secrets; says what each write did; nothing leaks', async () => {
    const s = setup('all');
    await write(folder, '.env', `CLOUDFLARE_API_TOKEN=${s.value}\n`);
    const [token] = tokens([s.entry]);
    const h = makeEngine(world, { github: github() });
    const r = await h.engine.rotate(folder, token!);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    assert.deepEqual(r.warnings, []);
    const now = live(s.tokenId);
    assert.notEqual(now, s.value);
    assert.equal(parse(await read(folder, '.env')).CLOUDFLARE_API_TOKEN, now);
    assert.deepEqual(held(s), { worker: now, pages: now, store: now, github: now, githubEnv: now });
    assert.equal(world.sim.control.state().pagesProjects.find((p) => p.name === s.pages)!.envVars.production.MODE?.value, 'prod', 'the other variables stay');
    assert.deepEqual(r.targets, ['.env › CLOUDFLARE_API_TOKEN', `worker:${s.worker} › CF_API_TOKEN`, `pages:${s.pages} (production) › CF_TOKEN`, `secrets-store:${s.store}/${SECRET_ID}`, `github:${s.repo} › CLOUDFLARE_API_TOKEN`, `github:${s.repo} (environment prod) › CLOUDFLARE_API_TOKEN`]);
    assert.ok(r.notes?.some((n) => /new version of the Worker/.test(n)), JSON.stringify(r.notes));
    assert.deepEqual(h.history.entries[0]?.targets, r.targets);
    assert.deepEqual(await h.engine.interrupted(), []);
    const texts = [...h.logger.lines, JSON.stringify(r), JSON.stringify(h.history.entries)];
    for (const t of texts) for (const v of [now, s.value, ghToken]) assert.ok(!t.includes(v), `a secret leaked: ${t.slice(0, 100)}`);
  });

  it('preflight: a missing Worker, a missing GitHub environment, no GitHub token or a rejected one: refused before anything is rotated', async () => {
    const cases: [string, (e: Record<string, unknown>) => Record<string, unknown>, GitHubAccess | undefined, string, RegExp][] = [
      ['missing Worker', (e) => ({ ...e, targets: [{ file: '.env', key: 'K' }, { worker: 'no-such-worker', key: 'K' }] }), github(), 'not-found', /worker:no-such-worker/],
      ['missing environment', (e) => ({ ...e, targets: [{ github: (e.targets as { github?: string }[])[4]!.github, environment: 'staging', key: 'K' }] }), github(), 'not-found', /environment "staging"/],
      ['no GitHub access', (e) => e, undefined, 'credential-missing', /GitHub/],
      ['rejected GitHub token', (e) => e, github(() => `ghp_${'z'.repeat(36)}`), 'auth', /GitHub rejected/],
      // A token that may read (and, for its own part, write) the secrets, of an account that is not an admin of the repository.
      ['GitHub user without write access', (e) => e, github(() => world.sim.control.seed({ githubTokens: [{ role: 'triage' }] }).githubTokens[0]!.value), 'permission', /GH_TOKEN\) belongs to an account with the role "triage" on acme\/app-.*write access/],
      ['GitHub environment, user with read', (e) => ({ ...e, targets: [(e.targets as unknown[])[5]] }), github(() => world.sim.control.seed({ githubTokens: [{ role: 'read' }] }).githubTokens[0]!.value), 'permission', /role "read"/],
    ];
    for (const [what, edit, gh, kind, re] of cases) {
      const s = setup(what.replace(/\W/g, '').slice(0, 12).toLowerCase());
      await write(folder, '.env', `K=1\nCLOUDFLARE_API_TOKEN=${s.value}\n`);
      const [token] = tokens([edit(s.entry)]);
      const h = makeEngine(world, gh ? { github: gh } : {});
      const r = await h.engine.rotate(folder, token!);
      assert.equal(r.ok, false, what);
      assert.equal(r.state, 'failed', what);
      assert.equal(r.error?.kind, kind, `${what}: ${JSON.stringify(r.error)}`);
      assert.match(`${r.error?.message} ${r.error?.hint}`, re, what);
      assert.match(`${r.error?.message} ${r.error?.hint}`, /Nothing was rotated/, what);
      assert.equal(live(s.tokenId), s.value, `${what}: not rotated`);
      assert.equal(world.sim.control.requests({ op: 'putWorkerSecret' }).filter((x) => x.path.includes(s.worker)).length, 0);
    }
  });

  it("preflight: an admin token whose own policies show Read but not Write of a Cloudflare destination is refused naming the Write permission; one that cannot read its policies is checked for reading only", async () => {
    const c = world.sim.control;
    const families: [string, number, string][] = [
      ['Workers Scripts', 1, 'worker:'],
      ['Pages', 2, 'pages:'],
      ['Secrets Store', 3, 'secrets-store:'],
    ];
    for (const [family, index, label] of families) {
      const s = setup(`ro${index}`);
      await write(folder, '.env', `CLOUDFLARE_API_TOKEN=${s.value}\n`);
      const [token] = tokens([{ ...s.entry, targets: [(s.entry.targets as unknown[])[0], (s.entry.targets as unknown[])[index]] }]);
      // Reads its own policies (API Tokens Read), rolls the account token, reads the destination: no Write.
      const readOnly = c.addUserToken({ name: `ro ${family}`, permissions: ['API Tokens Read', 'Account API Tokens Read', 'Account API Tokens Write', `${family} Read`] });
      const h = makeEngine(world, { credentials: { get: async () => ({ type: 'api-token' as const, token: readOnly.value }) } });
      const r = await h.engine.rotate(folder, token!);
      assert.equal(r.state, 'failed', `${family}: ${JSON.stringify(r.error)}`);
      assert.equal(r.error?.kind, 'permission');
      assert.match(r.error!.message, new RegExp(`^${label}.*may read .*, but its policies grant no "${family} Write" in account ${world.accountId}`));
      assert.match(r.error!.hint ?? '', new RegExp(`Add the permission "${family} Write".*Nothing was rotated`));
      assert.equal(live(s.tokenId), s.value, `${family}: not rotated`);
      const own = c.requests({ op: 'getUserToken' }).filter((x) => x.credential === `token:${readOnly.id}`);
      assert.deepEqual(own.map((x) => x.apiPath), [`/user/tokens/${readOnly.id}`], 'the token read its own policies, once');
      // The same token with Write: passes and rotates.
      const rw = c.addUserToken({ name: `rw ${family}`, permissions: ['API Tokens Read', 'Account API Tokens Read', 'Account API Tokens Write', `${family} Write`] });
      const ok = await makeEngine(world, { credentials: { get: async () => ({ type: 'api-token' as const, token: rw.value }) } }).engine.rotate(folder, token!);
      assert.equal(ok.state, 'rotated', `${family}: ${JSON.stringify(ok.error)}`);
    }
    // Without "API Tokens Read" the policies cannot be read: the read check passes, the write fails after the
    // rotation (pending, naming the permission), and resume with a credential that has it sends it.
    const s = setup('blind');
    await write(folder, '.env', `CLOUDFLARE_API_TOKEN=${s.value}\n`);
    const [token] = tokens([{ ...s.entry, targets: [(s.entry.targets as unknown[])[0], (s.entry.targets as unknown[])[1]] }]);
    const blind = c.addUserToken({ name: 'blind', permissions: ['Account API Tokens Read', 'Account API Tokens Write', 'Workers Scripts Read'] });
    let cred = blind.value;
    const h = makeEngine(world, { credentials: { get: async () => ({ type: 'api-token' as const, token: cred }) } });
    const r = await h.engine.rotate(folder, token!);
    assert.equal(r.state, 'pending', JSON.stringify(r.error));
    assert.equal(r.error?.kind, 'permission');
    assert.match(r.error!.message, /lacks the permission "Workers Scripts Write"/);
    assert.ok(h.logger.lines.some((l) => /could not read its own policies \(permission, HTTP 403\)/.test(l)), h.logger.lines.join('\n'));
    cred = world.admin.token;
    h.engine.resetClients();
    const [j] = await h.engine.interrupted();
    assert.equal((await h.engine.resume(j!.id)).ok, true);
    assert.equal(held(s).worker, live(s.tokenId));
  });

  it('field and profile: a service token\'s clientId and clientSecret go to two destinations; a target with its own "profile" is written with that profile\'s credential (the simulator checks it)', async () => {
    const c = world.sim.control;
    const svc = c.addServiceToken({ accountId: world.accountId, name: 'svc-dest' });
    const tag = Date.now().toString(36);
    c.seed({
      workers: [{ accountId: world.accountId, name: `svc-${tag}` }],
      pagesProjects: [{ accountId: world.accountId, name: `svc-${tag}` }],
      githubRepos: [{ name: `acme/svc-${tag}` }],
    });
    // "default" may rotate Access service tokens and write Workers, but has no Pages permission at all; "ops" has Pages Write only.
    const def = c.addUserToken({ name: 'svc default', permissions: ['API Tokens Read', 'Access: Service Tokens Write', 'Workers Scripts Write'] });
    const ops = c.addUserToken({ name: 'svc ops', permissions: ['Pages Write'] });
    const creds: Record<string, string> = { default: def.value, ops: ops.value };
    const asked: string[] = [];
    const h = makeEngine(world, { github: github(), credentials: { get: async (profile: string) => (asked.push(profile), creds[profile] ? { type: 'api-token' as const, token: creds[profile] } : undefined) } });
    const entry = {
      name: 'svc-dest',
      kind: 'access-service-token',
      accountId: world.accountId,
      serviceTokenId: svc.id,
      gracePeriod: '0s',
      targets: [
        { worker: `svc-${tag}`, key: 'CF_ACCESS_CLIENT_ID', field: 'clientId' },
        { github: `acme/svc-${tag}`, key: 'CF_ACCESS_CLIENT_SECRET', field: 'clientSecret' },
        { pages: `svc-${tag}`, environment: 'production', key: 'CF_ACCESS_CLIENT_SECRET', field: 'clientSecret', profile: 'ops' },
      ],
    };
    const [token] = tokens([entry]);
    const r = await h.engine.rotate(folder, token!);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    const st = c.state();
    const now = st.serviceTokens.find((x) => x.id === svc.id)!;
    assert.notEqual(now.clientSecret, svc.clientSecret, 'rotated');
    assert.equal(st.workers.find((w) => w.name === `svc-${tag}`)!.secrets.find((x) => x.name === 'CF_ACCESS_CLIENT_ID')?.value, now.clientId, 'the Worker got the client id');
    assert.equal(st.githubRepos.find((x) => x.name === `acme/svc-${tag}`)!.secrets.find((x) => x.name === 'CF_ACCESS_CLIENT_SECRET')?.value, now.clientSecret, 'GitHub got the client secret');
    assert.equal(st.pagesProjects.find((p) => p.name === `svc-${tag}`)!.envVars.production.CF_ACCESS_CLIENT_SECRET?.value, now.clientSecret, 'Pages got the client secret');
    assert.ok(asked.includes('ops'), 'the target profile was asked for its credential');
    const pagesCalls = c.requests().filter((x) => (x.op === 'getPagesProject' || x.op === 'editPagesProject') && x.path.includes(`svc-${tag}`));
    assert.ok(pagesCalls.length >= 3, 'read, write, confirm');
    assert.deepEqual([...new Set(pagesCalls.map((x) => `${x.op} ${x.credential} ${x.status}`))].sort(), [`editPagesProject token:${ops.id} 200`, `getPagesProject token:${ops.id} 200`]);
    const workerCalls = c.requests().filter((x) => x.op === 'putWorkerSecret' && x.path.includes(`svc-${tag}`));
    assert.deepEqual(workerCalls.map((x) => x.credential), [`token:${def.id}`]);
    // The same configuration without the target's profile: "default" may not touch Pages, refused before rotating.
    const [plain] = tokens([{ ...entry, targets: entry.targets.map((t) => { const { profile: _p, ...rest } = t as { profile?: string }; return rest; }) }]);
    const before = c.state().serviceTokens.find((x) => x.id === svc.id)!.clientSecret;
    const refused = await h.engine.rotate(folder, plain!);
    assert.equal(refused.state, 'failed', JSON.stringify(refused));
    assert.equal(refused.error?.kind, 'permission');
    assert.match(refused.error!.message, /^pages:svc-.*lacks the permission "Pages Write"/);
    assert.equal(c.state().serviceTokens.find((x) => x.id === svc.id)!.clientSecret, before, 'not rotated');
  });

  it('a dry run reads every destination and writes none', async () => {
    const s = setup('dry');
    await write(folder, '.env', `CLOUDFLARE_API_TOKEN=${s.value}\n`);
    const [token] = tokens([s.entry]);
    const before = world.sim.control.requests().length;
    const r = await makeEngine(world, { github: github() }).engine.rotate(folder, token!, { dryRun: true });
    assert.equal(r.state, 'planned', JSON.stringify(r.error));
    const made = world.sim.control.requests().slice(before);
    assert.ok(made.some((x) => x.op === 'getWorkerSettings') && made.some((x) => x.op === 'githubGetPublicKey'));
    assert.deepEqual(made.filter((x) => x.method !== 'GET').map((x) => x.op), []);
  });

  it('a destination that cannot be written leaves the rotation pending (secret in the journal, v3); resume sends only the destinations not written', async () => {
    const s = setup('pend');
    await write(folder, '.env', `CLOUDFLARE_API_TOKEN=${s.value}\n`);
    const [token] = tokens([s.entry]);
    const h = makeEngine(world, { github: github() });
    world.sim.control.addFault({ op: 'editStoreSecret', type: 'status', status: 503, times: -1, pathIncludes: s.store });
    const r = await h.engine.rotate(folder, token!);
    assert.equal(r.ok, false);
    assert.equal(r.state, 'pending', JSON.stringify(r.error));
    assert.match(r.error!.message, new RegExp(`a target could not be written: Sending the new secret to secret ${SECRET_ID} of Secrets Store ${s.store}`));
    assert.match(r.error!.message, /Already written: .*worker:.*pages:/);
    assert.match(r.error!.hint ?? '', /Resume/);
    const now = live(s.tokenId);
    assert.equal(parse(await read(folder, '.env')).CLOUDFLARE_API_TOKEN, now, 'the file first');
    assert.deepEqual(held(s), { worker: now, pages: now, store: s.value, github: s.value, githubEnv: undefined });
    const [raw] = [...h.journal.data.values()];
    const entry = parseJournal(raw!);
    assert.equal(JSON.parse(raw!).v, 3, 'an entry with destinations is v3');
    assert.deepEqual(entry.destinations?.map((d) => d.done), [true, true, false, false, false]);
    assert.ok(!raw!.includes(`"before":"${now}`));
    const versions = world.sim.control.state().workers.find((w) => w.name === s.worker)!.versions;
    world.sim.control.clearFaults();
    const [j] = await h.engine.interrupted();
    const rr = await h.engine.resume(j!.id);
    assert.equal(rr.ok, true, JSON.stringify(rr.error));
    assert.equal(rr.state, 'recovered');
    assert.deepEqual(held(s), { worker: now, pages: now, store: now, github: now, githubEnv: now });
    assert.equal(world.sim.control.state().workers.find((w) => w.name === s.worker)!.versions, versions, 'the Worker was not deployed again');
    assert.deepEqual(await h.engine.interrupted(), []);
  });

  it('a Worker whose latest version is not the deployed one (Cloudflare refuses secret edits, 10215): pending with what to do; resumed once it is deployed', async () => {
    const tok = world.sim.control.addAccountToken(world.accountId, { name: 'dest-undeployed' });
    const worker = `undeployed-${Date.now()}`;
    world.sim.control.seed({ workers: [{ accountId: world.accountId, name: worker, latestDeployed: false, secrets: [{ name: 'CF_API_TOKEN', value: tok.value }] }] });
    await write(folder, '.env', `CLOUDFLARE_API_TOKEN=${tok.value}\n`);
    const [token] = tokens([{ name: 'dest-undeployed', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'CLOUDFLARE_API_TOKEN' }, { worker, key: 'CF_API_TOKEN' }] }]);
    const h = makeEngine(world);
    const r = await h.engine.rotate(folder, token!);
    assert.equal(r.state, 'pending', JSON.stringify(r));
    assert.match(r.error!.message, new RegExp(`kept safely in the journal, but a target could not be written: Cloudflare refuses to change the secrets of Worker "${worker}" while its latest version is not the deployed one \\(code 10215\\)`));
    assert.match(r.error!.hint ?? '', /Deploy the latest version of .* \(wrangler versions deploy\).* resume/i);
    assert.doesNotMatch(`${r.error!.message} ${r.error!.hint}`, /Check the ids|[Nn]othing was (changed|rotated)/, 'the credential was rotated: no advice that says otherwise');
    const now = live(tok.id);
    assert.equal(parse(await read(folder, '.env')).CLOUDFLARE_API_TOKEN, now);
    // Deployed (the simulator seeded again with its latest version live): resume sends it.
    world.sim.control.seed({ workers: [{ accountId: world.accountId, name: worker, secrets: [{ name: 'CF_API_TOKEN', value: tok.value }] }] });
    const [j] = await h.engine.interrupted();
    const rr = await h.engine.resume(j!.id);
    assert.equal(rr.ok, true, JSON.stringify(rr.error));
    assert.equal(world.sim.control.state().workers.find((w) => w.name === worker)?.secrets.find((x) => x.name === 'CF_API_TOKEN')?.value, now);
  });

  it('preflight: a Worker whose plain-text variable or other binding has the target key is refused before the rotation (Cloudflare would refuse the secret, 10053)', async () => {
    for (const [type, binding] of [
      ['plain_text', { name: 'CF_API_TOKEN', type: 'plain_text', text: 'public' }],
      ['kv_namespace', { name: 'CF_API_TOKEN', type: 'kv_namespace', namespace_id: '0f2ac74b498b48028cb68387c421e279' }],
    ] as const) {
      const tok = world.sim.control.addAccountToken(world.accountId, { name: `dest-var-${type}` });
      const worker = `vars-${type.replace('_', '-')}-${Date.now()}`;
      world.sim.control.seed({ workers: [{ accountId: world.accountId, name: worker, bindings: [binding] }] });
      await write(folder, '.env', `CLOUDFLARE_API_TOKEN=${tok.value}\n`);
      const [token] = tokens([{ name: `dest-var-${type}`, kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'CLOUDFLARE_API_TOKEN' }, { worker, key: 'CF_API_TOKEN' }] }]);
      const r = await makeEngine(world).engine.rotate(folder, token!);
      assert.equal(r.state, 'failed', JSON.stringify(r));
      assert.equal(r.error?.kind, 'config');
      assert.match(r.error!.message, new RegExp(`Worker "${worker}" already binds CF_API_TOKEN as a ${type}, not a secret text`));
      assert.match(r.error!.hint ?? '', /Nothing was rotated/);
      assert.equal(live(tok.id), tok.value, 'not rotated');
      assert.equal(world.sim.control.requests({ op: 'putWorkerSecret' }).filter((x) => x.path.includes(worker)).length, 0);
    }
  });

  it('a Worker secret refused after the rotation because its name is now another binding\'s (10053): pending, says what to change, never "nothing was changed"', async () => {
    const tok = world.sim.control.addAccountToken(world.accountId, { name: 'dest-raced' });
    const worker = `raced-${Date.now()}`;
    world.sim.control.seed({ workers: [{ accountId: world.accountId, name: worker }] });
    await write(folder, '.env', `CLOUDFLARE_API_TOKEN=${tok.value}\n`);
    const [token] = tokens([{ name: 'dest-raced', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'CLOUDFLARE_API_TOKEN' }, { worker, key: 'CF_API_TOKEN' }] }]);
    // The variable appears between the preflight and the write (a deploy with wrangler "vars" meanwhile).
    const h = makeEngine(world, {
      checkpoint: async (at) => {
        if (at === 'target-written') world.sim.control.seed({ workers: [{ accountId: world.accountId, name: worker, bindings: [{ name: 'CF_API_TOKEN', type: 'plain_text', text: 'public' }] }] });
      },
    });
    const r = await h.engine.rotate(folder, token!);
    assert.equal(r.state, 'pending', JSON.stringify(r));
    assert.match(r.error!.message, /kept safely in the journal, but a target could not be written: Cloudflare refuses the secret CF_API_TOKEN of Worker "raced-\d+": another binding of the Worker .* already has that name \(code 10053\)/);
    assert.match(r.error!.hint ?? '', /Remove or rename that binding .* resume/i);
    assert.doesNotMatch(`${r.error!.message} ${r.error!.hint}`, /Check the ids|[Nn]othing was (changed|rotated)/);
    assert.notEqual(live(tok.id), tok.value, 'the credential was rotated');
  });

  it('every way a destination write can fail after the rotation (each destination, each status and code): pending, the secret in the journal, and no message or hint says that nothing was changed', async function () {
    this.timeout(120_000);
    type Case = [string, Record<string, unknown>];
    const failures: Case[] = [
      ['400 validation', { type: 'error-text', status: 400, code: 1004, message: 'Invalid request' }],
      ['400 unknown code', { type: 'error-text', status: 400, code: 10021, message: 'Something Cloudflare refused' }],
      ['401', { type: 'error-text', status: 401, code: 10000, message: 'Authentication error' }],
      ['403', { type: 'error-text', status: 403, code: 9109, message: 'Unauthorized to access requested resource' }],
      ['404', { type: 'error-text', status: 404, code: 7003, message: 'Could not route' }],
      ['429 for a minute', { type: 'rate-limit', retryAfterSec: 60 }],
      ['503', { type: 'status', status: 503 }],
    ];
    const dests: [string, string, (s: ReturnType<typeof setup>) => unknown][] = [
      ['worker', 'putWorkerSecret', (s) => ({ worker: s.worker, key: 'CF_API_TOKEN' })],
      ['pages', 'editPagesProject', (s) => ({ pages: s.pages, environment: 'production', key: 'CF_TOKEN' })],
      ['store', 'editStoreSecret', (s) => ({ secretsStore: s.store, secretId: SECRET_ID })],
      ['github', 'githubPutSecret', (s) => ({ github: s.repo, key: 'CLOUDFLARE_API_TOKEN' })],
    ];
    let n = 0;
    for (const [dest, op, target] of dests) {
      for (const [what, fault] of failures) {
        const s = setup(`f${n++}`);
        await write(folder, '.env', `CLOUDFLARE_API_TOKEN=${s.value}\n`);
        const [token] = tokens([{ ...s.entry, targets: [{ file: '.env', key: 'CLOUDFLARE_API_TOKEN' }, target(s)] }]);
        world.sim.control.clearFaults();
        world.sim.control.addFault({ ...fault, op, times: -1 } as never);
        // A limiter of its own, and no wait for a Retry-After: a 429 then pauses this engine's client only, and is reported at once.
        const engine = makeEngine(world, {
          github: github(),
          api: (credential) => new CloudflareClient({ baseUrl: world.sim.url, credential, timeoutMs: 2_000, backoff: { baseMs: 20, maxMs: 200 }, maxRetryAfterMs: 1_000, limiter: new RateLimiter() }),
        }).engine;
        const r = await engine.rotate(folder, token!);
        const label = `${dest}, ${what}`;
        assert.equal(r.state, 'pending', `${label}: ${JSON.stringify(r)}`);
        assert.match(r.error!.message, /kept safely in the journal/, label);
        assert.doesNotMatch(`${r.error!.message} ${r.error!.hint ?? ''}`, /nothing was (changed|rotated)|nothing changed/i, `${label}: ${JSON.stringify(r.error)}`);
        assert.notEqual(live(s.tokenId), s.value, `${label}: the credential was rotated`);
      }
    }
    world.sim.control.clearFaults();
  });

  it('a GitHub destination whose token stops working after the rotation: pending, then resumed with a working token', async () => {
    const s = setup('ghfail');
    await write(folder, '.env', `CLOUDFLARE_API_TOKEN=${s.value}\n`);
    const [token] = tokens([s.entry]);
    let current = ghToken;
    const h = makeEngine(world, { github: github(() => current) });
    // The public key is read twice per GitHub target before the write (preflight, then the write): fail the write's.
    world.sim.control.addFault({ op: 'githubPutSecret', type: 'status', status: 500, times: -1, pathIncludes: s.repo });
    const r = await h.engine.rotate(folder, token!);
    assert.equal(r.state, 'pending', JSON.stringify(r.error));
    assert.equal(r.error?.kind, 'server');
    world.sim.control.clearFaults();
    current = world.sim.control.seed({ githubTokens: [{ login: 'other' }] }).githubTokens[0]!.value;
    const [j] = await h.engine.interrupted();
    const rr = await h.engine.resume(j!.id);
    assert.equal(rr.ok, true, JSON.stringify(rr.error));
    const now = live(s.tokenId);
    assert.deepEqual(held(s), { worker: now, pages: now, store: now, github: now, githubEnv: now });
  });

  it('v2 journal entries (no destinations) still parse; a v3 entry keeps its destinations; a future version is refused', () => {
    const v2 = { v: 2, id: 'x', owner: 'o', folder: '/f', token: 't', kind: 'user-api-token', profile: 'default', state: 'intent', resource: {}, startedAt: 1, updatedAt: 1, targets: [] };
    assert.equal(parseJournal(JSON.stringify(v2)).destinations, undefined);
    const v3 = { ...v2, v: 3, destinations: [{ type: 'github', github: 'a/b', key: 'K', field: 'token', done: false }] };
    assert.equal(parseJournal(JSON.stringify(v3)).destinations?.length, 1);
    assert.throws(() => parseJournal(JSON.stringify({ ...v2, v: 9 })), (e: unknown) => e instanceof CfRotateError);
  });
});
