/**
 * Contract tests against Cloudflare's OpenAPI material (shared/cloudflare-openapi):
 *
 * 1. Requests: every request the client sends (recorded by the simulator) matches a
 *    documented operation: method + path template, path parameters valid, query
 *    parameters documented and valid, JSON body valid against the requestBody schema.
 *    The 2026 fragments are the current contract; where they lack an operation (account
 *    PUT) the 2024 subset is used, plus the zone PUT body schema as its 2026 stand-in.
 *    Each request's authentication scheme must be one the operation's `security` declares
 *    (A5; an object listing api_email + api_key + api_token is read as "email + key, or a
 *    token", the notes' surprise #3).
 * 2. Responses: every documented success response (example, else an instance synthesised
 *    from the schema) is fed to the client through a canned transport and must parse;
 *    documented failure bodies must map to the kind their status/codes imply.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CloudflareClient } from '../../../src/core/cloudflare/client';
import { RateLimiter } from '../../../src/core/cloudflare/limiter';
import { classifyHttp } from '../../../src/core/cloudflare/client';
import type { HttpRequest, HttpResponse, HttpTransport } from '../../../src/core/cloudflare/transport';
import { CfRotateError } from '../../../src/core/errors';
import { start, type RecordedRequest } from '../../simulator';
import { InstantClock, findSharedDir } from './helpers';
import {
  coerceQuery,
  failureResponses,
  loadDocs,
  matchTemplate,
  operations,
  parametersOf,
  requestBodySchema,
  successResponses,
  synthesize,
  validate,
  type ApiDoc,
  type DocOperation,
  type Json,
  type JsonObject,
} from './openapi';
import { DEMO, makeClient, type Sim } from './sim';

const { subset, fragments } = loadDocs();
const subsetOps = operations(subset, fragments);
const fragmentOps = operations(fragments, subset);

function findOps(ops: DocOperation[], method: string, apiPath: string): { op: DocOperation; vars: Record<string, string> }[] {
  const out: { op: DocOperation; vars: Record<string, string> }[] = [];
  for (const op of ops) {
    if (op.method !== method) continue;
    const vars = matchTemplate(op.template, apiPath);
    // Prefer literal segments over variables (…/tokens/verify vs …/tokens/{token_id}).
    if (vars) out.push({ op, vars });
  }
  out.sort((a, b) => Object.keys(a.vars).length - Object.keys(b.vars).length);
  return out.slice(0, 1);
}

/** Problems of one recorded request against one documented operation. */
function requestProblems(req: RecordedRequest, doc: DocOperation, vars: Record<string, string>, opts: { checkQuery: boolean; checkBody?: boolean }): string[] {
  const problems: string[] = [];
  const params = parametersOf(doc);
  for (const p of params.filter((x) => x.in === 'path')) {
    const v = vars[p.name];
    if (v === undefined) problems.push(`path parameter ${p.name} missing`);
    else for (const e of validate(p.schema, v)) problems.push(`path ${p.name}="${v}": ${e}`);
  }
  for (const name of Object.keys(vars)) {
    if (!params.some((p) => p.in === 'path' && p.name === name)) problems.push(`path variable ${name} not declared as a parameter`);
  }
  if (opts.checkQuery) {
    for (const [name, raw] of Object.entries(req.query)) {
      const p = params.find((x) => x.in === 'query' && x.name === name);
      if (!p) {
        problems.push(`query parameter ${name} is not documented`);
        continue;
      }
      for (const value of Array.isArray(raw) ? raw : [raw]) {
        for (const e of validate(p.schema, coerceQuery(p.schema, value))) problems.push(`query ${name}=${value}: ${e}`);
      }
    }
    for (const p of params.filter((x) => x.in === 'query' && x.required)) {
      if (!(p.name in req.query)) problems.push(`required query parameter ${p.name} missing`);
    }
  }
  if (opts.checkBody === false) return problems;
  const rb = requestBodySchema(doc);
  const schema = rb?.schema;
  if (schema !== undefined) {
    if (req.body === undefined) {
      if (rb?.required) problems.push('requestBody is required but none was sent');
    } else {
      for (const e of validate(schema, req.body)) problems.push(`body ${e}`);
    }
  } else if (req.body !== undefined) {
    problems.push('a body was sent but the operation documents none');
  }
  return problems;
}

/** Simulator operation name → how the client's requests for it are checked. */
interface RequestCase {
  op: RecordedRequest['op'];
  /** Also restrict to requests whose apiPath starts with this (account vs zone). */
  prefix?: string;
  /** Where the operation is documented (for the title). */
  docs: string;
}

const REQUEST_CASES: RequestCase[] = [
  { op: 'verifyUserToken', docs: 'GET /user/tokens/verify (2026, 2024)' },
  { op: 'verifyAccountToken', docs: 'GET /accounts/{account_id}/tokens/verify (2026)' },
  { op: 'rollUserToken', docs: 'PUT /user/tokens/{token_id}/value (2026, 2024)' },
  { op: 'rollAccountToken', docs: 'PUT /accounts/{account_id}/tokens/{token_id}/value (2026)' },
  { op: 'listUserTokens', docs: 'GET /user/tokens (2026, 2024)' },
  { op: 'getUserToken', docs: 'GET /user/tokens/{token_id} (2026, 2024)' },
  { op: 'listAccountTokens', docs: 'GET /accounts/{account_id}/tokens (2026)' },
  { op: 'getAccountToken', docs: 'GET /accounts/{account_id}/tokens/{token_id} (2026)' },
  { op: 'listServiceTokens', prefix: '/accounts/', docs: 'GET /accounts/{account_id}/access/service_tokens (2026, 2024)' },
  { op: 'listServiceTokens', prefix: '/zones/', docs: 'GET /zones/{zone_id}/access/service_tokens (2026, 2024)' },
  { op: 'getServiceToken', prefix: '/accounts/', docs: 'GET /accounts/{account_id}/access/service_tokens/{service_token_id} (2026, 2024)' },
  { op: 'getServiceToken', prefix: '/zones/', docs: 'GET /zones/{zone_id}/access/service_tokens/{service_token_id} (2026, 2024)' },
  { op: 'rotateServiceToken', docs: 'POST /accounts/{account_id}/access/service_tokens/{service_token_id}/rotate (2026, 2024)' },
  { op: 'updateServiceToken', prefix: '/accounts/', docs: 'PUT /accounts/{account_id}/access/service_tokens/{service_token_id} (2024; body also vs the 2026 zone PUT schema)' },
  { op: 'updateServiceToken', prefix: '/zones/', docs: 'PUT /zones/{zone_id}/access/service_tokens/{service_token_id} (2026, 2024)' },
  { op: 'listMoqRelays', docs: 'GET /accounts/{account_id}/moq/relays (2026)' },
  { op: 'getMoqRelay', docs: 'GET /accounts/{account_id}/moq/relays/{relay_id} (2026)' },
  { op: 'createMoqToken', docs: 'POST /accounts/{account_id}/moq/relays/{relay_id}/tokens (2026)' },
  { op: 'listMoqTokens', docs: 'GET /accounts/{account_id}/moq/relays/{relay_id}/tokens (2026)' },
  { op: 'deleteMoqToken', docs: 'DELETE /accounts/{account_id}/moq/relays/{relay_id}/tokens/{jti} (2026)' },
];

/** Discovery routes outside the rotation subset (not checked for shape; listed in the title). */
const UNDOCUMENTED_HERE = ['listAccounts', 'listZones', 'getUser'];

describe('cloudflare/contract: requests sent by the client vs the OpenAPI documents', function () {
  let sim: Sim;
  let recorded: RecordedRequest[] = [];

  before(async () => {
    sim = await start({ port: 0, latencyMs: 0, rateLimit: { limit: 100_000, windowMs: 1000 } });
    sim.control.addUserTokens(60);
    sim.control.addAccountTokens(DEMO.accountId, 55);
    sim.control.addServiceTokens(60, { accountId: DEMO.accountId });
    for (let i = 0; i < 52; i++) sim.control.addMoqRelay({ accountId: DEMO.accountId, name: `r${i}`, created: new Date(Date.UTC(2026, 1, 1, 0, i)).toISOString() });
    const { client } = makeClient(sim);
    const globalKey = makeClient(sim, { credential: { type: 'global-key', email: DEMO.user.email, key: DEMO.user.globalApiKey } }).client;
    const acct = { accountId: DEMO.accountId };
    const zone = { zoneId: DEMO.zoneId };
    const grace = new Date(Date.now() + 3_600_000);
    await client.verifyCredential();
    await globalKey.verifyCredential();
    const userValue = await client.rollUserToken(DEMO.userToken.id);
    await client.verifyToken(userValue);
    const acctValue = await client.rollAccountToken(DEMO.accountId, DEMO.accountToken.id);
    await client.verifyToken(acctValue, DEMO.accountId);
    await client.listUserTokens();
    await client.getUserToken(DEMO.userToken.id);
    await client.listAccountTokens(DEMO.accountId);
    await client.getAccountToken(DEMO.accountId, DEMO.accountToken.id);
    await client.listServiceTokens(acct);
    await client.listServiceTokens(zone);
    await client.getServiceToken(acct, DEMO.serviceToken.id);
    await client.getServiceToken(zone, DEMO.zoneServiceToken.id);
    await client.rotateServiceToken(DEMO.accountId, DEMO.serviceToken.id, grace);
    await client.rotateServiceToken(DEMO.accountId, DEMO.serviceToken.id, undefined);
    // GET does not report client_secret_version (A3); each rotate counted as a step: any higher version rotates.
    await client.bumpServiceTokenVersion(acct, DEMO.serviceToken.id, 10, grace);
    await client.bumpServiceTokenVersion(zone, DEMO.zoneServiceToken.id, 1, undefined);
    await client.setPreviousSecretExpiry(acct, DEMO.serviceToken.id, new Date());
    await client.setPreviousSecretExpiry(zone, DEMO.zoneServiceToken.id, new Date());
    await client.listMoqRelays(DEMO.accountId);
    await client.getMoqRelay(DEMO.accountId, DEMO.relay.id);
    const created = await client.createMoqToken(DEMO.accountId, DEMO.relay.id, ['subscribe'], { label: 'viewer' });
    await client.createMoqToken(DEMO.accountId, DEMO.relay.id, ['publish', 'subscribe'], { label: 'encoder' });
    await client.listMoqTokens(DEMO.accountId, DEMO.relay.id);
    await client.deleteMoqToken(DEMO.accountId, DEMO.relay.id, created.jti ?? '');
    await client.listAccounts();
    await client.listZones();
    await client.listZones(DEMO.accountId);
    recorded = sim.control.requests();
  });
  after(async () => {
    await sim.close();
  });

  for (const c of REQUEST_CASES) {
    it(`${c.op}${c.prefix ? ` (${c.prefix.replace(/\//g, '')})` : ''} → ${c.docs}`, () => {
      const reqs = recorded.filter((r) => r.op === c.op && (c.prefix === undefined || r.apiPath.startsWith(c.prefix)) && r.status !== 404);
      assert.ok(reqs.length > 0, `no ${c.op} request was recorded`);
      let checked = 0;
      for (const req of reqs) {
        const inFragments = findOps(fragmentOps, req.method, req.apiPath)[0];
        const inSubset = findOps(subsetOps, req.method, req.apiPath)[0];
        assert.ok(inFragments || inSubset, `${req.method} ${req.apiPath} matches no documented operation`);
        const problems: string[] = [];
        if (inFragments) problems.push(...requestProblems(req, inFragments.op, inFragments.vars, { checkQuery: true }).map((p) => `2026: ${p}`));
        if (inSubset) {
          // The 2026 fragments are the current contract: 2024 query parameters and bodies are
          // checked only where the fragments lack the operation (e.g. the 2024 rotate takes no body).
          problems.push(...requestProblems(req, inSubset.op, inSubset.vars, { checkQuery: !inFragments, checkBody: !inFragments }).map((p) => `2024: ${p}`));
        }
        if (!inFragments && inSubset && c.op === 'updateServiceToken') {
          const zonePut = fragmentOps.find((o) => o.method === 'PUT' && o.template === '/zones/{zone_id}/access/service_tokens/{service_token_id}');
          assert.ok(zonePut);
          const schema = requestBodySchema(zonePut)?.schema;
          assert.ok(schema);
          for (const e of validate(schema, req.body)) problems.push(`2026 (zone PUT schema as stand-in): body ${e}`);
        }
        assert.deepEqual(problems, [], `${req.method} ${req.apiPath}?${new URLSearchParams(req.query as Record<string, string>).toString()} ${JSON.stringify(req.body)}`);
        checked++;
      }
      assert.ok(checked > 0);
    });
  }

  it('every request authenticates with a scheme its operation declares in `security` (A5): a Bearer never reaches a zone-level service-token route', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const req of recorded) {
      const current = findOps(fragmentOps, req.method, req.apiPath)[0];
      const doc = current ?? findOps(subsetOps, req.method, req.apiPath)[0];
      if (!doc) continue; // discovery routes: not in the documents
      // The account-level PUT is missing from the 2026 fragments (notObtained): its 2026 siblings on the same path declare today's schemes.
      const sibling = current ? undefined : fragmentOps.find((o) => o.template === doc.op.template);
      const security = ((sibling ?? doc.op).op['security'] as Record<string, unknown>[] | undefined) ?? [];
      const declared = new Set(security.flatMap((o) => Object.keys(o)));
      const used = req.credential.startsWith('token:') ? 'api_token' : req.credential.startsWith('global-key:') ? 'api_key' : 'none';
      if (used === 'api_key' ? !(declared.has('api_key') && declared.has('api_email')) : !declared.has(used)) problems.push(`${req.method} ${doc.op.template}: sent ${used}, declared ${[...declared].join('+')}`);
      checked++;
    }
    assert.deepEqual(problems, []);
    assert.ok(checked > 20);
    assert.ok(recorded.some((r) => r.apiPath.startsWith('/zones/') && r.credential.startsWith('global-key:')), 'zone-level requests were made, with the Global API key');
  });

  it('never calls the MoQ rotate route (removed upstream: SDK ce553327, 2026-07-10; documented only by an old seed)', () => {
    assert.equal(recorded.filter((r) => r.apiPath.endsWith('/tokens/rotate') && r.apiPath.includes('/moq/')).length, 0);
  });

  it(`every recorded request is covered (documented, or discovery outside the subset: ${UNDOCUMENTED_HERE.join(', ')})`, () => {
    const covered = new Set(REQUEST_CASES.map((c) => c.op));
    const ops = new Set(recorded.map((r) => r.op));
    for (const op of ops) {
      assert.ok(op !== null, 'a request matched no simulator route');
      assert.ok(covered.has(op) || UNDOCUMENTED_HERE.includes(op), `operation ${op} is not covered by a contract check`);
    }
    for (const c of REQUEST_CASES) assert.ok(ops.has(c.op), `the client run did not exercise ${c.op}`);
  });

  it('known deviation: zone list page 2+ sends `page`, which the zone operation does not document', async () => {
    sim.control.addServiceTokens(30, { zoneId: DEMO.zoneId });
    sim.control.clearRequests();
    const { client } = makeClient(sim);
    await client.listServiceTokens({ zoneId: DEMO.zoneId });
    const reqs = sim.control.requests({ op: 'listServiceTokens' });
    assert.deepEqual(reqs.map((r) => r.query), [{}, { page: '2' }]);
    const doc = findOps(fragmentOps, 'GET', reqs[1]?.apiPath ?? '')[0];
    assert.ok(doc);
    assert.deepEqual(requestProblems(reqs[1] as RecordedRequest, doc.op, doc.vars, { checkQuery: true }), ['query parameter page is not documented']);
  });
});

// ---------------------------------------------------------------- responses

/** A transport answering from a function (no network): used to feed documented bodies to the client. */
class CannedTransport implements HttpTransport {
  readonly requests: HttpRequest[] = [];
  constructor(private readonly answer: (req: HttpRequest, n: number) => { status: number; body: unknown }) {}
  async send(req: HttpRequest): Promise<HttpResponse> {
    const { status, body } = this.answer(req, this.requests.length);
    this.requests.push(req);
    return { status, headers: new Headers({ 'content-type': 'application/json' }), text: typeof body === 'string' ? body : JSON.stringify(body) };
  }
}

function cannedClient(answer: (req: HttpRequest, n: number) => { status: number; body: unknown }): { client: CloudflareClient; transport: CannedTransport } {
  const transport = new CannedTransport(answer);
  const clock = new InstantClock();
  const client = new CloudflareClient({
    baseUrl: 'https://api.cloudflare.com/client/v4',
    // Both schemes, so that every documented operation can be called (zone-level Access: the key only).
    credential: { type: 'api-token', token: 'Sn3lZJTBX6kkg7OdcBUAxOO963GEIyGQqnFTOFYY', globalKey: { email: 'user@example.com', key: 'cfk_9SoTpdSCjfhMGO1TR0GmRMuDc7zwehNAQpQyq5iHd52a0a2b' } },
    transport,
    clock,
    limiter: new RateLimiter({ limit: 10_000, windowMs: 1000, clock }),
    maxRetries: 0,
  });
  return { client, transport };
}

const A = '023e105f4ecef8ad9ca31a8372d0c353';
const Z = 'd4dce69cf309e278d779a3c35861a52a';
const T = 'ed17574386854bf78a67040be0a770b0';
const S = 'f174e90a-fafe-4643-bbbc-4a0ed4fc8415';
const R = 'a1b2c3d4e5f67890a1b2c3d4e5f67890';
const VALUE = '8M7wS6hCpXVc-DoRnPPY_UCWPgy8aea4Wy6kCe5T';

type Call = (c: CloudflareClient) => Promise<unknown>;
/** Documented operation (METHOD template) → the client calls that use it. Absent = not used by cf-rotate. */
const RESPONSE_CALLS: Record<string, { name: string; call: Call; needsSecret?: boolean }[]> = {
  'GET /user/tokens/verify': [{ name: 'verifyToken', call: (c) => c.verifyToken(VALUE) }, { name: 'verifyCredential', call: (c) => c.verifyCredential() }],
  'GET /user/tokens': [{ name: 'listUserTokens', call: (c) => c.listUserTokens() }],
  'GET /user/tokens/{token_id}': [{ name: 'getUserToken', call: (c) => c.getUserToken(T) }],
  'PUT /user/tokens/{token_id}/value': [{ name: 'rollUserToken', call: (c) => c.rollUserToken(T) }],
  'GET /accounts/{account_id}/tokens/verify': [{ name: 'verifyToken(account)', call: (c) => c.verifyToken(VALUE, A) }],
  'GET /accounts/{account_id}/tokens': [{ name: 'listAccountTokens', call: (c) => c.listAccountTokens(A) }],
  'GET /accounts/{account_id}/tokens/{token_id}': [{ name: 'getAccountToken', call: (c) => c.getAccountToken(A, T) }],
  'PUT /accounts/{account_id}/tokens/{token_id}/value': [{ name: 'rollAccountToken', call: (c) => c.rollAccountToken(A, T) }],
  'GET /accounts/{account_id}/access/service_tokens': [{ name: 'listServiceTokens(account)', call: (c) => c.listServiceTokens({ accountId: A }) }],
  'GET /accounts/{account_id}/access/service_tokens/{service_token_id}': [{ name: 'getServiceToken(account)', call: (c) => c.getServiceToken({ accountId: A }, S) }],
  'PUT /accounts/{account_id}/access/service_tokens/{service_token_id}': [
    { name: 'setPreviousSecretExpiry(account)', call: (c) => c.setPreviousSecretExpiry({ accountId: A }, S, new Date()) },
    { name: 'bumpServiceTokenVersion(account)', call: (c) => c.bumpServiceTokenVersion({ accountId: A }, S, 1, undefined), needsSecret: true },
  ],
  'POST /accounts/{account_id}/access/service_tokens/{service_token_id}/rotate': [{ name: 'rotateServiceToken', call: (c) => c.rotateServiceToken(A, S, undefined), needsSecret: true }],
  'GET /zones/{zone_id}/access/service_tokens': [{ name: 'listServiceTokens(zone)', call: (c) => c.listServiceTokens({ zoneId: Z }) }],
  'GET /zones/{zone_id}/access/service_tokens/{service_token_id}': [{ name: 'getServiceToken(zone)', call: (c) => c.getServiceToken({ zoneId: Z }, S) }],
  'PUT /zones/{zone_id}/access/service_tokens/{service_token_id}': [
    { name: 'setPreviousSecretExpiry(zone)', call: (c) => c.setPreviousSecretExpiry({ zoneId: Z }, S, new Date()) },
    { name: 'bumpServiceTokenVersion(zone)', call: (c) => c.bumpServiceTokenVersion({ zoneId: Z }, S, 1, undefined), needsSecret: true },
  ],
  'GET /accounts/{account_id}/moq/relays': [{ name: 'listMoqRelays', call: (c) => c.listMoqRelays(A) }],
  'GET /accounts/{account_id}/moq/relays/{relay_id}': [{ name: 'getMoqRelay', call: (c) => c.getMoqRelay(A, R) }],
  'POST /accounts/{account_id}/moq/relays/{relay_id}/tokens': [{ name: 'createMoqToken', call: (c) => c.createMoqToken(A, R, ['publish', 'subscribe'], { label: 'primary-encoder' }) }],
  'GET /accounts/{account_id}/moq/relays/{relay_id}/tokens': [{ name: 'listMoqTokens', call: (c) => c.listMoqTokens(A, R) }],
  'DELETE /accounts/{account_id}/moq/relays/{relay_id}/tokens/{jti}': [{ name: 'deleteMoqToken', call: (c) => c.deleteMoqToken(A, R, 'f3a1b2c3d4e5f67890a1b2c3d4e5f678') }],
};

/** The allOf member that describes the failure envelope (success: false). */
function failureArm(schema: Json): Json {
  const parts = schema !== null && typeof schema === 'object' && !Array.isArray(schema) ? schema['allOf'] : undefined;
  if (!Array.isArray(parts)) return schema;
  return parts.find((p) => /"enum":\[false\]/.test(JSON.stringify(p))) ?? schema;
}

/** `result` is an untyped object (or a list of them) in this document: nothing to map from. */
function isBare(body: Json): boolean {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return false;
  const r = body['result'];
  const empty = (x: Json | undefined): boolean => x !== null && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length === 0;
  return empty(r) || (Array.isArray(r) && r.length > 0 && r.every(empty));
}

/**
 * The canned answer: the documented body for the operation's route; a removed-route 404 for
 * MoQ rotate (so the create fallback runs); an empty page for follow-up list pages.
 */
function answerWith(body: Json, status: number): (req: HttpRequest, n: number) => { status: number; body: unknown } {
  return (req, n) => {
    if (req.url.endsWith('/tokens/rotate')) return { status: 404, body: { success: false, errors: [{ code: 7003, message: 'No route for the URI' }], messages: [], result: null } };
    if (n > 0 && req.method === 'GET' && body !== null && typeof body === 'object' && !Array.isArray(body) && Array.isArray(body['result'])) {
      return { status, body: { ...body, result: [] } };
    }
    return { status, body };
  };
}

for (const [doc, ops] of [
  [fragments, fragmentOps],
  [subset, subsetOps],
] as [ApiDoc, DocOperation[]][]) {
  describe(`cloudflare/contract: documented responses (${doc.label}) accepted by the client's parsers`, () => {
    const unused = ops.filter((o) => !RESPONSE_CALLS[`${o.method} ${o.template}`]).map((o) => `${o.method} ${o.template}`);
    it(`every documented operation is mapped to a client call, except those cf-rotate does not use: ${unused.join('; ')}`, () => {
      // cf-rotate never creates, deletes or refreshes service tokens.
      for (const u of unused) assert.match(u, /^(POST \S+\/access\/service_tokens|DELETE \S+\/access\/service_tokens\/\{service_token_id\}|POST \S+\/refresh)$/, u);
    });
    for (const o of ops) {
      const key = `${o.method} ${o.template}`;
      const calls = RESPONSE_CALLS[key];
      if (!calls) continue;
      for (const r of successResponses(o)) {
        const body = (r.example ?? synthesize(r.schema)) as Json;
        for (const c of calls) {
          const bare = isBare(body);
          const expectation = c.needsSecret && !JSON.stringify(body).includes('client_secret') ? "'contract' (no client_secret declared)" : bare ? "'contract' (result untyped in this document)" : 'parsed';
          it(`${key} ${r.status} → client.${c.name}: ${expectation}`, async () => {
            assert.deepEqual(validate(r.schema, body), [], 'the synthesised instance satisfies the documented schema');
            const { client, transport } = cannedClient(answerWith(body, Number(r.status)));
            if (expectation === 'parsed') {
              const out = await c.call(client);
              if (Array.isArray(out)) assert.ok(out.length > 0, 'items mapped');
            } else {
              await assert.rejects(c.call(client), (e: unknown) => e instanceof CfRotateError && e.kind === 'contract');
            }
            const sent = transport.requests.find((q) => !q.url.endsWith('/tokens/rotate'));
            assert.ok(sent);
            assert.equal(sent.method, o.method);
            assert.ok(matchTemplate(o.template, new URL(sent.url).pathname.replace('/client/v4', '')), `client called ${sent.url}`);
          });
        }
      }
      for (const f of failureResponses(o)) {
        const status = f.status.toUpperCase() === '4XX' ? 400 : Number(f.status);
        // The 2024 token operations declare 4XX as allOf(success:true envelope, success:false
        // failure): unsatisfiable as written, so the instance is checked against the failure arm.
        const contradictory = /"enum":\[true\]/.test(JSON.stringify(f.schema)) && /"enum":\[false\]/.test(JSON.stringify(f.schema));
        const arm = contradictory ? failureArm(f.schema) : f.schema;
        const body = synthesize(arm);
        it(`${key} ${f.status} failure body → the kind its status and codes imply${contradictory ? ' (documented schema is unsatisfiable; failure arm used)' : ''}`, async () => {
          assert.deepEqual(validate(arm, body), [], 'the synthesised failure satisfies the documented schema');
          if (contradictory) assert.notDeepEqual(validate(f.schema, body), []);
          const codes = ((body as JsonObject)['errors'] as JsonObject[]).map((e) => Number(e['code']));
          const { client } = cannedClient(() => ({ status, body }));
          const call = (calls[0] as { call: Call }).call;
          await assert.rejects(call(client), (e: unknown) => {
            assert.ok(e instanceof CfRotateError);
            assert.notEqual(e.kind, 'contract');
            assert.deepEqual(e.codes, codes);
            // MoQ create: a 404 is read as "relay not found" unless it is 7003/7000 (route removed).
            assert.equal(e.kind, classifyHttp(status, codes));
            return true;
          });
        });
      }
    }
  });
}

describe('cloudflare/contract: the fragments\' unresolved $refs', () => {
  const raw = JSON.parse(fs.readFileSync(path.join(loadDocs().dir, 'rotation-ops-c92b9b0.fragments.json'), 'utf8')) as { unresolvedRefs: string[] };
  const names = raw.unresolvedRefs.map((r) => r.replace(/^#\/components\/(schemas|parameters)\//, ''));
  const borrowed = raw.unresolvedRefs.filter((r) => {
    const m = /^#\/components\/(schemas|parameters)\/(.+)$/.exec(r);
    return m !== null && (subset.components[m[1] as 'schemas' | 'parameters'] ?? {})[m[2] as string] !== undefined;
  });
  it(`all ${names.length} resolve: ${borrowed.length} borrowed from the 2024 subset by name, the rest from stand-ins written from the notes (${names.filter((n) => !borrowed.some((b) => b.endsWith(`/${n}`))).join(', ')})`, () => {
    const resolver = fragmentOps[0]?.resolver;
    assert.ok(resolver);
    for (const ref of raw.unresolvedRefs) assert.doesNotThrow(() => resolver.lookup(ref), ref);
  });
});

describe('cloudflare/contract: seed examples (shared/seeds) accepted by the client', () => {
  const seedDir = path.join(findSharedDir(), 'seeds');
  /** First complete JSON object in a seed page that has a `success` field. */
  const examples: { file: string; body: JsonObject }[] = [];
  for (const f of fs.readdirSync(seedDir).sort()) {
    const text = fs.readFileSync(path.join(seedDir, f), 'utf8');
    const start = text.indexOf('{\n');
    for (let i = start; i >= 0 && i < text.length; i = text.indexOf('{\n', i + 1)) {
      let depth = 0;
      for (let j = i; j < text.length; j++) {
        if (text[j] === '{') depth++;
        else if (text[j] === '}' && --depth === 0) {
          try {
            const body = JSON.parse(text.slice(i, j + 1)) as JsonObject;
            if ('success' in body) examples.push({ file: f, body });
          } catch {
            /* not JSON */
          }
          break;
        }
      }
      if (examples.some((e) => e.file === f)) break;
    }
  }

  it('found the response examples of the four seed pages', () => {
    assert.ok(examples.length >= 4, `found ${examples.length}`);
  });
  it('roll token (seed) → rollAccountToken returns the value; rotate service token (seed) → secret; update (seed) → ServiceToken (the MoQ rotate route of the fourth seed is gone upstream)', async () => {
    const byShape = (pred: (r: Json | undefined) => boolean): JsonObject => {
      const e = examples.find((x) => pred(x.body['result']));
      assert.ok(e, 'example present');
      return e.body;
    };
    const roll = byShape((r) => typeof r === 'string');
    assert.equal(await cannedClient(() => ({ status: 200, body: roll })).client.rollAccountToken(A, T), roll['result']);
    const rotate = byShape((r) => typeof r === 'object' && r !== null && !Array.isArray(r) && 'client_secret' in r);
    const sec = await cannedClient(() => ({ status: 200, body: rotate })).client.rotateServiceToken(A, S, undefined);
    assert.equal(sec.clientSecret, (rotate['result'] as JsonObject)['client_secret']);
    const update = byShape((r) => typeof r === 'object' && r !== null && !Array.isArray(r) && 'expires_at' in r && !('client_secret' in r));
    const info = await cannedClient(() => ({ status: 200, body: update })).client.setPreviousSecretExpiry({ accountId: A }, S, new Date());
    assert.equal(info.id, S);
    await assert.rejects(
      cannedClient(() => ({ status: 200, body: update })).client.bumpServiceTokenVersion({ accountId: A }, S, 1, undefined),
      (e: unknown) => e instanceof CfRotateError && e.kind === 'contract' && /either version 2 is not above the version the token already has \(nothing rotated\), or it rotated/.test(e.message),
    );
  });
});
