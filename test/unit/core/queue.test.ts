import * as assert from 'node:assert/strict';
import { mapLimit, Slots } from '../../../src/core/engine/queue';
import { CfRotateError } from '../../../src/core/errors';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('engine/queue Slots', () => {
  it('grants at most `limit` at once; a release hands the slot to the next waiter', async () => {
    const s = new Slots(2);
    const a = await s.acquire();
    const b = await s.acquire();
    let third = false;
    const c = s.acquire().then((r) => {
      third = true;
      return r;
    });
    await tick();
    assert.equal(third, false);
    assert.deepEqual(s.stats, { held: 2, waiting: 1 });
    a();
    const rc = await c;
    assert.equal(third, true);
    assert.deepEqual(s.stats, { held: 2, waiting: 0 });
    b();
    rc();
    assert.deepEqual(s.stats, { held: 0, waiting: 0 });
  });

  it("'first' waiters go before 'next' waiters, each kind in arrival order", async () => {
    const s = new Slots(1);
    const hold = await s.acquire();
    const order: string[] = [];
    const wait = (name: string, p: 'first' | 'next'): Promise<void> =>
      s.acquire(p).then((r) => {
        order.push(name);
        r();
      });
    const all = [wait('n1', 'next'), wait('f1', 'first'), wait('n2', 'next'), wait('f2', 'first')];
    hold();
    await Promise.all(all);
    assert.deepEqual(order, ['f1', 'f2', 'n1', 'n2']);
  });

  it('a release works once: releasing twice does not free a second slot', async () => {
    const s = new Slots(1);
    const r = await s.acquire();
    r();
    r();
    const again = await s.acquire();
    let other = false;
    void s.acquire().then(() => (other = true));
    await tick();
    assert.equal(other, false, 'the double release did not leave a spare slot');
    again();
    await tick();
    assert.equal(other, true);
  });

  it("a wait ends with a 'cancelled' error when its signal aborts, and leaves the queue", async () => {
    const s = new Slots(1);
    const hold = await s.acquire();
    const ac = new AbortController();
    const waiting = s.acquire('next', ac.signal).then(
      () => assert.fail('cancelled'),
      (e: unknown) => e,
    );
    const behind = s.acquire('next');
    ac.abort();
    const e = await waiting;
    assert.ok(e instanceof CfRotateError && e.kind === 'cancelled', String(e));
    assert.match(e.hint ?? '', /Nothing was sent/);
    assert.deepEqual(s.stats, { held: 1, waiting: 1 });
    hold();
    (await behind)();
    assert.deepEqual(s.stats, { held: 0, waiting: 0 });
    await assert.rejects(s.acquire('first', ac.signal), (x: unknown) => x instanceof CfRotateError && x.kind === 'cancelled', 'an aborted signal refuses at once');
    assert.deepEqual(s.stats, { held: 0, waiting: 0 });
  });

  it('refuses a limit that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => new Slots(bad), RangeError);
  });
});

describe('engine/queue mapLimit', () => {
  it('keeps input order and never runs more than the limit', async () => {
    let running = 0;
    let max = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n, i) => {
      max = Math.max(max, ++running);
      await new Promise((r) => setTimeout(r, n));
      running--;
      return `${i}:${n}`;
    });
    assert.deepEqual(out, ['0:5', '1:1', '2:4', '3:2', '4:3']);
    assert.equal(max, 2);
  });
});
