/**
 * The simulator's Workers: bindings other than secrets (a plain-text variable, KV, …) served by
 * GET …/settings as the SDK's ScriptAndVersionSettingGetResponse documents them, a secret named like
 * one of them refused as Cloudflare refuses it (400 10053), and the documented limits of a secret
 * (5 KB, 128 variables, a JavaScript variable name).
 */
import assert from 'node:assert/strict';
import { DEMO, start } from '../../simulator';
import type { SimulatorHandle } from '../../simulator';
import { call, code } from './helpers';

describe('simulator: Workers bindings and secret limits', () => {
  let sim: SimulatorHandle;
  const token = DEMO.admin.value;
  const worker = 'vars-worker';
  const secrets = `/accounts/${DEMO.accountId}/workers/scripts/${worker}/secrets`;
  const settings = `/accounts/${DEMO.accountId}/workers/scripts/${worker}/settings`;
  const put = (name: string, text = 'value-1234'): ReturnType<typeof call> => call(sim, 'PUT', secrets, { token, body: { name, text, type: 'secret_text' } });

  before(async () => {
    sim = await start({ scenario: 'demo' });
  });
  after(() => sim.close());
  beforeEach(() => {
    sim.control.reset();
    sim.control.seed({
      workers: [
        {
          accountId: DEMO.accountId,
          name: worker,
          secrets: [{ name: 'EXISTING', value: 'secret-value-1' }],
          bindings: [
            { name: 'CLOUDFLARE_API_TOKEN', type: 'plain_text', text: 'not-a-secret' },
            { name: 'CACHE', type: 'kv_namespace', namespace_id: '0f2ac74b498b48028cb68387c421e279' },
          ],
        },
      ],
    });
  });

  const state = (): { versions: number; secrets: { name: string; value: string }[] } => sim.control.state().workers.find((w) => w.name === worker)!;

  it('a secret named like a plain-text variable or a KV binding is refused with 400 10053 (nothing stored, no version); another name is set', async () => {
    for (const name of ['CLOUDFLARE_API_TOKEN', 'CACHE']) {
      const r = await put(name);
      assert.equal(r.status, 400, name);
      assert.equal(code(r), 10053, name);
      assert.match(r.body.errors[0]!.message, new RegExp(`^Binding name '${name}' already in use\\. Please use a different name and try again\\.$`));
    }
    assert.equal(state().versions, 0);
    assert.deepEqual(state().secrets.map((s) => s.name), ['EXISTING']);
    assert.equal((await put('EXISTING')).status, 200, 'an existing secret is replaced');
    assert.equal((await put('NEW_ONE')).status, 200);
    assert.equal(state().versions, 2);
  });

  it('GET …/settings serves every binding with the fields its type documents, a secret without its value, and documented settings only', async () => {
    const r = await call<Record<string, unknown>>(sim, 'GET', settings, { token });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.result.bindings, [
      { name: 'CLOUDFLARE_API_TOKEN', type: 'plain_text', text: 'not-a-secret' },
      { name: 'CACHE', type: 'kv_namespace', namespace_id: '0f2ac74b498b48028cb68387c421e279' },
      { name: 'EXISTING', type: 'secret_text' },
    ]);
    assert.ok(!r.text.includes('secret-value-1'), 'a secret value is never served');
    // SDK @faaaf89e script-and-version-settings.ts, ScriptAndVersionSettingGetResponse: every field optional.
    const documented = ['annotations', 'bindings', 'cache_options', 'compatibility_date', 'compatibility_flags', 'exports_reconciliation', 'limits', 'logpush', 'observability', 'placement', 'tags', 'tail_consumers', 'usage_model'];
    for (const k of Object.keys(r.body.result)) assert.ok(documented.includes(k), `undocumented field ${k}`);
  });

  it('GET …/settings: Workers Scripts Read suffices; without a Workers permission 403; an unknown Worker 404 10007', async () => {
    const reader = sim.control.addUserToken({ name: 'reader', permissions: ['Workers Scripts Read'] });
    assert.equal((await call(sim, 'GET', settings, { token: reader.value })).status, 200);
    const other = sim.control.addUserToken({ name: 'other', permissions: ['Pages Read'] });
    assert.equal((await call(sim, 'GET', settings, { token: other.value })).status, 403);
    const missing = await call(sim, 'GET', `/accounts/${DEMO.accountId}/workers/scripts/no-such-worker/settings`, { token });
    assert.equal(missing.status, 404);
    assert.equal(code(missing), 10007);
  });

  it('a secret value over 5 KB is refused; 5,120 bytes pass (the Workers limits page: "Environment variable size 5 KB")', async () => {
    assert.equal((await put('BIG', 'x'.repeat(5120))).status, 200);
    const over = await put('BIG', 'x'.repeat(5121));
    assert.equal(over.status, 400);
    assert.match(over.body.errors[0]!.message, /5 KB/);
    assert.equal((await put('HUGE', 'x'.repeat(100_000))).status, 400);
    assert.equal((await put('MULTI', 'é'.repeat(2561))).status, 400, 'counted in UTF-8 bytes');
    assert.equal(state().secrets.find((s) => s.name === 'BIG')!.value.length, 5120);
  });

  it('a name that is not a JavaScript variable name is refused; $ and _ are allowed', async () => {
    for (const name of ['a b', '1abc', 'bad-name', '', 'ümlaut']) assert.equal((await put(name)).status, 400, JSON.stringify(name));
    for (const name of ['_ok', '$ok', 'ok_1']) assert.equal((await put(name)).status, 200, name);
  });

  it('at most 128 variables per Worker (secrets and plain-text / JSON bindings); replacing one at the limit is fine', async () => {
    for (let i = 0; i < 126; i++) assert.equal((await put(`S${i}`)).status, 200);
    // 126 + EXISTING + the plain-text variable = 128 (the KV binding is not a variable).
    const full = await put('ONE_MORE');
    assert.equal(full.status, 400);
    assert.match(full.body.errors[0]!.message, /128/);
    assert.equal((await put('S5', 'again')).status, 200);
  });

  it('a scenario binding must be a modelled type with its documented field, a JavaScript name, and bound once', () => {
    const bad: [unknown, RegExp][] = [
      [{ name: 'X', type: 'hyperdrive', id: 'x' }, /type: must be one of/],
      [{ name: 'X', type: 'plain_text' }, /text: must be a string/],
      [{ name: 'a-b', type: 'plain_text', text: 't' }, /name: must be a JavaScript variable name/],
      [{ name: 'EXISTING', type: 'plain_text', text: 't' }, /bound twice/],
    ];
    for (const [b, re] of bad) {
      assert.throws(() => sim.control.seed({ workers: [{ accountId: DEMO.accountId, name: 'w2', secrets: [{ name: 'EXISTING', value: 'v' }], bindings: [b as never] }] }), re);
    }
  });
});
