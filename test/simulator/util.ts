/** Identifier and secret generators, the MoQ JWT codec, durations and time helpers. */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { MoqOperation, MoqTokenType } from './types';

export const HEX32 = /^[0-9a-f]{32}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** What Cloudflare accepts syntactically in `Authorization: Bearer …` (else 6003/6111). */
export const TOKEN_VALUE = /^[A-Za-z0-9_-]{40,80}$/;
/**
 * Global API key formats (cloudflare-docs `fundamentals/api/get-started/token-formats.mdx`
 * @06324d37): pre-2026 keys are 37–45 lowercase hex; new keys are `cfk_` + 40 characters +
 * a checksum whose length and algorithm the docs do not give (we accept 4–16 alphanumerics;
 * the simulator mints 8 hex). Anything else in X-Auth-Key is 400 6003 / 6103.
 */
export const GLOBAL_KEY_OLD = /^[0-9a-f]{37,45}$/;
export const GLOBAL_KEY_NEW = /^cfk_[A-Za-z0-9]{40}[A-Za-z0-9]{4,16}$/;
export const isGlobalKeyFormat = (v: string): boolean => GLOBAL_KEY_OLD.test(v) || GLOBAL_KEY_NEW.test(v);
export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}
export const hex32 = (): string => hex(16);
export const uuid = (): string => randomUUID();
/** A pre-2026 Global API key: 37 lowercase hex (what old accounts still have). */
export const legacyGlobalApiKey = (): string => hex(19).slice(0, 37);

export function alnum(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += ALNUM[b % 62];
    }
  }
  return out;
}

/** `<prefix>` + 40 alphanumerics + 8-char checksum (first 8 hex of sha256 of what precedes). */
export function checksummedSecret(prefix: string): string {
  const body = prefix + alnum(40);
  return body + createHash('sha256').update(body).digest('hex').slice(0, 8);
}
/** Today's formats (token-formats.mdx @06324d37; Access secrets: A2, since 2026-08-26). */
export const globalApiKey = (): string => checksummedSecret('cfk_');
export const userTokenValue = (): string => checksummedSecret('cfut_');
export const accountTokenValue = (): string => checksummedSecret('cfat_');
export const serviceTokenSecret = (): string => checksummedSecret('cfast_');
export const serviceClientId = (): string => `${hex32()}.access`;

/** Stable 32-hex id derived from a string (permission group ids, policy ids). */
export function stableId(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 32);
}

// ---------------------------------------------------------------- MoQ JWT

const JWT_KEY = 'cf-rotate-simulator/moq-signing-key/v1';
const b64url = (s: string | Buffer): string => Buffer.from(s).toString('base64url');

export interface MoqJwtClaims {
  iss: 'cloudflare';
  sub: string; // relay uid
  acc: string; // account id
  jti: string;
  operations: MoqOperation[];
  iat: number; // seconds
  exp: number; // seconds
}

/** A JWT-shaped token: base64url(header).base64url(payload).base64url(HMAC-SHA512) — 64-byte signature like Ed25519. */
export function signMoqJwt(claims: MoqJwtClaims): string {
  const head = b64url(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const sig = createHmac('sha512', JWT_KEY).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

/** Decodes the payload of a simulator-issued MoQ JWT; undefined when malformed or badly signed. */
export function decodeMoqJwt(token: string): MoqJwtClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [head, body, sig] = parts as [string, string, string];
  const expected = createHmac('sha512', JWT_KEY).update(`${head}.${body}`).digest('base64url');
  if (expected !== sig) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as MoqJwtClaims;
    return typeof claims.jti === 'string' ? claims : undefined;
  } catch {
    return undefined;
  }
}

/** publish+subscribe → 'publish_subscribe', subscribe only → 'subscribe' (a label for state snapshots). */
export function moqTypeOf(ops: readonly MoqOperation[]): MoqTokenType | undefined {
  const set = new Set(ops);
  if (set.size === 2) return 'publish_subscribe';
  if (set.size === 1 && set.has('subscribe')) return 'subscribe';
  return undefined;
}

// ---------------------------------------------------------------- time

export const YEAR_MS = 365 * 24 * 3600 * 1000;
export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOpt = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : iso(ms));

/** RFC 3339 date-time (with a zone) → ms, else undefined. */
export function parseDateTime(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(v)) return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

/** Go duration ("8760h", "2h45m", "300ms") → ms; "forever" → Infinity; invalid → undefined. */
export function parseDuration(d: string): number | undefined {
  if (d === 'forever') return Infinity;
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(d)) return undefined;
  let total = 0;
  for (const m of d.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * (UNIT_MS[m[2] as string] ?? 0);
  return total;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
