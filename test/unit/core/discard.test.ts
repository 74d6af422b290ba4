/**
 * Discarding an interrupted rotation never drops the record of a call that may still take effect
 * at Cloudflare: before the call's deadline (no secret in hand) it is refused, and the explanation
 * says until when; after the deadline, or with the secret in hand, it goes ahead.
 */
import { strict as assert } from 'node:assert';
import { discardExplanation, stillOpenUntil } from '../../../src/core/engine/engine';
import type { JournalEntry } from '../../../src/core/engine/journal';
import { toCfRotateError } from '../../../src/core/errors';
import { startWorld, makeEngine, type World } from '../helpers/world';
import { intentEntry } from '../helpers/journal';

describe('discard: never before the call can no longer take effect', function () {
  this.timeout(20_000);
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(() => world.close());

  const T0 = Date.parse('2026-11-28T12:00:00Z');
  const entry = (over: Partial<JournalEntry> = {}): JournalEntry => intentEntry('account-api-token:acc:tok', T0, { resource: { accountId: 'acc', tokenId: 'tok' }, ...over });

  it('stillOpenUntil: the deadline of a sent call without its secret, while it is ahead', () => {
    assert.equal(stillOpenUntil(entry(), T0 + 1_000), T0 + 30_000);
    assert.equal(stillOpenUntil(entry(), T0 + 30_000), undefined, 'at the deadline it is closed');
    assert.equal(stillOpenUntil(entry({ values: { token: 'x'.repeat(40) } as JournalEntry['values'], state: 'rotated' }), T0), undefined, 'the secret is in hand');
    assert.equal(stillOpenUntil(entry({ sentAt: undefined, deadline: undefined }), T0), undefined, 'never sent');
    assert.equal(stillOpenUntil(entry({ deadline: undefined }), T0 + 1_000), T0 + 60_000, 'an entry without a deadline (cf-rotate 0.1): sentAt + 60 s, as resume reads it');
  });

  it('refuses before the deadline (busy, nothing changed, says until when) and discards after it', async () => {
    let now = T0 + 5_000;
    const h = makeEngine(world, { clock: { now: () => now, sleep: async () => undefined } });
    const e = entry();
    await h.journal.put(e.id, JSON.stringify(e));
    const err = await h.engine.discard(e.id).then(
      () => undefined,
      (x: unknown) => toCfRotateError(x),
    );
    assert.ok(err, 'refused');
    assert.equal(err.kind, 'busy');
    assert.match(err.message, /cannot be discarded yet: its call to Cloudflare can still take effect until 2026-11-28T12:00:30\.000Z/);
    assert.match(err.hint ?? '', /Resume it after that time.*Nothing was changed\./);
    assert.deepEqual(await h.engine.journal.get(e.id), e, 'the entry is untouched');
    assert.equal(h.history.entries.length, 0);
    assert.match(discardExplanation(e, now), /can still take effect until 2026-11-28T12:00:30\.000Z.*cannot be discarded before then/);

    now = T0 + 30_001;
    await h.engine.discard(e.id);
    assert.equal(await h.engine.journal.get(e.id), undefined, 'discarded once the call can no longer take effect');
    assert.equal(h.history.entries.at(-1)?.outcome, 'discarded');
    assert.doesNotMatch(discardExplanation(e, now), /cannot be discarded/);
  });

  it('a journaled secret can be discarded at once (the user chose to drop it)', async () => {
    const h = makeEngine(world, { clock: { now: () => T0 + 1_000, sleep: async () => undefined } });
    const e = entry({ state: 'rotated', values: { token: `cfat_${'a'.repeat(40)}` } as JournalEntry['values'] });
    await h.journal.put(e.id, JSON.stringify(e));
    await h.engine.discard(e.id);
    assert.equal(await h.engine.journal.get(e.id), undefined);
  });

  it('a journaled secret already written to some destinations: those are named as holding it, never "waits to be written to" them nor "deletes that secret for good"', () => {
    const w = { type: 'worker' as const, worker: 'api', key: 'T', accountId: 'a'.repeat(32), profile: 'default', field: 'token' as const };
    const g = { type: 'github' as const, github: 'acme/app', key: 'T', field: 'token' as const };
    const j = { token: 'deploy', kind: 'account-api-token' as const, state: 'rotated' as const, values: { token: 'x' }, targets: [], destinations: [{ ...w, done: true }, { ...g, done: false }] };
    const text = discardExplanation(j);
    assert.match(text, /^Cloudflare already issued a new secret for "deploy"\. worker:api › T already hold it \(it cannot be read back from them\); it waits in the journal to be written to github:acme\/app › T\./);
    assert.match(text, /Discarding deletes the journal's copy for good: only what already holds it keeps working\./);
    assert.doesNotMatch(text, /deletes that secret for good/);
    // Nothing written yet: the words of every earlier version.
    assert.match(discardExplanation({ ...j, destinations: [{ ...w, done: false }] }), /waits in the journal to be written to worker:api › T\. Discarding deletes that secret for good\./);
  });

  it('an entry whose rotation keeps the previous secret for a while (Access grace period, Turnstile overlap) never says a working value makes discarding safe', () => {
    const now = Date.parse('2026-11-28T12:00:00.000Z');
    const base = { token: 'ci-access', kind: 'access-service-token' as const, state: 'intent' as const, targets: [{ rel: '.env', key: 'CF_ACCESS_CLIENT_SECRET', field: 'clientSecret' as const, oldHash: null, done: false }], sentAt: now - 120_000, deadline: now - 60_000 };
    const during = discardExplanation({ ...base, graceUntil: '2026-11-29T12:00:00.000Z' }, now);
    assert.doesNotMatch(during, /discarding is safe/);
    assert.match(during, /keeps working until 2026-11-29T12:00:00\.000Z all the same, so that it works now proves nothing.*Resume it instead/);
    const turnstile = discardExplanation({ ...base, token: 'widget', kind: 'turnstile-secret', graceUntil: '2026-11-28T14:00:00.000Z' }, now);
    assert.doesNotMatch(turnstile, /discarding is safe/);
    // Once the overlap is over, a working value again shows nothing was rotated.
    assert.match(discardExplanation({ ...base, graceUntil: '2026-11-28T11:00:00.000Z' }, now), /If it does, discarding is safe/);
    assert.match(discardExplanation({ ...base, kind: 'account-api-token', token: 'deploy' }, now), /If it does, discarding is safe/);
  });
});
