/**
 * The one checked reader/writer: every containment rule on its own (expected refusals written
 * out), modes, temporaries, the sweep, and a race that swaps the target's folder for a link to
 * the outside while writes run.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import { promises as fs, existsSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CheckedFiles, isInside, isInsideOrSame } from '../../../src/core/node/checked';
import { TARGET_RULES } from '../../../src/core/engine/targets';

const rules = TARGET_RULES;

async function refuses(p: Promise<unknown>, kind: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: Error & { kind?: string }) => {
    assert.equal(e.kind, kind, e.message);
    assert.match(e.message, message);
    return true;
  });
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
