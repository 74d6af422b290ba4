/**
 * Turnstile widgets (/accounts/{a}/challenges/widgets): list, read (with the current secret),
 * rotate the secret. The previous secret stays valid 2 hours unless `invalidate_immediately`;
 * "secrets cannot be rotated again during the grace period". Turnstile does not accept
 * account-owned API tokens (cloudflare-docs `partials/fundamentals/account-owned-tokens.mdx`
 * @0fd5d99b, notes B): with one, the profile's Global API key is used, or nothing is sent.
 *
 * Shapes: SDK `turnstile/widgets.ts` (`Widget`, `WidgetListResponse`) @7979faa6; per_page 5–1000.
 */
import * as l10n from '@vscode/l10n';
import * as z from 'zod/mini';
import { CfRotateError } from '../errors';
import { registerSecret } from '../redact';
import { cap } from './failures';
import { ACCEPTED_SCHEMES, REQUIRED_PERMISSIONS } from './permissions';
import { callOptions, seg, type RequestCore } from './request';
import type { MutationOptions, SecretValues, TurnstileOptions, TurnstileWidget } from './types';

const optText = z.optional(z.nullable(z.string()));

export const TurnstileWidgetSchema = z.object({
  sitekey: z.string().check(z.minLength(1)),
  name: z.string(),
  mode: optText,
  domains: z.optional(z.nullable(z.array(z.string()))),
  created_on: optText,
  modified_on: optText,
  secret: optText,
});

/** Why the admin credential's account-owned API token is not used (a function: the words are translated when shown). */
export function noAccountOwnedTokens(): string {
  return l10n.t('Turnstile does not accept account-owned API tokens');
}

function only(opts: TurnstileOptions | undefined): { accountOwned?: boolean; reason: string } {
  return { ...(opts?.adminTokenAccountOwned ? { accountOwned: true } : {}), reason: noAccountOwnedTokens() };
}

function toWidget(w: z.output<typeof TurnstileWidgetSchema>): TurnstileWidget {
  if (typeof w.secret === 'string') registerSecret(w.secret);
  return {
    sitekey: w.sitekey,
    name: w.name,
    mode: w.mode ?? undefined,
    domains: w.domains ?? undefined,
    createdOn: w.created_on ?? undefined,
    modifiedOn: w.modified_on ?? undefined,
    secret: w.secret ?? undefined,
  };
}

export async function listTurnstileWidgets(core: RequestCore, accountId: string, opts?: TurnstileOptions): Promise<TurnstileWidget[]> {
  const items = await core.paginate(
    {
      op: 'listTurnstileWidgets',
      what: l10n.t('listing Turnstile widgets (account {0})', accountId),
      method: 'GET',
      path: `/accounts/${seg(accountId, l10n.t('account id'))}/challenges/widgets`,
      idempotent: true,
      rotation: false,
      permission: REQUIRED_PERMISSIONS.listTurnstileWidgets,
      schemes: ACCEPTED_SCHEMES.listTurnstileWidgets,
      userOwnedTokensOnly: only(opts),
      resource: l10n.t('account'),
      ...callOptions(opts),
    },
    z.array(TurnstileWidgetSchema),
    'numbered',
  );
  return items.map(toWidget);
}

export async function getTurnstileWidget(core: RequestCore, accountId: string, sitekey: string, opts?: TurnstileOptions): Promise<TurnstileWidget> {
  const what = l10n.t('reading Turnstile widget {0} (account {1})', sitekey, accountId);
  const res = await core.call({
    op: 'getTurnstileWidget',
    what,
    method: 'GET',
    path: `/accounts/${seg(accountId, l10n.t('account id'))}/challenges/widgets/${seg(sitekey, l10n.t('sitekey'))}`,
    idempotent: true,
    rotation: false,
    permission: REQUIRED_PERMISSIONS.getTurnstileWidget,
    schemes: ACCEPTED_SCHEMES.getTurnstileWidget,
    userOwnedTokensOnly: only(opts),
    resource: l10n.t('Turnstile widget'),
    ...callOptions(opts),
  });
  return toWidget(core.parse(res.result, TurnstileWidgetSchema, what, false));
}

export async function rotateTurnstileSecret(
  core: RequestCore,
  accountId: string,
  sitekey: string,
  invalidateImmediately: boolean,
  opts?: MutationOptions & TurnstileOptions,
): Promise<TurnstileWidget> {
  const what = l10n.t('rotating the secret of Turnstile widget {0} (account {1})', sitekey, accountId);
  const res = await core.call({
    op: 'rotateTurnstileSecret',
    what,
    method: 'POST',
    path: `/accounts/${seg(accountId, l10n.t('account id'))}/challenges/widgets/${seg(sitekey, l10n.t('sitekey'))}/rotate_secret`,
    body: { invalidate_immediately: invalidateImmediately },
    idempotent: false,
    rotation: true,
    permission: REQUIRED_PERMISSIONS.rotateTurnstileSecret,
    schemes: ACCEPTED_SCHEMES.rotateTurnstileSecret,
    userOwnedTokensOnly: only(opts),
    resource: l10n.t('Turnstile widget'),
    ...callOptions(opts),
    secret: { extract: widgetSecret, onSecret: opts?.onSecret },
  });
  const w = toWidget(core.parse(res.result, TurnstileWidgetSchema, what, true));
  if (!w.secret) {
    throw new CfRotateError('contract', l10n.t('{0}: Cloudflare answered success without the new secret.', cap(what)), {
      hint: l10n.t('Resuming reads the widget (Cloudflare returns its current secret) and writes it; the previous secret stays valid for 2 hours unless it was invalidated at once.'),
    });
  }
  return w;
}

function widgetSecret(result: unknown): SecretValues | undefined {
  const s = (result as { secret?: unknown } | null)?.secret;
  return typeof s === 'string' && s.length > 0 ? { token: s } : undefined;
}
