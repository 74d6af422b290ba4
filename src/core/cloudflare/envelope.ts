/**
 * zod schemas for Cloudflare's response envelope and the result of every operation
 * cf-rotate uses. Imported from `zod/mini` only (bundle size). Objects are non-strict:
 * unknown fields are stripped, never rejected, so additive API changes do not break us.
 *
 * Sources: shared/cloudflare-openapi (2024 subset + 2026 fragments) and
 * shared/notes/cloudflare-api.md.
 */
import * as l10n from '@vscode/l10n';
import * as z from 'zod/mini';

/** `{code, message, documentation_url?, source?}`. MoQ messages carry only `{code, message}`. */
export const MessageSchema = z.object({
  code: z.number(),
  message: z.optional(z.string()),
  documentation_url: z.optional(z.nullable(z.string())),
  source: z.optional(z.nullable(z.object({ pointer: z.optional(z.string()) }))),
});
export type CfMessage = z.infer<typeof MessageSchema>;

/** Optional, nullable timestamp/text: Cloudflare sends `null` for e.g. a never-used token. */
const optText = z.optional(z.nullable(z.string()));

/**
 * The counts of `result_info` (`total`: MoQ cursor pagination, the items matching the cursor
 * filters). The SDK types them as optional numbers; an odd one (null, a string) must not cost the
 * answer it comes with (a rotation's secret).
 */
const RESULT_INFO_FIELDS = ['page', 'per_page', 'count', 'total_count', 'total_pages', 'total'] as const;

/**
 * `result_info`, as the envelope carries it: every field optional and unchecked here; read with
 * `resultInfoOf`, which keeps the finite, non-negative numbers and drops anything else (so
 * pagination stops on a short page rather than trusting a count it cannot read).
 */
export const ResultInfoSchema = z.object(Object.fromEntries(RESULT_INFO_FIELDS.map((k) => [k, z.optional(z.unknown())])) as Record<(typeof RESULT_INFO_FIELDS)[number], z.ZodMiniOptional<z.ZodMiniUnknown>>);

export type ResultInfo = Partial<Record<(typeof RESULT_INFO_FIELDS)[number], number>>;

/** The counts of a `result_info` that are numbers pagination can use (finite, whole, not negative). */
export function resultInfoOf(raw: z.infer<typeof ResultInfoSchema> | null | undefined): ResultInfo | undefined {
  if (raw === null || raw === undefined) return undefined;
  const out: ResultInfo = {};
  for (const k of RESULT_INFO_FIELDS) {
    const v = raw[k];
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) out[k] = v;
  }
  return out;
}

/**
 * The envelope, with `result` left opaque: the operation's result schema is applied
 * separately so that a failure can say which part did not match.
 */
export const EnvelopeSchema = z.object({
  success: z.boolean(),
  // Lenient on purpose: a success body whose `errors`/`messages` are missing or odd still carries
  // a secret that Cloudflare will never show again. Only `success` and `result` decide. Error codes
  // are read separately (errorCodesOf).
  errors: z.optional(z.unknown()),
  messages: z.optional(z.unknown()),
  result: z.optional(z.unknown()),
  result_info: z.optional(z.nullable(ResultInfoSchema)),
});
export type Envelope = z.infer<typeof EnvelopeSchema>;

/** A failure body (any status >= 400). Lenient: only used to read the error codes. */
export const FailureSchema = z.object({
  success: z.optional(z.boolean()),
  errors: z.array(MessageSchema),
});

/**
 * RFC 9457 problem details: the body of Cloudflare-generated 5xx errors since 2026-04 (notes A8;
 * changelog "structured responses for 5xx errors": `type, title, status, detail, instance` plus
 * Cloudflare's `error_code, error_name, retryable, retry_after, ray_id, …`). Lenient: read only
 * to say what happened.
 */
export const ProblemSchema = z.object({
  type: z.optional(z.nullable(z.string())),
  title: z.optional(z.nullable(z.string())),
  status: z.optional(z.nullable(z.number())),
  detail: z.optional(z.nullable(z.string())),
  error_code: z.optional(z.nullable(z.union([z.number(), z.string()]))),
  retry_after: z.optional(z.nullable(z.number())),
  ray_id: z.optional(z.nullable(z.string())),
});

/** `retry_after` (seconds) of a problem-details body, in ms; undefined without one. */
export function problemRetryAfterMs(body: unknown): number | undefined {
  const p = ProblemSchema.safeParse(body);
  const s = p.success ? p.data.retry_after : undefined;
  return typeof s === 'number' && Number.isFinite(s) && s >= 0 ? Math.ceil(s * 1000) : undefined;
}

/** What a verify answers: the verdicts of a rotation read it, so a status they do not know is refused there. */
export const TokenStatusSchema = z.enum(['active', 'disabled', 'expired']);

/** Roll result: the new token value (iam_value: 40–80 characters). */
export const TokenValueSchema = z.string().check(z.minLength(40), z.maxLength(80));

/** GET …/tokens/verify (iam_token_verify_response_single_segment: id + status required). */
export const VerifyResultSchema = z.object({
  id: z.string().check(z.minLength(1)),
  status: TokenStatusSchema,
  expires_on: optText,
  not_before: optText,
});

/** iam_token_base (the SDK's Token: every field optional; cf-rotate needs the id). The secret is never part of it. */
export const TokenSchema = z.object({
  id: z.string().check(z.minLength(1)),
  name: z.optional(z.nullable(z.string())),
  // Lists and reads only show it: a status Cloudflare adds later must not make them fail.
  status: z.optional(z.nullable(z.string())),
  issued_on: optText,
  modified_on: optText,
  last_used_on: optText,
  not_before: optText,
  expires_on: optText,
});
export const TokenListSchema = z.array(TokenSchema);

/**
 * access_service-tokens: only the fields it declares. client_secret_version and
 * previous_client_secret_expires_at are request fields Cloudflare's reads do not declare (A3):
 * not read, so an answer that carries them in any shape is not refused for it.
 */
export const ServiceTokenSchema = z.object({
  id: z.string().check(z.minLength(1)),
  // Optional in the spec and the SDK; a rotation's answer carries it again.
  client_id: z.optional(z.string()),
  name: z.optional(z.nullable(z.string())),
  duration: optText,
  expires_at: optText,
  created_at: optText,
  updated_at: optText,
  last_seen_at: optText,
});
export const ServiceTokenListSchema = z.array(ServiceTokenSchema);

/**
 * access_create_response (rotate) — and the PUT response, whose undeclared
 * `client_secret` we read. `client_secret` is optional here so that its absence is
 * reported by the client with a specific message rather than a generic schema error.
 */
/**
 * A create / rotate / version answer: the new client secret, with its client id when Cloudflare
 * sends it (access_create_response and the SDK's ServiceTokenRotateResponse make every field
 * optional, the id too: the caller falls back to the id it asked about and the client id read before).
 */
export const ServiceTokenWithSecretSchema = z.extend(ServiceTokenSchema, {
  id: z.optional(z.string()),
  client_id: z.optional(z.string()),
  client_secret: z.optional(z.nullable(z.string())),
});

/** GET /user (global-key verification). */
export const UserSchema = z.object({
  id: z.string(),
  email: z.optional(z.string()),
});

export const AccountSchema = z.object({ id: z.string().check(z.minLength(1)), name: z.string() });
export const AccountListSchema = z.array(AccountSchema);

export const ZoneSchema = z.object({
  id: z.string().check(z.minLength(1)),
  name: z.string(),
  account: z.optional(z.nullable(z.object({ id: z.optional(z.string()), name: z.optional(z.string()) }))),
});
export const ZoneListSchema = z.array(ZoneSchema);

// MoQ --------------------------------------------------------------------------------

export const MoqRelayListItemSchema = z.object({
  uid: z.string().check(z.minLength(1)),
  name: z.string(),
  created: optText,
  modified: optText,
});
export const MoqRelayListSchema = z.array(MoqRelayListItemSchema);
/** moq_relay: the list item plus config/status (kept opaque). */
export const MoqRelaySchema = z.object({
  uid: z.string().check(z.minLength(1)),
  name: z.string(),
  created: optText,
  modified: optText,
  config: z.optional(z.unknown()),
  status: z.optional(z.nullable(z.string())),
});

/**
 * What cf-rotate asks for when it creates a token (the SDK's and the schema's enum today).
 * Answers are read with any operation name: the description says `operations` will grow
 * ("fine-grained MoQT message names later", notes A4), and a listing must not fail on a new one.
 */
export const MoqOperationSchema = z.enum(['publish', 'subscribe']);
export const MoqJwtTokenSchema = z.object({
  jti: z.string().check(z.minLength(1)),
  operations: z.array(z.string()),
  created: optText,
  expires: optText,
  label: optText,
  secret: z.optional(z.nullable(z.string())),
});
export type MoqJwtToken = z.infer<typeof MoqJwtTokenSchema>;

/**
 * moq_tokens_envelope: `issuers` is a discriminated union keyed on `type`. Only
 * `cloudflare_jwt` is understood; other arms are kept as opaque objects and ignored.
 */
export const MoqIssuerSchema = z.looseObject({ type: z.string() });
export const MoqJwtIssuerSchema = z.object({
  type: z.literal('cloudflare_jwt'),
  issuer: z.optional(z.string()),
  cloudflare_tokens: z.array(MoqJwtTokenSchema),
});
export const MoqTokensEnvelopeSchema = z.object({ issuers: z.array(MoqIssuerSchema) });

/** Every `cloudflare_jwt` token in a tokens envelope (unknown issuer types ignored). */
export function moqJwtTokens(envelope: z.infer<typeof MoqTokensEnvelopeSchema>): MoqJwtToken[] | z.core.$ZodError {
  const out: MoqJwtToken[] = [];
  for (const issuer of envelope.issuers) {
    if (issuer.type !== 'cloudflare_jwt') continue;
    const parsed = MoqJwtIssuerSchema.safeParse(issuer);
    if (!parsed.success) return parsed.error;
    out.push(...parsed.data.cloudflare_tokens);
  }
  return out;
}

/** Describe a zod error by paths and codes only: never by values (which may be secrets). */
export function describeZodError(error: z.core.$ZodError, prefix = 'result'): string {
  const parts = error.issues.slice(0, 5).map((i) => {
    const path = [prefix, ...i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))].join('.').replace(/\.\[/g, '[');
    return `${path}: ${i.code}`;
  });
  if (error.issues.length > 5) parts.push(l10n.t('…and {0} more', error.issues.length - 5));
  return parts.join('; ');
}

/**
 * Walks a parsed JSON body and registers every value that is (or may be) a secret,
 * before anything else looks at it: the roll result string, `client_secret`, MoQ
 * `token`/`secret`. Returns the values found (for tests).
 */
export function collectSecrets(body: unknown): string[] {
  const found: string[] = [];
  if (body === null || typeof body !== 'object') return found;
  const result = (body as { result?: unknown }).result;
  if (typeof result === 'string') found.push(result);
  const visit = (v: unknown, depth: number): void => {
    if (depth > 8 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) visit(x, depth + 1);
      return;
    }
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (typeof x === 'string' && SECRET_KEYS.has(k)) found.push(x);
      else visit(x, depth + 1);
    }
  };
  visit(result, 0);
  return found;
}
const SECRET_KEYS = new Set(['client_secret', 'token', 'secret', 'value', 'token_publish_subscribe', 'token_subscribe']);
