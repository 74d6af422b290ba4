/**
 * The destination clients against the simulator (no fetch stubs): Worker secrets, Pages secrets,
 * Secrets Store secrets through the Cloudflare client; GitHub Actions secrets through the GitHub
 * client, with the value sealed by cf-rotate's sealed box (@noble) and opened by the simulator with
 * libsodium, so the value is checked end to end.
 */
import { strict as assert } from 'node:assert';
import sodium from 'libsodium-wrappers';
import { CfRotateError } from '../../../src/core/errors';
import { GitHubClient, validateGitHubApiUrl } from '../../../src/core/github/client';
import { sealForGitHub } from '../../../src/core/github/seal';
import { open, seal, sealBase64 } from '../../../src/core/github/sealbox';
import { redact } from '../../../src/core/redact';
import { start, type SimulatorHandle } from '../../simulator';
import { DEMO } from '../../simulator/scenarios';
import { ALL_PERMISSIONS } from '../../simulator/types';
import { makeClient } from '../cloudflare/sim';

const STORE = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const SECRET_ID = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const NEW = 'cfat_NewSecretValueForDestinations0123456789abcdef';

async function rejectsWith(p: Promise<unknown>, kind: string, re?: RegExp): Promise<CfRotateError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CfRotateError, String(e));
    assert.equal(e.kind, kind, e.message);
    if (re) assert.match(`${e.message} ${e.hint ?? ''}`, re);
    return e;
  }
  assert.fail(`expected a ${kind} error`);
}

describe('destinations: client functions against the simulator', function () {
  this.timeout(30_000);
  let sim: SimulatorHandle;
  let ghToken: string;

  before(async () => {
    sim = await start({ scenario: 'demo' });
    await sodium.ready;
  });
  after(async () => sim.close());
  beforeEach(() => {
    sim.control.reset();
    sim.control.seed({
      workers: [{ accountId: DEMO.accountId, name: 'api-gateway', secrets: [{ name: 'OLD', value: 'old-value-1234' }] }],
      pagesProjects: [{ accountId: DEMO.accountId, name: 'marketing-site', envVars: { production: { MODE: { type: 'plain_text', value: 'prod' } } } }],
      secretsStores: [{ accountId: DEMO.accountId, id: STORE, secrets: [{ id: SECRET_ID, name: 'API_TOKEN', value: 'old-store-value', modified: '2026-01-01T00:00:00Z' }] }],
      githubRepos: [{ name: 'acme/app', environments: ['prod'], secrets: [{ name: 'CLOUDFLARE_API_TOKEN', value: 'old', updatedAt: '2026-01-01T00:00:00Z' }] }],
    });
    ghToken = sim.control.seed({ githubTokens: [{ login: 'octo' }] }).githubTokens[0]!.value;
  });

  it('Workers: lists names and types only, PUT sets the secret and deploys a new version', async () => {
    const { client } = makeClient(sim);
    assert.deepEqual(await client.listWorkerSecrets(DEMO.accountId, 'api-gateway'), [{ name: 'OLD', type: 'secret_text' }]);
    await client.putWorkerSecret(DEMO.accountId, 'api-gateway', 'CF_API_TOKEN', NEW);
    const w = sim.control.state().workers[0]!;
    assert.equal(w.secrets.find((s) => s.name === 'CF_API_TOKEN')?.value, NEW);
    assert.equal(w.versions, 1);
    const req = sim.control.requests({ op: 'putWorkerSecret' })[0]!;
    assert.deepEqual(req.body, { name: 'CF_API_TOKEN', text: NEW, type: 'secret_text' });
    await rejectsWith(client.listWorkerSecrets(DEMO.accountId, 'no-such-worker'), 'not-found', /Worker/);
  });

  it('Pages: the secret goes in as secret_text by merge patch; GET never returns its value; other variables stay', async () => {
    const { client } = makeClient(sim);
    const p = await client.setPagesSecret(DEMO.accountId, 'marketing-site', 'production', 'CF_TOKEN', NEW);
    assert.equal(p.envVars.production.CF_TOKEN, 'secret_text');
    const live = sim.control.state().pagesProjects[0]!;
    assert.deepEqual(live.envVars.production.CF_TOKEN, { type: 'secret_text', value: NEW });
    assert.deepEqual(live.envVars.production.MODE, { type: 'plain_text', value: 'prod' });
    const raw = await fetch(`${sim.url}/accounts/${DEMO.accountId}/pages/projects/marketing-site`, { headers: { authorization: `Bearer ${DEMO.admin.value}` } }).then((r) => r.text());
    assert.ok(!raw.includes(NEW), 'GET never returns a secret value');
    await rejectsWith(client.getPagesProject(DEMO.accountId, 'nope'), 'not-found', /Pages project/);
  });

  it('Secrets Store: PATCH {value} writes the value (never returned) and moves modified', async () => {
    const { client } = makeClient(sim);
    const before = await client.getStoreSecret(DEMO.accountId, STORE, SECRET_ID);
    assert.equal(before.modified, '2026-01-01T00:00:00.000Z');
    const after = await client.setStoreSecret(DEMO.accountId, STORE, SECRET_ID, NEW);
    assert.notEqual(after.modified, before.modified);
    assert.equal(sim.control.state().secretsStores[0]!.secrets[0]!.value, NEW);
    assert.deepEqual(sim.control.requests({ op: 'editStoreSecret' })[0]!.body, { value: NEW });
  });

  it('a credential without the permission is refused, naming the Write permission to add', async () => {
    const weak = sim.control.addUserToken({ name: 'weak', permissions: ALL_PERMISSIONS.filter((p) => !/Workers|Pages|Secrets Store/.test(p)) });
    const { client } = makeClient(sim, { credential: { type: 'api-token', token: weak.value } });
    await rejectsWith(client.listWorkerSecrets(DEMO.accountId, 'api-gateway'), 'permission', /Workers Scripts Write/);
    await rejectsWith(client.getPagesProject(DEMO.accountId, 'marketing-site'), 'permission', /Pages Write/);
    await rejectsWith(client.getStoreSecret(DEMO.accountId, STORE, SECRET_ID), 'permission', /Secrets Store Write/);
  });

  it('the sealed box (@noble) round-trips, opens what libsodium seals, and libsodium opens what it seals', () => {
    const kp = sodium.crypto_box_keypair();
    for (const msg of ['', 'x', 'ünïcödé ✓', 'y'.repeat(48 * 1024)]) {
      const box = seal(Buffer.from(msg), kp.publicKey);
      assert.equal(box.length, 32 + 16 + Buffer.byteLength(msg));
      assert.equal(Buffer.from(sodium.crypto_box_seal_open(box, kp.publicKey, kp.privateKey)).toString(), msg);
      assert.equal(Buffer.from(open(sodium.crypto_box_seal(Buffer.from(msg), kp.publicKey), kp.publicKey, kp.privateKey)).toString(), msg);
    }
    // Every box differs (an ephemeral key each time); a flipped bit does not open.
    const pk = Buffer.from(kp.publicKey).toString('base64');
    assert.notEqual(sealBase64('same', pk), sealBase64('same', pk));
    const box = seal(Buffer.from('tamper'), kp.publicKey);
    box[40] = (box[40] as number) ^ 1;
    assert.throws(() => sodium.crypto_box_seal_open(box, kp.publicKey, kp.privateKey));
    assert.throws(() => sealForGitHub('x', Buffer.alloc(32).toString('base64')), (e: unknown) => e instanceof CfRotateError && e.kind === 'contract', 'a low-order (all-zero) key is refused');
  });

  it('GitHub: public key, sealed PUT (201 created, 204 updated), metadata with updated_at; the simulator opened the value', async () => {
    const gh = new GitHubClient({ baseUrl: sim.githubUrl, token: ghToken, source: 'GH_TOKEN' });
    for (const scope of [{ owner: 'acme', repo: 'app' }, { owner: 'acme', repo: 'app', environment: 'prod' }]) {
      const key = await gh.publicKey(scope);
      const before = await gh.getSecret(scope, 'CLOUDFLARE_API_TOKEN');
      const first = await gh.putSecret(scope, 'CLOUDFLARE_API_TOKEN', sealForGitHub(NEW, key.key), key.keyId);
      assert.equal(first, scope.environment ? 'created' : 'updated');
      const again = await gh.putSecret(scope, 'CLOUDFLARE_API_TOKEN', sealForGitHub(NEW, key.key), key.keyId);
      assert.equal(again, 'updated', 'the same value again is an update (idempotent)');
      const meta = await gh.getSecret(scope, 'CLOUDFLARE_API_TOKEN');
      assert.ok(meta?.updatedAt && meta.updatedAt !== before?.updatedAt);
      const repo = sim.control.state().githubRepos[0]!;
      const secrets = scope.environment ? repo.environments[0]!.secrets : repo.secrets;
      assert.equal(secrets.find((s) => s.name === 'CLOUDFLARE_API_TOKEN')?.value, NEW, 'decrypted by the simulator');
    }
    assert.equal(await gh.getSecret({ owner: 'acme', repo: 'app' }, 'NOPE'), undefined);
    const put = sim.control.requests({ op: 'githubPutSecret' })[0]!;
    assert.ok(!JSON.stringify(put.body).includes(NEW), 'only the sealed value travels');
    assert.equal(put.headers.authorization, '[redacted]');
  });

  it('GitHub: bad token 401 (auth), unknown repository or environment 404 (not-found), read-only token 403 (permission), wrong key 422', async () => {
    const scope = { owner: 'acme', repo: 'app' };
    const bad = new GitHubClient({ baseUrl: sim.githubUrl, token: `ghp_${'x'.repeat(36)}`, source: 'GH_TOKEN', maxRetries: 0 });
    const e = await rejectsWith(bad.publicKey(scope), 'auth', /GH_TOKEN/);
    assert.ok(!e.message.includes('xxxxxxxx'), 'the token is not in the message');
    const gh = new GitHubClient({ baseUrl: sim.githubUrl, token: ghToken, source: 'GH_TOKEN', maxRetries: 0 });
    await rejectsWith(gh.publicKey({ owner: 'acme', repo: 'nope' }), 'not-found', /acme\/nope/);
    await rejectsWith(gh.publicKey({ ...scope, environment: 'staging' }), 'not-found', /environment/);
    const ro = sim.control.seed({ githubTokens: [{ secrets: 'read' }] }).githubTokens[0]!.value;
    const readOnly = new GitHubClient({ baseUrl: sim.githubUrl, token: ro, source: 'GITHUB_TOKEN', maxRetries: 0 });
    const key = await readOnly.publicKey(scope);
    await rejectsWith(readOnly.putSecret(scope, 'K', sealForGitHub(NEW, key.key), key.keyId), 'permission', /Secrets/);
    await rejectsWith(gh.putSecret(scope, 'K', sealForGitHub(NEW, key.key), 'not-the-key'), 'validation', /key_id/);
    const other = sodium.crypto_box_keypair();
    await rejectsWith(gh.putSecret(scope, 'K', sealForGitHub(NEW, Buffer.from(other.publicKey).toString('base64')), key.keyId), 'validation', /decrypted/);
    const unseen = sim.control.seed({ githubTokens: [{ repos: ['acme/other'] }] }).githubTokens[0]!.value;
    await rejectsWith(new GitHubClient({ baseUrl: sim.githubUrl, token: unseen, source: 'GH_TOKEN', maxRetries: 0 }).publicKey(scope), 'not-found');
  });

  it("GitHub: the repository with its user's permissions for each role (as GitHub documents them); a PUT is accepted from write access up (write, maintain, admin); unseen 404; a malformed answer is a contract error", async () => {
    const scope = { owner: 'acme', repo: 'app' };
    const expected = {
      admin: { admin: true, maintain: true, push: true, triage: true, pull: true },
      maintain: { admin: false, maintain: true, push: true, triage: true, pull: true },
      write: { admin: false, maintain: false, push: true, triage: true, pull: true },
      triage: { admin: false, maintain: false, push: false, triage: true, pull: true },
      read: { admin: false, maintain: false, push: false, triage: false, pull: true },
    } as const;
    for (const role of ['admin', 'maintain', 'write', 'triage', 'read'] as const) {
      const t = sim.control.seed({ githubTokens: [{ role, login: `u-${role}` }] }).githubTokens[0]!;
      assert.equal(t.role, role);
      const gh = new GitHubClient({ baseUrl: sim.githubUrl, token: t.value, source: 'GH_TOKEN', maxRetries: 0 });
      assert.deepEqual(await gh.repository({ ...scope, environment: 'prod' }), { fullName: 'acme/app', permissions: expected[role] });
      const raw = sim.control.requests({ op: 'githubGetRepo' }).at(-1)!;
      assert.equal(raw.path, '/github/repos/acme/app', 'the repository, not the environment');
      assert.equal(raw.credential, `github:u-${role}`);
      // Reading works for every role; writing for write access and above (repository and environment secrets).
      for (const s of [scope, { ...scope, environment: 'prod' }]) {
        const key = await gh.publicKey(s);
        const put = gh.putSecret(s, 'ROLE_CHECK', sealForGitHub(NEW, key.key), key.keyId);
        if (expected[role].push) assert.ok(['created', 'updated'].includes(await put));
        else await rejectsWith(put, 'permission', /write access/);
      }
    }
    // A GitHub App installation token (ghs_…) has the app's permissions, not a user's role: its `permissions` are not read as one.
    const app = sim.control.seed({ githubTokens: [{ value: `ghs_${'A'.repeat(36)}`, login: 'app[bot]', role: 'read' }] }).githubTokens[0]!.value;
    assert.deepEqual(await new GitHubClient({ baseUrl: sim.githubUrl, token: app, source: 'GH_TOKEN', maxRetries: 0 }).repository(scope), { fullName: 'acme/app' });
    assert.equal((sim.control.requests({ op: 'githubGetRepo' }).at(-1)!.status), 200);
    const unseen = sim.control.seed({ githubTokens: [{ repos: ['acme/other'] }] }).githubTokens[0]!.value;
    await rejectsWith(new GitHubClient({ baseUrl: sim.githubUrl, token: unseen, source: 'GH_TOKEN', maxRetries: 0 }).repository(scope), 'not-found', /acme\/app/);
    // Every field of the answer is a documented field of GitHub's "full-repository".
    const res = await fetch(`${sim.githubUrl}/repos/acme/app`, { headers: { authorization: `Bearer ${ghToken}` } });
    const body = (await res.json()) as Record<string, unknown>;
    const documented = ['id', 'node_id', 'name', 'full_name', 'private', 'visibility', 'owner', 'html_url', 'description', 'fork', 'default_branch', 'permissions'];
    assert.deepEqual(Object.keys(body).filter((k) => !documented.includes(k)), []);
    assert.equal(body.full_name, 'acme/app');
    assert.equal(body.name, 'app');
    assert.deepEqual(Object.keys(body.owner as object).sort(), ['id', 'login', 'node_id', 'site_admin', 'type']);
    assert.equal((await fetch(`${sim.githubUrl}/repos/acme/app`)).status, 401, 'authentication is required');
    sim.control.addFault({ op: 'githubGetRepo', type: 'malformed-json' });
    await rejectsWith(new GitHubClient({ baseUrl: sim.githubUrl, token: ghToken, source: 'GH_TOKEN', maxRetries: 0 }).repository(scope), 'contract', /documented shape/);
  });

  it('GitHub: a 5xx is retried (the same sealed value again is harmless); a hang times out as ambiguous', async () => {
    const scope = { owner: 'acme', repo: 'app' };
    const gh = new GitHubClient({ baseUrl: sim.githubUrl, token: ghToken, source: 'GH_TOKEN', maxRetries: 2, timeoutMs: 300 });
    sim.control.addFault({ op: 'githubPutSecret', type: 'status', status: 502 });
    const key = await gh.publicKey(scope);
    assert.equal(await gh.putSecret(scope, 'CLOUDFLARE_API_TOKEN', sealForGitHub(NEW, key.key), key.keyId), 'updated');
    sim.control.addFault({ op: 'githubGetPublicKey', type: 'hang', times: 5 });
    await rejectsWith(new GitHubClient({ baseUrl: sim.githubUrl, token: ghToken, source: 'GH_TOKEN', maxRetries: 0, timeoutMs: 200 }).publicKey(scope), 'ambiguous');
  });

  it("GitHub: a secondary rate limit (403 without retry-after or an exhausted x-ratelimit-*) is a rate limit, not a permission: retried after a minute, then twice that, and reported after the last retry", async () => {
    const scope = { owner: 'acme', repo: 'app' };
    const sleeps: number[] = [];
    const clock = { now: () => Date.now(), sleep: async (ms: number) => void sleeps.push(ms) };
    const gh = new GitHubClient({ baseUrl: sim.githubUrl, token: ghToken, source: 'GH_TOKEN', maxRetries: 2, clock });
    const key = await gh.publicKey(scope);
    const sealed = sealForGitHub(NEW, key.key);
    const puts = (): number => sim.control.requests({ op: 'githubPutSecret' }).length;
    // Once: the retry a minute later writes it.
    sim.control.addFault({ op: 'githubPutSecret', type: 'secondary-limit' });
    assert.equal(await gh.putSecret(scope, 'CLOUDFLARE_API_TOKEN', sealed, key.keyId), 'updated');
    assert.deepEqual(sleeps, [60_000], 'at least one minute (GitHub: "wait for at least one minute before retrying")');
    assert.equal(puts(), 2);
    // Every time: 1 min, then 2 min (exponential), then the error, as a rate limit with GitHub's words.
    sleeps.length = 0;
    sim.control.addFault({ op: 'githubPutSecret', type: 'secondary-limit', times: -1 });
    const e = await rejectsWith(gh.putSecret(scope, 'CLOUDFLARE_API_TOKEN', sealed, key.keyId), 'rate-limited', /GitHub's secondary rate limit was reached \(HTTP 403: You have exceeded a secondary rate limit/);
    assert.deepEqual(sleeps, [60_000, 120_000]);
    assert.equal(puts(), 5);
    assert.equal(e.permission, undefined, 'no permission to add');
    assert.doesNotMatch(`${e.message} ${e.hint}`, /permission "Secrets"|may not manage/);
    // A 429 of the same kind, and its retry-after when GitHub sends one.
    sim.control.clearFaults();
    sleeps.length = 0;
    sim.control.addFault({ op: 'githubPutSecret', type: 'secondary-limit', status: 429, retryAfterSec: 7 });
    assert.equal(await gh.putSecret(scope, 'CLOUDFLARE_API_TOKEN', sealed, key.keyId), 'updated');
    assert.deepEqual(sleeps, [7_000]);
    // A plain 403 (a token that may only read the secrets) stays a missing permission, not retried.
    sleeps.length = 0;
    const reader = sim.control.seed({ githubTokens: [{ login: 'reader', secrets: 'read' }] }).githubTokens[0]!.value;
    await rejectsWith(new GitHubClient({ baseUrl: sim.githubUrl, token: reader, source: 'GH_TOKEN', maxRetries: 2, clock }).putSecret(scope, 'CLOUDFLARE_API_TOKEN', sealed, key.keyId), 'permission', /Secrets/);
    assert.deepEqual(sleeps, []);
  });

  it('the simulator refuses a secondary-limit fault on a Cloudflare operation, or with another status', () => {
    assert.throws(() => sim.control.addFault({ op: 'putWorkerSecret', type: 'secondary-limit' }), /GitHub operation/);
    assert.throws(() => sim.control.addFault({ type: 'secondary-limit' } as never), /GitHub operation/);
    assert.throws(() => sim.control.addFault({ op: 'githubPutSecret', type: 'secondary-limit', status: 500 } as never), /403 or 429/);
  });

  it('the GitHub API URL is https, or http to loopback only; no credentials in it', () => {
    assert.equal(validateGitHubApiUrl('https://ghe.example/api/v3').href, 'https://ghe.example/api/v3');
    assert.equal(validateGitHubApiUrl('http://127.0.0.1:9/github').host, '127.0.0.1:9');
    for (const bad of ['http://api.github.com', 'https://user:pw@api.github.com', 'ftp://x', 'not a url', 'https://api.github.com/?x=1']) {
      assert.throws(() => validateGitHubApiUrl(bad), (e: unknown) => e instanceof CfRotateError && e.kind === 'config', bad);
    }
    assert.equal(redact(`token ${ghToken}`).includes(ghToken), true, 'an unregistered value is not known yet');
    new GitHubClient({ baseUrl: sim.githubUrl, token: ghToken, source: 'GH_TOKEN' });
    assert.equal(redact(`token ${ghToken}`).includes(ghToken), false, 'the client registers its token with the redactor');
  });
});
