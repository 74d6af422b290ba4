/**
 * Faithfulness: for every operation in Cloudflare's OpenAPI documents kept in
 * ../shared/cloudflare-openapi (the standalone 2024 subset and the 2026 fragments), send a
 * request to the simulator and validate the response body against the documented response
 * schema, for the success status and for one error status. `$ref`s are inlined here; in the
 * fragments file, a ref that is missing there is borrowed from the 2024 subset when a
 * component of that name exists, else left open ({}), and the test title says so.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { DEMO, start } from '../../simulator';
import type { OperationName, SimulatorHandle } from '../../simulator';
import { findUp } from '../../harness/util';
import { call } from './helpers';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** ../shared/cloudflare-openapi beside the repository root, found by walking up from here. */
function findOpenApiDir(): string | undefined {
  const subset = findUp(path.join('shared', 'cloudflare-openapi', 'rotation-subset.json'));
  return subset && path.dirname(subset);
}

interface Inlined {
  schema: unknown;
  borrowed: Set<string>;
  open: Set<string>;
}

/** Inlines every `#/components/schemas/X` ref; unknown refs are borrowed from `fallback` or left open. */
function inline(node: unknown, own: Obj, fallback: Obj | undefined, acc: Inlined = { schema: undefined, borrowed: new Set(), open: new Set() }, stack: string[] = []): Inlined {
  const walk = (n: unknown, schemas: Obj, fb: Obj | undefined, st: string[]): unknown => {
    if (Array.isArray(n)) return n.map((x) => walk(x, schemas, fb, st));
    if (!isObj(n)) return n;
    const ref = n.$ref;
    if (typeof ref === 'string') {
      const name = ref.replace('#/components/schemas/', '');
      if (st.includes(name)) return {};
      if (name in schemas) return walk(schemas[name], schemas, fb, [...st, name]);
      if (fb !== undefined && name in fb) {
        acc.borrowed.add(name);
        return walk(fb[name], fb, undefined, [...st, name]);
      }
      acc.open.add(name);
      return {};
    }
    const out: Obj = {};
    for (const [k, v] of Object.entries(n)) out[k] = walk(v, schemas, fb, st);
    return out;
  };
  acc.schema = walk(node, own, fallback, stack);
  return acc;
}

const OPERATION_OF: Record<string, OperationName> = {
  'user-api-tokens-list-tokens': 'listUserTokens',
  'user-api-tokens-token-details': 'getUserToken',
  'user-api-tokens-roll-token': 'rollUserToken',
  'user-api-tokens-verify-token': 'verifyUserToken',
  'account-api-tokens-list-tokens': 'listAccountTokens',
  'account-api-tokens-token-details': 'getAccountToken',
  'account-api-tokens-roll-token': 'rollAccountToken',
  'account-api-tokens-verify-token': 'verifyAccountToken',
  'moq-relays-list': 'listMoqRelays',
  'moq-relays-get': 'getMoqRelay',
  'moq-relays-tokens-list': 'listMoqTokens',
  'moq-relays-tokens-create': 'createMoqToken',
  'moq-relays-tokens-delete': 'deleteMoqToken',
};
for (const prefix of ['access-service-tokens', 'zone-level-access-service-tokens']) {
  Object.assign(OPERATION_OF, {
    [`${prefix}-list-service-tokens`]: 'listServiceTokens',
    [`${prefix}-create-a-service-token`]: 'createServiceToken',
    [`${prefix}-delete-a-service-token`]: 'deleteServiceToken',
    [`${prefix}-get-a-service-token`]: 'getServiceToken',
    [`${prefix}-update-a-service-token`]: 'updateServiceToken',
    [`${prefix}-refresh-a-service-token`]: 'refreshServiceToken',
    [`${prefix}-rotate-a-service-token`]: 'rotateServiceToken',
  });
}

interface OpCase {
  file: string;
  operationId: string;
  method: string;
  template: string;
  security: string[];
  success: { status: number; schema: Inlined };
  error?: { key: string; schema: Inlined; note?: string };
}

const UNKNOWN_HEX = '0123456789abcdef0123456789abcdef';
const UNKNOWN_UUID = '01234567-89ab-4def-8123-456789abcdef';
const ONE_HOUR_LATER = (): string => new Date(Date.now() + 3600_000).toISOString();

function fill(template: string, missing = false): string {
  return template.replace(/\{(\w+)\}/g, (_m, name: string) => {
    switch (name) {
      case 'account_id':
        return DEMO.accountId;
      case 'zone_id':
        return DEMO.zoneId;
      case 'token_id':
        return missing ? UNKNOWN_HEX : template.startsWith('/user') ? DEMO.userToken.id : DEMO.accountToken.id;
      case 'service_token_id':
        return missing ? UNKNOWN_UUID : template.startsWith('/zones') ? DEMO.zoneServiceToken.id : DEMO.serviceToken.id;
      case 'relay_id':
        return missing ? UNKNOWN_HEX : DEMO.relay.id;
      case 'jti':
        return DEMO.relay.token.jti;
      default:
        throw new Error(`no value for path parameter ${name}`);
    }
  });
}

function successBody(c: OpCase): unknown {
  const op = OPERATION_OF[c.operationId];
  switch (op) {
    case 'rollUserToken':
    case 'rollAccountToken':
      return {};
    case 'createServiceToken':
      return { name: 'faithfulness', duration: '60m' };
    case 'updateServiceToken': // version bump: the response carries the undeclared client_secret
      return { client_secret_version: 2, previous_client_secret_expires_at: ONE_HOUR_LATER() };
    case 'rotateServiceToken':
      return { previous_client_secret_expires_at: ONE_HOUR_LATER() };
    case 'createMoqToken':
      return { operations: ['publish', 'subscribe'], label: 'faithfulness' };
    default:
      return undefined;
  }
}

/** Loads the operations of one OpenAPI file (sync: titles are built at definition time). */
function loadCases(dir: string, file: string, fallback: Obj | undefined): OpCase[] {
  const doc = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Obj;
  const schemas = ((doc.components as Obj | undefined)?.schemas ?? {}) as Obj;
  const cases: OpCase[] = [];
  for (const [template, item] of Object.entries(doc.paths as Obj)) {
    for (const [method, op] of Object.entries(item as Obj)) {
      if (!isObj(op) || typeof op.operationId !== 'string') continue;
      const responses = op.responses as Obj;
      const schemaOf = (key: string): unknown => ((((responses[key] as Obj).content as Obj)['application/json'] as Obj) ?? {}).schema;
      const successKey = ['200', '201'].find((k) => k in responses) as string;
      const security = ((op.security as Obj[] | undefined) ?? []).flatMap((s) => Object.keys(s));
      const c: OpCase = {
        file,
        operationId: op.operationId,
        method: method.toUpperCase(),
        template,
        security,
        success: { status: Number(successKey), schema: inline(schemaOf(successKey), schemas, fallback) },
      };
      const errKey = ['4XX', '404', '400'].find((k) => k in responses);
      if (errKey !== undefined) {
        let raw = schemaOf(errKey);
        let note: string | undefined;
        // 2024 iam: 4XX = allOf[<success schema>, failure]: contradictory for any error body
        // (success must be true AND false; result of the success type AND null). Validate the
        // failure member, and check that the full schema rejects only /success and /result.
        if (isObj(raw) && Array.isArray(raw.allOf) && raw.allOf.length === 2) {
          const refs = raw.allOf.map((m) => (isObj(m) ? String(m.$ref ?? '') : ''));
          if (refs[1]?.endsWith('common-failure') && !refs[0]?.endsWith('common-failure')) {
            note = `${errKey} declared as allOf[success, failure], contradictory: validated against the failure member`;
            raw = raw.allOf[1];
          }
        }
        c.error = { key: errKey, schema: inline(raw, schemas, fallback), ...(note !== undefined ? { note } : {}) };
      }
      cases.push(c);
    }
  }
  return cases;
}

const DIR = findOpenApiDir();
const subsetSchemas =
  DIR === undefined
    ? undefined
    : ((JSON.parse(fs.readFileSync(path.join(DIR, 'rotation-subset.json'), 'utf8')) as Obj).components as Obj).schemas as Obj;
const CASES: OpCase[] =
  DIR === undefined
    ? []
    : [...loadCases(DIR, 'rotation-subset.json', undefined), ...loadCases(DIR, 'rotation-ops-c92b9b0.fragments.json', subsetSchemas)];

function notes(c: OpCase): string {
  const parts: string[] = [];
  const borrowed = new Set([...c.success.schema.borrowed, ...(c.error?.schema.borrowed ?? [])]);
  const open = new Set([...c.success.schema.open, ...(c.error?.schema.open ?? [])]);
  if (borrowed.size > 0) parts.push(`borrowed from 2024: ${[...borrowed].join(', ')}`);
  if (open.size > 0) parts.push(`left open (not in the fragments): ${[...open].join(', ')}`);
  if (c.error?.note !== undefined) parts.push(c.error.note);
  if (c.error === undefined) parts.push('no 4XX/400/404 schema declared: error not validated');
  return parts.length > 0 ? ` [${parts.join('; ')}]` : ' [fully resolved]';
}

describe('simulator: faithfulness to Cloudflare OpenAPI response schemas', function () {
  let sim: SimulatorHandle;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const compiled = new Map<unknown, ValidateFunction>();
  const validate = (schema: unknown, body: unknown): ErrorObject[] => {
    let fn = compiled.get(schema);
    if (fn === undefined) {
      fn = ajv.compile(schema as object);
      compiled.set(schema, fn);
    }
    return fn(body) ? [] : [...(fn.errors ?? [])];
  };

  before(async () => {
    sim = await start({ scenario: 'demo' });
  });
  after(() => sim?.close());
  beforeEach(() => sim?.control.reset());

  const creds = (c: OpCase, value: string = DEMO.admin.value): Parameters<typeof call>[3] => {
    if (c.security.includes('api_token')) return { token: value };
    return { key: { email: DEMO.user.email, key: DEMO.user.globalApiKey } };
  };

  it('finds the OpenAPI documents in ../shared/cloudflare-openapi (without them this suite fails, it does not shrink)', () => {
    assert.ok(DIR !== undefined, `shared/cloudflare-openapi/rotation-subset.json not found in any parent of ${__dirname}`);
  });

  it(`covers every operation of both files (${CASES.length} operations: ${new Set(CASES.map((c) => c.operationId)).size} distinct ids)`, () => {
    const missing = CASES.filter((c) => OPERATION_OF[c.operationId] === undefined).map((c) => c.operationId);
    assert.deepEqual(missing, [], 'operations without a simulator mapping');
    assert.equal(CASES.filter((c) => c.file === 'rotation-subset.json').length, 16);
    assert.equal(CASES.filter((c) => c.file !== 'rotation-subset.json').length, 24);
  });

  for (const c of CASES) {
    const op = OPERATION_OF[c.operationId];
    const errDesc = c.error !== undefined ? ` + ${c.error.key}` : '';
    it(`${c.file === 'rotation-subset.json' ? '2024' : '2026'} ${c.operationId} (${c.method} ${c.template} → ${op}): ${c.success.status}${errDesc} valid${notes(c)}`, async () => {
      // success
      const body = successBody(c);
      const isVerify = op === 'verifyUserToken' || op === 'verifyAccountToken';
      const value = op === 'verifyAccountToken' ? DEMO.accountToken.value : DEMO.admin.value;
      const r = await call(sim, c.method, fill(c.template), { ...creds(c, value), ...(body !== undefined ? { body } : {}) });
      assert.equal(r.status, c.success.status, `${c.operationId}: ${r.text}`);
      assert.equal(sim.control.requests().at(-1)?.op, op);
      assert.deepEqual(validate(c.success.schema.schema, r.body), [], `${c.operationId} ${r.status}: ${r.text}`);
      if (Array.isArray(r.body.result)) assert.ok(r.body.result.length > 0, 'list is not empty, so items are validated');

      // one error response
      if (c.error === undefined) return;
      sim.control.reset();
      let e;
      if (isVerify) e = await call(sim, c.method, fill(c.template), { token: `cfut_${'x'.repeat(48)}` });
      else if (/\{(token_id|service_token_id|relay_id)\}/.test(c.template)) {
        e = await call(sim, c.method, fill(c.template, true), { ...creds(c), ...(body !== undefined ? { body } : {}) });
      } else if (c.method === 'POST') e = await call(sim, c.method, fill(c.template), { ...creds(c), body: {} });
      else e = await call(sim, c.method, fill(c.template), { token: DEMO.userToken.value }); // lacks the permission
      assert.ok(e.status >= 400 && e.status < 500, `${c.operationId} error case: ${e.status} ${e.text}`);
      if (c.error.key !== '4XX') assert.equal(String(e.status), c.error.key);
      assert.deepEqual(validate(c.error.schema.schema, e.body), [], `${c.operationId} ${e.status}: ${e.text}`);
      if (c.error.note !== undefined) {
        // the full declared allOf rejects the body only because of /success and /result
        const file = c.file === 'rotation-subset.json' ? subsetSchemas : undefined;
        const responses = ((JSON.parse(fs.readFileSync(path.join(DIR as string, c.file), 'utf8')) as Obj).paths as Obj)[c.template] as Obj;
        const declared = ((((responses[c.method.toLowerCase()] as Obj).responses as Obj)['4XX'] as Obj).content as Obj)['application/json'] as Obj;
        const full = inline(declared.schema, file ?? {}, undefined).schema;
        const errs = validate(full, e.body);
        assert.ok(errs.length > 0 && errs.every((x) => x.instancePath === '/success' || x.instancePath === '/result'), JSON.stringify(errs));
      }
    });
  }

  it('the schemas are not vacuous: deliberately wrong bodies are rejected', () => {
    const find = (file: string, id: string): OpCase => {
      const c = CASES.find((x) => x.file === file && x.operationId === id);
      assert.ok(c !== undefined, id);
      return c;
    };
    const ok = { success: true, errors: [], messages: [] };
    const roll = find('rotation-subset.json', 'user-api-tokens-roll-token').success.schema.schema;
    assert.deepEqual(validate(roll, { ...ok, result: 'x'.repeat(40) }), []);
    assert.ok(validate(roll, { ...ok, result: 'too-short' }).length > 0);
    const verify = find('rotation-subset.json', 'user-api-tokens-verify-token').success.schema.schema;
    assert.ok(validate(verify, { ...ok, result: { id: DEMO.admin.id, status: 'bogus' } }).length > 0);
    assert.ok(validate(verify, { ...ok, result: { status: 'active' } }).length > 0);
    const rotate = find('rotation-subset.json', 'access-service-tokens-rotate-a-service-token').success.schema.schema;
    assert.ok(validate(rotate, { ...ok, result: { client_secret: 42 } }).length > 0);
    assert.ok(validate(rotate, { ...ok, result: { created_at: 'yesterday' } }).length > 0);
    const failure = find('rotation-subset.json', 'access-service-tokens-get-a-service-token').error?.schema.schema;
    assert.ok(validate(failure, { success: false, errors: [{ code: 999, message: 'x' }], messages: [], result: null }).length > 0);
    assert.ok(validate(failure, { success: false, errors: [{ code: 7003, message: 'x' }], messages: [], result: {} }).length > 0);
    const create = find('rotation-ops-c92b9b0.fragments.json', 'moq-relays-tokens-create').success.schema.schema;
    const token = { jti: UNKNOWN_HEX, operations: ['publish'], created: new Date().toISOString(), expires: new Date().toISOString() };
    const env = (t: unknown, type = 'cloudflare_jwt'): unknown => ({ ...ok, result: { issuers: [{ type, issuer: 'cloudflare', cloudflare_tokens: [t] }] } });
    assert.deepEqual(validate(create, env(token)), []);
    assert.ok(validate(create, env({ ...token, jti: undefined })).length > 0);
    assert.ok(validate(create, env({ ...token, operations: ['admin'] })).length > 0);
    assert.ok(validate(create, env(token, 'other')).length > 0);
  });

  it('moqRotate (removed upstream; not in either OpenAPI file) matches the SDK page in seeds/003: {token, type}', async () => {
    const schema = {
      type: 'object',
      required: ['success', 'errors', 'messages', 'result'],
      properties: {
        success: { const: true },
        errors: { type: 'array' },
        messages: { type: 'array' },
        result: {
          type: 'object',
          required: ['token', 'type'],
          properties: { token: { type: 'string', minLength: 1 }, type: { enum: ['publish_subscribe', 'subscribe'] } },
        },
      },
    };
    const r = await call(sim, 'POST', `/accounts/${DEMO.accountId}/moq/relays/${DEMO.relay.id}/tokens/rotate`, {
      token: DEMO.admin.value,
      body: { type: 'publish_subscribe' },
    });
    assert.equal(r.status, 200);
    assert.deepEqual(validate(schema, r.body), []);
  });

  it('the 2026 contract: fields added since 2024 (client_secret_version, previous_client_secret_expires_at, enabled) do not break the 2024 schemas', async () => {
    const c = CASES.find((x) => x.file === 'rotation-subset.json' && x.operationId === 'access-service-tokens-get-a-service-token');
    assert.ok(c !== undefined);
    await call(sim, 'POST', `/accounts/${DEMO.accountId}/access/service_tokens/${DEMO.serviceToken.id}/rotate`, {
      token: DEMO.admin.value,
      body: { previous_client_secret_expires_at: ONE_HOUR_LATER() },
    });
    const r = await call<Obj>(sim, 'GET', fill(c.template), { token: DEMO.admin.value });
    for (const k of ['client_secret_version', 'previous_client_secret_expires_at', 'enabled', 'expires_at']) assert.ok(k in r.body.result, k);
    assert.deepEqual(validate(c.success.schema.schema, r.body), []);
  });
});
