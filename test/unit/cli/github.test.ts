/**
 * The CLI's GitHub credential and API base come from its environment only: GH_TOKEN, else
 * GITHUB_TOKEN (GH_TOKEN wins when both are set, as gh reads them); GITHUB_API_URL, else
 * https://api.github.com. A cloned repository's .vscode/settings.json that sets
 * cfRotate.githubApiUrl changes nothing (the CLI does not read it). Checked at the simulator,
 * which records which GitHub token each request carried, and through a forward proxy, which
 * records the host a request was for (and carries nothing beyond loopback).
 */
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import { startForwardProxy, type ForwardProxy } from '../../harness/forwardProxy';
import { startWorld, tempFolder, write, type World } from '../helpers/world';

describe('CLI: the GitHub token and API come from the environment only', function () {
  this.timeout(30_000);
  let world: World;
  let folder: string;
  let stateDir: string;
  let proxy: ForwardProxy;
  /** A server the workspace's settings point at: it must never be asked anything. */
  let evil: http.Server;
  let evilUrl: string;
  const evilRequests: string[] = [];
  const outputs: string[] = [];
  let tokenId: string;

  before(async () => {
    world = await startWorld();
    proxy = await startForwardProxy();
    evil = http.createServer((req, res) => {
      evilRequests.push(`${req.method} ${req.url}`);
      res.writeHead(500).end();
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}/api/v3`;
  });
  after(async () => {
    const st = world.sim.control.state();
    const secrets = [...st.accountTokens.flatMap((t) => [t.value, t.previousValue ?? '']), ...st.githubTokens.map((t) => t.value), world.admin.token].filter(Boolean);
    for (const out of outputs) for (const s of secrets) assert.ok(!out.includes(s), 'a secret appeared in CLI output');
    await proxy.close();
    await new Promise((r) => evil.close(r));
    await world.close();
  });

  beforeEach(async () => {
    folder = await tempFolder();
    stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-gh-state-'));
    const tok = world.sim.control.addAccountToken(world.accountId, { name: 'gh' });
    tokenId = tok.id;
    world.sim.control.seed({ githubRepos: [{ name: 'acme/cli' }] });
    await write(folder, '.vscode/cf-rotate.json', JSON.stringify({ tokens: [{ name: 'gh', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ github: 'acme/cli', key: 'CLOUDFLARE_API_TOKEN' }] }] }));
    // What a cloned repository could carry: the extension's setting, pointing elsewhere.
    await write(folder, '.vscode/settings.json', JSON.stringify({ 'cfRotate.githubApiUrl': evilUrl, 'cfRotate.apiBaseUrl': evilUrl }));
  });
  afterEach(async () => {
    await fs.rm(folder, { recursive: true, force: true });
    await fs.rm(stateDir, { recursive: true, force: true });
  });

  async function cli(env: Record<string, string>, ...args: string[]): Promise<{ code: number; out: string }> {
    let out = '';
    const base = { CLOUDFLARE_API_TOKEN: world.admin.token, CLOUDFLARE_API_BASE_URL: world.sim.url, CF_ROTATE_STATE_DIR: stateDir, CF_ROTATE_TIMEOUT: '2' };
    const code = await main(args, { stdout: (s) => (out += s), stderr: (s) => (out += s), env: { ...base, ...env }, cwd: folder });
    outputs.push(out);
    return { code, out };
  }

  const ghToken = (login: string): string => world.sim.control.seed({ githubTokens: [{ login }] }).githubTokens[0]!.value;
  const live = (): string => world.sim.control.state().accountTokens.find((t) => t.id === tokenId)!.value;
  const held = (): string | undefined => world.sim.control.state().githubRepos.find((r) => r.name === 'acme/cli')?.secrets.find((s) => s.name === 'CLOUDFLARE_API_TOKEN')?.value;
  /** Which GitHub token (by its login) the simulator saw since `from`. */
  const callers = (from: number): string[] => [...new Set(world.sim.control.requests().slice(from).filter((x) => x.op?.startsWith('github')).map((x) => x.credential))];

  it('GITHUB_TOKEN is used when GH_TOKEN is unset (or empty)', async () => {
    for (const GH_TOKEN of [undefined, '']) {
      const from = world.sim.control.requests().length;
      const r = await cli({ GITHUB_TOKEN: ghToken('from-github-token'), GITHUB_API_URL: world.sim.githubUrl, ...(GH_TOKEN !== undefined ? { GH_TOKEN } : {}) }, 'rotate', 'gh');
      assert.equal(r.code, 0, r.out);
      assert.equal(held(), live());
      assert.deepEqual(callers(from), ['github:from-github-token']);
    }
  });

  it('GH_TOKEN wins when both are set; an error names the variable the token came from', async () => {
    const from = world.sim.control.requests().length;
    const r = await cli({ GH_TOKEN: ghToken('from-gh-token'), GITHUB_TOKEN: ghToken('from-github-token'), GITHUB_API_URL: world.sim.githubUrl }, 'rotate', 'gh');
    assert.equal(r.code, 0, r.out);
    assert.equal(held(), live());
    assert.deepEqual(callers(from), ['github:from-gh-token']);
    // A rejected GH_TOKEN is not replaced by a working GITHUB_TOKEN: refused, naming GH_TOKEN.
    const before = live();
    const bad = await cli({ GH_TOKEN: `ghp_${'Z'.repeat(36)}`, GITHUB_TOKEN: ghToken('unused'), GITHUB_API_URL: world.sim.githubUrl }, 'rotate', 'gh');
    assert.equal(bad.code, 1);
    assert.match(bad.out, /GitHub rejected the GitHub token \(GH_TOKEN\)/);
    assert.match(bad.out, /Nothing was rotated/);
    assert.equal(live(), before);
    const rejected = await cli({ GITHUB_TOKEN: `ghp_${'Y'.repeat(36)}`, GITHUB_API_URL: world.sim.githubUrl }, 'rotate', 'gh');
    assert.match(rejected.out, /GitHub rejected the GitHub token \(GITHUB_TOKEN\)/);
  });

  it("a workspace .vscode/settings.json setting cfRotate.githubApiUrl is ignored: GITHUB_API_URL decides, else https://api.github.com", async () => {
    const from = world.sim.control.requests().length;
    const r = await cli({ GH_TOKEN: ghToken('octo'), GITHUB_API_URL: world.sim.githubUrl }, 'rotate', 'gh');
    assert.equal(r.code, 0, r.out);
    assert.equal(held(), live(), 'the secret went to GITHUB_API_URL');
    assert.deepEqual(callers(from), ['github:octo']);
    // Without GITHUB_API_URL the token goes to api.github.com (through the proxy, which only records the
    // host: it carries nothing beyond loopback, so GitHub's refusal ends the preflight, and nothing rotates).
    const before = live();
    const offline = await cli({ GH_TOKEN: ghToken('octo2'), HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1' }, 'rotate', 'gh', '--dry-run');
    assert.equal(offline.code, 1, offline.out);
    assert.match(offline.out, /using proxy http:\/\/127\.0\.0\.1:\d+ \(HTTPS_PROXY\) for api\.github\.com/);
    assert.match(offline.out, /Could not reach GitHub at api\.github\.com while reading the repository acme\/cli .*Nothing was rotated/);
    assert.ok(proxy.requests.some((x) => x.method === 'CONNECT' && x.target === 'api.github.com:443'), JSON.stringify(proxy.requests));
    assert.ok(proxy.requests.every((x) => x.target === 'api.github.com:443'), 'nothing else went through the proxy');
    assert.equal(live(), before);
    assert.deepEqual(evilRequests, [], "the workspace's URL was never asked");
  });
});
