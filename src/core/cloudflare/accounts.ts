/** Accounts and zones the admin credential can see: discovery for the add-token wizard. */
import * as l10n from '@vscode/l10n';
import * as E from './envelope';
import { ACCEPTED_SCHEMES, REQUIRED_PERMISSIONS } from './permissions';
import { callOptions, type RequestCore } from './request';
import type { AccountInfo, AuthScheme, RequestOptions, ZoneInfo } from './types';

/** `schemes`: narrower than the operation's own (e.g. the API token only, to find the account that owns it). */
export async function listAccounts(core: RequestCore, opts?: RequestOptions, schemes: readonly AuthScheme[] = ACCEPTED_SCHEMES.listAccounts): Promise<AccountInfo[]> {
  const items = await core.paginate(
    {
      op: 'listAccounts',
      what: l10n.t('listing accounts'),
      method: 'GET',
      path: '/accounts',
      idempotent: true,
      rotation: false,
      permission: REQUIRED_PERMISSIONS.listAccounts,
      schemes,
      resource: l10n.t('account list'),
      ...callOptions(opts),
    },
    E.AccountListSchema,
    'numbered',
  );
  return items.map((a) => ({ id: a.id, name: a.name }));
}

export async function listZones(core: RequestCore, accountId?: string, opts?: RequestOptions): Promise<ZoneInfo[]> {
  const items = await core.paginate(
    {
      op: 'listZones',
      what: accountId ? l10n.t('listing zones (account {0})', accountId) : l10n.t('listing zones'),
      method: 'GET',
      path: '/zones',
      query: accountId ? { 'account.id': accountId } : {},
      idempotent: true,
      rotation: false,
      permission: REQUIRED_PERMISSIONS.listZones,
      schemes: ACCEPTED_SCHEMES.listZones,
      resource: l10n.t('account'),
      ...callOptions(opts),
    },
    E.ZoneListSchema,
    'numbered',
  );
  return items.map((zn) => ({ id: zn.id, name: zn.name, accountId: zn.account?.id ?? undefined }));
}
