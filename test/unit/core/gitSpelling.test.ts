/**
 * The git gate asks git about the file cf-rotate writes, however the target is spelled: a name
 * with `\` (the writer splits on it), a leading `:` or glob characters (git would read them as
 * pathspec magic or a pattern), "." and empty parts, a trailing slash; and a file inside a nested
 * repository is answered by that repository, not the outer one.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NodeGit } from '../../../src/core/node/git';

describe('NodeGit: a tracked file is tracked however the target names it', function () {
  this.timeout(30_000);
  let base: string;
  let ws: string;
  let realGit: string;
  const git = (cwd: string, ...args: string[]): string => execFileSync(realGit, args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });

  before(function () {
    if (process.platform === 'win32') this.skip();
    realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  });
  beforeEach(async () => {
    base = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-gitspell-')));
    ws = path.join(base, 'ws');
    await fs.mkdir(path.join(ws, 'sub'), { recursive: true });
    git(ws, 'init', '-q');
    await fs.writeFile(path.join(ws, '.gitignore'), '*.env\n');
    for (const f of ['.env', 'sub/.env', ':x.env', 'a*.env']) await fs.writeFile(path.join(ws, f), 'K=1\n');
    git(ws, 'add', '-f', '--', '.env', 'sub/.env', ':(literal):x.env', ':(literal)a*.env');
    git(ws, 'commit', '-q', '-m', 'tracked secrets');
  });
  afterEach(() => fs.rm(base, { recursive: true, force: true }));

  for (const spelling of ['.env', './.env', '.\\.env', './/.env', '.env/', 'sub\\.env', 'sub//.env', 'sub/./.env', ':x.env', './:x.env', 'a*.env']) {
    it(`"${spelling}" is reported tracked`, async () => {
      const s = await new NodeGit({ env: { PATH: path.dirname(realGit) } }).status(ws, [spelling]);
      const st = s.get(spelling);
      assert.equal(st?.problem, undefined, JSON.stringify(st));
      assert.equal(st?.tracked, true, JSON.stringify(st));
    });
  }

  it('an untracked, ignored file stays "ignored" in any spelling; a glob never stands for other files', async () => {
    await fs.writeFile(path.join(ws, 'b.env'), 'K=1\n');
    const s = await new NodeGit({ env: { PATH: path.dirname(realGit) } }).status(ws, ['b.env', '.\\b.env', 'b*.env']);
    assert.deepEqual([s.get('b.env')?.tracked, s.get('b.env')?.ignored], [false, true]);
    assert.deepEqual([s.get('.\\b.env')?.tracked, s.get('.\\b.env')?.ignored], [false, true]);
    assert.equal(s.get('b*.env')?.tracked, false, 'b*.env names a file that does not exist, not b.env');
  });

  it('a name git would read as pathspec magic (":.env", ":/x.env", ":(glob)c.env") is asked about as itself: not ignored because ".env" is', async () => {
    // "/x.env" ignores the top-level x.env only; ":/x.env" names x.env in a folder ":" (git's magic would read it as the top-level one).
    await fs.writeFile(path.join(ws, '.gitignore'), '.env\n/x.env\n');
    for (const f of [':.env', ':(glob)c.env']) await fs.writeFile(path.join(ws, f), 'K=1\n');
    const names = [':.env', ':/x.env', ':(glob)c.env', 'sub/:.env'];
    const s = await new NodeGit({ env: { PATH: path.dirname(realGit) } }).status(ws, names);
    for (const n of names) {
      const st = s.get(n);
      assert.equal(st?.problem, undefined, `${n}: ${st?.problem}`);
      assert.equal(st?.tracked, false, n);
      assert.equal(st?.ignored, false, `${n} is not ignored: no rule names it`);
    }
    await fs.mkdir(path.join(ws, 'other'));
    const plain = await new NodeGit({ env: { PATH: path.dirname(realGit) } }).status(ws, ['other/.env', 'x.env']);
    assert.equal(plain.get('other/.env')?.ignored, true, 'the answers are still read: an untracked .env is ignored');
    assert.equal(plain.get('x.env')?.ignored, true);
  });

  it('a target that is a link to a tracked file is reported tracked (git is asked about the file written)', async () => {
    await fs.writeFile(path.join(ws, 'app.env'), 'K=1\n');
    git(ws, 'add', '-f', 'app.env');
    git(ws, 'commit', '-q', '-m', 'tracked');
    await fs.symlink('app.env', path.join(ws, 'linked.env'));
    const s = await new NodeGit({ env: { PATH: path.dirname(realGit) } }).status(ws, ['linked.env']);
    assert.equal(s.get('linked.env')?.tracked, true, JSON.stringify(s.get('linked.env')));
  });

  it('a nested repository answers for its own files', async () => {
    const nested = path.join(ws, 'nested');
    await fs.mkdir(nested);
    git(nested, 'init', '-q');
    await fs.writeFile(path.join(nested, '.env'), 'K=1\n');
    git(nested, 'add', '.env');
    git(nested, 'commit', '-q', '-m', 'tracked in the nested repository');
    const s = await new NodeGit({ env: { PATH: path.dirname(realGit) } }).status(ws, ['nested/.env']);
    assert.equal(s.get('nested/.env')?.tracked, true, JSON.stringify(s.get('nested/.env')));
    assert.equal(s.get('nested/.env')?.workTree, nested);
  });
});
