/**
 * Where the engine gets admin credentials (`CredentialSource`), the CLI's source (wrangler's
 * environment variables), and registering a credential's secrets with the redactor. Kept apart
 * from credentials.ts (the stored credentials and their zod schemas) so that the CLI bundle
 * carries no schema it does not use.
 */
import type { AdminCredential } from './cloudflare/types';
import { registerSecret } from './redact';

/**
 * The environment-variable suffix of a profile: '' for "default" (or none), else `_<PROFILE>`
 * (upper case, other characters as _). The one rule for every variable name the CLI reads or names
 * in a hint (CLOUDFLARE_API_TOKEN_<PROFILE>, CLOUDFLARE_ACCOUNT_ID_<PROFILE>, …).
 */
export function envSuffix(profile: string | undefined): string {
  return profile === undefined || profile === 'default' ? '' : `_${profile.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** Register every secret of a credential (token and Global API key) with the redactor. */
export function registerCredential(c: AdminCredential): void {
  if (c.type === 'api-token') {
    registerSecret(c.token);
    if (c.globalKey) registerSecret(c.globalKey.key);
  } else registerSecret(c.key);
}

export interface CredentialSource {
  get(profile: string): Promise<AdminCredential | undefined>;
}

/**
 * Credentials from wrangler's environment variables. Profile "default": CLOUDFLARE_API_TOKEN,
 * and/or CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY. Other profiles: the same names with the suffix
 * `_<PROFILE>` (upper case, other characters as _): CLOUDFLARE_API_TOKEN_<PROFILE>,
 * CLOUDFLARE_EMAIL_<PROFILE> + CLOUDFLARE_API_KEY_<PROFILE>. When both schemes are set the
 * credential holds both, and each operation uses the one Cloudflare accepts for it (the API token
 * where both work; notes A5). CLOUDFLARE_ACCOUNT_ID[_<PROFILE>] is read by the CLI's client
 * factory (src/cli/api.ts).
 */
export class EnvCredentialSource implements CredentialSource {
  constructor(private readonly env: NodeJS.ProcessEnv) {}

  async get(profile: string): Promise<AdminCredential | undefined> {
    const suffix = envSuffix(profile);
    const token = this.env[`CLOUDFLARE_API_TOKEN${suffix}`]?.trim();
    const email = this.env[`CLOUDFLARE_EMAIL${suffix}`]?.trim();
    const key = this.env[`CLOUDFLARE_API_KEY${suffix}`]?.trim();
    let c: AdminCredential | undefined;
    if (token) c = { type: 'api-token', token, ...(email && key ? { globalKey: { email, key } } : {}) };
    else if (email && key) c = { type: 'global-key', email, key };
    if (c) registerCredential(c);
    return c;
  }
}
