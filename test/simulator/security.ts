/**
 * Which authentication scheme each route accepts, taken from the `security` that Cloudflare's
 * OpenAPI document declares for the operation (notes A5), and the documentation page a 403
 * names in `documentation_url` (changelog 2026-08-20 "contextual 403s").
 *
 * Sources, newest first:
 *   F  = ../shared/cloudflare-openapi/rotation-ops-c92b9b0.fragments.json (openapi.json @c92b9b0, 2026-07-27)
 *   S  = ../shared/cloudflare-openapi/rotation-subset.json (openapi.json @8c9b6cfb, 2024-08-07)
 * Where the two disagree, F wins (it is the current contract). The faithfulness test
 * (test/unit/simulator/faithfulness.test.ts) checks this table against both files.
 *
 * Reading of a requirement object: OpenAPI lists alternatives as separate objects and
 * combinations inside one object. F declares `[{api_email, api_key, api_token}]` for the
 * account-level Access operations: read literally that is "all three at once", which no client
 * sends; Cloudflare's notes (A5) and the SDK treat it as "email + key, or a token". So a scheme
 * here is `api_token` (Authorization: Bearer) or `api_key` (X-Auth-Email + X-Auth-Key together).
 */

/** `api_token`: Authorization: Bearer <API token>. `api_key`: X-Auth-Email + X-Auth-Key (Global API key). */
export type AuthScheme = 'api_token' | 'api_key';

export interface SecurityRule {
  method: string;
  /** Path template as in the OpenAPI documents. */
  path: string;
  schemes: readonly AuthScheme[];
  /** Where the rule comes from. */
  source: string;
  /** What a 403 on this route names in `documentation_url`. */
  docs: string;
}

const DOCS = 'https://developers.cloudflare.com/api/resources';
const TOKEN: readonly AuthScheme[] = ['api_token'];
const KEY: readonly AuthScheme[] = ['api_key'];
const EITHER: readonly AuthScheme[] = ['api_token', 'api_key'];

const F_TOKEN = 'F: security [{api_token}] (S agrees where the path exists)';
const F_ACCOUNT_ACCESS = 'F: security [{api_email, api_key, api_token}] = email + key, or token (A5); S (2024) had email + key only';
const F_ZONE_ACCESS = 'F and S: security [{api_email, api_key}]: no API token';
const DEST_SOURCE = 'not in F or S: SDK @faaaf89e; both schemes, as account-level APIs generally (unverified live)';

const svc = (scope: 'accounts' | 'zones', method: string, suffix: string, docsMethod: string, schemes: readonly AuthScheme[], source: string): SecurityRule => ({
  method,
  path: `/${scope}/{${scope === 'accounts' ? 'account_id' : 'zone_id'}}/access/service_tokens${suffix}`,
  schemes,
  source,
  docs: `${DOCS}/zero_trust/subresources/access/subresources/service_tokens/methods/${docsMethod}/`,
});

export const SECURITY: readonly SecurityRule[] = [
  // API tokens (user-owned)
  { method: 'GET', path: '/user/tokens/verify', schemes: TOKEN, source: F_TOKEN, docs: `${DOCS}/user/subresources/tokens/methods/verify/` },
  { method: 'GET', path: '/user/tokens', schemes: TOKEN, source: F_TOKEN, docs: `${DOCS}/user/subresources/tokens/methods/list/` },
  { method: 'GET', path: '/user/tokens/{token_id}', schemes: TOKEN, source: F_TOKEN, docs: `${DOCS}/user/subresources/tokens/methods/get/` },
  { method: 'PUT', path: '/user/tokens/{token_id}/value', schemes: TOKEN, source: F_TOKEN, docs: `${DOCS}/user/subresources/tokens/subresources/value/methods/update/` },
  // API tokens (account-owned)
  { method: 'GET', path: '/accounts/{account_id}/tokens/verify', schemes: TOKEN, source: 'F: security [{api_token}] (not in S)', docs: `${DOCS}/accounts/subresources/tokens/methods/verify/` },
  { method: 'GET', path: '/accounts/{account_id}/tokens', schemes: TOKEN, source: 'F: security [{api_token}] (not in S)', docs: `${DOCS}/accounts/subresources/tokens/methods/list/` },
  { method: 'GET', path: '/accounts/{account_id}/tokens/{token_id}', schemes: TOKEN, source: 'F: security [{api_token}] (not in S)', docs: `${DOCS}/accounts/subresources/tokens/methods/get/` },
  { method: 'PUT', path: '/accounts/{account_id}/tokens/{token_id}/value', schemes: TOKEN, source: 'F: security [{api_token}] (not in S)', docs: `${DOCS}/accounts/subresources/tokens/subresources/value/methods/update/` },
  // Access service tokens, account level
  svc('accounts', 'GET', '', 'list', EITHER, F_ACCOUNT_ACCESS),
  svc('accounts', 'POST', '', 'create', EITHER, F_ACCOUNT_ACCESS),
  svc('accounts', 'GET', '/{service_token_id}', 'get', EITHER, F_ACCOUNT_ACCESS),
  svc('accounts', 'PUT', '/{service_token_id}', 'update', EITHER, 'not in F (notObtained): as its account-level siblings in F; S (2024) had email + key only'),
  svc('accounts', 'DELETE', '/{service_token_id}', 'delete', EITHER, F_ACCOUNT_ACCESS),
  svc('accounts', 'POST', '/{service_token_id}/refresh', 'refresh', EITHER, F_ACCOUNT_ACCESS),
  svc('accounts', 'POST', '/{service_token_id}/rotate', 'rotate', EITHER, F_ACCOUNT_ACCESS),
  // Access service tokens, zone level (no refresh / rotate upstream)
  svc('zones', 'GET', '', 'list', KEY, F_ZONE_ACCESS),
  svc('zones', 'POST', '', 'create', KEY, F_ZONE_ACCESS),
  svc('zones', 'GET', '/{service_token_id}', 'get', KEY, F_ZONE_ACCESS),
  svc('zones', 'PUT', '/{service_token_id}', 'update', KEY, F_ZONE_ACCESS),
  svc('zones', 'DELETE', '/{service_token_id}', 'delete', KEY, F_ZONE_ACCESS),
  // MoQ (x-stability: beta)
  { method: 'GET', path: '/accounts/{account_id}/moq/relays', schemes: TOKEN, source: 'F: security [{api_token}]', docs: `${DOCS}/moq/subresources/relays/methods/list/` },
  { method: 'GET', path: '/accounts/{account_id}/moq/relays/{relay_id}', schemes: TOKEN, source: 'F: security [{api_token}]', docs: `${DOCS}/moq/subresources/relays/methods/get/` },
  { method: 'GET', path: '/accounts/{account_id}/moq/relays/{relay_id}/tokens', schemes: TOKEN, source: 'F: security [{api_token}]', docs: `${DOCS}/moq/subresources/relays/subresources/tokens/methods/list/` },
  { method: 'POST', path: '/accounts/{account_id}/moq/relays/{relay_id}/tokens', schemes: TOKEN, source: 'F: security [{api_token}]', docs: `${DOCS}/moq/subresources/relays/subresources/tokens/methods/create/` },
  { method: 'DELETE', path: '/accounts/{account_id}/moq/relays/{relay_id}/tokens/{jti}', schemes: TOKEN, source: 'F: security [{api_token}]', docs: `${DOCS}/moq/subresources/relays/subresources/tokens/methods/delete/` },
  // API tokens created and deleted (strategy "replace"): not in F or S; as their siblings in F.
  { method: 'POST', path: '/user/tokens', schemes: TOKEN, source: 'not in F or S: API reference (API token only), as the /user/tokens* operations in F', docs: `${DOCS}/user/subresources/tokens/methods/create/` },
  { method: 'DELETE', path: '/user/tokens/{token_id}', schemes: TOKEN, source: 'not in F or S: API reference (API token only), as the /user/tokens* operations in F', docs: `${DOCS}/user/subresources/tokens/methods/delete/` },
  { method: 'POST', path: '/accounts/{account_id}/tokens', schemes: TOKEN, source: 'not in F or S: API reference (API token only), as the /accounts/{a}/tokens* operations in F', docs: `${DOCS}/accounts/subresources/tokens/methods/create/` },
  { method: 'DELETE', path: '/accounts/{account_id}/tokens/{token_id}', schemes: TOKEN, source: 'not in F or S: API reference (API token only), as the /accounts/{a}/tokens* operations in F', docs: `${DOCS}/accounts/subresources/tokens/methods/delete/` },
  // Turnstile (account-owned API tokens refused by the route itself, zeroDowntime.ts) and OAuth clients: not in F or S; Cloudflare's API reference lists both schemes.
  { method: 'GET', path: '/accounts/{account_id}/challenges/widgets', schemes: EITHER, source: 'not in F or S: API reference (API token, or email + key); no account-owned tokens', docs: `${DOCS}/turnstile/subresources/widgets/methods/list/` },
  { method: 'GET', path: '/accounts/{account_id}/challenges/widgets/{sitekey}', schemes: EITHER, source: 'not in F or S: API reference (API token, or email + key); no account-owned tokens', docs: `${DOCS}/turnstile/subresources/widgets/methods/get/` },
  { method: 'POST', path: '/accounts/{account_id}/challenges/widgets/{sitekey}/rotate_secret', schemes: EITHER, source: 'not in F or S: API reference (API token, or email + key); no account-owned tokens', docs: `${DOCS}/turnstile/subresources/widgets/methods/rotate_secret/` },
  { method: 'GET', path: '/accounts/{account_id}/oauth_clients', schemes: EITHER, source: 'not in F or S: API reference (API token, or email + key)', docs: `${DOCS}/iam/subresources/oauth_clients/methods/list/` },
  { method: 'GET', path: '/accounts/{account_id}/oauth_clients/{oauth_client_id}', schemes: EITHER, source: 'not in F or S: API reference (API token, or email + key)', docs: `${DOCS}/iam/subresources/oauth_clients/methods/get/` },
  { method: 'POST', path: '/accounts/{account_id}/oauth_clients/{oauth_client_id}/rotate_secret', schemes: EITHER, source: 'not in F or S: API reference (API token, or email + key)', docs: `${DOCS}/iam/subresources/oauth_clients/methods/rotate_secret/` },
  { method: 'DELETE', path: '/accounts/{account_id}/oauth_clients/{oauth_client_id}/rotate_secret', schemes: EITHER, source: 'not in F or S: API reference (API token, or email + key)', docs: `${DOCS}/iam/subresources/oauth_clients/methods/delete_rotated_secret/` },
  // Destinations of a new secret: not in F or S; the SDK (@faaaf89e) calls them with either scheme, as account-level APIs generally (unverified live).
  { method: 'GET', path: '/accounts/{account_id}/workers/scripts/{script_name}/secrets', schemes: EITHER, source: DEST_SOURCE, docs: `${DOCS}/workers/subresources/scripts/subresources/secrets/methods/list/` },
  { method: 'PUT', path: '/accounts/{account_id}/workers/scripts/{script_name}/secrets', schemes: EITHER, source: DEST_SOURCE, docs: `${DOCS}/workers/subresources/scripts/subresources/secrets/methods/update/` },
  { method: 'GET', path: '/accounts/{account_id}/workers/scripts/{script_name}/settings', schemes: EITHER, source: DEST_SOURCE, docs: `${DOCS}/workers/subresources/scripts/subresources/script_and_version_settings/methods/get/` },
  { method: 'GET', path: '/accounts/{account_id}/pages/projects/{project_name}', schemes: EITHER, source: DEST_SOURCE, docs: `${DOCS}/pages/subresources/projects/methods/get/` },
  { method: 'PATCH', path: '/accounts/{account_id}/pages/projects/{project_name}', schemes: EITHER, source: DEST_SOURCE, docs: `${DOCS}/pages/subresources/projects/methods/edit/` },
  { method: 'GET', path: '/accounts/{account_id}/secrets_store/stores/{store_id}/secrets/{secret_id}', schemes: EITHER, source: DEST_SOURCE, docs: `${DOCS}/secrets_store/subresources/stores/subresources/secrets/methods/get/` },
  { method: 'PATCH', path: '/accounts/{account_id}/secrets_store/stores/{store_id}/secrets/{secret_id}', schemes: EITHER, source: DEST_SOURCE, docs: `${DOCS}/secrets_store/subresources/stores/subresources/secrets/methods/edit/` },
  // Discovery: not in our documents; both schemes work on the live API (unverified beyond that).
  { method: 'GET', path: '/accounts', schemes: EITHER, source: 'not in F or S: both schemes (as the live API)', docs: `${DOCS}/accounts/methods/list/` },
  { method: 'GET', path: '/zones', schemes: EITHER, source: 'not in F or S: both schemes (as the live API)', docs: `${DOCS}/zones/methods/list/` },
  { method: 'GET', path: '/user', schemes: EITHER, source: 'not in F or S: both schemes (as the live API)', docs: `${DOCS}/user/methods/get/` },
];

/** The rule of a route; throws when a route has none (every route must be in the table). */
export function securityOf(method: string, path: string): SecurityRule {
  const rule = SECURITY.find((r) => r.method === method && r.path === path);
  if (rule === undefined) throw new Error(`simulator: no security rule for ${method} ${path}`);
  return rule;
}
