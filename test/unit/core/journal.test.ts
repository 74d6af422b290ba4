/**
 * The journal on its own: entries parse (and cf-rotate 0.1's v1 entries migrate), only the lock
 * holder writes or clears, a busy lock names its holder, the on-disk store writes one 0600 file
 * per entry atomically and never lists a temporary or a foreign file.
 */
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Journal, journalKey, MemoryJournalStore, parseJournal, type JournalEntry } from '../../../src/core/engine/journal';
import { MemoryLocks } from '../../../src/core/locks';
import { NodeJournalStore } from '../../../src/core/node/journalStore';
import { FileLocks } from '../../../src/core/node/lock';
import { knownSecrets } from '../../../src/core/redact';
import { migrateLegacyJournalFile } from '../../../src/core/node/stateDir';

const entry = (over: Partial<JournalEntry> = {}): JournalEntry => ({
  v: 2,
  id: 'user-api-token:0123456789abcdef0123456789abcdef',
  owner: 'o1',
  folder: '/w',
  token: 'me',
  kind: 'user-api-token',
  profile: 'default',
  state: 'intent',
  resource: { tokenId: '0123456789abcdef0123456789abcdef' },
  startedAt: 1,
  updatedAt: 1,
  targets: [{ rel: '.env', key: 'K', field: 'token', oldHash: null, done: false }],
  ...over,
});

describe('journal', function () {
  this.timeout(20_000);

  it('journalKey: 40 hex characters, the same for the same id, different for another', () => {
    assert.match(journalKey('a:b'), /^[0-9a-f]{40}$/);
    assert.equal(journalKey('a:b'), journalKey('a:b'));
    assert.notEqual(journalKey('a:b'), journalKey('a:c'));
    assert.equal(journalKey('x'), '2d711642b726b04401627ca9fbac32f5c8530fb1', 'sha256("x"), first 40 hex');
  });

  it('parses a v2 entry and registers the secrets it holds for redaction', () => {
    const secret = 'cfut_JournalParseSecret0123456789abcdefABCDEF';
    const e = parseJournal(JSON.stringify(entry({ state: 'rotated', values: { token: secret } })));
    assert.equal(e.values?.token, secret);
    assert.ok(knownSecrets().has(secret));
  });

  it('refuses what is not a journal entry, without quoting it', () => {
    assert.throws(() => parseJournal('{not json'), /not valid JSON/);
    assert.throws(() => parseJournal(JSON.stringify({ ...entry(), state: 'exploded' })), /unexpected shape/);
    assert.throws(() => parseJournal(JSON.stringify({ ...entry(), v: 9 })), /unexpected shape/);
    assert.throws(() => parseJournal(JSON.stringify({ ...entry(), kind: 'nope' })), /unexpected shape/);
    try {
      parseJournal(JSON.stringify({ ...entry(), values: { token: 123 }, state: 'cfut_NeverQuoteMe0123456789' }));
    } catch (e) {
      assert.doesNotMatch((e as Error).message, /NeverQuoteMe/);
    }
  });

  it('reads cf-rotate 0.1 (v1) entries: absolute file dropped, written → rotated, old jtis kept', () => {
    const v1 = {
      v: 1,
      id: 'moq-relay-token:a:r:publish_subscribe',
      owner: 'x',
      folder: '/w',
      token: 'relay',
      kind: 'moq-relay-token',
      profile: 'default',
      state: 'written',
      resource: { accountId: 'a', relayId: 'r' },
      startedAt: 5,
      updatedAt: 6,
      targets: [{ file: '/w/.env', rel: '.env', key: 'MOQ', field: 'token', oldHash: 'h', done: true }],
      pre: { oldJti: 'j1', clientSecretVersion: 3 },
      cleanup: { moqDeleteJti: 'j2' },
      values: { token: 'eyJhbGciOiJFUzI1NiJ9.eyJqdGkiOiJqMyJ9.c2lnbmF0dXJlc2lnbmF0dXJl' },
    };
    const e = parseJournal(JSON.stringify(v1));
    assert.equal(e.v, 2);
    assert.equal(e.state, 'rotated');
    assert.deepEqual(e.targets, [{ rel: '.env', key: 'MOQ', field: 'token', oldHash: 'h', done: true }]);
    assert.deepEqual(e.pre, { oldJtis: ['j1', 'j2'] });
    assert.equal((e as Record<string, unknown>).cleanup, undefined);
  });

  it('only the lock holder writes or clears; a second lock in this process is busy, naming what holds it', async () => {
    const store = new MemoryJournalStore();
    const j = new Journal(store, new MemoryLocks());
    const e = entry();
    await assert.rejects(j.write(e), /without holding its lock/);
    await j.lock(e.id, 'rotating "me"');
    assert.equal(j.isLocked(e.id), true);
    await assert.rejects(j.lock(e.id, 'rotating "me"'), (err: Error & { kind?: string }) => err.kind === 'busy' && /rotating "me"/.test(err.message));
    await j.write(e);
    assert.deepEqual(await j.get(e.id), e);
    assert.deepEqual((await j.list()).map((x) => x.id), [e.id]);
    await j.clear(e.id);
    assert.equal(await j.get(e.id), undefined);
    await j.unlock(e.id);
    assert.equal(j.isLocked(e.id), false);
    await assert.rejects(j.clear(e.id), /without holding its lock/);
  });

  it('list is ordered by start and skips entries it cannot read (a future version), instead of failing', async () => {
    const store = new MemoryJournalStore();
    await store.put('b', JSON.stringify(entry({ id: 'b', startedAt: 20 })));
    await store.put('a', JSON.stringify(entry({ id: 'a', startedAt: 10 })));
    await store.put('z', JSON.stringify({ v: 9, id: 'z' }));
    const j = new Journal(store, new MemoryLocks());
    assert.deepEqual((await j.list()).map((x) => x.id), ['a', 'b']);
  });

  it('the holder of another process is seen through the machine-wide lock', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-jlock-'));
    try {
      const a = new Journal(new MemoryJournalStore(), new FileLocks(dir, { app: 'A' }));
      const b = new Journal(new MemoryJournalStore(), new FileLocks(dir, { app: 'B' }));
      await a.lock('id1', 'rotating "x"');
      const h = await b.holder('id1');
      assert.equal(h?.app, 'A');
      await assert.rejects(b.lock('id1', 'rotating "x"'), /A \(pid \d+\) is rotating "x"/);
      await a.unlock('id1');
      assert.equal(await b.holder('id1'), undefined);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  describe('on disk (NodeJournalStore)', () => {
    let state: string;
    beforeEach(async () => {
      state = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-jstore-'));
    });
    afterEach(async () => fs.rm(state, { recursive: true, force: true }));

    it('one 0600 file per entry under journal/ (0700), named by journalKey; delete removes only that file', async () => {
      const s = new NodeJournalStore(state);
      await s.put('one', 'A');
      await s.put('two', 'B');
      const names = (await fs.readdir(path.join(state, 'journal'))).sort();
      assert.deepEqual(names, [`${journalKey('one')}.json`, `${journalKey('two')}.json`].sort());
      for (const n of names) assert.equal((await fs.stat(path.join(state, 'journal', n))).mode & 0o777, 0o600);
      assert.equal((await fs.stat(path.join(state, 'journal'))).mode & 0o777, 0o700);
      assert.equal((await fs.stat(state)).mode & 0o777, 0o700);
      await s.delete('one');
      assert.deepEqual((await s.list()).sort(), ['B']);
      await s.delete('one'); // missing is fine
      assert.equal(await s.get('one'), undefined);
    });

    it('a temporary left by a killed writer is neither listed nor kept; foreign files are ignored', async () => {
      const s = new NodeJournalStore(state);
      await s.put('one', 'A');
      const dir = path.join(state, 'journal');
      await fs.writeFile(path.join(dir, `${journalKey('one')}.json.cf-rotate-4194303999-1-aaaaaaaaaaaa.tmp`), 'SECRET');
      await fs.writeFile(path.join(dir, 'notes.txt'), 'x');
      assert.deepEqual(await new NodeJournalStore(state).list(), ['A']);
      assert.equal((await fs.readdir(dir)).filter((n) => n.endsWith('.tmp')).length, 0, 'swept');
    });

    it('moves the journal.json of cf-rotate 0.1 into per-entry files (an entry already there wins), then removes it', async () => {
      const s = new NodeJournalStore(state);
      const kept = entry({ id: 'kept', token: 'new' });
      await s.put('kept', JSON.stringify(kept));
      const legacy = {
        'cfRotate.journal.kept': JSON.stringify({ ...kept, token: 'old', v: 1, targets: [] }),
        'cfRotate.journal.moved': JSON.stringify({ ...entry({ id: 'moved' }), v: 1, targets: [] }),
        'cfRotate.other': 'x',
      };
      await fs.writeFile(path.join(state, 'journal.json'), JSON.stringify(legacy));
      assert.equal(await migrateLegacyJournalFile(path.join(state, 'journal.json'), s), 1);
      assert.equal(JSON.parse((await s.get('kept'))!).token, 'new');
      assert.equal(JSON.parse((await s.get('moved'))!).v, 2);
      await assert.rejects(fs.access(path.join(state, 'journal.json')));
    });
  });
});
