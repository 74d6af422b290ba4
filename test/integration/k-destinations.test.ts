/**
 * Destinations in the real VS Code (code-server, where VS Code has no GitHub sign-in): a GitHub
 * Actions target through the SecretStorage token of "Set GitHub Token…" (repository and environment
 * secrets, sealed by cf-rotate and opened by the simulator) and a Worker secret, written by the
 * Rotate Now command; the tree shows them as targets of their own; without a GitHub token the
 * rotation is refused before anything is rotated; no secret reaches the log.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { parse as parseJsonc } from 'jsonc-parser';
import * as vscode from 'vscode';
import { COMMANDS } from '../../src/constants';
import { assertNoSecret, cfRotate, exec, file, logText, resetWorld, rotate, seenSecrets, sim, SIM_URL } from './helpers';

const GITHUB_URL = `${new URL(SIM_URL).origin}/github`;
const CONFIG = file('.vscode/cf-rotate.json');

describe('destinations: a GitHub Actions target (Set GitHub Token…) and a Worker secret', () => {
  let original: string;
  let ghToken: string;
  let tokenId: string;
  let accountId: string;

  before(async () => {
    const { api } = await resetWorld();
    assert.equal(api.settings.githubApiUrl(), GITHUB_URL, 'cfRotate.githubApiUrl comes from the user settings');
    const st = await sim.state();
    accountId = st.accounts[0]!.id;
    const seeded = await sim.seed({
      accountTokens: [{ accountId, name: 'to-github' }],
      workers: [{ accountId, name: 'it-worker' }],
      githubRepos: [{ name: 'acme/it', environments: ['prod'] }],
      githubTokens: [{ login: 'it' }],
    });
    tokenId = seeded.accountTokens[0]!.id;
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
    fs.writeFileSync(CONFIG, JSON.stringify(cfg, null, 2));
    await api.refresh();
  });

  after(async () => {
    fs.writeFileSync(CONFIG, original);
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
