/**
 * Destination targets: one driver per place a secret can live beside the files (a Worker secret,
 * a Pages secret, a Secrets Store secret, a GitHub Actions secret). The engine owns the order and
 * the durability rules (the secret is journaled before any target is written; each destination
 * write is journaled as done; resume sends what is not); a driver says how its destination is
 * checked before the rotation, written, and seen again afterwards.
 *
 * Every write is idempotent for a given value (PUT / merge PATCH of the whole value), so sending
 * it again after a crash is safe. No driver ever reads a secret value back: verification uses
 * what the API lists (the name and type, or a fresh `modified` / `updated_at`).
 */
import * as l10n from '@vscode/l10n';
import { grantVerdict, readCounterpart } from '../../cloudflare/grants';
import { REQUIRED_PERMISSIONS } from '../../cloudflare/permissions';
import type { CloudflareApi, TokenGrant } from '../../cloudflare/types';
import { destinationAccount, targetField, targetLabel, type DestinationConfig, type TokenConfig } from '../../config/schema';
import { DESTINATION_EFFECTS, destinationType } from '../../destinations';
import { CfRotateError } from '../../errors';
import type { GitHubApi, GitHubSecretScope } from '../../github/client';
import { sealForGitHub } from '../../github/seal';
import type { Logger } from '../../ports';
import type { JournalDestination } from '../journal';

export interface DestinationContext {
  /** The Cloudflare client of a profile's admin credential (throws 'credential-missing'). */
  cloudflare(profile: string): Promise<CloudflareApi>;
  /**
   * The policies of a profile's admin API token (what it may do), or undefined when they cannot be
   * read (a Global API key, a token without "API Tokens Read", …): preflight then checks reads only.
   */
  grants?(profile: string): Promise<readonly TokenGrant[] | undefined>;
  /** The GitHub client (throws 'credential-missing'); `interactive`: the host may ask the user to sign in. */
  github(interactive: boolean): Promise<GitHubApi>;
  /** Before the rotation (preflight) the host may ask the user to sign in; afterwards it must not wait for one. */
  interactive: boolean;
  signal?: AbortSignal | undefined;
  logger: Logger;
}

export interface DestinationDriver<D extends JournalDestination = JournalDestination> {
  readonly type: D['type'];
  /**
   * Before anything is rotated: the destination exists, the credential can reach it, and may
   * write it as far as the API can tell without writing (GitHub: the user's write access to the
   * repository; Cloudflare: the admin token's own policies, when it may read them). Returns the
   * record to journal. May refuse: nothing was sent.
   */
  prepare(ctx: DestinationContext, d: D): Promise<D>;
  /** Send the new value (idempotent). */
  write(ctx: DestinationContext, d: D, value: string): Promise<void>;
  /** After the write: a warning when the API does not show it, else undefined. Never reads a value back. */
  confirm(ctx: DestinationContext, d: D): Promise<string | undefined>;
}

type Of<T extends JournalDestination['type']> = Extract<JournalDestination, { type: T }>;

/** The journal record of a configured destination: account, profile and field resolved now. */
export function destinationFromConfig(token: TokenConfig, t: DestinationConfig): JournalDestination {
  const field = targetField(token, t);
  if ('github' in t) return { type: 'github', github: t.github, ...(t.environment !== undefined ? { environment: t.environment } : {}), key: t.key, field, done: false };
  const accountId = destinationAccount(token, t);
  if (accountId === undefined) {
    throw new CfRotateError('config', l10n.t('The destination {0} of "{1}" names no account.', targetLabel(t), token.name), { hint: l10n.t('Add "accountId" to the target in cf-rotate.json. Nothing was rotated.') });
  }
  const profile = t.profile ?? token.profile;
  if ('worker' in t) return { type: 'worker', worker: t.worker, key: t.key, accountId, profile, field, done: false };
  if ('pages' in t) return { type: 'pages', pages: t.pages, environment: t.environment, key: t.key, accountId, profile, field, done: false };
  return { type: 'secrets-store', secretsStore: t.secretsStore, secretId: t.secretId, accountId, profile, field, done: false };
}

function opts(ctx: DestinationContext): { signal: AbortSignal } | undefined {
  return ctx.signal ? { signal: ctx.signal } : undefined;
}

/**
 * Refuses a Cloudflare destination that the admin token's own policies show it may read but not
 * write (grants.ts: `missing` only when Cloudflare's names say so; anything unclear passes, and the
 * write names the permission if it fails).
 */
async function requireWrite(ctx: DestinationContext, d: Of<'worker'> | Of<'pages'> | Of<'secrets-store'>, method: 'putWorkerSecret' | 'setPagesSecret' | 'setStoreSecret', where: string): Promise<void> {
  const grants = await ctx.grants?.(d.profile);
  if (grants === undefined) return;
  const write = REQUIRED_PERMISSIONS[method];
  if (grantVerdict(grants, { write, read: readCounterpart(write) }, d.accountId) !== 'missing') return;
  throw new CfRotateError('permission', l10n.t('The API token of profile "{0}" may read {1}, but its policies grant no "{2}" in account {3}, which writing the new secret there takes.', d.profile, where, write, d.accountId), {
    permission: write,
    hint: l10n.t('Add the permission "{0}" for account {1} to that API token (Cloudflare dashboard, API Tokens › Edit), or give this target a "profile" whose credential has it. Nothing was rotated.', write, d.accountId),
  });
}

const worker: DestinationDriver<Of<'worker'>> = {
  type: 'worker',
  async prepare(ctx, d) {
    const api = await ctx.cloudflare(d.profile);
    // All the bindings, not only the secrets (GET …/secrets): Cloudflare refuses a secret named like a
    // plain-text variable, a KV namespace or any other binding (10053), which it would say only after the rotation.
    const bindings = await api.getWorkerBindings(d.accountId, d.worker, opts(ctx));
    const same = bindings.find((b) => b.name === d.key && b.type !== 'secret_text');
    if (same) {
      throw new CfRotateError('config', l10n.t('Worker "{0}" already binds {1} as a {2}, not a secret text: Cloudflare refuses a secret of that name.', d.worker, d.key, same.type), {
        hint: l10n.t('Choose another "key" for this target, or remove or rename that binding of the Worker first (its vars in the Wrangler file, or the dashboard). Nothing was rotated.'),
      });
    }
    await requireWrite(ctx, d, 'putWorkerSecret', l10n.t('Worker "{0}"', d.worker));
    return d;
  },
  async write(ctx, d, value) {
    await (await ctx.cloudflare(d.profile)).putWorkerSecret(d.accountId, d.worker, d.key, value, opts(ctx));
  },
  async confirm(ctx, d) {
    const secrets = await (await ctx.cloudflare(d.profile)).listWorkerSecrets(d.accountId, d.worker, opts(ctx));
    return secrets.some((s) => s.name === d.key && s.type === 'secret_text') ? undefined : l10n.t('Cloudflare does not list {0} among the secrets of Worker "{1}" after writing it.', d.key, d.worker);
  },
};

const pages: DestinationDriver<Of<'pages'>> = {
  type: 'pages',
  async prepare(ctx, d) {
    await (await ctx.cloudflare(d.profile)).getPagesProject(d.accountId, d.pages, opts(ctx));
    await requireWrite(ctx, d, 'setPagesSecret', l10n.t('Pages project "{0}"', d.pages));
    return d;
  },
  async write(ctx, d, value) {
    await (await ctx.cloudflare(d.profile)).setPagesSecret(d.accountId, d.pages, d.environment, d.key, value, opts(ctx));
  },
  async confirm(ctx, d) {
    const p = await (await ctx.cloudflare(d.profile)).getPagesProject(d.accountId, d.pages, opts(ctx));
    return p.envVars[d.environment][d.key] === 'secret_text' ? undefined : l10n.t('Cloudflare does not list {0} as a secret of Pages project "{1}" ({2}) after writing it.', d.key, d.pages, d.environment);
  },
};

const secretsStore: DestinationDriver<Of<'secrets-store'>> = {
  type: 'secrets-store',
  async prepare(ctx, d) {
    const s = await (await ctx.cloudflare(d.profile)).getStoreSecret(d.accountId, d.secretsStore, d.secretId, opts(ctx));
    if (s.status === 'deleted') {
      throw new CfRotateError('not-found', l10n.t('Secret {0} of Secrets Store {1} is deleted.', d.secretId, d.secretsStore), { hint: l10n.t('Point the target at an existing secret in cf-rotate.json. Nothing was rotated.') });
    }
    await requireWrite(ctx, d, 'setStoreSecret', l10n.t('secret {0} of Secrets Store {1}', d.secretId, d.secretsStore));
    return { ...d, ...(s.modified ? { before: s.modified } : {}) };
  },
  async write(ctx, d, value) {
    await (await ctx.cloudflare(d.profile)).setStoreSecret(d.accountId, d.secretsStore, d.secretId, value, opts(ctx));
  },
  async confirm(ctx, d) {
    const s = await (await ctx.cloudflare(d.profile)).getStoreSecret(d.accountId, d.secretsStore, d.secretId, opts(ctx));
    if (d.before === undefined || (s.modified !== undefined && s.modified !== d.before)) return undefined;
    return l10n.t('Cloudflare still reports secret {0} of Secrets Store {1} as last modified {2}, before the rotation.', d.secretId, d.secretsStore, s.modified ?? l10n.t('at an unknown time'));
  },
};

export function githubScope(d: Of<'github'>): GitHubSecretScope {
  const [owner = '', repo = ''] = d.github.split('/');
  return { owner, repo, ...(d.environment !== undefined ? { environment: d.environment } : {}) };
}

const github: DestinationDriver<Of<'github'>> = {
  type: 'github',
  async prepare(ctx, d) {
    const api = await ctx.github(ctx.interactive);
    const scope = githubScope(d);
    // Writing a repository's or an environment's secrets through the API takes write access (GitHub's docs:
    // "To create a repository secret, you must have write access"; the REST pages: collaborator access).
    // The triage and read roles cannot; GitHub reports the user's access with the repository.
    const repo = await api.repository({ owner: scope.owner, repo: scope.repo }, opts(ctx));
    if (repo.permissions && !repo.permissions.push && !repo.permissions.admin) {
      const p = repo.permissions;
      const role = p.maintain ? 'maintain' : p.push ? 'write' : p.triage ? 'triage' : p.pull ? 'read' : 'none';
      throw new CfRotateError('permission', l10n.t('The GitHub token ({0}) belongs to an account with the role "{1}" on {2}; writing its Actions secrets takes write access to the repository.', api.source, role, d.github), {
        permission: 'write',
        hint: l10n.t('Use a GitHub token of an account with write access to {0} (the write, maintain or admin role: repository Settings › Collaborators and teams), or ask an admin for that role. Nothing was rotated.', d.github),
      });
    }
    await api.publicKey(scope, opts(ctx)); // the environment exists, and the token may read its secrets
    const current = await api.getSecret(scope, d.key, opts(ctx));
    return { ...d, ...(current?.updatedAt ? { before: current.updatedAt } : {}) };
  },
  async write(ctx, d, value) {
    const api = await ctx.github(false);
    const scope = githubScope(d);
    // The key can change between runs (GitHub rotates it): seal to the key of this moment, every time.
    const key = await api.publicKey(scope, opts(ctx));
    await api.putSecret(scope, d.key, sealForGitHub(value, key.key), key.keyId, opts(ctx));
  },
  async confirm(ctx, d) {
    const s = await (await ctx.github(false)).getSecret(githubScope(d), d.key, opts(ctx));
    if (!s) return l10n.t('GitHub does not list the Actions secret {0} of {1} after writing it.', d.key, d.github);
    if (d.before !== undefined && s.updatedAt === d.before) return l10n.t('GitHub still reports the Actions secret {0} of {1} as updated {2}, before the rotation.', d.key, d.github, d.before);
    return undefined;
  },
};

const DRIVERS: { [T in JournalDestination['type']]: DestinationDriver<Of<T>> } = { worker, pages, 'secrets-store': secretsStore, github };

export function destinationDriver<D extends JournalDestination>(d: D): DestinationDriver<D> {
  return DRIVERS[d.type] as unknown as DestinationDriver<D>;
}

/** "worker:api › KEY: Cloudflare deploys a new version of the Worker …", for results. */
export function destinationNote(d: JournalDestination): string {
  return `${targetLabel(d)}: ${DESTINATION_EFFECTS[destinationType(d)]}.`;
}
