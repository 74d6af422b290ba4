/**
 * The extension's side of destinations with the fake `vscode` module and the simulator: the GitHub
 * credential through VS Code's GitHub sign-in (`vscode.authentication.getSession('github',
 * ['repo'])`) and its order with a token stored by Set GitHub Token…, cfRotate.githubApiUrl from
 * the workspace ignored, and Reveal Target opening each destination's settings page with
 * `vscode.env.openExternal` (never a URL built from text that fails the ids' patterns).
 *
 * VS Code's GitHub sign-in serves github.com only, so its token goes to https://api.github.com:
 * here that origin is routed to the simulator's GitHub API (same paths below it), so what GitHub
 * receives, from which token, is checked by the simulator itself.
 */
import './fakeVscode';
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { COMMANDS, OUTPUT_CHANNEL_NAME } from '../../../src/constants';
import { activate, type CfRotateApi } from '../../../src/extension';
import { tokenNodes } from '../../../src/views/model';
import { startWorld, tempFolder, write, type World } from '../helpers/world';
import { fake, makeContext, Uri } from './fakeVscode';
import { run, settle } from './drive';

type Ctx = ReturnType<typeof makeContext>;

describe('extension: destinations (fake VS Code + simulator)', function () {
  this.timeout(30_000);
  let world: World;
  let dir: string;
  let ctx: Ctx;
  let api: CfRotateApi;
  /** URLs fetched at https://api.github.com (routed to the simulator). */
  let githubDotCom: string[];
  const realFetch = globalThis.fetch;
  const env = { state: process.env.CF_ROTATE_STATE_DIR, timeout: process.env.CF_ROTATE_TIMEOUT };

  before(() => {
    globalThis.fetch = ((input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (url.startsWith('https://api.github.com/')) {
        githubDotCom.push(url);
        return realFetch(`${world.sim.githubUrl}${url.slice('https://api.github.com'.length)}`, init);
      }
      return realFetch(input, init);
    }) as typeof fetch;
  });
  after(() => {
    globalThis.fetch = realFetch;
    process.env.CF_ROTATE_STATE_DIR = env.state;
    if (env.timeout === undefined) delete process.env.CF_ROTATE_TIMEOUT;
    else process.env.CF_ROTATE_TIMEOUT = env.timeout;
  });

  beforeEach(async () => {
    fake.reset();
    githubDotCom = [];
    world = await startWorld();
    dir = await tempFolder('cf-rotate-ext-dest-');
    process.env.CF_ROTATE_STATE_DIR = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-ext-dest-state-'));
    process.env.CF_ROTATE_TIMEOUT = '2';
  });
  afterEach(async () => {
    for (const d of ctx?.subscriptions ?? []) d.dispose();
    await world.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** A fresh account token whose targets are `targets`; the extension activated with the admin credential set. */
  async function start(targets: unknown[], settings: Record<string, { globalValue?: unknown; workspaceValue?: unknown }> = {}): Promise<{ tokenId: string }> {
    const tok = world.sim.control.addAccountToken(world.accountId, { name: 'dest' });
    await write(dir, '.vscode/cf-rotate.json', JSON.stringify({ tokens: [{ name: 'dest', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets }] }, null, 2));
    ctx = makeContext();
    fake.folders = [{ uri: Uri.file(dir), name: 'app', index: 0 }];
    fake.setSetting('cfRotate.apiBaseUrl', { globalValue: world.sim.url });
    for (const [k, v] of Object.entries(settings)) fake.setSetting(k, v);
    api = activate(ctx as unknown as vscode.ExtensionContext) as CfRotateApi;
    await api.ready;
    await settle();
    const r = await run<{ stored: boolean }>(COMMANDS.setCredential, { profile: 'default', apiToken: world.admin.token });
    assert.equal(r.stored, true);
    return { tokenId: tok.id };
  }

  const live = (tokenId: string): string => world.sim.control.state().accountTokens.find((t) => t.id === tokenId)!.value;
  const repoSecret = (repo: string, name: string): string | undefined => world.sim.control.state().githubRepos.find((r) => r.name === repo)?.secrets.find((s) => s.name === name)?.value;
  const log = (): string => (fake.channels.get(OUTPUT_CHANNEL_NAME) ?? []).join('\n');

  describe("the GitHub credential: VS Code's GitHub sign-in, or the token of Set GitHub Token…", () => {
    it("without a stored token, the sign-in's token (getSession('github', ['repo'])) writes the secret: asked to create one before the rotation, silently afterwards; the simulator saw that token", async () => {
      world.sim.control.seed({ githubRepos: [{ name: 'acme/app' }] });
      const session = world.sim.control.seed({ githubTokens: [{ login: 'signed-in' }] }).githubTokens[0]!.value;
      fake.getSession = () => ({ id: 's1', accessToken: session, account: { id: 'u1', label: 'octocat' }, scopes: ['repo'] });
      const { tokenId } = await start([{ github: 'acme/app', key: 'CLOUDFLARE_API_TOKEN' }]);
      assert.equal(api.settings.githubApiUrl(), 'https://api.github.com', 'the default: the sign-in is offered for github.com only');
      const r = await run<{ ok: boolean; state: string; error?: unknown }>(COMMANDS.rotate, { name: 'dest', confirm: false });
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal(repoSecret('acme/app', 'CLOUDFLARE_API_TOKEN'), live(tokenId), 'sealed by cf-rotate, opened by the simulator: the new value');
      assert.ok(fake.sessionCalls.length >= 2);
      for (const c of fake.sessionCalls) {
        assert.equal(c.providerId, 'github');
        assert.deepEqual(c.scopes, ['repo']);
      }
      assert.deepEqual(fake.sessionCalls[0]!.options, { createIfNone: true }, 'the preflight may ask the user to sign in');
      assert.ok(fake.sessionCalls.slice(1).every((c) => JSON.stringify(c.options) === JSON.stringify({ silent: true })), 'the write phase never waits for a sign-in');
      const gh = world.sim.control.requests().filter((x) => x.op?.startsWith('github'));
      assert.deepEqual([...new Set(gh.map((x) => x.credential))], ['github:signed-in'], "every GitHub request carried the session's token");
      assert.deepEqual([...new Set(gh.map((x) => x.op))].sort(), ['githubGetPublicKey', 'githubGetRepo', 'githubGetSecret', 'githubPutSecret']);
      assert.ok(githubDotCom.length === gh.length && githubDotCom.every((u) => u.startsWith('https://api.github.com/repos/acme/app')), 'sent to https://api.github.com');
      assert.ok(!fake.transcript().includes(session), 'the session token appears nowhere');
      assert.ok(!fake.transcript().includes(live(tokenId)));
    });

    it('a token stored with Set GitHub Token… is used before the sign-in (getSession is not asked)', async () => {
      world.sim.control.seed({ githubRepos: [{ name: 'acme/app' }] });
      const stored = world.sim.control.seed({ githubTokens: [{ login: 'stored' }] }).githubTokens[0]!.value;
      fake.getSession = () => assert.fail('the sign-in must not be asked while a token is stored');
      const { tokenId } = await start([{ github: 'acme/app', key: 'K' }]);
      await run(COMMANDS.setGitHubToken, { token: stored });
      const r = await run<{ ok: boolean }>(COMMANDS.rotate, { name: 'dest', confirm: false });
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal(repoSecret('acme/app', 'K'), live(tokenId));
      assert.deepEqual(fake.sessionCalls, []);
      assert.deepEqual([...new Set(world.sim.control.requests().filter((x) => x.op?.startsWith('github')).map((x) => x.credential))], ['github:stored']);
    });

    it('no session (declined, or no GitHub provider) or a failing sign-in: refused before anything is rotated, saying how to provide a token', async () => {
      world.sim.control.seed({ githubRepos: [{ name: 'acme/app' }] });
      const { tokenId } = await start([{ github: 'acme/app', key: 'K' }]);
      const before = live(tokenId);
      const answers: [() => unknown, RegExp][] = [
        [() => undefined, /^github:acme\/app › K cannot receive the new secret of "dest": No GitHub token is available to write GitHub Actions secrets\.$/],
        [
          () => {
            throw new Error('No authentication provider for github');
          },
          /VS Code's GitHub sign-in: No authentication provider for github/,
        ],
      ];
      for (const [answer, re] of answers) {
        fake.getSession = answer;
        const r = await run<{ ok: boolean; state: string; error?: { kind: string; message: string; hint?: string } }>(COMMANDS.rotate, { name: 'dest', confirm: false });
        assert.equal(r.ok, false);
        assert.equal(r.state, 'failed');
        assert.equal(r.error?.kind, 'credential-missing');
        assert.match(r.error!.message, re);
        assert.match(r.error!.hint ?? '', /Sign in to GitHub in VS Code \(Accounts menu\), or run "Cloudflare Rotate: Set GitHub Token…"\. Nothing was rotated\./);
        assert.equal(live(tokenId), before, 'not rotated');
      }
      assert.deepEqual(githubDotCom, [], 'nothing was sent to GitHub');
    });

    it('with cfRotate.githubApiUrl set (GitHub Enterprise, here the simulator) the sign-in is never asked: its token is for github.com', async () => {
      world.sim.control.seed({ githubRepos: [{ name: 'acme/app' }] });
      fake.getSession = () => assert.fail('not for another GitHub server');
      await start([{ github: 'acme/app', key: 'K' }], { 'cfRotate.githubApiUrl': { globalValue: world.sim.githubUrl } });
      const r = await run<{ ok: boolean; error?: { kind: string; message: string; hint?: string } }>(COMMANDS.rotate, { name: 'dest', confirm: false });
      assert.equal(r.error?.kind, 'credential-missing');
      assert.match(r.error!.message, /cfRotate\.githubApiUrl is http:\/\/127\.0\.0\.1:\d+\/github: VS Code's GitHub sign-in covers github\.com only/);
      assert.match(r.error!.hint ?? '', /^Run "Cloudflare Rotate: Set GitHub Token…" with a token of that GitHub server\. Nothing was rotated\.$/);
      assert.deepEqual(fake.sessionCalls, []);
    });
  });

  describe('cfRotate.githubApiUrl from the workspace (a cloned .vscode/settings.json) is ignored', () => {
    it('alone: the GitHub token still goes to https://api.github.com; beside a user value: the user value; the log says so once', async () => {
      world.sim.control.seed({ githubRepos: [{ name: 'acme/app' }] });
      const session = world.sim.control.seed({ githubTokens: [{ login: 'signed-in' }] }).githubTokens[0]!.value;
      fake.getSession = () => ({ id: 's1', accessToken: session, account: { id: 'u1', label: 'octocat' }, scopes: ['repo'] });
      const evil = 'https://evil.example/api/v3';
      const { tokenId } = await start([{ github: 'acme/app', key: 'K' }], { 'cfRotate.githubApiUrl': { workspaceValue: evil } });
      assert.equal(api.settings.githubApiUrl(), 'https://api.github.com');
      const r = await run<{ ok: boolean }>(COMMANDS.rotate, { name: 'dest', confirm: false });
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal(repoSecret('acme/app', 'K'), live(tokenId));
      assert.ok(githubDotCom.length > 0 && githubDotCom.every((u) => u.startsWith('https://api.github.com/')));
      assert.equal((log().match(/Ignoring cfRotate\.githubApiUrl from the workspace settings: only the user setting may change where the GitHub token is sent\./g) ?? []).length, 1, log());
      // The workspace value beside a user value: the user value (here the simulator, with a stored token).
      fake.setSetting('cfRotate.githubApiUrl', { globalValue: world.sim.githubUrl, workspaceValue: evil });
      assert.equal(api.settings.githubApiUrl(), world.sim.githubUrl);
      // Reveal Target's GitHub page follows the effective API too: github.com for the simulator's http URL, never the workspace's host.
      await run(COMMANDS.revealTarget, { destination: { type: 'github', github: 'acme/app' } });
      assert.deepEqual(fake.opened, ['https://github.com/acme/app/settings/secrets/actions']);
    });
  });

  describe('Reveal Target on a destination: vscode.env.openExternal with its settings page', () => {
    const STORE = 'cccccccccccccccccccccccccccccccc';
    it('the Worker, Pages, Secrets Store and GitHub nodes of the tree open their https settings pages', async () => {
      await start([
        { worker: 'api-gateway', key: 'K' },
        { pages: 'marketing-site', environment: 'production', key: 'K' },
        { secretsStore: STORE, secretId: 'dddddddddddddddddddddddddddddddd' },
        { github: 'acme/app', key: 'K' },
        { github: 'acme/app', environment: 'prod', key: 'K2' },
      ]);
      const node = tokenNodes(api.tree.roots())[0]!;
      const opened: string[] = [];
      for (const child of node.children) {
        assert.equal(child.command?.command, COMMANDS.revealTarget);
        const r = await run<{ url: string; opened: boolean }>(COMMANDS.revealTarget, child.command.arguments?.[0]);
        assert.equal(r.opened, true);
        opened.push(r.url);
      }
      const a = world.accountId;
      const expected = [
        `https://dash.cloudflare.com/${a}/workers/services/view/api-gateway/production/settings`,
        `https://dash.cloudflare.com/${a}/pages/view/marketing-site/settings/production`,
        `https://dash.cloudflare.com/${a}/secrets-store`,
        'https://github.com/acme/app/settings/secrets/actions',
        'https://github.com/acme/app/settings/environments',
      ];
      assert.deepEqual(opened, expected);
      assert.deepEqual(fake.opened, expected, 'exactly these, through vscode.env.openExternal');
      assert.deepEqual(world.sim.control.requests().filter((x) => x.op !== 'verifyUserToken' && x.op !== 'getUser'), [], 'revealing calls no API');
    });

    it('a GitHub Enterprise Server API (user setting) opens that server\'s pages', async () => {
      await start([{ github: 'acme/app', key: 'K' }], { 'cfRotate.githubApiUrl': { globalValue: 'https://ghe.example.com/api/v3' } });
      await run(COMMANDS.revealTarget, { destination: { type: 'github', github: 'acme/app', environment: 'prod' } });
      assert.deepEqual(fake.opened, ['https://ghe.example.com/acme/app/settings/environments']);
    });

    it('never opens a URL built from ids that fail their patterns (script arguments)', async () => {
      await start([{ worker: 'api-gateway', key: 'K' }]);
      const bad: unknown[] = [
        { type: 'worker', accountId: 'nothex', worker: 'x' },
        { type: 'worker', accountId: world.accountId, worker: 'javascript:alert(1)' },
        { type: 'worker', accountId: world.accountId, worker: '../../evil' },
        { type: 'pages', accountId: world.accountId, pages: 'Upper/Case' },
        { type: 'secrets-store', accountId: world.accountId, secretsStore: 'x'.repeat(32) },
        { type: 'github', github: 'evil.example/../x' },
        { type: 'github', github: '@evil.example/x' },
        { type: 'github', github: 'acme/app?x=1' },
        { type: 'github', github: 'acme/app', environment: 'prod/../../x' },
        { type: 'mailto', github: 'acme/app' },
      ];
      for (const destination of bad) {
        await assert.rejects(run(COMMANDS.revealTarget, { destination }), /Invalid argument for cfRotate\.revealTarget|needs a target/, JSON.stringify(destination));
      }
      assert.deepEqual(fake.opened, []);
    });
  });
});
