/**
 * The headers of one request: which authentication scheme the operation gets (the first one
 * Cloudflare accepts for it that the admin credential holds, notes A5), and the refusal, before
 * anything is sent, of a credential that holds none or cannot be sent in a header.
 */
import * as l10n from '@vscode/l10n';
import { CfRotateError } from '../errors';
import { cap } from './failures';
import { chooseScheme, schemeRefusal } from './permissions';
import type { CallSpec } from './request';
import { globalKeyOf, type AdminCredential, type AuthScheme } from './types';

/** Printable ASCII without spaces: what may go into Authorization / X-Auth-* headers. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

/** Who is sending: the (trimmed) admin credential, its profile and the client's user agent. */
export interface Sender {
  credential: AdminCredential;
  profile: string | undefined;
  /** " for profile \"name\"" after "the admin credential", or ''. */
  forProfile: string;
  userAgent: string;
}

/** Request headers; a credential that cannot be sent in a header is refused before anything is sent. */
export function requestHeaders(spec: CallSpec, sender: Sender): { headers: Record<string, string>; scheme: AuthScheme | undefined } {
  const { credential, profile, forProfile } = sender;
  const h: Record<string, string> = { accept: 'application/json', 'user-agent': sender.userAgent };
  if (spec.body !== undefined) h['content-type'] = 'application/json';
  if (spec.bearer !== undefined) {
    if (!HEADER_SAFE.test(spec.bearer)) {
      throw new CfRotateError('validation', l10n.t('{0} failed: the token value contains characters that cannot be sent (spaces, line breaks or non-ASCII).', cap(spec.what)), {
        hint: l10n.t('Check the stored value: Cloudflare token values are 40–80 printable ASCII characters.'),
      });
    }
    h['authorization'] = `Bearer ${spec.bearer}`;
    return { headers: h, scheme: undefined };
  }
  // The scheme this operation accepts (API token first): never a Bearer where Cloudflare declares email + key only.
  const only = spec.userOwnedTokensOnly;
  const accountOwned = only !== undefined && credential.type === 'api-token' && (only.accountOwned === true || credential.token.startsWith('cfat_'));
  const schemes = accountOwned ? spec.schemes.filter((s) => s !== 'api-token') : spec.schemes;
  const scheme = chooseScheme(schemes, credential);
  if (scheme === undefined) {
    throw accountOwned && only
      ? schemeRefusal(spec.what, ['global-key'], credential, profile, only.reason, true)
      : schemeRefusal(spec.what, spec.schemes, credential, profile);
  }
  const key = scheme === 'global-key' ? globalKeyOf(credential) : undefined;
  const token = scheme === 'api-token' && credential.type === 'api-token' ? credential.token : undefined;
  const ok = token !== undefined ? HEADER_SAFE.test(token) : key !== undefined && HEADER_SAFE.test(key.key) && HEADER_SAFE.test(key.email);
  if (!ok) {
    const held = token !== undefined ? l10n.t('API token') : l10n.t('email + Global API key');
    throw new CfRotateError('auth', l10n.t('{0} failed: the admin credential{1} ({2}) contains characters that cannot be sent (spaces, line breaks or non-ASCII).', cap(spec.what), forProfile, held), {
      hint: l10n.t('Set the admin credential{0} again, without surrounding spaces or line breaks.', forProfile),
    });
  }
  if (token !== undefined) h['authorization'] = `Bearer ${token}`;
  else if (key !== undefined) {
    h['x-auth-email'] = key.email;
    h['x-auth-key'] = key.key;
  }
  return { headers: h, scheme };
}
