/**
 * The one checked reader/writer: every containment rule on its own (expected refusals written
 * out), modes, temporaries, the sweep, and a race that swaps the target's folder for a link to
 * the outside while writes run.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import fsModule from 'node:fs';
import { constants, promises as fs, existsSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as net from 'node:net';
import { CfRotateError } from '../../../src/core/errors';
import { CheckedFiles, fileError, isInside, isInsideOrSame } from '../../../src/core/node/checked';
import { NodeFiles } from '../../../src/core/node/files';
import { processStartTime } from '../../../src/core/node/lock';
import { TARGET_RULES } from '../../../src/core/engine/targets';

const rules = TARGET_RULES;

async function refuses(p: Promise<unknown>, kind: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: Error & { kind?: string }) => {
    assert.equal(e.kind, kind, e.message);
    assert.match(e.message, message);
    return true;
  });
}

/** Run `act` while every FileHandle's fstat reports `size` (the size a read is planned with; the file itself is unchanged). */
async function withStatSize<T>(size: number, act: () => Promise<T>): Promise<T> {
  const h = await fs.open(__filename);
  const proto = Object.getPrototypeOf(h) as { stat: (...a: unknown[]) => Promise<{ size: number }> };
  await h.close();
  const stat = proto.stat;
  proto.stat = async function (this: unknown, ...a: unknown[]) {
    const st = await stat.apply(this, a);
    st.size = size;
    return st;
  };
  try {
    return await act();
  } finally {
    proto.stat = stat;
  }
}

describe('checked files: containment, file types, modes, temporaries', function () {
  this.timeout(30_000);
  let root: string;
  let outside: string;
  const cf = new CheckedFiles();

  beforeEach(async () => {
    root = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-checked-')));
    outside = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-outside-')));
    await fs.writeFile(path.join(outside, 'secret.txt'), 'outside\n');
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
    await fs.rm(outside, { recursive: true, force: true });
  });

  const outsideUntouched = async (): Promise<void> => {
    assert.deepEqual(readdirSync(outside).sort(), ['secret.txt']);
    assert.equal(await fs.readFile(path.join(outside, 'secret.txt'), 'utf8'), 'outside\n');
  };

  it('isInside / isInsideOrSame', () => {
    assert.equal(isInside('/a/b', '/a/b/c'), true);
    assert.equal(isInside('/a/b', '/a/b'), false);
    assert.equal(isInsideOrSame('/a/b', '/a/b'), true);
    assert.equal(isInside('/a/b', '/a/bc'), false);
    assert.equal(isInside('/a/b', '/a'), false);
    assert.equal(isInside('/a/b', '/a/b/../c'), false);
    assert.equal(isInside('/a/b', '/a/b/..c'), true, 'a name that starts with two dots is inside');
  });

  it('writes and reads a file inside; a new file is 0600; an existing file keeps its mode; nothing else is left', async () => {
    await cf.write(root, '.env', Buffer.from('A=1\n'), rules);
    assert.equal((await fs.stat(path.join(root, '.env'))).mode & 0o777, 0o600);
    await fs.chmod(path.join(root, '.env'), 0o640);
    await cf.write(root, '.env', Buffer.from('A=2\n'), rules);
    assert.equal((await fs.stat(path.join(root, '.env'))).mode & 0o777, 0o640);
    assert.equal(Buffer.from((await cf.read(root, '.env', rules))!.bytes).toString(), 'A=2\n');
    assert.deepEqual(readdirSync(root), ['.env']);
    assert.equal(await cf.read(root, 'missing.env', rules), undefined);
  });

  it('refuses absolute paths, drive letters and ".." segments', async () => {
    for (const rel of ['/etc/passwd', '\\\\server\\share\\x', 'C:/x/.env', 'c:.env']) await refuses(cf.write(root, rel, Buffer.from('x'), rules), 'config', /absolute path/);
    for (const rel of ['../.env', 'a/../../.env', 'a\\..\\..\\.env']) await refuses(cf.write(root, rel, Buffer.from('x'), rules), 'config', /leaves the folder/);
    await outsideUntouched();
  });

  it('refuses a link that leads out, a folder that links out, and a dangling link', async () => {
    await fs.symlink(path.join(outside, 'secret.txt'), path.join(root, '.env'));
    await refuses(cf.write(root, '.env', Buffer.from('x'), rules), 'file', /link that leads outside/);
    await refuses(cf.read(root, '.env', rules), 'file', /link that leads outside/);
    await fs.symlink(outside, path.join(root, 'sub'));
    await refuses(cf.write(root, 'sub/.env', Buffer.from('x'), rules), 'file', /folder that links outside/);
    await fs.symlink(path.join(root, 'nowhere'), path.join(root, 'dangling.env'));
    await refuses(cf.write(root, 'dangling.env', Buffer.from('x'), rules), 'file', /dangling symbolic link/);
    await outsideUntouched();
  });

  it('follows a link that stays inside and writes the real file, keeping the link', async () => {
    await fs.mkdir(path.join(root, 'config'));
    await fs.writeFile(path.join(root, 'config', 'real.env'), 'A=1\n');
    await fs.symlink(path.join('config', 'real.env'), path.join(root, '.env'));
    const r = await cf.write(root, '.env', Buffer.from('A=2\n'), rules);
    assert.equal(r.real, path.join(root, 'config', 'real.env'));
    assert.equal((await fs.lstat(path.join(root, '.env'))).isSymbolicLink(), true);
    assert.equal(await fs.readFile(path.join(root, 'config', 'real.env'), 'utf8'), 'A=2\n');
  });

  it('refuses FIFOs (without hanging), sockets, directories and files over the size limit', async function () {
    execFileSync('mkfifo', [path.join(root, 'pipe.env')]);
    await refuses(cf.read(root, 'pipe.env', rules), 'file', /FIFO/);
    await refuses(cf.write(root, 'pipe.env', Buffer.from('x'), rules), 'file', /FIFO/);
    await fs.mkdir(path.join(root, 'dir.env'));
    await refuses(cf.write(root, 'dir.env', Buffer.from('x'), rules), 'file', /directory/);
    await fs.writeFile(path.join(root, 'big.env'), Buffer.alloc(2048, 0x41));
    await refuses(cf.read(root, 'big.env', { ...rules, maxBytes: 1024 }), 'file', /larger than/);
  });

  it('never touches .git (directly, nested, or through a link that stays inside) nor the config file', async () => {
    await fs.mkdir(path.join(root, '.git', 'hooks'), { recursive: true });
    await fs.writeFile(path.join(root, '.git', 'config'), '[core]\n');
    for (const rel of ['.git/config', '.git/hooks/pre-commit', 'sub/.git/x', '.GIT/config'.toLowerCase()]) {
      await fs.mkdir(path.join(root, path.dirname(rel)), { recursive: true });
      await refuses(cf.write(root, rel, Buffer.from('x'), rules), 'config', /\.git/);
    }
    await fs.symlink(path.join(root, '.git', 'config'), path.join(root, 'innocent.env'));
    await refuses(cf.write(root, 'innocent.env', Buffer.from('x'), rules), 'config', /\.git/);
    await fs.writeFile(path.join(root, '.git-like.env'), 'ok\n');
    await cf.write(root, '.git-like.env', Buffer.from('A=1\n'), rules);
    await fs.mkdir(path.join(root, '.vscode'));
    await fs.writeFile(path.join(root, '.vscode', 'cf-rotate.json'), '{"tokens":[]}');
    await refuses(cf.write(root, '.vscode/cf-rotate.json', Buffer.from('x'), rules), 'config', /cf-rotate\.json/);
    await fs.symlink(path.join(root, '.vscode', 'cf-rotate.json'), path.join(root, 'cfg.env'));
    await refuses(cf.write(root, 'cfg.env', Buffer.from('x'), rules), 'config', /cf-rotate\.json/);
    assert.equal(await fs.readFile(path.join(root, '.git', 'config'), 'utf8'), '[core]\n');
  });

  it('a missing folder is named; the folder itself is not a file', async () => {
    await refuses(cf.write(root, 'nope/.env', Buffer.from('x'), rules), 'file', /folder of nope\/\.env does not exist/);
    await refuses(cf.write(root, '.', Buffer.from('x'), rules), 'file', /folder itself|directory/);
  });

  it('temporaries are named <name>.cf-rotate-<pid>-<start>-<hex>.tmp (matched by .env*); the sweep removes those of dead processes only', async () => {
    await fs.writeFile(path.join(root, '.env'), 'A=1\n');
    const dead = path.join(root, '.env.cf-rotate-4194303123-77-abcdef012345.tmp');
    const live = path.join(root, `.env.cf-rotate-1-${(await fs.readFile('/proc/1/stat', 'utf8').catch(() => '')).split(') ')[1]?.split(' ')[19] ?? '0'}-abcdef012345.tmp`);
    const legacyOld = path.join(root, '..env.cf-rotate-0123456789ab.tmp');
    const other = path.join(root, '.dev.vars.cf-rotate-4194303123-77-abcdef012345.tmp');
    for (const f of [dead, live, legacyOld, other]) await fs.writeFile(f, 'SECRET=x\n');
    const old = (Date.now() - 2 * 3600_000) / 1000;
    await fs.utimes(legacyOld, old, old);
    assert.match(path.basename(dead), /^\.env/, 'a .env* ignore rule matches it');
    const n = await cf.sweep(root, '', '.env');
    assert.equal(n, 2, 'the dead process\'s and the old legacy temporary');
    assert.equal(existsSync(dead), false);
    assert.equal(existsSync(legacyOld), false);
    assert.equal(existsSync(live), true, 'pid 1 is alive since that start time');
    assert.equal(existsSync(other), true, 'only temporaries of the named file');
  });

  it('a folder swapped for a link to the outside while writes run: nothing ever lands outside (200 writes)', async function () {
    this.timeout(60_000);
    const sub = path.join(root, 'sub');
    const aside = path.join(root, 'sub-real');
    await fs.mkdir(sub);
    await fs.writeFile(path.join(sub, '.env'), 'A=0\n');
    // A tight loop in another process swaps sub ↔ link-to-outside as fast as it can.
    const swapper = spawn(process.execPath, [
      '-e',
      `const fs=require('fs');const [s,a,o]=process.argv.slice(1);for(;;){try{fs.renameSync(s,a);fs.symlinkSync(o,s);fs.unlinkSync(s);fs.renameSync(a,s);}catch{}}`,
      sub,
      aside,
      outside,
    ]);
    let ok = 0;
    let refused = 0;
    try {
      for (let i = 0; i < 200; i++) {
        try {
          await cf.write(root, 'sub/.env', Buffer.from(`A=SECRET${i}\n`), rules);
          ok++;
        } catch {
          refused++;
        }
      }
    } finally {
      swapper.kill('SIGKILL');
      await new Promise((r) => swapper.once('exit', r));
    }
    await outsideUntouched();
    assert.ok(ok + refused === 200);
    console.log(`      race: ${ok} writes landed inside, ${refused} refused (folder moved or replaced by a link), 0 outside`);
    assert.ok(ok > 0, 'some writes got through the swaps');
    // Every successful write landed in the real folder (under whichever of its two names it had).
    const real = existsSync(path.join(sub, '.env')) && !(await fs.lstat(sub)).isSymbolicLink() ? sub : aside;
    assert.match(await fs.readFile(path.join(real, '.env'), 'utf8'), /^A=(0|SECRET\d+)\n$/);
    assert.deepEqual(readdirSync(real).filter((n) => n.endsWith('.tmp')), [], 'no temporary left');
  });
});

describe('checked files: each rule on its own', function () {
  this.timeout(30_000);
  let root: string;
  const cf = new CheckedFiles();
  const errnoError = (code: string, message = `stubbed ${code}`): Error => Object.assign(new Error(message), { code });

  beforeEach(async () => {
    root = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-checked2-')));
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('fileError: the reason of each known code, else the message; the default hint or the given one; a CfRotateError passes through', () => {
    const reasons: Record<string, string> = {
      EACCES: 'permission denied',
      EPERM: 'operation not permitted',
      EROFS: 'read-only file system',
      ENOSPC: 'no space left on the device',
      EDQUOT: 'disk quota exceeded',
      EISDIR: 'it is a directory',
      ENOTDIR: 'a parent is not a directory',
      ENOENT: 'it does not exist',
      EBUSY: 'it is busy',
      ELOOP: 'it became a symbolic link',
      EMFILE: 'too many open files',
    };
    for (const [code, why] of Object.entries(reasons)) {
      const e = fileError('write', '.env', errnoError(code));
      assert.equal(e.kind, 'file');
      assert.equal(e.message, `Could not write .env: ${why} (${code}).`);
      assert.equal(e.hint, 'Fix the file or folder permissions (or free disk space), then try again.');
    }
    assert.equal(fileError('read', 'a.env', errnoError('EWHAT', 'strange')).message, 'Could not read a.env: strange (EWHAT).');
    assert.equal(fileError('read', 'a.env', new Error('plain')).message, 'Could not read a.env: plain.');
    assert.equal(fileError('read', 'a.env', 'a string').message, 'Could not read a.env: a string.');
    assert.equal(fileError('read', 'a.env', errnoError('EACCES'), 'Do this.').hint, 'Do this.');
    const cause = errnoError('EACCES');
    assert.equal((fileError('read', 'a.env', cause) as Error & { cause?: unknown }).cause, cause);
    const own = new CfRotateError('config', 'mine');
    assert.equal(fileError('read', 'a.env', own), own);
  });

  it('isInsideOrSame / isInside: a path that is not below the root in any way', () => {
    assert.equal(isInsideOrSame('/a/b', '/a'), false);
    assert.equal(isInsideOrSame('/a/b', '/a/c'), false);
    assert.equal(isInsideOrSame('/a/b', '/a/b/c/d'), true);
    assert.equal(isInsideOrSame('/a/b', '/a/b/..c'), true);
    assert.equal(isInside('/a/b', '/a/b/c'), true);
    assert.equal(isInside('/', '/x'), true);
    assert.equal(isInsideOrSame('/a/b', '/other'), false);
  });

  it('an empty path or one with NUL is refused; "." and "//" segments are dropped', async () => {
    for (const rel of ['', 'a\0.env']) {
      await assert.rejects(cf.write(root, rel, Buffer.from('x'), rules), (e: Error & { kind?: string }) => e.kind === 'config' && e.message === 'A file path is empty or contains a NUL character.');
    }
    await fs.mkdir(path.join(root, 'a'));
    const r = await cf.write(root, './a//./x.env', Buffer.from('X=1\n'), rules);
    assert.equal(r.real, path.join(root, 'a', 'x.env'));
    assert.equal(r.rel, './a//./x.env');
    assert.equal(await fs.readFile(path.join(root, 'a', 'x.env'), 'utf8'), 'X=1\n');
  });

  it('the words of each refusal, and its hint', async () => {
    const refusal = async (p: Promise<unknown>, kind: string, message: string, hint: string | undefined): Promise<void> => {
      await assert.rejects(p, (e: Error & { kind?: string; hint?: string }) => {
        assert.equal(e.kind, kind);
        assert.equal(e.message, message);
        assert.equal(e.hint, hint);
        return true;
      });
    };
    await refusal(cf.write(path.join(root, 'missing'), '.env', Buffer.from('x'), rules), 'file', `Could not open the folder ${path.join(root, 'missing')}: it does not exist (ENOENT).`, 'Open an existing folder.');
    await refusal(cf.write(root, '/abs.env', Buffer.from('x'), rules), 'config', '/abs.env is an absolute path; cf-rotate only writes inside the folder.', 'Use a path relative to the folder that holds .vscode/.');
    await refusal(cf.write(root, 'a/../../x.env', Buffer.from('x'), rules), 'config', 'a/../../x.env leaves the folder ("..").', 'Use a path relative to the folder that holds .vscode/, without "..".');
    await refusal(cf.write(root, '.', Buffer.from('x'), rules), 'file', '. is the folder itself, not a file inside it.', 'Name a file, such as .env.');
    await refusal(cf.write(root, 'no/such/.env', Buffer.from('x'), rules), 'file', 'The folder of no/such/.env does not exist.', 'Create no/such first.');
    await fs.writeFile(path.join(root, 'plain'), 'x');
    await refusal(cf.write(root, 'plain/x/.env', Buffer.from('x'), rules), 'file', 'Could not open the folder of plain/x/.env: a parent is not a directory (ENOTDIR).', 'Fix the file or folder permissions (or free disk space), then try again.');
    await refusal(cf.write(root, 'plain/.env', Buffer.from('x'), rules), 'file', 'Could not inspect plain/.env: a parent is not a directory (ENOTDIR).', 'Fix the file or folder permissions (or free disk space), then try again.');
    await fs.symlink('/', path.join(root, 'up'));
    await refusal(cf.write(root, 'up/.env', Buffer.from('x'), rules), 'file', 'up/.env lies in a folder that links outside the workspace folder; cf-rotate refuses to follow it.', 'Use a real folder inside the workspace.');
    await fs.symlink(os.tmpdir(), path.join(root, 'out.env'));
    await refusal(cf.write(root, 'out.env', Buffer.from('x'), rules), 'file', 'out.env is a link that leads outside the workspace folder; cf-rotate refuses to follow it.', 'Replace the link with a file inside the folder, or point the target at the real file inside the folder.');
    await fs.symlink('.', path.join(root, 'self.env'));
    await refusal(cf.write(root, 'self.env', Buffer.from('x'), rules), 'file', 'self.env is a link that leads outside the workspace folder; cf-rotate refuses to follow it.', 'Replace the link with a file inside the folder, or point the target at the real file inside the folder.');
    await fs.symlink('nowhere.env', path.join(root, 'dangling.env'));
    await refusal(cf.write(root, 'dangling.env', Buffer.from('x'), rules), 'file', 'dangling.env is a dangling symbolic link.', 'Remove the link or create the file it points to inside the folder.');
    await fs.symlink('loop.env', path.join(root, 'loop.env'));
    await refusal(cf.write(root, 'loop.env', Buffer.from('x'), rules), 'file', 'loop.env is a dangling symbolic link.', 'Remove the link or create the file it points to inside the folder.');
    await fs.mkdir(path.join(root, 'd.env'));
    await refusal(cf.write(root, 'd.env', Buffer.from('x'), rules), 'file', 'd.env is a directory, not a regular file; cf-rotate only reads and writes regular files.', 'Point the target at a .env text file.');
    await fs.mkdir(path.join(root, '.git'));
    await refusal(cf.write(root, '.git/x.env', Buffer.from('x'), rules), 'config', '.git/x.env lies inside a .git folder; cf-rotate never writes there.', 'Point the target at a .env file in the work tree.');
    await fs.rm(path.join(root, '.git'), { recursive: true });
    await fs.writeFile(path.join(root, '.git'), 'gitdir: elsewhere\n');
    await refusal(cf.write(root, '.git', Buffer.from('x'), rules), 'config', ".git is git's own .git file; cf-rotate never writes it.", 'Point the target at a .env file in the work tree.');
    await fs.mkdir(path.join(root, '.vscode'));
    await refusal(cf.write(root, '.vscode/cf-rotate.json', Buffer.from('x'), rules), 'config', '.vscode/cf-rotate.json is the configuration file .vscode/cf-rotate.json; cf-rotate does not write a secret into it.', 'Point the target at a .env file.');
    assert.equal(await fs.readFile(path.join(root, '.git'), 'utf8'), 'gitdir: elsewhere\n');
  });

  it('a socket is refused by name', async () => {
    const server = net.createServer();
    const sock = path.join(root, 's.env');
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      await assert.rejects(cf.write(root, 's.env', Buffer.from('x'), rules), /s\.env is a socket, not a regular file/);
      await assert.rejects(cf.read(root, 's.env', rules), /s\.env is a socket, not a regular file/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('without denyGitDir, .git is allowed; deny entries are normalised', async () => {
    await fs.mkdir(path.join(root, '.git'));
    await cf.write(root, '.git/x', Buffer.from('x'), { denyGitDir: false });
    await fs.writeFile(path.join(root, '.git2'), '');
    await cf.write(root, '.git', Buffer.from('x'), { denyGitDir: false }).catch((e: Error) => assert.match(e.message, /directory/));
    await fs.mkdir(path.join(root, 'cfg'));
    await assert.rejects(cf.write(root, 'cfg/x.env', Buffer.from('x'), { deny: ['./cfg//x.env'] }), /cfg\/x\.env is the configuration file \.\/cfg\/\/x\.env; cf-rotate does not write a secret into it\./);
    await cf.write(root, 'cfg/y.env', Buffer.from('x'), { deny: ['./cfg//x.env'] });
  });

  it('read: the size limit is named in MB (at least 1); a file exactly at the limit is read', async () => {
    await fs.writeFile(path.join(root, 'big.env'), Buffer.alloc(1025, 0x41));
    await assert.rejects(cf.read(root, 'big.env', { maxBytes: 1024 }), (e: Error & { kind?: string; hint?: string }) => e.kind === 'file' && e.message === 'big.env is larger than 1 MB.' && e.hint === 'Point the target at a .env file.');
    assert.equal((await cf.read(root, 'big.env', { maxBytes: 1025 }))?.bytes.length, 1025);
    await fs.writeFile(path.join(root, 'huge.env'), Buffer.alloc(3 * 1024 * 1024 + 1, 0x41));
    await assert.rejects(cf.read(root, 'huge.env', { maxBytes: 3 * 1024 * 1024 }), (e: Error) => e.message === 'huge.env is larger than 3 MB.');
    assert.equal((await cf.read(root, 'huge.env', {}))?.bytes.length, 3 * 1024 * 1024 + 1, 'the default limit is 50 MiB');
    const r = await cf.read(root, 'big.env', {});
    assert.deepEqual([r?.resolved.size, r?.resolved.mode, r?.resolved.exists, r?.resolved.name], [1025, (await fs.stat(path.join(root, 'big.env'))).mode & 0o7777, true, 'big.env']);
    // Read on past the size fstat gave (the file grew since): exactly the limit is still read whole, one byte more is refused.
    await withStatSize(7, async () => {
      assert.equal((await cf.read(root, 'big.env', { maxBytes: 1025 }))?.bytes.length, 1025);
      await assert.rejects(cf.read(root, 'big.env', { maxBytes: 1024 }), (e: Error) => e.message === 'big.env is larger than 1 MB.');
    });
  });

  it('assertWritable: what resolve() says, for an existing and a new file', async () => {
    await fs.writeFile(path.join(root, 'e.env'), 'A=1\n', { mode: 0o640 });
    await fs.chmod(path.join(root, 'e.env'), 0o640);
    assert.deepEqual(await cf.assertWritable(root, 'e.env', rules), { rel: 'e.env', realRoot: root, realDir: root, name: 'e.env', real: path.join(root, 'e.env'), exists: true, mode: 0o640, size: 4 });
    assert.deepEqual(await cf.assertWritable(root, 'n.env', rules), { rel: 'n.env', realRoot: root, realDir: root, name: 'n.env', real: path.join(root, 'n.env'), exists: false });
  });

  it('assertWritable: a file or folder that cannot be written is a "file" error with the reason', async () => {
    const fsp = fs as unknown as { access: (p: string, mode?: number) => Promise<void> };
    const access = fsp.access;
    await fs.writeFile(path.join(root, 'e.env'), 'A=1\n');
    try {
      fsp.access = async (p: string) => {
        if (p === path.join(root, 'e.env')) throw errnoError('EACCES');
      };
      await assert.rejects(cf.assertWritable(root, 'e.env', rules), (e: Error & { kind?: string }) => e.kind === 'file' && e.message === 'Could not write e.env: permission denied (EACCES).');
      await cf.assertWritable(root, 'n.env', rules);
      fsp.access = async (p: string) => {
        if (p === root) throw errnoError('EROFS');
      };
      await assert.rejects(cf.assertWritable(root, 'n.env', rules), (e: Error) => e.message === 'Could not write n.env: read-only file system (EROFS).');
    } finally {
      fsp.access = access;
    }
  });

  it('write: a new file gets the given mode; an existing file keeps its own; the result says so', async () => {
    const r = await cf.write(root, 'm.env', Buffer.from('A=1\n'), { ...rules, mode: 0o644 });
    assert.equal((await fs.stat(path.join(root, 'm.env'))).mode & 0o777, 0o644);
    assert.deepEqual([r.exists, r.mode, r.size], [true, 0o644, 4]);
    await fs.chmod(path.join(root, 'm.env'), 0o600);
    const again = await cf.write(root, 'm.env', Buffer.from('A=22\n'), { ...rules, mode: 0o644 });
    assert.equal((await fs.stat(path.join(root, 'm.env'))).mode & 0o777, 0o600);
    assert.deepEqual([again.exists, again.mode, again.size], [true, 0o600, 5]);
    assert.deepEqual(readdirSync(root), ['m.env']);
  });

  it('write: a failure leaves no temporary, and is reported as a file error', async () => {
    const fsp = fs as unknown as { rename: (a: string, b: string) => Promise<void> };
    const rename = fsp.rename;
    try {
      fsp.rename = async () => {
        throw errnoError('ENOSPC');
      };
      await assert.rejects(cf.write(root, 'f.env', Buffer.from('A=1\n'), rules), (e: Error & { kind?: string }) => e.kind === 'file' && e.message === 'Could not write f.env: no space left on the device (ENOSPC).');
    } finally {
      fsp.rename = rename;
    }
    assert.deepEqual(readdirSync(root), []);
  });

  it('remove: deletes the file; a missing file or folder is fine; a refused path is still refused', async () => {
    await fs.writeFile(path.join(root, 'r.env'), 'x');
    await cf.remove(root, 'r.env', rules);
    assert.deepEqual(readdirSync(root), []);
    await cf.remove(root, 'r.env', rules);
    await cf.remove(root, 'no/r.env', rules);
    await assert.rejects(cf.remove(root, '../r.env', rules), /leaves the folder/);
    await fs.mkdir(path.join(root, 'd.env'));
    await assert.rejects(cf.remove(root, 'd.env', rules), /is a directory/);
  });

  it('sweep: "." is the root; every temporary when no name is given; never a young legacy one, a folder, or a folder outside', async () => {
    const dead = (name: string): string => `${name}.cf-rotate-4194303123-77-abcdef012345.tmp`;
    for (const n of [dead('.env'), dead('.dev.vars'), '..env.cf-rotate-0123456789ab.tmp', 'x.tmp']) await fs.writeFile(path.join(root, n), 'x');
    await fs.mkdir(path.join(root, 'dir.tmp'));
    assert.equal(await cf.sweep(root, '.'), 2, 'both dead temporaries; the young legacy one stays');
    assert.deepEqual(readdirSync(root).sort(), ['..env.cf-rotate-0123456789ab.tmp', 'dir.tmp', 'x.tmp'].sort());
    const old = (Date.now() - 2 * 3600_000) / 1000;
    await fs.utimes(path.join(root, '..env.cf-rotate-0123456789ab.tmp'), old, old);
    assert.equal(await cf.sweep(root, '', '.dev.vars'), 0, 'a legacy temporary of another file');
    assert.equal(await cf.sweep(root, ''), 1);
    await fs.mkdir(path.join(root, 'sub'));
    await fs.writeFile(path.join(root, 'sub', dead('.env')), 'x');
    assert.equal(await cf.sweep(root, 'sub', '.env'), 1);
    assert.equal(await cf.sweep(root, 'missing'), 0);
    assert.equal(await cf.sweep(root, '../x'), 0);
    const outside = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-sweep-out-'));
    try {
      await fs.writeFile(path.join(outside, dead('.env')), 'x');
      await fs.symlink(outside, path.join(root, 'link'));
      assert.equal(await cf.sweep(root, 'link'), 0);
      assert.deepEqual(readdirSync(outside), [dead('.env')]);
    } finally {
      await fs.rm(outside, { recursive: true, force: true });
    }
  });

  it('sweep: a dead write\'s temporary folder goes (its file first, then its .gitignore); one of a live process, one holding anything else, or a link in its place is left, and nothing outside is touched', async () => {
    const dead = (name: string): string => `${name}.cf-rotate-4194303123-77-abcdef012345.tmp`;
    const live = `.env.cf-rotate-${process.ppid}-${processStartTime(process.ppid) ?? '0'}-abcdef012345.tmp`;
    const folder = async (name: string, files: Record<string, string>): Promise<string> => {
      const at = path.join(root, name);
      await fs.mkdir(at, { mode: 0o700 });
      for (const [n, text] of Object.entries(files)) await fs.writeFile(path.join(at, n), text);
      return at;
    };
    const outside = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-sweep-out2-')));
    await fs.writeFile(path.join(outside, 'secret.txt'), 'outside\n');
    await folder(dead('.env'), { '.gitignore': '*\n', '.env': 'SECRET=1\n' });
    await folder(dead('.dev.vars'), { '.gitignore': '*\n' });
    await folder(dead('.gitignore'), { '.gitignore': '*\n', 'gitignore.tmp': '.env\n' });
    await folder(dead('a.env'), {});
    await folder(live, { '.gitignore': '*\n', '.env': 'SECRET=2\n' });
    await folder(dead('b.env'), { '.gitignore': '*\n', 'b.env': 'x', 'notes.txt': 'not a write\'s' });
    const other = await folder(dead('c.env'), { '.gitignore': '*\n' });
    await fs.symlink(path.join(outside, 'secret.txt'), path.join(other, 'c.env'));
    await fs.symlink(outside, path.join(root, dead('d.env')));
    await fs.writeFile(path.join(outside, '.gitignore'), 'outside\n');
    await fs.writeFile(path.join(outside, 'd.env'), 'outside\n');
    assert.equal(await cf.sweep(root, '.'), 4);
    assert.deepEqual(readdirSync(root).sort(), [live, dead('b.env'), dead('c.env'), dead('d.env')].sort());
    assert.deepEqual(readdirSync(path.join(root, dead('b.env'))).sort(), ['.gitignore', 'b.env', 'notes.txt']);
    assert.equal(await fs.readFile(path.join(outside, 'secret.txt'), 'utf8'), 'outside\n');
    assert.deepEqual(readdirSync(outside).sort(), ['.gitignore', 'd.env', 'secret.txt']);
    assert.equal(await cf.sweep(root, '.', '.env'), 0, 'the live process\'s folder stays');
    await fs.rm(outside, { recursive: true, force: true });
  });

  it('sweep: a temporary of this process is left while its write runs, and removed when left over', async () => {
    const mine = `.env.cf-rotate-${process.pid}-${processStartTime(process.pid) ?? '0'}-abcdef012345.tmp`;
    await fs.writeFile(path.join(root, mine), 'x');
    assert.equal(await cf.sweep(root, '', '.env'), 1, 'not written by a running write of this process: left over');
    const fsp = fs as unknown as { rename: (a: string, b: string) => Promise<void> };
    const rename = fsp.rename;
    let during = -1;
    try {
      fsp.rename = async (a: string, b: string) => {
        during = await cf.sweep(root, '', '.env');
        await rename(a, b);
      };
      await cf.write(root, '.env', Buffer.from('A=1\n'), rules);
    } finally {
      fsp.rename = rename;
    }
    assert.equal(during, 0, 'the temporary of the write in flight is not swept');
    assert.deepEqual(readdirSync(root), ['.env']);
  });

  it('read: a file replaced by a link or a FIFO between the check and the open is refused (O_NOFOLLOW, O_NONBLOCK), without hanging', async () => {
    const fsp = fs as unknown as { open: (...args: unknown[]) => Promise<unknown> };
    const open = fsp.open;
    const file = path.join(root, 'r.env');
    const other = path.join(root, 'other.env');
    await fs.writeFile(other, 'OTHER=1\n');
    for (const [swap, message] of [
      [() => fs.symlink(other, file), 'Could not read r.env: it became a symbolic link (ELOOP).'],
      [async () => execFileSync('mkfifo', [file]), 'r.env is not a regular file; cf-rotate only reads regular files.'],
    ] as const) {
      await fs.writeFile(file, 'A=1\n');
      let swapped = false;
      fsp.open = async (...args: unknown[]) => {
        if (!swapped && String(args[0]).endsWith('/r.env')) {
          swapped = true;
          await fs.rm(file);
          await swap();
        }
        return open(...args);
      };
      try {
        await assert.rejects(cf.read(root, 'r.env', rules), (e: Error & { kind?: string }) => e.kind === 'file' && e.message === message);
      } finally {
        fsp.open = open;
      }
      assert.ok(swapped);
      await fs.rm(file);
    }
  });

  it('read: a file removed between the check and the open reads as missing', async () => {
    const fsp = fs as unknown as { open: (...args: unknown[]) => Promise<unknown> };
    const open = fsp.open;
    await fs.writeFile(path.join(root, 'g.env'), 'A=1\n');
    fsp.open = async (...args: unknown[]) => {
      if (String(args[0]).endsWith('/g.env')) await fs.rm(path.join(root, 'g.env'), { force: true });
      return open(...args);
    };
    try {
      assert.equal(await cf.read(root, 'g.env', rules), undefined);
    } finally {
      fsp.open = open;
    }
  });

  it('.git is refused by default (rules without denyGitDir); a colon after the first character is not a drive letter', async () => {
    await fs.mkdir(path.join(root, '.git'));
    await assert.rejects(cf.write(root, '.git/x.env', Buffer.from('x'), {}), /lies inside a \.git folder/);
    await fs.writeFile(path.join(root, 'sub.git'), '');
    await cf.write(root, 'ab:c.env', Buffer.from('A=1\n'), rules);
    assert.equal(await fs.readFile(path.join(root, 'ab:c.env'), 'utf8'), 'A=1\n');
  });

  it('sweep keeps a legacy temporary younger than an hour, and a temporary of a live process whose start time is unknown (0)', async () => {
    const legacy = path.join(root, '..env.cf-rotate-0123456789ab.tmp');
    const unknownStart = path.join(root, '.env.cf-rotate-1-0-abcdef012345.tmp');
    for (const f of [legacy, unknownStart]) await fs.writeFile(f, 'x');
    const halfHour = (Date.now() - 30 * 60_000) / 1000;
    await fs.utimes(legacy, halfHour, halfHour);
    assert.equal(await cf.sweep(root, '', '.env'), 0);
    assert.ok(existsSync(legacy) && existsSync(unknownStart));
  });

  it('names compare case-sensitively here (Linux): a folder .GIT is not git\'s', async function () {
    if (process.platform !== 'linux') this.skip();
    await fs.mkdir(path.join(root, '.GIT'));
    await cf.write(root, '.GIT/x.env', Buffer.from('A=1\n'), rules);
    assert.equal(await fs.readFile(path.join(root, '.GIT', 'x.env'), 'utf8'), 'A=1\n');
  });

  describe('where a folder cannot be opened (Windows): every step by path, the folder re-checked by its real path', () => {
    type Fsp = { open: (...args: unknown[]) => Promise<unknown>; realpath: (p: string) => Promise<string> };
    const fsp = fs as unknown as Fsp;
    let open: Fsp['open'];
    let realpath: Fsp['realpath'];
    const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;
    beforeEach(() => {
      open = fsp.open;
      realpath = fsp.realpath;
      Object.defineProperty(process, 'platform', { ...platform, value: 'win32' });
      fsp.open = async (...args: unknown[]) => {
        if ((Number(args[1]) & (constants.O_DIRECTORY ?? 0)) !== 0) throw errnoError('EISDIR');
        return open(...args);
      };
    });
    afterEach(() => {
      Object.defineProperty(process, 'platform', platform);
      fsp.open = open;
      fsp.realpath = realpath;
    });

    it('elsewhere, a folder that cannot be opened any more (moved since the check) is refused, not written by path', async () => {
      Object.defineProperty(process, 'platform', platform);
      fsp.open = async (...args: unknown[]) => {
        if ((Number(args[1]) & (constants.O_DIRECTORY ?? 0)) !== 0) throw errnoError('ENOENT');
        return open(...args);
      };
      await fs.mkdir(path.join(root, 'sub'));
      await assert.rejects(cf.write(root, 'sub/.env', Buffer.from('A=1\n'), rules), (e: Error & { kind?: string }) => e.kind === 'file' && e.message === 'Could not open the folder of sub/.env: it does not exist (ENOENT).');
      await fs.writeFile(path.join(root, 'sub', '.env'), 'A=0\n');
      await assert.rejects(cf.read(root, 'sub/.env', rules), (e: Error & { kind?: string }) => e.kind === 'file' && e.message === 'Could not open the folder of sub/.env: it does not exist (ENOENT).');
      assert.deepEqual(readdirSync(path.join(root, 'sub')), ['.env']);
    });

    it('writes, reads and removes through the checked real path', async () => {
      await fs.mkdir(path.join(root, 'sub'));
      const w = await cf.write(root, 'sub/.env', Buffer.from('A=1\n'), rules);
      assert.equal(w.real, path.join(root, 'sub', '.env'));
      assert.equal(await fs.readFile(path.join(root, 'sub', '.env'), 'utf8'), 'A=1\n');
      assert.equal(Buffer.from((await cf.read(root, 'sub/.env', rules))!.bytes).toString(), 'A=1\n');
      await cf.remove(root, 'sub/.env', rules);
      assert.deepEqual(readdirSync(path.join(root, 'sub')), []);
    });

    for (const [when, from] of [['when it is opened', 2], ['right before the temporary is created', 3], ['right before the rename', 4]] as const) {
      it(`a folder that resolves elsewhere ${when} is refused; nothing is left`, async () => {
        const sub = path.join(root, 'sub');
        await fs.mkdir(sub);
        let calls = 0;
        fsp.realpath = async (p: string) => {
          if (p === sub && ++calls >= from) return os.tmpdir();
          return realpath(p);
        };
        await assert.rejects(cf.write(root, 'sub/.env', Buffer.from('A=1\n'), rules), (e: Error & { kind?: string; hint?: string }) => {
          assert.equal(e.kind, 'file');
          assert.equal(e.message, 'The folder of sub/.env changed while cf-rotate was writing (it was moved or replaced by a link); nothing was written there.');
          assert.equal(e.hint, 'Check the folder, then try again.');
          return true;
        });
        assert.deepEqual(readdirSync(sub), []);
      });
    }
  });

  it('NodeFiles: the port over the checked files (check, read, write, sweep beside the file, remove)', async () => {
    const nf = new NodeFiles();
    assert.deepEqual(await nf.check(root, 'p.env', rules), { real: path.join(root, 'p.env'), inner: 'p.env', exists: false });
    assert.deepEqual(await nf.write(root, 'p.env', Buffer.from('A=1\n'), rules), { real: path.join(root, 'p.env'), inner: 'p.env', exists: true, mode: 0o600, size: 4 });
    assert.deepEqual(await nf.check(root, 'p.env', rules), { real: path.join(root, 'p.env'), inner: 'p.env', exists: true, mode: 0o600, size: 4 });
    const r = await nf.read(root, 'p.env', rules);
    assert.equal(Buffer.from(r!.bytes).toString(), 'A=1\n');
    assert.deepEqual(r!.file, { real: path.join(root, 'p.env'), inner: 'p.env', exists: true, mode: 0o600, size: 4 });
    assert.equal(await nf.read(root, 'q.env', rules), undefined);
    await fs.mkdir(path.join(root, 'sub'));
    const dead = (name: string): string => `${name}.cf-rotate-4194303123-77-abcdef012345.tmp`;
    for (const n of [dead('p.env'), dead('q.env'), path.join('sub', dead('p.env'))]) await fs.writeFile(path.join(root, n), 'x');
    assert.equal(await nf.sweep(root, 'p.env'), 1);
    assert.equal(await nf.sweep(root, 'sub/p.env'), 1);
    assert.deepEqual(readdirSync(root).sort(), [dead('q.env'), 'p.env', 'sub'].sort());
    await nf.remove(root, 'p.env', rules);
    assert.equal(existsSync(path.join(root, 'p.env')), false);
  });
});

describe('checked files: createFolder, the steps between check and act, and no handle left open', function () {
  this.timeout(30_000);
  let root: string;
  let outside: string;
  const cf = new CheckedFiles();
  const errnoError = (code: string): Error => Object.assign(new Error(`stubbed ${code}`), { code });
  type Fsp = Record<'open' | 'lstat' | 'realpath' | 'unlink' | 'mkdir' | 'rename' | 'link', (...args: unknown[]) => Promise<unknown>>;
  const fsp = fs as unknown as Fsp;
  const saved = { ...fsp };
  const openFds = (): number => readdirSync('/proc/self/fd').length;
  const refusal = async (p: Promise<unknown>, kind: string, message: string, hint?: string): Promise<void> => {
    await assert.rejects(p, (e: Error & { kind?: string; hint?: string }) => {
      assert.equal(e.kind, kind);
      assert.equal(e.message, message);
      if (hint !== undefined) assert.equal(e.hint, hint);
      return true;
    });
  };

  beforeEach(async () => {
    root = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-checked3-')));
    outside = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-outside3-')));
  });
  afterEach(async () => {
    Object.assign(fsp, saved);
    await fs.rm(root, { recursive: true, force: true });
    await fs.rm(outside, { recursive: true, force: true });
  });

  it('createFolder: creates each missing segment 0755 and returns the real path; "." is the root; an existing folder is fine', async () => {
    const umask = process.umask(0);
    try {
      assert.equal(await cf.createFolder(root, 'a/b/c'), path.join(root, 'a', 'b', 'c'));
    } finally {
      process.umask(umask);
    }
    for (const p of ['a', 'a/b', 'a/b/c']) assert.equal((await fs.stat(path.join(root, p))).mode & 0o777, 0o755, p);
    assert.equal(await cf.createFolder(root, 'a/b'), path.join(root, 'a', 'b'));
    assert.equal(await cf.createFolder(root, '.'), root);
    assert.equal(await cf.createFolder(root, './a//b/'), path.join(root, 'a', 'b'));
    await fs.mkdir(path.join(root, 'real'));
    await fs.symlink('real', path.join(root, 'inside'));
    assert.equal(await cf.createFolder(root, 'inside/x'), path.join(root, 'real', 'x'), 'a link that stays inside is followed');
  });

  it('createFolder: .git is refused unless denyGitDir is false; a link out, a file on the way and a folder that cannot be made are refused in words', async () => {
    await refusal(cf.createFolder(root, 'a/.git/b'), 'config', 'a/.git/b lies inside a .git folder; cf-rotate never writes there.', 'Choose a folder in the work tree.');
    assert.equal(existsSync(path.join(root, 'a', '.git')), false, 'nothing made from the refused segment on');
    await refusal(cf.createFolder(root, '.git', { denyGitDir: true }), 'config', '.git lies inside a .git folder; cf-rotate never writes there.', 'Choose a folder in the work tree.');
    assert.equal(await cf.createFolder(root, 'b/.git/c', { denyGitDir: false }), path.join(root, 'b', '.git', 'c'));
    await fs.symlink(outside, path.join(root, 'out'));
    await refusal(cf.createFolder(root, 'out/x'), 'file', 'out/x lies in a folder that links outside the workspace folder; cf-rotate refuses to follow it.', 'Use a real folder inside the workspace.');
    assert.deepEqual(readdirSync(outside), []);
    await fs.writeFile(path.join(root, 'plain'), 'x');
    await refusal(cf.createFolder(root, 'plain/x'), 'file', 'plain is a file, not a folder.', 'Choose another path for the new file.');
    fsp.mkdir = async () => {
      throw errnoError('EACCES');
    };
    await refusal(cf.createFolder(root, 'new/x'), 'file', 'Could not create the folder new/x: permission denied (EACCES).');
    fsp.mkdir = saved.mkdir;
    fsp.realpath = async (p: unknown) => {
      if (String(p) === path.join(root, 'gone')) throw errnoError('ENOENT');
      return saved.realpath(p);
    };
    await refusal(cf.createFolder(root, 'gone'), 'file', 'Could not create the folder gone: it does not exist (ENOENT).');
  });

  it('write createOnly: creates the file (the given mode, else 0600) and never replaces one: a file there, or a link planted after the check, is an EEXIST refusal; no link is followed, no temporary is left', async () => {
    const umask = process.umask(0);
    try {
      const made = await cf.write(root, 'a.json', Buffer.from('{}\n'), { mode: 0o644, createOnly: true });
      assert.deepEqual([made.exists, made.mode, made.size], [true, 0o644, 3]);
      assert.equal((await fs.stat(path.join(root, 'a.json'))).mode & 0o777, 0o644);
      await cf.write(root, 'b.json', Buffer.from('{}\n'), { createOnly: true });
      assert.equal((await fs.stat(path.join(root, 'b.json'))).mode & 0o777, 0o600);
    } finally {
      process.umask(umask);
    }
    assert.equal((await fs.stat(path.join(root, 'a.json'))).nlink, 1, 'the temporary name is gone');
    await fs.writeFile(path.join(root, 'a.json'), 'mine\n');
    const taken = async (p: Promise<unknown>, rel: string): Promise<void> => {
      await assert.rejects(p, (e: Error & { kind?: string; hint?: string; cause?: { code?: string } }) => {
        assert.equal(e.kind, 'file');
        assert.equal(e.message, `${rel} already exists; cf-rotate did not replace it.`);
        assert.equal(e.hint, 'Open the existing file instead.');
        assert.equal(e.cause?.code, 'EEXIST');
        return true;
      });
    };
    await taken(cf.write(root, 'a.json', Buffer.from('{}\n'), { createOnly: true }), 'a.json');
    assert.equal(await fs.readFile(path.join(root, 'a.json'), 'utf8'), 'mine\n', 'the file there is kept');
    // A link to the outside planted at the name between the check and the write: refused, not followed.
    fsp.link = async (a: unknown, b: unknown) => {
      await fs.symlink(path.join(outside, 'planted.json'), path.join(root, 'c.json'));
      return saved.link(a, b);
    };
    await taken(cf.write(root, 'c.json', Buffer.from('{}\n'), { createOnly: true }), 'c.json');
    fsp.link = saved.link;
    assert.deepEqual(readdirSync(outside), [], 'nothing was written through the link');
    assert.deepEqual(readdirSync(root).sort(), ['a.json', 'b.json', 'c.json'], 'no temporary is left');
    // Another failure of the link is a write error, and leaves no temporary either.
    fsp.link = async () => {
      throw errnoError('EPERM');
    };
    await refusal(cf.write(root, 'd.json', Buffer.from('{}\n'), { createOnly: true }), 'file', 'Could not write d.json: operation not permitted (EPERM).');
    assert.deepEqual(readdirSync(root).sort(), ['a.json', 'b.json', 'c.json']);
  });

  it('the config\'s folder: a .vscode that links out of the folder is refused by createFolder and by the write; nothing lands outside', async () => {
    await fs.symlink(outside, path.join(root, '.vscode'));
    const out = 'lies in a folder that links outside the workspace folder; cf-rotate refuses to follow it.';
    await refusal(cf.createFolder(root, '.vscode', { denyGitDir: true }), 'file', `.vscode ${out}`, 'Use a real folder inside the workspace.');
    await refusal(cf.write(root, '.vscode/cf-rotate.json', Buffer.from('{}\n'), { denyGitDir: true, mode: 0o644, createOnly: true }), 'file', `.vscode/cf-rotate.json ${out}`);
    // A .vscode that links to a folder that does not exist (yet) outside: not created there either.
    await fs.rm(path.join(root, '.vscode'));
    await fs.symlink(path.join(outside, 'made'), path.join(root, '.vscode'));
    await assert.rejects(cf.createFolder(root, '.vscode', { denyGitDir: true }), (e: Error & { kind?: string }) => e.kind === 'file');
    await assert.rejects(cf.write(root, '.vscode/cf-rotate.json', Buffer.from('{}\n'), { denyGitDir: true, createOnly: true }), (e: Error & { kind?: string }) => e.kind === 'file');
    assert.deepEqual(readdirSync(outside), []);
  });

  it('a path that is not a string is refused like an empty one', async () => {
    await refusal(cf.write(root, 5 as unknown as string, Buffer.from('x'), rules), 'config', 'A file path is empty or contains a NUL character.');
  });

  it(".git as a file is refused with rules that do not mention denyGitDir", async () => {
    await fs.writeFile(path.join(root, '.git'), 'gitdir: elsewhere\n');
    await refusal(cf.write(root, '.git', Buffer.from('x'), {}), 'config', ".git is git's own .git file; cf-rotate never writes it.");
    assert.equal(await fs.readFile(path.join(root, '.git'), 'utf8'), 'gitdir: elsewhere\n');
  });

  it('a link whose target cannot be resolved for another reason than a missing file is a "resolve" error, not a dangling link', async () => {
    await fs.writeFile(path.join(root, 'real.env'), 'A=1\n');
    await fs.symlink('real.env', path.join(root, 'l.env'));
    fsp.realpath = async (p: unknown) => {
      if (String(p) === path.join(root, 'l.env')) throw errnoError('EACCES');
      return saved.realpath(p);
    };
    await refusal(cf.write(root, 'l.env', Buffer.from('x'), rules), 'file', 'Could not resolve l.env: permission denied (EACCES).');
  });

  it('something that is neither file, folder, FIFO, socket nor link is named a device', async () => {
    await fs.writeFile(path.join(root, 'dev.env'), '');
    const no = (): boolean => false;
    fsp.lstat = async (p: unknown) => {
      if (String(p) === path.join(root, 'dev.env')) return { isFile: no, isDirectory: no, isFIFO: no, isSocket: no, isSymbolicLink: no, mode: 0o20666, size: 0 };
      return saved.lstat(p);
    };
    await refusal(cf.read(root, 'dev.env', rules), 'file', 'dev.env is a device, not a regular file; cf-rotate only reads and writes regular files.', 'Point the target at a .env text file.');
  });

  it('read: a file that is no regular file when opened names the hint; one that grew past the limit after its size was checked is refused', async () => {
    await fs.writeFile(path.join(root, 'f.env'), 'A=1\n');
    const open = saved.open;
    fsp.open = async (...args: unknown[]) => {
      if (String(args[0]).endsWith('/f.env')) {
        await fs.rm(path.join(root, 'f.env'));
        await fs.mkdir(path.join(root, 'f.env'));
        return open(path.join(root, 'f.env'), constants.O_RDONLY);
      }
      return open(...args);
    };
    await refusal(cf.read(root, 'f.env', rules), 'file', 'f.env is not a regular file; cf-rotate only reads regular files.', 'Point the target at a .env text file.');
    fsp.open = open;
    await fs.writeFile(path.join(root, 'big.env'), Buffer.alloc(1025, 0x41));
    // The size when checked: 0; the file then grows to 1025 bytes.
    await withStatSize(0, () => refusal(cf.read(root, 'big.env', { maxBytes: 1024 }), 'file', 'big.env is larger than 1 MB.', 'Point the target at a .env file.'));
  });

  it('write: the name turned into a folder before the rename is refused, nothing is written and no temporary is left; another lstat error is a write error', async () => {
    await fs.writeFile(path.join(root, 'w.env'), 'A=1\n');
    fsp.lstat = async (p: unknown) => {
      if (String(p).startsWith('/proc/self/fd/') && String(p).endsWith('/w.env')) {
        await fs.rm(path.join(root, 'w.env'));
        await fs.mkdir(path.join(root, 'w.env'));
      }
      return saved.lstat(p);
    };
    await refusal(
      cf.write(root, 'w.env', Buffer.from('A=2\n'), rules),
      'file',
      'w.env changed while cf-rotate was writing it (it is no longer a regular file); nothing was written to it.',
      'Check what replaced it, then try again.',
    );
    assert.ok((await fs.stat(path.join(root, 'w.env'))).isDirectory());
    assert.deepEqual(readdirSync(root), ['w.env']);
    await fs.rm(path.join(root, 'w.env'), { recursive: true });
    await fs.writeFile(path.join(root, 'w.env'), 'A=1\n');
    fsp.lstat = async (p: unknown) => {
      if (String(p).startsWith('/proc/self/fd/') && String(p).endsWith('/w.env')) throw errnoError('EACCES');
      return saved.lstat(p);
    };
    await refusal(cf.write(root, 'w.env', Buffer.from('A=2\n'), rules), 'file', 'Could not write w.env: permission denied (EACCES).');
    assert.equal(await fs.readFile(path.join(root, 'w.env'), 'utf8'), 'A=1\n');
    assert.deepEqual(readdirSync(root), ['w.env']);
  });

  it('write: the temporary is <name> inside a 0700 folder <name>.cf-rotate-<pid>-<start time>-<12 hex>.tmp holding a .gitignore of *; the state directory\'s writer keeps a plain <name>.cf-rotate-….tmp', async () => {
    const start = (await fs.readFile('/proc/self/stat', 'utf8')).split(') ')[1]?.split(' ')[19];
    const pattern = new RegExp(`^\\.env\\.cf-rotate-${process.pid}-${start}-[0-9a-f]{12}\\.tmp$`);
    let seen: { folder: string[]; mode: number; ignore: string; file: string; fileMode: number } | undefined;
    fsp.rename = async (a: unknown, b: unknown) => {
      const folder = readdirSync(root).filter((n) => n !== '.env');
      const inside = path.join(root, folder[0] ?? '');
      seen = {
        folder,
        mode: (await fs.stat(inside)).mode & 0o777,
        ignore: await fs.readFile(path.join(inside, '.gitignore'), 'utf8'),
        file: await fs.readFile(path.join(inside, '.env'), 'utf8'),
        fileMode: (await fs.stat(path.join(inside, '.env'))).mode & 0o777,
      };
      return saved.rename(a, b);
    };
    await cf.write(root, '.env', Buffer.from('A=1\n'), rules);
    assert.equal(seen?.folder.length, 1);
    assert.match(seen?.folder[0] ?? '', pattern);
    assert.equal(seen?.mode, 0o700);
    assert.equal(seen?.ignore, '*\n# cf-rotate: the temporary folder of a write in progress (removed when it ends)\n', 'ignore everything, and say what the folder is');
    assert.equal(seen?.file, 'A=1\n');
    assert.equal(seen?.fileMode, 0o600);
    assert.deepEqual(readdirSync(root), ['.env'], 'the folder is gone');
    // A .gitignore target: its temporary is not named .gitignore (that name is the folder's own).
    let names: string[] = [];
    fsp.rename = async (a: unknown, b: unknown) => {
      const folder = readdirSync(root).find((n) => n.startsWith('.gitignore.cf-rotate-')) ?? '';
      names = readdirSync(path.join(root, folder)).sort();
      return saved.rename(a, b);
    };
    await cf.write(root, '.gitignore', Buffer.from('.env\n'), { ...rules, mode: 0o644 });
    assert.deepEqual(names, ['.gitignore', 'gitignore.tmp']);
    assert.equal(await fs.readFile(path.join(root, '.gitignore'), 'utf8'), '.env\n');
    // The state directory's writer: one plain temporary file beside the file, no folder.
    let name = '';
    fsp.rename = async (a: unknown, b: unknown) => {
      name = path.basename(String(a));
      return saved.rename(a, b);
    };
    await new CheckedFiles({ tempFolders: false }).write(root, '.env', Buffer.from('A=2\n'), rules);
    assert.match(name, pattern);
    assert.deepEqual(readdirSync(root).sort(), ['.env', '.gitignore']);
  });

  it('write: a temporary folder moved out of the folder (or replaced by a link) before the data goes in: refused, no secret outside, the file unchanged', async function () {
    if (process.platform !== 'linux') this.skip();
    await fs.writeFile(path.join(root, '.env'), 'A=old\n');
    const isTempFolder = (args: unknown[]): boolean => (Number(args[1]) & (constants.O_DIRECTORY ?? 0)) !== 0 && /\.cf-rotate-\d+-\d+-[0-9a-f]{12}\.tmp$/.test(String(args[0]));
    // Moved away right after it was opened: the handle follows it outside.
    fsp.open = async (...args: unknown[]) => {
      const h = await saved.open(...args);
      if (isTempFolder(args)) {
        const name = readdirSync(root).find((n) => n.includes('.cf-rotate-')) as string;
        await fs.rename(path.join(root, name), path.join(outside, name));
      }
      return h;
    };
    await refusal(
      cf.write(root, '.env', Buffer.from('A=SECRET\n'), rules),
      'file',
      'The folder of .env changed while cf-rotate was writing (it was moved or replaced by a link); nothing was written there.',
    );
    Object.assign(fsp, saved);
    const moved = readdirSync(outside);
    assert.equal(moved.length, 1);
    for (const n of readdirSync(path.join(outside, moved[0] as string))) assert.doesNotMatch(await fs.readFile(path.join(outside, moved[0] as string, n), 'utf8'), /SECRET/, n);
    assert.equal(await fs.readFile(path.join(root, '.env'), 'utf8'), 'A=old\n');
    // Replaced by a link to the outside between mkdir and open: the open refuses to follow it.
    await fs.rm(path.join(outside, moved[0] as string), { recursive: true });
    fsp.mkdir = async (...args: unknown[]) => {
      const r = await saved.mkdir(...args);
      const name = readdirSync(root).find((n) => n.includes('.cf-rotate-')) as string;
      await fs.rmdir(path.join(root, name));
      await fs.symlink(outside, path.join(root, name));
      return r;
    };
    await assert.rejects(cf.write(root, '.env', Buffer.from('A=SECRET\n'), rules), /Could not write \.env/);
    Object.assign(fsp, saved);
    assert.deepEqual(readdirSync(outside), []);
    assert.equal(await fs.readFile(path.join(root, '.env'), 'utf8'), 'A=old\n');
  });

  it('write: git never sees the temporary, whatever the repository ignores (an exact, an anchored or a *.env rule), at any step of the write; a failed write leaves nothing', async function () {
    let git = true;
    try {
      execFileSync('git', ['--version'], { stdio: 'ignore' });
    } catch {
      git = false;
    }
    if (!git) this.skip();
    const run = (...args: string[]): string => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8' });
    run('init', '-q');
    await fs.mkdir(path.join(root, 'config'));
    await fs.writeFile(path.join(root, '.gitignore'), '.env\n/.dev.vars\nconfig/app.env\n*.local.env\n');
    run('add', '.gitignore');
    run('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'ignore');
    const steps: string[] = [];
    const untracked = async (step: string): Promise<void> => {
      steps.push(step);
      const status = run('status', '--porcelain', '--untracked-files=all');
      assert.equal(status, '', `git status at ${step}: ${status}`);
    };
    // Ask git at each step of the write: after the folder is made, after each file in it is opened, and at the rename.
    fsp.mkdir = async (...args: unknown[]) => {
      const r = await saved.mkdir(...args);
      await untracked('mkdir');
      return r;
    };
    fsp.open = async (...args: unknown[]) => {
      const r = await saved.open(...args);
      if ((Number(args[1]) & constants.O_CREAT) !== 0) await untracked(`open ${path.basename(String(args[0]))}`);
      return r;
    };
    fsp.rename = async (a: unknown, b: unknown) => {
      await untracked('rename');
      return saved.rename(a, b);
    };
    for (const rel of ['.env', '.dev.vars', 'config/app.env', 'x.local.env']) {
      steps.length = 0;
      await cf.write(root, rel, Buffer.from('SECRET=s3cr3t\n'), rules);
      assert.deepEqual(steps, ['mkdir', `open ${path.basename(rel)}`, 'rename'], rel);
      assert.match(readdirSync(root).find((n) => n.includes('.cf-rotate-')) ?? 'gone', /^gone$/, 'the temporary folder is gone');
    }
    Object.assign(fsp, saved);
    assert.equal(run('status', '--porcelain', '--untracked-files=all'), '');
    // A write that fails after its temporary was written: the file, its folder and the .gitignore go.
    fsp.rename = async () => {
      throw errnoError('EACCES');
    };
    await assert.rejects(cf.write(root, '.env', Buffer.from('SECRET=other\n'), rules), /permission denied/);
    Object.assign(fsp, saved);
    assert.deepEqual(readdirSync(root).sort(), ['.dev.vars', '.env', '.git', '.gitignore', 'config', 'x.local.env']);
    assert.equal(await fs.readFile(path.join(root, '.env'), 'utf8'), 'SECRET=s3cr3t\n');
  });

  it('remove: a file removed meanwhile is fine; another unlink error is a "delete" error', async () => {
    await fs.writeFile(path.join(root, 'r.env'), 'x');
    fsp.unlink = async (p: unknown) => {
      if (String(p).startsWith('/proc/self/fd/')) throw errnoError('EACCES');
      return saved.unlink(p);
    };
    await refusal(cf.remove(root, 'r.env', rules), 'file', 'Could not delete r.env: permission denied (EACCES).');
    fsp.unlink = async (p: unknown) => {
      if (String(p).startsWith('/proc/self/fd/')) await saved.unlink(path.join(root, 'r.env'));
      return saved.unlink(p);
    };
    await cf.remove(root, 'r.env', rules);
    assert.deepEqual(readdirSync(root), []);
  });

  it('a folder moved away (and another made at its path) after it was opened is refused: the check follows the open folder, not the path', async function () {
    if (process.platform !== 'linux') this.skip();
    await fs.mkdir(path.join(root, 'sub'));
    const before = openFds();
    fsp.open = async (...args: unknown[]) => {
      const h = await saved.open(...args);
      if ((Number(args[1]) & (constants.O_DIRECTORY ?? 0)) !== 0 && String(args[0]) === path.join(root, 'sub')) {
        await fs.rename(path.join(root, 'sub'), path.join(root, 'moved'));
        await fs.mkdir(path.join(root, 'sub'));
      }
      return h;
    };
    await refusal(
      cf.write(root, 'sub/.env', Buffer.from('A=1\n'), rules),
      'file',
      'The folder of sub/.env changed while cf-rotate was writing (it was moved or replaced by a link); nothing was written there.',
      'Check the folder, then try again.',
    );
    assert.deepEqual([readdirSync(path.join(root, 'sub')), readdirSync(path.join(root, 'moved'))], [[], []]);
    assert.equal(openFds(), before, 'the folder handle is closed');
    // A read goes through the same check: the file of the moved folder is not read.
    await fs.rm(path.join(root, 'sub'), { recursive: true });
    await fs.rename(path.join(root, 'moved'), path.join(root, 'sub'));
    await fs.writeFile(path.join(root, 'sub', '.env'), 'A=old\n');
    await refusal(
      cf.read(root, 'sub/.env', rules),
      'file',
      'The folder of sub/.env changed while cf-rotate was reading it (it was moved or replaced by a link); nothing was read.',
      'Check the folder, then try again.',
    );
    assert.equal(openFds(), before, 'the folder handle is closed after a refused read');
  });

  it('read (Linux): a folder on the path swapped for a link to the outside just before it is opened is refused; nothing but that folder is opened outside', async function () {
    if (process.platform !== 'linux') this.skip();
    await fs.mkdir(path.join(root, 'sub'));
    await fs.writeFile(path.join(root, 'sub', '.env'), 'A=inside\n');
    await fs.writeFile(path.join(outside, '.env'), 'A=outside\n');
    const before = openFds();
    const opened: { at: string; directory: boolean }[] = [];
    fsp.open = async (...args: unknown[]) => {
      const directory = (Number(args[1]) & (constants.O_DIRECTORY ?? 0)) !== 0;
      if (directory && String(args[0]) === path.join(root, 'sub')) {
        await fs.rename(path.join(root, 'sub'), path.join(root, 'was-sub'));
        await fs.symlink(outside, path.join(root, 'sub'));
      }
      opened.push({ at: String(args[0]), directory });
      return saved.open(...args);
    };
    await refusal(
      cf.read(root, 'sub/.env', rules),
      'file',
      'The folder of sub/.env changed while cf-rotate was reading it (it was moved or replaced by a link); nothing was read.',
      'Check the folder, then try again.',
    );
    assert.deepEqual(opened, [{ at: path.join(root, 'sub'), directory: true }], 'only the folder was opened (it led outside, and was closed)');
    assert.equal(openFds(), before, 'the folder handle is closed after a refused read');
  });

  it('read: a file replaced (renamed over) or removed after the open reads as it was opened; one that grew or shrank after its size was taken is read to its end', async function () {
    await fs.writeFile(path.join(root, '.env'), 'A=old\n');
    for (const after of [
      async () => {
        await fs.writeFile(path.join(root, '.env.new'), 'A=new\n');
        await fs.rename(path.join(root, '.env.new'), path.join(root, '.env'));
      },
      () => fs.rm(path.join(root, '.env')),
    ]) {
      await fs.writeFile(path.join(root, '.env'), 'A=old\n');
      fsp.open = async (...args: unknown[]) => {
        const h = await saved.open(...args);
        if (String(args[0]).endsWith('/.env')) await after();
        return h;
      };
      const got = await cf.read(root, '.env', rules);
      fsp.open = saved.open;
      assert.equal(Buffer.from(got!.bytes).toString(), 'A=old\n');
    }
    // A name that itself ends in " (deleted)" is read as any other.
    await fs.writeFile(path.join(root, '.env (deleted)'), 'B=1\n');
    assert.equal(Buffer.from((await cf.read(root, '.env (deleted)', rules))!.bytes).toString(), 'B=1\n');
    const body = 'A=1\n'.repeat(40_000); // 160,000 bytes: more than one read of 64 KiB after the first
    await fs.writeFile(path.join(root, '.env'), body);
    for (const size of [0, 7, body.length - 1, body.length + 1, body.length + 100_000]) {
      const got = await withStatSize(size, () => cf.read(root, '.env', rules));
      assert.equal(Buffer.from(got!.bytes).toString(), body, `size taken as ${size}`);
      assert.equal(got!.resolved.size, body.length);
    }
  });

  it('no file or folder handle is left open by read, write, remove or a refused write', async function () {
    if (process.platform !== 'linux') this.skip();
    await fs.mkdir(path.join(root, 'sub'));
    await cf.write(root, 'sub/.env', Buffer.from('A=1\n'), rules);
    const before = openFds();
    await cf.write(root, 'sub/.env', Buffer.from('A=2\n'), rules);
    assert.equal(openFds(), before, 'write');
    assert.equal(Buffer.from((await cf.read(root, 'sub/.env', rules))!.bytes).toString(), 'A=2\n');
    assert.equal(openFds(), before, 'read');
    fsp.rename = async () => {
      throw errnoError('ENOSPC');
    };
    await refusal(cf.write(root, 'sub/.env', Buffer.from('A=3\n'), rules), 'file', 'Could not write sub/.env: no space left on the device (ENOSPC).');
    fsp.rename = saved.rename;
    assert.equal(openFds(), before, 'a failed write');
    await cf.remove(root, 'sub/.env', rules);
    assert.equal(openFds(), before, 'remove');
    assert.deepEqual(readdirSync(path.join(root, 'sub')), []);
  });

  it('sweep: only whole names of cf-rotate temporaries (nothing before or after the pattern)', async () => {
    const old = (Date.now() - 2 * 3600_000) / 1000;
    const keep = [
      '.env.cf-rotate-4194303123-77-abcdef012345.tmp.bak',
      'x\n.env.cf-rotate-4194303123-77-abcdef012345.tmp',
      'x..env.cf-rotate-0123456789ab.tmp',
      '..env.cf-rotate-0123456789ab.tmp.bak',
    ];
    for (const n of keep) {
      await fs.writeFile(path.join(root, n), 'x');
      await fs.utimes(path.join(root, n), old, old);
    }
    assert.equal(await cf.sweep(root, ''), 0);
    assert.equal(await cf.sweep(root, '', '.env'), 0);
    assert.deepEqual(readdirSync(root).sort(), [...keep].sort());
  });
});

describe('checked files: the synchronous reader (the editor\'s first load) answers as the asynchronous one', function () {
  this.timeout(30_000);
  let root: string;
  let outside: string;
  const cf = new CheckedFiles();
  type SyncFs = Record<'openSync' | 'lstatSync' | 'closeSync', (...args: unknown[]) => unknown>;
  const fsSync = fsModule as unknown as SyncFs;
  const savedSync = { openSync: fsSync.openSync, lstatSync: fsSync.lstatSync, closeSync: fsSync.closeSync };
  const openFds = (): number => readdirSync('/proc/self/fd').length;

  /** A call's outcome, comparable across the two ways: the value, or the error's kind, words, hint and errno. */
  const outcome = (run: () => unknown): unknown => {
    try {
      const v = run() as { bytes?: Uint8Array; resolved?: object } | undefined;
      return v && v.bytes ? { bytes: Buffer.from(v.bytes).toString('hex'), resolved: v.resolved } : { value: v };
    } catch (e) {
      const err = e as CfRotateError & { type?: string };
      return { error: err.constructor.name, kind: err.kind, message: err.message, hint: err.hint, type: err.type, cause: (err.cause as { code?: string } | undefined)?.code };
    }
  };
  const outcomeAsync = async (run: () => Promise<unknown>): Promise<unknown> => {
    try {
      const v = await run();
      return outcome(() => v);
    } catch (e) {
      return outcome(() => {
        throw e;
      });
    }
  };

  beforeEach(async () => {
    root = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-checked-sync-')));
    outside = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-outside-sync-')));
    await fs.writeFile(path.join(outside, 'secret.env'), 'OUT=1\n');
  });
  afterEach(async () => {
    Object.assign(fsSync, savedSync);
    await fs.rm(root, { recursive: true, force: true });
    await fs.rm(outside, { recursive: true, force: true });
  });

  it('every layout a repository can hold: the same contents, the same refusal (kind, words, hint, cause), nothing read outside', async () => {
    await fs.mkdir(path.join(root, 'sub'));
    await fs.mkdir(path.join(root, '.git'));
    await fs.mkdir(path.join(root, '.vscode'));
    await fs.writeFile(path.join(root, '.env'), 'A=1\n');
    await fs.writeFile(path.join(root, 'sub', '.env'), 'B=2\n');
    await fs.writeFile(path.join(root, '.git', 'config'), '[core]\n');
    await fs.writeFile(path.join(root, '.vscode', 'cf-rotate.json'), '{"tokens":[]}');
    await fs.writeFile(path.join(root, 'big.env'), Buffer.alloc(2048, 0x41));
    await fs.writeFile(path.join(root, 'empty.env'), '');
    await fs.symlink(path.join(root, 'sub', '.env'), path.join(root, 'in.env'));
    await fs.symlink(path.join(outside, 'secret.env'), path.join(root, 'out.env'));
    await fs.symlink(outside, path.join(root, 'outdir'));
    await fs.symlink(path.join(root, 'gone.env'), path.join(root, 'dangling.env'));
    await fs.symlink('loop.env', path.join(root, 'loop.env'));
    await fs.symlink(path.join(root, '.git', 'config'), path.join(root, 'git.env'));
    await fs.symlink(path.join(root, '.vscode', 'cf-rotate.json'), path.join(root, 'cfg.env'));
    execFileSync('mkfifo', [path.join(root, 'pipe.env')]);
    await fs.mkdir(path.join(root, 'dir.env'));
    const cases: [string, Parameters<CheckedFiles['read']>[2]][] = [
      ['.env', rules],
      ['sub/.env', rules],
      ['./sub//.env', rules],
      ['in.env', rules],
      ['missing.env', rules],
      ['empty.env', rules],
      ['big.env', { ...rules, maxBytes: 1024 }],
      ['big.env', { ...rules, maxBytes: 2048 }],
      ['out.env', rules],
      ['outdir/secret.env', rules],
      ['dangling.env', rules],
      ['loop.env', rules],
      ['git.env', rules],
      ['.git/config', rules],
      ['.git/config', { denyGitDir: false }],
      ['.vscode/cf-rotate.json', { denyGitDir: true }],
      ['cfg.env', rules],
      ['pipe.env', rules],
      ['dir.env', rules],
      ['nope/.env', rules],
      ['.', rules],
      ['../x.env', rules],
      ['/etc/passwd', rules],
      ['C:/x.env', rules],
      ['', rules],
      ['a\0b', rules],
    ];
    const before = openFds();
    for (const [rel, r] of cases) {
      const sync = outcome(() => cf.readSync(root, rel, r));
      assert.deepEqual(sync, await outcomeAsync(() => cf.read(root, rel, r)), `read ${JSON.stringify(rel)}`);
      assert.deepEqual(outcome(() => cf.resolveSync(root, rel, r)), await outcomeAsync(() => cf.resolve(root, rel, r)), `resolve ${JSON.stringify(rel)}`);
    }
    assert.equal(openFds(), before, 'no handle left open');
    // What the table holds: contents inside, refusals of everything else (not only agreement).
    assert.equal(Buffer.from(cf.readSync(root, 'in.env', rules)!.bytes).toString(), 'B=2\n');
    assert.equal(cf.readSync(root, 'missing.env', rules), undefined);
    assert.throws(() => cf.readSync(root, 'out.env', rules), /leads outside the workspace folder/);
    assert.throws(() => cf.readSync(root, 'outdir/secret.env', rules), /links outside the workspace folder/);
    assert.throws(() => cf.readSync(root, 'pipe.env', rules), /FIFO/);
    assert.throws(() => cf.readSync(root, 'git.env', rules), /\.git/);
    assert.throws(() => cf.readSync(root, 'big.env', { ...rules, maxBytes: 1024 }), /larger than 1 MB/);
  });

  it('makes no asynchronous call: every step is taken before it returns', () => {
    const fsp = fs as unknown as Record<string, unknown>;
    const saved = { ...fsp };
    for (const k of Object.keys(fsp)) {
      if (typeof fsp[k] === 'function')
        fsp[k] = () => {
          throw new Error(`fs.promises.${k} called`);
        };
    }
    try {
      execFileSync('mkdir', ['-p', path.join(root, 'sub')]);
      execFileSync('sh', ['-c', `printf 'A=1\\n' > '${path.join(root, 'sub', '.env')}'`]);
      assert.equal(Buffer.from(cf.readSync(root, 'sub/.env', rules)!.bytes).toString(), 'A=1\n');
      assert.equal(cf.resolveSync(root, 'sub/.env', rules).real, path.join(root, 'sub', '.env'));
    } finally {
      Object.assign(fsp, saved);
    }
  });

  it('a file replaced by a link or a FIFO between the check and the open is refused (O_NOFOLLOW, O_NONBLOCK), without hanging', async () => {
    const file = path.join(root, 'r.env');
    await fs.writeFile(path.join(root, 'other.env'), 'OTHER=1\n');
    for (const [swap, message] of [
      [() => fsModule.symlinkSync(path.join(outside, 'secret.env'), file), 'Could not read r.env: it became a symbolic link (ELOOP).'],
      [() => execFileSync('mkfifo', [file]), 'r.env is not a regular file; cf-rotate only reads regular files.'],
    ] as const) {
      await fs.writeFile(file, 'A=1\n');
      let swapped = false;
      fsSync.openSync = (...args: unknown[]) => {
        if (!swapped && String(args[0]).endsWith('/r.env')) {
          swapped = true;
          fsModule.rmSync(file);
          swap();
        }
        return savedSync.openSync(...args);
      };
      try {
        assert.throws(() => cf.readSync(root, 'r.env', rules), (e: Error & { kind?: string }) => e.kind === 'file' && e.message === message);
      } finally {
        fsSync.openSync = savedSync.openSync;
      }
      assert.ok(swapped);
      await fs.rm(file);
    }
  });

  it('(Linux) a folder on the path swapped for a link to the outside just before it is opened is refused; nothing but that folder is opened outside, and it is closed', async function () {
    if (process.platform !== 'linux') this.skip();
    await fs.mkdir(path.join(root, 'sub'));
    await fs.writeFile(path.join(root, 'sub', '.env'), 'A=inside\n');
    const before = openFds();
    const opened: { at: string; directory: boolean }[] = [];
    fsSync.openSync = (...args: unknown[]) => {
      const directory = (Number(args[1]) & (constants.O_DIRECTORY ?? 0)) !== 0;
      if (directory && String(args[0]) === path.join(root, 'sub')) {
        fsModule.renameSync(path.join(root, 'sub'), path.join(root, 'was-sub'));
        fsModule.symlinkSync(outside, path.join(root, 'sub'));
      }
      opened.push({ at: String(args[0]), directory });
      return savedSync.openSync(...args);
    };
    assert.throws(
      () => cf.readSync(root, 'sub/.env', rules),
      (e: Error & { kind?: string }) => e.kind === 'file' && e.message === 'The folder of sub/.env changed while cf-rotate was reading it (it was moved or replaced by a link); nothing was read.',
    );
    assert.deepEqual(opened, [{ at: path.join(root, 'sub'), directory: true }]);
    assert.equal(openFds(), before, 'the folder handle is closed after a refused read');
  });

  it('a failed read closes both handles; a failed close of the read-only file does not lose what was read', async () => {
    await fs.writeFile(path.join(root, '.env'), 'A=1\n');
    const before = openFds();
    const closed: number[] = [];
    fsSync.closeSync = (...args: unknown[]) => {
      closed.push(Number(args[0]));
      savedSync.closeSync(...args);
      if (closed.length === 1) throw Object.assign(new Error('stubbed EIO'), { code: 'EIO' });
    };
    assert.equal(Buffer.from(cf.readSync(root, '.env', rules)!.bytes).toString(), 'A=1\n');
    assert.equal(closed.length, 2, 'the file and its folder');
    fsSync.closeSync = savedSync.closeSync;
    assert.equal(openFds(), before);
  });
});
