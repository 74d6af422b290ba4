/**
 * How destinations (targets beside files) are described to people: where a secret goes, with
 * every id the configuration names (a cloned repository's cf-rotate.json chooses them, so the
 * confirmation shows them), and what writing it does there. Pure text; no I/O, never a secret.
 */
import { destinationAccount, type DestinationConfig, type TokenConfig } from './config/schema';

export type DestinationType = 'worker' | 'pages' | 'secrets-store' | 'github';

export function destinationType(t: DestinationConfig | { type: DestinationType }): DestinationType {
  if ('type' in t) return t.type;
  if ('worker' in t) return 'worker';
  if ('pages' in t) return 'pages';
  if ('secretsStore' in t) return 'secrets-store';
  return 'github';
}

/** What writing a destination does, in one clause. */
export const DESTINATION_EFFECTS: Record<DestinationType, string> = {
  worker: 'Cloudflare deploys a new version of the Worker with the new secret',
  pages: 'the next deployment of the Pages project uses the new secret (running deployments keep the old one until then)',
  'secrets-store': 'Workers and services bound to the secret read the new value',
  github: 'workflow runs that start from now on read the new secret',
};

/** Where a destination is, with its ids: "Worker \"api\" in account 954a… (profile default), secret CF_API_TOKEN". */
export function destinationWhere(token: TokenConfig, t: DestinationConfig): string {
  const profile = 'github' in t ? undefined : (t.profile ?? token.profile);
  const account = 'github' in t ? undefined : destinationAccount(token, t);
  const cf = `in account ${account ?? '(none)'} (profile ${profile ?? 'default'})`;
  if ('worker' in t) return `Worker "${t.worker}" ${cf}, secret ${t.key}`;
  if ('pages' in t) return `Pages project "${t.pages}" (${t.environment}) ${cf}, secret ${t.key}`;
  if ('secretsStore' in t) return `Secrets Store ${t.secretsStore}, secret ${t.secretId} ${cf}`;
  return `GitHub Actions secret ${t.key} of ${t.github}${t.environment ? ` (environment "${t.environment}")` : ''}`;
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
