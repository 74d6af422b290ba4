/**
 * cf-rotate 0.1's journal entries in SecretStorage move into the state directory; an entry leaves
 * the secret storage only once it is in the store (a full disk keeps it for the next start).
 */
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JOURNAL_PREFIX, MemoryJournalStore } from '../../../src/core/engine/journal';
import { migrateLegacyState } from '../../../src/host/migrate';
import type { HostServices } from '../../../src/host/services';

const SECRET = 'cfat_LegacySecretInSecretStorage0123456789abcdefghij';
const v1 = (id: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ v: 1, id, owner: 'o', folder: '/w', token: id, kind: 'user-api-token', profile: 'default', state: 'intent', resource: { tokenId: '0'.repeat(32) }, startedAt: 1, updatedAt: 1, targets: [], ...extra });

describe('extension: moving cf-rotate 0.1 journals out of SecretStorage', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-migrate-'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('deletes a key only once its entry is in the store; a store that is full keeps it (and its secret) for the next start', async () => {
    const secrets = new Map<string, string>([
      [`${JOURNAL_PREFIX}full`, v1('full', { state: 'rotated', values: { token: SECRET } })],
      [`${JOURNAL_PREFIX}ok`, v1('ok')],
      [`${JOURNAL_PREFIX}unreadable`, '{"v":1,'],
    ]);
    const journalStore = new MemoryJournalStore();
    const put = journalStore.put.bind(journalStore);
    let full = true;
    journalStore.put = async (id: string, text: string) => {
      if (full && id === 'full') throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      return put(id, text);
    };
    const logged: string[] = [];
    const state = new Map<string, unknown>([['cfRotate.historyMovedToStateDir', true]]);
    const host = {
      context: { globalStorageUri: { scheme: 'file', fsPath: dir }, globalState: { get: (k: string) => state.get(k), update: async (k: string, v: unknown) => void state.set(k, v) } },
      secrets: {
        keys: async (prefix: string) => [...secrets.keys()].filter((k) => k.startsWith(prefix)),
        get: async (k: string) => secrets.get(k),
        delete: async (k: string) => void secrets.delete(k),
      },
      journalStore,
      stateDir: dir,
      logger: { trace: () => undefined, debug: () => undefined, info: (m: string) => logged.push(m), warn: (m: string) => logged.push(m), error: (m: string) => logged.push(m) },
    } as unknown as HostServices;
    assert.equal(await migrateLegacyState(host), true);
    assert.deepEqual([...secrets.keys()].sort(), [`${JOURNAL_PREFIX}full`, `${JOURNAL_PREFIX}unreadable`], 'the moved key went; the one not stored and the unreadable one stay');
    assert.ok(await journalStore.get('ok'));
    assert.ok(logged.some((m) => /could not be moved/.test(m)), logged.join('\n'));
    full = false;
    await migrateLegacyState(host);
    assert.deepEqual([...secrets.keys()], [`${JOURNAL_PREFIX}unreadable`]);
    assert.match((await journalStore.get('full')) ?? '', new RegExp(SECRET));
  });
});
