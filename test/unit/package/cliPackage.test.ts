/**
 * The CLI's npm package (packages/cli): `npm pack` gives only the bundled CLI (+ its lazily loaded
 * proxy bundle), README and LICENSE; installing the tarball globally gives `cf-rotate` on PATH;
 * the installed command rotates a token against the simulator under the Node running the tests
 * (20) and under Node 22 and 24 (from the npm registry, test/harness/nodeRuntime.ts), directly
 * and through a forward proxy. The repository's packages/cli is not touched: everything is staged
 * in a temporary folder.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { BuildOptions } from 'esbuild';
import * as esbuild from 'esbuild';
import { parse } from 'dotenv';
import { startForwardProxy, type ForwardProxy } from '../../harness/forwardProxy';
import { NODE_RUNTIMES, nodeRuntime } from '../../harness/nodeRuntime';
import { cleanEnv, repoRoot } from '../../harness/util';
import { startWorld, type World } from '../helpers/world';

const execFileP = promisify(execFile);
const ROOT = repoRoot();

interface BuildScript {
  cliPackageTargets(dir?: string): BuildOptions[];
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const script = require(path.join(ROOT, 'esbuild.js')) as BuildScript;

interface PackedFile {
  path: string;
}

/** Environment for child npm / cf-rotate runs: no npm_* of the outer `npm run`, no proxy of this machine. */
function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = cleanEnv();
  for (const k of Object.keys(env)) if (/^(https?|no|all)_proxy$/i.test(k) || /^CLOUDFLARE_|^CF_ROTATE_/.test(k)) delete env[k];
  return { ...env, ...extra };
}

describe('package: the cf-rotate npm package (packages/cli)', function () {
  this.timeout(300_000);
  let tmp: string;
  let stage: string;
  let tarball: string;
  let packed: PackedFile[];
  let prefix: string;
  let world: World;
  let proxy: ForwardProxy;

  before(async () => {
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cf-rotate-cli-pkg-')));
    stage = path.join(tmp, 'cli');
    fs.mkdirSync(stage);
    for (const f of ['package.json', 'README.md']) fs.copyFileSync(path.join(ROOT, 'packages', 'cli', f), path.join(stage, f));
    fs.copyFileSync(path.join(ROOT, 'LICENSE'), path.join(stage, 'LICENSE'));
    // The production bundles, as `npm run build:cli` makes them (action.js too: it must stay out of the tarball).
    await Promise.all(script.cliPackageTargets(path.join(stage, 'dist')).map((t) => esbuild.build({ ...t, absWorkingDir: ROOT, logLevel: 'silent' })));
    fs.writeFileSync(path.join(stage, 'dist', 'cli.js.map'), '{}'); // a stray source map must not be packed either
    const { stdout } = await execFileP('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: stage, env: childEnv() });
    const info = (JSON.parse(stdout) as { filename: string; files: PackedFile[] }[])[0];
    assert.ok(info);
    tarball = path.join(tmp, info.filename);
    packed = info.files;
    prefix = path.join(tmp, 'prefix');
    await execFileP('npm', ['install', '--global', '--prefix', prefix, '--offline', '--ignore-scripts', '--no-audit', '--no-fund', tarball], { cwd: tmp, env: childEnv() });
    world = await startWorld();
    proxy = await startForwardProxy();
  });

  after(async () => {
    await proxy?.close();
    await world?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('npm pack holds only the bundled CLI, its proxy bundle, README, LICENSE and package.json', () => {
    assert.deepEqual(packed.map((f) => f.path).sort(), ['LICENSE', 'README.md', 'dist/cli.js', 'dist/proxy.js', 'dist/sealbox.js', 'package.json']);
    assert.ok(fs.statSync(tarball).size < 400 * 1024, `the tarball is ${fs.statSync(tarball).size} bytes`);
  });

  it('its package.json: a bin, no runtime dependencies, a supported Node, the project version', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'packages', 'cli', 'package.json'), 'utf8')) as Record<string, unknown>;
    const root = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(pkg.name, 'cf-rotate');
    assert.equal(pkg.version, root.version, 'packages/cli/package.json and package.json have one version');
    assert.deepEqual(pkg.bin, { 'cf-rotate': 'dist/cli.js' });
    for (const k of ['dependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies']) assert.equal(pkg[k], undefined, `no ${k}`);
    assert.equal((pkg.engines as { node: string }).node, '>=20.18.1');
    const scripts = (pkg.scripts ?? {}) as Record<string, string>;
    for (const s of ['preinstall', 'install', 'postinstall', 'prepare']) assert.equal(scripts[s], undefined, `no ${s} script runs on the user's machine`);
  });

  it("the GitHub Action's release steps (CONTRIBUTING.md) commit every bundle the package ships, and the action's entry", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'packages', 'cli', 'package.json'), 'utf8')) as { files: string[] };
    const steps = fs.readFileSync(path.join(ROOT, 'CONTRIBUTING.md'), 'utf8');
    const add = /^\s*git add --force (.+)$/m.exec(steps)?.[1];
    assert.ok(add, 'CONTRIBUTING.md has the release commit\'s git add --force line');
    const committed = new Set(add.trim().split(/\s+/));
    // A file the CLI loads lazily (proxy support, GitHub's sealed boxes) left out would fail only after Cloudflare rotated.
    const needed = [...pkg.files, 'dist/action.js'].map((f) => `packages/cli/${f}`);
    assert.deepEqual(needed.filter((f) => !committed.has(f)), [], 'bundles the release commit leaves out');
    const action = fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8');
    assert.ok(action.includes('packages/cli/dist/action.js'), 'action.yml runs the committed entry');
  });

  it('installed globally, cf-rotate is on PATH', async () => {
    const bin = path.join(prefix, 'bin', 'cf-rotate');
    assert.ok(fs.existsSync(bin), `${bin} exists`);
    const { stdout } = await execFileP('cf-rotate', ['--version'], { env: childEnv({ PATH: `${path.join(prefix, 'bin')}${path.delimiter}${process.env.PATH ?? ''}` }) });
    assert.equal(stdout.trim(), (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });

  it('npx runs it from the tarball', async () => {
    const { stdout } = await execFileP('npx', ['--yes', '--offline', '--package', tarball, 'cf-rotate', '--help'], { cwd: tmp, env: childEnv({ npm_config_cache: path.join(tmp, 'npx-cache') }) });
    assert.match(stdout, /Usage:\n\s+cf-rotate list/);
  });

  const runtimes: [string, () => Promise<string>][] = [
    [`Node ${process.versions.node} (the test runner's)`, async () => process.execPath],
    ...Object.entries(NODE_RUNTIMES).map(([major, version]): [string, () => Promise<string>] => [`Node ${version} (${major}, from the npm registry)`, () => nodeRuntime(version)]),
  ];

  for (const [label, getNode] of runtimes) {
    it(`the installed cf-rotate rotates a token into a .env under ${label}, directly and through a proxy`, async () => {
      const node = await getNode();
      const { stdout: v } = await execFileP(node, ['-v']);
      for (const viaProxy of [false, true]) {
        const deploy = world.sim.control.addAccountToken(world.accountId, { name: `deploy ${label} ${viaProxy}` });
        const folder = fs.mkdtempSync(path.join(tmp, 'ws-'));
        fs.mkdirSync(path.join(folder, '.vscode'));
        fs.writeFileSync(path.join(folder, '.vscode', 'cf-rotate.json'), JSON.stringify({
          tokens: [{ name: 'deploy', kind: 'account-api-token', accountId: world.accountId, tokenId: deploy.id, targets: [{ file: '.env', key: 'CLOUDFLARE_API_TOKEN' }] }],
        }));
        fs.writeFileSync(path.join(folder, '.env'), `# app\nCLOUDFLARE_API_TOKEN=${deploy.value}\nOTHER=1\n`);
        proxy.requests.length = 0;
        const env = childEnv({
          // `cf-rotate` is the npm bin shim (#!/usr/bin/env node): the first node on PATH runs it.
          PATH: [path.dirname(node), path.join(prefix, 'bin'), process.env.PATH ?? ''].join(path.delimiter),
          ...world.adminEnv,
          CLOUDFLARE_API_BASE_URL: world.sim.url,
          CF_ROTATE_STATE_DIR: path.join(folder, '.state'),
          ...(viaProxy ? { HTTP_PROXY: proxy.url } : {}),
        });
        const r = await execFileP('cf-rotate', ['rotate', 'deploy', '--json'], { cwd: folder, env });
        const results = JSON.parse(r.stdout) as { name: string; ok: boolean; state: string }[];
        assert.deepEqual(results.map((x) => [x.name, x.ok, x.state]), [['deploy', true, 'rotated']], `${v.trim()}: ${r.stderr}`);
        const live = world.sim.control.state().accountTokens.find((t) => t.id === deploy.id)!.value;
        assert.notEqual(live, deploy.value);
        const text = fs.readFileSync(path.join(folder, '.env'), 'utf8');
        assert.equal(parse(text).CLOUDFLARE_API_TOKEN, live);
        assert.equal(text, `# app\nCLOUDFLARE_API_TOKEN=${live}\nOTHER=1\n`, 'only the value changed');
        assert.ok(!`${r.stdout}${r.stderr}`.includes(live), 'no secret in the output');
        if (viaProxy) {
          assert.match(r.stderr, /using proxy http:\/\/127\.0\.0\.1:\d+ \(HTTP_PROXY\)/);
          assert.ok(proxy.requestLines().some((l) => l.startsWith('PUT ')), `${v.trim()}: the roll went through the proxy`);
        } else {
          assert.equal(proxy.requests.length, 0);
        }
      }
    });
  }
});
