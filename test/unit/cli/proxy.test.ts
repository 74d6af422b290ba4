/**
 * The CLI behind a proxy: HTTPS_PROXY / HTTP_PROXY / NO_PROXY through undici's EnvHttpProxyAgent
 * (src/cli/proxy.ts, its own bundle dist/proxy.js), loaded only when a proxy applies. The
 * simulator is http on loopback, so HTTP_PROXY applies; NO_PROXY is cleared so that no loopback
 * default bypasses the proxy, and the proxy must have carried every request the simulator saw.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'dotenv';
import * as http from 'node:http';
import { main } from '../../../src/cli/main';
import { createProxyTransport } from '../../../src/cli/proxy';
import { readBodyCapped, ResponseTooLargeError } from '../../../src/core/cloudflare/transport';
import { bypassesProxy, displayProxy, proxyFor, proxySettings } from '../../../src/cli/proxyEnv';
import { startForwardProxy, type ForwardProxy } from '../../harness/forwardProxy';
import { repoRoot } from '../../harness/util';
import { read, startWorld, tempFolder, write, type World } from '../helpers/world';

const run = promisify(execFile);
const ROOT = repoRoot();
const PASSWORD = 'pr0xy-Secret-9f3a';

/** The environment of a child process without any proxy variable of this machine. */
function withoutProxyVars(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!/^(https?|no|all)_proxy$/i.test(k)) out[k] = v;
  return out;
}

describe('proxy settings (src/cli/proxyEnv.ts)', () => {
  it('reads HTTPS_PROXY / HTTP_PROXY / NO_PROXY, lower case first, as undici does', () => {
    assert.equal(proxySettings({}), undefined);
    assert.equal(proxySettings({ NO_PROXY: 'example.com' }), undefined, 'NO_PROXY alone is no proxy');
    const s = proxySettings({ HTTPS_PROXY: 'http://upper:3128', https_proxy: 'http://lower:3128', NO_PROXY: 'a.example' });
    assert.ok(s);
    assert.equal(s.httpsProxy, 'http://lower:3128');
    assert.equal(s.from.httpsProxy, 'https_proxy');
    assert.equal(s.noProxy, 'a.example');
    assert.equal(proxySettings({ https_proxy: '', HTTPS_PROXY: 'http://upper:3128' }), undefined, 'an empty lower-case variable wins');
  });

  it('picks the proxy for the API URL, honouring NO_PROXY (hosts, subdomains, ports, *)', () => {
    const api = new URL('https://api.cloudflare.com/client/v4');
    const s = proxySettings({ HTTP_PROXY: 'http://p1:8080', HTTPS_PROXY: 'http://p2:8080' });
    assert.deepEqual(proxyFor(api, s!), { url: 'http://p2:8080', variable: 'HTTPS_PROXY' });
    assert.deepEqual(proxyFor(api, proxySettings({ HTTP_PROXY: 'http://p1:8080' })!), { url: 'http://p1:8080', variable: 'HTTP_PROXY' }, 'https falls back to HTTP_PROXY');
    assert.equal(proxyFor(new URL('http://127.0.0.1:9/client/v4'), proxySettings({ HTTPS_PROXY: 'http://p2:8080' })!), undefined, 'http needs HTTP_PROXY');
    for (const no of ['cloudflare.com', '.cloudflare.com', '*.cloudflare.com', 'api.cloudflare.com:443', '*', 'x.example, api.cloudflare.com']) {
      assert.equal(bypassesProxy(api, no), true, no);
    }
    for (const no of ['', 'example.com', 'api.cloudflare.com:8443', 'flare.com']) assert.equal(bypassesProxy(api, no), false, no);
  });

  it('the proxy transport reads at most the cap of an answer (chunked or declared), as the direct transport does', async function () {
    this.timeout(30_000);
    const BIG = 5 * 1024 * 1024;
    const server = http.createServer((req, res) => {
      if (req.url === '/small') return void res.end('{"ok":true}');
      if (req.url === '/declared') {
        res.writeHead(200, { 'content-length': String(BIG) });
        return void res.write(Buffer.alloc(1024));
      }
      // Chunked, no length: 5 MiB in 64 KiB pieces.
      res.writeHead(200);
      let sent = 0;
      const more = (): void => {
        while (sent < BIG) {
          sent += 65_536;
          if (!res.write(Buffer.alloc(65_536, 0x61))) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    // NO_PROXY=* : the same transport, straight to the server, with the cap the CLI passes (at 1 MiB here).
    const t = createProxyTransport({ httpProxy: 'http://127.0.0.1:9', httpsProxy: '', noProxy: '*' }, { read: (declared, chunks, cancel) => readBodyCapped(declared, chunks, cancel, 1024 * 1024) });
    try {
      assert.equal((await t.send({ method: 'GET', url: `http://127.0.0.1:${port}/small`, headers: {}, signal: AbortSignal.timeout(20_000) })).text, '{"ok":true}');
      await assert.rejects(t.send({ method: 'GET', url: `http://127.0.0.1:${port}/chunked`, headers: {}, signal: AbortSignal.timeout(20_000) }), ResponseTooLargeError);
      await assert.rejects(t.send({ method: 'GET', url: `http://127.0.0.1:${port}/declared`, headers: {}, signal: AbortSignal.timeout(20_000) }), ResponseTooLargeError);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('shows a proxy without its user name or password', () => {
    assert.equal(displayProxy(`http://alice:${PASSWORD}@proxy.corp.example:3128/`), 'http://proxy.corp.example:3128');
    assert.equal(displayProxy(`not a url ${PASSWORD}`), '(not a valid URL)');
  });
});

describe('cf-rotate through a forward proxy (against the simulator)', function () {
  this.timeout(60_000);
  let world: World;
  let proxy: ForwardProxy;
  let folder: string;
  let stateDir: string;
  let deploy: { id: string; value: string };
  let proxyUrl: string;

  before(async () => {
    world = await startWorld();
    proxy = await startForwardProxy({ auth: { user: 'ci', password: PASSWORD } });
    proxyUrl = `http://ci:${PASSWORD}@127.0.0.1:${proxy.port}`;
  });
  after(async () => {
    await proxy.close();
    await world.close();
  });

  beforeEach(async () => {
    folder = await tempFolder();
    stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-state-'));
    deploy = world.sim.control.addAccountToken(world.accountId, { name: `deploy-${Date.now()}` });
    await write(folder, '.vscode/cf-rotate.json', JSON.stringify({
      tokens: [{ name: 'deploy', kind: 'account-api-token', accountId: world.accountId, tokenId: deploy.id, targets: [{ file: '.env', key: 'CLOUDFLARE_API_TOKEN' }] }],
    }));
    await write(folder, '.env', `CLOUDFLARE_API_TOKEN=${deploy.value}\nOTHER=1\n`);
    world.sim.control.clearRequests();
    proxy.requests.length = 0;
  });
  afterEach(async () => {
    await fs.rm(folder, { recursive: true, force: true });
    await fs.rm(stateDir, { recursive: true, force: true });
  });

  function env(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    return { ...world.adminEnv, CLOUDFLARE_API_BASE_URL: world.sim.url, CF_ROTATE_STATE_DIR: stateDir, ...extra };
  }

  function liveValue(): string {
    return world.sim.control.state().accountTokens.find((t) => t.id === deploy.id)!.value;
  }

  /** Every request the simulator answered came through the proxy, and nothing else did. */
  async function assertAllProxied(): Promise<void> {
    const carried = proxy.requestLines().map((l) => l.replace(/\?\S*/, '').replace(/ HTTP\/1\.1$/, '')).sort();
    // The simulator records a request just after answering it: give the last one a moment.
    for (let i = 0; i < 50 && world.sim.control.requests().length < carried.length; i++) await new Promise((r) => setTimeout(r, 20));
    const seen = world.sim.control.requests().map((r) => `${r.method} ${r.path}`).sort();
    assert.ok(seen.length >= 2, `the rotation made requests (${seen.length})`);
    assert.deepEqual(carried, seen, 'the proxy carried exactly the requests the simulator saw');
    for (const r of proxy.requests) assert.equal(r.proxyAuthorization, `Basic ${Buffer.from(`ci:${PASSWORD}`).toString('base64')}`);
  }

  it('main(): HTTP_PROXY with credentials carries every request; stderr names the proxy, never the password', async () => {
    let stdout = '';
    let stderr = '';
    const code = await main(['rotate', 'deploy'], { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), env: env({ HTTP_PROXY: proxyUrl }), cwd: folder });
    assert.equal(code, 0, stderr);
    assert.match(stderr, new RegExp(`using proxy http://127\\.0\\.0\\.1:${proxy.port} \\(HTTP_PROXY\\) for 127\\.0\\.0\\.1:`));
    assert.ok(!`${stdout}${stderr}`.includes(PASSWORD), 'the proxy password is never printed');
    assert.ok(proxy.requests.some((r) => r.method === 'CONNECT'), 'undici tunnels through CONNECT');
    await assertAllProxied();
    assert.equal(parse(await read(folder, '.env')).CLOUDFLARE_API_TOKEN, liveValue());
  });

  it('the bundled dist/cli.js loads dist/proxy.js only when a proxy applies', async () => {
    const cliJs = path.join(ROOT, 'dist', 'cli.js');
    const preload = path.join(stateDir, 'loaded.js');
    // Prints, at exit, which of dist/*.js this process loaded.
    await fs.writeFile(preload, `process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify(Object.keys(require.cache).filter((f) => f.includes(${JSON.stringify(path.join(ROOT, 'dist'))})).map((f) => require('path').basename(f))) + '\\n'));\n`);
    const base = withoutProxyVars(process.env);
    const direct = await run(process.execPath, ['-r', preload, cliJs, 'rotate', 'deploy', '--dry-run'], { cwd: folder, env: { ...base, ...env({}) } });
    assert.match(direct.stderr, /LOADED \["cli\.js"\]/);
    assert.equal(proxy.requests.length, 0);
    world.sim.control.clearRequests(); // the dry run checked the credential, directly

    const proxied = await run(process.execPath, ['-r', preload, cliJs, 'rotate', 'deploy'], { cwd: folder, env: { ...base, ...env({ http_proxy: proxyUrl }) } });
    assert.match(proxied.stderr, /LOADED \["cli\.js","proxy\.js"\]/);
    assert.match(proxied.stderr, /using proxy http:\/\/127\.0\.0\.1:\d+ \(http_proxy\)/);
    assert.ok(!`${proxied.stdout}${proxied.stderr}`.includes(PASSWORD));
    await assertAllProxied();
    assert.equal(parse(await read(folder, '.env')).CLOUDFLARE_API_TOKEN, liveValue());
  });

  it('NO_PROXY that names the API host connects directly and says so; the proxy carries nothing', async () => {
    let stderr = '';
    const code = await main(['rotate', 'deploy'], { stdout: () => undefined, stderr: (s) => (stderr += s), env: env({ HTTP_PROXY: proxyUrl, NO_PROXY: 'localhost,127.0.0.1' }), cwd: folder });
    assert.equal(code, 0, stderr);
    assert.match(stderr, /HTTP_PROXY set, but NO_PROXY excludes 127\.0\.0\.1:\d+: connecting directly/);
    assert.equal(proxy.requests.length, 0);
    assert.equal(parse(await read(folder, '.env')).CLOUDFLARE_API_TOKEN, liveValue());
  });

  it('a proxy that refuses the credentials: exit 1, the reason, nothing rotated, no password in the output', async () => {
    let stdout = '';
    let stderr = '';
    const code = await main(['rotate', 'deploy'], { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), env: env({ HTTP_PROXY: `http://ci:wrong-${PASSWORD}@127.0.0.1:${proxy.port}` }), cwd: folder });
    assert.equal(code, 1);
    assert.match(stderr, /proxy answered 407/);
    assert.ok(!`${stdout}${stderr}`.includes(PASSWORD));
    assert.equal(world.sim.control.requests().length, 0, 'nothing reached Cloudflare');
    assert.equal(liveValue(), deploy.value, 'not rotated');
    assert.equal(parse(await read(folder, '.env')).CLOUDFLARE_API_TOKEN, deploy.value);
  });

  it('an invalid proxy URL is a configuration error (exit 2) that does not echo the value', async () => {
    let stderr = '';
    const code = await main(['rotate', 'deploy'], { stdout: () => undefined, stderr: (s) => (stderr += s), env: env({ HTTPS_PROXY: `::${PASSWORD}::` }), cwd: folder });
    assert.equal(code, 2);
    assert.match(stderr, /HTTPS_PROXY is set but is not a valid proxy URL; nothing was sent/);
    assert.ok(!stderr.includes(PASSWORD));
  });
});
