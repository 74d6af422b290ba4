/** A journal entry of an account API token for tests: an intent sent at `at`, its deadline 30 s later; `over` changes any field. */
import type { JournalEntry } from '../../../src/core/engine/journal';

export function intentEntry(id: string, at: number, over: Partial<JournalEntry> = {}): JournalEntry {
  return {
    v: 2,
    id,
    owner: 'o1',
    folder: '/w',
    token: 'deploy',
    kind: 'account-api-token',
    profile: 'default',
    state: 'intent',
    resource: { accountId: 'a'.repeat(32), tokenId: 'b'.repeat(32) },
    startedAt: at,
    updatedAt: at,
    sentAt: at,
    deadline: at + 30_000,
    targets: [{ rel: '.env', key: 'DEPLOY', field: 'token', oldHash: null, done: false }],
    ...over,
  };
}
