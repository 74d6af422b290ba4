/**
 * The words of `.vscode/cf-rotate.json`'s keys, in one table: the hover text of every property
 * (the JSON Schema's `markdownDescription`) and, for keys checked by a pattern, the message of a
 * value that does not match. The zod schema (schema.ts) takes its pattern messages from here, so
 * the editor's squiggle, the Tokens tree and `cf-rotate validate` say the same words;
 * `configJsonSchema()` adds the hovers. A unit test checks that every property of the generated
 * schema has its hover and every pattern its message, and that no entry here is unused.
 *
 * Plain data, no `vscode` (the CLI and the schema generator read it too).
 */
import * as l10n from '@vscode/l10n';
import type { TokenKind } from './schema';

export interface FieldDoc {
  /** Markdown shown on hover (VS Code's JSON language service reads `markdownDescription`). */
  markdown: string;
  /** Hover text for one kind, when the key means something more specific there. */
  byKind?: Partial<Record<TokenKind, string>>;
  /** The message of a value the key's pattern refuses (zod and the JSON Schema's `errorMessage`). */
  invalid?: string;
  /** Hover text and pattern message inside one kind of target, when the key means something else there. */
  byTarget?: Partial<Record<TargetKind, { markdown?: string; invalid?: string }>>;
}

/** The kinds of target, by the key each is recognised by (TARGET_DISCRIMINATORS in schema.ts). */
export type TargetKind = 'file' | 'worker' | 'pages' | 'secretsStore' | 'github';
const TARGET_KINDS: readonly TargetKind[] = ['file', 'worker', 'pages', 'secretsStore', 'github'];

/** Keys of `.vscode/cf-rotate.json`, of a token entry and of a target, by name. */
export const CONFIG_DOCS = {
  // ------------------------------------------------------------------- the file
  $schema: {
    markdown: 'Optional: the JSON Schema of this file. The Cloudflare Rotate extension validates `.vscode/cf-rotate.json` without it.',
  },
  tokens: {
    markdown:
      'The Cloudflare credentials cf-rotate rotates in this workspace folder, and the `.env` files that receive each new secret (at most 5000). The file holds no secret: it can be committed.',
  },
  // ------------------------------------------------------------------- a token entry
  kind: {
    markdown:
      'What the entry rotates:\n\n- `account-api-token`: an account-owned API token, rolled in place\n- `user-api-token`: a user-owned API token, rolled in place\n- `access-service-token`: a Cloudflare Access service token (client ID + secret)\n- `moq-relay-token`: a token of a Media over QUIC relay (a new one is created, the old one deleted)\n- `turnstile-secret`: the secret key of a Turnstile widget (the previous one works 2 more hours)\n- `oauth-client-secret`: the secret of an OAuth client (a second secret, the previous one deleted after `overlap`)',
  },
  name: {
    markdown: 'The name of this entry, unique in the file: shown in the Tokens view, used by `cf-rotate rotate NAME` and in the history. 1–64 letters, digits, spaces, `.` `_` `-`, starting with a letter or digit.',
    get invalid() { return l10n.t('must be 1-64 characters: letters, digits, space, . _ - (starting with a letter or digit)'); },
  },
  description: {
    markdown: 'Optional free text (at most 500 characters), shown in the token\'s tooltip.',
  },
  profile: {
    markdown:
      'Which stored admin credential rotates this token (default `default`). Set one with **Cloudflare Rotate: Set Credential…**; the CLI reads `CLOUDFLARE_API_TOKEN` (or email + Global API key) for every profile.',
    get invalid() { return l10n.t('must be a profile name (letters, digits, . _ -)'); },
    byTarget: {
      worker: { markdown: 'Optional: whose stored admin credential writes this destination. Default: the token entry\'s `profile`.' },
      pages: { markdown: 'Optional: whose stored admin credential writes this destination. Default: the token entry\'s `profile`.' },
      secretsStore: { markdown: 'Optional: whose stored admin credential writes this destination. Default: the token entry\'s `profile`.' },
    },
  },
  rotateEveryDays: {
    markdown:
      'Optional reminder schedule, 1–3650 days: the token shows as due `cfRotate.reminderDays` days before, and as overdue after. A scheduled token cf-rotate never rotated counts as due.',
  },
  targets: {
    markdown:
      'Where the new secret is written: variables in `.env`-style files of this folder (only the value changes; every other byte of the file stays), and destinations: a Worker secret (`worker`), a Pages secret (`pages`), a Secrets Store secret (`secretsStore`) or a GitHub Actions secret (`github`). Every target is checked before anything is rotated.',
  },
  accountId: {
    byTarget: {
      worker: { markdown: 'Optional: the account of the Worker (32 hex characters). Default: the token entry\'s own `accountId`.' },
      pages: { markdown: 'Optional: the account of the Pages project (32 hex characters). Default: the token entry\'s own `accountId`.' },
      secretsStore: { markdown: 'Optional: the account of the Secrets Store (32 hex characters). Default: the token entry\'s own `accountId`.' },
    },
    markdown: 'The Cloudflare account (32 hex characters: dashboard › Account Home › the account\'s `⋯` › **Copy account ID**).',
    byKind: {
      'account-api-token': 'The account that owns the token (32 hex characters: dashboard › Account Home › the account\'s `⋯` › **Copy account ID**).',
      'access-service-token': 'Account-level service token: its account (32 hex characters). An Access service token has exactly one of `accountId` and `zoneId`.',
      'moq-relay-token': 'The account of the MoQ relay (32 hex characters).',
      'turnstile-secret': 'The account of the Turnstile widget (32 hex characters).',
      'oauth-client-secret': 'The account of the OAuth client (32 hex characters).',
    },
    get invalid() { return l10n.t('must be 32 hex characters (the account ID from the Cloudflare dashboard or API)'); },
  },
  zoneId: {
    markdown:
      'Zone-level service token: its zone (32 hex characters: the zone\'s **Overview** page). An Access service token has exactly one of `accountId` and `zoneId`; zone-level tokens rotate only with `"method": "version"` and only with email + Global API key.',
    get invalid() { return l10n.t('must be 32 hex characters (the zone ID from the Cloudflare dashboard or API)'); },
  },
  tokenId: {
    markdown: 'The ID of the API token to roll (32 hex characters; **Add Token…** fills it in from Cloudflare\'s list). Never the admin credential\'s own token: that is refused.',
    get invalid() { return l10n.t('must be 32 hex characters (the token ID from the Cloudflare dashboard or API)'); },
  },
  serviceTokenId: {
    markdown: 'The UUID of the Access service token (Zero Trust › Access › Service credentials; **Add Token…** fills it in).',
    get invalid() { return l10n.t('must be a UUID (the service token ID)'); },
  },
  gracePeriod: {
    markdown:
      'How long the previous client secret stays valid after a rotation: `30m`, `1h`, `24h`, `7d`, `1h30m`; `0s` revokes it at once. Default: the setting `cfRotate.defaultGracePeriod`.',
    get invalid() { return l10n.t('must be a duration such as 30m, 1h, 24h or 7d'); },
  },
  method: {
    markdown:
      'How the service token is rotated: `rotate` (Cloudflare\'s rotate route, account-level tokens only; the default there) or `version` (`client_secret_version + 1`, the only way for zone-level tokens; the default there).',
  },
  clientSecretVersion: {
    markdown:
      'With `"method": "version"`: the `client_secret_version` the service token has now (1 if it was never rotated by version), 1–1000000. Cloudflare does not report it; cf-rotate remembers the versions it sets, so this is needed only before its first rotation.',
  },
  relayId: {
    markdown: 'The ID of the MoQ relay (32 hex characters; **Add Token…** fills it in).',
    get invalid() { return l10n.t('must be 32 hex characters (the relay ID from the Cloudflare dashboard or API)'); },
  },
  tokenType: {
    markdown: 'Which token of the relay: `publish_subscribe` (default) or `subscribe`.',
  },
  // ------------------------------------------------------------------- a target
  file: {
    markdown:
      'The file that receives the secret, relative to this workspace folder: `.env`, `.env.*`, `*.env`, `.dev.vars`, `.dev.vars.*` or `.envrc` unless `allowAnyFile` is set. Not absolute, no `..`, not inside `.git`. Created (mode 0600) at the first rotation if missing.',
  },
  key: {
    markdown: 'The variable that receives the secret, e.g. `CLOUDFLARE_API_TOKEN`. Only its value changes; quotes, `export`, comments and every other line stay.',
    get invalid() { return l10n.t('must be a .env variable name (letters, digits, _ . -; not starting with a digit)'); },
    byTarget: {
      worker: { markdown: 'The name of the Worker secret, e.g. `CF_API_TOKEN` (letters, digits and `_`).', get invalid() { return l10n.t('must be a secret name: letters, digits and _, not starting with a digit (at most 256)'); } },
      pages: { markdown: 'The name of the Pages variable, stored as a secret (letters, digits and `_`); other variables stay.', get invalid() { return l10n.t('must be a secret name: letters, digits and _, not starting with a digit (at most 256)'); } },
      github: { markdown: 'The name of the GitHub Actions secret (letters, digits and `_`; not starting with `GITHUB_`).', get invalid() { return l10n.t('must be a GitHub secret name: letters, digits and _, not starting with a digit'); } },
    },
  },
  worker: {
    markdown: 'A Worker secret: the name of the Worker (script). Writing it makes Cloudflare **deploy a new version of the Worker**. Needs Workers Scripts Write.',
    get invalid() { return l10n.t('must be a Worker (script) name: letters, digits, - and _ (at most 63)'); },
  },
  pages: {
    markdown: 'A Pages secret: the name of the Pages project. The **next deployment** uses the new value. Needs Pages Write.',
    get invalid() { return l10n.t('must be a Pages project name: lower-case letters, digits and - (at most 58)'); },
  },
  environment: {
    markdown: 'Which environment receives the secret.',
    byTarget: {
      pages: { markdown: 'Which deployment configuration of the Pages project: `production` or `preview`.' },
      github: { markdown: 'Optional: a GitHub environment of the repository; the secret becomes an environment secret instead of a repository secret.' },
    },
    get invalid() { return l10n.t('must be a GitHub environment name (letters, digits, space, . _ -; at most 255)'); },
  },
  secretsStore: {
    markdown: 'A Secrets Store secret: the ID of the store (32 hex characters). Needs Secrets Store Write.',
    get invalid() { return l10n.t('must be 32 hex characters (the Secrets Store ID from the Cloudflare dashboard or API)'); },
  },
  secretId: {
    markdown: 'The ID of the secret in the Secrets Store (32 hex characters). Its value is replaced; Cloudflare never returns it.',
    get invalid() { return l10n.t('must be 32 hex characters (the secret ID from the Cloudflare dashboard or API)'); },
  },
  github: {
    markdown:
      'A GitHub Actions secret: the repository as `owner/name`. Needs a GitHub token (**Set GitHub Token…**, or the GitHub sign-in) with the repository permission "Secrets" (environments: "Environments") read and write.',
    get invalid() { return l10n.t('must be a GitHub repository as owner/name'); },
  },
  field: {
    markdown:
      'Which value the variable receives: `token` (API and MoQ tokens); `clientId` / `clientSecret` (Access service tokens, default `clientSecret`; OAuth clients); for API tokens also `r2AccessKeyId` (the token\'s ID) and `r2SecretAccessKey` (SHA-256 of its value), the S3 credentials R2 derives from the token.',
  },
  strategy: {
    markdown:
      'How an API token is rotated: `roll` (default: the value changes in place and the old value dies at once) or `replace` (a twin token with the same permissions is created, written and verified everywhere, `tokenId` is updated to it, and the previous token is deleted after `overlap`: zero downtime for consumers outside these targets).',
  },
  overlap: {
    markdown:
      'How long the previous credential keeps working after the new one is in every target, before cf-rotate deletes it: `30m`, `1h`, `24h` (default), `7d`; `0s` deletes it right after verifying. API tokens with `"strategy": "replace"` and OAuth client secrets.',
    get invalid() { return l10n.t('must be a duration such as 0s, 1h, 24h or 7d'); },
  },
  sitekey: {
    markdown: 'The sitekey of the Turnstile widget (`0x4AAAAAAA…`; **Add Token…** fills it in from Cloudflare\'s list).',
    get invalid() { return l10n.t('must be a Turnstile sitekey (0x4AAAAAAA…, at most 32 characters)'); },
  },
  invalidateImmediately: {
    markdown: '`true`: the previous Turnstile secret stops working at once. Default `false`: it keeps working for 2 hours, and a second rotation inside those 2 hours is refused.',
  },
  clientId: {
    markdown: 'The ID of the OAuth client (32 hex characters; **Add Token…** fills it in).',
    get invalid() { return l10n.t('must be 32 hex characters (the OAuth client ID from the Cloudflare dashboard or API)'); },
  },
  allowAnyFile: {
    markdown:
      '`true` to write a file whose name is not env-style (`.env`, `.env.*`, `*.env`, `.dev.vars`, `.dev.vars.*`, `.envrc`). Off by default, so a cloned repository cannot point a secret at, say, `public/index.html` unnoticed.',
  },
  allowTracked: {
    markdown:
      '`true` to write a file that git tracks or does not ignore (the secret could be committed). Off by default: such a target is refused before anything is rotated.',
  },
} as const satisfies Record<string, FieldDoc>;

export type ConfigKey = keyof typeof CONFIG_DOCS;

/** The pattern message of a key (for the zod schema), inside one kind of target when it says something else there. */
export function invalidMessage(key: { [K in ConfigKey]: (typeof CONFIG_DOCS)[K] extends { invalid: string } ? K : never }[ConfigKey], target?: TargetKind): string {
  const doc: FieldDoc = CONFIG_DOCS[key];
  return (target !== undefined ? doc.byTarget?.[target]?.invalid : undefined) ?? CONFIG_DOCS[key].invalid;
}

/** The kind of target an object schema is for (the discriminating key among its properties), if any. */
function targetOf(node: JsonNode): TargetKind | undefined {
  const props = node.properties;
  if (!isNode(props)) return undefined;
  return TARGET_KINDS.find((k) => isNode(props[k]));
}

/** Markdown without its marks, for the plain `description` (tools that do not read `markdownDescription`). */
export function plainText(markdown: string): string {
  return markdown.replace(/\*\*([^*]+)\*\*/g, '$1').replace(/`([^`]+)`/g, '$1');
}

type JsonNode = Record<string, unknown>;

function isNode(v: unknown): v is JsonNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The kind an object schema is for (its `kind` property's `const`), if any. */
function kindOf(node: JsonNode): TokenKind | undefined {
  const props = node.properties;
  if (!isNode(props) || !isNode(props.kind)) return undefined;
  const c = props.kind.const;
  return typeof c === 'string' ? (c as TokenKind) : undefined;
}

/**
 * Adds `markdownDescription` + `description` to every property of a generated JSON Schema, and
 * `errorMessage` + `patternErrorMessage` to every property with a pattern (in place; returns it).
 * Throws when a property or a pattern has no entry in CONFIG_DOCS, so a new key cannot ship
 * without its words (the build writes the schema).
 */
export function documentJsonSchema<T extends JsonNode>(schema: T): T {
  const walk = (node: unknown, kind: TokenKind | undefined): void => {
    if (Array.isArray(node)) {
      for (const n of node) walk(n, kind);
      return;
    }
    if (!isNode(node)) return;
    const here = kindOf(node) ?? kind;
    const target = targetOf(node);
    const props = node.properties;
    if (isNode(props)) {
      for (const [key, prop] of Object.entries(props)) {
        if (!isNode(prop)) continue;
        const doc = (CONFIG_DOCS as Record<string, FieldDoc>)[key];
        if (!doc) throw new Error(`cf-rotate.json schema: the key "${key}" has no entry in CONFIG_DOCS (src/core/config/docs.ts)`);
        const inTarget = target !== undefined ? doc.byTarget?.[target] : undefined;
        const markdown = inTarget?.markdown ?? (here !== undefined && target === undefined ? doc.byKind?.[here] : undefined) ?? doc.markdown;
        prop.markdownDescription = markdown;
        prop.description = plainText(markdown);
        if (typeof prop.pattern === 'string') {
          const invalid = inTarget?.invalid ?? doc.invalid;
          if (!invalid) throw new Error(`cf-rotate.json schema: "${key}" has a pattern but no "invalid" message in CONFIG_DOCS`);
          prop.errorMessage = invalid;
          prop.patternErrorMessage = invalid;
        }
      }
    }
    for (const [k, v] of Object.entries(node)) if (k !== 'properties') walk(v, here);
    if (isNode(props)) for (const v of Object.values(props)) walk(v, here);
  };
  walk(schema, undefined);
  return schema;
}
