/**
 * The Add Token wizard's steps for the kinds added with zero-downtime rotation: a Turnstile
 * widget and an OAuth client, both picked from Cloudflare's lists (no ids to copy). Kept apart
 * from config.ts so each kind's listing stays in one place.
 */
import * as vscode from 'vscode';
import { REQUIRED_PERMISSIONS } from '../core/cloudflare/client';
import type { AccountInfo, CloudflareApi } from '../core/cloudflare/types';
import { credentialKey, type CredentialFields } from '../core/config/schema';
import { CfRotateError } from '../core/errors';
import { cancelled } from './app';

export interface PickedResource {
  fields: Record<string, string | number | boolean>;
  suggested: string;
  existing?: string | undefined;
}

interface Choice<T> extends vscode.QuickPickItem {
  value: T;
}

async function pickOne<T>(step: string, placeHolder: string, items: Choice<T>[]): Promise<T> {
  const p = await vscode.window.showQuickPick(items, { title: `Add Token: ${step}`, placeHolder, ignoreFocusOut: true, matchOnDescription: true, matchOnDetail: true });
  if (!p) throw cancelled();
  return p.value;
}

async function load<T>(what: string, fn: () => Promise<T[]>, empty: () => CfRotateError): Promise<T[]> {
  const items = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Loading ${what} from Cloudflare…` }, fn);
  if (items.length === 0) throw empty();
  return items;
}

function none(what: string, profile: string, permission: string, where: string): () => CfRotateError {
  return () => new CfRotateError('not-found', `Cloudflare lists no ${what} in ${where} for the credential of profile "${profile}".`, { hint: `Create one in the dashboard, or give the credential the "${permission}" permission.` });
}

/** A Turnstile widget of the account: its sitekey. */
export async function pickTurnstileWidget(api: CloudflareApi, account: AccountInfo, profile: string, configured: ReadonlyMap<string, string>): Promise<PickedResource> {
  const widgets = await load('Turnstile widgets', () => api.listTurnstileWidgets(account.id), none('Turnstile widgets', profile, REQUIRED_PERMISSIONS.listTurnstileWidgets, account.name));
  const f = (sitekey: string): CredentialFields => ({ kind: 'turnstile-secret', accountId: account.id, sitekey });
  const w = await pickOne(
    'Widget',
    `Which Turnstile widget of ${account.name}? Its secret is rotated (the previous one stays valid 2 hours).`,
    widgets.map((x) => {
      const already = configured.get(credentialKey(f(x.sitekey)));
      return { label: x.name || x.sitekey, ...(already ? { description: `$(check) already configured as '${already}'` } : {}), detail: [x.sitekey, x.mode, (x.domains ?? []).slice(0, 3).join(', ')].filter(Boolean).join(' · '), value: x };
    }),
  );
  const existing = configured.get(credentialKey(f(w.sitekey)));
  return { fields: { accountId: account.id, sitekey: w.sitekey }, suggested: w.name || 'turnstile', ...(existing !== undefined ? { existing } : {}) };
}

/** An OAuth client of the account: its client id. */
export async function pickOAuthClient(api: CloudflareApi, account: AccountInfo, profile: string, configured: ReadonlyMap<string, string>): Promise<PickedResource> {
  const clients = await load('OAuth clients', () => api.listOAuthClients(account.id), none('OAuth clients', profile, REQUIRED_PERMISSIONS.listOAuthClients, account.name));
  const f = (clientId: string): CredentialFields => ({ kind: 'oauth-client-secret', accountId: account.id, clientId });
  const c = await pickOne(
    'OAuth client',
    `Which OAuth client of ${account.name}? It gets a second secret; the previous one is deleted after the overlap (24 h).`,
    clients.map((x) => {
      const already = configured.get(credentialKey(f(x.clientId)));
      const notes = [already ? `$(check) already configured as '${already}'` : undefined, x.hasRotatedSecret ? 'has a previous secret' : undefined].filter(Boolean).join(' · ');
      return { label: x.name || x.clientId, ...(notes ? { description: notes } : {}), detail: x.clientId, value: x };
    }),
  );
  const existing = configured.get(credentialKey(f(c.clientId)));
  return { fields: { accountId: account.id, clientId: c.clientId }, suggested: c.name || 'oauth-client', ...(existing !== undefined ? { existing } : {}) };
}
