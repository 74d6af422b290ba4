/**
 * API tokens, user-owned (/user/tokens) and account-owned (/accounts/{id}/tokens): roll,
 * verify, list and read; and the check of the admin credential itself.
 */
import * as l10n from '@vscode/l10n';
import { CfRotateError } from '../errors';
import { plural } from '../l10n';
import { registerSecret } from '../redact';
import { listAccounts } from './accounts';
import * as E from './envelope';
import { ACCEPTED_SCHEMES, REQUIRED_PERMISSIONS } from './permissions';
import { callOptions, seg, type RequestCore } from './request';
import { globalKeyOf, type AccountInfo, type ApiTokenInfo, type CredentialCheck, type MutationOptions, type RequestOptions, type VerifyCredentialOptions, type VerifyResult } from './types';
import type * as z from 'zod/mini';

/**
 * An account-owned admin token (it failed the user verify route) that can see several accounts:
 * the caller must say which one owns it. `accounts` lists them (ids and names, no secrets).
 */
export class AccountChoiceNeeded extends CfRotateError {
  constructor(
    readonly accounts: AccountInfo[],
    forProfile: string,
  ) {
    super(
      'auth',
      plural(
        accounts.length,
        l10n.t("The admin API token{0} is not a user-owned token (Cloudflare's /user/tokens/verify does not know it) and it can see {1} account: cf-rotate cannot tell which one owns it.", forProfile, accounts.length),
        l10n.t("The admin API token{0} is not a user-owned token (Cloudflare's /user/tokens/verify does not know it) and it can see {1} accounts: cf-rotate cannot tell which one owns it.", forProfile, accounts.length),
      ),
      {
        hint: l10n.t(
          'Name the account that owns the token: CLI: set CLOUDFLARE_ACCOUNT_ID (CLOUDFLARE_ACCOUNT_ID_<PROFILE> for other profiles); VS Code: "Set Credential…" asks. Accounts it sees: {0}.',
          `${accounts
            .slice(0, 5)
            .map((a) => `${a.name} (${a.id})`)
            .join(', ')}${accounts.length > 5 ? ', …' : ''}`,
        ),
        status: 401,
      },
    );
  }
}

/**
 * Checks the admin credential (`CloudflareApi.verifyCredential`). The API token is checked on
 * its verify route: user-owned tokens on /user/tokens/verify, account-owned ones (`cfat_…`,
 * notes A1) only on /accounts/{id}/tokens/verify. The account comes from the credential
 * (CLOUDFLARE_ACCOUNT_ID, or the one stored by Set Credential); without one, a token the user
 * route rejects with 401 is looked for in the accounts it can see (GET /accounts: an
 * account-owned token sees its own). The Global API key is checked with GET /user.
 */
export async function verifyCredential(core: RequestCore, opts?: VerifyCredentialOptions): Promise<CredentialCheck> {
  const c = core.credential;
  const key = globalKeyOf(c);
  let out: CredentialCheck = { ok: true };
  if (c.type === 'api-token') out = await verifyAdminToken(core, c.token, opts);
  if (key && (c.type === 'global-key' || opts?.schemes === 'all')) {
    const res = await core.call({
      op: 'getUser',
      what: l10n.t('checking the admin credential (Global API key)'),
      method: 'GET',
      path: '/user',
      idempotent: true,
      rotation: false,
      permission: REQUIRED_PERMISSIONS.verifyCredential,
      schemes: ['global-key'],
      resource: l10n.t('user'),
      ...callOptions(opts),
    });
    const user = core.parse(res.result, E.UserSchema, l10n.t('checking the admin credential'), false);
    out = { ...out, ...(out.id === undefined ? { id: user.id } : {}), ...(user.email !== undefined ? { email: user.email } : {}) };
  }
  return out;
}

/** Rejected as unknown by a verify route (401): a token of another owner, or an invalid one. */
function unknownToken(e: unknown): e is CfRotateError {
  return e instanceof CfRotateError && e.kind === 'auth' && e.status === 401;
}

async function verifyAdminToken(core: RequestCore, token: string, opts?: RequestOptions): Promise<CredentialCheck> {
  const known = core.credentialAccountId;
  // A `cfut_` token is user-owned (A2); an old-format one may be either: ask the account route first when an account is named.
  const userOwned = token.startsWith('cfut_');
  // A `cfat_` token is account-owned: the user route always refuses it (A1); without its account, GET /accounts finds it.
  const accountOwned = token.startsWith('cfat_');
  const routes: (string | undefined)[] = known === undefined ? (accountOwned ? [] : [undefined]) : userOwned ? [undefined, known] : [known, undefined];
  let first: CfRotateError | undefined;
  for (const accountId of routes) {
    try {
      return await verifyAdminTokenOn(core, accountId, opts);
    } catch (e) {
      // The user route of a token that may be account-owned: 403 (9109 also answers an invalid token, A8) says no more than 401.
      const forbiddenHere = accountId === undefined && !userOwned && known === undefined && e instanceof CfRotateError && e.kind === 'permission' && e.status === 403;
      if (!unknownToken(e) && !forbiddenHere) throw e;
      first ??= e as CfRotateError;
    }
  }
  if (known === undefined && !userOwned) {
    // Not a user-owned token, or not a valid one: an account-owned token sees its own account (A1).
    let accounts: AccountInfo[];
    try {
      accounts = await listAccounts(core, opts, ['api-token']);
    } catch (e) {
      throw first ?? e;
    }
    if (accounts.length > 1) throw new AccountChoiceNeeded(accounts, core.forProfile());
    const only = accounts[0];
    if (only) {
      try {
        return await verifyAdminTokenOn(core, only.id, opts);
      } catch (e) {
        if (!unknownToken(e)) throw e;
        first ??= e;
      }
    }
  }
  throw first ?? new CfRotateError('auth', l10n.t('The admin credential{0} was rejected: it is an account-owned API token, and it sees no account to verify it on.', core.forProfile()), {
    hint: l10n.t('Check the token in the Cloudflare dashboard, or name its account (CLOUDFLARE_ACCOUNT_ID, or "accountId" with the token).'),
    status: 401,
  });
}

async function verifyAdminTokenOn(core: RequestCore, accountId: string | undefined, opts?: RequestOptions): Promise<CredentialCheck> {
  const res = await core.call({
    op: accountId ? 'verifyAccountToken' : 'verifyUserToken',
    what: accountId ? l10n.t('checking the admin credential (API token of account {0})', accountId) : l10n.t('checking the admin credential (API token)'),
    method: 'GET',
    path: accountId ? `/accounts/${seg(accountId, l10n.t('account id'))}/tokens/verify` : '/user/tokens/verify',
    idempotent: true,
    rotation: false,
    permission: REQUIRED_PERMISSIONS.verifyCredential,
    schemes: ['api-token'],
    resource: l10n.t('token'),
    ...callOptions(opts),
  });
  const v = core.parse(res.result, E.VerifyResultSchema, l10n.t('checking the admin credential'), false);
  if (v.status !== 'active') {
    throw new CfRotateError('auth', l10n.t('The admin credential{0} is {1}.', core.forProfile(), v.status), {
      hint: l10n.t('Create or re-enable an API token in the Cloudflare dashboard and set it again for this profile.'),
      status: 200,
    });
  }
  return { ok: true, id: v.id, status: v.status, ...(accountId ? { accountId } : {}), ...(v.expires_on ? { expiresOn: v.expires_on } : {}) };
}

export async function rollUserToken(core: RequestCore, tokenId: string, opts?: MutationOptions): Promise<string> {
  const what = l10n.t('rolling user API token {0}', tokenId);
  const res = await core.call({
    op: 'rollUserToken',
    what,
    method: 'PUT',
    path: `/user/tokens/${seg(tokenId, l10n.t('token id'))}/value`,
    body: {},
    idempotent: false,
    rotation: true,
    permission: REQUIRED_PERMISSIONS.rollUserToken,
    schemes: ACCEPTED_SCHEMES.rollUserToken,
    resource: l10n.t('user API token'),
    ...callOptions(opts),
    secret: { extract: tokenValue, onSecret: opts?.onSecret },
  });
  return core.parse(res.result, E.TokenValueSchema, what, true);
}

export async function rollAccountToken(core: RequestCore, accountId: string, tokenId: string, opts?: MutationOptions): Promise<string> {
  const what = l10n.t('rolling account API token {0} (account {1})', tokenId, accountId);
  const res = await core.call({
    op: 'rollAccountToken',
    what,
    method: 'PUT',
    path: `/accounts/${seg(accountId, l10n.t('account id'))}/tokens/${seg(tokenId, l10n.t('token id'))}/value`,
    body: {},
    idempotent: false,
    rotation: true,
    permission: REQUIRED_PERMISSIONS.rollAccountToken,
    schemes: ACCEPTED_SCHEMES.rollAccountToken,
    resource: l10n.t('account API token'),
    ...callOptions(opts),
    secret: { extract: tokenValue, onSecret: opts?.onSecret },
  });
  return core.parse(res.result, E.TokenValueSchema, what, true);
}

export async function verifyToken(core: RequestCore, tokenValue: string, accountId?: string, opts?: RequestOptions): Promise<VerifyResult> {
  registerSecret(tokenValue);
  const what = accountId ? l10n.t('verifying an account API token value (account {0})', accountId) : l10n.t('verifying an API token value');
  const res = await core.call({
    op: accountId ? 'verifyAccountToken' : 'verifyUserToken',
    what,
    method: 'GET',
    path: accountId ? `/accounts/${seg(accountId, l10n.t('account id'))}/tokens/verify` : '/user/tokens/verify',
    idempotent: true,
    rotation: false,
    permission: REQUIRED_PERMISSIONS.verifyToken,
    schemes: ACCEPTED_SCHEMES.verifyToken,
    resource: l10n.t('token'),
    bearer: tokenValue,
    ...callOptions(opts),
  });
  const v = core.parse(res.result, E.VerifyResultSchema, what, false);
  return { id: v.id, status: v.status, expiresOn: v.expires_on ?? undefined, notBefore: v.not_before ?? undefined };
}

export async function listUserTokens(core: RequestCore, opts?: RequestOptions): Promise<ApiTokenInfo[]> {
  const items = await core.paginate(
    {
      op: 'listUserTokens',
      what: l10n.t('listing user API tokens'),
      method: 'GET',
      path: '/user/tokens',
      idempotent: true,
      rotation: false,
      permission: REQUIRED_PERMISSIONS.listUserTokens,
      schemes: ACCEPTED_SCHEMES.listUserTokens,
      resource: l10n.t('user'),
      ...callOptions(opts),
    },
    E.TokenListSchema,
    'numbered',
  );
  return items.map(toApiTokenInfo);
}

export async function getUserToken(core: RequestCore, tokenId: string, opts?: RequestOptions): Promise<ApiTokenInfo> {
  const what = l10n.t('reading user API token {0}', tokenId);
  const res = await core.call({
    op: 'getUserToken',
    what,
    method: 'GET',
    path: `/user/tokens/${seg(tokenId, l10n.t('token id'))}`,
    idempotent: true,
    rotation: false,
    permission: REQUIRED_PERMISSIONS.getUserToken,
    schemes: ACCEPTED_SCHEMES.getUserToken,
    resource: l10n.t('user API token'),
    ...callOptions(opts),
  });
  return toApiTokenInfo(core.parse(res.result, E.TokenSchema, what, false));
}

export async function listAccountTokens(core: RequestCore, accountId: string, opts?: RequestOptions): Promise<ApiTokenInfo[]> {
  const items = await core.paginate(
    {
      op: 'listAccountTokens',
      what: l10n.t('listing account API tokens (account {0})', accountId),
      method: 'GET',
      path: `/accounts/${seg(accountId, l10n.t('account id'))}/tokens`,
      idempotent: true,
      rotation: false,
      permission: REQUIRED_PERMISSIONS.listAccountTokens,
      schemes: ACCEPTED_SCHEMES.listAccountTokens,
      resource: l10n.t('account'),
      ...callOptions(opts),
    },
    E.TokenListSchema,
    'numbered',
  );
  return items.map(toApiTokenInfo);
}

export async function getAccountToken(core: RequestCore, accountId: string, tokenId: string, opts?: RequestOptions): Promise<ApiTokenInfo> {
  const what = l10n.t('reading account API token {0} (account {1})', tokenId, accountId);
  const res = await core.call({
    op: 'getAccountToken',
    what,
    method: 'GET',
    path: `/accounts/${seg(accountId, l10n.t('account id'))}/tokens/${seg(tokenId, l10n.t('token id'))}`,
    idempotent: true,
    rotation: false,
    permission: REQUIRED_PERMISSIONS.getAccountToken,
    schemes: ACCEPTED_SCHEMES.getAccountToken,
    resource: l10n.t('account API token'),
    ...callOptions(opts),
  });
  return toApiTokenInfo(core.parse(res.result, E.TokenSchema, what, false));
}

function toApiTokenInfo(t: z.output<typeof E.TokenSchema>): ApiTokenInfo {
  return {
    id: t.id,
    name: t.name ?? '',
    status: t.status ?? undefined,
    issuedOn: t.issued_on ?? undefined,
    modifiedOn: t.modified_on ?? undefined,
    lastUsedOn: t.last_used_on ?? undefined,
    expiresOn: t.expires_on ?? undefined,
    notBefore: t.not_before ?? undefined,
  };
}

/** The roll result is the new token value itself. */
function tokenValue(result: unknown): { token: string } | undefined {
  return typeof result === 'string' && result.length > 0 ? { token: result } : undefined;
}
