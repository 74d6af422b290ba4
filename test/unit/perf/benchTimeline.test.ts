/**
 * The rotate benchmark's timeline: where a run's time goes beside its requests (the check's gap,
 * idle call slots, the tail), from the send and answer times its transport recorded.
 */
import { strict as assert } from 'node:assert';
import { timeline } from '../../../bench/benches/rotate';

describe('bench: rotate-all timeline', () => {
  it('splits a run into the gap after the check, idle call slots and the tail', () => {
    // The check answers at 80 ms; two slots; rolls sent at 90 and 90 (answered at 190), 190 and 200.
    const t = timeline({ ms: 320, sentAt: [0, 90, 90, 190, 200], tookMs: [80, 100, 100, 100, 100] }, 2);
    assert.deepEqual(t, { checkToFirstMs: 10, idleSlotsMs: 5, tailMs: 20 });
  });

  it('counts no idle time when every slot is busy until the last send', () => {
    const t = timeline({ ms: 300, sentAt: [0, 80, 80, 180, 180], tookMs: [80, 100, 100, 100, 100] }, 2);
    assert.deepEqual(t, { checkToFirstMs: 0, idleSlotsMs: 0, tailMs: 20 });
  });
});
