/**
 * The CLI as a newcomer meets it: dry runs that really check, CLI words in every hint, a shared
 * cause said once, resume's "not rotated" counted as done, per-command help and options, and a
 * first Ctrl-C that lets rotations in flight finish.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import { hashValue } from '../../../src/core/engine/targets';
import { NodeJournalStore } from '../../../src/core/node/journalStore';
import { repoRoot } from '../../harness/util';
import { startWorld, tempFolder, write, type World } from '../helpers/world';

describe('cf-rotate CLI: what a user sees', function () {
  this.timeout(60_000);
  let world: World;
  let folder: string;
  let stateDir: string;

  before(async () => {
    world = await startWorld();
  });
  after(async () => world.close());
  beforeEach(async () => {
    folder = await tempFolder('cf-rotate-ux-');
    stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-ux-state-'));
  });
  afterEach(async () => {
    await fs.rm(folder, { recursive: true, force: true });
    await fs.rm(stateDir, { recursive: true, force: true });
  });

  const admin = (): string => (world.admin as { token: string }).token;
  async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await main(args, {
      stdout: (s) => (out += s),
      stderr: (s) => (err += s),
      env: { CLOUDFLARE_API_TOKEN: admin(), CLOUDFLARE_API_BASE_URL: world.sim.url, CF_ROTATE_STATE_DIR: stateDir, CF_ROTATE_TIMEOUT: '1', ...env },
      cwd: folder,
    });
    return { code, out, err };
  }
  async function config(n: number): Promise<{ id: string; value: string }[]> {
    const toks = Array.from({ length: n }, (_, i) => world.sim.control.addAccountToken(world.accountId, { name: `ux${i}` }));
    await write(folder, '.vscode/cf-rotate.json', JSON.stringify({ tokens: toks.map((t, i) => ({ name: `t${i}`, kind: 'account-api-token', accountId: world.accountId, tokenId: t.id, targets: [{ file: '.env', key: `K${i}` }] })) }));
    await write(folder, '.env', toks.map((t, i) => `K${i}=${t.value}\n`).join(''));
    return toks;
  }
  const rolls = (): number => world.sim.control.requests().filter((r) => r.op === 'rollAccountToken').length;

  it('rotate --dry-run verifies the credential and reads each token, changing nothing; a wrong credential fails it', async () => {
    await config(2);
    const before = rolls();
    world.sim.control.clearRequests();
    const ok = await cli(['rotate', '--all', '--dry-run']);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /✓ t0: ok \(dry run\)/);
    const ops = world.sim.control.requests().map((r) => r.op);
    assert.ok(ops.includes('verifyUserToken'), 'the credential was verified');
    assert.equal(ops.filter((o) => o === 'getAccountToken').length, 2, 'each token was read');
    assert.equal(rolls(), before);
    const bad = await cli(['rotate', '--all', '--dry-run'], { CLOUDFLARE_API_TOKEN: `cfut_${'Q'.repeat(40)}abcdef12` });
    assert.equal(bad.code, 1);
    assert.match(bad.err, /admin credential .*rejected/);
    assert.equal(rolls(), before);
  });

  it('hints name CLI steps, never editor commands; a cause shared by several tokens is said once', async () => {
    await config(3);
    const r = await cli(['rotate', '--all'], { CLOUDFLARE_API_TOKEN: '' });
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.err + r.out, /Cloudflare Rotate:|Set Credential/);
    assert.match(r.err, /Set CLOUDFLARE_API_TOKEN \(or CLOUDFLARE_EMAIL \+ CLOUDFLARE_API_KEY\)/);
    const lines = r.err.trim().split('\n').filter((l) => l.startsWith('✗'));
    assert.equal(lines.length, 1, r.err);
    assert.match(lines[0]!, /^✗ t0, t1, t2: No Cloudflare credential is set for profile "default"/);
  });

  it('resume that settles "not rotated, safe to retry" exits 0 with •; nothing is left', async () => {
    const [t] = await config(1);
    // What a process killed right after sending the roll leaves: an entry whose call can no longer take effect.
    const id = `account-api-token:${world.accountId}:${t!.id}`.toLowerCase();
    const now = Date.now();
    await new NodeJournalStore(stateDir).put(
      id,
      JSON.stringify({ v: 2, id, owner: 'gone', folder, token: 't0', kind: 'account-api-token', profile: 'default', state: 'intent', resource: { accountId: world.accountId, tokenId: t!.id }, startedAt: now - 60_000, updatedAt: now - 60_000, sentAt: now - 60_000, deadline: now - 30_000, targets: [{ rel: '.env', key: 'K0', field: 'token', oldHash: hashValue(t!.value), done: false }] }),
    );
    const r = await cli(['resume']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^• t0: .*Cloudflare did not rotate "t0"/m);
    const again = await cli(['resume']);
    assert.equal(again.code, 0);
    assert.match(again.out, /No interrupted rotations/);
    const h = await cli(['history', '--json']);
    assert.match(h.out, /"outcome": "failed"/, 'the verdict is in the history');
  });

  it('validate --config with a missing file names the path given, not .vscode/cf-rotate.json', async () => {
    const r = await cli(['validate', '--config', 'missing.json']);
    assert.equal(r.code, 2);
    assert.match(r.err, /missing\.json does not exist\. Check the path given to --config/);
    assert.doesNotMatch(r.err, /Create \.vscode/);
  });

  it('the configuration given with --config is never a target (also through a link): validate and rotate refuse it before any roll', async () => {
    const tok = world.sim.control.addAccountToken(world.accountId, { name: 'cfg' });
    const text = JSON.stringify({ tokens: [{ name: 'deploy', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: 'rotate.env', key: 'TOKEN' }] }] });
    await write(folder, 'ci/rotate.env', text);
    const v = await cli(['validate', '--config', 'ci/rotate.env']);
    assert.equal(v.code, 2, v.out + v.err);
    assert.match(v.err, /tokens\[0\]\.targets\[0\]\.file.*is the configuration file in use/);
    const before = rolls();
    const r = await cli(['rotate', 'deploy', '--config', 'ci/rotate.env']);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.err + r.out, /rotate\.env is the configuration file rotate\.env; cf-rotate does not write a secret into it/);
    assert.equal(rolls(), before, 'nothing rolled');
    assert.equal(await fs.readFile(path.join(folder, 'ci/rotate.env'), 'utf8'), text);
    // A link to it, named like a .env file, is the same file.
    await fs.writeFile(path.join(folder, 'ci/rotate.env'), JSON.stringify({ tokens: [{ name: 'deploy', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: 'alias.env', key: 'TOKEN' }] }] }));
    await fs.symlink('rotate.env', path.join(folder, 'ci/alias.env'));
    const linked = await cli(['validate', '--config', 'ci/rotate.env']);
    assert.equal(linked.code, 2);
    assert.match(linked.err, /is the configuration file in use/);
    const linkedRotate = await cli(['rotate', 'deploy', '--config', 'ci/rotate.env']);
    assert.equal(linkedRotate.code, 1, linkedRotate.out + linkedRotate.err);
    assert.match(linkedRotate.err + linkedRotate.out, /is the configuration file/);
    // The configuration given through a link, the target naming the real file.
    await fs.mkdir(path.join(folder, 'ci/real'));
    await fs.writeFile(path.join(folder, 'ci/real/cfg.env'), JSON.stringify({ tokens: [{ name: 'deploy', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: 'real/cfg.env', key: 'TOKEN' }] }] }));
    await fs.symlink('real/cfg.env', path.join(folder, 'ci/cfg.env'));
    const viaLink = await cli(['rotate', 'deploy', '--config', 'ci/cfg.env']);
    assert.equal(viaLink.code, 1, viaLink.out + viaLink.err);
    assert.match(viaLink.err + viaLink.out, /is the configuration file/);
    assert.equal(rolls(), before, 'nothing rolled');
    assert.doesNotMatch(await fs.readFile(path.join(folder, 'ci/real/cfg.env'), 'utf8'), /TOKEN=/);
  });

  it('per-command --help; an option that does not apply is refused (exit 2) and nothing is done', async () => {
    const h = await cli(['rotate', '--help']);
    assert.equal(h.code, 0);
    assert.match(h.out, /^cf-rotate rotate NAME\.\.\. \| --all \| --due/);
    assert.match(h.out, /Ctrl-C once \(or SIGTERM, SIGHUP\) stops starting new rotations/);
    const d = await cli(['discard', '--help']);
    assert.match(d.out, /^cf-rotate discard NAME/);
    await config(1);
    const bad = await cli(['list', '--limit', '5']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--limit does not apply to "list"/);
    const bad2 = await cli(['validate', '--dry-run']);
    assert.equal(bad2.code, 2);
    const bad3 = await cli(['rotate', 't0', '--yes']);
    assert.equal(bad3.code, 2);
    assert.equal(rolls() >= 0, true);
  });

  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) it(`the first ${sig === 'SIGINT' ? 'Ctrl-C (SIGINT)' : sig} stops starting new rotations; those in flight finish; nothing is left half done`, async function () {
    const toks = await config(6);
    world.sim.control.configure({ latencyMs: 400 });
    try {
      const cliJs = path.join(repoRoot(), 'dist', 'cli.js');
      await fs.access(cliJs);
      const child = spawn(process.execPath, [cliJs, 'rotate', '--all', '--concurrency', '2', '--json'], {
        cwd: folder,
        env: { PATH: process.env.PATH, CLOUDFLARE_API_TOKEN: admin(), CLOUDFLARE_API_BASE_URL: world.sim.url, CF_ROTATE_STATE_DIR: stateDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const started = Date.now();
      const rollsBefore = world.sim.control.requests({ op: 'rollAccountToken' }).length;
      while (world.sim.control.requests({ op: 'rollAccountToken' }).length === rollsBefore && Date.now() - started < 10_000) {
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 300));
      child.kill(sig);
      const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
      assert.equal(code, 1, err);
      // After SIGHUP the terminal is gone: nothing is written to it (a write there would fail).
      if (sig === 'SIGHUP') assert.doesNotMatch(err, /stopping after/);
      else assert.match(err, /stopping after the rotations in flight\. A second Ctrl-C \(or signal\) quits now, but a rotation whose call is still out could then lose its new secret/);
      const results = JSON.parse(out) as { name: string; ok: boolean; error?: { kind: string } }[];
      const done = results.filter((x) => x.ok).length;
      const cancelled = results.filter((x) => x.error?.kind === 'cancelled').length;
      assert.ok(done >= 1 && done < 6, `${done} finished`);
      assert.equal(done + cancelled, 6, JSON.stringify(results));
      const env = await fs.readFile(path.join(folder, '.env'), 'utf8');
      for (const [i, t] of toks.entries()) {
        const live = world.sim.control.state().accountTokens.find((x) => x.id === t.id)!.value;
        assert.ok(env.includes(`K${i}=${live}`), `K${i} holds the live value`);
      }
      assert.deepEqual(await fs.readdir(path.join(stateDir, 'journal')), [], 'nothing half done');
    } finally {
      world.sim.control.configure({ latencyMs: 0 });
    }
  });

  it('a hangup (SIGHUP with the terminal gone: every write fails) still lets the rotations in flight finish; nothing is lost or left half done', async function () {
    const toks = await config(6);
    world.sim.control.configure({ latencyMs: 400 });
    try {
      const cliJs = path.join(repoRoot(), 'dist', 'cli.js');
      const child = spawn(process.execPath, [cliJs, 'rotate', '--all', '--concurrency', '2'], {
        cwd: folder,
        env: { PATH: process.env.PATH, CLOUDFLARE_API_TOKEN: admin(), CLOUDFLARE_API_BASE_URL: world.sim.url, CF_ROTATE_STATE_DIR: stateDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const started = Date.now();
      const rollsBefore = world.sim.control.requests({ op: 'rollAccountToken' }).length;
      while (world.sim.control.requests({ op: 'rollAccountToken' }).length === rollsBefore && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 300));
      // The terminal goes away: its output pipes close (writes now fail with EPIPE, as with EIO on a tty), then SIGHUP.
      child.stdout.destroy();
      child.stderr.destroy();
      child.kill('SIGHUP');
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('close', (c, s) => r([c, s])));
      assert.deepEqual([code, signal], [1, null], 'it stopped starting rotations and ended by itself (exit 1: not all rotated), not killed by the hangup or a failed write');
      const env = await fs.readFile(path.join(folder, '.env'), 'utf8');
      let rotated = 0;
      for (const [i, t] of toks.entries()) {
        const live = world.sim.control.state().accountTokens.find((x) => x.id === t.id)!.value;
        assert.ok(env.includes(`K${i}=${live}`), `K${i} holds the live value`);
        if (live !== t.value) rotated++;
      }
      assert.ok(rotated >= 1 && rotated < 6, `the rotations in flight finished, no new one started (${rotated} of 6)`);
      assert.deepEqual(await fs.readdir(path.join(stateDir, 'journal')), [], 'nothing half done');
    } finally {
      world.sim.control.configure({ latencyMs: 0 });
    }
  });
});
