/**
 * Which git the git gate runs, and a git that does not answer: git by an absolute path outside
 * the workspace (a git planted in the repository never runs, also when PATH or the configured
 * `git.path` reach the workspace through a link), the configured path used when it lies outside,
 * and a git that does not answer in time reported as a problem for every target asked.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findGit, NodeGit } from '../../../src/core/node/git';

describe('NodeGit: which git runs, and a git that does not answer', function () {
  this.timeout(30_000);
  let base: string;
  let ws: string;
  let bin: string;
  let marker: string;
  let realGit: string;
  /** PATH with only the real git's folder. */
  let gitPath: string;

  before(function () {
    if (process.platform === 'win32') this.skip();
    realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    assert.ok(path.isAbsolute(realGit), 'git is a requirement of the test machine');
    gitPath = path.dirname(realGit);
  });

  beforeEach(async () => {
    base = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-git-')));
    ws = path.join(base, 'ws');
    bin = path.join(base, 'bin');
    marker = path.join(base, 'marker');
    await fs.mkdir(ws);
    await fs.mkdir(bin);
    execFileSync(realGit, ['init', '-q'], { cwd: ws });
    await fs.writeFile(path.join(ws, '.gitignore'), '.env\n');
    await fs.writeFile(path.join(ws, '.env'), 'K=1\n');
  });
  afterEach(async () => {
    await fs.rm(base, { recursive: true, force: true });
  });

  const script = async (file: string, body: string): Promise<string> => {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return file;
  };
  /** A git that notes each run in the marker, then is the real git. */
  const wrapper = (file: string): Promise<string> => script(file, `echo ran >> "${marker}"\nexec "${realGit}" "$@"`);
  /** A git a hostile repository plants: it would note its run and answer "all fine". */
  const planted = (file: string): Promise<string> => script(file, `echo pwned >> "${marker}"\nexit 0`);
  const IGNORED = { inWorkTree: true, tracked: false, ignored: true };

  it('a configured git outside the workspace is used (its answer counts), also when read through a function at each run', async () => {
    const mine = await wrapper(path.join(bin, 'my-git'));
    const s = await new NodeGit({ configured: mine, env: { PATH: '/nonexistent' } }).status(ws, ['.env']);
    assert.deepEqual(s.get('.env'), { ...IGNORED, workTree: ws });
    assert.equal(existsSync(marker), true, 'the configured git ran');
    await fs.rm(marker);
    const setting: { path?: string } = {};
    const git = new NodeGit({ configured: () => setting.path, env: { PATH: gitPath } });
    await git.status(ws, ['.env']);
    assert.equal(existsSync(marker), false, 'not configured (yet): git from PATH');
    setting.path = mine;
    assert.deepEqual((await git.status(ws, ['.env'])).get('.env'), { ...IGNORED, workTree: ws });
    assert.equal(existsSync(marker), true, 'configured later: used from the next run on');
  });

  it('a configured git inside the workspace never runs, also through a link to the workspace or a relative path: git from PATH outside answers', async () => {
    const inside = await planted(path.join(ws, 'tools', 'git'));
    await fs.symlink(ws, path.join(base, 'alias'));
    for (const configured of [inside, path.join(base, 'alias', 'tools', 'git'), 'tools/git']) {
      const s = await new NodeGit({ configured, env: { PATH: gitPath } }).status(ws, ['.env']);
      assert.deepEqual(s.get('.env'), { ...IGNORED, workTree: ws }, configured);
      assert.equal(existsSync(marker), false, `${configured} ran`);
    }
    // Asked through the link (the folder as the editor names it): the same.
    const s = await new NodeGit({ configured: inside, env: { PATH: gitPath } }).status(path.join(base, 'alias'), ['.env']);
    assert.deepEqual(s.get('.env'), { ...IGNORED, workTree: ws });
    assert.equal(existsSync(marker), false);
  });

  it('a git on PATH inside the workspace never runs: an entry of it, a relative entry, a link to it, a git outside that links into it', async () => {
    await planted(path.join(ws, 'git'));
    await fs.symlink(ws, path.join(base, 'alias'));
    await fs.symlink(path.join(ws, 'git'), path.join(bin, 'git'));
    const env = { PATH: [ws, '.', '', path.join(base, 'alias'), bin, gitPath].join(path.delimiter) };
    assert.equal(findGit(env, [ws]), realGit);
    assert.equal(findGit(env, [path.join(base, 'alias')]), realGit, 'the workspace named through its link');
    const s = await new NodeGit({ env }).status(ws, ['.env']);
    assert.deepEqual(s.get('.env'), { ...IGNORED, workTree: ws });
    assert.equal(existsSync(marker), false, 'the planted git ran');
    // Nothing but the workspace's git on PATH: none is found, and the answer says so.
    const none = await new NodeGit({ env: { PATH: [ws, path.join(base, 'alias'), bin].join(path.delimiter) } }).status(ws, ['.env']);
    assert.deepEqual(none.get('.env'), { inWorkTree: true, workTree: ws, problem: 'git is not installed (or not on PATH outside the workspace)' });
    assert.equal(existsSync(marker), false);
  });

  it('a git that does not answer in time (its child holding the pipes): a problem saying so, for every target asked, within the timeout', async () => {
    const slow = await script(path.join(bin, 'slow-git'), `echo ran >> "${marker}"\nsleep 20`);
    const t0 = Date.now();
    const s = await new NodeGit({ configured: slow, timeoutMs: 300 }).status(ws, ['.env', 'apps/.env']);
    const ms = Date.now() - t0;
    for (const rel of ['.env', 'apps/.env']) assert.deepEqual(s.get(rel), { inWorkTree: true, workTree: ws, problem: 'git did not answer within 0.3 s' }, rel);
    assert.ok(ms < 3_000, `answered after ${ms} ms`);
    assert.equal((await fs.readFile(marker, 'utf8')).split('\n').filter(Boolean).length, 1, 'one run: check-ignore is not asked once ls-files failed');
  });

  it('a git that exits without reading what it is given (EPIPE): its exit code is the answer, no uncaught error', async () => {
    const early = await script(path.join(bin, 'early-git'), `case "$*" in *check-ignore*) exit 3;; esac\nexec "${realGit}" "$@"`);
    // More than a pipe holds (64 KiB): the write meets the closed pipe.
    const rels = Array.from({ length: 4000 }, (_, i) => `apps/service-${String(i).padStart(5, '0')}/config/.env`);
    const s = await new NodeGit({ configured: early }).status(ws, rels);
    assert.deepEqual(s.get(rels[0] as string), { inWorkTree: true, workTree: ws, problem: 'git check-ignore failed (exit 3)' });
    assert.equal(s.size, rels.length);
  });

  it('outside a work tree git is not asked at all', async () => {
    const plain = path.join(base, 'plain');
    await fs.mkdir(plain);
    const s = await new NodeGit({ configured: await wrapper(path.join(bin, 'my-git')) }).status(plain, ['.env']);
    assert.deepEqual(s.get('.env'), { inWorkTree: false });
    assert.equal(existsSync(marker), false);
  });
});
