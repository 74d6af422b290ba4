/** Admin credentials (named profiles) in the SecretStore. Never in settings, files or logs. */
import { cap, wording } from './wording';
import * as z from 'zod/mini';
import * as l10n from '@vscode/l10n';
import type { AdminCredential } from './cloudflare/types';
import { CfRotateError } from './errors';
import type { SecretStore } from './ports';
import { registerCredential, type CredentialSource } from './envCredentials';

export { EnvCredentialSource, registerCredential, type CredentialSource } from './envCredentials';

export const CREDENTIAL_PREFIX = 'cfRotate.credential.';
export const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$/;

/**
 * Credential formats (notes A2, cloudflare-docs `token-formats.mdx` @06324d37):
 * - API tokens: `cfut_` (user-owned) / `cfat_` (account-owned) + 40 characters + a checksum;
 *   older tokens are 40 characters. The schema bounds token values at 40–80 characters
 *   (`iam_value`); the characters are letters, digits, `_` and `-`.
 * - Global API keys: `cfk_` + 40 letters and digits + a checksum (its length is not documented:
 *   1–36 more here), or the older 37–45 lowercase hex characters.
 */
export const API_TOKEN_FORMAT = /^[A-Za-z0-9_-]{40,80}$/;
export const GLOBAL_KEY_FORMAT = /^(?:cfk_[A-Za-z0-9]{41,76}|[0-9a-f]{37,45})$/;
/** The account that owns an account-owned API token: 32 hex characters (`account_id`). */
export const ACCOUNT_ID_FORMAT = /^[0-9a-fA-F]{32}$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** What a user is told about a value that does not look like a credential. Never quotes the value. Built when shown (the display language's words). */
export function apiTokenFormatText(): string {
  return l10n.t('is not an API token (40–80 letters, digits, _ or -; today\'s tokens start with cfut_ or cfat_)');
}
export function globalKeyFormatText(): string {
  return l10n.t('is not a Global API key (cfk_ followed by letters and digits, or an older key of 37–45 lowercase hex characters)');
}
const emailText = (): string => l10n.t('must be an email address');

// Values stored by cf-rotate 0.1 were checked less strictly: reading accepts them, so nothing
// stored becomes "unreadable"; anything entered now is checked with the formats above.
const LEGACY_TOKEN = /^[A-Za-z0-9._~+/=-]{20,200}$/;
const LEGACY_KEY = /^[A-Za-z0-9_]{20,100}$/;

function schemaOf(token: RegExp, key: RegExp) {
  const tokenValue = z.string().check(z.regex(token, { error: apiTokenFormatText }));
  const keyValue = z.string().check(z.regex(key, { error: globalKeyFormatText }));
  const email = z.string().check(z.regex(EMAIL, { error: emailText }));
  return z.discriminatedUnion('type', [
    z.object({
      type: z.literal('api-token'),
      token: tokenValue,
      /** Account-owned token: the account whose verify route accepts it (A1). */
      accountId: z.optional(z.string().check(z.regex(ACCOUNT_ID_FORMAT, { error: () => l10n.t('must be 32 hex characters (the account ID)') }))),
      /** The same profile's email + Global API key, for the operations that accept only it (A5). */
      globalKey: z.optional(z.object({ email, key: keyValue })),
    }),
    z.object({ type: z.literal('global-key'), email, key: keyValue }),
  ]);
}

/** A credential as entered (Set Credential, command arguments): today's formats. */
export const credentialSchema = schemaOf(API_TOKEN_FORMAT, GLOBAL_KEY_FORMAT);
/** A credential as stored: also what cf-rotate 0.1 accepted. */
const storedCredentialSchema = schemaOf(LEGACY_TOKEN, LEGACY_KEY);

const profileField = z.optional(z.string().check(z.regex(PROFILE_NAME)));

/**
 * Command argument forms: `{profile, apiToken, accountId?}`, `{profile, email, apiKey}`, or both
 * schemes for one profile: `{profile, apiToken, accountId?, email, apiKey}`.
 */
export const credentialArgSchema = z.union([
  z
    .object({
      profile: profileField,
      apiToken: z.string().check(z.regex(API_TOKEN_FORMAT, { error: apiTokenFormatText })),
      accountId: z.optional(z.string().check(z.regex(ACCOUNT_ID_FORMAT, { error: () => l10n.t('must be 32 hex characters (the account that owns the token)') }))),
      email: z.optional(z.string().check(z.regex(EMAIL, { error: emailText }))),
      apiKey: z.optional(z.string().check(z.regex(GLOBAL_KEY_FORMAT, { error: globalKeyFormatText }))),
    })
    .check(
      z.superRefine((a, ctx) => {
        if ((a.email === undefined) !== (a.apiKey === undefined)) {
          ctx.issues.push({ code: 'custom', input: undefined, path: [a.email === undefined ? 'email' : 'apiKey'], message: l10n.t('email and apiKey go together') });
        }
      }),
    ),
  z.object({
    profile: profileField,
    email: z.string().check(z.regex(EMAIL, { error: emailText })),
    apiKey: z.string().check(z.regex(GLOBAL_KEY_FORMAT, { error: globalKeyFormatText })),
  }),
]);

export function credentialFromArg(arg: z.infer<typeof credentialArgSchema>): { profile: string; credential: AdminCredential } {
  const profile = arg.profile ?? 'default';
  if ('apiToken' in arg) {
    return {
      profile,
      credential: {
        type: 'api-token',
        token: arg.apiToken,
        ...(arg.accountId ? { accountId: arg.accountId.toLowerCase() } : {}),
        ...(arg.email !== undefined && arg.apiKey !== undefined ? { globalKey: { email: arg.email, key: arg.apiKey } } : {}),
      },
    };
  }
  return { profile, credential: { type: 'global-key', email: arg.email, key: arg.apiKey } };
}

export class CredentialStore implements CredentialSource {
  constructor(private readonly store: SecretStore) {}

  static key(profile: string): string {
    return `${CREDENTIAL_PREFIX}${profile}`;
  }

  async get(profile: string): Promise<AdminCredential | undefined> {
    const raw = await this.store.get(CredentialStore.key(profile));
    if (raw === undefined) return undefined;
    let data: unknown;
    try {
      data = JSON.parse(raw);
    } catch {
      data = undefined;
    }
    const r = storedCredentialSchema.safeParse(data);
    if (!r.success) {
      throw new CfRotateError('credential-missing', l10n.t('The stored credential for profile "{0}" is unreadable.', profile), {
        // l10n-exempt: the sentence is wording()'s, localised there; this adds its full stop
        hint: `${cap(wording().setCredential(profile))}.`,
      });
    }
    registerCredential(r.data);
    return r.data;
  }

  async set(profile: string, credential: AdminCredential): Promise<void> {
    if (!PROFILE_NAME.test(profile)) throw new CfRotateError('validation', l10n.t('"{0}" is not a valid profile name.', profile));
    const parsed = credentialSchema.parse(credential);
    registerCredential(parsed);
    await this.store.store(CredentialStore.key(profile), JSON.stringify(parsed));
  }

  async delete(profile: string): Promise<void> {
    await this.store.delete(CredentialStore.key(profile));
  }

  async profiles(): Promise<string[]> {
    return (await this.store.keys(CREDENTIAL_PREFIX)).map((k) => k.slice(CREDENTIAL_PREFIX.length)).sort();
  }
}

