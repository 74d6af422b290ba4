/**
 * A small client of GitHub's REST API for one thing: Actions secrets of a repository or of one of
 * its environments (get the public key, write a sealed value, read the secret's metadata). Not the
 * Cloudflare request core: GitHub has its own errors, auth and limits. The same care, though:
 * a per-attempt timeout, no redirects (the token stays on the API host), capped bodies, typed
 * errors that say what failed and what to do, and never a secret in a message (the token is
 * registered with the redactor before anything can be logged).
 *
 * Routes (GitHub REST docs, "REST API endpoints for GitHub Actions Secrets"; "Get a repository"):
 *   GET /repos/{o}/{r}                                                → {full_name, permissions?: {admin, push, pull, maintain?, triage?}}
 *   GET /repos/{o}/{r}/actions/secrets/public-key                     → {key_id, key}
 *   GET /repos/{o}/{r}/actions/secrets/{name}                         → {name, created_at, updated_at}
 *   PUT /repos/{o}/{r}/actions/secrets/{name} {encrypted_value, key_id} → 201 created / 204 updated
 *   and the same under /repos/{o}/{r}/environments/{env}/secrets/…
 */
import { performance } from 'node:perf_hooks';
import * as l10n from '@vscode/l10n';
import * as z from 'zod/mini';
import { CfRotateError, type ErrorKind } from '../errors';
import { redactingLogger } from '../log';
import { nullLogger, systemClock, type Clock, type Logger } from '../ports';
import { registerSecret } from '../redact';
import { notification } from '../text';
import { VERSION } from '../version';
import { classifyTransportError, FetchTransport, requestSignal, ResponseTooLargeError, type HttpRequest, type HttpResponse, type HttpTransport } from '../cloudflare/transport';
import { wording } from '../wording';

export { DEFAULT_GITHUB_API_URL, validateGitHubApiUrl } from './url';
import { DEFAULT_GITHUB_API_URL, validateGitHubApiUrl } from './url';
/** The REST API version cf-rotate was written against (GitHub keeps versions for at least 24 months). */
export const GITHUB_API_VERSION = '2022-11-28';
const DEFAULT_TIMEOUT_MS = 20_000;
const DEFAULT_MAX_RETRIES = 2;
/**
 * GitHub's rules after a rate limit ("Rate limits for the REST API", "Handle rate limit errors
 * appropriately"): wait `retry-after` seconds when it is sent; else, when `x-ratelimit-remaining` is
 * 0, until `x-ratelimit-reset`; else (a secondary rate limit without either) at least one minute,
 * longer at each retry ("an exponentially increasing amount of time"), and give up after a few.
 */
const SECONDARY_LIMIT_WAIT_MS = 60_000;
/** The longest wait cf-rotate sits through before a retry; a longer one is reported (the caller retries later). */
const MAX_RATE_LIMIT_WAIT_MS = 120_000;
/** GitHub's message of a secondary rate limit ("You have exceeded a secondary rate limit…"; formerly "abuse detection mechanism"). */
const SECONDARY_LIMIT = /secondary rate limit|abuse detection/i;
/** Rate-limit errors whose wait GitHub did not state (no retry-after, no exhausted x-ratelimit-*): each retry waits twice as long. */
const UNTIMED = new WeakSet<CfRotateError>();
const HEADER_SAFE = /^[\x21-\x7e]+$/;

/** A repository, or one environment of it. */
export interface GitHubSecretScope {
  owner: string;
  repo: string;
  environment?: string | undefined;
}

export interface GitHubPublicKey {
  keyId: string;
  /** Base64 of the 32-byte X25519 public key. */
  key: string;
}

/** A repository as GET /repos/{owner}/{repo} describes it to the token's user. */
export interface GitHubRepoInfo {
  fullName: string;
  /**
   * The user's access (`permissions`), when GitHub reports it: it does for a user's token; the
   * documented schema makes it optional, so its absence means "not known", not "none". Left out
   * for a GitHub App installation token (`ghs_…`): what such a token may do is the app's
   * permissions (e.g. "Secrets: write"), not a user's role.
   */
  permissions?: { admin: boolean; maintain?: boolean | undefined; push: boolean; triage?: boolean | undefined; pull: boolean } | undefined;
}

export interface GitHubSecretInfo {
  name: string;
  createdAt?: string | undefined;
  updatedAt?: string | undefined;
}

export interface GitHubRequestOptions {
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
  maxRetries?: number | undefined;
}

/** What cf-rotate needs of GitHub. */
export interface GitHubApi {
  readonly baseUrl: URL;
  /** Where the token came from, for messages ("GH_TOKEN", "the token stored with …"). */
  readonly source: string;
  /** The repository of `scope` (its environment aside) and what the token's user may do in it. */
  repository(scope: GitHubSecretScope, opts?: GitHubRequestOptions): Promise<GitHubRepoInfo>;
  publicKey(scope: GitHubSecretScope, opts?: GitHubRequestOptions): Promise<GitHubPublicKey>;
  /** The secret's metadata, or undefined when it does not exist yet. */
  getSecret(scope: GitHubSecretScope, name: string, opts?: GitHubRequestOptions): Promise<GitHubSecretInfo | undefined>;
  /** Create or replace the secret with a value sealed to the key `keyId`. */
  putSecret(scope: GitHubSecretScope, name: string, encryptedValue: string, keyId: string, opts?: GitHubRequestOptions): Promise<'created' | 'updated'>;
}

export interface GitHubClientOptions {
  /** Default https://api.github.com; validated (https, or http to loopback). */
  baseUrl?: string | undefined;
  token: string;
  /** Where the token came from, for messages: "GH_TOKEN", "the token stored with Set GitHub Token…". */
  source: string;
  logger?: Logger | undefined;
  clock?: Clock | undefined;
  transport?: HttpTransport | undefined;
  timeoutMs?: number | undefined;
  maxRetries?: number | undefined;
  userAgent?: string | undefined;
}


const PublicKeySchema = z.object({ key_id: z.string().check(z.minLength(1)), key: z.string().check(z.regex(/^[A-Za-z0-9+/]{43}=$/, 'a base64 32-byte key')) });
/** "full-repository": `full_name` required; `permissions` optional, with `admin`, `push`, `pull` required in it. */
const RepoSchema = z.object({
  full_name: z.string(),
  permissions: z.optional(z.object({ admin: z.boolean(), maintain: z.optional(z.boolean()), push: z.boolean(), triage: z.optional(z.boolean()), pull: z.boolean() })),
});
const SecretSchema = z.object({ name: z.string(), created_at: z.optional(z.string()), updated_at: z.optional(z.string()) });
const ErrorSchema = z.object({ message: z.optional(z.string()) });

/** "owner/repo" or "owner/repo (environment prod)". */
export function scopeLabel(s: GitHubSecretScope): string {
  return s.environment !== undefined ? l10n.t('{0}/{1} (environment "{2}")', s.owner, s.repo, s.environment) : `${s.owner}/${s.repo}`;
}

function secretsPath(s: GitHubSecretScope): string {
  const repo = `/repos/${encodeURIComponent(s.owner)}/${encodeURIComponent(s.repo)}`;
  return s.environment !== undefined ? `${repo}/environments/${encodeURIComponent(s.environment)}/secrets` : `${repo}/actions/secrets`;
}

type Op = 'githubGetRepo' | 'githubGetPublicKey' | 'githubGetSecret' | 'githubPutSecret';

interface Call {
  op: Op;
  what: string;
  method: 'GET' | 'PUT';
  path: string;
  body?: unknown;
  scope: GitHubSecretScope;
  /** A 404 means this: the secret does not exist yet (getSecret) rather than a missing repository. */
  notFoundOk?: boolean;
  opts?: GitHubRequestOptions | undefined;
}

export class GitHubClient implements GitHubApi {
  readonly baseUrl: URL;
  private readonly token: string;
  readonly source: string;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly transport: HttpTransport;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly userAgent: string;

  constructor(o: GitHubClientOptions) {
    registerSecret(o.token);
    this.token = o.token.trim();
    registerSecret(this.token);
    this.source = o.source;
    this.baseUrl = validateGitHubApiUrl(o.baseUrl ?? DEFAULT_GITHUB_API_URL);
    this.logger = redactingLogger(o.logger ?? nullLogger);
    this.clock = o.clock ?? systemClock;
    this.transport = o.transport ?? new FetchTransport();
    this.timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxRetries = o.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.userAgent = o.userAgent ?? `cf-rotate/${VERSION}`;
  }

  async repository(scope: GitHubSecretScope, opts?: GitHubRequestOptions): Promise<GitHubRepoInfo> {
    const repo = { owner: scope.owner, repo: scope.repo };
    const what = l10n.t('reading the repository {0}', scopeLabel(repo));
    const r = await this.call({ op: 'githubGetRepo', what, method: 'GET', path: `/repos/${encodeURIComponent(scope.owner)}/${encodeURIComponent(scope.repo)}`, scope: repo, opts });
    const parsed = RepoSchema.safeParse(r.json);
    if (!parsed.success) throw this.contract(what, l10n.t('no full_name, or permissions without admin, push and pull'));
    const p = this.token.startsWith('ghs_') ? undefined : parsed.data.permissions;
    return { fullName: parsed.data.full_name, ...(p ? { permissions: { admin: p.admin, maintain: p.maintain, push: p.push, triage: p.triage, pull: p.pull } } : {}) };
  }

  async publicKey(scope: GitHubSecretScope, opts?: GitHubRequestOptions): Promise<GitHubPublicKey> {
    const what = l10n.t('reading the Actions secrets public key of {0}', scopeLabel(scope));
    const r = await this.call({ op: 'githubGetPublicKey', what, method: 'GET', path: `${secretsPath(scope)}/public-key`, scope, opts });
    const parsed = PublicKeySchema.safeParse(r.json);
    if (!parsed.success) throw this.contract(what, l10n.t('no key_id and 32-byte base64 key'));
    return { keyId: parsed.data.key_id, key: parsed.data.key };
  }

  async getSecret(scope: GitHubSecretScope, name: string, opts?: GitHubRequestOptions): Promise<GitHubSecretInfo | undefined> {
    const what = l10n.t('reading the Actions secret {0} of {1}', name, scopeLabel(scope));
    const r = await this.call({ op: 'githubGetSecret', what, method: 'GET', path: `${secretsPath(scope)}/${encodeURIComponent(name)}`, scope, notFoundOk: true, opts });
    if (r.status === 404) return undefined;
    const parsed = SecretSchema.safeParse(r.json);
    if (!parsed.success) throw this.contract(what, l10n.t('no secret name'));
    return { name: parsed.data.name, createdAt: parsed.data.created_at, updatedAt: parsed.data.updated_at };
  }

  async putSecret(scope: GitHubSecretScope, name: string, encryptedValue: string, keyId: string, opts?: GitHubRequestOptions): Promise<'created' | 'updated'> {
    const what = l10n.t('writing the Actions secret {0} of {1}', name, scopeLabel(scope));
    const r = await this.call({ op: 'githubPutSecret', what, method: 'PUT', path: `${secretsPath(scope)}/${encodeURIComponent(name)}`, body: { encrypted_value: encryptedValue, key_id: keyId }, scope, opts });
    return r.status === 201 ? 'created' : 'updated';
  }

  private contract(what: string, detail: string): CfRotateError {
    return new CfRotateError('contract', l10n.t("{0}: GitHub's answer did not have the documented shape ({1}).", cap(what), detail), { hint: l10n.t('Check the GitHub API URL (cfRotate.githubApiUrl / GITHUB_API_URL); retry later.') });
  }

  /** Attempts with retries: GETs and the PUT (the same sealed value again is harmless) on network trouble, 5xx and rate limits. */
  private async call(c: Call): Promise<{ status: number; json: unknown }> {
    const max = c.opts?.maxRetries ?? this.maxRetries;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(c);
      } catch (e) {
        const err = e instanceof CfRotateError ? e : new CfRotateError('internal', l10n.t('{0} failed unexpectedly.', cap(c.what)), { cause: e });
        const delay = err.kind === 'rate-limited' && UNTIMED.has(err) ? (err.retryAfterMs ?? SECONDARY_LIMIT_WAIT_MS) * 2 ** attempt : (err.retryAfterMs ?? Math.min(5_000, 500 * 2 ** attempt));
        const retryable = err.kind === 'network' || err.kind === 'ambiguous' || err.kind === 'server' || (err.kind === 'rate-limited' && delay <= MAX_RATE_LIMIT_WAIT_MS);
        if (!retryable || attempt >= max || c.opts?.signal?.aborted) throw err;
        this.logger.info(`github ${c.op}: ${err.kind}${err.status ? ` (HTTP ${err.status})` : ''}; retry ${attempt + 1}/${max} in ${delay} ms`);
        await this.clock.sleep(delay, c.opts?.signal).catch(() => {
          throw err;
        });
      }
    }
  }

  private async attempt(c: Call): Promise<{ status: number; json: unknown }> {
    if (!HEADER_SAFE.test(this.token)) {
      throw new CfRotateError('auth', l10n.t('{0} failed: the GitHub token ({1}) contains characters that cannot be sent (spaces, line breaks or non-ASCII).', cap(c.what), this.source), {
        hint: l10n.t('{0}, without surrounding spaces or line breaks. Nothing was sent.', cap(wording().setGitHubToken())),
      });
    }
    const url = `${this.baseUrl.href.replace(/\/+$/, '')}${c.path}`;
    const headers: Record<string, string> = {
      accept: 'application/vnd.github+json',
      authorization: `Bearer ${this.token}`,
      'x-github-api-version': GITHUB_API_VERSION,
      'user-agent': this.userAgent,
    };
    if (c.body !== undefined) headers['content-type'] = 'application/json';
    const timeoutMs = c.opts?.timeoutMs ?? this.timeoutMs;
    const sig = requestSignal(timeoutMs, c.opts?.signal);
    const started = performance.now();
    const req: HttpRequest = { method: c.method, url, headers, body: c.body === undefined ? undefined : JSON.stringify(c.body), signal: sig.signal };
    let res: HttpResponse;
    try {
      res = await this.transport.send(req);
    } catch (e) {
      const ms = Math.round(performance.now() - started);
      if (e instanceof ResponseTooLargeError) throw this.contract(c.what, e.message);
      const { failure, code } = sig.timedOut() ? { failure: 'ambiguous' as const, code: 'timeout' } : classifyTransportError(e);
      const seconds = Math.round(timeoutMs / 100) / 10;
      // The log stays English (it is for bug reports); the message says the same in the display language.
      this.logger.warn(`github ${c.op}: ${c.method} ${c.path} failed after ${ms} ms (${sig.timedOut() ? `no answer within ${seconds} s` : (code ?? 'connection failed')})`);
      const why = sig.timedOut() ? l10n.t('no answer within {0} s', seconds) : (code ?? l10n.t('connection failed'));
      if (!sig.timedOut() && c.opts?.signal?.aborted) throw new CfRotateError('cancelled', l10n.t('{0} was cancelled.', cap(c.what)), { hint: l10n.t('Run it again when you are ready.') });
      if (failure === 'network') {
        throw new CfRotateError('network', l10n.t('Could not reach GitHub at {0} while {1} ({2}); nothing was sent.', this.baseUrl.host, c.what, why), {
          hint: l10n.t('Check your network connection, proxy and DNS, then retry; retrying is safe.'),
          cause: e,
        });
      }
      throw new CfRotateError('ambiguous', l10n.t('No answer from GitHub while {0} ({1}).', c.what, why), { hint: l10n.t('Retrying is safe: the same value is written again.'), cause: e });
    } finally {
      sig.done();
    }
    const ms = Math.round(performance.now() - started);
    this.logger.debug(`github ${c.op}: ${c.method} ${c.path} -> ${res.status} in ${ms} ms (x-github-request-id ${res.headers.get('x-github-request-id') ?? '-'}, ratelimit-remaining ${res.headers.get('x-ratelimit-remaining') ?? '-'})`);
    let json: unknown;
    try {
      json = res.text === '' ? undefined : JSON.parse(res.text);
    } catch {
      json = undefined;
    }
    if (res.status >= 200 && res.status < 300) return { status: res.status, json };
    if (res.status === 404 && c.notFoundOk) return { status: 404, json };
    throw this.httpError(c, res, json);
  }

  private httpError(c: Call, res: HttpResponse, json: unknown): CfRotateError {
    const said = ErrorSchema.safeParse(json);
    const text = said.success && said.data.message ? `: ${notification(said.data.message).replace(/\s+/g, ' ').slice(0, 160)}` : '';
    const st = `HTTP ${res.status}${text}`;
    const What = cap(c.what);
    const where = scopeLabel(c.scope);
    const remaining = res.headers.get('x-ratelimit-remaining');
    const retryAfter = Number(res.headers.get('retry-after'));
    const reset = Number(res.headers.get('x-ratelimit-reset'));
    const hasRetryAfter = Number.isFinite(retryAfter) && retryAfter > 0;
    const exhausted = remaining === '0' && Number.isFinite(reset) && reset > 0;
    // A secondary rate limit is a 403 (or 429) that may carry neither header: GitHub's message says which it is.
    const secondary = (res.status === 403 || res.status === 429) && said.success && SECONDARY_LIMIT.test(said.data.message ?? '');
    const limited = res.status === 429 || secondary || (res.status === 403 && (remaining === '0' || hasRetryAfter));
    const details = { status: res.status };
    if (limited) {
      const waitMs = hasRetryAfter ? retryAfter * 1000 : exhausted ? Math.max(1000, reset * 1000 - this.clock.now()) : SECONDARY_LIMIT_WAIT_MS;
      const err = new CfRotateError(
        'rate-limited',
        secondary ? l10n.t("{0} was refused: GitHub's secondary rate limit was reached ({1}).", What, st) : l10n.t("{0} was refused: GitHub's rate limit was reached ({1}).", What, st),
        { ...details, retryAfterMs: waitMs, hint: l10n.t('Wait {0} s and retry.', Math.ceil(waitMs / 1000)) },
      );
      if (!hasRetryAfter && !exhausted) UNTIMED.add(err);
      return err;
    }
    const kind: ErrorKind = res.status === 401 ? 'auth' : res.status === 403 ? 'permission' : res.status === 404 ? 'not-found' : res.status >= 500 ? 'server' : 'validation';
    const repo = `${c.scope.owner}/${c.scope.repo}`;
    const env = c.scope.environment;
    switch (kind) {
      case 'auth':
        return new CfRotateError('auth', l10n.t('{0} failed: GitHub rejected the GitHub token ({1}) ({2}).', What, this.source, st), { ...details, hint: l10n.t('{0} with a valid token, then retry.', cap(wording().setGitHubToken())) });
      case 'permission':
        return new CfRotateError('permission', l10n.t('{0} failed: the GitHub token ({1}) may not manage the Actions secrets of {2} ({3}).', What, this.source, where, st), {
          ...details,
          permission: env !== undefined ? 'Environments: write' : 'Secrets: write',
          hint:
            env !== undefined
              ? l10n.t('Use a token with the repository permission "Environments" (read and write) (fine-grained), or the "repo" scope (classic), from an account with collaborator access to {0}.', repo)
              : l10n.t('Use a token with the repository permission "Secrets" (read and write) (fine-grained), or the "repo" scope (classic), from an account with collaborator access to {0}.', repo),
        });
      case 'not-found':
        return new CfRotateError(
          'not-found',
          env !== undefined
            ? l10n.t('{0} failed: GitHub has no repository {1} with an environment "{2}" that the token ({3}) can see ({4}).', What, repo, env, this.source, st)
            : l10n.t('{0} failed: GitHub has no repository {1} that the token ({2}) can see ({3}).', What, repo, this.source, st),
          {
            ...details,
            hint:
              env !== undefined
                ? l10n.t('Check the "github" and "environment" of the target in cf-rotate.json; for a private repository the token needs access to it, and the environment must exist (repository Settings › Environments).')
                : l10n.t('Check the "github" of the target in cf-rotate.json; for a private repository the token needs access to it.'),
          },
        );
      case 'server':
        return new CfRotateError('server', l10n.t('{0} failed: GitHub had an internal error ({1}).', What, st), { ...details, hint: l10n.t('Retry in a few minutes; see https://www.githubstatus.com.') });
      default:
        return new CfRotateError('validation', l10n.t('{0} failed: GitHub rejected the request ({1}).', What, st), { ...details, hint: l10n.t('Check the secret name and the target in cf-rotate.json.') });
    }
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
