/**
 * Destinations in the real VS Code (code-server, where VS Code has no GitHub sign-in): a GitHub
 * Actions target through the SecretStorage token of "Set GitHub Token…" (repository and environment
 * secrets, sealed by cf-rotate and opened by the simulator), a Worker secret, a Pages secret and a
 * Secrets Store secret, each written by the Rotate Now command and checked at the simulator; the
 * tree shows them as targets of their own; cfRotate.githubApiUrl from .vscode/settings.json is
 * ignored; a GitHub account without write access to the repository, or no GitHub token at all, is
 * refused before anything is rotated; no secret reaches the log.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { parse as parseJsonc } from 'jsonc-parser';
import * as vscode from 'vscode';
import { COMMANDS } from '../../src/constants';
import { assertNoSecret, cfRotate, exec, file, logText, resetWorld, rotate, seenSecrets, sim, SIM_URL, waitFor } from './helpers';

const GITHUB_URL = `${new URL(SIM_URL).origin}/github`;
const CONFIG = file('.vscode/cf-rotate.json');
const SETTINGS = file('.vscode/settings.json');
const STORE = 'c0ffee00c0ffee00c0ffee00c0ffee00';
const STORE_SECRET = '5ec7e75ec7e75ec7e75ec7e75ec7e700';

describe('destinations: GitHub Actions (Set GitHub Token…), Worker, Pages and Secrets Store targets', () => {
  let original: string;
  let ghToken: string;
  let tokenId: string;
  let cfTokenId: string;
  let accountId: string;

  before(async () => {
    const { api } = await resetWorld();
    assert.equal(api.settings.githubApiUrl(), GITHUB_URL, 'cfRotate.githubApiUrl comes from the user settings');
    const st = await sim.state();
    accountId = st.accounts[0]!.id;
    const seeded = await sim.seed({
      accountTokens: [{ accountId, name: 'to-github' }, { accountId, name: 'to-cloudflare' }],
      workers: [{ accountId, name: 'it-worker' }],
      pagesProjects: [{ accountId, name: 'it-site', envVars: { production: { MODE: { type: 'plain_text', value: 'prod' } } } }],
      secretsStores: [{ accountId, id: STORE, secrets: [{ id: STORE_SECRET, name: 'CF_TOKEN', value: 'before-rotation', modified: '2026-01-01T00:00:00Z' }] }],
      githubRepos: [{ name: 'acme/it', environments: ['prod'] }],
      githubTokens: [{ login: 'it' }],
    });
    tokenId = seeded.accountTokens[0]!.id;
    cfTokenId = seeded.accountTokens[1]!.id;
    ghToken = seeded.githubTokens[0]!.value;
    seenSecrets.add(ghToken);
    original = fs.readFileSync(CONFIG, 'utf8');
    const cfg = parseJsonc(original) as { tokens: unknown[] };
    cfg.tokens.push({
      name: 'to-github',
      kind: 'account-api-token',
      accountId,
      tokenId,
      targets: [
        { github: 'acme/it', key: 'CLOUDFLARE_API_TOKEN' },
        { github: 'acme/it', environment: 'prod', key: 'CLOUDFLARE_API_TOKEN' },
        { worker: 'it-worker', key: 'CF_API_TOKEN' },
      ],
    });
    cfg.tokens.push({
      name: 'to-cloudflare',
      kind: 'account-api-token',
      accountId,
      tokenId: cfTokenId,
      targets: [
        { pages: 'it-site', environment: 'production', key: 'CF_TOKEN' },
        { secretsStore: STORE, secretId: STORE_SECRET },
      ],
    });
    fs.writeFileSync(CONFIG, JSON.stringify(cfg, null, 2));
    await api.refresh();
  });

  after(async () => {
    fs.writeFileSync(CONFIG, original);
    if (fs.existsSync(SETTINGS)) {
      fs.rmSync(SETTINGS, { force: true });
      await waitFor(() => vscode.workspace.getConfiguration('cfRotate').get('reminderDays') === 7, 'the workspace settings to be gone');
    }
    await exec(COMMANDS.setGitHubToken, { clear: true });
  });

  it('Set GitHub Token… stores the token in SecretStorage; Rotate Now seals the new value into both GitHub secrets and sends it to the Worker', async () => {
    const stored = await exec<{ stored: boolean }>(COMMANDS.setGitHubToken, { token: ghToken });
    assert.equal(stored.stored, true);
    const r = await rotate('to-github');
    assert.ok(r?.ok, `ok: ${JSON.stringify(r?.error)}`);
    assert.equal(r.state, 'rotated');
    assert.deepEqual(r.targets, ['github:acme/it › CLOUDFLARE_API_TOKEN', 'github:acme/it (environment prod) › CLOUDFLARE_API_TOKEN', 'worker:it-worker › CF_API_TOKEN']);
    assert.ok(r.notes?.some((n) => /new version of the Worker/.test(n)), JSON.stringify(r.notes));
    const st = await sim.state();
    const live = st.accountTokens.find((t) => t.id === tokenId)!.value;
    seenSecrets.add(live);
    const repo = st.githubRepos.find((x) => x.name === 'acme/it')!;
    assert.equal(repo.secrets.find((s) => s.name === 'CLOUDFLARE_API_TOKEN')?.value, live, 'the repository secret opens to the new value');
    assert.equal(repo.environments[0]!.secrets.find((s) => s.name === 'CLOUDFLARE_API_TOKEN')?.value, live, 'so does the environment secret');
    assert.equal(st.workers.find((w) => w.name === 'it-worker')!.secrets[0]?.value, live);
    const puts = await sim.requests('githubPutSecret');
    assert.equal(puts.length, 2);
    for (const p of puts) assert.ok(!JSON.stringify(p.body).includes(live), 'only the sealed value travels');
  });

  it('Rotate Now sends the new value to a Pages project (a secret of its production environment, other variables kept) and to a Secrets Store secret', async () => {
    const r = await rotate('to-cloudflare');
    assert.ok(r?.ok, `ok: ${JSON.stringify(r?.error)}`);
    assert.equal(r.state, 'rotated');
    assert.deepEqual(r.targets, ['pages:it-site (production) › CF_TOKEN', `secrets-store:${STORE}/${STORE_SECRET}`]);
    assert.ok(r.notes?.some((n) => /next deployment of the Pages project/.test(n)), JSON.stringify(r.notes));
    const st = await sim.state();
    const live = st.accountTokens.find((t) => t.id === cfTokenId)!.value;
    seenSecrets.add(live);
    const site = st.pagesProjects.find((p) => p.name === 'it-site')!;
    assert.deepEqual(site.envVars.production.CF_TOKEN, { type: 'secret_text', value: live }, 'the Pages secret holds the new value');
    assert.deepEqual(site.envVars.production.MODE, { type: 'plain_text', value: 'prod' }, 'the other variable stays');
    const secret = st.secretsStores.find((x) => x.id === STORE)!.secrets.find((x) => x.id === STORE_SECRET)!;
    assert.equal(secret.value, live, 'the Secrets Store secret holds the new value');
    assert.ok(Date.parse(secret.modified) > Date.parse('2026-01-01T00:00:00Z'), `modified moved: ${secret.modified}`);
    const writes = [...(await sim.requests('editPagesProject')), ...(await sim.requests('editStoreSecret'))];
    assert.equal(writes.length, 2, 'one write each');
    const api = await cfRotate();
    const node = (await api.tree.getChildren()).find((n) => n.type === 'token' && n.name === 'to-cloudflare');
    assert.ok(node && node.type === 'token');
    assert.deepEqual(node.children.map((k) => [k.contextValue, k.icon?.id]), [['target.pages', 'globe'], ['target.secrets-store', 'lock']]);
  });

  it('the tree shows the destinations as targets with their own icons; Reveal Target refuses a destination with bad ids', async () => {
    const api = await cfRotate();
    const roots = await api.tree.getChildren();
    const token = roots.find((n) => n.type === 'token' && n.name === 'to-github');
    assert.ok(token && token.type === 'token');
    const kids = token.children;
    assert.deepEqual(kids.map((k) => k.contextValue), ['target.github', 'target.github', 'target.worker']);
    assert.deepEqual(kids.map((k) => k.icon?.id), ['github', 'github', 'cloud']);
    assert.deepEqual(kids[0]!.command?.arguments, [{ folder: token.folder, destination: { type: 'github', github: 'acme/it' } }]);
    await assert.rejects(Promise.resolve(vscode.commands.executeCommand(COMMANDS.revealTarget, { destination: { type: 'worker', accountId: 'nothex', worker: 'x' } })), /Invalid argument/);
  });

  it('cfRotate.githubApiUrl from .vscode/settings.json is ignored: the GitHub token still goes to the user setting\'s API', async () => {
    fs.writeFileSync(SETTINGS, JSON.stringify({ 'cfRotate.githubApiUrl': 'http://127.0.0.1:1/github', 'cfRotate.reminderDays': 9 }, null, 2));
    try {
      // reminderDays (window scope) proves VS Code has read the file.
      await waitFor(() => vscode.workspace.getConfiguration('cfRotate').get('reminderDays') === 9, 'VS Code to read .vscode/settings.json');
      const api = await cfRotate();
      assert.equal(api.settings.githubApiUrl(), GITHUB_URL, 'the workspace value is ignored');
      await sim.clearRequests();
      const r = await rotate('to-github');
      assert.ok(r?.ok, `ok: ${JSON.stringify(r?.error)}`);
      const st = await sim.state();
      const live = st.accountTokens.find((t) => t.id === tokenId)!.value;
      seenSecrets.add(live);
      assert.equal(st.githubRepos.find((x) => x.name === 'acme/it')!.secrets.find((x) => x.name === 'CLOUDFLARE_API_TOKEN')?.value, live, 'the simulator received it');
      assert.equal((await sim.requests('githubPutSecret')).length, 2);
    } finally {
      fs.rmSync(SETTINGS, { force: true });
      await waitFor(() => vscode.workspace.getConfiguration('cfRotate').get('reminderDays') === 7, 'the workspace settings to be gone');
    }
  });

  it('a GitHub token of an account without write access to the repository is refused before anything is rotated, naming the access needed', async () => {
    const weak = (await sim.seed({ githubTokens: [{ login: 'triager', role: 'triage' }] })).githubTokens[0]!.value;
    seenSecrets.add(weak);
    await exec(COMMANDS.setGitHubToken, { token: weak });
    try {
      const before = (await sim.state()).accountTokens.find((t) => t.id === tokenId)!.value;
      await sim.clearRequests();
      const r = await rotate('to-github');
      assert.equal(r?.ok, false);
      assert.equal(r?.state, 'failed');
      assert.equal(r?.error?.kind, 'permission');
      assert.match(r?.error?.message ?? '', /role "triage" on acme\/it; writing its Actions secrets takes write access to the repository/);
      assert.match(r?.error?.hint ?? '', /Nothing was rotated/);
      assert.equal((await sim.state()).accountTokens.find((t) => t.id === tokenId)!.value, before, 'not rotated');
      assert.deepEqual((await sim.requests('githubPutSecret')).length, 0);
    } finally {
      await exec(COMMANDS.setGitHubToken, { token: ghToken });
    }
  });

  it('without a GitHub token (cleared) the rotation is refused before anything is rotated, saying how to provide one', async () => {
    await exec(COMMANDS.setGitHubToken, { clear: true });
    const before = (await sim.state()).accountTokens.find((t) => t.id === tokenId)!.value;
    const r = await rotate('to-github');
    assert.equal(r?.ok, false);
    assert.equal(r?.state, 'failed');
    assert.equal(r?.error?.kind, 'credential-missing');
    assert.match(`${r?.error?.message} ${r?.error?.hint}`, /Set GitHub Token/);
    assert.match(`${r?.error?.message} ${r?.error?.hint}`, /Nothing was rotated/);
    assert.equal((await sim.state()).accountTokens.find((t) => t.id === tokenId)!.value, before, 'not rotated');
  });

  it('no GitHub token and no secret value reaches the log', () => {
    const log = logText();
    assertNoSecret(log, 'the log');
    assert.ok(!log.includes(ghToken));
  });
});
