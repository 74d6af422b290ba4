/**
 * The journal on its own: entries parse (and cf-rotate 0.1's v1 entries migrate), only the lock
 * holder writes or clears, a busy lock names its holder, the on-disk store writes one 0600 file
 * per entry atomically and never lists a temporary or a foreign file.
 */
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Journal, JOURNAL_PREFIX, journalKey, MemoryJournalStore, parseJournal, type JournalEntry } from '../../../src/core/engine/journal';
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
    await j.clear(e.id, e.token);
    assert.equal(await j.get(e.id), undefined);
    await j.unlock(e.id);
    assert.equal(j.isLocked(e.id), false);
    await assert.rejects(j.clear(e.id, e.token), /without holding its lock/);
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

    it('an entry the store cannot take (disk full) or cannot be read keeps the old journal.json; the next run moves it', async () => {
      const s = new NodeJournalStore(state);
      const secret = 'cfat_LegacySecretThatMustSurvive0123456789abcdefghij';
      const legacy = {
        'cfRotate.journal.full': JSON.stringify({ ...entry({ id: 'full', state: 'rotated', values: { token: secret } }), v: 1, targets: [] }),
        'cfRotate.journal.ok': JSON.stringify({ ...entry({ id: 'ok' }), v: 1, targets: [] }),
      };
      const file = path.join(state, 'journal.json');
      await fs.writeFile(file, JSON.stringify(legacy));
      const put = s.put.bind(s);
      s.put = async (id: string, text: string) => {
        if (id === 'full') throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        return put(id, text);
      };
      const lines: string[] = [];
      const logger = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: (m: string) => lines.push(`warn ${m}`), error: (m: string) => lines.push(`error ${m}`) };
      assert.equal(await migrateLegacyJournalFile(file, s, logger), 1);
      assert.match(await fs.readFile(file, 'utf8'), new RegExp(secret), 'the old file, with the secret, is kept');
      assert.equal(await s.get('full'), undefined);
      assert.ok(lines.some((l) => /^error .*could not be moved/.test(l)) && lines.some((l) => /^warn .*was kept/.test(l)), lines.join('\n'));
      s.put = put; // space again
      assert.equal(await migrateLegacyJournalFile(file, s), 1, 'moved on the next run');
      assert.equal(JSON.parse((await s.get('full'))!).values.token, secret);
      await assert.rejects(fs.access(file), 'removed once every entry is in the store');

      await fs.writeFile(file, JSON.stringify({ 'cfRotate.journal.bad': '{"v":1,' }));
      assert.equal(await migrateLegacyJournalFile(file, s), 0);
      await fs.access(file); // an unreadable entry keeps it too
    });
  });
});

describe('journal: each rule on its own', function () {
  this.timeout(20_000);
  const ACCOUNT = 'a'.repeat(32);

  /** An entry with every optional field, and one destination of each type. */
  const full = (): JournalEntry =>
    entry({
      v: 3,
      state: 'settled',
      sentAt: 2,
      deadline: 3,
      destinations: [
        { type: 'worker', worker: 'api', key: 'K', accountId: ACCOUNT, profile: 'p', field: 'token', done: true },
        { type: 'pages', pages: 'site', environment: 'preview', key: 'K', accountId: ACCOUNT, profile: 'p', field: 'clientId', done: false },
        { type: 'secrets-store', secretsStore: 's', secretId: 'i', accountId: ACCOUNT, profile: 'p', field: 'clientSecret', done: false, before: '2026-01-01T00:00:00Z' },
        { type: 'github', github: 'o/r', environment: 'prod', key: 'K', field: 'token', done: false, before: 't' },
      ],
      pre: { clientId: 'c', updatedAt: 'u', modifiedOn: 'm', oldJtis: ['j1'], nextVersion: 4 },
      graceUntil: 'g',
      values: { token: 'cfut_FullEntryToken0123456789abcdefABCDEF01', clientId: 'id.access', clientSecret: 'FullEntryClientSecret0123456789abcdef' },
      received: { expiresAt: 'e', jti: 'j', contractProblem: 'c' },
      moqLabel: 'l',
      lastError: 'x',
      verdict: { outcome: 'lost', message: 'm', hint: 'h', errorKind: 'k', at: 9 },
    });

  it('an entry with every field (each destination type, a verdict) reads back exactly, and registers every secret it holds', () => {
    const e = full();
    assert.deepEqual(parseJournal(JSON.stringify(e)), e);
    for (const v of Object.values(e.values ?? {})) assert.ok(knownSecrets().has(v), v);
    for (const state of ['intent', 'unknown', 'rotated', 'settled'] as const) assert.equal(parseJournal(JSON.stringify(entry({ state }))).state, state);
    for (const kind of ['account-api-token', 'user-api-token', 'access-service-token', 'moq-relay-token'] as const) assert.equal(parseJournal(JSON.stringify(entry({ kind }))).kind, kind);
    for (const outcome of ['not-rotated', 'lost', 'discarded'] as const) assert.equal(parseJournal(JSON.stringify({ ...e, verdict: { ...e.verdict, outcome } })).verdict?.outcome, outcome);
    assert.equal(parseJournal(JSON.stringify({ ...e, destinations: [{ ...e.destinations![1], environment: 'production' }] })).destinations?.length, 1);
  });

  it('refuses an entry whose parts have unknown values, with the same words', () => {
    const e = full();
    const d = e.destinations!;
    const bad: unknown[] = [
      { ...e, v: 99 },
      { ...e, destinations: [{ ...d[0], type: 'lambda' }] },
      { ...e, destinations: [{ ...d[1], environment: 'staging' }] },
      { ...e, destinations: [{ ...d[0], field: 'password' }] },
      { ...e, destinations: [{ ...d[0], worker: undefined }] },
      { ...e, destinations: [{ ...d[2], secretId: 5 }] },
      { ...e, destinations: [{ ...d[3], key: undefined }] },
      { ...e, destinations: [{ ...d[0], done: 'yes' }] },
      { ...e, targets: [{ ...e.targets[0], field: 'password' }] },
      { ...e, targets: [{ ...e.targets[0], oldHash: 5 }] },
      { ...e, targets: [{ ...e.targets[0], done: undefined }] },
      { ...e, verdict: { ...e.verdict, outcome: 'maybe' } },
      { ...e, verdict: { ...e.verdict, at: 'now' } },
      { ...e, values: { password: 'x' } },
      { ...e, resource: { a: 1 } },
      { ...e, pre: { oldJtis: 'j1' } },
      { ...e, received: { jti: 5 } },
      { ...e, owner: undefined },
      { ...e, folder: 5 },
      { ...e, startedAt: '1' },
      { ...e, updatedAt: undefined },
      { ...e, profile: undefined },
      { ...e, token: 5 },
      { ...e, id: undefined },
    ];
    for (const b of bad) {
      assert.throws(
        () => parseJournal(JSON.stringify(b)),
        (err: Error & { kind?: string }) => err.kind === 'internal' && err.message === 'A rotation journal entry has an unexpected shape.',
        JSON.stringify(b).slice(0, 200),
      );
    }
    assert.throws(() => parseJournal('{'), (err: Error & { kind?: string }) => err.kind === 'internal' && err.message === 'A rotation journal entry is not valid JSON.');
    assert.throws(() => parseJournal('null'), /unexpected shape/);
  });

  it('v1 entries: pre keeps clientId and updatedAt when they are strings; one old jti given twice is kept once; other states stay', () => {
    const v1 = { ...entry(), v: 1, state: 'unknown', pre: { clientId: 'c', updatedAt: 'u', oldJti: 'j' }, cleanup: { moqDeleteJti: 'j' } };
    const e = parseJournal(JSON.stringify(v1));
    assert.equal(e.v, 2);
    assert.equal(e.state, 'unknown');
    assert.deepEqual(e.pre, { clientId: 'c', updatedAt: 'u', oldJtis: ['j'] });
    const odd = parseJournal(JSON.stringify({ ...entry(), v: 1, pre: { clientId: 5, updatedAt: null, oldJti: 7 }, cleanup: { moqDeleteJti: false } }));
    assert.deepEqual(odd.pre, {});
    assert.deepEqual(parseJournal(JSON.stringify({ ...entry(), v: 1 })).pre, {}, 'no pre, no cleanup');
    assert.deepEqual(parseJournal(JSON.stringify({ ...entry(), v: 1, cleanup: { moqDeleteJti: 'j2' } })).pre, { oldJtis: ['j2'] });
    assert.throws(() => parseJournal(JSON.stringify({ ...entry(), v: 1, targets: 'x' })), /unexpected shape/, 'targets that are not a list stay wrong');
    assert.throws(() => parseJournal(JSON.stringify({ ...entry(), v: 2, state: 'written' })), /unexpected shape/, '"written" is read as "rotated" in v1 entries only');
  });

  it('write() stores v3 exactly when the entry has destinations, v2 otherwise', async () => {
    const store = new MemoryJournalStore();
    const j = new Journal(store, new MemoryLocks());
    const stored = (): JournalEntry => JSON.parse(store.data.get(entry().id)!) as JournalEntry;
    await j.lock(entry().id, 'w');
    const dest = full().destinations!.slice(0, 1);
    await j.write(entry({ v: 2, destinations: dest }));
    assert.equal(stored().v, 3);
    await j.write(entry({ v: 3 }));
    assert.equal(stored().v, 2);
    await j.write(entry({ v: 3, destinations: [] }));
    assert.equal(stored().v, 2);
    const e = entry({ v: 3, destinations: dest });
    await j.write(e);
    assert.equal(store.data.get(e.id), JSON.stringify(e), 'written as it is');
    await j.unlock(entry().id);
  });

  it('write() and clear() without the lock: "internal", naming the entry', async () => {
    const j = new Journal(new MemoryJournalStore(), new MemoryLocks());
    await assert.rejects(j.write(entry()), (e: Error & { kind?: string }) => e.kind === 'internal' && e.message === 'The journal of "me" was written without holding its lock.');
    await assert.rejects(j.clear('id-9', 'me'), (e: Error & { kind?: string }) => e.kind === 'internal' && e.message === 'The journal id-9 was cleared without holding its lock.');
  });

  it('lock(): the second lock in this process is busy, naming this window, without a host', async () => {
    const j = new Journal(new MemoryJournalStore(), new MemoryLocks());
    await j.lock('id1', 'Rotating "me"');
    await assert.rejects(j.lock('id1', 'Rotating "me"'), (e: Error & { kind?: string }) => {
      assert.equal(e.kind, 'busy');
      assert.equal(e.message, `Rotating "me" is not possible now: this window (pid ${process.pid}) is Rotating "me".`);
      return true;
    });
    await j.unlock('id1');
    await j.unlock('id1'); // not locked: nothing to do
    await j.lock('id1', 'again');
    assert.equal(j.isLocked('id1'), true);
    await j.unlock('id1');
  });

  it('lock(): busy through the lock port (another holder of the same lock name), naming that holder', async () => {
    const locks = new MemoryLocks();
    const other = await locks.tryAcquire(`rot-${journalKey('id2')}`, 'rotating elsewhere');
    assert.ok('release' in other);
    const j = new Journal(new MemoryJournalStore(), locks);
    await assert.rejects(j.lock('id2', 'Rotating'), (e: Error & { kind?: string }) => e.kind === 'busy' && /this process \(pid \d+\) is rotating elsewhere/.test(e.message));
    assert.equal(j.isLocked('id2'), false);
    assert.equal((await j.holder('id2'))?.what, 'rotating elsewhere');
    await other.release();
    assert.equal(await j.holder('id2'), undefined);
    await j.lock('id2', 'mine');
    assert.equal((await j.holder('id2'))?.what, 'mine');
    await j.unlock('id2');
    assert.equal(await locks.holder(`rot-${journalKey('id2')}`), undefined, 'unlock released the lock');
  });

  it('list() orders by start time (several entries), get() of a missing id is undefined', async () => {
    const store = new MemoryJournalStore();
    for (const [id, startedAt] of [['c', 30], ['a', 10], ['d', 40], ['b', 20], ['e', 5]] as const) await store.put(id, JSON.stringify(entry({ id, startedAt })));
    const j = new Journal(store, new MemoryLocks());
    assert.deepEqual((await j.list()).map((x) => x.id), ['e', 'a', 'b', 'c', 'd']);
    assert.equal(await j.get('nope'), undefined);
    assert.deepEqual(await new Journal(new MemoryJournalStore(), new MemoryLocks()).list(), []);
  });

  it('JOURNAL_PREFIX is the key prefix of cf-rotate 0.1', () => {
    assert.equal(JOURNAL_PREFIX, 'cfRotate.journal.');
  });

  describe('NodeJournalStore, more', () => {
    let state: string;
    beforeEach(async () => {
      state = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-jstore2-'));
    });
    afterEach(async () => fs.rm(state, { recursive: true, force: true }));

    it('lists only <40 hex>.json files; an entry it cannot read is listed as unreadable (file and why), not fatal and never skipped', async () => {
      const s = new NodeJournalStore(state);
      await s.put('one', 'A');
      const dir = path.join(state, 'journal');
      await fs.writeFile(path.join(dir, `${'A'.repeat(40)}.json`), 'upper');
      await fs.writeFile(path.join(dir, `${'a'.repeat(39)}.json`), 'short');
      await fs.writeFile(path.join(dir, `${'a'.repeat(41)}.json`), 'long');
      await fs.writeFile(path.join(dir, `${'a'.repeat(40)}.json.bak`), 'bak');
      await fs.writeFile(path.join(dir, `x${'a'.repeat(40)}.json`), 'prefixed');
      await fs.mkdir(path.join(dir, `${'b'.repeat(40)}.json`));
      assert.deepEqual(await s.list(), ['A', { unreadable: { file: path.join(dir, `${'b'.repeat(40)}.json`), reason: `journal/${'b'.repeat(40)}.json is a directory, not a regular file; cf-rotate only reads and writes regular files.` } }]);
    });

    it('an entry over 4 MiB is refused on read (and listed as unreadable); 4 MiB is fine', async () => {
      const s = new NodeJournalStore(state);
      await s.put('big', 'x'.repeat(4 * 1024 * 1024));
      assert.equal((await s.get('big'))?.length, 4 * 1024 * 1024);
      await s.put('big', 'x'.repeat(4 * 1024 * 1024 + 1));
      await assert.rejects(s.get('big'), /is larger than 4 MB/);
      assert.deepEqual(await s.list(), [{ unreadable: { file: path.join(state, 'journal', `${journalKey('big')}.json`), reason: `journal/${journalKey('big')}.json is larger than 4 MB.` } }]);
    });

    it('sweep() removes temporaries of dead writers and says how many', async () => {
      const s = new NodeJournalStore(state);
      await s.put('one', 'A');
      const dir = path.join(state, 'journal');
      await fs.writeFile(path.join(dir, `${journalKey('one')}.json.cf-rotate-4194303999-1-aaaaaaaaaaaa.tmp`), 'x');
      await fs.writeFile(path.join(dir, `${journalKey('two')}.json.cf-rotate-4194303998-1-aaaaaaaaaaaa.tmp`), 'x');
      assert.equal(await s.sweep(), 2);
      assert.deepEqual(await fs.readdir(dir), [`${journalKey('one')}.json`]);
    });

    it('a state directory that cannot be prepared fails the call, and a later call tries again', async () => {
      const blocked = path.join(state, 'blocked');
      await fs.writeFile(blocked, 'a file where the folder should be');
      const s = new NodeJournalStore(blocked);
      await assert.rejects(s.put('one', 'A'), (e: Error & { code?: string }) => e.code === 'EEXIST' || e.code === 'ENOTDIR');
      await fs.rm(blocked);
      await s.put('one', 'A');
      assert.equal(await s.get('one'), 'A');
    });
  });
});
