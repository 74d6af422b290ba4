/**
 * The benchmark's instruction counts (bench/lib/instructions.ts): the total and the functions' own
 * costs read from callgrind's output format, names compressed, call costs not counted twice.
 */
import { strict as assert } from 'node:assert';
import { callgrindTotal, countedOf, minus, selfCosts } from '../../../bench/lib/instructions';

/** A callgrind file as valgrind 3.19 writes it with --dump-instr=no (positions: line), trimmed. */
const SAMPLE = [
  '# callgrind format',
  'version: 1',
  'creator: callgrind-3.19.0',
  'positions: line',
  'events: Ir',
  'summary: 950',
  '',
  'ob=(1) /usr/bin/node',
  'fl=(1) ???',
  'fn=(1) v8::internal::compiler::GraphReducer::ReduceTop()',
  '0 300',
  'cfn=(2) v8::internal::Scavenger::ScavengeObject()',
  'calls=4 0',
  '0 250',
  '',
  'fn=(2)',
  '0 200',
  '+2 50',
  '',
  'fn=(3) Builtins_LoadIC',
  '* 120',
  '-1 30',
  'cfn=(1)',
  'calls=1 0',
  '0 999',
  '',
  'fn=(4) 0x000000000d0a6980',
  '0 250',
  '',
  'totals: 950',
].join('\n');

describe('bench: instruction counts from callgrind', () => {
  it('reads each function\'s own cost: compressed names resolved, a call\'s cost left to the callee', () => {
    const costs = selfCosts(SAMPLE);
    assert.deepEqual(Object.fromEntries(costs), {
      'v8::internal::compiler::GraphReducer::ReduceTop()': 300,
      'v8::internal::Scavenger::ScavengeObject()': 250,
      Builtins_LoadIC: 150,
      '0x000000000d0a6980': 250,
    });
    // The functions' own costs add up to the total: nothing counted twice, nothing lost.
    assert.equal([...costs.values()].reduce((a, b) => a + b, 0), callgrindTotal(SAMPLE));
  });

  it('splits a count into TurboFan, the garbage collector and the total, and takes differences field by field', () => {
    const c = countedOf(SAMPLE);
    assert.deepEqual(c, { total: 950, turbofan: 300, gc: 250 });
    assert.deepEqual(minus(c, { total: 400, turbofan: 100, gc: 50 }), { total: 550, turbofan: 200, gc: 200 });
  });

  it('takes the summary line when there is no totals line, and refuses a file with neither', () => {
    assert.equal(callgrindTotal('events: Ir\nsummary: 42\n'), 42);
    assert.throws(() => callgrindTotal('events: Ir\n'), /no totals line/);
  });
});
