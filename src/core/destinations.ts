/**
 * How destinations (targets beside files) are described to people: where a secret goes, with
 * every id the configuration names (a cloned repository's cf-rotate.json chooses them, so the
 * confirmation shows them), and what writing it does there. Pure text; no I/O, never a secret.
 */
import * as l10n from '@vscode/l10n';
import { destinationAccount, type DestinationConfig, type TokenConfig } from './config/schema';

export type DestinationType = 'worker' | 'pages' | 'secrets-store' | 'github';

export function destinationType(t: DestinationConfig | { type: DestinationType }): DestinationType {
  if ('type' in t) return t.type;
  if ('worker' in t) return 'worker';
  if ('pages' in t) return 'pages';
  if ('secretsStore' in t) return 'secrets-store';
  return 'github';
}

/** What writing a destination does, in one clause (getters: words of the display language when read). */
export const DESTINATION_EFFECTS: Readonly<Record<DestinationType, string>> = {
  get worker() {
    return l10n.t('Cloudflare deploys a new version of the Worker with the new secret');
  },
  get pages() {
    return l10n.t('the next deployment of the Pages project uses the new secret (running deployments keep the old one until then)');
  },
  get 'secrets-store'() {
    return l10n.t('Workers and services bound to the secret read the new value');
  },
  get github() {
    return l10n.t('workflow runs that start from now on read the new secret');
  },
};

/** Where a destination is, with its ids: "Worker \"api\" in account 954a… (profile default), secret CF_API_TOKEN". */
export function destinationWhere(token: TokenConfig, t: DestinationConfig): string {
  const profile = 'github' in t ? undefined : (t.profile ?? token.profile);
  const account = 'github' in t ? undefined : destinationAccount(token, t);
  const acct = account ?? l10n.t('(none)');
  const prof = profile ?? 'default';
  if ('worker' in t) return l10n.t('Worker "{0}" in account {1} (profile {2}), secret {3}', t.worker, acct, prof, t.key);
  if ('pages' in t) return l10n.t('Pages project "{0}" ({1}) in account {2} (profile {3}), secret {4}', t.pages, t.environment, acct, prof, t.key);
  if ('secretsStore' in t) return l10n.t('Secrets Store {0}, secret {1} in account {2} (profile {3})', t.secretsStore, t.secretId, acct, prof);
  return t.environment ? l10n.t('GitHub Actions secret {0} of {1} (environment "{2}")', t.key, t.github, t.environment) : l10n.t('GitHub Actions secret {0} of {1}', t.key, t.github);
}

/**
 * A destination by its ids only: what the tree puts in a node and Reveal Target receives. The
 * settings page it opens is built from these ids, each checked against the config's patterns again.
 */
export type DestinationRef =
  | { type: 'worker'; accountId: string; worker: string }
  | { type: 'pages'; accountId: string; pages: string }
  | { type: 'secrets-store'; accountId: string; secretsStore: string }
  | { type: 'github'; github: string; environment?: string | undefined };

export function destinationRef(token: TokenConfig, t: DestinationConfig): DestinationRef | undefined {
  if ('github' in t) return { type: 'github', github: t.github, ...(t.environment !== undefined ? { environment: t.environment } : {}) };
  const accountId = destinationAccount(token, t);
  if (accountId === undefined) return undefined;
  if ('worker' in t) return { type: 'worker', accountId, worker: t.worker };
  if ('pages' in t) return { type: 'pages', accountId, pages: t.pages };
  return { type: 'secrets-store', accountId, secretsStore: t.secretsStore };
}

const HEX32 = /^[0-9a-fA-F]{32}$/;
const WORKER = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const PAGES = /^[a-z0-9][a-z0-9-]{0,57}$/;
const REPO = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/;

/**
 * The dashboard page where the destination's secrets are managed (https only). `githubWeb`: the
 * GitHub web origin (https://github.com, or a GitHub Enterprise Server's). Undefined when an id
 * does not have the shape the config allows.
 */
export function destinationUrl(ref: DestinationRef, githubWeb = 'https://github.com'): string | undefined {
  const e = encodeURIComponent;
  switch (ref.type) {
    case 'worker':
      return HEX32.test(ref.accountId) && WORKER.test(ref.worker) ? `https://dash.cloudflare.com/${e(ref.accountId)}/workers/services/view/${e(ref.worker)}/production/settings` : undefined;
    case 'pages':
      return HEX32.test(ref.accountId) && PAGES.test(ref.pages) ? `https://dash.cloudflare.com/${e(ref.accountId)}/pages/view/${e(ref.pages)}/settings/production` : undefined;
    case 'secrets-store':
      return HEX32.test(ref.accountId) && HEX32.test(ref.secretsStore) ? `https://dash.cloudflare.com/${e(ref.accountId)}/secrets-store` : undefined;
    case 'github': {
      let web: URL;
      try {
        web = new URL(githubWeb);
      } catch {
        return undefined;
      }
      if (web.protocol !== 'https:' || web.username || web.password || !REPO.test(ref.github)) return undefined;
      const [owner, repo] = ref.github.split('/') as [string, string];
      return `${web.origin}/${e(owner)}/${e(repo)}/settings/${ref.environment !== undefined ? 'environments' : 'secrets/actions'}`;
    }
  }
}

/** The GitHub web origin of an API base: https://api.github.com → https://github.com; https://HOST/api/v3 → https://HOST. */
export function githubWebOrigin(apiBase: string): string {
  try {
    const u = new URL(apiBase);
    if (u.hostname.toLowerCase() === 'api.github.com') return 'https://github.com';
    return u.protocol === 'https:' ? u.origin : 'https://github.com';
  } catch {
    return 'https://github.com';
  }
}
