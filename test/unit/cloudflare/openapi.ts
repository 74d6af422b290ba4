/**
 * Reading Cloudflare's OpenAPI material in shared/cloudflare-openapi for contract tests:
 * the standalone 2024 subset and the partial 2026 fragments.
 *
 * `$ref`s are inlined. A ref the fragments leave unresolved is looked up, in order:
 *  1. in the same document;
 *  2. under the same name in the other document ("borrowed", e.g. access_uuid);
 *  3. in STAND_INS below: small schemas written from shared/notes/cloudflare-api.md for the
 *     components neither document holds (e.g. iam_account_identifier = exactly 32 chars).
 * Security requirements are deliberately not enforced (the account-level operations list
 * all three schemes in one object, which a literal reading would make impossible).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { findSharedDir } from './helpers';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export interface ApiDoc {
  label: string;
  paths: Record<string, Record<string, JsonObject>>;
  components: { schemas?: Record<string, Json>; parameters?: Record<string, Json> };
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'];

export function loadDocs(): { subset: ApiDoc; fragments: ApiDoc; dir: string } {
  const dir = path.join(findSharedDir(), 'cloudflare-openapi');
  const read = (f: string): JsonObject => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as JsonObject;
  const s = read('rotation-subset.json');
  const f = read('rotation-ops-c92b9b0.fragments.json');
  return {
    dir,
    subset: { label: '2024 subset', paths: s['paths'] as ApiDoc['paths'], components: s['components'] as ApiDoc['components'] },
    fragments: { label: '2026 fragments', paths: f['paths'] as ApiDoc['paths'], components: f['components'] as ApiDoc['components'] },
  };
}

const dt = { type: 'string', format: 'date-time' } as const;
/** Components neither document holds, written from shared/notes/cloudflare-api.md. */
export const STAND_INS: { schemas: Record<string, Json>; parameters: Record<string, Json> } = {
  schemas: {
    iam_account_identifier: { type: 'string', minLength: 32, maxLength: 32, example: '023e105f4ecef8ad9ca31a8372d0c353' },
    iam_token_identifier: { type: 'string', maxLength: 32, example: 'ed17574386854bf78a67040be0a770b0' },
    iam_token_status: { type: 'string', enum: ['active', 'disabled', 'expired'] },
    iam_issued_on: dt,
    iam_last_used_on: dt,
    iam_modified_on: dt,
    iam_name: { type: 'string', maxLength: 120, example: 'readonly token' },
    iam_condition: { type: 'object', properties: { request_ip: { type: 'object', properties: { in: { type: 'array', items: { type: 'string' } }, not_in: { type: 'array', items: { type: 'string' } } } } } },
    iam_token_policies: { type: 'array', items: { type: 'object' } },
    iam_collection_tokens_response: {
      allOf: [{ $ref: '#/components/schemas/iam_api-response-collection' }, { properties: { result: { type: 'array', items: { $ref: '#/components/schemas/iam_token_base' } } } }],
    },
    iam_single_token_response: {
      allOf: [{ $ref: '#/components/schemas/iam_api-response-single' }, { properties: { result: { $ref: '#/components/schemas/iam_token_base' } } }],
    },
    access_created_at: dt,
    access_updated_at: dt,
    'access_duration-2': { type: 'string', example: '60m' },
    'access_name-2': { type: 'string', example: 'CI/CD token' },
    'access_name-17': { type: 'string', example: 'CI/CD token' },
    'access_single_response-2': {
      allOf: [{ $ref: '#/components/schemas/access_api-response-single' }, { properties: { result: { $ref: '#/components/schemas/access_service-tokens' } } }],
    },
    'access_single_response-18': {
      allOf: [{ $ref: '#/components/schemas/access_api-response-single' }, { properties: { result: { $ref: '#/components/schemas/access_service-tokens' } } }],
    },
    'access_response_collection-3': {
      allOf: [{ $ref: '#/components/schemas/access_api-response-collection' }, { properties: { result: { type: 'array', items: { $ref: '#/components/schemas/access_service-tokens' } } } }],
    },
    'access_response_collection-19': {
      allOf: [{ $ref: '#/components/schemas/access_api-response-collection' }, { properties: { result: { type: 'array', items: { $ref: '#/components/schemas/access_service-tokens' } } } }],
    },
    moq_relay_config: { type: 'object' },
    moq_result_info: { type: 'object', properties: { count: { type: 'integer', example: 1 }, total: { type: 'integer', example: 1 } } },
  },
  parameters: {
    access_page: { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1 } },
    access_per_page: { name: 'per_page', in: 'query', schema: { type: 'integer', minimum: 1 } },
    iam_include_expired: { name: 'include_expired', in: 'query', schema: { type: 'boolean' } },
    moq_account_id: { name: 'account_id', in: 'path', required: true, schema: { type: 'string', maxLength: 32 } },
    moq_relay_id: { name: 'relay_id', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9a-f]{32}$' } },
    moq_jti: { name: 'jti', in: 'path', required: true, schema: { type: 'string', minLength: 1 } },
    moq_created_before: { name: 'created_before', in: 'query', schema: dt },
    moq_created_after: { name: 'created_after', in: 'query', schema: dt },
    moq_per_page: { name: 'per_page', in: 'query', schema: { type: 'integer', minimum: 1 } },
    moq_asc: { name: 'asc', in: 'query', schema: { type: 'boolean' } },
  },
};

export class Resolver {
  /** Names resolved by borrowing or stand-ins (reported by the tests). */
  readonly borrowed = new Set<string>();
  readonly stoodIn = new Set<string>();
  constructor(
    private readonly doc: ApiDoc,
    private readonly other: ApiDoc,
  ) {}

  lookup(ref: string): Json {
    const m = /^#\/components\/(schemas|parameters)\/(.+)$/.exec(ref);
    if (!m) throw new Error(`unsupported $ref ${ref}`);
    const kind = m[1] as 'schemas' | 'parameters';
    const name = m[2] as string;
    const own = this.doc.components[kind]?.[name];
    if (own !== undefined) return own;
    const borrowed = this.other.components[kind]?.[name];
    if (borrowed !== undefined) {
      this.borrowed.add(name);
      return borrowed;
    }
    const stand = STAND_INS[kind][name];
    if (stand !== undefined) {
      this.stoodIn.add(name);
      return stand;
    }
    throw new Error(`${this.doc.label}: cannot resolve ${ref}`);
  }

  /** A copy of `node` with every $ref inlined. */
  deref(node: Json, depth = 0): Json {
    if (depth > 40) throw new Error('$ref nesting too deep');
    if (Array.isArray(node)) return node.map((n) => this.deref(n, depth + 1));
    if (node === null || typeof node !== 'object') return node;
    const ref = node['$ref'];
    if (typeof ref === 'string') return this.deref(this.lookup(ref), depth + 1);
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(node)) out[k] = this.deref(v, depth + 1);
    return out;
  }
}

export interface DocOperation {
  doc: ApiDoc;
  template: string;
  method: string; // upper case
  op: JsonObject;
  resolver: Resolver;
}

export function operations(doc: ApiDoc, other: ApiDoc): DocOperation[] {
  const out: DocOperation[] = [];
  const resolver = new Resolver(doc, other);
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!HTTP_METHODS.includes(method)) continue;
      out.push({ doc, template, method: method.toUpperCase(), op, resolver });
    }
  }
  return out;
}

/** Path variables of `apiPath` if it matches `template` (`{name}` = one segment). */
export function matchTemplate(template: string, apiPath: string): Record<string, string> | undefined {
  const t = template.split('/').filter(Boolean);
  const p = apiPath.split('/').filter(Boolean);
  if (t.length !== p.length) return undefined;
  const vars: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const ts = t[i] as string;
    const ps = decodeURIComponent(p[i] as string);
    const m = /^\{(.+)\}$/.exec(ts);
    if (m) vars[m[1] as string] = ps;
    else if (ts !== ps) return undefined;
  }
  return vars;
}

export interface ParamDef {
  name: string;
  in: string;
  required: boolean;
  schema: Json;
}

export function parametersOf(o: DocOperation): ParamDef[] {
  const item = o.doc.paths[o.template] as Record<string, Json>;
  const raw = [...((item['parameters'] as Json[] | undefined) ?? []), ...((o.op['parameters'] as Json[] | undefined) ?? [])];
  return raw.map((p) => {
    const d = o.resolver.deref(p) as JsonObject;
    return { name: String(d['name']), in: String(d['in']), required: d['required'] === true, schema: d['schema'] ?? {} };
  });
}

export function requestBodySchema(o: DocOperation): { required: boolean; schema: Json } | undefined {
  const rb = o.op['requestBody'] as JsonObject | undefined;
  if (!rb) return undefined;
  const content = (o.resolver.deref(rb) as JsonObject)['content'] as JsonObject | undefined;
  const schema = (content?.['application/json'] as JsonObject | undefined)?.['schema'];
  return { required: rb['required'] === true, schema: schema ?? {} };
}

/** The documented success responses (2xx), dereferenced. */
export function successResponses(o: DocOperation): { status: string; schema: Json; example: Json | undefined }[] {
  const responses = (o.op['responses'] ?? {}) as Record<string, JsonObject>;
  const out: { status: string; schema: Json; example: Json | undefined }[] = [];
  for (const [status, r] of Object.entries(responses)) {
    if (!/^2/.test(status)) continue;
    const media = ((o.resolver.deref(r) as JsonObject)['content'] as JsonObject | undefined)?.['application/json'] as JsonObject | undefined;
    if (!media) continue;
    out.push({ status, schema: media['schema'] ?? {}, example: media['example'] });
  }
  return out;
}

/** Documented failure responses (4XX/4xx/5xx), dereferenced. */
export function failureResponses(o: DocOperation): { status: string; schema: Json }[] {
  const responses = (o.op['responses'] ?? {}) as Record<string, JsonObject>;
  const out: { status: string; schema: Json }[] = [];
  for (const [status, r] of Object.entries(responses)) {
    if (!/^[45]/.test(status)) continue;
    const media = ((o.resolver.deref(r) as JsonObject)['content'] as JsonObject | undefined)?.['application/json'] as JsonObject | undefined;
    if (media) out.push({ status, schema: media['schema'] ?? {} });
  }
  return out;
}

let ajvInstance: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();
export function validator(schema: Json): ValidateFunction {
  if (!ajvInstance) {
    ajvInstance = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(ajvInstance);
  }
  const key = JSON.stringify(schema);
  let v = compiled.get(key);
  if (!v) {
    v = ajvInstance.compile(schema as object);
    compiled.set(key, v);
  }
  return v;
}

export function validate(schema: Json, value: unknown): string[] {
  const v = validator(schema);
  if (v(value)) return [];
  return (v.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? e.keyword}`);
}

/** A query-string value converted to the type its schema declares. */
export function coerceQuery(schema: Json, raw: string): unknown {
  const type = schema !== null && typeof schema === 'object' && !Array.isArray(schema) ? schema['type'] : undefined;
  if (type === 'number' || type === 'integer') return raw.trim() === '' ? raw : Number(raw);
  if (type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  return raw;
}

/**
 * An instance of `schema` (already dereferenced): examples for scalars and arrays, every
 * declared property for objects (so optional fields are exercised), merged `allOf`s, the
 * first `oneOf`/`anyOf` arm, the first enum value.
 */
export function synthesize(schema: Json, depth = 0): Json {
  if (depth > 30 || schema === null || typeof schema !== 'object' || Array.isArray(schema)) return 'x';
  const s = schema;
  if (Array.isArray(s['allOf'])) {
    let merged: Json = null;
    for (const part of s['allOf']) merged = mergeInstances(merged, synthesize(part, depth + 1));
    const rest: JsonObject = { ...s };
    delete rest['allOf'];
    if (Object.keys(rest).some((k) => k === 'properties' || k === 'type' || k === 'items')) merged = mergeInstances(merged, synthesize(rest, depth + 1));
    return merged ?? {};
  }
  const arm = (s['oneOf'] ?? s['anyOf']) as Json[] | undefined;
  if (Array.isArray(arm) && arm.length > 0) return synthesize(arm[0] as Json, depth + 1);
  const isContainer = s['type'] === 'object' || s['properties'] !== undefined || s['type'] === 'array' || s['items'] !== undefined;
  if ('example' in s && (!isContainer || Array.isArray(s['example']))) return s['example'] as Json;
  if (Array.isArray(s['enum']) && s['enum'].length > 0) return s['enum'][0] as Json;
  if (s['type'] === 'array' || s['items'] !== undefined) return [synthesize(s['items'] ?? {}, depth + 1)];
  if (s['type'] === 'object' || s['properties'] !== undefined) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries((s['properties'] ?? {}) as JsonObject)) out[k] = synthesize(v, depth + 1);
    return out;
  }
  switch (s['type']) {
    case 'string': {
      if (s['format'] === 'date-time') return '2026-01-01T05:20:00.12345Z';
      const min = typeof s['minLength'] === 'number' ? s['minLength'] : 1;
      return 'a'.repeat(Math.max(1, min));
    }
    case 'number':
    case 'integer':
      return typeof s['minimum'] === 'number' ? s['minimum'] : 1;
    case 'boolean':
      return true;
    default:
      return {};
  }
}

function mergeInstances(a: Json, b: Json): Json {
  if (a === null) return b;
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const out: JsonObject = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in out ? mergeInstances(out[k] as Json, v) : v;
    return out;
  }
  return b;
}
