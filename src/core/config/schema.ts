/**
 * The `.vscode/cf-rotate.json` schema. No secrets live in this file, so a team can commit it.
 * One zod (mini) schema serves validation here and, through `z.toJSONSchema`, the editor's
 * JSON validation (dist/cf-rotate.schema.json).
 */
import * as z from 'zod/mini';
import { hasUnsafeCharacters } from '../text';
import { documentJsonSchema, invalidMessage } from './docs';

export const TOKEN_KINDS = ['account-api-token', 'user-api-token', 'access-service-token', 'moq-relay-token'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

const HEX32 = /^[0-9a-fA-F]{32}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Go-style durations as Cloudflare uses them, plus days: 30m, 1h, 24h, 1h30m, 7d. */
export const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Pattern messages come from CONFIG_DOCS (docs.ts): the editor's JSON Schema shows the same words. */
const hex32 = (key: 'accountId' | 'zoneId' | 'tokenId' | 'relayId') => z.string().check(z.regex(HEX32, invalidMessage(key)));

const NUL = /\0/;
const ABSOLUTE = /^(?:[/\\]|[A-Za-z]:)/;
/** A `..` segment between separators (either slash) or the ends: what splitting on separators and looking for `..` finds, without the array. */
const DOT_DOT_SEGMENT = /(?:^|[/\\])\.\.(?:[/\\]|$)/;
/** A backslash, a doubled slash or a leading `./`: the only things normaliseRelative changes. */
const NEEDS_NORMALISING = /\\|\/\/|^\.\//;

/** Characters that form links in messages (`[text](command:…)`, `<scheme:…>`, code spans). */
const LINK_SYNTAX = /[[\]()<>`]/;
/** A `.git` segment (git's own data) anywhere in the path. */
const GIT_SEGMENT = /(?:^|[/\\])\.git(?:[/\\]|$)/i;
export const CONFIG_FILE = '.vscode/cf-rotate.json';

const relativeFile = z.string().check(
  z.minLength(1, 'must not be empty'),
  z.maxLength(1024, 'is too long'),
  z.refine((p) => !NUL.test(p), 'must not contain NUL characters'),
  z.refine((p) => !hasUnsafeCharacters(p), 'must not contain control, direction-override or invisible characters (line breaks, escapes, bidi controls)'),
  z.refine((p) => !LINK_SYNTAX.test(p), 'must not contain [ ] ( ) < > or ` (they could form links in messages)'),
  z.refine((p) => !ABSOLUTE.test(p), 'must be relative to the workspace folder, not absolute'),
  z.refine((p) => !DOT_DOT_SEGMENT.test(p), "must stay inside the workspace folder (no '..' segments)"),
  z.refine((p) => !GIT_SEGMENT.test(p), 'must not be inside .git (git\'s own data)'),
  z.refine((p) => normaliseRelative(p).toLowerCase() !== CONFIG_FILE, 'is the cf-rotate configuration itself'),
);

/**
 * Env-style file names: `.env`, `.env.*`, `*.env`, `.dev.vars`, `.dev.vars.*` (wrangler), `.envrc`
 * (direnv). Anything else needs `"allowAnyFile": true` on the target: a cloned repository
 * must not be able to point a secret at `public/index.html` unnoticed.
 */
export function isEnvLikeFile(rel: string): boolean {
  const base = rel.split(/[/\\]/).pop() ?? '';
  return /^\.env(\..+)?$/.test(base) || /^.+\.env$/.test(base) || /^\.dev\.vars(\..+)?$/.test(base) || base === '.envrc';
}

const target = z.strictObject({
  file: relativeFile,
  key: z.string().check(z.regex(ENV_KEY, invalidMessage('key'))),
  field: z.optional(z.enum(['token', 'clientId', 'clientSecret'])),
  /** Write a file whose name is not env-style (.env, .env.*, *.env, .dev.vars, .dev.vars.*, .envrc). */
  allowAnyFile: z.optional(z.boolean()),
  /** Write a file that git tracks or does not ignore (the secret could be committed). */
  allowTracked: z.optional(z.boolean()),
});
export type TargetConfig = z.infer<typeof target>;

const common = {
  name: z.string().check(z.regex(NAME, invalidMessage('name'))),
  description: z.optional(z.string().check(z.maxLength(500))),
  profile: z._default(z.string().check(z.regex(NAME, invalidMessage('profile'))), 'default'),
  rotateEveryDays: z.optional(z.int().check(z.minimum(1, 'must be at least 1'), z.maximum(3650, 'must be at most 3650'))),
  targets: z.array(target).check(z.minLength(1, 'needs at least one target file')),
};

const accountApiToken = z.strictObject({
  kind: z.literal('account-api-token'),
  accountId: hex32('accountId'),
  tokenId: hex32('tokenId'),
  ...common,
});
const userApiToken = z.strictObject({
  kind: z.literal('user-api-token'),
  tokenId: hex32('tokenId'),
  ...common,
});
const accessServiceToken = z.strictObject({
  kind: z.literal('access-service-token'),
  accountId: z.optional(hex32('accountId')),
  zoneId: z.optional(hex32('zoneId')),
  serviceTokenId: z.string().check(z.regex(UUID, invalidMessage('serviceTokenId'))),
  /** How long the previous secret stays valid, e.g. "1h", "24h", "7d"; "0s" revokes it at once. Default: the cfRotate.defaultGracePeriod setting. */
  gracePeriod: z.optional(z.string().check(z.regex(DURATION, invalidMessage('gracePeriod')))),
  /** `rotate` (POST …/rotate, account tokens only) or `version` (PUT client_secret_version + 1; the only way for zone tokens). */
  method: z.optional(z.enum(['rotate', 'version'])),
  /**
   * `method: "version"`: the client_secret_version the token has now, for its first rotation by
   * cf-rotate (Cloudflare does not report it). cf-rotate remembers the versions it sets.
   */
  clientSecretVersion: z.optional(z.int().check(z.minimum(1, 'must be at least 1'), z.maximum(1_000_000, 'must be at most 1000000'))),
  ...common,
});
const moqRelayToken = z.strictObject({
  kind: z.literal('moq-relay-token'),
  accountId: hex32('accountId'),
  relayId: hex32('relayId'),
  tokenType: z._default(z.enum(['publish_subscribe', 'subscribe']), 'publish_subscribe'),
  ...common,
});

export const tokenSchema = z.discriminatedUnion('kind', [accountApiToken, userApiToken, accessServiceToken, moqRelayToken]);

export const configSchema = z
  .strictObject({
    $schema: z.optional(z.string()),
    tokens: z.array(tokenSchema).check(z.maxLength(5000, 'must list at most 5000 tokens')),
  })
  .check(
    z.superRefine((cfg, ctx) => {
      const names = new Map<string, number>();
      const writers = new Map<string, number>();
      const credentials = new Map<string, number>();
      for (let i = 0; i < cfg.tokens.length; i++) {
        const t = cfg.tokens[i] as (typeof cfg.tokens)[number];
        const prev = names.get(t.name);
        if (prev !== undefined) {
          ctx.issues.push({ code: 'custom', input: t.name, path: ['tokens', i, 'name'], message: `duplicates the name of tokens[${prev}]` });
        } else names.set(t.name, i);
        // Two entries that rotate one Cloudflare credential would roll it twice: the second roll kills the value the first wrote.
        const same = credentialKey(t);
        const first = credentials.get(same);
        if (first !== undefined) {
          const other = cfg.tokens[first] as (typeof cfg.tokens)[number];
          ctx.issues.push({
            code: 'custom',
            input: t.name,
            path: ['tokens', i],
            message: `rotates the same Cloudflare credential as tokens[${first}]: it is already configured as '${other.name}' (add this entry's targets to '${other.name}' instead)`,
          });
        } else credentials.set(same, i);
        const service = t.kind === 'access-service-token';
        if (t.kind === 'access-service-token') {
          if ((t.accountId === undefined) === (t.zoneId === undefined)) {
            ctx.issues.push({ code: 'custom', input: t, path: ['tokens', i], message: 'needs exactly one of accountId or zoneId' });
          }
          if (t.zoneId !== undefined && t.method === 'rotate') {
            ctx.issues.push({ code: 'custom', input: t.method, path: ['tokens', i, 'method'], message: 'zone-level service tokens have no rotate endpoint: use "version"' });
          }
          if (t.clientSecretVersion !== undefined && (t.method ?? (t.accountId ? 'rotate' : 'version')) !== 'version') {
            ctx.issues.push({ code: 'custom', input: t.clientSecretVersion, path: ['tokens', i, 'clientSecretVersion'], message: 'is used only with "method": "version"' });
          }
        }
        for (let j = 0; j < t.targets.length; j++) {
          const tg = t.targets[j] as TargetConfig;
          if (tg.allowAnyFile !== true && !isEnvLikeFile(tg.file)) {
            ctx.issues.push({
              code: 'custom',
              input: tg.file,
              path: ['tokens', i, 'targets', j, 'file'],
              message: 'is not an env-style file (.env, .env.*, *.env, .dev.vars, .dev.vars.*, .envrc): add "allowAnyFile": true to this target if a secret really belongs there',
            });
          }
          if (tg.field !== undefined && (service ? tg.field !== 'clientId' && tg.field !== 'clientSecret' : tg.field !== 'token')) {
            ctx.issues.push({ code: 'custom', input: tg.field, path: ['tokens', i, 'targets', j, 'field'], message: `must be one of ${service ? 'clientId, clientSecret' : 'token'} for ${t.kind}` });
          }
          const where = `${normaliseRelative(tg.file)}\u0000${tg.key}`;
          const other = writers.get(where);
          if (other !== undefined && other !== i) {
            ctx.issues.push({ code: 'custom', input: tg.key, path: ['tokens', i, 'targets', j, 'key'], message: `is also written by tokens[${other}]: two tokens cannot share one variable` });
          } else writers.set(where, i);
        }
      }
    }),
  );

export type CfRotateConfig = z.infer<typeof configSchema>;
export type TokenConfig = z.infer<typeof tokenSchema>;
export type AccountApiTokenConfig = z.infer<typeof accountApiToken>;
export type UserApiTokenConfig = z.infer<typeof userApiToken>;
export type AccessServiceTokenConfig = z.infer<typeof accessServiceToken>;
export type MoqRelayTokenConfig = z.infer<typeof moqRelayToken>;
export type SecretField = 'token' | 'clientId' | 'clientSecret';

/**
 * The rules of a target path outside config validation (preflight, resume): the same checks as
 * `validate`, so a target that reaches the engine another way obeys them too. Returns the problem.
 */
export function targetPathProblem(t: { file: string; allowAnyFile?: boolean | undefined }): string | undefined {
  const r = relativeFile.safeParse(t.file);
  if (!r.success) return r.error.issues[0]?.message ?? 'is not allowed';
  if (t.allowAnyFile !== true && !isEnvLikeFile(t.file)) return 'is not an env-style file (.env, .env.*, *.env, .dev.vars, .dev.vars.*, .envrc) and the target does not say "allowAnyFile": true';
  return undefined;
}

/**
 * Which Cloudflare credential an entry rotates: kind + token id (+ account), service token id
 * (+ account or zone), or relay + token type (+ account). Ids compare case-insensitively.
 * Two entries with the same key are a configuration error.
 */
export function credentialKey(t: CredentialFields): string {
  switch (t.kind) {
    case 'account-api-token':
      return `account-api-token:${t.accountId ?? ''}:${t.tokenId ?? ''}`.toLowerCase();
    case 'user-api-token':
      return `user-api-token:${t.tokenId ?? ''}`.toLowerCase();
    case 'access-service-token':
      return `access-service-token:${t.accountId !== undefined ? `a:${t.accountId}` : `z:${t.zoneId ?? ''}`}:${t.serviceTokenId ?? ''}`.toLowerCase();
    case 'moq-relay-token':
      return `moq-relay-token:${t.accountId ?? ''}:${t.relayId ?? ''}:${t.tokenType ?? 'publish_subscribe'}`.toLowerCase();
  }
}

/** The fields that name the Cloudflare credential of an entry (a `TokenConfig`, or the add-token wizard's picks). */
export interface CredentialFields {
  kind: TokenKind;
  accountId?: string | undefined;
  zoneId?: string | undefined;
  tokenId?: string | undefined;
  serviceTokenId?: string | undefined;
  relayId?: string | undefined;
  tokenType?: string | undefined;
}

/** The field a target receives: access tokens default to the client secret, the rest to the token. */
export function targetField(token: TokenConfig, t: TargetConfig): SecretField {
  return t.field ?? (token.kind === 'access-service-token' ? 'clientSecret' : 'token');
}

export function normaliseRelative(p: string): string {
  if (!NEEDS_NORMALISING.test(p)) return p;
  return p.replace(/\\/g, '/').replace(/\/{2,}/g, '/').replace(/^(\.\/)+/, '');
}

/** Parse "1h30m", "7d", "0s" into milliseconds. */
export function parseDuration(text: string): number {
  if (!DURATION.test(text)) throw new RangeError(`not a duration: ${text}`);
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) total += Number(m[1]) * (unit[m[2] as string] as number);
  return total;
}

/** JSON Schema for the editor (draft 2020-12), generated from the zod schema; hovers and pattern messages from CONFIG_DOCS. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = documentJsonSchema(z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>);
  return { ...schema, title: 'cf-rotate configuration', description: 'Cloudflare credentials that cf-rotate rotates, and the .env files that receive them. Contains no secrets.' };
}
