import { strict as assert } from 'node:assert';
import { coalesceReports } from '../../../src/commands/progress';

type Sent = [string, number | undefined];

describe('batch progress reports (coalesceReports)', () => {
  it('sends the first report at once, and within the interval only the latest message with the increments summed', () => {
    const sent: Sent[] = [];
    let t = 1_000;
    const c = coalesceReports((m, i) => sent.push([m, i]), 200, () => t);
    c.report('1/4 done', 25);
    assert.deepEqual(sent, [['1/4 done', 25]]);
    t += 50;
    c.report('2/4 done', 25);
    t += 50;
    c.report('3/4 done', 25);
    assert.deepEqual(sent, [['1/4 done', 25]], 'held back within the interval');
    c.flush();
    assert.deepEqual(sent, [
      ['1/4 done', 25],
      ['3/4 done', 50],
    ]);
    c.flush();
    assert.equal(sent.length, 2, 'nothing pending: a flush sends nothing');
    t += 200;
    c.report('4/4 done', 25);
    assert.deepEqual(sent.at(-1), ['4/4 done', 25], 'the interval has passed: at once');
    const total = sent.reduce((s, [, i]) => s + (i ?? 0), 0);
    assert.equal(total, 100, 'no increment lost or counted twice');
  });

  it('an urgent report goes out at once and carries the pending increments; a report without increment keeps the pending ones', () => {
    const sent: Sent[] = [];
    let t = 0;
    const c = coalesceReports((m, i) => sent.push([m, i]), 200, () => t);
    c.urgent('0/3 done');
    t += 10;
    c.report('1/3 done', 10);
    t += 10;
    c.report('1/3 done · waiting', undefined);
    c.urgent('1/3 done · cancelling');
    assert.deepEqual(sent, [
      ['0/3 done', undefined],
      ['1/3 done · cancelling', 10],
    ]);
    c.flush();
    assert.equal(sent.length, 2);
  });

  it('sends what is pending when the interval ends, without a flush', async () => {
    const sent: Sent[] = [];
    const c = coalesceReports((m, i) => sent.push([m, i]), 30);
    c.report('a', 1);
    c.report('b', 1);
    c.report('c', 1);
    assert.deepEqual(sent, [['a', 1]]);
    await new Promise((r) => setTimeout(r, 80));
    assert.deepEqual(sent, [
      ['a', 1],
      ['c', 2],
    ]);
  });
});
