/**
 * The `.vscode/cf-rotate.json` schema. No secrets live in this file, so a team can commit it.
 * One zod (mini) schema serves validation here and, through `z.toJSONSchema`, the editor's
 * JSON validation (dist/cf-rotate.schema.json).
 */
import * as z from 'zod/mini';
import * as l10n from '@vscode/l10n';
import { hasUnsafeCharacters } from '../text';
import { documentJsonSchema, invalidMessage } from './docs';

/** A pattern's message, built when a value is refused (in the display language), from the words of docs.ts. */
const invalidError = (...key: Parameters<typeof invalidMessage>): { error: () => string } => ({ error: () => invalidMessage(...key) });

export const TOKEN_KINDS = ['account-api-token', 'user-api-token', 'access-service-token', 'moq-relay-token', 'turnstile-secret', 'oauth-client-secret'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

const HEX32 = /^[0-9a-fA-F]{32}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Go-style durations as Cloudflare uses them, plus days: 30m, 1h, 24h, 1h30m, 7d. */
export const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Pattern messages come from CONFIG_DOCS (docs.ts): the editor's JSON Schema shows the same words. */
const hex32 = (key: 'accountId' | 'zoneId' | 'tokenId' | 'relayId' | 'secretsStore' | 'secretId' | 'clientId') => z.string().check(z.regex(HEX32, invalidError(key)));

const NUL = /\0/;
const ABSOLUTE = /^(?:[/\\]|[A-Za-z]:)/;
/** A `..` segment between separators (either slash) or the ends: what splitting on separators and looking for `..` finds, without the array. */
const DOT_DOT_SEGMENT = /(?:^|[/\\])\.\.(?:[/\\]|$)/;
/** A backslash, a doubled slash or a `.` segment: the only things normaliseRelative changes. */
const NEEDS_NORMALISING = /\\|\/\/|(?:^|\/)\.(?:\/|$)/;

/** Characters that form links in messages (`[text](command:…)`, `<scheme:…>`, code spans). */
const LINK_SYNTAX = /[[\]()<>`]/;
/** A `.git` segment (git's own data) anywhere in the path. */
const GIT_SEGMENT = /(?:^|[/\\])\.git(?:[/\\]|$)/i;
export const CONFIG_FILE = '.vscode/cf-rotate.json';

const relativeFile = z.string().check(
  z.minLength(1, { error: () => l10n.t('must not be empty') }),
  z.maxLength(1024, { error: () => l10n.t('is too long') }),
  z.refine((p) => !NUL.test(p), { error: () => l10n.t('must not contain NUL characters') }),
  z.refine((p) => !hasUnsafeCharacters(p), { error: () => l10n.t('must not contain control, direction-override or invisible characters (line breaks, escapes, bidi controls)') }),
  z.refine((p) => !LINK_SYNTAX.test(p), { error: () => l10n.t('must not contain [ ] ( ) < > or ` (they could form links in messages)') }),
  z.refine((p) => !ABSOLUTE.test(p), { error: () => l10n.t('must be relative to the workspace folder, not absolute') }),
  z.refine((p) => !DOT_DOT_SEGMENT.test(p), { error: () => l10n.t('must stay inside the workspace folder (no \'..\' segments)') }),
  z.refine((p) => !GIT_SEGMENT.test(p), { error: () => l10n.t('must not be inside .git (git\'s own data)') }),
  z.refine((p) => normaliseRelative(p).toLowerCase() !== CONFIG_FILE, { error: () => l10n.t('is the cf-rotate configuration itself') }),
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

/**
 * What a target can receive: `token` (API tokens, MoQ, the Turnstile secret), `clientId` /
 * `clientSecret` (Access service tokens, OAuth clients), and the R2 S3 credentials derived from an
 * API token: `r2AccessKeyId` (the token's id) and `r2SecretAccessKey` (SHA-256 hex of its value).
 */
export const SECRET_FIELD_NAMES = ['token', 'clientId', 'clientSecret', 'r2AccessKeyId', 'r2SecretAccessKey'] as const;

/** The fields each kind's targets may take (the first is the default). */
export const KIND_FIELDS: Record<TokenKind, readonly SecretField[]> = {
  'account-api-token': ['token', 'r2AccessKeyId', 'r2SecretAccessKey'],
  'user-api-token': ['token', 'r2AccessKeyId', 'r2SecretAccessKey'],
  'access-service-token': ['clientSecret', 'clientId'],
  'moq-relay-token': ['token'],
  'turnstile-secret': ['token'],
  'oauth-client-secret': ['clientSecret', 'clientId'],
};

const fieldSchema = z.optional(z.enum(SECRET_FIELD_NAMES));

/** A .env-style file in the workspace folder. */
const fileTarget = z.strictObject({
  file: relativeFile,
  key: z.string().check(z.regex(ENV_KEY, invalidError('key'))),
  field: fieldSchema,
  /** Write a file whose name is not env-style (.env, .env.*, *.env, .dev.vars, .dev.vars.*, .envrc). */
  allowAnyFile: z.optional(z.boolean()),
  /** Write a file that git tracks or does not ignore (the secret could be committed). */
  allowTracked: z.optional(z.boolean()),
});
export type FileTargetConfig = z.infer<typeof fileTarget>;

/**
 * Destinations beside files. Every id here reaches a URL path (API calls, the settings pages
 * Reveal Target opens): the patterns admit no '/', '?', '#', '%', '..' or spaces where a path
 * segment could change meaning, and every use encodes the segment again.
 */
const DEST_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,255}$/;
const WORKER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const PAGES_PROJECT = /^[a-z0-9][a-z0-9-]{0,57}$/;
const GITHUB_REPO = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/;
// "." and ".." are no environment names: as a URL segment they would be normalised away (…/environments/../secrets).
const GITHUB_ENVIRONMENT = /^(?!\.\.?$)[A-Za-z0-9_.-](?:[A-Za-z0-9_. -]{0,253}[A-Za-z0-9_.-])?$/;
export const DESTINATION_KEY = DEST_KEY;

const destKey = z.string().check(z.regex(DEST_KEY, invalidError('key', 'worker')));
const profileName = z.string().check(z.regex(NAME, invalidError('profile')));
const cloudflareDestination = {
  /** The account of the Worker / Pages project / store: default, the token's own accountId. */
  accountId: z.optional(hex32('accountId')),
  /** Whose admin credential writes it: default, the token's profile. */
  profile: z.optional(profileName),
  field: fieldSchema,
};

/** A Worker secret: PUT /accounts/{a}/workers/scripts/{script}/secrets (a new version of the Worker is deployed). */
const workerTarget = z.strictObject({
  worker: z.string().check(z.regex(WORKER_NAME, invalidError('worker'))),
  key: destKey,
  ...cloudflareDestination,
});
/** A Pages secret: PATCH /accounts/{a}/pages/projects/{p}, deployment_configs.{environment}.env_vars.KEY. */
const pagesTarget = z.strictObject({
  pages: z.string().check(z.regex(PAGES_PROJECT, invalidError('pages'))),
  environment: z.enum(['production', 'preview']),
  key: destKey,
  ...cloudflareDestination,
});
/** A Secrets Store secret: PATCH /accounts/{a}/secrets_store/stores/{store}/secrets/{id} {value}. */
const secretsStoreTarget = z.strictObject({
  secretsStore: hex32('secretsStore'),
  secretId: hex32('secretId'),
  ...cloudflareDestination,
});
/** A GitHub Actions secret of a repository, or of one of its environments. */
const githubTarget = z.strictObject({
  github: z.string().check(z.regex(GITHUB_REPO, invalidError('github'))),
  environment: z.optional(z.string().check(z.regex(GITHUB_ENVIRONMENT, invalidError('environment', 'github')))),
  key: z.string().check(
    z.regex(DEST_KEY, invalidError('key', 'github')),
    z.refine((k) => !/^GITHUB_/i.test(k), { error: () => l10n.t('must not start with GITHUB_ (GitHub reserves that prefix)') }),
  ),
  field: fieldSchema,
});

/** The key each kind of target is recognised by, in the order of `target`'s alternatives. */
export const TARGET_DISCRIMINATORS = ['file', 'worker', 'pages', 'secretsStore', 'github'] as const;
const target = z.union([fileTarget, workerTarget, pagesTarget, secretsStoreTarget, githubTarget]);
export type TargetConfig = z.infer<typeof target>;
export type WorkerTargetConfig = z.infer<typeof workerTarget>;
export type PagesTargetConfig = z.infer<typeof pagesTarget>;
export type SecretsStoreTargetConfig = z.infer<typeof secretsStoreTarget>;
export type GitHubTargetConfig = z.infer<typeof githubTarget>;
export type DestinationConfig = WorkerTargetConfig | PagesTargetConfig | SecretsStoreTargetConfig | GitHubTargetConfig;

export function isFileTarget(t: TargetConfig): t is FileTargetConfig {
  return 'file' in t && typeof t.file === 'string';
}

/** The file targets of a token (destinations are written through their APIs). */
export function fileTargets(token: { targets: readonly TargetConfig[] }): FileTargetConfig[] {
  return token.targets.filter(isFileTarget);
}

/** The fields of a destination that its label shows (config targets and journal records both have them). */
export type LabelledTarget =
  | { file: string; key: string }
  | { worker: string; key: string }
  | { pages: string; environment: string; key: string }
  | { secretsStore: string; secretId: string }
  | { github: string; environment?: string | undefined; key: string };

/**
 * How a target is named in confirmations, results, the history and the CLI's output:
 * `.env › KEY`, `worker:api-gateway › KEY`, `pages:site (production) › KEY`,
 * `secrets-store:<store id>/<secret id>`, `github:owner/repo › KEY`, `github:owner/repo (environment prod) › KEY`.
 */
export function targetLabel(t: LabelledTarget): string {
  if ('file' in t) return `${t.file} › ${t.key}`;
  if ('worker' in t) return `worker:${t.worker} › ${t.key}`;
  if ('pages' in t) return `pages:${t.pages} (${t.environment}) › ${t.key}`;
  if ('secretsStore' in t) return `secrets-store:${t.secretsStore}/${t.secretId}`;
  return `github:${t.github}${t.environment ? ` (environment ${t.environment})` : ''} › ${t.key}`;
}

/** Labels of destinations start with one of these (a file target's label starts with its path). */
export const DESTINATION_LABEL = /^(?:worker|pages|secrets-store|github):/;

export function destinationTargets(token: { targets: readonly TargetConfig[] }): DestinationConfig[] {
  return token.targets.filter((t): t is DestinationConfig => !isFileTarget(t));
}

/** The account a Cloudflare destination lives in: its own accountId, else the token's. */
export function destinationAccount(token: TokenConfig, t: WorkerTargetConfig | PagesTargetConfig | SecretsStoreTargetConfig): string | undefined {
  return t.accountId ?? ('accountId' in token && typeof token.accountId === 'string' ? token.accountId : undefined);
}

const common = {
  name: z.string().check(z.regex(NAME, invalidError('name'))),
  description: z.optional(z.string().check(z.maxLength(500))),
  profile: z._default(z.string().check(z.regex(NAME, invalidError('profile'))), 'default'),
  rotateEveryDays: z.optional(z.int().check(z.minimum(1, { error: () => l10n.t('must be at least 1') }), z.maximum(3650, { error: () => l10n.t('must be at most 3650') }))),
  targets: z.array(target).check(z.minLength(1, { error: () => l10n.t('needs at least one target (a file, or a destination)') })),
};

/**
 * API tokens: `roll` (default) changes the value in place (the old value dies at once); `replace`
 * creates a twin with the same policies, writes and verifies it everywhere, points `tokenId` at
 * it, and deletes the previous token when `overlap` has passed ("0s": right after verifying).
 */
const strategyFields = {
  strategy: z.optional(z.enum(['roll', 'replace'])),
  /** `replace`: how long the previous token keeps working after the twin is in every target (default 24h). */
  overlap: z.optional(z.string().check(z.regex(DURATION, invalidError('overlap')))),
};
const accountApiToken = z.strictObject({
  kind: z.literal('account-api-token'),
  accountId: hex32('accountId'),
  tokenId: hex32('tokenId'),
  ...strategyFields,
  ...common,
});
const userApiToken = z.strictObject({
  kind: z.literal('user-api-token'),
  tokenId: hex32('tokenId'),
  ...strategyFields,
  ...common,
});
/** Turnstile sitekeys: `0x4AAAAAAA…` (and the documented test keys `1x…`, `2x…`, `3x…`); at most 32 characters. */
const SITEKEY = /^[0-9]x[0-9A-Za-z_-]{4,30}$/;
/** A Turnstile widget's secret: POST …/challenges/widgets/{sitekey}/rotate_secret. */
const turnstileSecret = z.strictObject({
  kind: z.literal('turnstile-secret'),
  accountId: hex32('accountId'),
  sitekey: z.string().check(z.regex(SITEKEY, invalidError('sitekey'))),
  /** `true`: the previous secret stops working at once; default false: it keeps working 2 hours. */
  invalidateImmediately: z.optional(z.boolean()),
  ...common,
});
/** An OAuth client's secret: rotate_secret (a second secret), then the previous one is deleted after `overlap`. */
const oauthClientSecret = z.strictObject({
  kind: z.literal('oauth-client-secret'),
  accountId: hex32('accountId'),
  clientId: hex32('clientId'),
  /** How long the previous secret keeps working after the new one is in every target (default 24h; "0s": deleted right away). */
  overlap: z.optional(z.string().check(z.regex(DURATION, invalidError('overlap')))),
  ...common,
});
const accessServiceToken = z.strictObject({
  kind: z.literal('access-service-token'),
  accountId: z.optional(hex32('accountId')),
  zoneId: z.optional(hex32('zoneId')),
  serviceTokenId: z.string().check(z.regex(UUID, invalidError('serviceTokenId'))),
  /** How long the previous secret stays valid, e.g. "1h", "24h", "7d"; "0s" revokes it at once. Default: the cfRotate.defaultGracePeriod setting. */
  gracePeriod: z.optional(z.string().check(z.regex(DURATION, invalidError('gracePeriod')))),
  /** `rotate` (POST …/rotate, account tokens only) or `version` (PUT client_secret_version + 1; the only way for zone tokens). */
  method: z.optional(z.enum(['rotate', 'version'])),
  /**
   * `method: "version"`: the client_secret_version the token has now, for its first rotation by
   * cf-rotate (Cloudflare does not report it). cf-rotate remembers the versions it sets.
   */
  clientSecretVersion: z.optional(z.int().check(z.minimum(1, { error: () => l10n.t('must be at least 1') }), z.maximum(1_000_000, { error: () => l10n.t('must be at most 1000000') }))),
  ...common,
});
const moqRelayToken = z.strictObject({
  kind: z.literal('moq-relay-token'),
  accountId: hex32('accountId'),
  relayId: hex32('relayId'),
  tokenType: z._default(z.enum(['publish_subscribe', 'subscribe']), 'publish_subscribe'),
  ...common,
});

/** The entries of `tokenSchema`, by kind (load.ts compiles the kinds a large configuration uses). */
export const TOKEN_SCHEMAS = {
  'account-api-token': accountApiToken,
  'user-api-token': userApiToken,
  'access-service-token': accessServiceToken,
  'moq-relay-token': moqRelayToken,
  'turnstile-secret': turnstileSecret,
  'oauth-client-secret': oauthClientSecret,
} as const satisfies Record<TokenKind, unknown>;
export const tokenSchema = z.discriminatedUnion('kind', [accountApiToken, userApiToken, accessServiceToken, moqRelayToken, turnstileSecret, oauthClientSecret]);

/** The most tokens one cf-rotate.json may list. */
export const MAX_TOKENS = 5000;

/** A problem across entries, as configSchema reports it. */
export type CrossEntryIssue = {
  code: 'custom';
  input: unknown;
  path: (string | number)[];
  message: string;
};

/**
 * The rules that span entries or fields (configSchema's refinement, after every entry parsed):
 * unique names, one entry per Cloudflare credential, one writer per variable or destination, and
 * the field and account rules of each kind.
 */
export function crossEntryIssues(tokens: readonly TokenConfig[], push: (issue: CrossEntryIssue) => void): void {
  // Many targets share a few files: each file name is judged once.
  const envLikeFiles = new Map<string, boolean>();
  const envLike = (rel: string): boolean => {
    let v = envLikeFiles.get(rel);
    if (v === undefined) envLikeFiles.set(rel, (v = isEnvLikeFile(rel)));
    return v;
  };
  const names = new Map<string, number>();
  const writers = new Map<string, number>();
  const credentials = new Map<string, number>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as TokenConfig;
    const prev = names.get(t.name);
    if (prev !== undefined) {
      push({ code: 'custom', input: t.name, path: ['tokens', i, 'name'], message: l10n.t('duplicates the name of tokens[{0}]', prev) });
    } else names.set(t.name, i);
    // Two entries that rotate one Cloudflare credential would roll it twice: the second roll kills the value the first wrote.
    const same = credentialKey(t);
    const first = credentials.get(same);
    if (first !== undefined) {
      const other = tokens[first] as TokenConfig;
      push({
        code: 'custom',
        input: t.name,
        path: ['tokens', i],
        message: l10n.t('rotates the same Cloudflare credential as tokens[{0}]: it is already configured as \'{1}\' (add this entry\'s targets to \'{1}\' instead)', first, other.name),
      });
    } else credentials.set(same, i);
    if ((t.kind === 'account-api-token' || t.kind === 'user-api-token') && t.overlap !== undefined && t.strategy !== 'replace') {
      push({ code: 'custom', input: t.overlap, path: ['tokens', i, 'overlap'], message: l10n.t('is used only with "strategy": "replace" (a roll keeps no previous token)') });
    }
    const fields = KIND_FIELDS[t.kind];
    if (t.kind === 'access-service-token') {
      if ((t.accountId === undefined) === (t.zoneId === undefined)) {
        push({ code: 'custom', input: t, path: ['tokens', i], message: l10n.t('needs exactly one of accountId or zoneId') });
      }
      if (t.zoneId !== undefined && t.method === 'rotate') {
        push({ code: 'custom', input: t.method, path: ['tokens', i, 'method'], message: l10n.t('zone-level service tokens have no rotate endpoint: use "version"') });
      }
      if (t.clientSecretVersion !== undefined && (t.method ?? (t.accountId ? 'rotate' : 'version')) !== 'version') {
        push({ code: 'custom', input: t.clientSecretVersion, path: ['tokens', i, 'clientSecretVersion'], message: l10n.t('is used only with "method": "version"') });
      }
    }
    for (let j = 0; j < t.targets.length; j++) {
      const tg = t.targets[j] as TargetConfig;
      const at = ['tokens', i, 'targets', j];
      const file = isFileTarget(tg);
      if (file && tg.allowAnyFile !== true && !envLike(tg.file)) {
        push({
          code: 'custom',
          input: tg.file,
          path: [...at, 'file'],
          message: l10n.t('is not an env-style file (.env, .env.*, *.env, .dev.vars, .dev.vars.*, .envrc): add "allowAnyFile": true to this target if a secret really belongs there'),
        });
      }
      if (tg.field !== undefined && !fields.includes(tg.field)) {
        push({ code: 'custom', input: tg.field, path: [...at, 'field'], message: l10n.t('must be one of {0} for {1}', [...fields].sort().join(', '), t.kind) });
      }
      if (!file && !('github' in tg) && destinationAccount(t, tg) === undefined) {
        push({ code: 'custom', input: tg, path: at, message: l10n.t('needs "accountId": the account of this destination (a {0} has no account to take it from)', t.kind) });
      }
      const where = writerKey(t, tg);
      const other = writers.get(where);
      // A token may name one file variable twice (as before); a destination only once.
      if (other !== undefined && (other !== i || !file)) {
        push({
          code: 'custom',
          input: tg,
          path: file || 'key' in tg ? [...at, 'key'] : at,
          message:
            other === i
              ? l10n.t('is written twice by this token (two targets name the same place)')
              : file
                ? l10n.t('is also written by tokens[{0}]: two tokens cannot share one variable', other)
                : l10n.t('is also written by tokens[{0}]: two tokens cannot share one destination', other),
        });
      } else writers.set(where, i);
    }
  }
}

export const configSchema = z
  .strictObject({
    $schema: z.optional(z.string()),
    tokens: z.array(tokenSchema).check(z.maxLength(MAX_TOKENS, { error: () => l10n.t('must list at most 5000 tokens') })),
  })
  .check(z.superRefine((cfg, ctx) => crossEntryIssues(cfg.tokens, (issue) => ctx.issues.push(issue))));

export type CfRotateConfig = z.infer<typeof configSchema>;
export type TokenConfig = z.infer<typeof tokenSchema>;
export type AccountApiTokenConfig = z.infer<typeof accountApiToken>;
export type UserApiTokenConfig = z.infer<typeof userApiToken>;
export type AccessServiceTokenConfig = z.infer<typeof accessServiceToken>;
export type MoqRelayTokenConfig = z.infer<typeof moqRelayToken>;
export type TurnstileSecretConfig = z.infer<typeof turnstileSecret>;
export type OAuthClientSecretConfig = z.infer<typeof oauthClientSecret>;
export type SecretField = (typeof SECRET_FIELD_NAMES)[number];

/** The API token kinds' strategy (default `roll`). */
export function strategyOf(t: TokenConfig): 'roll' | 'replace' | undefined {
  return t.kind === 'account-api-token' || t.kind === 'user-api-token' ? (t.strategy ?? 'roll') : undefined;
}

/** The overlap of `replace` and OAuth clients (default 24 h), in ms. */
export const DEFAULT_OVERLAP = '24h';

/**
 * The rules of a target path outside config validation (preflight, resume): the same checks as
 * `validate`, so a target that reaches the engine another way obeys them too. Returns the problem.
 */
export function targetPathProblem(t: { file: string; allowAnyFile?: boolean | undefined }): string | undefined {
  const r = relativeFile.safeParse(t.file);
  if (!r.success) return r.error.issues[0]?.message ?? l10n.t('is not allowed');
  if (t.allowAnyFile !== true && !isEnvLikeFile(t.file)) return l10n.t('is not an env-style file (.env, .env.*, *.env, .dev.vars, .dev.vars.*, .envrc) and the target does not say "allowAnyFile": true');
  return undefined;
}

/**
 * The problem of a target whose configured name is env-style but that is a link to a file whose
 * name is not (`real`: the file the link leads to): the name rule holds for the file written.
 */
export function linkedNotEnvStyle(real: string): string {
  const name = real.split(/[/\\]/).pop() ?? real;
  return l10n.t('is a link to a file named "{0}", which is not an env-style file (.env, .env.*, *.env, .dev.vars, .dev.vars.*, .envrc), and the target does not say "allowAnyFile": true', name);
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
    case 'turnstile-secret':
      // Sitekeys are case-sensitive: only the account id is folded.
      return `turnstile-secret:${(t.accountId ?? '').toLowerCase()}:${t.sitekey ?? ''}`;
    case 'oauth-client-secret':
      return `oauth-client-secret:${t.accountId ?? ''}:${t.clientId ?? ''}`.toLowerCase();
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
  sitekey?: string | undefined;
  clientId?: string | undefined;
}

/** The field a target receives: access tokens default to the client secret, the rest to the token. */
export function targetField(token: TokenConfig, t: TargetConfig): SecretField {
  return t.field ?? (KIND_FIELDS[token.kind][0] as SecretField);
}

/** Where a target writes, for "two targets cannot write one place" (GitHub names are case-insensitive). */
function writerKey(token: TokenConfig, t: TargetConfig): string {
  if (isFileTarget(t)) return `file\u0000${normaliseRelative(t.file)}\u0000${t.key}`;
  if ('github' in t) return `github\u0000${t.github.toLowerCase()}\u0000${(t.environment ?? '').toLowerCase()}\u0000${t.key.toUpperCase()}`;
  const account = (destinationAccount(token, t) ?? '').toLowerCase();
  if ('worker' in t) return `worker\u0000${account}\u0000${t.worker}\u0000${t.key}`;
  if ('pages' in t) return `pages\u0000${account}\u0000${t.pages}\u0000${t.environment}\u0000${t.key}`;
  return `store\u0000${account}\u0000${t.secretsStore.toLowerCase()}\u0000${t.secretId.toLowerCase()}`;
}

/**
 * One spelling per relative path, as the checked writer walks it: backslashes are separators,
 * empty and `.` segments are nothing (`sub/./.env`, `sub//.env` and `./sub/.env` are `sub/.env`).
 */
export function normaliseRelative(p: string): string {
  if (!NEEDS_NORMALISING.test(p)) return p;
  return p
    .split(/[\\/]/)
    .filter((s) => s !== '' && s !== '.')
    .join('/');
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
  // l10n-exempt: the title of the generated JSON schema file (dist/cf-rotate.schema.json)
  return { ...schema, title: 'cf-rotate configuration', description: 'Cloudflare credentials that cf-rotate rotates, and the .env files and destinations (Workers, Pages, Secrets Store, GitHub Actions secrets) that receive them. Contains no secrets.' };
}
