/**
 * May the admin API token write a destination? Cloudflare offers no dry run of a write, but an API
 * token can read its own policies (GET /user/tokens/{id} or /accounts/{a}/tokens/{id}, with "API
 * Tokens Read" / "Account API Tokens Read"), and each policy names its permission groups
 * (`permission_groups[{id, name}]`) and the resources they cover. This reads them, best effort:
 *
 * - `granted`: an allow policy names the Write permission on the account (or on every account);
 * - `missing`: a deny policy names the Write permission on the account, or no allow policy names
 *   it there while one names its Read counterpart there (the credential reads the destination
 *   through Read, so Cloudflare's names are the ones cf-rotate knows, and Write is not among them);
 * - `unknown`: anything else (groups without names, resources of a shape cf-rotate does not read,
 *   neither name present): the write itself will tell.
 *
 * Pure: no I/O, never a secret.
 */
import type { TokenGrant } from './types';

export type GrantVerdict = 'granted' | 'missing' | 'unknown';

const ACCOUNT = 'com.cloudflare.api.account.';
const HEX32 = /^[0-9a-f]{32}$/i;

/** Does a policy's resource map cover `accountId`? `unknown`: it names something cf-rotate does not read. */
export function coversAccount(resources: TokenGrant['resources'], accountId: string): 'yes' | 'no' | 'unknown' {
  let out: 'no' | 'unknown' = 'no';
  for (const [key, value] of Object.entries(resources)) {
    const rest = key.startsWith(ACCOUNT) ? key.slice(ACCOUNT.length) : undefined;
    if (rest !== undefined && (rest === '*' || rest.toLowerCase() === accountId.toLowerCase())) {
      // "*": the whole account; an object: zones inside it, which an account-level permission does not use.
      if (value === '*') return 'yes';
      out = 'unknown';
    } else if (rest !== undefined && HEX32.test(rest)) {
      continue; // another account
    } else if (key.startsWith('com.cloudflare.api.user.')) {
      continue; // the user's own resources
    } else {
      out = 'unknown';
    }
  }
  return out;
}

/** What the token's policies say about `write` (and its `read` counterpart) on `accountId`. */
export function grantVerdict(grants: readonly TokenGrant[], perm: { write: string; read: string }, accountId: string): GrantVerdict {
  const is = (name: string | undefined, want: string): boolean => name !== undefined && name.trim().toLowerCase() === want.toLowerCase();
  for (const g of grants) {
    if (g.effect === 'deny' && g.permissions.some((n) => is(n, perm.write)) && coversAccount(g.resources, accountId) === 'yes') return 'missing';
  }
  let unknown = false;
  let readHere = false;
  for (const g of grants) {
    if (g.effect !== 'allow') continue;
    const cover = coversAccount(g.resources, accountId);
    if (g.permissions.some((n) => is(n, perm.write))) {
      if (cover === 'yes') return 'granted';
      if (cover === 'unknown') unknown = true;
    }
    if (cover !== 'no' && g.permissions.some((n) => n === undefined)) unknown = true;
    if (cover === 'yes' && g.permissions.some((n) => is(n, perm.read))) readHere = true;
  }
  return !unknown && readHere ? 'missing' : 'unknown';
}

/** The Read permission of a Write permission's family ("Workers Scripts Write" → "Workers Scripts Read"). */
export function readCounterpart(write: string): string {
  return write.replace(/ Write$/, ' Read');
}
