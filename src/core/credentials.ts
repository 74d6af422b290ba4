/** Admin credentials (named profiles) in the SecretStore. Never in settings, files or logs. */
import { cap, wording } from './wording';
import * as z from 'zod/mini';
import type { AdminCredential } from './cloudflare/types';
import { CfRotateError } from './errors';
import type { SecretStore } from './ports';
import { registerSecret } from './redact';

export const CREDENTIAL_PREFIX = 'cfRotate.credential.';
export const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$/;

const TOKEN_VALUE = /^[A-Za-z0-9._~+/=-]{20,200}$/;
const GLOBAL_KEY = /^[A-Za-z0-9]{20,100}$/;

export const credentialSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('api-token'), token: z.string().check(z.regex(TOKEN_VALUE, 'is not an API token')) }),
  z.object({
    type: z.literal('global-key'),
    email: z.string().check(z.regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address')),
    key: z.string().check(z.regex(GLOBAL_KEY, 'is not a Global API key')),
  }),
]);

/** Command argument forms: `{profile, apiToken}` or `{profile, email, apiKey}`. */
export const credentialArgSchema = z.union([
  z.object({ profile: z.optional(z.string().check(z.regex(PROFILE_NAME))), apiToken: z.string().check(z.regex(TOKEN_VALUE, 'is not an API token')) }),
  z.object({
    profile: z.optional(z.string().check(z.regex(PROFILE_NAME))),
    email: z.string().check(z.regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address')),
    apiKey: z.string().check(z.regex(GLOBAL_KEY, 'is not a Global API key')),
  }),
]);

export function credentialFromArg(arg: z.infer<typeof credentialArgSchema>): { profile: string; credential: AdminCredential } {
  const profile = arg.profile ?? 'default';
  if ('apiToken' in arg) return { profile, credential: { type: 'api-token', token: arg.apiToken } };
  return { profile, credential: { type: 'global-key', email: arg.email, key: arg.apiKey } };
}

export function registerCredential(c: AdminCredential): void {
  if (c.type === 'api-token') registerSecret(c.token);
  else registerSecret(c.key);
}

export interface CredentialSource {
  get(profile: string): Promise<AdminCredential | undefined>;
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
    const r = credentialSchema.safeParse(data);
    if (!r.success) {
      throw new CfRotateError('credential-missing', `The stored credential for profile "${profile}" is unreadable.`, {
        hint: `${cap(wording().setCredential(profile))}.`,
      });
    }
    registerCredential(r.data);
    return r.data;
  }

  async set(profile: string, credential: AdminCredential): Promise<void> {
    if (!PROFILE_NAME.test(profile)) throw new CfRotateError('validation', `"${profile}" is not a valid profile name.`);
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

/**
 * Credentials from wrangler's environment variables: CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL +
 * CLOUDFLARE_API_KEY, for profile "default"; CLOUDFLARE_API_TOKEN_<PROFILE> (upper-case, non-alphanumerics
 * as _) for other profiles.
 */
export class EnvCredentialSource implements CredentialSource {
  constructor(private readonly env: NodeJS.ProcessEnv) {}

  async get(profile: string): Promise<AdminCredential | undefined> {
    const suffix = profile === 'default' ? '' : `_${profile.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
    const token = this.env[`CLOUDFLARE_API_TOKEN${suffix}`];
    const email = this.env[`CLOUDFLARE_EMAIL${suffix}`];
    const key = this.env[`CLOUDFLARE_API_KEY${suffix}`];
    let c: AdminCredential | undefined;
    if (token) c = { type: 'api-token', token: token.trim() };
    else if (email && key) c = { type: 'global-key', email: email.trim(), key: key.trim() };
    if (c) registerCredential(c);
    return c;
  }
}
