/**
 * Which lost rotations still need a new one: the newest loss per (folder, name) that no later
 * success settled, of the kinds where a loss leaves the files with a value Cloudflare stops
 * accepting (an OAuth client keeps both secrets; a MoQ token that never arrived was deleted).
 */
import { strict as assert } from 'node:assert';
import type { TokenKind } from '../../../src/core/config/schema';
import { lossKillsValue, unsettledLosses, type HistoryEntry } from '../../../src/core/history';

const entry = (name: string, outcome: HistoryEntry['outcome'], at: string, kind: TokenKind = 'account-api-token', folder = '/ws'): HistoryEntry => ({ at, folder, name, kind, outcome, targets: ['.env › K'] });

describe('core/history: unsettled losses', () => {
  it('the newest loss after the last success, per folder and name', () => {
    const losses = unsettledLosses([
      entry('a', 'rotated', '2026-01-01T00:00:00.000Z'),
      entry('a', 'lost', '2026-01-02T00:00:00.000Z'),
      entry('a', 'lost', '2026-01-03T00:00:00.000Z'),
      entry('b', 'lost', '2026-01-01T00:00:00.000Z'),
      entry('b', 'recovered', '2026-01-02T00:00:00.000Z'),
      entry('c', 'lost', '2026-01-01T00:00:00.000Z', 'access-service-token', '/other'),
      entry('d', 'failed', '2026-01-05T00:00:00.000Z'),
    ]);
    assert.deepEqual([...losses.values()].map((e) => [e.folder, e.name, e.at]), [
      ['/ws', 'a', '2026-01-03T00:00:00.000Z'],
      ['/other', 'c', '2026-01-01T00:00:00.000Z'],
    ]);
  });

  it('kinds whose loss leaves a working value are never unsettled', () => {
    assert.deepEqual(
      (['account-api-token', 'user-api-token', 'access-service-token', 'turnstile-secret', 'oauth-client-secret', 'moq-relay-token'] as TokenKind[]).map((k) => [k, lossKillsValue(k)]),
      [['account-api-token', true], ['user-api-token', true], ['access-service-token', true], ['turnstile-secret', true], ['oauth-client-secret', false], ['moq-relay-token', false]],
    );
    assert.equal(unsettledLosses([entry('o', 'lost', '2026-01-01T00:00:00.000Z', 'oauth-client-secret'), entry('m', 'lost', '2026-01-01T00:00:00.000Z', 'moq-relay-token')]).size, 0);
  });
});
