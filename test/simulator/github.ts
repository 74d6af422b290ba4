/**
 * GitHub's REST API for Actions secrets, as the simulator serves it under /github (so
 * `${origin}/github` is a GITHUB_API_URL): the repository with the caller's `permissions`, the
 * public key of a repository or of one of its environments, a secret's metadata, and writing a
 * secret sealed to that key. Sources: GitHub's REST docs "REST API endpoints for GitHub Actions
 * Secrets" (repository and environment secrets), "Get a repository" (`full-repository`), and
 * "Using secrets in GitHub Actions" (creating a repository secret takes write access; the REST
 * pages say collaborator access: the triage and read roles may not).
 *
 *   GET /repos/{o}/{r}                                            → 200 full-repository (a subset, with `permissions`)
 *   GET /repos/{o}/{r}/actions/secrets/public-key                 → 200 {key_id, key}
 *   GET /repos/{o}/{r}/actions/secrets/{name}                     → 200 {name, created_at, updated_at} | 404
 *   PUT /repos/{o}/{r}/actions/secrets/{name} {encrypted_value, key_id} → 201 {} (created) | 204 (updated)
 *   …and /repos/{o}/{r}/environments/{env}/secrets/…
 *
 * Auth: `Authorization: Bearer <token>` or `token <token>`. A token that cannot see a repository
 * gets 404 (GitHub hides private repositories); one that sees it without the permission, 403;
 * a PUT by a user without write access to the repository (triage, read), 403 as well.
 * What a PUT carries is opened with the private key the simulator holds (libsodium): a value
 * that does not open, or a `key_id` that is not the current key's, is refused (422).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ghTime, GITHUB_SECRET_NAME, openSealed, rolePermissions, type GitHubRepoRec, type GitHubScopeRec, type GitHubTokenRec } from './destinations';
import type { Store } from './store';
import type { ServedOperationName } from './types';
import { isRecord } from './util';

export const GITHUB_BASE = '/github';
const DOCS = 'https://docs.github.com/rest/actions/secrets';
/** GitHub's limit on a secret's size. */
const MAX_SECRET_BYTES = 48 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export const GITHUB_OPERATIONS: readonly ServedOperationName[] = ['githubGetRepo', 'githubGetPublicKey', 'githubGetSecret', 'githubPutSecret'];

interface GhRoute {
  method: string;
  segments: string[];
  op: ServedOperationName;
}
const ROUTES: GhRoute[] = [
  ['GET', 'repos/{owner}/{repo}', 'githubGetRepo'],
  ['GET', 'repos/{owner}/{repo}/actions/secrets/public-key', 'githubGetPublicKey'],
  ['GET', 'repos/{owner}/{repo}/actions/secrets/{secret_name}', 'githubGetSecret'],
  ['PUT', 'repos/{owner}/{repo}/actions/secrets/{secret_name}', 'githubPutSecret'],
  ['GET', 'repos/{owner}/{repo}/environments/{environment_name}/secrets/public-key', 'githubGetPublicKey'],
  ['GET', 'repos/{owner}/{repo}/environments/{environment_name}/secrets/{secret_name}', 'githubGetSecret'],
  ['PUT', 'repos/{owner}/{repo}/environments/{environment_name}/secrets/{secret_name}', 'githubPutSecret'],
].map(([method, path, op]) => ({ method: method as string, segments: (path as string).split('/'), op: op as ServedOperationName }));

export interface GhMatch {
  route: GhRoute;
  params: Record<string, string>;
}

/** The route of a path below /github; 'method' when the path exists with another method. */
export function matchGitHub(method: string, path: string): GhMatch | 'method' | undefined {
  const segs = path.split('/').filter(Boolean);
  let other = false;
  for (const r of ROUTES) {
    if (r.segments.length !== segs.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < segs.length && ok; i++) {
      const w = r.segments[i] as string;
      let g = segs[i] as string;
      try {
        g = decodeURIComponent(g);
      } catch {
        ok = false;
      }
      if (w.startsWith('{')) params[w.slice(1, -1)] = g;
      else if (w !== g) ok = false;
    }
    if (!ok) continue;
    if (r.method === method) return { route: r, params };
    other = true;
  }
  return other ? 'method' : undefined;
}

export interface GhResult {
  status: number;
  /** undefined: no body (204). */
  body: unknown;
}

class GhError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function gitHubError(status: number, message: string): GhResult {
  return { status, body: { message, documentation_url: DOCS, status: String(status) } };
}

/**
 * GET /repos/{o}/{r} for `token`'s user: documented `full-repository` fields only (a subset: the
 * ones a client of the secrets API can use), with `permissions` (present for authenticated
 * callers) from the user's role.
 */
function repoView(repo: GitHubRepoRec, token: GitHubTokenRec): Record<string, unknown> {
  const [owner = ''] = repo.name.split('/');
  const nodeId = (kind: string, id: number): string => `${kind}_${Buffer.from(`sim:${kind}:${id}`).toString('base64url')}`;
  return {
    id: repo.id,
    node_id: nodeId('R', repo.id),
    name: repo.name.slice(owner.length + 1),
    full_name: repo.name,
    private: true,
    visibility: 'private',
    owner: { login: owner, id: repo.ownerId, node_id: nodeId('U', repo.ownerId), type: 'User', site_admin: false },
    html_url: `https://github.com/${repo.name}`,
    description: null,
    fork: false,
    default_branch: 'main',
    permissions: rolePermissions(token.role),
  };
}

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The token of `Authorization: Bearer …` / `token …`, if any (no side effects). */
export function gitHubCaller(store: Store, h: IncomingHttpHeaders): GitHubTokenRec | undefined {
  const m = /^(?:bearer|token)\s+(\S+)\s*$/i.exec(header(h, 'authorization') ?? '');
  return m ? store.destinations.githubTokens.get(m[1] as string) : undefined;
}

function authenticate(store: Store, h: IncomingHttpHeaders): GitHubTokenRec {
  if (header(h, 'authorization') === undefined) throw new GhError(401, 'Requires authentication');
  const t = gitHubCaller(store, h);
  if (t === undefined) throw new GhError(401, 'Bad credentials');
  return t;
}

/** Handles one GitHub request against the store. Never throws. */
export function handleGitHub(store: Store, _method: string, _path: string, headers: IncomingHttpHeaders, rawBody: string, match: GhMatch | 'method' | undefined): GhResult {
  try {
    if (match === undefined) throw new GhError(404, 'Not Found');
    if (match === 'method') throw new GhError(404, 'Not Found');
    const token = authenticate(store, headers);
    const p = match.params;
    const full = `${p.owner}/${p.repo}`;
    const repo: GitHubRepoRec | undefined = store.destinations.repos.get(full.toLowerCase());
    if (repo === undefined || (token.repos !== undefined && !token.repos.includes(full.toLowerCase()))) throw new GhError(404, 'Not Found');
    // Repository metadata: every token that sees the repository may read it (fine-grained tokens always hold "Metadata: read").
    if (match.route.op === 'githubGetRepo') return { status: 200, body: repoView(repo, token) };
    let scope: GitHubScopeRec = repo;
    let perm = token.secrets;
    if (p.environment_name !== undefined) {
      const env = repo.environments.get(p.environment_name.toLowerCase());
      if (env === undefined) throw new GhError(404, 'Not Found');
      scope = env;
      perm = token.environments;
    }
    const write = match.route.op === 'githubPutSecret';
    if (perm === 'none' || (write && perm !== 'write')) throw new GhError(403, 'Resource not accessible by personal access token');
    // Creating or updating a secret (repository or environment) takes write access; reading takes any collaborator's.
    if (write && !rolePermissions(token.role).push) throw new GhError(403, 'Must have write access to this repository.');
    const now = store.now();
    switch (match.route.op) {
      case 'githubGetPublicKey':
        return { status: 200, body: { key_id: scope.key.keyId, key: Buffer.from(scope.key.publicKey).toString('base64') } };
      case 'githubGetSecret': {
        const s = scope.secrets.get((p.secret_name as string).toUpperCase());
        if (s === undefined) throw new GhError(404, 'Not Found');
        return { status: 200, body: { name: s.name, created_at: ghTime(s.createdAt), updated_at: ghTime(s.updatedAt) } };
      }
      default: {
        const name = p.secret_name as string;
        let body: unknown;
        try {
          body = rawBody.trim() === '' ? undefined : JSON.parse(rawBody);
        } catch {
          throw new GhError(400, 'Problems parsing JSON');
        }
        if (!isRecord(body)) throw new GhError(400, 'Problems parsing JSON');
        if (!GITHUB_SECRET_NAME.test(name)) throw new GhError(422, 'Secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_), must not start with a number or GITHUB_.');
        if (typeof body.encrypted_value !== 'string' || !BASE64.test(body.encrypted_value)) throw new GhError(422, 'Invalid request.\n\n"encrypted_value" is not a base64 string.');
        if (typeof body.key_id !== 'string') throw new GhError(422, 'Invalid request.\n\n"key_id" wasn\'t supplied.');
        if (body.key_id !== scope.key.keyId) throw new GhError(422, 'Invalid request.\n\n"key_id" is not the current public key.');
        const value = openSealed(Buffer.from(body.encrypted_value, 'base64'), scope.key);
        if (value === undefined) throw new GhError(422, 'Invalid request.\n\n"encrypted_value" could not be decrypted with the key "key_id".');
        if (Buffer.byteLength(value) > MAX_SECRET_BYTES) throw new GhError(422, 'Invalid request.\n\nThe secret is larger than 48 KB.');
        const key = name.toUpperCase();
        const existing = scope.secrets.get(key);
        if (existing) {
          existing.value = value;
          existing.updatedAt = now;
          return { status: 204, body: undefined };
        }
        scope.secrets.set(key, { name: key, value, createdAt: now, updatedAt: now });
        return { status: 201, body: {} };
      }
    }
  } catch (e) {
    if (e instanceof GhError) return gitHubError(e.status, e.message);
    return gitHubError(500, `Simulator internal error: ${e instanceof Error ? e.message : String(e)}`);
  }
}
