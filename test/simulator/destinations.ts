/**
 * The simulator's destinations of a new secret: Workers (script secrets), Pages projects
 * (environment variables), Secrets Store secrets, and GitHub repositories with Actions secrets
 * (repository and environment level), with every value they hold, so tests can check end to end
 * what cf-rotate wrote. GitHub values arrive sealed (libsodium crypto_box_seal) to a key pair the
 * simulator generated; it opens them with libsodium (an implementation independent of cf-rotate's).
 * No HTTP here (api.ts and github.ts serve them).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import sodium from 'libsodium-wrappers';
import type {
  GitHubRepoState,
  GitHubRole,
  GitHubSecretState,
  GitHubTokenState,
  PagesEnvVar,
  PagesProjectState,
  ScenarioGitHubRepo,
  ScenarioGitHubToken,
  ScenarioPagesProject,
  ScenarioSecretsStore,
  ScenarioWorker,
  ScenarioWorkerBinding,
  SecretsStoreState,
  WorkerState,
} from './types';
import { HEX32, alnum, hex32, iso, parseDateTime, uuid } from './util';

export const WORKER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
export const PAGES_NAME = /^[a-z0-9][a-z0-9-]{0,57}$/;
export const GITHUB_REPO = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/;
/** GitHub: letters, digits, _; not starting with a digit or GITHUB_ (the docs' naming rules). */
export const GITHUB_SECRET_NAME = /^(?!GITHUB_)[A-Z_][A-Z0-9_]*$/i;

/**
 * Workers limits (developers.cloudflare.com/workers/platform/limits, "Environment variable size:
 * 5 KB" on every plan; "Environment variables: 64/Worker" Free, "128/Worker" Paid). Secrets are
 * environment variables there (wrangler-action #168: a 13 KB secret refused, "the limit is 5KB").
 * The docs do not say whether a KB is 1,000 or 1,024 bytes: the simulator takes 5,120 bytes (of the
 * UTF-8 value) and the Paid count (plain-text, JSON and secret bindings together).
 */
export const WORKER_VARIABLE_MAX_BYTES = 5 * 1024;
export const WORKER_MAX_VARIABLES = 128;
/**
 * A binding's name: the SDK documents it only as "A JavaScript variable name for the binding"
 * (workers/scripts/secrets.ts, script-and-version-settings.ts; no pattern, no length). The simulator
 * reads that as an ASCII JavaScript identifier (letters, digits, _ and $, not starting with a
 * digit): its choice, unverified live.
 */
export const WORKER_BINDING_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The binding types a scenario Worker may carry, each with the field the SDK's settings schema requires for it. */
const BINDING_FIELDS: Readonly<Record<ScenarioWorkerBinding['type'], string>> = {
  plain_text: 'text',
  json: 'json',
  kv_namespace: 'namespace_id',
  r2_bucket: 'bucket_name',
  d1: 'database_id',
  service: 'service',
  queue: 'queue_name',
};

/** The variables of a Worker (what the 64/128 limit counts): plain-text and JSON bindings and secrets. */
export function workerVariableCount(w: WorkerRec): number {
  return w.secrets.size + w.bindings.filter((b) => b.type === 'plain_text' || b.type === 'json').length;
}

export interface WorkerRec {
  accountId: string;
  name: string;
  versions: number;
  /** ScenarioWorker.latestDeployed. */
  latestDeployed: boolean;
  secrets: Map<string, { type: 'secret_text'; value: string }>;
  /** Its other bindings (ScenarioWorker.bindings); their names are never a secret's. */
  bindings: ScenarioWorkerBinding[];
}

export interface PagesRec {
  accountId: string;
  name: string;
  id: string;
  createdOn: number;
  envVars: { production: Map<string, PagesEnvVar>; preview: Map<string, PagesEnvVar> };
}

export interface StoreSecretRec {
  id: string;
  name: string;
  value: string;
  created: number;
  modified: number;
}

export interface SecretsStoreRec {
  accountId: string;
  id: string;
  name: string;
  secrets: Map<string, StoreSecretRec>;
}

export interface GitHubKey {
  keyId: string;
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export interface GitHubSecretRec {
  name: string;
  value: string;
  createdAt: number;
  updatedAt: number;
}

export interface GitHubScopeRec {
  name: string;
  key: GitHubKey;
  secrets: Map<string, GitHubSecretRec>;
}

export interface GitHubRepoRec extends GitHubScopeRec {
  /** GitHub's numeric repository id and its owner's (the owner is a user: its login is the part before the slash). */
  id: number;
  ownerId: number;
  environments: Map<string, GitHubScopeRec>;
}

export interface GitHubTokenRec {
  value: string;
  login: string;
  repos?: string[];
  secrets: 'none' | 'read' | 'write';
  environments: 'none' | 'read' | 'write';
  /** The role of the token's user on every repository it sees. */
  role: GitHubRole;
}

export const GITHUB_ROLES: readonly GitHubRole[] = ['admin', 'maintain', 'write', 'triage', 'read'];

/**
 * A repository's `permissions` for a user of `role`, as GET /repos/{owner}/{repo} answers them
 * (GitHub's "full-repository" schema: `admin`, `push`, `pull` required, `maintain`, `triage`
 * optional; each role includes the ones below it).
 */
export function rolePermissions(role: GitHubRole): { admin: boolean; maintain: boolean; push: boolean; triage: boolean; pull: boolean } {
  const rank = GITHUB_ROLES.length - GITHUB_ROLES.indexOf(role); // admin 5 … read 1
  return { admin: rank >= 5, maintain: rank >= 4, push: rank >= 3, triage: rank >= 2, pull: true };
}

function need(cond: boolean, where: string, message: string): asserts cond {
  if (!cond) throw new Error(`scenario: ${where}: ${message}`);
}

function keyPair(): GitHubKey {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const pub = publicKey.export({ format: 'jwk' }).x as string;
  const sec = privateKey.export({ format: 'jwk' }).d as string;
  // GitHub's key ids are long decimal strings.
  return { keyId: BigInt(`0x${randomBytes(8).toString('hex')}`).toString(), publicKey: Buffer.from(pub, 'base64url'), secretKey: Buffer.from(sec, 'base64url') };
}

/** GitHub's timestamps: seconds, Z. */
export function ghTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Opens a sealed box with libsodium; undefined when it does not open. `sodium.ready` must have resolved (start() awaits it). */
export function openSealed(box: Uint8Array, key: GitHubKey): string | undefined {
  try {
    return Buffer.from(sodium.crypto_box_seal_open(box, key.publicKey, key.secretKey)).toString('utf8');
  } catch {
    return undefined;
  }
}

export const sodiumReady: Promise<void> = sodium.ready;

export class Destinations {
  readonly workers = new Map<string, WorkerRec>();
  readonly pages = new Map<string, PagesRec>();
  readonly stores = new Map<string, SecretsStoreRec>();
  readonly repos = new Map<string, GitHubRepoRec>();
  readonly githubTokens = new Map<string, GitHubTokenRec>();
  private githubIds = 0;

  constructor(
    private readonly now: () => number,
    private readonly hasAccount: (id: string) => boolean,
  ) {}

  static workerKey(accountId: string, name: string): string {
    return `${accountId}/${name}`;
  }

  addWorker(w: ScenarioWorker, where = 'worker'): WorkerRec {
    need(this.hasAccount(w.accountId), `${where}.accountId`, `unknown account ${w.accountId}`);
    need(typeof w.name === 'string' && WORKER_NAME.test(w.name), `${where}.name`, 'must be a Worker name');
    need(w.latestDeployed === undefined || typeof w.latestDeployed === 'boolean', `${where}.latestDeployed`, 'must be true or false');
    const rec: WorkerRec = { accountId: w.accountId, name: w.name, versions: 0, latestDeployed: w.latestDeployed ?? true, secrets: new Map(), bindings: [] };
    for (const s of w.secrets ?? []) rec.secrets.set(s.name, { type: 'secret_text', value: s.value });
    need(w.bindings === undefined || Array.isArray(w.bindings), `${where}.bindings`, 'must be an array');
    (w.bindings ?? []).forEach((b, i) => {
      const at = `${where}.bindings[${i}]`;
      need(typeof b === 'object' && b !== null && typeof b.name === 'string' && WORKER_BINDING_NAME.test(b.name), `${at}.name`, 'must be a JavaScript variable name');
      const field = Object.hasOwn(BINDING_FIELDS, b.type) ? BINDING_FIELDS[b.type] : undefined;
      need(field !== undefined, `${at}.type`, `must be one of ${Object.keys(BINDING_FIELDS).join(', ')}`);
      const value = (b as unknown as Record<string, unknown>)[field];
      need(b.type === 'json' ? value !== undefined : typeof value === 'string', `${at}.${field}`, b.type === 'json' ? 'is required' : 'must be a string');
      need(!rec.secrets.has(b.name) && !rec.bindings.some((x) => x.name === b.name), `${at}.name`, `${b.name} is bound twice`);
      rec.bindings.push({ ...b });
    });
    need(workerVariableCount(rec) <= WORKER_MAX_VARIABLES, where, `more than ${WORKER_MAX_VARIABLES} variables`);
    this.workers.set(Destinations.workerKey(w.accountId, w.name), rec);
    return rec;
  }

  addPagesProject(p: ScenarioPagesProject, where = 'pagesProject'): PagesRec {
    need(this.hasAccount(p.accountId), `${where}.accountId`, `unknown account ${p.accountId}`);
    need(typeof p.name === 'string' && PAGES_NAME.test(p.name), `${where}.name`, 'must be a Pages project name');
    const rec: PagesRec = { accountId: p.accountId, name: p.name, id: p.id ?? uuid(), createdOn: this.now(), envVars: { production: new Map(), preview: new Map() } };
    for (const env of ['production', 'preview'] as const) for (const [k, v] of Object.entries(p.envVars?.[env] ?? {})) rec.envVars[env].set(k, { ...v });
    this.pages.set(Destinations.workerKey(p.accountId, p.name), rec);
    return rec;
  }

  addSecretsStore(s: ScenarioSecretsStore, where = 'secretsStore'): SecretsStoreRec {
    need(this.hasAccount(s.accountId), `${where}.accountId`, `unknown account ${s.accountId}`);
    const id = s.id ?? hex32();
    need(HEX32.test(id), `${where}.id`, 'must be 32 lowercase hex');
    const rec: SecretsStoreRec = { accountId: s.accountId, id, name: s.name ?? `store-${id.slice(0, 6)}`, secrets: new Map() };
    (s.secrets ?? []).forEach((x, i) => {
      const sid = x.id ?? hex32();
      need(HEX32.test(sid), `${where}.secrets[${i}].id`, 'must be 32 lowercase hex');
      const created = x.created === undefined ? this.now() : (parseDateTime(x.created) ?? this.now());
      rec.secrets.set(sid, { id: sid, name: x.name, value: x.value, created, modified: x.modified === undefined ? created : (parseDateTime(x.modified) ?? created) });
    });
    this.stores.set(id, rec);
    return rec;
  }

  addGitHubRepo(r: ScenarioGitHubRepo, where = 'githubRepo'): GitHubRepoRec {
    need(typeof r.name === 'string' && GITHUB_REPO.test(r.name), `${where}.name`, 'must be owner/repo');
    const rec: GitHubRepoRec = { name: r.name, id: ++this.githubIds, ownerId: 1000 + this.githubIds, key: keyPair(), secrets: new Map(), environments: new Map() };
    for (const e of r.environments ?? []) rec.environments.set(e.toLowerCase(), { name: e, key: keyPair(), secrets: new Map() });
    for (const s of r.secrets ?? []) {
      const scope = s.environment === undefined ? rec : rec.environments.get(s.environment.toLowerCase());
      need(scope !== undefined, `${where}.secrets`, `unknown environment ${String(s.environment)}`);
      const at = s.updatedAt === undefined ? this.now() : (parseDateTime(s.updatedAt) ?? this.now());
      scope.secrets.set(s.name.toUpperCase(), { name: s.name.toUpperCase(), value: s.value, createdAt: at, updatedAt: at });
    }
    this.repos.set(r.name.toLowerCase(), rec);
    return rec;
  }

  addGitHubToken(t: ScenarioGitHubToken = {}): GitHubTokenRec {
    const rec: GitHubTokenRec = {
      value: t.value ?? `ghp_${alnum(36)}`,
      login: t.login ?? 'octo-sim',
      ...(t.repos ? { repos: t.repos.map((x) => x.toLowerCase()) } : {}),
      secrets: t.secrets ?? 'write',
      environments: t.environments ?? 'write',
      role: t.role ?? 'admin',
    };
    need(GITHUB_ROLES.includes(rec.role), 'githubToken.role', `must be one of ${GITHUB_ROLES.join(', ')}`);
    this.githubTokens.set(rec.value, rec);
    return rec;
  }

  // ------------------------------------------------------------ state views (with every value)

  workerState(w: WorkerRec): WorkerState {
    return { accountId: w.accountId, name: w.name, versions: w.versions, secrets: [...w.secrets].map(([name, s]) => ({ name, type: s.type, value: s.value })), bindings: w.bindings.map((b) => ({ ...b })) };
  }

  pagesState(p: PagesRec): PagesProjectState {
    return { accountId: p.accountId, name: p.name, id: p.id, envVars: { production: Object.fromEntries(p.envVars.production), preview: Object.fromEntries(p.envVars.preview) } };
  }

  storeState(s: SecretsStoreRec): SecretsStoreState {
    return { accountId: s.accountId, id: s.id, name: s.name, secrets: [...s.secrets.values()].map((x) => ({ id: x.id, name: x.name, value: x.value, status: 'active', created: iso(x.created), modified: iso(x.modified) })) };
  }

  private ghSecrets(scope: GitHubScopeRec): GitHubSecretState[] {
    return [...scope.secrets.values()].map((s) => ({ name: s.name, value: s.value, createdAt: ghTime(s.createdAt), updatedAt: ghTime(s.updatedAt) }));
  }

  repoState(r: GitHubRepoRec): GitHubRepoState {
    const b64 = (k: Uint8Array): string => Buffer.from(k).toString('base64');
    return {
      name: r.name,
      keyId: r.key.keyId,
      publicKey: b64(r.key.publicKey),
      secrets: this.ghSecrets(r),
      environments: [...r.environments.values()].map((e) => ({ name: e.name, keyId: e.key.keyId, publicKey: b64(e.key.publicKey), secrets: this.ghSecrets(e) })),
    };
  }

  githubTokenState(t: GitHubTokenRec): GitHubTokenState {
    return { value: t.value, login: t.login, ...(t.repos ? { repos: [...t.repos] } : {}), secrets: t.secrets, environments: t.environments, role: t.role };
  }
}
