/**
 * The rotation engine: preflight → journal intent → API call → journal the new secret (first
 * thing after the response) → write every target (atomic, per-file queue, compare-before-write)
 * → verify → history → clear the journal. `resume` finishes or diagnoses an interrupted journal.
 * Runs unchanged in the extension and the CLI: everything outside is a port.
 */
import * as path from 'node:path';
import type { AccessScope, AdminCredential, CloudflareApi } from '../cloudflare/types';
import { parseDuration, type SecretField, type TokenConfig, type TokenKind } from '../config/schema';
import type { CredentialSource } from '../credentials';
import { patchDotenv, readDotenvValue } from '../dotenv/patch';
import { CfRotateError, toCfRotateError, type ErrorKind } from '../errors';
import type { HistoryEntry, HistoryStore } from '../history';
import type { Clock, Files, Logger, SecretStore } from '../ports';
import { registerSecret } from '../redact';
import { Journal, type JournalEntry } from './journal';
import { KeyedQueue, mapLimit } from './queue';
import { decodeTarget, encodeTarget, hashValue, prepareTargets, type PreparedTarget } from './targets';
import { decodeJwtJti } from '../cloudflare/jwt';

export interface EngineDeps {
  files: Files;
  /** Where journals live (VS Code SecretStorage; the CLI's 0600 state file). */
  secrets: SecretStore;
  credentials: CredentialSource;
  history: HistoryStore;
  clock: Clock;
  logger: Logger;
  /** Builds an API client for a credential. */
  api: (credential: AdminCredential, profile: string) => CloudflareApi;
  /** Grace period for Access service tokens without their own `gracePeriod` (default "1h"). */
  defaultGracePeriod?: string;
  /**
   * Observes each durable step (tracing; the crash-injection suite kills the process here).
   * Called after the step's state is persisted, before the next irreversible action.
   */
  checkpoint?: (point: Checkpoint, token: string) => void | Promise<void>;
}

export type Checkpoint =
  | 'before-call' // intent journaled, API not called yet
  | 'response-received' // the new secret is in memory only
  | 'secret-journaled' // the new secret is in the journal
  | 'target-written' // one target file written (others may follow)
  | 'files-written'; // every target written, not verified yet

export type RotationState =
  | 'rotated' // new secret live and in every target
  | 'recovered' // an interrupted rotation was completed
  | 'planned' // dry run: preflight passed
  | 'failed' // nothing changed at Cloudflare (or the files already hold the new secret)
  | 'pending' // the new secret is safe in the journal but not (yet) in every target: resume
  | 'lost' // Cloudflare rotated but the new secret never arrived: rotate again
  | 'unknown'; // cannot tell whether Cloudflare rotated: resume later

export interface RotationResult {
  name: string;
  folder: string;
  kind: TokenKind;
  ok: boolean;
  state: RotationState;
  /** `file › KEY` for every target. */
  targets: string[];
  error?: { kind: ErrorKind; message: string; hint?: string };
  warnings: string[];
  verified?: boolean;
  graceUntil?: string;
  expiresAt?: string;
  durationMs: number;
}

export interface RotateOptions {
  dryRun?: boolean;
  signal?: AbortSignal;
  onProgress?: (step: string) => void;
}

export interface ResumeOptions {
  /** Overwrite a target that holds a value that is neither the old nor the new secret. */
  overwriteConflicts?: boolean;
  signal?: AbortSignal;
  onProgress?: (step: string) => void;
}

interface RotationOutcome {
  values: Partial<Record<SecretField, string>>;
  cleanup?: JournalEntry['cleanup'];
  expiresAt?: string;
}

export function resourceId(t: TokenConfig): string {
  switch (t.kind) {
    case 'account-api-token':
      return `account-api-token:${t.accountId}:${t.tokenId}`.toLowerCase();
    case 'user-api-token':
      return `user-api-token:${t.tokenId}`.toLowerCase();
    case 'access-service-token':
      return `access-service-token:${t.accountId ? `a:${t.accountId}` : `z:${t.zoneId}`}:${t.serviceTokenId}`.toLowerCase();
    case 'moq-relay-token':
      return `moq-relay-token:${t.accountId}:${t.relayId}:${t.tokenType}`.toLowerCase();
  }
}

function resourceOf(t: TokenConfig): Record<string, string> {
  const r: Record<string, string> = {};
  for (const k of ['accountId', 'zoneId', 'tokenId', 'serviceTokenId', 'relayId', 'tokenType', 'method'] as const) {
    const v = (t as Record<string, unknown>)[k];
    if (typeof v === 'string') r[k] = v;
  }
  return r;
}

function scopeOf(r: Record<string, string>): AccessScope {
  return r.accountId ? { accountId: r.accountId } : { zoneId: r.zoneId as string };
}

function describe(target: { rel: string; key: string }): string {
  return `${target.rel} › ${target.key}`;
}

/** Kinds of API failure after which the rotation may nevertheless have happened. */
const MAYBE_HAPPENED: ReadonlySet<ErrorKind> = new Set(['ambiguous', 'server', 'contract', 'internal']);

export class RotationEngine {
  readonly journal: Journal;
  private readonly writes = new KeyedQueue();
  private readonly apis = new Map<string, CloudflareApi>();

  constructor(private readonly deps: EngineDeps) {
    this.journal = new Journal(deps.secrets);
  }

  private async apiFor(profile: string): Promise<CloudflareApi> {
    const credential = await this.deps.credentials.get(profile);
    if (!credential) {
      throw new CfRotateError('credential-missing', `No Cloudflare credential is set for profile "${profile}".`, {
        hint: `Run "Cloudflare Rotate: Set Credential" for profile "${profile}" (CLI: set CLOUDFLARE_API_TOKEN${profile === 'default' ? '' : `_${profile.toUpperCase()}`}).`,
      });
    }
    const key = `${profile}\u0000${credential.type === 'api-token' ? hashValue(credential.token) : hashValue(credential.email + credential.key)}`;
    let api = this.apis.get(key);
    if (!api) {
      api = this.deps.api(credential, profile);
      this.apis.set(key, api);
    }
    return api;
  }

  /** Forget cached API clients (after a credential or the base URL changed). */
  resetClients(): void {
    this.apis.clear();
  }

  private graceMs(t: TokenConfig): number {
    const text = (t.kind === 'access-service-token' ? t.gracePeriod : undefined) ?? this.deps.defaultGracePeriod ?? '1h';
    return parseDuration(text);
  }

  async rotate(folder: string, token: TokenConfig, opts: RotateOptions = {}): Promise<RotationResult> {
    const started = this.deps.clock.now();
    const base = { name: token.name, folder, kind: token.kind, targets: token.targets.map((t) => describe({ rel: t.file, key: t.key })) };
    const progress = (s: string): void => opts.onProgress?.(s);
    const id = resourceId(token);
    let entry: JournalEntry | undefined;
    try {
      progress('checking');
      if (!this.journal.isHeld(id) && (await this.journal.get(id))) {
        // Never start over a journal that may hold an unwritten secret; say so before anything else.
        throw new CfRotateError('busy', `An interrupted rotation of "${token.name}" must be finished first.`, {
          hint: 'Run "Cloudflare Rotate: Resume Interrupted Rotation" (CLI: cf-rotate resume).',
        });
      }
      const api = await this.apiFor(token.profile);
      const targets = await prepareTargets(this.deps.files, folder, token);
      if (opts.dryRun) {
        return { ...base, ok: true, state: 'planned', warnings: [], durationMs: this.deps.clock.now() - started };
      }
      const pre = await this.preState(api, token, targets, opts.signal);
      const graceMs = this.graceMs(token);
      const now = this.deps.clock.now();
      entry = await this.journal.begin({
        id,
        folder,
        token: token.name,
        kind: token.kind,
        profile: token.profile,
        state: 'intent',
        resource: resourceOf(token),
        startedAt: now,
        updatedAt: now,
        targets: targets.map(({ current: _c, ...t }) => t),
        pre,
        ...(token.kind === 'access-service-token' && graceMs > 0 ? { graceUntil: new Date(now + graceMs).toISOString() } : {}),
        ...(token.kind === 'moq-relay-token' ? { moqLabel: `cf-rotate:${token.name}:${now.toString(36)}` } : {}),
      });
      progress('rotating');
      await this.deps.checkpoint?.('before-call', token.name);
      let outcome: RotationOutcome;
      try {
        outcome = await this.callRotate(api, entry, opts.signal);
      } catch (e) {
        return await this.afterFailedCall(api, entry, targets, toCfRotateError(e), base, started);
      }
      await this.deps.checkpoint?.('response-received', token.name);
      // The new secret exists only in this process now. Journal it before anything else can fail.
      entry = { ...entry, state: 'rotated', values: outcome.values, updatedAt: this.deps.clock.now(), ...(outcome.cleanup ? { cleanup: outcome.cleanup } : {}) };
      try {
        await this.journal.write(entry);
      } catch (e) {
        // Keep going: the files are the second durable copy. Losing the secret is the one unacceptable outcome.
        this.deps.logger.error(`Could not journal the new secret of "${token.name}" (${toCfRotateError(e).message}); writing the targets directly.`);
      }
      await this.deps.checkpoint?.('secret-journaled', token.name);
      return await this.complete(api, entry, { expiresAt: outcome.expiresAt, started, progress });
    } catch (e) {
      const err = toCfRotateError(e);
      if (entry && err.kind !== 'busy' && (await this.journal.get(id))?.state === 'intent') {
        await this.journal.clear(id); // nothing irreversible happened yet
      } else if (entry) {
        this.journal.release(id);
      }
      this.deps.logger.warn(`Rotation of "${token.name}" failed: ${err.kind}: ${err.message}`);
      return { ...base, ok: false, state: 'failed', error: err.toJSON(), warnings: [], durationMs: this.deps.clock.now() - started };
    }
  }

  /** Rotate many tokens with bounded concurrency. Results in input order. */
  rotateMany(items: readonly { folder: string; token: TokenConfig }[], opts: RotateOptions & { concurrency?: number; onResult?: (r: RotationResult) => void } = {}): Promise<RotationResult[]> {
    return mapLimit(items, opts.concurrency ?? 8, async ({ folder, token }) => {
      if (opts.signal?.aborted) {
        // Cancelling a batch stops new rotations; the ones in flight finish (a rotation is never cut in half).
        const r: RotationResult = {
          name: token.name,
          folder,
          kind: token.kind,
          ok: false,
          state: 'failed',
          targets: token.targets.map((t) => describe({ rel: t.file, key: t.key })),
          error: { kind: 'cancelled', message: `"${token.name}" was not rotated: the batch was cancelled before it started.`, hint: 'Run it again when you are ready.' },
          warnings: [],
          durationMs: 0,
        };
        opts.onResult?.(r);
        return r;
      }
      const r = await this.rotate(folder, token, { dryRun: opts.dryRun ?? false });
      opts.onResult?.(r);
      return r;
    });
  }

  /** Journals left behind by interrupted rotations (by crash, or a failed file write). */
  async interrupted(): Promise<JournalEntry[]> {
    return (await this.journal.list()).filter((j) => !this.journal.isHeld(j.id));
  }

  /** Finish (state rotated/written) or diagnose (intent/unknown) an interrupted rotation. */
  async resume(id: string, opts: ResumeOptions = {}): Promise<RotationResult> {
    const started = this.deps.clock.now();
    const entry = await this.journal.get(id);
    if (!entry) throw new CfRotateError('not-found', `There is no interrupted rotation ${id}.`);
    const base = { name: entry.token, folder: entry.folder, kind: entry.kind, targets: entry.targets.map(describe) };
    this.journal.acquire(id, entry.token);
    try {
      if (entry.values) {
        const api = await this.apiFor(entry.profile).catch(() => undefined);
        const r = await this.complete(api, entry, { started, progress: (s) => opts.onProgress?.(s), overwriteConflicts: opts.overwriteConflicts, recovered: true });
        return r;
      }
      const api = await this.apiFor(entry.profile);
      const prepared: PreparedTarget[] = [];
      for (const t of entry.targets) {
        const bytes = await this.deps.files.read(t.file);
        const current = bytes === undefined ? undefined : readDotenvValue(decodeTarget(bytes, t.rel), t.key).value;
        prepared.push({ ...t, current });
      }
      return await this.afterFailedCall(api, entry, prepared, new CfRotateError('ambiguous', `The rotation of "${entry.token}" was interrupted before its result was saved.`), base, started);
    } catch (e) {
      this.journal.release(id);
      const err = toCfRotateError(e);
      return { ...base, ok: false, state: entry.values ? 'pending' : 'unknown', error: err.toJSON(), warnings: [], durationMs: this.deps.clock.now() - started };
    }
  }

  /** Discard an interrupted rotation the user has dealt with by hand. */
  async discard(id: string): Promise<void> {
    await this.journal.clear(id);
  }

  /** Access service tokens: stop accepting the previous secret now. */
  async expirePreviousSecret(folder: string, token: TokenConfig): Promise<void> {
    if (token.kind !== 'access-service-token') {
      throw new CfRotateError('validation', `"${token.name}" is not an Access service token; only those keep a previous secret.`);
    }
    const api = await this.apiFor(token.profile);
    const at = new Date(this.deps.clock.now());
    await api.setPreviousSecretExpiry(scopeOf(resourceOf(token)), token.serviceTokenId, at);
    await this.record({ at: at.toISOString(), folder, name: token.name, kind: token.kind, outcome: 'expired-previous', targets: [] });
  }

  // ---------------------------------------------------------------------------------------------

  private async preState(api: CloudflareApi, t: TokenConfig, targets: PreparedTarget[], signal?: AbortSignal): Promise<JournalEntry['pre']> {
    const o = signal ? { signal } : undefined;
    if (t.kind === 'access-service-token') {
      const info = await api.getServiceToken(scopeOf(resourceOf(t)), t.serviceTokenId, o);
      return { clientId: info.clientId, ...(info.clientSecretVersion !== undefined ? { clientSecretVersion: info.clientSecretVersion } : {}), ...(info.updatedAt ? { updatedAt: info.updatedAt } : {}) };
    }
    if (t.kind === 'moq-relay-token') {
      const current = targets.find((x) => x.current !== undefined)?.current;
      const jti = current ? decodeJwtJti(current) : undefined;
      return jti ? { oldJti: jti } : {};
    }
    return {};
  }

  private async callRotate(api: CloudflareApi, e: JournalEntry, signal?: AbortSignal): Promise<RotationOutcome> {
    const r = e.resource;
    const o = signal ? { signal } : undefined;
    switch (e.kind) {
      case 'account-api-token':
        return { values: { token: await api.rollAccountToken(r.accountId as string, r.tokenId as string, o) } };
      case 'user-api-token':
        return { values: { token: await api.rollUserToken(r.tokenId as string, o) } };
      case 'access-service-token': {
        const grace = e.graceUntil ? new Date(e.graceUntil) : undefined;
        const method = r.method ?? (r.accountId ? 'rotate' : 'version');
        const s =
          method === 'rotate' && r.accountId
            ? await api.rotateServiceToken(r.accountId, r.serviceTokenId as string, grace, o)
            : await api.bumpServiceTokenVersion(scopeOf(r), r.serviceTokenId as string, e.pre?.clientSecretVersion ?? 1, grace, o);
        return { values: { clientId: s.clientId, clientSecret: s.clientSecret }, ...(s.expiresAt ? { expiresAt: s.expiresAt } : {}) };
      }
      case 'moq-relay-token': {
        const m = await api.rotateMoqToken(r.accountId as string, r.relayId as string, (r.tokenType ?? 'publish_subscribe') as 'publish_subscribe' | 'subscribe', e.moqLabel ?? `cf-rotate:${e.token}`, o);
        // Through the create+delete fallback the old token stays valid until we delete it, after the files are written.
        const cleanup = m.via === 'create' && e.pre?.oldJti && e.pre.oldJti !== m.jti ? { moqDeleteJti: e.pre.oldJti } : undefined;
        return { values: { token: m.token }, ...(cleanup ? { cleanup } : {}) };
      }
    }
  }

  /**
   * The API call failed. If it cannot have taken effect, forget the journal. Otherwise find out
   * whether Cloudflare rotated: if not, nothing is lost; if so, the new secret never reached us.
   */
  private async afterFailedCall(
    api: CloudflareApi,
    entry: JournalEntry,
    targets: PreparedTarget[],
    err: CfRotateError,
    base: Pick<RotationResult, 'name' | 'folder' | 'kind' | 'targets'>,
    started: number,
  ): Promise<RotationResult> {
    const done = (state: RotationState, error: CfRotateError, warnings: string[] = []): RotationResult => ({
      ...base,
      ok: false,
      state,
      error: error.toJSON(),
      warnings,
      durationMs: this.deps.clock.now() - started,
    });
    if (!MAYBE_HAPPENED.has(err.kind)) {
      await this.journal.clear(entry.id);
      await this.record(this.historyEntry(entry, 'failed', err));
      return done('failed', err);
    }
    await this.journal.write({ ...entry, state: 'unknown', lastError: err.message, updatedAt: this.deps.clock.now() }).catch(() => undefined);
    let verdict: 'not-rotated' | 'rotated' | 'unknown';
    try {
      verdict = await this.probe(api, entry, targets);
    } catch (e) {
      this.deps.logger.warn(`Could not check whether "${entry.token}" was rotated: ${toCfRotateError(e).message}`);
      verdict = 'unknown';
    }
    if (verdict === 'not-rotated') {
      await this.journal.clear(entry.id);
      await this.record(this.historyEntry(entry, 'failed', err));
      const when = err.kind === 'server' ? ' once Cloudflare answers normally again (see www.cloudflarestatus.com)' : err.kind === 'ambiguous' ? ' (if this repeats, check your network or proxy)' : '';
      return done(
        'failed',
        new CfRotateError(err.kind, `${err.message} Cloudflare did not rotate "${entry.token}": the current secret still works and no file was changed.`, {
          hint: `Nothing changed, so it is safe to rotate "${entry.token}" again${when}.`,
        }),
      );
    }
    if (verdict === 'unknown') {
      this.journal.release(entry.id);
      return done(
        'unknown',
        new CfRotateError('ambiguous', `${err.message} It is not known whether Cloudflare rotated "${entry.token}".`, {
          hint: 'Run "Cloudflare Rotate: Resume Interrupted Rotation" (CLI: cf-rotate resume) when Cloudflare is reachable; it checks and tells you what to do.',
        }),
      );
    }
    // Rotated, but the new secret never arrived.
    await this.journal.clear(entry.id);
    const lost = this.lostError(entry);
    await this.record(this.historyEntry(entry, 'lost', lost));
    return done('lost', lost);
  }

  private lostError(entry: JournalEntry): CfRotateError {
    const graceOk = entry.graceUntil !== undefined && Date.parse(entry.graceUntil) > this.deps.clock.now();
    switch (entry.kind) {
      case 'access-service-token':
        return new CfRotateError('ambiguous', `Cloudflare rotated the service token "${entry.token}" but the new client secret never arrived.`, {
          hint: graceOk
            ? `The previous secret in your files still works until ${entry.graceUntil}: rotate "${entry.token}" again now to get a secret you can use.`
            : `The previous secret no longer works: rotate "${entry.token}" again now to get a new one.`,
        });
      case 'moq-relay-token':
        return new CfRotateError('ambiguous', `Cloudflare replaced the MoQ relay token "${entry.token}" but the new token never arrived.`, {
          hint: `Rotate "${entry.token}" again to issue a new token.`,
        });
      default:
        return new CfRotateError('ambiguous', `Cloudflare rolled the API token "${entry.token}" but the new value never arrived; the old value no longer works.`, {
          hint: `Rotate "${entry.token}" again: the admin credential rolls it once more and cf-rotate writes the value it receives.`,
        });
    }
  }

  /** Did the interrupted call take effect? */
  private async probe(api: CloudflareApi, entry: JournalEntry, targets: PreparedTarget[]): Promise<'not-rotated' | 'rotated' | 'unknown'> {
    const r = entry.resource;
    switch (entry.kind) {
      case 'account-api-token':
      case 'user-api-token': {
        const old = targets.find((t) => t.current !== undefined && t.oldHash !== null && hashValue(t.current) === t.oldHash)?.current;
        if (old === undefined) return 'unknown';
        try {
          const v = await api.verifyToken(old, entry.kind === 'account-api-token' ? r.accountId : undefined);
          return v.status === 'active' ? 'not-rotated' : 'rotated';
        } catch (e) {
          return toCfRotateError(e).kind === 'auth' ? 'rotated' : 'unknown';
        }
      }
      case 'access-service-token': {
        const info = await api.getServiceToken(scopeOf(r), r.serviceTokenId as string);
        const pre = entry.pre ?? {};
        if (pre.clientSecretVersion !== undefined && info.clientSecretVersion !== undefined) {
          return info.clientSecretVersion !== pre.clientSecretVersion ? 'rotated' : 'not-rotated';
        }
        if (pre.updatedAt !== undefined && info.updatedAt !== undefined) return info.updatedAt !== pre.updatedAt ? 'rotated' : 'not-rotated';
        return 'unknown';
      }
      case 'moq-relay-token': {
        const tokens = await api.listMoqTokens(r.accountId as string, r.relayId as string);
        const ours = entry.moqLabel ? tokens.filter((t) => t.label === entry.moqLabel) : [];
        // A token our fallback created but whose secret never arrived: unusable, remove it. The old one still works.
        for (const t of ours) await api.deleteMoqToken(r.accountId as string, r.relayId as string, t.jti);
        const oldJti = entry.pre?.oldJti;
        if (oldJti === undefined) return ours.length > 0 ? 'not-rotated' : 'unknown';
        return tokens.some((t) => t.jti === oldJti) ? 'not-rotated' : 'rotated';
      }
    }
  }

  /** Write every target, verify, clean up, record, clear the journal. Idempotent. */
  private async complete(
    api: CloudflareApi | undefined,
    entry: JournalEntry,
    ctx: { expiresAt?: string | undefined; started: number; progress: (s: string) => void; overwriteConflicts?: boolean | undefined; recovered?: boolean },
  ): Promise<RotationResult> {
    const values = entry.values ?? {};
    for (const v of Object.values(values)) registerSecret(v);
    const warnings: string[] = [];
    const base = { name: entry.token, folder: entry.folder, kind: entry.kind, targets: entry.targets.map(describe) };
    ctx.progress('writing');
    try {
      const byFile = new Map<string, JournalEntry['targets']>();
      for (const t of entry.targets) if (!t.done) byFile.set(t.file, [...(byFile.get(t.file) ?? []), t]);
      for (const [file, group] of byFile) {
        const real = (await this.deps.files.realpath(file)) ?? file;
        await this.writes.run(real, () => this.writeFile(file, group, values, ctx.overwriteConflicts ?? false));
        // Progress is not journaled: resuming compares each target with the new value and skips
        // those already written, so the journal is written only twice per rotation (intent, then
        // the secret). SecretStorage round trips are slow in some hosts (code-server: the browser).
        for (const t of group) t.done = true;
        await this.deps.checkpoint?.('target-written', entry.token);
      }
    } catch (e) {
      const err = toCfRotateError(e, 'file');
      this.journal.release(entry.id);
      this.deps.logger.error(`Rotation of "${entry.token}" could not write its targets: ${err.message}`);
      await this.record(this.historyEntry(entry, 'failed', err));
      return {
        ...base,
        ok: false,
        state: 'pending',
        error: {
          kind: err.kind,
          message: `Cloudflare rotated "${entry.token}" and the new secret is kept safely, but a file could not be written: ${err.message}`,
          hint: err.kind === 'conflict' ? err.hint ?? '' : 'Fix the problem, then run "Cloudflare Rotate: Resume Interrupted Rotation" (CLI: cf-rotate resume) to write it.',
        },
        warnings,
        durationMs: this.deps.clock.now() - ctx.started,
      };
    }
    await this.deps.checkpoint?.('files-written', entry.token);

    ctx.progress('verifying');
    let verified: boolean | undefined;
    let expiresAt = ctx.expiresAt;
    if (api) {
      try {
        const v = await this.verify(api, entry, values);
        verified = v.ok;
        if (v.expiresAt) expiresAt = v.expiresAt;
        if (!v.ok) warnings.push(v.message);
      } catch (e) {
        warnings.push(`Could not verify the new secret of "${entry.token}": ${toCfRotateError(e).message}`);
      }
      const jti = entry.cleanup?.moqDeleteJti;
      if (jti) {
        try {
          await api.deleteMoqToken(entry.resource.accountId as string, entry.resource.relayId as string, jti);
        } catch (e) {
          warnings.push(`The previous MoQ token of "${entry.token}" could not be revoked (${toCfRotateError(e).message}); delete it in the dashboard.`);
        }
      }
    } else {
      warnings.push('The new secret was written but not verified: no credential was available.');
    }
    await this.journal.clear(entry.id);
    for (const w of warnings) this.deps.logger.warn(w);
    const outcome = ctx.recovered ? 'recovered' : 'rotated';
    await this.record({ ...this.historyEntry(entry, outcome), ...(expiresAt ? { expiresAt } : {}) });
    this.deps.logger.info(`${ctx.recovered ? 'Recovered' : 'Rotated'} "${entry.token}" → ${base.targets.join(', ')}`);
    return {
      ...base,
      ok: true,
      state: outcome,
      warnings,
      ...(verified !== undefined ? { verified } : {}),
      ...(entry.graceUntil ? { graceUntil: entry.graceUntil } : {}),
      ...(expiresAt ? { expiresAt } : {}),
      durationMs: this.deps.clock.now() - ctx.started,
    };
  }

  /** Read, compare, patch, write atomically, re-read and check one file. Runs inside the file's queue. */
  private async writeFile(file: string, group: JournalEntry['targets'], values: Partial<Record<SecretField, string>>, overwrite: boolean): Promise<void> {
    const rel = group[0]?.rel ?? path.basename(file);
    const bytes = await this.deps.files.read(file);
    const text = bytes === undefined ? '' : decodeTarget(bytes, rel);
    const updates: { key: string; value: string }[] = [];
    for (const t of group) {
      const value = values[t.field];
      if (value === undefined) throw new CfRotateError('internal', `The journal of "${rel}" has no ${t.field} to write.`);
      const now = readDotenvValue(text, t.key);
      if (now.distinctValues.length === 1 && now.value === value) continue; // already written (resume)
      const matchesOld = t.oldHash === null ? now.value === undefined : now.value !== undefined && hashValue(now.value) === t.oldHash;
      if (!matchesOld && !overwrite) {
        throw new CfRotateError('conflict', `${t.key} in ${rel} changed during the rotation: it holds neither the old nor the new value.`, {
          hint: 'Check the file, then run "Resume Interrupted Rotation" and choose to overwrite it, or discard the rotation.',
        });
      }
      updates.push({ key: t.key, value });
    }
    if (updates.length === 0) return;
    if (this.deps.files.isDirty?.(file)) {
      throw new CfRotateError('file', `${rel} has unsaved changes in an editor.`, { hint: 'Save or revert it, then resume the rotation.' });
    }
    const patched = patchDotenv(text, updates);
    await this.deps.files.writeAtomic(file, encodeTarget(patched.text), { mode: 0o600 });
    const back = await this.deps.files.read(file);
    const backText = back === undefined ? '' : decodeTarget(back, rel);
    for (const u of updates) {
      if (readDotenvValue(backText, u.key).value !== u.value) {
        throw new CfRotateError('file', `${rel} did not keep the new value of ${u.key} after writing.`, { hint: 'Check the disk and resume the rotation.' });
      }
    }
  }

  private async verify(api: CloudflareApi, entry: JournalEntry, values: Partial<Record<SecretField, string>>): Promise<{ ok: boolean; message: string; expiresAt?: string }> {
    switch (entry.kind) {
      case 'account-api-token':
      case 'user-api-token': {
        const v = await api.verifyToken(values.token as string, entry.kind === 'account-api-token' ? entry.resource.accountId : undefined);
        return { ok: v.status === 'active', message: `Cloudflare reports the new token of "${entry.token}" as ${v.status}.`, ...(v.expiresOn ? { expiresAt: v.expiresOn } : {}) };
      }
      case 'access-service-token': {
        const expected = entry.pre?.clientId;
        const ok = expected === undefined || expected === values.clientId;
        return { ok, message: `The service token "${entry.token}" came back with a different client ID than before; check the application that uses it.` };
      }
      case 'moq-relay-token':
        return { ok: true, message: '' };
    }
  }

  private historyEntry(entry: JournalEntry, outcome: HistoryEntry['outcome'], err?: CfRotateError): HistoryEntry {
    return {
      at: new Date(this.deps.clock.now()).toISOString(),
      folder: entry.folder,
      name: entry.token,
      kind: entry.kind,
      outcome,
      targets: entry.targets.map(describe),
      ...(err ? { errorKind: err.kind, error: err.message } : {}),
      ...(entry.graceUntil && outcome !== 'failed' ? { graceUntil: entry.graceUntil } : {}),
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
