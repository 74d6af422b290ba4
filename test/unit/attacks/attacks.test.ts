/**
 * The attack suite: a hostile repository tries to steer a secret, through the BUILT CLI
 * (dist/cli.js) as a separate process against the simulator. Every case asserts that nothing
 * outside the workspace changed (a sentinel folder beside it, and a private HOME), and that the
 * live secrets of the simulator are nowhere but in the intended targets (not outside, not in the
 * state directory once done, not in any output).
 *
 * Prints "attacks: N/N defended".
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, promises as fs, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../../harness/util';
import { start, type SimulatorHandle } from '../../simulator';
import { ALL_PERMISSIONS } from '../../simulator/types';
import { setFigure } from '../helpers/figures';

const CLI = path.join(repoRoot(), 'dist', 'cli.js');

interface Run {
  code: number | null;
  /** stdout and stderr together. */
  out: string;
  stdout: string;
  ms: number;
}

interface Ctx {
  sim: SimulatorHandle;
  ws: string;
  outside: string;
  home: string;
  state: string;
  env: NodeJS.ProcessEnv;
  /** A fresh account token at the simulator; its value is in .env as TOKEN. */
  tok: { id: string; value: string };
  accountId: string;
  cfg(tokens: unknown[]): Promise<void>;
  entry(targets: unknown[], extra?: Record<string, unknown>): Record<string, unknown>;
  cli(args: string[], env?: NodeJS.ProcessEnv, timeoutMs?: number): Promise<Run>;
  rolls(): number;
  /** Take the "before" picture of the outside folder now (after the attack put its own files there). */
  sealOutside(): void;
}

/** A Unix socket listening at `file` (closed with the test process; the attack runs while it listens). */
const sockets: net.Server[] = [];
function listening(file: string): Promise<net.Server> {
  const server = net.createServer();
  sockets.push(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(file, () => resolve(server));
  });
}

/** Whether this process may make a device node (mknod needs CAP_MKNOD). */
function canMknod(): boolean {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cf-rotate-mknod-'));
  try {
    execFileSync('mknod', [path.join(dir, 'null'), 'c', '1', '3'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const results: { name: string; defended: boolean; why?: string }[] = [];

describe('attacks: a hostile repository cannot steer a secret (built CLI)', function () {
  this.timeout(120_000);
  let sim: SimulatorHandle;
  let admin: { id: string; value: string };
  let accountId: string;

  before(async () => {
    await fs.access(CLI).catch(() => {
      throw new Error(`${CLI} is missing: run "npm run build" first (the attack suite drives the built CLI).`);
    });
    sim = await start({ port: 0, scenario: 'demo', quiet: true });
    accountId = sim.control.state().accounts[0]!.id;
    admin = sim.control.addUserToken({ name: 'attack admin', permissions: [...ALL_PERMISSIONS] });
  });
  after(async () => {
    for (const server of sockets) server.close();
    await sim?.close();
    const defended = results.filter((r) => r.defended).length;
    setFigure('attacks defended', defended);
    setFigure('attacks tried', results.length);
    console.log(`      attacks: ${defended}/${results.length} defended`);
    for (const r of results.filter((x) => !x.defended)) console.log(`      NOT DEFENDED: ${r.name}: ${r.why}`);
  });

  async function context(): Promise<Ctx> {
    const base = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-attack-')));
    const ws = path.join(base, 'ws');
    const outside = path.join(base, 'outside');
    const home = path.join(base, 'home');
    const state = path.join(base, 'state');
    for (const d of [ws, path.join(ws, '.vscode'), outside, home]) await fs.mkdir(d, { recursive: true });
    await fs.writeFile(path.join(outside, '.env'), 'OUTSIDE=1\n');
    await fs.writeFile(path.join(outside, 'bashrc'), '# shell\n');
    await fs.writeFile(path.join(home, '.bashrc'), '# home\n');
    const tok = sim.control.addAccountToken(accountId, { name: 'victim' });
    await fs.writeFile(path.join(ws, '.env'), `TOKEN=${tok.value}\n`);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: home,
      CLOUDFLARE_API_TOKEN: admin.value,
      CLOUDFLARE_API_BASE_URL: sim.url,
      CF_ROTATE_STATE_DIR: state,
      CF_ROTATE_TIMEOUT: '2',
    };
    const since = sim.control.requests().length;
    const ctx: Ctx = {
      sim,
      ws,
      outside,
      home,
      state,
      env,
      tok,
      accountId,
      cfg: (tokens) => fs.writeFile(path.join(ws, '.vscode', 'cf-rotate.json'), JSON.stringify({ tokens })),
      entry: (targets, extra = {}) => ({ name: 'victim', kind: 'account-api-token', accountId, tokenId: tok.id, targets, ...extra }),
      cli: (args, extraEnv = {}, timeoutMs = 30_000) =>
        new Promise<Run>((resolve) => {
          const t0 = Date.now();
          const p = spawn(process.execPath, [CLI, ...args], { cwd: ws, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          let stdout = '';
          p.stdout.on('data', (d: Buffer) => {
            out += d.toString();
            stdout += d.toString();
          });
          p.stderr.on('data', (d: Buffer) => (out += d.toString()));
          const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
          p.on('close', (code) => {
            clearTimeout(timer);
            resolve({ code, out, stdout, ms: Date.now() - t0 });
          });
        }),
      rolls: () => sim.control.requests().slice(since).filter((r) => r.op === 'rollAccountToken' || r.op === 'rollUserToken').length,
      sealOutside: () => undefined,
    };
    return ctx;
  }

  function snapshot(dir: string): Map<string, string> {
    const out = new Map<string, string>();
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isSymbolicLink()) out.set(p, `link:${readlinkSync(p)}`);
        else if (e.isDirectory()) walk(p);
        else if (e.isFile()) out.set(p, createHash('sha256').update(readFileSync(p)).digest('hex') + `:${statSync(p).mode & 0o777}`);
        else out.set(p, 'special');
      }
    };
    walk(dir);
    return out;
  }

  function liveSecrets(): string[] {
    const st = sim.control.state();
    return [...st.accountTokens, ...st.userTokens].map((t) => t.value).concat(st.serviceTokens.map((s) => s.clientSecret));
  }

  function filesHolding(dir: string, secrets: readonly string[]): string[] {
    const hits: string[] = [];
    const walk = (d: string): void => {
      if (!existsSync(d)) return;
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.isFile() && statSync(p).size < 16 * 1024 * 1024) {
          const text = readFileSync(p, 'utf8');
          if (secrets.some((s) => text.includes(s))) hits.push(p);
        }
      }
    };
    walk(dir);
    return hits;
  }

  /**
   * Run one attack: `setup` prepares the workspace, `attack` runs the CLI and asserts the refusal
   * (or harmless success); then the common checks: the outside and HOME unchanged, no live secret
   * outside the intended targets, none in the output.
   */
  function attack(name: string, fn: (c: Ctx) => Promise<{ allowed?: string[]; outputs: Run[] }>): void {
    it(name, async () => {
      const c = await context();
      let outsideBefore = snapshot(c.outside);
      c.sealOutside = () => (outsideBefore = snapshot(c.outside));
      const homeBefore = snapshot(c.home);
      try {
        const r = await fn(c);
        assert.deepEqual(snapshot(c.outside), outsideBefore, 'the folder beside the workspace changed');
        assert.deepEqual(snapshot(c.home), homeBefore, 'HOME changed');
        const secrets = liveSecrets().filter((s) => s !== c.tok.value || r.allowed !== undefined);
        const allowed = new Set((r.allowed ?? []).map((f) => path.join(c.ws, f)));
        const stray = [...filesHolding(c.ws, [...secrets]), ...filesHolding(c.outside, secrets), ...filesHolding(c.home, secrets), ...filesHolding(path.join(c.state, 'journal'), secrets)]
          .filter((p) => !allowed.has(p))
          .filter((p) => !(readFileSync(p, 'utf8').trim() === `TOKEN=${c.tok.value}` && p === path.join(c.ws, '.env')));
        assert.deepEqual(stray, [], 'a live secret is somewhere it was not meant to be');
        for (const o of r.outputs) for (const s of liveSecrets()) assert.ok(!o.out.includes(s), 'a secret in the output');
        results.push({ name, defended: true });
      } catch (e) {
        results.push({ name, defended: false, why: e instanceof Error ? e.message.split('\n')[0] : String(e) });
        throw e;
      } finally {
        await fs.rm(path.dirname(c.ws), { recursive: true, force: true });
      }
    });
  }

  const refused = (r: Run, re: RegExp): void => {
    assert.notEqual(r.code, 0, `the CLI accepted it:\n${r.out}`);
    assert.match(r.out, re);
  };

  // ------------------------------------------------------------------------ target paths

  for (const [label, file, re] of [
    ['an absolute target path', '/tmp/x/.env', /absolute/],
    ['a target path with ".."', '../outside/.env', /\.\./],
    ['a target inside .git (config)', '.git/config', /\.git/],
    ['a target inside .git (hooks)', '.git/hooks/pre-commit', /\.git/],
    ['the configuration itself as a target', '.vscode/cf-rotate.json', /configuration itself/],
    ['a non-env file without allowAnyFile', 'public/index.html', /not an env-style file/],
    ['a target path with a newline ("x\\n!.env")', 'x\n!.env', /control/],
    ['a target path with a Markdown command link', 'config/[Create](command:cfRotate.rotateAll?%7B%22confirm%22%3Afalse%7D).env', /\[ \] \( \)/],
    ['a target path with a bidi override', 'a\u202etxt.env', /direction-override/],
    ['a target path with an ANSI escape', 'a\u001b]52;c;Zm9v\u0007.env', /control/],
  ] as const) {
    attack(`${label}: refused by validate and rotate; no roll`, async (c) => {
      await fs.mkdir(path.join(c.ws, '.git', 'hooks'), { recursive: true });
      await fs.writeFile(path.join(c.ws, '.git', 'config'), '[core]\n');
      await c.cfg([c.entry([{ file, key: 'TOKEN' }])]);
      const v = await c.cli(['validate']);
      refused(v, re);
      assert.equal(v.code, 2);
      const r = await c.cli(['rotate', 'victim']);
      refused(r, re);
      assert.equal(c.rolls(), 0, 'nothing was rolled');
      assert.equal(readFileSync(path.join(c.ws, '.git', 'config'), 'utf8'), '[core]\n');
      return { outputs: [v, r] };
    });
  }

  attack('a target that is a link to a file outside: refused, no roll', async (c) => {
    await fs.symlink(path.join(c.outside, '.env'), path.join(c.ws, 'linked.env'));
    await c.cfg([c.entry([{ file: 'linked.env', key: 'TOKEN' }])]);
    const r = await c.cli(['rotate', 'victim']);
    refused(r, /link that leads outside/);
    assert.equal(c.rolls(), 0);
    return { outputs: [r] };
  });

  attack('a target in a folder that links outside: refused, no roll', async (c) => {
    await fs.symlink(c.outside, path.join(c.ws, 'conf'));
    await c.cfg([c.entry([{ file: 'conf/.env', key: 'TOKEN' }])]);
    const r = await c.cli(['rotate', 'victim']);
    refused(r, /links outside/);
    assert.equal(c.rolls(), 0);
    return { outputs: [r] };
  });

  attack('a dangling link to a path outside (a new file would be created there): refused', async (c) => {
    await fs.symlink(path.join(c.outside, 'new.env'), path.join(c.ws, 'new.env'));
    await c.cfg([c.entry([{ file: 'new.env', key: 'TOKEN' }])]);
    const r = await c.cli(['rotate', 'victim']);
    refused(r, /dangling/);
    assert.equal(c.rolls(), 0);
    return { outputs: [r] };
  });

  attack('a hard link to a file outside: the rotation replaces the link, the outside file keeps its bytes', async (c) => {
    await fs.writeFile(path.join(c.outside, 'shared.env'), `TOKEN=${c.tok.value}\n`);
    await fs.link(path.join(c.outside, 'shared.env'), path.join(c.ws, 'hard.env'));
    c.sealOutside();
    await c.cfg([c.entry([{ file: 'hard.env', key: 'TOKEN' }])]);
    // The outside file is part of the snapshot taken before: it must keep its bytes.
    const r = await c.cli(['rotate', 'victim']);
    assert.equal(r.code, 0, r.out);
    assert.equal(readFileSync(path.join(c.outside, 'shared.env'), 'utf8'), `TOKEN=${c.tok.value}\n`);
    return { allowed: ['hard.env'], outputs: [r] };
  });

  // A target that is there and is no regular file: validate names it by JSON path (exit 2), rotate refuses it at once.
  for (const [label, what, make] of [
    ['a FIFO', /is a FIFO \(named pipe\), not a regular file/, async (f: string) => void execFileSync('mkfifo', [f])],
    ['a socket', /is a socket, not a regular file/, async (f: string) => void (await listening(f))],
    ['a directory', /is a directory, not a regular file/, (f: string) => fs.mkdir(f)],
    // mknod needs CAP_MKNOD (root): where it is not allowed there is no device to attack with.
    ...(canMknod() ? ([['a device (character device 1,3, as /dev/null)', /is a device, not a regular file/, async (f: string) => void execFileSync('mknod', [f, 'c', '1', '3'], { stdio: 'ignore' })]] as const) : []),
    ['a link inside the folder to a FIFO', /is a FIFO \(named pipe\), not a regular file/, async (f: string) => {
      execFileSync('mkfifo', [`${f}.real`]);
      await fs.symlink(path.basename(`${f}.real`), f);
    }],
  ] as const) {
    attack(`${label} as target: validate refuses it by JSON path (exit 2); rotate refuses it at once (no hang); no roll`, async (c) => {
      await make(path.join(c.ws, 'odd.env'));
      await c.cfg([c.entry([{ file: '.env', key: 'TOKEN' }, { file: 'odd.env', key: 'TOKEN' }])]);
      const v = await c.cli(['validate'], {}, 15_000);
      refused(v, new RegExp(`tokens\\[0\\]\\.targets\\[1\\]\\.file: ${what.source}`));
      assert.equal(v.code, 2, v.out);
      assert.ok(v.ms < 10_000, `validate took ${v.ms} ms`);
      const r = await c.cli(['rotate', 'victim'], {}, 15_000);
      refused(r, what);
      assert.ok(r.ms < 10_000, `rotate took ${r.ms} ms`);
      assert.equal(c.rolls(), 0);
      return { outputs: [v, r] };
    });
  }

  // ------------------------------------------------------------------------ the configuration file

  attack('a configuration that is a link to a file outside: refused', async (c) => {
    await fs.writeFile(path.join(c.outside, 'cfg.json'), JSON.stringify({ tokens: [c.entry([{ file: '.env', key: 'TOKEN' }])] }));
    await fs.symlink(path.join(c.outside, 'cfg.json'), path.join(c.ws, '.vscode', 'cf-rotate.json'));
    c.sealOutside();
    const r = await c.cli(['rotate', 'victim']);
    refused(r, /link that leads outside/);
    assert.equal(c.rolls(), 0);
    return { outputs: [r] };
  });

  attack('a configuration that is a link to /dev/zero: refused at once, memory bounded', async (c) => {
    await fs.symlink('/dev/zero', path.join(c.ws, '.vscode', 'cf-rotate.json'));
    const r = await c.cli(['rotate', '--all'], {}, 15_000);
    refused(r, /outside|not a regular file|device/);
    assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
    return { outputs: [r] };
  });

  attack('a configuration of 600 MB: refused by size, memory bounded', async (c) => {
    const h = await fs.open(path.join(c.ws, '.vscode', 'cf-rotate.json'), 'w');
    await h.truncate(600 * 1024 * 1024);
    await h.close();
    const r = await c.cli(['validate'], {}, 15_000);
    refused(r, /larger than/);
    return { outputs: [r] };
  });

  // ------------------------------------------------------------------------ git

  const gitInit = (ws: string, ignore: string): void => {
    execFileSync('git', ['init', '-q'], { cwd: ws });
    execFileSync('git', ['config', 'user.email', 'a@b.c'], { cwd: ws });
    execFileSync('git', ['config', 'user.name', 'n'], { cwd: ws });
    writeFileSync(path.join(ws, '.gitignore'), ignore);
  };

  attack('a tracked target (.env.example committed): refused in the CLI; allowTracked lets the user opt in', async (c) => {
    gitInit(c.ws, '.env\n');
    await fs.writeFile(path.join(c.ws, '.env.example'), `TOKEN=${c.tok.value}\n`);
    execFileSync('git', ['add', '.env.example', '.gitignore'], { cwd: c.ws });
    execFileSync('git', ['commit', '-qm', 'x'], { cwd: c.ws });
    await c.cfg([c.entry([{ file: '.env.example', key: 'TOKEN' }])]);
    const r = await c.cli(['rotate', 'victim']);
    refused(r, /tracked by git/);
    assert.equal(c.rolls(), 0);
    await c.cfg([c.entry([{ file: '.env.example', key: 'TOKEN', allowTracked: true }])]);
    const ok = await c.cli(['rotate', 'victim']);
    assert.equal(ok.code, 0, ok.out);
    return { allowed: ['.env.example'], outputs: [r, ok] };
  });

  attack('a link put in place of an ignored target while the roll is out, leading to a tracked file: the tracked file is untouched; the secret waits, and goes to .env once it is back', async (c) => {
    gitInit(c.ws, '.env\n');
    await fs.writeFile(path.join(c.ws, 'tracked.env'), 'PUBLIC=1\n');
    execFileSync('git', ['add', 'tracked.env', '.gitignore'], { cwd: c.ws });
    execFileSync('git', ['commit', '-qm', 'x'], { cwd: c.ws });
    await c.cfg([c.entry([{ file: '.env', key: 'TOKEN' }])]);
    sim.control.addFault({ op: 'rollAccountToken', type: 'latency', ms: 1500 });
    // Another process of the repository swaps .env for a link to tracked.env during the call:
    // once the intent is journaled with its send time (after every check), while the roll waits.
    const sent = async (): Promise<boolean> => {
      const dir = path.join(c.state, 'journal');
      const names = await fs.readdir(dir).catch(() => [] as string[]);
      for (const n of names.filter((x) => x.endsWith('.json'))) if ((await fs.readFile(path.join(dir, n), 'utf8').catch(() => '')).includes('"sentAt"')) return true;
      return false;
    };
    const swap = (async () => {
      for (let i = 0; i < 1500 && !(await sent()); i++) await new Promise((r) => setTimeout(r, 10));
      await fs.rename(path.join(c.ws, '.env'), path.join(c.ws, '.env.kept'));
      await fs.symlink('tracked.env', path.join(c.ws, '.env'));
    })();
    const r = await c.cli(['rotate', 'victim']);
    await swap;
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /\.env now leads to tracked\.env, not to \.env as when it was checked/);
    assert.equal(readFileSync(path.join(c.ws, 'tracked.env'), 'utf8'), 'PUBLIC=1\n', 'the tracked file is untouched');
    assert.equal(execFileSync('git', ['status', '--porcelain', '--', 'tracked.env'], { cwd: c.ws, encoding: 'utf8' }), '');
    // Put back: resume writes the file that was judged, and the journal entry goes.
    await fs.rm(path.join(c.ws, '.env'));
    await fs.rename(path.join(c.ws, '.env.kept'), path.join(c.ws, '.env'));
    const resumed = await c.cli(['resume']);
    assert.equal(resumed.code, 0, resumed.out);
    const live = sim.control.state().accountTokens.find((t) => t.id === c.tok.id)!.value;
    assert.equal(readFileSync(path.join(c.ws, '.env'), 'utf8'), `TOKEN=${live}\n`);
    return { allowed: ['.env'], outputs: [r, resumed] };
  });

  for (const [label, second, link] of [
    ['"sub/./.env" beside "sub/.env"', 'sub/./.env', undefined],
    ['a link (b.env → sub/.env)', 'b.env', 'sub/.env'],
  ] as const) {
    attack(`two entries writing one variable through ${label}: refused by validate and rotate, no roll; the first one's secret is never written over`, async (c) => {
      const other = sim.control.addAccountToken(accountId, { name: 'other' });
      await fs.mkdir(path.join(c.ws, 'sub'));
      await fs.writeFile(path.join(c.ws, 'sub', '.env'), `TOKEN=${c.tok.value}\n`);
      if (link) await fs.symlink(link, path.join(c.ws, second));
      await c.cfg([c.entry([{ file: 'sub/.env', key: 'TOKEN' }]), { name: 'other', kind: 'account-api-token', accountId, tokenId: other.id, targets: [{ file: second, key: 'TOKEN' }] }]);
      const v = await c.cli(['validate']);
      refused(v, /share one variable/);
      assert.equal(v.code, 2);
      const outputs = [v];
      for (const name of ['other', 'victim']) {
        const r = await c.cli(['rotate', name]);
        refused(r, /share one variable|both write TOKEN of one file/);
        outputs.push(r);
      }
      assert.equal(c.rolls(), 0, 'nothing was rolled');
      return { outputs };
    });
  }

  attack('a target git does not ignore: refused', async (c) => {
    gitInit(c.ws, 'node_modules\n');
    await c.cfg([c.entry([{ file: '.env', key: 'TOKEN' }])]);
    const r = await c.cli(['rotate', 'victim']);
    refused(r, /not ignored by git/);
    assert.equal(c.rolls(), 0);
    return { outputs: [r] };
  });

  attack('a git program committed to the repository (git, git.exe, git.cmd; on PATH as the folder, ".", and a link to the folder) never runs', async (c) => {
    gitInit(c.ws, '.env\n');
    const marker = path.join(c.outside, 'pwned');
    const planted = ['git', 'git.exe', 'git.cmd'].map((n) => path.join(c.ws, n));
    for (const fake of planted) await fs.writeFile(fake, `#!/bin/sh\necho pwned > "${marker}"\nexit 0\n`, { mode: 0o755 });
    const alias = path.join(path.dirname(c.ws), 'alias');
    await fs.symlink(c.ws, alias);
    await c.cfg([c.entry([{ file: '.env', key: 'TOKEN' }])]);
    const r = await c.cli(['rotate', 'victim'], { PATH: [c.ws, '.', alias, process.env.PATH ?? ''].join(path.delimiter) });
    assert.equal(existsSync(marker), false, 'the planted git ran');
    assert.equal(r.code, 0, r.out);
    for (const fake of planted) await fs.rm(fake);
    return { allowed: ['.env'], outputs: [r] };
  });

  attack('a git that does not answer in time: the target is refused with that reason after the timeout (no hang), no roll; allowTracked lets the user opt in', async (c) => {
    gitInit(c.ws, '.env\n');
    const bin = path.join(path.dirname(c.ws), 'bin');
    await fs.mkdir(bin);
    await fs.writeFile(path.join(bin, 'git'), '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    const PATH = `${bin}${path.delimiter}${process.env.PATH ?? ''}`;
    await c.cfg([c.entry([{ file: '.env', key: 'TOKEN' }])]);
    const r = await c.cli(['rotate', 'victim'], { PATH }, 40_000);
    refused(r, /\.env lies in a git work tree, but git could not say whether it is ignored \(git did not answer within 5 s\)/);
    assert.match(r.out, /allowTracked/);
    assert.ok(r.ms < 20_000, `took ${r.ms} ms`);
    assert.equal(c.rolls(), 0);
    await c.cfg([c.entry([{ file: '.env', key: 'TOKEN', allowTracked: true }])]);
    const ok = await c.cli(['rotate', 'victim'], { PATH }, 40_000);
    assert.equal(ok.code, 0, ok.out);
    assert.ok(ok.ms < 15_000, `git is not asked about a target that opts in (took ${ok.ms} ms)`);
    return { allowed: ['.env'], outputs: [r, ok] };
  });

  attack('a work tree whose git cannot be found: refused with the reason, not passed silently', async (c) => {
    gitInit(c.ws, '.env\n');
    await c.cfg([c.entry([{ file: '.env', key: 'TOKEN' }])]);
    const r = await c.cli(['rotate', 'victim'], { PATH: '/nonexistent' });
    refused(r, /git could not say whether it is ignored \(git is not installed/);
    assert.equal(c.rolls(), 0);
    return { outputs: [r] };
  });

  // ------------------------------------------------------------------------ the admin credential

  attack('the admin credential\'s own token as a target of a committed file: refused by id before any call', async (c) => {
    await c.cfg([{ name: 'innocent', kind: 'user-api-token', tokenId: admin.id, targets: [{ file: '.env.example', key: 'TOKEN' }] }]);
    const r = await c.cli(['rotate', 'innocent']);
    refused(r, /is the admin credential of profile "default" itself/);
    assert.equal(c.rolls(), 0);
    assert.equal(sim.control.state().userTokens.find((t) => t.id === admin.id)?.value, admin.value, 'the admin token still works');
    return { outputs: [r] };
  });

  // ------------------------------------------------------------------------ the API endpoint

  for (const [label, url] of [
    ['http to a *.localhost name', 'http://evil.localhost:8787/client/v4'],
    ['http to a private address', 'http://10.0.0.1/client/v4'],
    ['a user name hiding the host', 'https://api.cloudflare.com@evil.example/client/v4'],
    ['a query string', 'https://api.cloudflare.com/client/v4?x=1'],
  ] as const) {
    attack(`an API base URL with ${label}: refused (exit 2), nothing sent`, async (c) => {
      await c.cfg([c.entry([{ file: '.env', key: 'TOKEN' }])]);
      const before = sim.control.requests().length;
      const r = await c.cli(['rotate', 'victim'], { CLOUDFLARE_API_BASE_URL: url });
      assert.equal(r.code, 2, r.out);
      assert.match(r.out, /base URL/);
      assert.equal(sim.control.requests().length, before);
      return { outputs: [r] };
    });
  }

  // ------------------------------------------------------------------------ what reaches the terminal

  attack('Cloudflare error text with terminal escapes (OSC 52 clipboard, title), bidi and a Markdown link: printed inert', async (c) => {
    await c.cfg([c.entry([{ file: '.env', key: 'TOKEN' }])]);
    sim.control.addFault({ op: 'rollAccountToken', type: 'error-text', status: 400, code: 1001, times: 2, message: 'bad \u001b]52;c;cGF5bG9hZA==\u0007 \u001b]0;owned\u0007 \u001b[2J \u202eevil [Click](command:cfRotate.rotateAll)' });
    const r = await c.cli(['rotate', 'victim']);
    const j = await c.cli(['rotate', 'victim', '--json']);
    for (const o of [r, j]) {
      // eslint-disable-next-line no-control-regex -- looking for raw control characters is the test
      assert.equal(/[\u001b\u0007\u009b\u202e]/.test(o.out), false, `raw control characters in the output: ${JSON.stringify(o.out)}`);
    }
    assert.match(r.out, /bad .*evil/, "Cloudflare's words are shown, made inert");
    assert.doesNotMatch(r.out, /\]\(command:/, 'no link syntax left');
    JSON.parse(j.stdout); // still valid JSON
    sim.control.clearFaults();
    return { outputs: [r, j] };
  });

  attack('a 600 MB answer from the API: reading stops at the cap; the rotation is not trusted', async (c) => {
    await c.cfg([c.entry([{ file: '.env', key: 'TOKEN' }])]);
    sim.control.addFault({ op: 'getAccountToken', type: 'huge-body', bytes: 600 * 1024 * 1024, times: -1 });
    sim.control.addFault({ op: 'verifyUserToken', type: 'huge-body', bytes: 600 * 1024 * 1024, times: -1 });
    const r = await c.cli(['rotate', 'victim'], {}, 60_000);
    sim.control.clearFaults();
    refused(r, /larger than 4 MiB/);
    assert.ok(r.ms < 30_000, `took ${r.ms} ms`);
    assert.equal(c.rolls(), 0);
    return { outputs: [r] };
  });

  // ------------------------------------------------------------------------ races

  attack('30 rotations while another process swaps the target, a new target and its folder for links to the outside: nothing lands outside', async (c) => {
    sim.control.configure({ postCommitDelayMs: 40, latencyMs: 20 });
    const outputs: Run[] = [];
    try {
      await fs.mkdir(path.join(c.ws, 'app'));
      await fs.writeFile(path.join(c.ws, 'app', '.env'), `TOKEN=${c.tok.value}\n`);
      const fresh = sim.control.addAccountToken(accountId, { name: 'fresh' });
      await c.cfg([
        c.entry([{ file: 'app/.env', key: 'TOKEN' }, { file: '.env', key: 'TOKEN' }]),
        { name: 'fresh', kind: 'account-api-token', accountId, tokenId: fresh.id, targets: [{ file: 'new.env', key: 'FRESH' }] },
      ]);
      // The swapper: .env ↔ link to outside/.env, app ↔ link to outside, new.env → link to outside/new.env.
      const swapper = spawn(process.execPath, [
        '-e',
        `const fs=require('fs'),p=require('path');const [ws,out]=process.argv.slice(1);const t=()=>{try{fs.renameSync(p.join(ws,'.env'),p.join(ws,'.env.real'));fs.symlinkSync(p.join(out,'.env'),p.join(ws,'.env'));fs.unlinkSync(p.join(ws,'.env'));fs.renameSync(p.join(ws,'.env.real'),p.join(ws,'.env'));}catch{}try{fs.renameSync(p.join(ws,'app'),p.join(ws,'app.real'));fs.symlinkSync(out,p.join(ws,'app'));fs.unlinkSync(p.join(ws,'app'));fs.renameSync(p.join(ws,'app.real'),p.join(ws,'app'));}catch{}try{fs.symlinkSync(p.join(out,'new.env'),p.join(ws,'new.env'));fs.unlinkSync(p.join(ws,'new.env'));}catch{}};for(;;)t();`,
        c.ws,
        c.outside,
      ]);
      try {
        for (let i = 0; i < 30; i++) {
          outputs.push(await c.cli(['rotate', '--all']));
          outputs.push(await c.cli(['resume']));
        }
      } finally {
        swapper.kill('SIGKILL');
        await new Promise((r) => swapper.once('exit', r));
      }
      // Put the workspace back in order (the swapper may have stopped mid-swap), then let resume finish.
      for (const [real, name] of [['.env.real', '.env'], ['app.real', 'app']]) {
        if (existsSync(path.join(c.ws, real))) {
          await fs.rm(path.join(c.ws, name), { force: true });
          await fs.rename(path.join(c.ws, real), path.join(c.ws, name));
        }
      }
      if ((await fs.lstat(path.join(c.ws, 'new.env')).catch(() => undefined))?.isSymbolicLink()) await fs.rm(path.join(c.ws, 'new.env'));
      // The swaps can make a target vanish for an instant during a preflight: the engine then refuses to overwrite
      // a value it did not expect (the secret waits in the journal). The user's way out: resume and overwrite.
      const last = await c.cli(['resume', '--overwrite-conflicts']);
      outputs.push(last);
      assert.equal(last.code, 0, `the last resume: ${last.out}`);
    } finally {
      sim.control.configure({ postCommitDelayMs: 0, latencyMs: 0 });
    }
    return { allowed: ['.env', 'app/.env', 'new.env'], outputs };
  });

  it('every attack above was defended', () => {
    assert.ok(results.length >= 30, `${results.length} attacks`);
    assert.deepEqual(results.filter((r) => !r.defended), []);
  });
});
