/**
 * The state directory's sweep: the temporaries killed processes leave beside the history and
 * cf-rotate 0.1's journal file, in journal/ and retire/, and the locks' in locks/ are removed
 * once their process is gone (a 0.1 temporary, which names none, once it is an hour old); live
 * ones and everything else stay. The CLI sweeps when a command that changes state starts.
 */
import { strict as assert } from 'node:assert';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import { ensureStateDir, sweepStateDir } from '../../../src/core/node/stateDir';
import { NodeJournalStore } from '../../../src/core/node/journalStore';
import { Journal, journalKey, MemoryJournalStore, type JournalEntry } from '../../../src/core/engine/journal';
import { FileLocks, processStartTime } from '../../../src/core/node/lock';
import { execFileSync } from 'node:child_process';
import { tempFolder } from '../helpers/world';
import { intentEntry } from '../helpers/journal';

/** A pid that no process has (pid_max is at most 2^22). */
const NO_SUCH_PID = 4_194_303_999;
const dead = (name: string): string => `${name}.cf-rotate-${NO_SUCH_PID}-77-abcdef012345.tmp`;
const NONCE = 'ab'.repeat(12);
const lockOwner = (pid: number, start: string | null): string => JSON.stringify({ pid, start, host: os.hostname(), nonce: NONCE, since: 1, what: 'w', app: 'a' });
const KEY = 'a'.repeat(40);

describe('state directory: the sweep of temporaries left by killed processes', function () {
  this.timeout(30_000);
  let dir: string;

  beforeEach(async () => {
    dir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-statedir-')));
    for (const sub of ['journal', 'retire', 'locks']) await fs.mkdir(path.join(dir, sub));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** Every file under the state directory, relative, sorted. */
  async function files(): Promise<string[]> {
    const out: string[] = [];
    for (const e of await fs.readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(path.relative(dir, path.join(e.parentPath, e.name)));
    return out.sort();
  }

  it('removes the stale ones of the history, the 0.1 journal file, journal/, retire/ and locks/; keeps live and young legacy ones and everything else', async function () {
    if (process.platform !== 'linux') this.skip(); // live processes are told by their start time in /proc
    const init = `1-${processStartTime(1) ?? '0'}`;
    const hours = (file: string, h: number): Promise<void> => {
      const t = (Date.now() - h * 3600_000) / 1000;
      return fs.utimes(path.join(dir, file), t, t);
    };
    const layout: [string, string, 'removed' | 'kept'][] = [
      ['history.jsonl', '{}\n', 'kept'],
      [dead('history.jsonl'), '{}\n', 'removed'], // the history's trim, killed before its rename
      [`history.jsonl.cf-rotate-${init}-abcdef012345.tmp`, '{}\n', 'kept'], // a live process's
      ['.journal.json.cf-rotate-0123456789ab.tmp', '{"cfRotate.journal.x":"…"}', 'removed'], // cf-rotate 0.1's, two hours old
      ['.journal.json.cf-rotate-ba9876543210.tmp', '{}', 'kept'], // 0.1's, young: its process may still run
      [dead('other.json'), '', 'kept'], // not a file of the state directory's own
      [`journal/${KEY}.json`, '{}', 'kept'],
      [`journal/${dead(`${KEY}.json`)}`, '{"values":"…"}', 'removed'],
      [`retire/${dead(`${KEY}.json`)}`, '{}', 'removed'],
      [`retire/${KEY}.json.cf-rotate-${init}-abcdef012345.tmp`, '{}', 'kept'],
      ['locks/rot-x.lock', lockOwner(NO_SUCH_PID, null), 'kept'],
      [`locks/rot-x.lock.${NO_SUCH_PID}-${NONCE}.tmp`, lockOwner(NO_SUCH_PID, null), 'removed'],
      [`locks/rot-y.lock.break.${NO_SUCH_PID}-${NONCE}.tmp`, '', 'removed'],
      [`locks/rot-z.lock.1-${NONCE}.tmp`, lockOwner(1, processStartTime(1)), 'kept'],
    ];
    for (const [rel, text] of layout) await fs.writeFile(path.join(dir, rel), text);
    await hours('.journal.json.cf-rotate-0123456789ab.tmp', 2);
    await hours('.journal.json.cf-rotate-ba9876543210.tmp', 0.5);

    assert.equal(await sweepStateDir(dir), layout.filter((x) => x[2] === 'removed').length);
    assert.deepEqual(await files(), layout.filter((x) => x[2] === 'kept').map((x) => x[0]).sort());
    assert.equal(await sweepStateDir(dir), 0, 'nothing more');
  });

  it('a state directory that does not exist (yet), or lacks its folders, is nothing to sweep', async () => {
    assert.equal(await sweepStateDir(path.join(dir, 'missing')), 0);
    await fs.rm(path.join(dir, 'locks'), { recursive: true });
    await fs.writeFile(path.join(dir, dead('history.jsonl')), '');
    assert.equal(await sweepStateDir(dir), 1);
  });

  for (const command of [['resume'], ['discard', 'x', '--yes'], ['retire']]) {
    it(`the CLI sweeps it when "${command[0]}" starts`, async () => {
      const folder = await tempFolder('cf-rotate-statedir-cli-');
      try {
        const left = [dead('history.jsonl'), `locks/rot-x.lock.${NO_SUCH_PID}-${NONCE}.tmp`, `journal/${dead(`${KEY}.json`)}`];
        for (const rel of left) await fs.writeFile(path.join(dir, rel), rel.startsWith('locks/') ? lockOwner(NO_SUCH_PID, null) : '');
        const out: string[] = [];
        await main(command, { stdout: (s) => out.push(s), stderr: (s) => out.push(s), env: { CF_ROTATE_STATE_DIR: dir }, cwd: folder });
        for (const rel of left) assert.equal(existsSync(path.join(dir, rel)), false, `${rel} was swept (${out.join('')})`);
      } finally {
        await fs.rm(folder, { recursive: true, force: true });
      }
    });
  }
});

describe('state directory: a journal entry a killed process wrote but did not rename is kept, and put back under its lock', function () {
  this.timeout(30_000);
  let dir: string;
  const SECRET = 'cfat_RescuedFromTheTemporary0123456789abcdefghijkl';
  const mk = (id: string, over: Partial<JournalEntry> = {}): JournalEntry => intentEntry(id, 1, over);
  const put = async (rel: string, text: string): Promise<void> => fs.writeFile(path.join(dir, 'journal', rel), text, { mode: 0o600 });
  beforeEach(async () => {
    dir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-rescue-')));
    await fs.mkdir(path.join(dir, 'journal'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  for (const via of ['the journal store', 'the CLI start sweep'] as const) {
    it(`sweeps (${via}) keep a newer entry with the secret, and the next holder of its lock puts it back; a stale orphan (its entry cleared, older, secretless, cut short) is swept`, async () => {
      const ids = ['account-api-token:newer', 'account-api-token:cleared', 'account-api-token:older', 'account-api-token:intent-only'];
      const [newer, cleared, older, intentOnly] = ids.map((id) => `${journalKey(id)}.json`) as [string, string, string, string];
      await put(newer, JSON.stringify(mk(ids[0] as string)));
      await put(dead(newer), JSON.stringify(mk(ids[0] as string, { state: 'rotated', values: { token: SECRET }, updatedAt: 5 })));
      await put(dead(cleared), JSON.stringify(mk(ids[1] as string, { state: 'rotated', values: { token: SECRET }, updatedAt: 5 })));
      await put(older, JSON.stringify(mk(ids[2] as string, { state: 'rotated', values: { token: SECRET }, updatedAt: 9 })));
      await put(dead(older), JSON.stringify(mk(ids[2] as string, { updatedAt: 5 })));
      await put(dead(intentOnly), JSON.stringify(mk(ids[3] as string)));
      await put(dead(`${journalKey('account-api-token:cut')}.json`), '{"v":2,"id":"account-api-token:cu');
      const store = new NodeJournalStore(dir);
      if (via === 'the CLI start sweep') await sweepStateDir(dir);
      const listed = new Map((await store.list()).map((t) => JSON.parse(t as string) as JournalEntry).map((e) => [e.id, e]));
      assert.equal(listed.get(ids[0] as string)?.values?.token, SECRET, 'readers see the newest state (the temporary\'s)');
      assert.equal((JSON.parse(await fs.readFile(path.join(dir, 'journal', newer), 'utf8')) as JournalEntry).state, 'intent', 'nothing is written without the lock: the file is the older one');
      assert.deepEqual((await fs.readdir(path.join(dir, 'journal'))).filter((n) => n.endsWith('.tmp')), [dead(newer)], 'only the newer temporary is kept');
      assert.equal(listed.has(ids[1] as string), false, 'an entry cleared since (its rotation ended) does not come back');
      assert.equal(listed.get(ids[2] as string)?.updatedAt, 9, 'the file was newer: kept as it was');
      assert.equal(listed.has(ids[3] as string), false);

      const journal = new Journal(store, new FileLocks(path.join(dir, 'locks'), { app: 'test' }));
      await journal.lock(ids[0] as string, 'resuming');
      try {
        assert.equal((await journal.get(ids[0] as string))?.values?.token, SECRET, 'the lock holder reads the newest state');
      } finally {
        await journal.unlock(ids[0] as string);
      }
      assert.deepEqual((await fs.readdir(path.join(dir, 'journal'))).filter((n) => n.endsWith('.tmp')), [], 'put back, then removed');
    });
  }

  it('a long-lived process (its store ensured before the kill) gets the newest state when it takes the lock', async () => {
    const id = 'account-api-token:late';
    const file = `${journalKey(id)}.json`;
    const store = new NodeJournalStore(dir);
    await store.list(); // ensured and swept now, before the other process dies
    await put(file, JSON.stringify(mk(id)));
    await put(dead(file), JSON.stringify(mk(id, { state: 'rotated', values: { token: SECRET }, updatedAt: 5 })));
    const journal = new Journal(store, new FileLocks(path.join(dir, 'locks'), { app: 'test' }));
    await journal.lock(id, 'resuming');
    try {
      assert.equal((await journal.get(id))?.values?.token, SECRET);
    } finally {
      await journal.unlock(id);
    }
    await sweepStateDir(dir);
    assert.equal((JSON.parse((await store.get(id))!) as JournalEntry).values?.token, SECRET, 'a later sweep leaves it');
  });

  it('a holder that cannot put the newest state back does not get the lock (nothing acts on the older entry), and the lock is free again', async () => {
    const store = Object.assign(new MemoryJournalStore(), { rescue: async () => Promise.reject(new Error('ENOSPC')) });
    const journal = new Journal(store, new FileLocks(path.join(dir, 'locks'), { app: 'test' }));
    await assert.rejects(journal.lock('account-api-token:x', 'resuming'), /ENOSPC/);
    assert.equal(journal.isLocked('account-api-token:x'), false);
    assert.equal(await journal.holder('account-api-token:x'), undefined, 'given back');
  });

  it('a temporary whose entry file is damaged is kept beside it (neither is replaced nor removed); one that cannot be put back waits for the next start', async () => {
    const id = 'account-api-token:damaged';
    const file = `${journalKey(id)}.json`;
    await put(file, '{ not json');
    await put(dead(file), JSON.stringify(mk(id, { state: 'rotated', values: { token: SECRET }, updatedAt: 5 })));
    await sweepStateDir(dir);
    assert.equal(await fs.readFile(path.join(dir, 'journal', file), 'utf8'), '{ not json');
    assert.match(await fs.readFile(path.join(dir, 'journal', dead(file)), 'utf8'), new RegExp(SECRET));
  });
});

describe('state directory: never committed when it lies in a git work tree', function () {
  this.timeout(30_000);
  let repo: string;
  const git = (...args: string[]): string => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' });

  beforeEach(async () => {
    repo = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-statedir-git-')));
  });
  afterEach(async () => {
    await fs.rm(repo, { recursive: true, force: true });
  });

  it('CF_ROTATE_STATE_DIR inside a repository: its .gitignore of * hides the journal (with its secret), the history and the locks from git status', async function () {
    try {
      git('init', '-q');
    } catch {
      this.skip();
    }
    const state = path.join(repo, 'ci-state');
    // The journal store makes the folder itself (the extension's first write); the CLI calls ensureStateDir first.
    await new NodeJournalStore(state).put('one', JSON.stringify({ values: { token: 'cfat_secret' } }));
    await fs.writeFile(path.join(state, 'history.jsonl'), '{}\n');
    await fs.mkdir(path.join(state, 'locks'));
    await fs.writeFile(path.join(state, 'locks', 'x.lock'), '{}');
    assert.equal(git('status', '--porcelain', '--untracked-files=all'), '');
    assert.match(await fs.readFile(path.join(state, '.gitignore'), 'utf8'), /^\*\n/);
    // The CLI's housekeeping (ensureStateDir) on a fresh folder does the same.
    const cliState = path.join(repo, 'cli-state');
    const folder = await tempFolder('cf-rotate-statedir-git-cli-');
    try {
      await main(['resume'], { stdout: () => undefined, stderr: () => undefined, env: { CF_ROTATE_STATE_DIR: cliState }, cwd: folder });
    } finally {
      await fs.rm(folder, { recursive: true, force: true });
    }
    assert.match(await fs.readFile(path.join(cliState, '.gitignore'), 'utf8'), /^\*\n/);
    await fs.writeFile(path.join(cliState, 'history.jsonl'), '{}\n');
    assert.equal(git('status', '--porcelain', '--untracked-files=all'), '');
  });

  it('an existing .gitignore is kept, and a link in its place is not followed', async () => {
    await fs.mkdir(path.join(repo, 'a'));
    await fs.writeFile(path.join(repo, 'a', '.gitignore'), 'mine\n');
    await ensureStateDir(path.join(repo, 'a'));
    assert.equal(await fs.readFile(path.join(repo, 'a', '.gitignore'), 'utf8'), 'mine\n');
    await fs.mkdir(path.join(repo, 'b'));
    await fs.writeFile(path.join(repo, 'elsewhere'), 'untouched\n');
    await fs.symlink(path.join(repo, 'elsewhere'), path.join(repo, 'b', '.gitignore'));
    await ensureStateDir(path.join(repo, 'b'));
    assert.equal(await fs.readFile(path.join(repo, 'elsewhere'), 'utf8'), 'untouched\n');
    await ensureStateDir(path.join(repo, 'c'));
    assert.equal((await fs.stat(path.join(repo, 'c', '.gitignore'))).mode & 0o777, 0o600);
    assert.equal((await fs.stat(path.join(repo, 'c'))).mode & 0o777, 0o700);
  });
});
