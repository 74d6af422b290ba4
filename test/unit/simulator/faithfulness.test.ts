/**
 * Faithfulness to Cloudflare's OpenAPI documents kept in ../shared/cloudflare-openapi (the
 * standalone 2024 subset S and the 2026 fragments F, the current contract):
 *
 * 1. schemas: for every operation of both files, send a request to the simulator and validate
 *    the response body against the documented response schema, for the success status and for
 *    one error status;
 * 2. declared fields only: every field of a 2026 success `result` is declared by F (or by a
 *    listed newer source: the SDK, Cloudflare's Terraform provider), nothing the simulator invents;
 * 3. declared security: the simulator's table (test/simulator/security.ts) says what F (else S)
 *    declares, and the simulator refuses the undeclared scheme on every operation;
 * 4. status codes: success statuses as declared; MoQ errors only with their declared statuses
 *    and bodies; the routes F lists as absent upstream answer as unknown routes.
 *
 * `$ref`s are inlined here; in F, a ref that is missing there is borrowed from S when a
 * component of that name exists, else left open, and the test title says so.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { DEMO, SECURITY, routeTable, start } from '../../simulator';
import type { AuthScheme, OperationName, SimulatorHandle } from '../../simulator';
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
      return { 'x-unresolved': name }; // ignored by Ajv (strict: false), seen by the declared-fields walk
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

  // ------------------------------------------------------------ 2. declared fields only

  /** Fields a newer source than F declares, by operation: [field path, source]. */
  const NEWER_FIELDS: Partial<Record<OperationName, [string, string][]>> = {
    listServiceTokens: [['result[].enabled', 'SDK ServiceToken @7979faa6']],
    getServiceToken: [['result.enabled', 'SDK ServiceToken @7979faa6']],
    updateServiceToken: [
      ['result.enabled', 'SDK ServiceToken @7979faa6'],
      ['result.client_secret', 'undeclared, sent when client_secret_version increases: Terraform zero_trust_access_service_token resource.go (notes "Graceful rotation")'],
    ],
    deleteServiceToken: [['result.enabled', 'SDK ServiceToken @7979faa6']],
    refreshServiceToken: [['result.enabled', 'SDK ServiceToken @7979faa6']],
    createServiceToken: [['result.enabled', 'SDK ServiceTokenCreateResponse @7979faa6']],
    rotateServiceToken: [['result.enabled', 'SDK ServiceTokenRotateResponse @7979faa6']],
  };
  /** Where F leaves `result` open (unresolved component), the F component that describes one item. */
  const RESULT_FALLBACK: Partial<Record<OperationName, string>> = {
    listUserTokens: 'iam_token_base',
    getUserToken: 'iam_token_base',
    listAccountTokens: 'iam_token_base',
    getAccountToken: 'iam_token_base',
    listServiceTokens: 'access_service-tokens',
    getServiceToken: 'access_service-tokens',
    updateServiceToken: 'access_service-tokens',
    deleteServiceToken: 'access_service-tokens',
    refreshServiceToken: 'access_service-tokens',
  };
  const LISTS: readonly OperationName[] = ['listUserTokens', 'listAccountTokens', 'listServiceTokens', 'listMoqRelays'];

  interface Decl {
    props: Map<string, unknown[]>;
    additional: unknown[];
    items: unknown[];
    open: boolean;
  }
  const decl = (schema: unknown, acc: Decl = { props: new Map(), additional: [], items: [], open: false }): Decl => {
    if (!isObj(schema)) return acc;
    if ('x-unresolved' in schema) {
      acc.open = true;
      return acc;
    }
    if (isObj(schema.properties)) for (const [k, v] of Object.entries(schema.properties)) acc.props.set(k, [...(acc.props.get(k) ?? []), v]);
    if (schema.additionalProperties !== undefined && schema.additionalProperties !== false) acc.additional.push(schema.additionalProperties === true ? {} : schema.additionalProperties);
    if (schema.items !== undefined) acc.items.push(schema.items);
    for (const k of ['allOf', 'oneOf', 'anyOf']) if (Array.isArray(schema[k])) for (const m of schema[k] as unknown[]) decl(m, acc);
    return acc;
  };
  /** Walks a value along its schemas: undeclared field paths, and paths whose schema is open (unchecked). */
  const walk = (value: unknown, schemas: unknown[], at: string, out: { undeclared: string[]; unchecked: string[] }): void => {
    const d: Decl = { props: new Map(), additional: [], items: [], open: false };
    for (const sc of schemas) decl(sc, d);
    if (Array.isArray(value)) {
      if (d.items.length > 0) value.forEach((v) => walk(v, d.items, `${at}[]`, out));
      else if (d.open) out.unchecked.push(at);
      return;
    }
    if (!isObj(value)) return;
    if (d.open || (d.props.size === 0 && d.additional.length === 0)) {
      out.unchecked.push(at);
      return;
    }
    for (const [k, v] of Object.entries(value)) {
      const p = d.props.get(k);
      if (p !== undefined) walk(v, p, `${at}.${k}`, out);
      else if (d.additional.length > 0) walk(v, d.additional, `${at}.*`, out);
      else out.undeclared.push(`${at}.${k}`);
    }
  };

  const fragments = DIR === undefined ? undefined : (JSON.parse(fs.readFileSync(path.join(DIR, 'rotation-ops-c92b9b0.fragments.json'), 'utf8')) as Obj);
  const fragmentSchemas = ((fragments?.components as Obj | undefined)?.schemas ?? {}) as Obj;
  const FIELD_CASES: OpCase[] = [
    ...CASES.filter((c) => c.file !== 'rotation-subset.json'),
    // not in F (notObtained): the account-level PUT, from S, checked against F's ServiceToken
    ...CASES.filter((c) => c.file === 'rotation-subset.json' && c.operationId === 'access-service-tokens-update-a-service-token'),
  ];

  for (const c of FIELD_CASES) {
    const op = OPERATION_OF[c.operationId] as OperationName;
    it(`declared fields only: ${c.operationId} (${c.method} ${c.template})${RESULT_FALLBACK[op] ? ` [result open in F: checked against F ${RESULT_FALLBACK[op]}]` : ''}`, async () => {
      const body = successBody(c);
      const value = op === 'verifyAccountToken' ? DEMO.accountToken.value : DEMO.admin.value;
      const r = await call<unknown>(sim, c.method, fill(c.template), { ...creds(c, value), ...(body !== undefined ? { body } : {}) });
      assert.equal(r.status, c.success.status, r.text);
      const env = JSON.parse(r.text) as Obj;
      const top = Object.keys(env).sort();
      const wantTop = ['errors', 'messages', 'success', ...(op === 'deleteMoqToken' ? [] : ['result']), ...(LISTS.includes(op) ? ['result_info'] : [])].sort();
      assert.deepEqual(top, wantTop, 'envelope keys');
      if (op === 'listMoqRelays') assert.deepEqual(Object.keys(env.result_info as Obj).sort(), ['count', 'total']);
      if (env.result === undefined || typeof env.result !== 'object' || env.result === null) return;
      const envDecl = decl(c.success.schema.schema);
      let resultSchemas = envDecl.props.get('result') ?? [];
      const fallback = RESULT_FALLBACK[op];
      if (fallback !== undefined) {
        const item = inline({ $ref: `#/components/schemas/${fallback}` }, fragmentSchemas, subsetSchemas).schema;
        resultSchemas = [LISTS.includes(op) ? { type: 'array', items: item } : item];
      }
      const out = { undeclared: [] as string[], unchecked: [] as string[] };
      walk(env.result, resultSchemas, 'result', out);
      assert.ok(!out.unchecked.includes('result') && !out.unchecked.includes('result[]'), `${c.operationId}: the result is checked (${out.unchecked.join(', ')})`);
      const allowed = new Map(NEWER_FIELDS[op] ?? []);
      const invented = [...new Set(out.undeclared)].filter((f) => !allowed.has(f));
      assert.deepEqual(invented, [], `${c.operationId}: fields declared nowhere: ${JSON.stringify(env.result)}`);
      if (op === 'updateServiceToken') assert.ok(out.undeclared.includes('result.client_secret'), 'the version bump carries the secret');
      for (const f of ['result.client_secret_version', 'result.previous_client_secret_expires_at', 'result[].client_secret_version']) {
        assert.ok(!out.undeclared.includes(f), f);
      }
    });
  }

  it('the declared-fields walk is not vacuous: an invented field is flagged, a declared one is not', function () {
    assert.ok(DIR !== undefined, "shared/cloudflare-openapi not found: this check needs the documents (it never skips)");
    const svc = inline({ $ref: '#/components/schemas/access_service-tokens' }, fragmentSchemas, subsetSchemas).schema;
    const out = { undeclared: [] as string[], unchecked: [] as string[] };
    walk({ id: UNKNOWN_UUID, name: 'x', client_secret_version: 2, expires_at: 'x' }, [svc], 'result', out);
    assert.deepEqual(out.undeclared, ['result.client_secret_version']);
    const moq = CASES.find((x) => x.operationId === 'moq-relays-tokens-create')?.success.schema.schema;
    const out2 = { undeclared: [] as string[], unchecked: [] as string[] };
    walk({ issuers: [{ type: 'cloudflare_jwt', issuer: 'cloudflare', cloudflare_tokens: [{ jti: 'j', rotated: true }] }] }, decl(moq).props.get('result') ?? [], 'result', out2);
    assert.deepEqual(out2.undeclared, ['result.issuers[].cloudflare_tokens[].rotated']);
  });

  it('the fields that F does not declare are never served: client_secret_version / previous_client_secret_expires_at (A3), MoQ token secret outside create', async () => {
    await call(sim, 'POST', `/accounts/${DEMO.accountId}/access/service_tokens/${DEMO.serviceToken.id}/rotate`, {
      token: DEMO.admin.value,
      body: { previous_client_secret_expires_at: ONE_HOUR_LATER() },
    });
    const key = { email: DEMO.user.email, key: DEMO.user.globalApiKey };
    const texts = [
      (await call(sim, 'GET', `/accounts/${DEMO.accountId}/access/service_tokens/${DEMO.serviceToken.id}`, { token: DEMO.admin.value })).text,
      (await call(sim, 'GET', `/accounts/${DEMO.accountId}/access/service_tokens`, { token: DEMO.admin.value })).text,
      (await call(sim, 'PUT', `/zones/${DEMO.zoneId}/access/service_tokens/${DEMO.zoneServiceToken.id}`, { key, body: { client_secret_version: 2 } })).text,
      (await call(sim, 'PUT', `/zones/${DEMO.zoneId}/access/service_tokens/${DEMO.zoneServiceToken.id}`, { key, body: { client_secret_version: 2 } })).text,
    ];
    for (const t of texts) assert.ok(!/client_secret_version|previous_client_secret_expires_at/.test(t), t);
    assert.match(texts[2] as string, /"client_secret":"cfast_/, 'version bump: the secret');
    assert.doesNotMatch(texts[3] as string, /client_secret/, 'same version again: no secret');
    const list = await call(sim, 'GET', `/accounts/${DEMO.accountId}/moq/relays/${DEMO.relay.id}/tokens`, { token: DEMO.admin.value });
    assert.doesNotMatch(list.text, /"secret"/);
  });

  // ------------------------------------------------------------ 3. declared security

  /** A document's `security` as schemes: one requirement object with api_email + api_key (+ api_token) reads "key" (or "key or token"). */
  const schemesOf = (security: string[]): AuthScheme[] => {
    const out: AuthScheme[] = [];
    if (security.includes('api_token')) out.push('api_token');
    if (security.includes('api_email') && security.includes('api_key')) out.push('api_key');
    return out.sort();
  };
  const rawSecurity = (file: string, template: string, method: string): string[] => {
    const doc = JSON.parse(fs.readFileSync(path.join(DIR as string, file), 'utf8')) as Obj;
    const op = ((doc.paths as Obj)[template] as Obj)[method.toLowerCase()] as Obj;
    return ((op.security as Obj[] | undefined) ?? []).flatMap((x) => Object.keys(x));
  };

  it('the security table says what F declares (else S), for every operation of both files', function () {
    assert.ok(DIR !== undefined, "shared/cloudflare-openapi not found: this check needs the documents (it never skips)");
    for (const c of CASES) {
      const rule = SECURITY.find((r) => r.method === c.method && r.path === c.template);
      assert.ok(rule !== undefined, `${c.method} ${c.template}: no rule`);
      const inF = CASES.find((x) => x.file !== 'rotation-subset.json' && x.method === c.method && x.template === c.template);
      const declared = schemesOf(rawSecurity(c.file, c.template, c.method));
      if (c.file !== 'rotation-subset.json' || inF === undefined) {
        if (inF === undefined) {
          // S only (the account-level PUT): its F siblings decide; S's scheme must still be accepted
          assert.match(rule.source, /not in F/);
          for (const sc of declared) assert.ok(rule.schemes.includes(sc), `${c.method} ${c.template}: S declares ${sc}`);
        } else assert.deepEqual([...rule.schemes].sort(), declared, `${c.method} ${c.template}: F declares ${declared.join(' or ')}`);
      } else {
        for (const sc of declared) assert.ok(rule.schemes.includes(sc), `${c.method} ${c.template}: S (2024) declares ${sc}, F kept it`);
      }
    }
    // and every simulator route has exactly its rule
    for (const r of routeTable()) assert.ok(SECURITY.includes(r.security), `${r.method} ${r.path}`);
  });

  for (const c of CASES.filter((x) => x.file !== 'rotation-subset.json')) {
    const op = OPERATION_OF[c.operationId] as OperationName;
    it(`declared security enforced: ${c.operationId} (${c.method} ${c.template}) accepts ${schemesOf(c.security).join(' or ')} only`, async () => {
      const rule = SECURITY.find((r) => r.method === c.method && r.path === c.template);
      assert.ok(rule !== undefined);
      const isVerify = op === 'verifyUserToken' || op === 'verifyAccountToken';
      const token = op === 'verifyAccountToken' ? DEMO.accountToken.value : DEMO.admin.value;
      for (const scheme of ['api_token', 'api_key'] as const) {
        sim.control.reset();
        const auth = scheme === 'api_token' ? { token } : { key: { email: DEMO.user.email, key: DEMO.user.globalApiKey } };
        const body = successBody(c);
        const before = JSON.stringify({ ...sim.control.state(), now: 0 });
        const r = await call(sim, c.method, fill(c.template), { ...auth, ...(body !== undefined ? { body } : {}) });
        if (schemesOf(c.security).includes(scheme)) {
          assert.equal(r.status, c.success.status, `${scheme}: ${r.text}`);
        } else if (isVerify) {
          assert.deepEqual([r.status, r.body.errors[0]?.code], [400, 1001], `${scheme}: verify needs a bearer`);
        } else {
          assert.equal(r.status, 403, `${scheme}: ${r.text}`);
          assert.deepEqual(r.body.errors, [{ code: 10000, message: 'Forbidden', documentation_url: rule.docs }]);
          assert.equal(JSON.stringify({ ...sim.control.state(), now: 0 }), before, 'nothing changed');
        }
      }
    });
  }

  // ------------------------------------------------------------ 4. status codes

  it('MoQ errors use only their declared statuses, with moq_api-response-error bodies (400 21003, 404 21007, 409 21009, 500 21006)', async function () {
    assert.ok(DIR !== undefined, "shared/cloudflare-openapi not found: this check needs the documents (it never skips)");
    const relay = `/accounts/${DEMO.accountId}/moq/relays`;
    const tok = { token: DEMO.admin.value };
    const check = async (id: string, status: number, r: Awaited<ReturnType<typeof call>>, errCode: number): Promise<void> => {
      const c = CASES.find((x) => x.operationId === id);
      assert.ok(c !== undefined);
      const doc = (fragments?.paths as Obj)[c.template] as Obj;
      const responses = (doc[c.method.toLowerCase()] as Obj).responses as Obj;
      assert.ok(String(status) in responses, `${id}: ${status} is declared`);
      assert.equal(r.status, status, `${id}: ${r.text}`);
      assert.equal(r.body.errors[0]?.code, errCode);
      const schema = inline((((responses[String(status)] as Obj).content as Obj)['application/json'] as Obj).schema, fragmentSchemas, subsetSchemas).schema;
      assert.deepEqual(validate(schema, r.body), [], `${id} ${status}: ${r.text}`);
    };
    await check('moq-relays-get', 400, await call(sim, 'GET', `${relay}/xyz`, tok), 21003);
    await check('moq-relays-get', 404, await call(sim, 'GET', `${relay}/${UNKNOWN_HEX}`, tok), 21007);
    await check('moq-relays-tokens-list', 404, await call(sim, 'GET', `${relay}/${UNKNOWN_HEX}/tokens`, tok), 21007);
    await check('moq-relays-tokens-create', 400, await call(sim, 'POST', `${relay}/${DEMO.relay.id}/tokens`, { ...tok, body: { operations: ['x'] } }), 21010);
    await check('moq-relays-tokens-create', 400, await call(sim, 'POST', `${relay}/${DEMO.relay.id}/tokens`, { ...tok, raw: '{' }), 21004);
    for (let i = 0; i < 9; i++) await call(sim, 'POST', `${relay}/${DEMO.relay.id}/tokens`, { ...tok, body: { operations: ['subscribe'] } });
    await check('moq-relays-tokens-create', 409, await call(sim, 'POST', `${relay}/${DEMO.relay.id}/tokens`, { ...tok, body: { operations: ['subscribe'] } }), 21009);
    await check('moq-relays-tokens-delete', 400, await call(sim, 'DELETE', `${relay}/not-hex/tokens/${UNKNOWN_HEX}`, tok), 21003);
    await check('moq-relays-tokens-delete', 404, await call(sim, 'DELETE', `${relay}/${UNKNOWN_HEX}/tokens/${UNKNOWN_HEX}`, tok), 21007);
    sim.control.addFault({ op: 'listMoqRelays', type: 'status', status: 500, body: 'envelope' });
    await check('moq-relays-list', 500, await call(sim, 'GET', relay, tok), 21006);
  });

  it('the routes F lists as absent upstream answer as unknown routes (404 7003), before authentication', async function () {
    assert.ok(DIR !== undefined, "shared/cloudflare-openapi not found: this check needs the documents (it never skips)");
    const absent = (fragments?.absentUpstreamAtThisCommit ?? []) as string[];
    assert.ok(absent.length >= 3);
    for (const entry of absent) {
      const [method, template] = entry.split(' ') as [string, string];
      const p = fill(template);
      for (const o of [{}, { key: { email: DEMO.user.email, key: DEMO.user.globalApiKey } }, { token: DEMO.admin.value }]) {
        const r = await call(sim, method, p, o);
        assert.equal(r.status, 404, `${entry} ${r.text}`);
        assert.deepEqual(r.body.errors, [{ code: 7003, message: 'No route for the URI' }]);
      }
    }
    assert.equal(sim.control.state().serviceTokens.find((t) => t.id === DEMO.zoneServiceToken.id)?.clientSecretVersion, 1);
  });
});
