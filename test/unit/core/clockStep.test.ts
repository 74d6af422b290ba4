/**
 * A call's deadline (after which Cloudflare can no longer apply it) is journaled on the wall
 * clock. A wall clock stepped forward since (NTP after a suspend, a VM restore, a process whose
 * clock runs ahead) must not make resume call it "not rotated, safe to rotate again" while the
 * request may still land: on the boot that sent it, the time since boot decides too.
 */
import { strict as assert } from 'node:assert';
import { effectiveDeadline } from '../../../src/core/engine/engine';
import { MemoryJournalStore, type JournalEntry } from '../../../src/core/engine/journal';
import { systemClock, type Clock } from '../../../src/core/ports';
import { makeEngine, tokens, withWorld, write } from '../helpers/world';

describe('a wall clock stepped forward after the call', function () {
  this.timeout(30_000);
  const at = withWorld();

  it('effectiveDeadline: the later of the wall deadline and the one since boot, on the same boot only', () => {
    const entry = { startedAt: 1_000, sentAt: 1_000, deadline: 41_000, sentBoot: { boot: 'b', ms: 5_000 } };
    assert.equal(effectiveDeadline(entry, 100_000, { boot: 'b', ms: 6_000 }), 100_000 + 39_000, '1 s since the call on this boot: 39 s to go, whatever the wall clock says');
    assert.equal(effectiveDeadline(entry, 20_000, { boot: 'b', ms: 24_000 }), 41_000, 'the clocks agree');
    assert.equal(effectiveDeadline(entry, 100_000, { boot: 'other', ms: 6_000 }), 41_000, 'another boot: the wall clock');
    assert.equal(effectiveDeadline(entry, 100_000, undefined), 41_000);
    assert.equal(effectiveDeadline({ startedAt: 1_000, sentAt: 1_000, deadline: 41_000 }, 100_000, { boot: 'b', ms: 6_000 }), 41_000, 'an entry of an earlier version');
  });

  it('resume in a process whose clock is 60 s ahead, 0.1 s after the call (its deadline 0.5 s after it): "not known yet", never "not rotated"', async () => {
    const tok = at.world.sim.control.addAccountToken(at.world.accountId, { name: 'deploy' });
    await write(at.folder, '.env', `T=${tok.value}\n`);
    const [token] = tokens([{ name: 'deploy', kind: 'account-api-token', accountId: at.world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'T' }] }]);
    // The entry as the killed process left it: intent journaled, call sent (captured from a real rotation whose call hangs).
    let sent: string | undefined;
    const store = new MemoryJournalStore();
    const put = store.put.bind(store);
    store.put = async (id: string, text: string) => {
      if (sent === undefined && text.includes('"sentAt"')) sent = text;
      return put(id, text);
    };
    at.world.sim.control.addFault({ op: 'rollAccountToken', type: 'hang' });
    const boot = { boot: 'boot-1', ms: 1_000_000 };
    const first = makeEngine(at.world, { journal: store, timeoutMs: 300, clock: { ...systemClock, sinceBoot: () => boot } });
    await first.engine.rotate(at.folder, token!);
    assert.ok(sent, 'the intent with its send time was journaled');
    const entry = JSON.parse(sent) as JournalEntry;
    assert.deepEqual(entry.sentBoot, boot);

    const later = new MemoryJournalStore();
    await later.put(entry.id, sent);
    const skewed: Clock = { now: () => (entry.sentAt as number) + 60_000, sleep: async () => undefined, sinceBoot: () => ({ boot: 'boot-1', ms: boot.ms + 100 }) };
    const h = makeEngine(at.world, { journal: later, clock: skewed });
    const r = await h.engine.resume(entry.id, { waitForDeadlineMs: 0 });
    assert.equal(r.state, 'unknown', JSON.stringify(r));
    assert.match(r.error?.message ?? '', /It is not known yet whether Cloudflare rotated "deploy"/);
    assert.equal((await h.engine.interrupted()).length, 1, 'the entry stays until the deadline has passed on this boot');
    assert.equal(h.history.entries.length, 0, 'no verdict recorded');
    // discard refuses too while the call may still land.
    await assert.rejects(h.engine.discard(entry.id, 'test'), /cannot be discarded yet/);
  });
});
