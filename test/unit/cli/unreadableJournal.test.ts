/**
 * A journal entry this version cannot read (made by a newer cf-rotate, or damaged) may hold a new
 * secret. `resume` must not answer "No interrupted rotations." and exit 0 over it: it says what it
 * found (names only, never a value), leaves the file byte for byte, and exits 1. `rotate` of the
 * same credential refuses instead of rotating over it.
 */
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateConfig } from '../../../src/core/config/load';
import { resourceId } from '../../../src/core/engine/engine';
import { Journal, JOURNAL_VERSION, journalKey, MemoryJournalStore } from '../../../src/core/engine/journal';
import { NodeJournalStore } from '../../../src/core/node/journalStore';
import { MemoryLocks } from '../../../src/core/locks';
import { runMain, type CliRun } from '../helpers/cli';

describe('the CLI: journal entries this version cannot read', function () {
  this.timeout(20_000);
  let base: string;
  let folder: string;
  let stateDir: string;
  const entry = { name: 'deploy', kind: 'account-api-token', accountId: 'a'.repeat(32), tokenId: 'b'.repeat(32), targets: [{ file: '.env', key: 'DEPLOY' }] };
  const fresh = `cfat_${'n'.repeat(40)}`;
  const old = `cfat_${'o'.repeat(40)}`;
  const id = resourceId(validateConfig({ tokens: [entry] }).tokens[0]!);

  beforeEach(async () => {
    base = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-unreadable-')));
    folder = path.join(base, 'ws');
    stateDir = path.join(base, 'state');
    await fs.mkdir(path.join(folder, '.vscode'), { recursive: true });
    await fs.writeFile(path.join(folder, '.vscode', 'cf-rotate.json'), JSON.stringify({ tokens: [entry] }));
    await fs.writeFile(path.join(folder, '.env'), `DEPLOY=${old}\n`);
  });
  afterEach(() => fs.rm(base, { recursive: true, force: true }));

  const cli = (...args: string[]): Promise<CliRun> =>
    runMain(args, { CF_ROTATE_STATE_DIR: stateDir, CLOUDFLARE_API_TOKEN: `cfut_${'x'.repeat(40)}`, CLOUDFLARE_API_BASE_URL: 'http://127.0.0.1:9/client/v4', CF_ROTATE_TIMEOUT: '0.5' }, folder);
  const journalFile = async (): Promise<string> => {
    const dir = path.join(stateDir, 'journal');
    const [f, ...more] = (await fs.readdir(dir)).filter((n) => n.endsWith('.json'));
    assert.equal(more.length, 0);
    return fs.readFile(path.join(dir, f!), 'utf8');
  };

  it(`an entry of a newer format (v${JOURNAL_VERSION + 1}): resume names it and exits 1; the entry and the files stay as they were; no value is printed`, async () => {
    const raw = JSON.stringify({ v: JOURNAL_VERSION + 1, id, folder, token: 'deploy', kind: 'account-api-token', state: 'rotated', values: { token: fresh }, somethingNew: { x: 1 } });
    await new NodeJournalStore(stateDir).put(id, raw);

    for (const args of [['resume'], ['resume', '--config', path.join(folder, '.vscode', 'cf-rotate.json')]]) {
      const r = await cli(...args);
      assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
      assert.equal(r.stdout, 'No interrupted rotations.\n');
      assert.equal(
        r.stderr,
        `✗ An interrupted rotation of "deploy" was journaled by a newer cf-rotate (journal format ${JOURNAL_VERSION + 1}), which this version cannot read; it was left untouched. It may hold a new secret: run "cf-rotate resume" with the version that made it. Nothing was changed.\n`,
      );
    }
    const json = await cli('resume', '--json');
    assert.equal(json.code, 1);
    assert.deepEqual(JSON.parse(json.stdout), [], 'stdout carries the JSON only');
    assert.match(json.stderr, /journaled by a newer cf-rotate/);

    // rotate of that credential does not rotate over it.
    const rot = await cli('rotate', 'deploy');
    assert.equal(rot.code, 1, `${rot.stdout}${rot.stderr}`);
    assert.equal(rot.stdout, '');
    assert.equal(
      rot.stderr,
      `✗ deploy: An interrupted rotation of "deploy" was journaled by a newer cf-rotate (journal format ${JOURNAL_VERSION + 1}), which this version cannot read. It may hold a new secret, so nothing was started over it. Finish it with the cf-rotate version that made it (resume).\n`,
    );

    assert.equal(await journalFile(), raw, 'the entry is untouched, byte for byte');
    assert.equal(await fs.readFile(path.join(folder, '.env'), 'utf8'), `DEPLOY=${old}\n`);
    assert.deepEqual(await new NodeJournalStore(stateDir).list(), [raw]);
  });

  it('a damaged entry (not JSON, or not a journal entry): resume says so and exits 1, without quoting it', async () => {
    for (const raw of [`{"v":4,"token":"deploy","values":{"token":"${fresh}"`, JSON.stringify({ v: 4, token: 'deploy', folder, values: { token: fresh } })]) {
      await new NodeJournalStore(stateDir).put(id, raw);
      const r = await cli('resume');
      assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /^✗ A rotation journal entry of (a token|"deploy") in .+ cannot be read \((not valid JSON|an unexpected shape)\); it was left untouched and may hold a new secret\. Nothing was changed\./);
      assert.ok(!r.stderr.includes(fresh) && !r.stdout.includes(fresh));
      assert.equal(await journalFile(), raw);
    }
  });

  it('an entry that is there but cannot be read at all (not a file, too large, no permission): resume names the file and why, exits 1; rotate does not start over it', async () => {
    const dir = path.join(stateDir, 'journal');
    await fs.mkdir(dir, { recursive: true });
    const file = path.join(dir, `${journalKey(id)}.json`);
    const cases: [string, () => Promise<void>, RegExp][] = [
      ['a directory in its place', () => fs.mkdir(file), /is a directory/],
      ['larger than an entry can be', () => fs.writeFile(file, 'x'.repeat(4 * 1024 * 1024 + 1)), /larger than/],
    ];
    for (const [what, make, reason] of cases) {
      await fs.rm(file, { recursive: true, force: true });
      await make();
      const r = await cli('resume');
      assert.equal(r.code, 1, `${what}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, new RegExp(`^✗ A rotation journal entry of a token in ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be read \\(`), what);
      assert.match(r.stderr, reason, what);
      const json = await cli('resume', '--json');
      assert.equal(json.code, 1, what);
      const rot = await cli('rotate', 'deploy');
      assert.equal(rot.code, 1, `${what}: ${rot.stdout}${rot.stderr}`);
      assert.match(rot.stderr, /^✗ deploy: journal\/[0-9a-f]{40}\.json /, `${what}: refused over the entry, before any request`);
      assert.equal(await fs.readFile(path.join(folder, '.env'), 'utf8'), `DEPLOY=${old}\n`, what);
    }
  });

  it('an entry of another folder is not reported by resume --config, and is by a bare resume', async () => {
    await new NodeJournalStore(stateDir).put(id, JSON.stringify({ v: JOURNAL_VERSION + 1, id, folder: path.join(base, 'elsewhere'), token: 'deploy' }));
    const scoped = await cli('resume', '--config', path.join(folder, '.vscode', 'cf-rotate.json'));
    assert.deepEqual([scoped.code, scoped.stdout, scoped.stderr], [0, 'No interrupted rotations.\n', '']);
    const bare = await cli('resume');
    assert.equal(bare.code, 1);
    assert.match(bare.stderr, /newer cf-rotate/);
  });

  it('Journal.unreadable: names, version and reason only; list() skips them', async () => {
    const store = new MemoryJournalStore();
    const journal = new Journal(store, new MemoryLocks());
    store.data.set('a', JSON.stringify({ v: 9, token: 'x'.repeat(500), folder: '/f', values: { token: fresh } }));
    store.data.set('b', 'nope');
    store.data.set('c', '[1]');
    assert.deepEqual(await journal.list(), []);
    assert.deepEqual(await journal.unreadable(), [
      { folder: '/f', version: 9, newer: true, reason: 'journal format 9' },
      { newer: false, reason: 'not valid JSON' },
      { newer: false, reason: 'an unexpected shape' },
    ]);
    assert.ok(!JSON.stringify(await journal.unreadable()).includes(fresh));
  });
});

describe('the CLI: pending retirements this version cannot read', function () {
  this.timeout(20_000);
  let base: string;
  let folder: string;
  let stateDir: string;

  beforeEach(async () => {
    base = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-unreadable-retire-')));
    folder = path.join(base, 'ws');
    stateDir = path.join(base, 'state');
    await fs.mkdir(path.join(folder, '.vscode'), { recursive: true });
    await fs.writeFile(path.join(folder, '.vscode', 'cf-rotate.json'), JSON.stringify({ tokens: [] }));
  });
  afterEach(() => fs.rm(base, { recursive: true, force: true }));

  const cli = (...args: string[]): Promise<CliRun> =>
    runMain(args, { CF_ROTATE_STATE_DIR: stateDir, CLOUDFLARE_API_TOKEN: `cfut_${'x'.repeat(40)}`, CLOUDFLARE_API_BASE_URL: 'http://127.0.0.1:9/client/v4', CF_ROTATE_TIMEOUT: '0.5' }, folder);

  it('a record that cannot be read (a directory in its place, another format): retire names it and exits 1, never "No pending retirements." with 0', async () => {
    const dir = path.join(stateDir, 'retire');
    await fs.mkdir(dir, { recursive: true });
    const file = path.join(dir, `${journalKey('retire:account-api-token:acc:tok')}.json`);
    await fs.mkdir(file);
    const r = await cli('retire');
    assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, 'No pending retirements.\n');
    assert.match(r.stderr, new RegExp(`^✗ A pending retirement in ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be read \\(.*is a directory.*\\): a previous credential it names may still be live\\. Nothing was deleted\\.`));
    const json = await cli('retire', '--json');
    assert.equal(json.code, 1);
    assert.deepEqual(JSON.parse(json.stdout), []);
    await fs.rm(file, { recursive: true });
    await new NodeJournalStore(stateDir, 'retire').put('retire:x', JSON.stringify({ v: 9, kind: 'account-api-token' }));
    const other = await cli('retire');
    assert.equal(other.code, 1);
    assert.match(other.stderr, /^✗ A pending retirement cannot be read \(not a retirement record this version can read\)/);
  });
});
