/**
 * The rotation engine.
 *
 *   lock the credential (machine-wide) → preflight (files, destinations) → journal the intent right
 *   before the request is sent (with the instant after which it can no longer take effect) →
 *   journal the new secret the moment it is taken out of the answer → write every target: the
 *   files first (checked writer, per-file lock, compare before write), then each destination
 *   (Worker, Pages, Secrets Store, GitHub Actions; journaled as done one by one), while the new
 *   secret is verified beside them (a read; its verdict counts only once every target is written) →
 *   clean up (MoQ: delete the previous token) → history → clear the journal → unlock.
 *
 * An unanswered call is settled by asking Cloudflare, and "not rotated" is said only once the call
 * can no longer take effect. A verdict is journaled, then recorded in the history, then the
 * entry is removed, so a kill at any instant leaves the entry or the recorded verdict.
 * Runs unchanged in the extension and the CLI: everything outside is a port.
 */
import * as l10n from '@vscode/l10n';
import type { AdminCredential, CloudflareApi, CredentialCheck, MutationOptions, SecretFacts, SecretValues, TokenGrant } from '../cloudflare/types';
import { destinationTargets, fileTargets, strategyOf, targetLabel, type TokenConfig, type TokenKind } from '../config/schema';
import { CONFIG_RELATIVE_PATH, type ConfigTexts } from '../config/load';
import { interruptedJournals, journalLabels, sweepTargets } from './housekeeping';
import type { CredentialSource } from '../credentials';
import { readDotenvValue } from '../dotenv/patch';
import { CfRotateError, toCfRotateError, type ErrorKind } from '../errors';
import type { HistoryEntry, HistoryStore } from '../history';
import type { Clock, Files, Git, GitStatus, Locks, Logger } from '../ports';
import { takingOver } from '../locks';
import { registerSecret } from '../redact';
import type { GitHubApi } from '../github/client';
import { Journal, MemoryJournalStore, secretValuesOf, TakenOverError, type JournalDestination, type JournalEntry, type JournalStore, type Verdict } from './journal';
import { Retirements } from '../retire';
import { adminTokenName, configStep, runAfterTargets } from './after';
import { KeyedQueue, mapLimit, Slots } from './queue';
import { assertOwnVariables, configRealPath, configuredTokens, destinationDriver, destinationFromConfig, destinationNote, hashValue, holdsOldValue, prepareTargets, readTargetText, writeTargetFile, type DestinationContext, type PreparedTarget } from './targets';
import { driverFor, resourceId, type DriverContext, type ProbeAnswer } from './kinds';
import { cap, wording } from '../wording';
import { scopeOf } from './kinds/serviceToken';
import { rotationSchemeProblem } from '../cloudflare/permissions';

export { resourceId };

export interface EngineDeps {
  files: Files;
  /** Parsed cf-rotate.json texts by folder (the editor passes its registry's, so an unchanged file is not parsed again per rotation). */
  configTexts?: ConfigTexts;
  /** Where journal entries live (one durable record per credential). */
  journal: JournalStore;
  /** Machine-wide locks: one rotation of a credential, one writer of a file, at a time. */
  locks: Locks;
  credentials: CredentialSource;
  history: HistoryStore;
  /**
   * git, asked whether targets are tracked or ignored. Inside a work tree a target git tracks or
   * does not ignore is refused unless it says `"allowTracked": true`. Omitted: no git gate (tests).
   */
  git?: Git;
  clock: Clock;
  logger: Logger;
  /** Builds an API client for a credential. */
  api: (credential: AdminCredential, profile: string) => CloudflareApi;
  /** GitHub, for targets that are GitHub Actions secrets. Omitted: such targets are refused before anything is rotated. */
  github?: GitHubAccess;
  /** Grace period for Access service tokens without their own `gracePeriod` (default "1h"). */
  defaultGracePeriod?: string;
  /** How long to wait for another process's write of the same file (default 15 s). */
  fileLockWaitMs?: number;
  /**
   * How long after the request timeout an unanswered request may still take effect at Cloudflare
   * (default `deadlineMargin(timeout)`: the timeout again, 2–20 s). Tests with a fast simulator shorten it.
   */
  deadlineMarginMs?: number;
  /** Where pending retirements live (one record each; default: in memory). The state directory's `retire/` in the hosts. */
  retirements?: JournalStore;
  /**
   * Stores a new admin credential for a profile (the extension's SecretStorage). Without it, a
   * rotation of an admin credential cannot finish here (the CLI: credentials come from the environment).
   */
  credentialSink?: { set(profile: string, credential: AdminCredential): Promise<void> };
  /**
   * Observes each durable step (tracing; the crash-injection suite kills the process here).
   * Called after the step's state is persisted, before the next irreversible action.
   */
  checkpoint?: (point: Checkpoint, token: string) => void | Promise<void>;
}

/** The host's way to a GitHub client with the user's GitHub credential. */
export interface GitHubAccess {
  /**
   * A client, or a 'credential-missing' error saying how to provide a token. `interactive`: before
   * a rotation the host may ask the user to sign in; afterwards (writing, resuming) it must not wait for that.
   */
  client(o: { interactive: boolean }): Promise<GitHubApi>;
}

export type Checkpoint =
  | 'before-call' // intent journaled, request about to be sent
  | 'response-received' // the new secret is in memory only
  | 'secret-journaled' // the new secret is in the journal
  | 'target-written' // one target file, or one destination, written (others may follow)
  | 'files-written' // every target (files and destinations) written, not verified yet
  | 'config-written' // replace: cf-rotate.json names the twin
  | 'credential-stored' // admin rotation: the new value is the stored credential
  | 'retirement-recorded' // the previous credential's retirement is durable (the journal entry still exists)
  | 'verdict-journaled' // an unanswered call's verdict (or a discard) is in the journal entry
  | 'verdict-recorded'; // that verdict is in the history too; the journal entry is removed next

export type RotationState =
  | 'rotated' // new secret live and in every target
  | 'recovered' // an interrupted rotation was completed
  | 'planned' // dry run: preflight passed
  | 'failed' // nothing changed at Cloudflare (or nothing more can be done)
  | 'pending' // the new secret is safe in the journal but not (yet) in every target: resume
  | 'lost' // Cloudflare rotated but the new secret never arrived: rotate again
  | 'unknown' // cannot tell yet whether Cloudflare rotated: resume later
  | 'busy'; // another live process works on this credential

export interface RotationResult {
  name: string;
  folder: string;
  kind: TokenKind;
  ok: boolean;
  state: RotationState;
  /** `file › KEY` for every file target, then `worker:name › KEY`, `github:owner/repo › KEY`… for each destination. */
  targets: string[];
  error?: { kind: ErrorKind; message: string; hint?: string };
  warnings: string[];
  verified?: boolean;
  /** What the writes did beyond the files (a Worker deployed a new version, …); never a secret. */
  notes?: string[];
  graceUntil?: string;
  expiresAt?: string;
  /** State `unknown`: when asking again can give a final answer (ISO). */
  checkAgainAt?: string;
  /** An unanswered call was settled: Cloudflare did not rotate (safe to retry), or it rotated and the secret was lost. */
  verdict?: 'not-rotated' | 'lost';
  /** `strategy: "replace"`: the twin's id (cf-rotate.json now names it). */
  tokenId?: string;
  /** The previous credential (replace, OAuth clients) is deleted at this time (ISO), or was deleted now (`retired`). */
  retiresAt?: string;
  retired?: boolean;
  durationMs: number;
}

export interface RotateOptions {
  dryRun?: boolean;
  signal?: AbortSignal;
  onProgress?: (step: string) => void;
  /** cf-rotate.json relative to the folder (default `.vscode/cf-rotate.json`): `strategy: "replace"` points its `tokenId` at the twin. */
  config?: string;
  /**
   * The batch this rotation belongs to (`rotateMany` passes its own). The rotation holds one of
   * its slots while its call that makes the secret is out, and again while the verify is out,
   * never while it checks, journals or writes files. Cancelling the batch's `signal` stops a
   * rotation that is still waiting for its slot (nothing was sent); one whose call went out finishes.
   */
  batch?: {
    slots: Slots;
    signal?: AbortSignal | undefined;
    git?: (folder: string) => Promise<Map<string, GitStatus> | undefined> | undefined;
    /** The real path of the configuration in use in a folder, resolved once per batch. */
    configReal?: (folder: string) => Promise<string | undefined> | undefined;
    /** The entries of the configuration in use in a folder, read once per batch (assertOwnVariables). */
    configTokens?: (folder: string) => Promise<readonly TokenConfig[] | undefined>;
  };
}

export interface RotateAdminOptions {
  /** `replace` (default): a twin takes over, the previous token is deleted after `overlap`; `roll`: the value changes in place. */
  strategy?: 'roll' | 'replace';
  /** `replace`: how long the previous admin token keeps working (default 24h; "0s": deleted right after the new one is stored). */
  overlap?: string;
  signal?: AbortSignal;
  onProgress?: (step: string) => void;
}

export interface ResumeOptions {
  /** Overwrite a target that holds a value that is neither the old nor the new secret. */
  overwriteConflicts?: boolean;
  /** Wait for the call's deadline when it is this close (default 20 s); further away, answer "check again at". */
  waitForDeadlineMs?: number;
  /**
   * The user asked to take over (`cf-rotate resume --take-over`): a target file's lock held by a
   * process this machine cannot check (another host's, a rebuilt dev container's) is broken
   * instead of waited for (`takingOver`), so its secret can be written. Off: such a lock makes
   * the write busy, and the secret stays in the journal.
   */
  takeOver?: boolean;
  signal?: AbortSignal;
  onProgress?: (step: string) => void;
}

/** Progress steps the engine reports (hosts word them). `waiting` and `probing` carry details after a colon. */
export type ProgressStep = 'checking' | 'rotating' | 'writing' | 'verifying' | 'cleaning-up' | `waiting:${string}` | `probing:${string}`;

/**
 * After the request timeout, how long a request may still take effect at Cloudflare: as long as
 * the timeout itself, 2–20 s. A request Cloudflare holds can be applied after the client gave up
 * (the simulator's late-commit); the verdict waits that long, and a hung call still gets one
 * within about 45 s at the default timeout (20 s + 20 s + the check).
 */
export function deadlineMargin(timeoutMs: number): number {
  return Math.min(20_000, Math.max(2_000, Math.round(timeoutMs)));
}
/** Journals of cf-rotate 0.1 have no deadline: its rotation calls timed out after 30 s, never retried. */
const LEGACY_DEADLINE_MS = 60_000;
/** Probes after an unanswered call (each short: see kinds/driver.ts PROBE). */
const PROBE_ATTEMPTS = 2;

export { journalLabels } from './housekeeping';

/** Kinds of API failure after which the rotation may nevertheless have happened. */
const MAYBE_HAPPENED: ReadonlySet<ErrorKind> = new Set(['ambiguous', 'server', 'contract', 'internal']);

/** Does the text already say that nothing was rotated (in English, or in the display language's words)? */
function saysNothingRotated(text: string): boolean {
  return /nothing was (rotated|changed)/i.test(text) || text.includes(l10n.t('Nothing was rotated.')) || text.includes(l10n.t('Nothing was changed.'));
}

/** The error with "Nothing was rotated." in its hint, unless it says so already. */
export const withNothingRotated = (e: CfRotateError): CfRotateError =>
  saysNothingRotated(`${e.message} ${e.hint ?? ''}`)
    ? e
    : new CfRotateError(e.kind, e.message, { hint: e.hint ? l10n.t('{0} Nothing was rotated.', e.hint) : l10n.t('Nothing was rotated.'), ...(e.status ? { status: e.status } : {}), codes: e.codes, cause: e });

type Base = Pick<RotationResult, 'name' | 'folder' | 'kind' | 'targets'>;

export class RotationEngine {
  readonly journal: Journal;
  /** Pending retirements of previous credentials (replace, OAuth clients, the admin credential). */
  readonly retirements: Retirements;
  private readonly writes = new KeyedQueue();
  /** Target files whose folder was swept of dead processes' temporaries, and when (writeTargetFile). */
  private readonly swept = new Map<string, number>();
  private readonly apis = new Map<string, CloudflareApi>();
  /** Per profile+credential: the admin credential's check (its token's own id, to refuse rolling the credential itself; its account, when account-owned). */
  private readonly adminIds = new Map<string, Promise<CredentialCheck>>();

  constructor(private readonly deps: EngineDeps) {
    this.journal = new Journal(deps.journal, deps.locks);
    this.retirements = new Retirements({
      store: deps.retirements ?? new MemoryJournalStore(),
      locks: deps.locks,
      clock: deps.clock,
      logger: deps.logger,
      history: deps.history,
      apiFor: async (profile) => (await this.apiFor(profile)).api,
    });
  }

  private credentialKey(profile: string, c: AdminCredential): string {
    return `${profile}\u0000${c.type === 'api-token' ? hashValue(c.token) : hashValue(`${c.email}\u0000${c.key}`)}`;
  }

  private async apiFor(profile: string): Promise<{ api: CloudflareApi; key: string; credential: AdminCredential }> {
    const credential = await this.deps.credentials.get(profile);
    if (!credential) {
      throw new CfRotateError('credential-missing', l10n.t('No Cloudflare credential is set for profile "{0}".', profile), {
        hint: l10n.t('{0}.', cap(wording().setCredential(profile))),
      });
    }
    const key = this.credentialKey(profile, credential);
    let api = this.apis.get(key);
    if (!api) {
      api = this.deps.api(credential, profile);
      this.apis.set(key, api);
    }
    return { api, key, credential };
  }

  /**
   * When the call of `entry` can no longer take effect at Cloudflare, on this process's wall clock.
   * On the boot that sent it, also by the time since boot: a wall clock stepped forward since (NTP
   * after a suspend, a VM restore, a process with a skewed clock) must not make a request that may
   * still land look settled, and a "not rotated" verdict come too early.
   */
  private deadline(entry: Pick<JournalEntry, 'deadline' | 'sentAt' | 'startedAt' | 'sentBoot'>): number {
    return effectiveDeadline(entry, this.deps.clock.now(), entry.sentBoot ? this.deps.clock.sinceBoot?.() : undefined);
  }

  /** Forget cached API clients (after a credential or the base URL changed). */
  resetClients(): void {
    this.apis.clear();
    this.adminIds.clear();
  }

  /** What a driver works with. */
  private ctx(api: CloudflareApi, signal?: AbortSignal, adminTokenAccountOwned?: boolean): DriverContext {
    return { api, history: this.deps.history, logger: this.deps.logger, clock: this.deps.clock, signal, defaultGracePeriod: this.deps.defaultGracePeriod ?? '1h', retirements: this.retirements, ...(adminTokenAccountOwned ? { adminTokenAccountOwned } : {}) };
  }

  /** Is the profile's admin API token account-owned (Turnstile refuses those)? Unknown counts as no: the request core still refuses `cfat_` tokens. */
  private async accountOwned(a: { api: CloudflareApi; key: string; credential: AdminCredential }): Promise<boolean> {
    if (a.credential.type !== 'api-token') return false;
    const check = await this.adminCheck(a.api, a.key).catch(() => undefined);
    return check?.accountId !== undefined;
  }

  /** The admin credential's check, once per engine and credential (an account-owned token names its account). */
  private adminCheck(api: CloudflareApi, key: string, signal?: AbortSignal): Promise<CredentialCheck> {
    let p = this.adminIds.get(key);
    if (!p) {
      p = api.verifyCredential(signal ? { signal } : undefined);
      this.adminIds.set(key, p);
      p.catch(() => this.adminIds.delete(key));
    }
    return p;
  }

  /**
   * The policies of the profile's admin API token, best effort: undefined for a Global API key
   * alone (it holds every permission of its user), or when the token may not read itself (no "API
   * Tokens Read" / "Account API Tokens Read") or the read fails. `cache`: one preflight's (policies
   * change in the dashboard; a later rotation reads them again).
   */
  private async grantsOf(cache: Map<string, Promise<readonly TokenGrant[] | undefined>>, profile: string, signal?: AbortSignal): Promise<readonly TokenGrant[] | undefined> {
    const a = await this.apiFor(profile);
    if (a.credential.type !== 'api-token') return undefined;
    let p = cache.get(a.key);
    if (!p) {
      const o = { maxRetries: 0, ...(signal ? { signal } : {}) };
      p = (async () => {
        const check = await this.adminCheck(a.api, a.key, signal);
        if (check.id === undefined) return undefined;
        const own = check.accountId !== undefined ? await a.api.getAccountTokenTemplate(check.accountId, check.id, o) : await a.api.getUserTokenTemplate(check.id, o);
        return own.grants;
      })().catch((e: unknown) => {
        const err = toCfRotateError(e);
        this.deps.logger.info(`The admin API token of profile "${profile}" could not read its own policies (${err.kind}${err.status ? `, HTTP ${err.status}` : ''}): destinations are checked for reading only, a missing Write permission shows when they are written.`);
        return undefined;
      });
      cache.set(a.key, p);
    }
    return p;
  }

  /** What destination drivers work with. `interactive`: the host may ask the user to sign in to GitHub (before a rotation only). */
  private destinationContext(interactive: boolean, signal?: AbortSignal): DestinationContext {
    const grants = new Map<string, Promise<readonly TokenGrant[] | undefined>>();
    return {
      cloudflare: async (profile) => (await this.apiFor(profile)).api,
      grants: (profile) => this.grantsOf(grants, profile, signal),
      github: async (ask) => {
        if (!this.deps.github) {
          throw new CfRotateError('credential-missing', l10n.t('This cf-rotate has no access to GitHub configured, so it cannot write GitHub Actions secrets.'), { hint: l10n.t('{0}.', cap(wording().setGitHubToken())) });
        }
        return this.deps.github.client({ interactive: ask });
      },
      interactive,
      signal,
      logger: this.deps.logger,
    };
  }

  /**
   * Preflight of every destination, before anything is rotated: each exists and its credential
   * reaches it (GitHub: the public key of the repository or environment can be read). Returns the
   * records to journal, in config order.
   */
  private async prepareDestinations(token: TokenConfig, signal?: AbortSignal): Promise<JournalDestination[]> {
    const out: JournalDestination[] = [];
    const ctx = this.destinationContext(true, signal);
    for (const t of destinationTargets(token)) {
      const d = destinationFromConfig(token, t);
      try {
        out.push(await destinationDriver(d).prepare(ctx, d));
      } catch (e) {
        const err = toCfRotateError(e);
        throw new CfRotateError(err.kind, l10n.t('{0} cannot receive the new secret of "{1}": {2}', targetLabel(d), token.name, err.message), {
          ...(err.hint ? { hint: err.hint } : {}),
          ...(err.status ? { status: err.status } : {}),
          ...(err.permission ? { permission: err.permission } : {}),
          codes: err.codes,
          cause: err,
        });
      }
    }
    return out;
  }

  /** Refuse targets that git tracks or does not ignore (or that git cannot be asked about inside a work tree). */
  private async gitGate(folder: string, token: TokenConfig, batch?: RotateOptions['batch']): Promise<void> {
    if (!this.deps.git) return;
    const ask = gitAsked(token);
    if (ask.length === 0) return;
    // A batch asks git once per folder about every file of the batch (one git run instead of one
    // per rotation: spawning git costs the editor's extension host ~8 ms of its event loop each
    // time). Without a shared answer (it had a problem), each rotation asks git on its own.
    const shared = await batch?.git?.(folder)?.catch(() => undefined);
    const statuses = shared && ask.every((r) => shared.has(r)) ? shared : await this.deps.git.status(folder, ask);
    for (const rel of ask) {
      const refusal = gitRefusal(rel, statuses.get(rel), token.name, 'before');
      if (refusal) throw refusal;
    }
  }

  /**
   * A resume writes a journaled secret into files that git was asked about when the rotation
   * started; the work tree may have changed since (a checkout that tracks the file, a pull that
   * stops ignoring it). Each file still to be written is asked again, but those whose targets
   * allow tracking: one git refuses stops the writes, and the secret stays in the journal.
   */
  private async gitGateOnResume(entry: JournalEntry): Promise<void> {
    // An entry of an earlier version does not record which targets allow tracking: it was asked when it started.
    if (!this.deps.git || entry.gitGated !== true) return;
    const ask = [...new Set(entry.targets.filter((t) => !t.done).map((t) => t.rel))].filter((rel) => !entry.targets.some((t) => t.rel === rel && t.allowTracked === true));
    if (ask.length === 0) return;
    const statuses = await this.deps.git.status(entry.folder, ask);
    for (const rel of ask) {
      const refusal = gitRefusal(rel, statuses.get(rel), entry.token, 'resume');
      if (refusal) throw refusal;
    }
  }

  /**
   * Rolling the API token that is itself the admin credential would destroy the credential in
   * use (Cloudflare kills the old value at once). Refused, by id, before any call.
   */
  private async guardAdminCredential(api: CloudflareApi, key: string, credential: AdminCredential, token: TokenConfig, profile: string, signal?: AbortSignal): Promise<CredentialCheck> {
    // The credential is checked once per engine (also a Global API key: a dry run says whether it works).
    const check = await this.adminCheck(api, key, signal);
    const adminId = check.id;
    if (credential.type !== 'api-token') return check;
    const tokenId = driverFor(token.kind).apiTokenId?.(token);
    if (tokenId === undefined) return check;
    if (adminId !== undefined && adminId.toLowerCase() === tokenId.toLowerCase()) {
      throw new CfRotateError('config', l10n.t('"{0}" is the admin credential of profile "{1}" itself (token {2}): rolling it would make the credential cf-rotate is using stop working, and the new value would land in {3}.', token.name, profile, tokenId, token.targets.map(targetLabel).join(', ')), {
        hint: l10n.t('{0}. Nothing was rotated.', cap(wording().rotateAdmin())),
      });
    }
    return check;
  }

  async rotate(folder: string, token: TokenConfig, opts: RotateOptions = {}): Promise<RotationResult> {
    return this.rotateWith(folder, token, opts);
  }

  /**
   * Rotate the API token that is the admin credential of `profile` itself, and store the new value
   * as that profile's credential inside the journaled rotation (the journal holds the new value
   * until the store succeeded). `replace` (default) keeps the previous token working for `overlap`
   * and then deletes it; `roll` changes it in place. Global API keys cannot be rotated by API.
   */
  async rotateAdmin(profile: string, opts: RotateAdminOptions = {}): Promise<RotationResult> {
    const started = this.deps.clock.now();
    const name = adminTokenName(profile);
    const fail = (err: CfRotateError, kind: TokenKind = 'user-api-token'): RotationResult => ({ name, folder: '', kind, ok: false, state: err.kind === 'busy' ? 'busy' : 'failed', targets: [], error: err.toJSON(), warnings: [], durationMs: this.deps.clock.now() - started });
    let a: Awaited<ReturnType<RotationEngine['apiFor']>>;
    let check: CredentialCheck;
    try {
      a = await this.apiFor(profile);
      if (a.credential.type !== 'api-token') {
        throw new CfRotateError('validation', l10n.t('The admin credential of profile "{0}" is an email + Global API key: Cloudflare offers no API to rotate a Global API key.', profile), {
          hint: l10n.t('Change it in the Cloudflare dashboard (My Profile › API Tokens › Global API Key › Change), then store the new key with Set Credential…; better, give the profile an API token, which cf-rotate can rotate. Nothing was rotated.'),
        });
      }
      check = await this.adminCheck(a.api, a.key, opts.signal);
      if (check.id === undefined) throw new CfRotateError('contract', l10n.t('Cloudflare did not report the id of the admin token of profile "{0}".', profile), { hint: l10n.t('Verify the credential, then try again. Nothing was rotated.') });
    } catch (e) {
      return fail(withNothingRotated(toCfRotateError(e)));
    }
    if (!this.deps.credentialSink) {
      return fail(new CfRotateError('validation', l10n.t('The admin credential of profile "{0}" cannot be stored here, so it is not rotated here.', profile), { hint: l10n.t('Rotate it in VS Code ("Cloudflare Rotate: Rotate Admin Credential…"). Nothing was rotated.') }));
    }
    const strategy = opts.strategy ?? 'replace';
    const base = { name, profile, targets: [], ...(strategy === 'replace' ? { strategy, overlap: opts.overlap ?? '24h' } : { strategy }) };
    const token = (check.accountId !== undefined
      ? { ...base, kind: 'account-api-token', accountId: check.accountId, tokenId: check.id }
      : { ...base, kind: 'user-api-token', tokenId: check.id }) as TokenConfig;
    return this.rotateWith('', token, { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) }, {
      profile,
      accountId: check.accountId,
      accountOwned: check.accountId !== undefined,
    });
  }

  private async rotateWith(folder: string, token: TokenConfig, opts: RotateOptions, admin?: { profile: string; accountId: string | undefined; accountOwned: boolean }): Promise<RotationResult> {
    const started = this.deps.clock.now();
    const base: Base = { name: token.name, folder, kind: token.kind, targets: token.targets.map(targetLabel) };
    const progress = (s: ProgressStep): void => opts.onProgress?.(s);
    const fail = (err: CfRotateError, state: RotationState = 'failed'): RotationResult => {
      this.deps.logger.warn(`Rotation of "${token.name}" failed: ${err.kind}: ${err.message}`);
      return { ...base, ok: false, state, error: err.toJSON(), warnings: [], durationMs: this.deps.clock.now() - started };
    };
    const id = resourceId(token);
    progress('checking');
    try {
      await this.journal.lock(id, l10n.t('rotating "{0}"', token.name));
    } catch (e) {
      return fail(toCfRotateError(e), 'busy');
    }
    try {
      if (await this.journal.get(id)) {
        // Never start over a journal that may hold an unwritten secret; say so before anything else.
        throw new CfRotateError('busy', l10n.t('An interrupted rotation of "{0}" must be finished first.', token.name), {
          hint: l10n.t('{0}. Nothing was rotated.', cap(wording().resume())),
        });
      }
      let api: CloudflareApi;
      let pre: JournalEntry['pre'];
      let targets: PreparedTarget[];
      let extra: Partial<JournalEntry> = {};
      let accountOwned = admin?.accountOwned ?? false;
      let destinations: JournalDestination[];
      try {
        opts.signal?.throwIfAborted();
        const a = await this.apiFor(token.profile);
        api = a.api;
        // The credential must hold a scheme Cloudflare accepts for this kind (A5), before any call.
        const schemeProblem = rotationSchemeProblem(token, a.credential, token.profile);
        if (schemeProblem) throw schemeProblem;
        // What config and history decide (a service token's next client_secret_version), also before any call.
        const planned = await driverFor(token.kind).plan?.({ history: this.deps.history }, token);
        // The credential's check (once per engine) goes out now and answers while the files are checked.
        if (!admin) this.adminCheck(a.api, a.key, opts.signal).catch(() => undefined);
        // The configuration in use is never a target, also when a caller does not name it (the default one).
        const config = opts.config ?? CONFIG_RELATIVE_PATH;
        const others = fileTargets(token).length > 0 ? (opts.batch?.configTokens?.(folder) ?? configuredTokens(this.deps.files, folder, config, this.deps.configTexts)) : undefined;
        targets = await prepareTargets(this.deps.files, folder, token, config, opts.batch?.configReal?.(folder));
        const listed = await others;
        if (listed) await assertOwnVariables(this.deps.files, folder, token, targets, listed);
        await this.gitGate(folder, token, opts.batch);
        if (admin) extra = { store: { profile: admin.profile, ...(admin.accountId ? { accountId: admin.accountId } : {}) } };
        else {
          const check = await this.guardAdminCredential(api, a.key, a.credential, token, token.profile, opts.signal);
          accountOwned = a.credential.type === 'api-token' && check.accountId !== undefined;
          // replace: cf-rotate.json is read now; it is rewritten only if it still has this text then.
          if (strategyOf(token) === 'replace' && !opts.dryRun) extra = { config: await configStep(this.deps.files, folder, opts.config ?? CONFIG_RELATIVE_PATH, token) };
        }
        destinations = await this.prepareDestinations(token, opts.signal);
        pre = await driverFor(token.kind).preState(this.ctx(api, opts.signal, accountOwned), token, targets);
        if (planned && Object.keys(planned).length > 0) pre = { ...planned, ...pre };
        if (opts.dryRun) {
          // The credential was verified; read the token too (exists, and the credential may see it). Nothing changes.
          if (!pre || Object.keys(pre).length === 0) await driverFor(token.kind).inspect?.(this.ctx(api, opts.signal), token);
          return { ...base, ok: true, state: 'planned', warnings: [], durationMs: this.deps.clock.now() - started };
        }
      } catch (e) {
        throw withNothingRotated(cancelledBefore(e, token.name));
      }
      return await this.rotateLocked(api, folder, token, id, targets, destinations, pre, base, started, opts, extra, accountOwned);
    } catch (e) {
      return fail(toCfRotateError(e), toCfRotateError(e).kind === 'busy' ? 'busy' : 'failed');
    } finally {
      await this.journal.unlock(id);
    }
  }

  private async rotateLocked(
    api: CloudflareApi,
    folder: string,
    token: TokenConfig,
    id: string,
    targets: PreparedTarget[],
    destinations: JournalDestination[],
    pre: JournalEntry['pre'],
    base: Base,
    started: number,
    opts: RotateOptions,
    extra: Partial<JournalEntry>,
    accountOwned: boolean,
  ): Promise<RotationResult> {
    const progress = (s: ProgressStep): void => opts.onProgress?.(s);
    const driver = driverFor(token.kind);
    const now = this.deps.clock.now();
    const intent = driver.intent?.(token, now, { defaultGracePeriod: this.deps.defaultGracePeriod ?? '1h' }) ?? {};
    const later = extra.config !== undefined || extra.store !== undefined || intent.retire !== undefined;
    let entry: JournalEntry = {
      v: later ? 4 : destinations.length > 0 ? 3 : 2,
      id,
      owner: Journal.newOwner(),
      folder,
      token: token.name,
      kind: token.kind,
      profile: token.profile,
      state: 'intent',
      resource: driver.resource(token),
      startedAt: now,
      updatedAt: now,
      targets: targets.map(({ current: _c, real: _r, ...t }) => t),
      gitGated: true,
      ...(destinations.length > 0 ? { destinations } : {}),
      ...(pre && Object.keys(pre).length ? { pre } : {}),
      ...intent,
      ...extra,
      ...(extra.store && intent.retire ? { retire: { ...intent.retire, admin: true } } : {}),
    };
    let sent = false;
    let journaled = false;
    let journaledSecret = false;
    // The batch slot is taken once the intent is journaled (a journal write never holds it) and
    // given back as soon as the answer is in.
    let slot: (() => void) | undefined;
    const releaseSlot = (): void => {
      slot?.();
      slot = undefined;
    };
    const hooks: MutationOptions = {
      ...(opts.signal ? { signal: opts.signal } : {}),
      beforeSend: async ({ timeoutMs }) => {
        const at = this.deps.clock.now();
        const boot = this.deps.clock.sinceBoot?.();
        entry = { ...entry, sentAt: at, deadline: at + timeoutMs + (this.deps.deadlineMarginMs ?? deadlineMargin(timeoutMs)), ...(boot ? { sentBoot: boot } : {}), updatedAt: at };
        await this.journal.write(entry); // throws: nothing is sent
        journaled = true;
        if (opts.batch && !slot) {
          slot = await opts.batch.slots.acquire('next', opts.batch.signal); // throws when the batch is cancelled: nothing is sent
        }
        await this.deps.checkpoint?.('before-call', token.name);
        progress('rotating');
      },
      onSend: () => {
        sent = true;
      },
      onSecret: async (values: SecretValues, facts?: SecretFacts) => {
        releaseSlot();
        for (const v of secretValuesOf(values)) registerSecret(v);
        await this.deps.checkpoint?.('response-received', token.name);
        // The new secret exists only in this process now. Journal it (with the new id it came with) before anything else can fail.
        entry = {
          ...entry,
          state: 'rotated',
          values: { ...entry.values, ...values },
          ...(facts?.id ? { received: { ...entry.received, tokenId: facts.id } } : {}),
          updatedAt: this.deps.clock.now(),
        };
        try {
          await this.journal.write(entry);
          journaledSecret = true;
        } catch (e) {
          // Keep going: the files are the second durable copy. Losing the secret is the one unacceptable outcome.
          this.deps.logger.error(`Could not journal the new secret of "${token.name}" (${toCfRotateError(e).message}); writing the targets directly.`);
        }
        await this.deps.checkpoint?.('secret-journaled', token.name);
      },
    };
    let received: JournalEntry['received'];
    try {
      received = await driver.call(this.ctx(api, opts.signal, accountOwned), entry, hooks).finally(releaseSlot);
    } catch (e) {
      const err = toCfRotateError(e);
      if (entry.values && Object.keys(entry.values).length > 0) {
        // The secret arrived (and is journaled); only the rest of the answer was not as documented.
        this.deps.logger.warn(`Cloudflare's answer for "${token.name}" carried the new secret but otherwise did not match the documentation: ${err.message}`);
        received = { contractProblem: err.message };
      } else if (!sent) {
        // Nothing reached Cloudflare. An intent journaled for a call that never went out goes.
        if (journaled) await this.journal.clear(id, token.name).catch(() => undefined);
        // A rotation the batch's cancel stopped before its call is not a failure of the token (as a cancel during the checks).
        if (err.kind !== 'cancelled') await this.record(this.historyEntry(entry, 'failed', err));
        throw withNothingRotated(cancelledBefore(err, token.name));
      } else {
        return await this.afterFailedCall(api, entry, targets, err, base, started, { wait: true, progress, accountOwned, ...(opts.signal ? { signal: opts.signal } : {}) });
      }
    }
    if (!journaledSecret && entry.values) this.deps.logger.warn(`"${token.name}": the new secret is not journaled; writing the targets now.`);
    entry = { ...entry, ...(received && Object.keys(received).length ? { received: { ...entry.received, ...received } } : {}) };
    if (received?.jti || received?.expiresAt || received?.tokenId) await this.journal.write(entry).catch(() => undefined);
    return await this.complete(api, entry, { started, progress, base, accountOwned, ...(opts.batch ? { slots: opts.batch.slots } : {}), ...(!journaledSecret && entry.values ? { unjournaled: true } : {}) });
  }

  /**
   * Rotate many tokens: at most `concurrency` Cloudflare calls of the batch out at once (the call
   * that makes each secret, and its verify), while up to as many rotations again do their local
   * steps (checks, locks, journal, files, history), so those steps never leave a call slot idle.
   * Results in input order. Cancelling stops new rotations; running ones finish.
   */
  rotateMany(items: readonly { folder: string; token: TokenConfig }[], opts: RotateOptions & { concurrency?: number; onResult?: (r: RotationResult) => void } = {}): Promise<RotationResult[]> {
    const concurrency = opts.concurrency ?? 8;
    const slots = new Slots(concurrency);
    // One git question per folder about every file of the batch; an answer with any problem is
    // not shared (one file git cannot answer for never decides another's).
    const gitAnswers = new Map<string, Promise<Map<string, GitStatus> | undefined>>();
    const git = (folder: string): Promise<Map<string, GitStatus> | undefined> | undefined => {
      const g = this.deps.git;
      if (!g) return undefined;
      let p = gitAnswers.get(folder);
      if (!p) {
        const rels = [...new Set(items.filter((i) => i.folder === folder).flatMap((i) => gitAsked(i.token)))];
        p = (rels.length > 0 ? g.status(folder, rels) : Promise.resolve(new Map<string, GitStatus>())).then((m) => ([...m.values()].some((st) => st.problem !== undefined) ? undefined : m));
        gitAnswers.set(folder, p);
      }
      return p;
    };
    // The configuration in use is never a target: its real path, once per folder of the batch; and
    // its entries, whose files no other entry may share a variable of.
    const configReals = new Map<string, Promise<string | undefined>>();
    const configLists = new Map<string, Promise<readonly TokenConfig[] | undefined>>();
    const config = opts.config ?? CONFIG_RELATIVE_PATH;
    const configReal = (folder: string): Promise<string | undefined> => {
      let p = configReals.get(folder);
      if (!p) configReals.set(folder, (p = configRealPath(this.deps.files, folder, config)));
      return p;
    };
    const configTokens = (folder: string): Promise<readonly TokenConfig[] | undefined> => {
      let p = configLists.get(folder);
      if (!p) configLists.set(folder, (p = configuredTokens(this.deps.files, folder, config, this.deps.configTexts)));
      return p;
    };
    // Each profile's credential check goes out before the first rotation takes its lock: every
    // roll waits for it (it refuses rolling the credential itself), so it should not wait behind
    // them. Only for a profile with a token its credential can rotate: one refused for its scheme
    // is refused before any request, the check included.
    if (!opts.signal?.aborted) {
      for (const profile of new Set(items.map((i) => i.token.profile))) {
        this.apiFor(profile)
          .then((a) => {
            if (items.some((i) => i.token.profile === profile && !rotationSchemeProblem(i.token, a.credential, profile))) return this.adminCheck(a.api, a.key, opts.signal);
            return undefined;
          })
          .catch(() => undefined);
      }
    }
    return mapLimit(items, concurrency * 2, async ({ folder, token }) => {
      if (opts.signal?.aborted) {
        const r: RotationResult = {
          name: token.name,
          folder,
          kind: token.kind,
          ok: false,
          state: 'failed',
          targets: token.targets.map(targetLabel),
          error: { kind: 'cancelled', message: l10n.t('"{0}" was not rotated: the batch was cancelled before it started.', token.name), hint: l10n.t('Run it again when you are ready. Nothing was rotated.') },
          warnings: [],
          durationMs: 0,
        };
        opts.onResult?.(r);
        return r;
      }
      // A rotation that has started is never cut in half: the batch's signal only stops new ones.
      const r = await this.rotate(folder, token, { dryRun: opts.dryRun ?? false, batch: { slots, signal: opts.signal, git, configReal, configTokens }, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}), ...(opts.config ? { config: opts.config } : {}) });
      opts.onResult?.(r);
      return r;
    });
  }

  /** Journals no live process works on: left by a crash, a failed write, or an unanswered call. */
  interrupted(): Promise<JournalEntry[]> {
    return interruptedJournals(this.journal);
  }

  /** Finish (secret journaled), settle (outcome unknown) or report (verdict reached) an interrupted rotation. */
  async resume(id: string, opts: ResumeOptions = {}): Promise<RotationResult> {
    const started = this.deps.clock.now();
    const progress = (s: ProgressStep): void => opts.onProgress?.(s);
    let entry = await this.journal.get(id);
    if (!entry) throw new CfRotateError('not-found', l10n.t('There is no interrupted rotation {0}.', id), { hint: l10n.t('It may have been finished in another window or process.') });
    const base: Base = { name: entry.token, folder: entry.folder, kind: entry.kind, targets: journalLabels(entry) };
    try {
      await this.journal.lock(id, l10n.t('finishing the rotation of "{0}"', entry.token));
    } catch (e) {
      const err = toCfRotateError(e);
      return { ...base, ok: false, state: 'busy', error: err.toJSON(), warnings: [], durationMs: 0 };
    }
    try {
      entry = await this.journal.get(id); // re-read under the lock
      if (!entry) throw new CfRotateError('not-found', l10n.t('The interrupted rotation of "{0}" was finished meanwhile.', base.name), { hint: l10n.t('Nothing to do.') });
      if (entry.state === 'settled' && entry.verdict) return await this.settle(entry, entry.verdict, base, started);
      if (entry.values && Object.keys(entry.values).length > 0) {
        const a = await this.apiFor(entry.profile).catch(() => undefined);
        const accountOwned = a ? await this.accountOwned(a) : false;
        return await this.complete(a?.api, entry, { started, progress, base, overwriteConflicts: opts.overwriteConflicts, recovered: true, accountOwned, takeOver: opts.takeOver });
      }
      const a = await this.apiFor(entry.profile);
      const api = a.api;
      const accountOwned = await this.accountOwned(a);
      const prepared: PreparedTarget[] = [];
      for (const t of entry.targets) {
        const r = await readTargetText(this.deps.files, entry.folder, t.rel).catch(() => undefined);
        prepared.push({ ...t, current: r ? readDotenvValue(r.text, t.key).value : undefined, real: r?.real ?? t.rel });
      }
      const err = new CfRotateError('ambiguous', entry.lastError ?? l10n.t('The rotation of "{0}" was interrupted before its result was saved.', entry.token));
      return await this.afterFailedCall(api, entry, prepared, err, base, started, {
        wait: (this.deadline(entry) - this.deps.clock.now()) <= (opts.waitForDeadlineMs ?? 20_000),
        progress,
        accountOwned,
        overwriteConflicts: opts.overwriteConflicts,
        takeOver: opts.takeOver,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (e) {
      const err = toCfRotateError(e);
      return { ...base, ok: false, state: entry?.values ? 'pending' : 'unknown', error: err.toJSON(), warnings: [], durationMs: this.deps.clock.now() - started };
    } finally {
      await this.journal.unlock(id);
    }
  }

  /**
   * Forget an interrupted rotation the user has dealt with by hand. Recorded in the history with
   * what it loses; an entry whose verdict is known already keeps that verdict (recorded once).
   * Refused while a live process works on it.
   */
  async discard(id: string, reason = l10n.t('discarded by the user')): Promise<JournalEntry> {
    const first = await this.journal.get(id);
    if (!first) throw new CfRotateError('not-found', l10n.t('There is no interrupted rotation {0}.', id));
    await this.journal.lock(id, l10n.t('discarding the rotation of "{0}"', first.token));
    try {
      const entry = await this.journal.get(id);
      if (!entry) throw new CfRotateError('not-found', l10n.t('The interrupted rotation of "{0}" was finished meanwhile.', first.token));
      if (entry.state === 'settled' && entry.verdict) {
        // Its outcome is known already (a resume was stopped before it removed the entry): that
        // verdict is what the history keeps (recorded once), not a discard.
        await this.settle(entry, entry.verdict, { name: entry.token, folder: entry.folder, kind: entry.kind, targets: journalLabels(entry) }, this.deps.clock.now());
        return entry;
      }
      const lost = entry.values && Object.keys(entry.values).length > 0;
      // Without its secret, and before its deadline, the call may still take effect at Cloudflare:
      // discarding now would drop the one record that a new secret may be on its way (the value in
      // the files still works until then, so "it still works" proves nothing yet). resume decides it then.
      const until = stillOpenUntil(entry, this.deps.clock.now(), entry.sentBoot ? this.deps.clock.sinceBoot?.() : undefined);
      if (until !== undefined) {
        throw new CfRotateError('busy', l10n.t('The interrupted rotation of "{0}" cannot be discarded yet: its call to Cloudflare can still take effect until {1}.', entry.token, new Date(until).toISOString()), {
          hint: l10n.t('Resume it after that time: cf-rotate then asks Cloudflare whether it rotated, and writes the new secret or says that nothing happened. Nothing was changed.'),
        });
      }
      const v: Verdict = {
        outcome: 'discarded',
        message: `${l10n.t('The interrupted rotation of "{0}" was discarded ({1}).', entry.token, reason)}${lost ? ` ${l10n.t('The new secret it held is gone.')}` : ''}`,
        at: this.deps.clock.now(),
      };
      await this.journal.write({ ...entry, state: 'settled', verdict: v, values: undefined });
      await this.deps.checkpoint?.('verdict-journaled', entry.token);
      await this.record({ ...this.historyEntry(entry, 'discarded'), error: v.message });
      await this.deps.checkpoint?.('verdict-recorded', entry.token);
      await this.journal.clear(id, entry.token);
      this.deps.logger.warn(v.message);
      return entry;
    } finally {
      await this.journal.unlock(id);
    }
  }

  /** Access service tokens: stop accepting the previous secret now. */
  async expirePreviousSecret(folder: string, token: TokenConfig): Promise<void> {
    if (token.kind !== 'access-service-token') {
      throw new CfRotateError('validation', l10n.t('"{0}" is not an Access service token; only those keep a previous secret.', token.name));
    }
    const { api } = await this.apiFor(token.profile);
    const at = new Date(this.deps.clock.now());
    await api.setPreviousSecretExpiry(scopeOf(driverFor(token.kind).resource(token)), token.serviceTokenId, at);
    await this.record({ at: at.toISOString(), folder, name: token.name, kind: token.kind, outcome: 'expired-previous', targets: [], resource: resourceId(token) });
  }

  /** Remove temporary files that killed processes left beside these tokens' targets. */
  sweep(folder: string, tokens: readonly TokenConfig[], config: string = CONFIG_RELATIVE_PATH): Promise<number> {
    return sweepTargets(this.deps.files, folder, tokens, config);
  }


  // ---------------------------------------------------------------------------------------------

  /**
   * The call failed after it was sent. If it cannot have taken effect, forget it. Otherwise find
   * out whether Cloudflare rotated, once the call can no longer take effect.
   */
  private async afterFailedCall(
    api: CloudflareApi,
    entry: JournalEntry,
    targets: PreparedTarget[],
    err: CfRotateError,
    base: Base,
    started: number,
    ctx: { wait: boolean; progress: (s: ProgressStep) => void; signal?: AbortSignal; accountOwned?: boolean; overwriteConflicts?: boolean | undefined; takeOver?: boolean | undefined },
  ): Promise<RotationResult> {
    if (!MAYBE_HAPPENED.has(err.kind)) {
      return await this.settle(entry, { outcome: 'not-rotated', message: err.message, ...(err.hint ? { hint: err.hint } : {}), errorKind: err.kind, at: this.deps.clock.now() }, base, started, err);
    }
    if (entry.state !== 'unknown' || entry.lastError !== err.message) {
      entry = { ...entry, state: 'unknown', lastError: err.message, updatedAt: this.deps.clock.now() };
      await this.journal.write(entry).catch(() => undefined);
    }
    const deadline = this.deadline(entry);
    if (ctx.wait && this.deps.clock.now() < deadline) {
      ctx.progress(`waiting:${new Date(deadline).toISOString()}`);
      try {
        await this.deps.clock.sleep(deadline - this.deps.clock.now(), ctx.signal);
      } catch {
        /* cancelled: answer with what is known now */
      }
    }
    const driver = driverFor(entry.kind);
    // Targets that hold a value other than their own from before the rotation, while the entry holds
    // no secret: the new one may be there, written while the journal could not hold it (a full or
    // read-only state directory), the entry left behind by a kill or a failed removal. A probe must
    // never delete, or call lost, what a target holds.
    const changed = entry.values && Object.keys(entry.values).length > 0 ? [] : targets.filter((t) => t.current !== undefined && t.current !== '' && !holdsOldValue(t, t.current));
    let verdict: ProbeAnswer = 'unknown';
    let rotatedIntoTarget = false;
    for (let attempt = 1; attempt <= PROBE_ATTEMPTS && verdict === 'unknown' && !ctx.signal?.aborted; attempt++) {
      ctx.progress(`probing:${attempt}/${PROBE_ATTEMPTS}`);
      try {
        let found: SecretValues | undefined;
        for (const t of driver.recognize ? changed : []) {
          found = await driver.recognize?.(this.ctx(api, undefined, ctx.accountOwned), entry, t.field, t.current as string);
          if (found) break;
        }
        if (found) {
          this.deps.logger.warn(`"${entry.token}": a target already holds the new secret (written while the journal could not hold it); finishing the rotation with it.`);
          verdict = { recovered: found };
          break;
        }
        verdict = await driver.probe(this.ctx(api, undefined, ctx.accountOwned), entry, targets);
        // A kind that cannot tell its new secret from another value: a changed target may hold it, so "rotated" is not "lost".
        if (verdict === 'rotated' && !driver.recognize && changed.length > 0) {
          verdict = 'unknown';
          rotatedIntoTarget = true;
          break;
        }
      } catch (e) {
        this.deps.logger.warn(`Could not check whether "${entry.token}" was rotated (${attempt}/${PROBE_ATTEMPTS}): ${toCfRotateError(e).message}`);
      }
    }
    if (typeof verdict === 'object') {
      // Cloudflare rotated and hands the new secret out again: journal it, then finish like an answer that arrived.
      for (const v of secretValuesOf(verdict.recovered)) registerSecret(v);
      entry = { ...entry, state: 'rotated', values: { ...entry.values, ...verdict.recovered }, lastError: undefined, updatedAt: this.deps.clock.now() };
      await this.journal.write(entry);
      this.deps.logger.warn(`"${entry.token}": Cloudflare rotated although its answer was lost; the new secret was read back and is written now.`);
      return await this.complete(api, entry, { started, progress: ctx.progress, base, recovered: true, overwriteConflicts: ctx.overwriteConflicts, accountOwned: ctx.accountOwned ?? false, takeOver: ctx.takeOver });
    }
    const now = this.deps.clock.now();
    if (verdict === 'rotated') return await this.settle(entry, driverFor(entry.kind).lost(entry, this.deps.clock.now()), base, started);
    if (verdict === 'not-rotated' && now >= deadline) {
      const when = err.kind === 'server' ? ` ${l10n.t('once Cloudflare answers normally again (see www.cloudflarestatus.com)')}` : err.kind === 'ambiguous' ? ` ${l10n.t('(if this repeats, check your network or proxy)')}` : '';
      const what = driverFor(entry.kind).notRotated?.(entry) ?? l10n.t('Cloudflare did not rotate "{0}": the current secret still works and no file was changed.', entry.token);
      return await this.settle(
        entry,
        {
          outcome: 'not-rotated',
          message: `${err.message} ${what}`,
          hint: l10n.t('Nothing changed, so it is safe to rotate "{0}" again{1}.', entry.token, when),
          errorKind: err.kind,
          at: now,
        },
        base,
        started,
      );
    }
    const at = new Date(Math.max(deadline, now + 1000));
    const early = verdict === 'not-rotated';
    const hint = early
      ? l10n.t('The request could still take effect at Cloudflare until {0}. {1} after that time for a final answer.', at.toISOString(), cap(wording().resume()))
      : rotatedIntoTarget
        ? l10n.t('Check that the application using that value works: if it does, the file holds the new secret and the entry can go: {0}. If not, rotate "{1}" again after discarding it.', wording().discard(entry.token), entry.token)
        : l10n.t('{0} when Cloudflare is reachable; it checks and tells you what to do. If Cloudflare can never tell (see the message), check the credential in the dashboard, then discard it: {1}.', cap(wording().resume()), wording().discard(entry.token));
    const message = early
      ? l10n.t('{0} It is not known yet whether Cloudflare rotated "{1}": the old value still works, but the request may still take effect. Check again after {2}.', err.message, entry.token, at.toISOString())
      : rotatedIntoTarget
        ? l10n.t('{0} Cloudflare rotated "{1}", and {2} holds a value that is not the one from before the rotation: it may be the new secret, written while the journal could not hold it.', err.message, entry.token, changed.map((t) => `${t.rel} › ${t.key}`).join(', '))
        : l10n.t('{0} It is not known whether Cloudflare rotated "{1}"{2}.', err.message, entry.token, driver.cannotTell?.(entry, targets) ?? '');
    return {
      ...base,
      ok: false,
      state: 'unknown',
      error: new CfRotateError('ambiguous', message, { hint }).toJSON(),
      warnings: [],
      checkAgainAt: at.toISOString(),
      durationMs: this.deps.clock.now() - started,
    };
  }

  /**
   * Make a verdict durable (journal), record it (history, once per journal entry), then remove
   * the entry. A kill between any two steps leaves the entry (resume reports it again) or the record.
   */
  private async settle(entry: JournalEntry, verdict: Verdict, base: Base, started: number, cause?: CfRotateError): Promise<RotationResult> {
    if (entry.state !== 'settled') {
      entry = { ...entry, state: 'settled', verdict, updatedAt: this.deps.clock.now() };
      await this.journal.write(entry);
    }
    await this.deps.checkpoint?.('verdict-journaled', entry.token);
    const history = await this.deps.history.list(200).catch(() => []);
    if (!history.some((h) => h.journal === entry.owner)) {
      const outcome = verdict.outcome === 'lost' ? 'lost' : verdict.outcome === 'discarded' ? 'discarded' : 'failed';
      const rec: HistoryEntry = { ...this.historyEntry(entry, outcome), ...driverFor(entry.kind).record?.(entry, outcome), errorKind: (verdict.errorKind ?? 'ambiguous') as ErrorKind, error: verdict.message };
      await this.deps.history.append(rec); // must be durable before the entry goes
    }
    await this.deps.checkpoint?.('verdict-recorded', entry.token);
    await this.journal.clear(entry.id, entry.token);
    const err = cause ?? new CfRotateError((verdict.errorKind ?? 'ambiguous') as ErrorKind, verdict.message, verdict.hint ? { hint: verdict.hint } : {});
    this.deps.logger.warn(`"${entry.token}": ${verdict.message}`);
    return {
      ...base,
      ok: false,
      state: verdict.outcome === 'lost' ? 'lost' : 'failed',
      ...(verdict.outcome !== 'discarded' ? { verdict: verdict.outcome } : {}),
      error: err.toJSON(),
      warnings: [],
      durationMs: this.deps.clock.now() - started,
    };
  }

  /** Write every target, verify, clean up, do the steps after the targets, record, clear the journal. Idempotent. */
  private async complete(
    api: CloudflareApi | undefined,
    entry: JournalEntry,
    ctx: {
      started: number;
      progress: (s: ProgressStep) => void;
      base: Base;
      overwriteConflicts?: boolean | undefined;
      recovered?: boolean;
      accountOwned?: boolean;
      slots?: Slots;
      /** The journal write of the new secret failed: it is in this process's memory only. */
      unjournaled?: boolean;
      /** ResumeOptions.takeOver. */
      takeOver?: boolean | undefined;
    },
  ): Promise<RotationResult> {
    for (const v of secretValuesOf(entry.values)) registerSecret(v);
    const warnings: string[] = [];
    // resume --take-over: a target's lock whose holder this machine cannot check is broken; the result says whose.
    const locks = ctx.takeOver
      ? takingOver(this.deps.locks, (_name, h) => {
          const said = l10n.t('Took over the lock of pid {0} on {1} ({2}, since {3}), as asked.', h.pid, h.host, h.what, new Date(h.since).toISOString());
          this.deps.logger.warn(`"${entry.token}": ${said}`);
          warnings.push(said);
        })
      : this.deps.locks;
    const base = ctx.base;
    const driver = driverFor(entry.kind);
    if (api && driver.beforeWrite) {
      // Facts the answer lacked (a twin's id), found before anything is written.
      try {
        const more = await driver.beforeWrite(this.ctx(api, undefined, ctx.accountOwned), entry);
        if (more) {
          entry = { ...entry, ...more, updatedAt: this.deps.clock.now() };
          await this.journal.write(entry);
        }
      } catch (e) {
        const err = toCfRotateError(e);
        return { ...base, ok: false, state: 'pending', error: { kind: err.kind, message: l10n.t('The new secret of "{0}" is kept safely in the journal, but {1}', entry.token, err.message), ...(err.hint ? { hint: err.hint } : {}) }, warnings, durationMs: this.deps.clock.now() - ctx.started };
      }
    }
    const values = entry.values ?? {};
    // Verifying reads Cloudflare only, and the secret is already journaled: it runs while the
    // targets are written, so a batch does not wait for each file write and then for the verify.
    // In a batch it goes ahead of rotations still waiting to start, so few secrets wait unverified.
    const verifyNow = async (a: CloudflareApi, e: JournalEntry): Promise<{ v: Awaited<ReturnType<typeof driver.verify>> } | { e: unknown }> => {
      const release = await ctx.slots?.acquire('first');
      try {
        return { v: await driver.verify(this.ctx(a, undefined, ctx.accountOwned), e, values) };
      } catch (err) {
        return { e: err };
      } finally {
        release?.();
      }
    };
    const verifying = api ? verifyNow(api, entry) : undefined;
    if (ctx.overwriteConflicts && verifying) {
      // Writing over a value that is neither the old nor the new one: only with a new secret that
      // works. One Cloudflare no longer accepts (rotated again since, from elsewhere) would replace
      // what may be the working value, which would then be nowhere.
      const answer = await verifying;
      const dead = 'v' in answer ? !answer.v.ok : toCfRotateError(answer.e).kind === 'auth';
      if (dead) {
        const why = 'v' in answer ? (answer.v.error?.message ?? '') : toCfRotateError(answer.e).message;
        const err = new CfRotateError('conflict', l10n.t('The new secret of "{0}" in the journal no longer works at Cloudflare ({1}), so it was not written over the values your files hold now: one of them may be the working one.', entry.token, why), {
          hint: l10n.t('Check that the value in your files works. If it does, discard this rotation: {0}. If not, discard it and rotate "{1}" again.', wording().discard(entry.token), entry.token),
        });
        this.deps.logger.warn(`"${entry.token}": ${err.message}`);
        return { ...base, ok: false, state: 'pending', error: err.toJSON(), warnings, durationMs: this.deps.clock.now() - ctx.started };
      }
    }
    if (ctx.unjournaled && entry.targets.length === 0 && (entry.destinations ?? []).some((d) => !d.done) && (entry.pre?.twin !== undefined || entry.kind === 'moq-relay-token') && api) {
      // The new secret is in this process's memory only, its targets are write-only (Workers, Pages,
      // Secrets Store, GitHub), and the previous credential still works (a twin, a new MoQ token):
      // sent there, it could never be found again, and a later resume would delete it as a leftover
      // while a destination holds it. It goes nowhere: the new credential is deleted now.
      const driver = driverFor(entry.kind);
      const removed = await driver.probe(this.ctx(api, undefined, ctx.accountOwned), entry, []).then(
        (v) => v === 'not-rotated',
        () => false,
      );
      const err = new CfRotateError(
        'file',
        removed
          ? l10n.t('The new secret of "{0}" could not be journaled, and its targets cannot be read back: it was not sent to them, and the new credential was deleted. Nothing changed: the current one still works.', entry.token)
          : l10n.t('The new secret of "{0}" could not be journaled, and its targets cannot be read back: it was not sent to them. The current credential still works; the new one could not be deleted (its name or label carries "{1}"): delete it in the dashboard.', entry.token, entry.pre?.twin?.marker ?? entry.moqLabel ?? entry.token),
        { hint: l10n.t('Make the state directory writable (free disk space, permissions), then rotate "{0}" again.', entry.token) },
      );
      this.deps.logger.error(err.message);
      await this.record(this.historyEntry(entry, 'failed', err));
      await this.journal.clear(entry.id, entry.token).catch(() => undefined);
      return { ...base, ok: false, state: 'failed', verdict: 'not-rotated', error: err.toJSON(), warnings, durationMs: this.deps.clock.now() - ctx.started };
    }
    ctx.progress('writing');
    const fileDeps = {
      files: this.deps.files,
      locks,
      queue: this.writes,
      fileLockWaitMs: this.deps.fileLockWaitMs ?? 15_000,
      swept: this.swept,
      ...(ctx.unjournaled ? { unjournaled: { warn: (m: string) => this.deps.logger.warn(m) } } : {}),
    };
    const written: JournalDestination[] = [];
    let failedAt: string | undefined;
    try {
      if (ctx.recovered) await this.gitGateOnResume(entry);
      // The files first: local, fast, and the second durable copy of the secret beside the journal.
      const byFile = new Map<string, JournalEntry['targets']>();
      for (const t of entry.targets) if (!t.done) byFile.set(t.rel, [...(byFile.get(t.rel) ?? []), t]);
      // Fencing: a process that took this rotation over (this one looked dead to it) writes from now
      // on, never both. Not when the secret is in this process's memory only: then it goes out anyway.
      const fence = (): void => {
        if (!ctx.unjournaled) this.journal.assertStillHeld(entry.id, entry.token);
      };
      for (const [rel, group] of byFile) {
        failedAt = rel;
        fence();
        await writeTargetFile(fileDeps, entry, rel, group, values, ctx.overwriteConflicts ?? false);
        // Progress is not journaled: resuming compares each target with the new value and skips those already written.
        for (const t of group) t.done = true;
        await this.deps.checkpoint?.('target-written', entry.token);
      }
      // Then each destination, in config order; each one written is journaled as done, so a resume sends only the rest.
      const dctx = this.destinationContext(false);
      const dests = [...(entry.destinations ?? [])];
      for (let i = 0; i < dests.length; i++) {
        const d = dests[i] as JournalDestination;
        if (d.done) continue;
        failedAt = targetLabel(d);
        const value = values[d.field];
        if (value === undefined) throw new CfRotateError('internal', l10n.t('The journal of "{0}" has no {1} to send to {2}.', entry.token, d.field, targetLabel(d)));
        fence();
        await destinationDriver(d).write(dctx, d, value);
        dests[i] = { ...d, done: true };
        written.push(dests[i] as JournalDestination);
        entry = { ...entry, state: 'rotated', destinations: [...dests], updatedAt: this.deps.clock.now() };
        await this.journal.write(entry).catch((e: unknown) => this.deps.logger.warn(`Could not journal that ${targetLabel(d)} was written (${toCfRotateError(e).message}); a resume sends it again.`));
        await this.deps.checkpoint?.('target-written', entry.token);
      }
    } catch (e) {
      await verifying; // settled (it never rejects); its verdict does not matter while a target is unwritten
      if (e instanceof TakenOverError) {
        // The journal entry is the other process's now: nothing more is written or recorded here.
        this.deps.logger.warn(`Rotation of "${entry.token}": ${e.message}`);
        return { ...base, ok: false, state: 'busy', error: e.toJSON(), warnings, durationMs: this.deps.clock.now() - ctx.started };
      }
      const err = toCfRotateError(e, 'file');
      this.deps.logger.error(`Rotation of "${entry.token}" could not write ${failedAt ?? 'its targets'}: ${err.message}`);
      let journalProblem: string | undefined;
      if (ctx.unjournaled) {
        // The secret is in memory only. Try the journal again (the failed write may have freed what
        // it needed, such as its temporary file) before saying anything about where the secret is.
        for (let attempt = 0; attempt < 3; attempt++) {
          try {
            await this.journal.write({ ...entry, state: 'rotated', updatedAt: this.deps.clock.now() });
            journalProblem = undefined;
            break;
          } catch (je) {
            journalProblem = toCfRotateError(je).message;
            if (attempt < 2) await this.deps.clock.sleep(200 * (attempt + 1)).catch(() => undefined);
          }
        }
      } else if (entry.state !== 'rotated') await this.journal.write({ ...entry, state: 'rotated', updatedAt: this.deps.clock.now() }).catch(() => undefined);
      const grace = entry.kind === 'access-service-token' && entry.graceUntil ? ` ${l10n.t('The previous secret keeps working until {0}.', entry.graceUntil)}` : '';
      const done = journalLabels({ targets: entry.targets.filter((t) => t.done), destinations: (entry.destinations ?? []).filter((d) => d.done) });
      const failure = (state: 'pending' | 'lost', message: string, hint: string): RotationResult => ({
        ...base,
        ok: false,
        state,
        ...(state === 'lost' ? { verdict: 'lost' as const } : {}),
        error: { kind: err.kind, message, hint },
        warnings,
        durationMs: this.deps.clock.now() - ctx.started,
      });
      if (journalProblem !== undefined) {
        // Never claim a journal that does not hold the secret: say where it is, or that it is gone.
        this.deps.logger.error(`The new secret of "${entry.token}" could not be journaled (${journalProblem}) nor written to ${failedAt ?? 'its targets'}.`);
        // Only a file can be read back: a secret that reached destinations alone cannot be copied from them.
        if (done.length > 0 && entry.targets.some((t) => t.done)) {
          return failure(
            'pending',
            l10n.t('Cloudflare rotated "{0}", but its new secret could not be saved in the journal ({1}) and a target could not be written: {2} The new secret is only in: {3}.', entry.token, journalProblem, err.message, done.join(', ')),
            l10n.t('Fix what stops the writes (free disk space, permissions), then copy the new value from {0} to the other targets; cf-rotate cannot resume this rotation.', done.join(', ')) + grace,
          );
        }
        const lostHint = l10n.t('Fix what stops the writes (free disk space, permissions), then {0} (it records the loss) and rotate "{1}" again.', wording().resume(), entry.token) + grace;
        return failure(
          'lost',
          done.length > 0
            ? l10n.t('Cloudflare rotated "{0}", but its new secret could not be saved in the journal ({1}) and a target could not be written ({2}). It reached only {3}, which cannot be read back: it is lost.', entry.token, journalProblem, err.message, done.join(', '))
            : l10n.t('Cloudflare rotated "{0}", but its new secret could be saved neither in the journal ({1}) nor in its targets ({2}): it is lost.', entry.token, journalProblem, err.message),
          lostHint,
        );
      }
      return failure(
        'pending',
        // The first words stay those of every earlier version (scripts match them); the error names the target.
        `${l10n.t('Cloudflare rotated "{0}" and the new secret is kept safely in the journal, but a target could not be written: {1}', entry.token, err.message)}${done.length ? ` ${l10n.t('Already written: {0}.', done.join(', '))}` : ''}`,
        err.kind === 'conflict' ? err.hint ?? '' : `${err.hint ? `${err.hint} ` : ''}${l10n.t('Then {0} to write it (and the targets after it).', wording().resume())}${grace}`,
      );
    }
    await this.deps.checkpoint?.('files-written', entry.token);

    ctx.progress('verifying');
    let verified: boolean | undefined;
    let rejected: CfRotateError | undefined;
    let expiresAt = entry.received?.expiresAt;
    if (entry.received?.contractProblem) warnings.push(l10n.t('Cloudflare\'s answer did not match its documentation ({0}); the new secret it carried was written.', entry.received.contractProblem));
    if (api && verifying) {
      const answer = await verifying;
      if ('v' in answer) {
        const v = answer.v;
        verified = v.ok;
        if (v.expiresAt) expiresAt = v.expiresAt;
        if (!v.ok) rejected = v.error;
      } else {
        const err = toCfRotateError(answer.e);
        if (err.kind === 'auth') {
          verified = false;
          rejected = new CfRotateError('auth', l10n.t('Cloudflare does not accept the new value of "{0}" that was written: {1}', entry.token, err.message), {
            hint: l10n.t('Check the token in the Cloudflare dashboard (is it disabled, expired, or limited to other IP addresses?).'),
          });
        } else warnings.push(l10n.t('Could not verify the new secret of "{0}": {1}', entry.token, err.message));
      }
      // Destinations are confirmed by what their APIs list (never by reading a value back).
      const dctx = this.destinationContext(false);
      for (const d of entry.destinations ?? []) {
        try {
          const w = await destinationDriver(d).confirm(dctx, d);
          if (w) warnings.push(l10n.t('{0} It was written (the API answered success); check it in the dashboard.', w));
        } catch (e) {
          warnings.push(l10n.t('Could not confirm {0}: {1}', targetLabel(d), toCfRotateError(e).message));
        }
      }
      if (driver.finish) {
        ctx.progress('cleaning-up');
        warnings.push(...(await driver.finish(this.ctx(api, undefined, ctx.accountOwned), entry)));
      }
    } else {
      warnings.push(l10n.t('The new secret was written but not verified: no credential was available.'));
      if (driver.deferFinish) {
        try {
          warnings.push(...(await driver.deferFinish(this.retirements, entry, this.deps.clock.now())));
        } catch (e) {
          warnings.push(l10n.t('Could not keep the clean-up of "{0}" for later: {1}', entry.token, toCfRotateError(e).message));
        }
      }
    }
    // replace: cf-rotate.json names the twin; admin: the new value is stored; the previous credential's retirement is recorded.
    const after = await runAfterTargets(entry, {
      files: this.deps.files,
      locks,
      queue: this.writes,
      fileLockWaitMs: this.deps.fileLockWaitMs ?? 15_000,
      retirements: this.retirements,
      sink: this.deps.credentialSink,
      clock: this.deps.clock,
      logger: this.deps.logger,
      checkpoint: this.deps.checkpoint,
      overwrite: ctx.overwriteConflicts ?? false,
      rejected: rejected !== undefined,
      onStored: () => this.resetClients(),
    });
    warnings.push(...after.warnings);
    if (after.pending) {
      const err = after.pending;
      this.deps.logger.error(`Rotation of "${entry.token}" is not finished: ${err.message}`);
      if (entry.state !== 'rotated') await this.journal.write({ ...entry, state: 'rotated', updatedAt: this.deps.clock.now() }).catch(() => undefined);
      return { ...base, ok: false, state: 'pending', error: err.toJSON(), warnings, ...(verified !== undefined ? { verified } : {}), ...(entry.received?.tokenId ? { tokenId: entry.received.tokenId } : {}), durationMs: this.deps.clock.now() - ctx.started };
    }
    for (const w of warnings) this.deps.logger.warn(w);
    const outcome = ctx.recovered ? 'recovered' : 'rotated';
    const rec: HistoryEntry = { ...this.historyEntry(entry, outcome), ...driver.record?.(entry, outcome), ...(expiresAt ? { expiresAt } : {}) };
    if (rejected) {
      rec.errorKind = rejected.kind;
      rec.error = rejected.message;
    }
    await this.deps.history.append(rec).catch((e: unknown) => this.deps.logger.warn(`Could not record history: ${toCfRotateError(e).message}`));
    try {
      await this.journal.clear(entry.id, entry.token);
    } catch (e) {
      const err = toCfRotateError(e);
      if (err.kind === 'busy') throw e;
      // Every target holds the new secret: the rotation is done. The entry left behind is finished (or recognised) by the next resume.
      const w =
        ctx.unjournaled && entry.targets.length === 0
          ? // Its secret is not in the entry and no file holds it: a resume could not find it (and would judge the call anew).
            l10n.t('The rotation is complete, but its journal entry could not be removed ({0}). Every target holds the new secret; once the state directory is writable again, discard that entry instead of resuming it: {1}.', err.message, wording().discard(entry.token))
          : l10n.t('The rotation is complete, but its journal entry could not be removed ({0}). Nothing is lost: {1} once the state directory is writable again; it finds the new secret in the files and finishes.', err.message, wording().resume());
      this.deps.logger.warn(w);
      warnings.push(w);
    }
    this.deps.logger.info(`${ctx.recovered ? 'Recovered' : 'Rotated'} "${entry.token}" → ${base.targets.join(', ') || 'the stored credential'}`);
    // An overlap of 0s: the previous credential goes right away (a failure stays pending and is retried).
    let retired = false;
    const r = after.retirement;
    if (r && r.dueAt <= this.deps.clock.now()) {
      ctx.progress('cleaning-up');
      const [done] = await this.retirements.carryOut((x) => x.id === r.id);
      if (done?.state === 'retired' || done?.state === 'already-gone') retired = true;
      else if (done?.error) warnings.push(`${done.error.message}${done.error.hint ? ` ${done.error.hint}` : ''}`);
    }
    return {
      ...base,
      ok: rejected === undefined,
      state: outcome,
      ...(rejected ? { error: rejected.toJSON() } : {}),
      warnings,
      ...(verified !== undefined ? { verified } : {}),
      ...(written.length > 0 ? { notes: written.map(destinationNote) } : {}),
      ...graceOf(entry),
      ...(expiresAt ? { expiresAt } : {}),
      ...(entry.received?.tokenId ? { tokenId: entry.received.tokenId } : {}),
      ...(r ? { retiresAt: new Date(r.dueAt).toISOString() } : {}),
      ...(retired ? { retired } : {}),
      durationMs: this.deps.clock.now() - ctx.started,
    };
  }

  private historyEntry(entry: JournalEntry, outcome: HistoryEntry['outcome'], err?: CfRotateError): HistoryEntry {
    return {
      at: new Date(this.deps.clock.now()).toISOString(),
      folder: entry.folder,
      name: entry.token,
      kind: entry.kind,
      outcome,
      targets: journalLabels(entry),
      resource: entry.id,
      journal: entry.owner,
      ...(err ? { errorKind: err.kind, error: err.message } : {}),
      ...(outcome === 'rotated' || outcome === 'recovered' ? graceOf(entry) : {}),
    };
  }

  private async record(e: HistoryEntry): Promise<void> {
    try {
      await this.deps.history.append(e);
    } catch (err) {
      this.deps.logger.warn(`Could not record history: ${toCfRotateError(err).message}`);
    }
  }
}

/** The target files of `token` git is asked about (not those marked allowTracked). */
/** Why git's answer about `rel` forbids writing a secret into it (undefined: it may be written). */
function gitRefusal(rel: string, st: GitStatus | undefined, token: string, when: 'before' | 'resume'): CfRotateError | undefined {
  if (!st?.inWorkTree) return undefined;
  // Before the call nothing was rotated, and the target may opt out. On resume the secret waits in
  // the journal: the caller's message says so and adds "then resume".
  const optOut = l10n.t('or add "allowTracked": true to this target in cf-rotate.json if the file must stay tracked. Nothing was rotated.');
  if (st.problem) {
    return new CfRotateError('file', l10n.t('{0} lies in a git work tree, but git could not say whether it is ignored ({1}); cf-rotate does not write a secret into a file that could be committed.', rel, st.problem), {
      hint: when === 'before' ? l10n.t('Make git available (cf-rotate never runs a git found inside the workspace), {0}', optOut) : l10n.t('Make git available (cf-rotate never runs a git found inside the workspace).'),
    });
  }
  if (st.tracked) {
    return new CfRotateError('file', l10n.t('{0} is tracked by git: the new secret of "{1}" would be committed with it.', rel, token), {
      hint: when === 'before' ? l10n.t('Untrack it (git rm --cached {0}) and add it to .gitignore, {1}', rel, optOut) : l10n.t('Untrack it (git rm --cached {0}) and add it to .gitignore.', rel),
    });
  }
  if (!st.ignored) {
    return new CfRotateError('file', l10n.t('{0} is not ignored by git: the new secret of "{1}" could be committed with it.', rel, token), {
      hint: when === 'before' ? l10n.t('Add {0} to .gitignore, {1}', rel, optOut) : l10n.t('Add {0} to .gitignore.', rel),
    });
  }
  return undefined;
}

function gitAsked(token: TokenConfig): string[] {
  return [...new Set(fileTargets(token).filter((t) => t.allowTracked !== true).map((t) => t.file))];
}

/**
 * The grace period a rotation reports (result, history). A safety window (a version bump without
 * a grace period) is none: it ends as the previous secret is expired right after the write.
 */
function graceOf(entry: Pick<JournalEntry, 'graceUntil' | 'retire'>): { graceUntil?: string } {
  return entry.graceUntil && entry.retire?.what !== 'access-previous-secret' ? { graceUntil: entry.graceUntil } : {};
}

function deadlineOf(entry: Pick<JournalEntry, 'deadline' | 'sentAt' | 'startedAt'>): number {
  return entry.deadline ?? (entry.sentAt ?? entry.startedAt) + LEGACY_DEADLINE_MS;
}

/**
 * When an unsettled entry without its secret has a call that may still take effect at Cloudflare:
 * its deadline, if that is later than `now`; otherwise (settled, secret in hand, never sent, or the
 * deadline passed) undefined.
 */
export function stillOpenUntil(entry: Pick<JournalEntry, 'sentAt' | 'deadline'> & Partial<Pick<JournalEntry, 'state' | 'values' | 'sentBoot'>>, now: number, boot?: { boot: string; ms: number }): number | undefined {
  if (entry.state === 'settled' || (entry.values && Object.keys(entry.values).length > 0) || entry.sentAt === undefined) return undefined;
  const deadline = effectiveDeadline({ deadline: entry.deadline, sentAt: entry.sentAt, startedAt: entry.sentAt, sentBoot: entry.sentBoot }, now, boot);
  return deadline > now ? deadline : undefined;
}

/**
 * The deadline of an entry's call on the wall clock of `now`: the journaled one, or later when
 * `boot` (this machine's Clock.sinceBoot, now) is the boot that sent it and less time has passed
 * since the call than the wall clock says (it was stepped forward, or runs ahead in this process).
 */
export function effectiveDeadline(entry: Pick<JournalEntry, 'deadline' | 'sentAt' | 'startedAt' | 'sentBoot'>, now: number, boot: { boot: string; ms: number } | undefined): number {
  const wall = deadlineOf(entry);
  const sent = entry.sentBoot;
  if (!sent || !boot || boot.boot !== sent.boot || entry.sentAt === undefined) return wall;
  return Math.max(wall, now + (sent.ms + (wall - entry.sentAt) - boot.ms));
}

function cancelledBefore(e: unknown, name: string): CfRotateError {
  const err = toCfRotateError(e);
  if (err.kind === 'cancelled' || (e instanceof Error && e.name === 'AbortError')) {
    return new CfRotateError('cancelled', l10n.t('The rotation of "{0}" was cancelled before anything was sent to Cloudflare.', name), { hint: l10n.t('Nothing was rotated.') });
  }
  return err;
}

/** What discarding an interrupted rotation means, for the confirmation (CLI and extension). */
export function discardExplanation(
  j: Pick<JournalEntry, 'token' | 'kind'> & Partial<Pick<JournalEntry, 'state' | 'values' | 'graceUntil' | 'targets' | 'destinations' | 'verdict' | 'sentAt' | 'deadline'>>,
  now = Date.now(),
): string {
  const files = journalLabels({ targets: j.targets ?? [], destinations: j.destinations }).join(', ') || l10n.t('its targets');
  if (j.state === 'settled') return l10n.t('Its outcome is already known ({0}); discarding only removes the entry.', j.verdict?.message ?? l10n.t('settled'));
  const until = stillOpenUntil(j, now);
  if (until !== undefined) {
    return l10n.t(
      'Its call to Cloudflare can still take effect until {0}, so the value in {1} working now proves nothing yet, and it cannot be discarded before then. Resume it after that time instead: cf-rotate then asks Cloudflare whether "{2}" was rotated.',
      new Date(until).toISOString(),
      files,
      j.token,
    );
  }
  if (j.values && Object.keys(j.values).length > 0) {
    // Destinations journaled as written hold it already (write-only: it cannot be read back from them).
    const written = (j.destinations ?? []).filter((d) => d.done);
    if (written.length > 0) {
      const rest = journalLabels({ targets: j.targets ?? [], destinations: (j.destinations ?? []).filter((d) => !d.done) }).join(', ');
      return (
        `${l10n.t('Cloudflare already issued a new secret for "{0}". {1} already hold it (it cannot be read back from them); it waits in the journal to be written to {2}.', j.token, journalLabels({ targets: [], destinations: written }).join(', '), rest || l10n.t('nothing else'))} ` +
        `${l10n.t('Discarding deletes the journal\'s copy for good: only what already holds it keeps working.')} ` +
        l10n.t('Before discarding, fix what stops the write and resume instead, if you can.')
      );
    }
    // English keeps its earlier words (a capital "The" after "after that" included): the CLI prints them.
    const after =
      j.kind === 'moq-relay-token'
        ? l10n.t('The previous MoQ token keeps working; the new one stays at Cloudflare until you delete it.')
        : j.kind === 'access-service-token' && j.graceUntil
          ? l10n.t('The previous secret works until {0}; after that The credential in your files may no longer work, and you will have to rotate it again.', j.graceUntil)
          : l10n.t('The credential in your files may no longer work, and you will have to rotate it again.');
    return (
      `${l10n.t('Cloudflare already issued a new secret for "{0}" and it waits in the journal to be written to {1}.', j.token, files)} ` +
      `${l10n.t('Discarding deletes that secret for good.')} ${after} ` +
      l10n.t('Before discarding, fix what stops the write and resume instead, if you can.')
    );
  }
  if (j.graceUntil !== undefined && Date.parse(j.graceUntil) > now) {
    // A rotation with an overlap keeps the previous secret working: its working now proves nothing.
    return l10n.t(
      'cf-rotate cannot tell yet whether Cloudflare rotated "{0}". If it did, the previous secret in {1} keeps working until {2} all the same, so that it works now proves nothing: do not discard on that ground. Resume it instead: cf-rotate asks Cloudflare whether "{0}" was rotated, and if its new secret never arrived you can rotate again before {2}.',
      j.token,
      files,
      j.graceUntil,
    );
  }
  return (
    `${l10n.t('cf-rotate cannot tell whether Cloudflare rotated "{0}". First check in the Cloudflare dashboard whether the value in {1} still works.', j.token, files)} ` +
    l10n.t('If it does, discarding is safe. If it does not, the rotation happened and its new secret never arrived: discard, then rotate again.')
  );
}
