/**
 * The rotation journal: a write-ahead record per rotated Cloudflare credential. It holds the new
 * secret between Cloudflare's answer and the last target write, and what is needed to find out,
 * after a crash, whether an unanswered call took effect.
 *
 * Storage is one entry per credential (`JournalStore`: one 0600 file each in the user's state
 * directory, shared by the CLI and every VS Code window), so a write never touches another
 * credential's entry. Only the holder of the credential's machine-wide lock (`Locks`) writes its
 * entry; a lock whose process died is stale and is taken over by the next `resume`, which then
 * finishes or settles the entry. An entry without a live lock holder is "interrupted".
 */
import * as l10n from '@vscode/l10n';
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import * as z from 'zod/mini';
import { TOKEN_KINDS } from '../config/schema';
import { CfRotateError } from '../errors';
import { unverifiable, type Lease, type LockHolder, type Locks } from '../ports';
import { registerSecret } from '../redact';
import { busyError } from '../locks';
import { wording } from '../wording';

/** Key prefix of cf-rotate 0.1's journal entries (SecretStorage and journal.json); read for migration only. */
export const JOURNAL_PREFIX = 'cfRotate.journal.';

export const journalStates = ['intent', 'unknown', 'rotated', 'settled'] as const;
export type JournalState = (typeof journalStates)[number];

export const SECRET_FIELDS = ['token', 'clientId', 'clientSecret', 'r2AccessKeyId', 'r2SecretAccessKey'] as const;

/** Journaled values that are identifiers, not secrets (an R2 access key id is the token's id): never registered with the redactor. */
const NOT_SECRET: ReadonlySet<string> = new Set(['r2AccessKeyId']);

/** The values of an entry that are secrets (everything but identifiers such as the R2 access key id). */
export function secretValuesOf(values: Partial<Record<string, string>> | undefined): string[] {
  return Object.entries(values ?? {})
    .filter(([k, v]) => !NOT_SECRET.has(k) && typeof v === 'string')
    .map(([, v]) => v as string);
}

const journalTarget = z.object({
  /** Path relative to the folder; every use re-resolves and re-checks it from the folder. */
  rel: z.string(),
  key: z.string(),
  field: z.enum(SECRET_FIELDS),
  /** sha256 of the value the target held before the rotation; null when the key was absent. */
  oldHash: z.nullable(z.string()),
  done: z.boolean(),
  /** The target's "allowTracked": a resume writes it without asking git again (every other target is asked). */
  allowTracked: z.optional(z.literal(true)),
  /**
   * The file the rotation's checks judged (name rule, configuration, git): its real path relative
   * to the folder's real path. Every write goes to this file or to none (a link swapped in since is refused).
   */
  inner: z.optional(z.string()),
});

/**
 * A destination beside the files (Worker, Pages project, Secrets Store, GitHub Actions), with the
 * ids resolved from the config when the rotation started (account, profile, field), so resume
 * needs no config. `done`: the write was answered with success (journaled after each one, so a
 * resume does not deploy a Worker again for nothing); `before`: the secret's timestamp before
 * the rotation (Secrets Store `modified`, GitHub `updated_at`), to see the write in verification.
 */
const destinationCommon = {
  field: z.enum(SECRET_FIELDS),
  done: z.boolean(),
  before: z.optional(z.string()),
};
const journalDestination = z.discriminatedUnion('type', [
  z.object({ type: z.literal('worker'), worker: z.string(), key: z.string(), accountId: z.string(), profile: z.string(), ...destinationCommon }),
  z.object({ type: z.literal('pages'), pages: z.string(), environment: z.enum(['production', 'preview']), key: z.string(), accountId: z.string(), profile: z.string(), ...destinationCommon }),
  z.object({ type: z.literal('secrets-store'), secretsStore: z.string(), secretId: z.string(), accountId: z.string(), profile: z.string(), ...destinationCommon }),
  z.object({ type: z.literal('github'), github: z.string(), environment: z.optional(z.string()), key: z.string(), ...destinationCommon }),
]);

const verdictSchema = z.object({
  outcome: z.enum(['not-rotated', 'lost', 'discarded']),
  message: z.string(),
  hint: z.optional(z.string()),
  errorKind: z.optional(z.string()),
  at: z.number(),
});

/** `replace` of an API token: the twin's create body (no secret) and the marker its name carries. */
const twinSchema = z.object({
  /** "(cf-rotate <label>)": ends the twin's name, so a twin whose value never arrived is found and deleted. */
  marker: z.string(),
  body: z.record(z.string(), z.unknown()),
});

/**
 * Steps after the targets are written and verified, part of the journaled rotation (resume does
 * them): point cf-rotate.json at the twin, store the new admin credential, record the pending
 * retirement of what the rotation replaced. An entry with any of them is v 4, so an older
 * cf-rotate (which knows v 2 only) refuses it instead of finishing the files and skipping them.
 */
const configStepSchema = z.object({
  /** cf-rotate.json, relative to the folder. */
  rel: z.string(),
  /** sha256 of its text when the rotation began: a file that changed since is not rewritten. */
  hash: z.string(),
  /** The `tokenId` the entry had (the twin's id replaces it). */
  previousTokenId: z.string(),
});
const storeStepSchema = z.object({
  /** The profile whose stored admin credential receives the new value. */
  profile: z.string(),
  /** The account that owns the token (account-owned admin tokens, notes A1). */
  accountId: z.optional(z.string()),
});
const retireStepSchema = z.object({
  what: z.enum(['api-token', 'oauth-client-secret', 'access-previous-secret']),
  /**
   * What to delete: accountId / tokenId (API token) or accountId / clientId (OAuth client's previous
   * secret); accountId or zoneId / serviceTokenId (an Access service token's previous secret, expired now).
   */
  resource: z.record(z.string(), z.string()),
  /** From the moment the new value is everywhere. */
  overlapMs: z.number(),
  /** The previous admin credential of `store.profile`. */
  admin: z.optional(z.boolean()),
});

const journalSchema = z.object({
  /**
   * 2; 3 when the entry has destinations, so that a cf-rotate without destinations refuses the
   * entry (it would finish the files and forget the destinations) instead of misreading it; 4 when
   * it has steps after the targets (config, store, retire), whether or not it has destinations.
   */
  v: z.union([z.literal(2), z.literal(3), z.literal(4)]),
  id: z.string(),
  /** Random per rotation: history records carry it, so a settled verdict is recorded once. */
  owner: z.string(),
  folder: z.string(),
  token: z.string(),
  kind: z.enum(TOKEN_KINDS),
  profile: z.string(),
  state: z.enum(journalStates),
  /** Identifiers of the Cloudflare resource (account/zone/token/relay ids), so resume needs no config. */
  resource: z.record(z.string(), z.string()),
  startedAt: z.number(),
  updatedAt: z.number(),
  /** When the rotation request was (last) handed to the network. */
  sentAt: z.optional(z.number()),
  /** The machine's boot and its time since boot when the call went out (Clock.sinceBoot): a wall-clock step cannot bring the deadline forward on this boot. */
  sentBoot: z.optional(z.object({ boot: z.string(), ms: z.number() })),
  /** After this instant the request can no longer take effect at Cloudflare: only then is "not rotated" a verdict. */
  deadline: z.optional(z.number()),
  /** File targets. */
  targets: z.array(journalTarget),
  /** The targets record their allowTracked (entries of this version): a resume asks git again about the others. */
  gitGated: z.optional(z.literal(true)),
  /** Destinations beside the files, written after them (entries of v3). */
  destinations: z.optional(z.array(journalDestination)),
  pre: z.optional(
    z.object({
      clientId: z.optional(z.string()),
      updatedAt: z.optional(z.string()),
      modifiedOn: z.optional(z.string()),
      /** MoQ: the tokens to delete once the new one is written. */
      oldJtis: z.optional(z.array(z.string())),
      /** Access (version method): the version this rotation sets. */
      nextVersion: z.optional(z.number()),
      /** Access (version method): no history entry knew the version; it came from cf-rotate.json's clientSecretVersion. */
      versionFromConfig: z.optional(z.literal(true)),
      /** API token `replace`: the twin to create. */
      twin: z.optional(twinSchema),
      /** Turnstile: sha256 of the widget's secret before the call (resume compares the secret Cloudflare reports). */
      secretHash: z.optional(z.string()),
    }),
  ),
  graceUntil: z.optional(z.string()),
  /** The new secret(s). Present from state `rotated` on. */
  values: z.optional(z.partialRecord(z.enum(SECRET_FIELDS), z.string())),
  /** Facts learned with the secret (expiry, new MoQ jti). */
  received: z.optional(
    z.object({
      expiresAt: z.optional(z.string()),
      jti: z.optional(z.string()),
      contractProblem: z.optional(z.string()),
      /** `replace`: the id of the twin (journaled with its value). */
      tokenId: z.optional(z.string()),
    }),
  ),
  config: z.optional(configStepSchema),
  store: z.optional(storeStepSchema),
  retire: z.optional(retireStepSchema),
  /** Label given to a MoQ token this rotation creates, to recognise it after a crash. */
  moqLabel: z.optional(z.string()),
  lastError: z.optional(z.string()),
  /** State `settled`: the verdict, made durable before the history record and the entry's removal. */
  verdict: z.optional(verdictSchema),
});

export type JournalEntry = z.infer<typeof journalSchema>;
export type RetireStep = z.infer<typeof retireStepSchema>;
export type JournalTarget = z.infer<typeof journalTarget>;
export type JournalDestination = z.infer<typeof journalDestination>;
export type Verdict = z.infer<typeof verdictSchema>;

/** Where entries live: one durable, atomically replaced record per id. */
export interface JournalStore {
  put(id: string, text: string): Promise<void>;
  delete(id: string): Promise<void>;
  /**
   * The entry's text. `locked`: the caller holds the entry's lock, so `rescue` ran when it took it
   * and nothing newer can wait in a temporary (only the holder writes): the file is the entry.
   */
  get(id: string, opts?: { locked?: boolean }): Promise<string | undefined>;
  /**
   * Every stored entry's text (order irrelevant); an entry that is there but cannot be read (no
   * permission, an I/O error, too large) as `{ unreadable }`: it may hold a new secret, so it is
   * reported, never passed over in silence.
   */
  list(): Promise<(string | UnreadableFile)[]>;
  /**
   * Put back the newest state of `id` that a killed process wrote to a temporary but never renamed
   * into place (see NodeJournalStore). Called with the entry's lock held, before it is read.
   */
  rescue?(id: string): Promise<void>;
}

/**
 * This process's lock of a rotation was broken by another process that took the rotation over
 * (`resume --take-over`, Resume Interrupted Rotation › Take Over): this process stops before its
 * next write. The journal entry is the other process's now.
 */
export class TakenOverError extends CfRotateError {
  constructor(token: string) {
    super('busy', l10n.t('Another process took over the rotation of "{0}" (it broke this process\'s lock, as of a process that had died); this process stopped and wrote nothing more.', token), {
      hint: l10n.t('The process that took it over finishes the rotation. Nothing more was changed here.'),
    });
  }
}

/** File-name-safe key of an id (ids contain ':'). */
export function journalKey(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('hex').slice(0, 40);
}

export class Journal {
  private readonly leases = new Map<string, Lease>();

  constructor(
    private readonly store: JournalStore,
    readonly locks: Locks,
  ) {}

  static newOwner(): string {
    return randomBytes(8).toString('hex');
  }

  /**
   * Take the credential's machine-wide lock. Throws 'busy' naming the holder when a live process
   * (this one included) works on it.
   */
  async lock(id: string, what: string): Promise<void> {
    if (this.leases.has(id)) throw busyError({ pid: process.pid, start: null, host: hostname(), since: 0, what, app: l10n.t('this window') }, what);
    const r = await this.locks.tryAcquire(`rot-${journalKey(id)}`, what);
    if (!('release' in r)) throw busyError(r, what, { takeOver: true });
    this.leases.set(id, r);
    // What a killed holder wrote last (its temporary) comes back before anything reads the entry;
    // if it cannot, nothing may act on the older entry: the lock is given back and the error said.
    try {
      await this.store.rescue?.(id);
    } catch (e) {
      await this.unlock(id);
      throw e;
    }
  }

  isLocked(id: string): boolean {
    return this.leases.has(id);
  }

  async unlock(id: string): Promise<void> {
    const l = this.leases.get(id);
    this.leases.delete(id);
    await l?.release();
  }

  /** The live process working on `id`, if any (another process, or this one). */
  async holder(id: string): Promise<LockHolder | undefined> {
    const mine = this.leases.get(id);
    if (mine) return mine.holder;
    return this.locks.holder(`rot-${journalKey(id)}`);
  }

  /**
   * One pass over the entries no process of this one works on, with their lock's live holder:
   * none (interrupted: left by a crash, a failed write, an unanswered call), or one this machine
   * cannot prove alive (another host, or no start time: see `unverifiable`). Those a holder this
   * machine sees alive keeps are left out. One read of each entry's lock.
   */
  async waiting(): Promise<{ entry: JournalEntry; holder?: LockHolder }[]> {
    const out: { entry: JournalEntry; holder?: LockHolder }[] = [];
    for (const entry of await this.list()) {
      if (this.leases.has(entry.id)) continue;
      const holder = await this.locks.holder(`rot-${journalKey(entry.id)}`);
      if (!holder) out.push({ entry });
      else if (unverifiable(holder, hostname())) out.push({ entry, holder });
    }
    return out;
  }

  /**
   * Entries whose lock a holder keeps that this machine cannot prove alive (another host, or no
   * start time: see `unverifiable`). They are not "interrupted" (someone may still work on them),
   * but they must not vanish from view either: one may hold a new secret whose process is gone.
   */
  async heldUnverifiably(): Promise<{ entry: JournalEntry; holder: LockHolder }[]> {
    return (await this.waiting()).flatMap(({ entry, holder }) => (holder ? [{ entry, holder }] : []));
  }

  /** Break the lock of `id` held by a holder this machine cannot prove alive (the user asked); the holder broken, if any. */
  async takeOver(id: string): Promise<LockHolder | undefined> {
    return this.locks.takeOver?.(`rot-${journalKey(id)}`);
  }

  /**
   * Fencing: throws TakenOverError when another process broke this process's lock of `id` (a
   * take-over: this process looked dead to it). Checked right before every journal write and
   * clear, and before each target is written: a process that only looked dead never writes over
   * a newer rotation of the same credential, nor removes its journal entry.
   */
  assertStillHeld(id: string, token: string): void {
    const lease = this.leases.get(id);
    if (lease?.stillHeld && !lease.stillHeld()) throw new TakenOverError(token);
  }

  /** Durable write (the store reads nothing back: it writes, fsyncs and renames). Only the lock holder writes. */
  async write(entry: JournalEntry): Promise<void> {
    // l10n-exempt: an invariant of the journal; it fires only on a programming bug
    if (!this.leases.has(entry.id)) throw new CfRotateError('internal', `The journal of "${entry.token}" was written without holding its lock.`);
    this.assertStillHeld(entry.id, entry.token);
    // 4: steps after the targets (config, store, retire); 3: destinations; else 2 (what older versions read).
    const v = entry.config || entry.store || entry.retire ? 4 : entry.destinations && entry.destinations.length > 0 ? 3 : 2;
    await this.store.put(entry.id, JSON.stringify(entry.v === v ? entry : { ...entry, v }));
  }

  /** The entry of `id`; one this version cannot read is an error that says why, never "no entry". */
  async get(id: string): Promise<JournalEntry | undefined> {
    const raw = await this.store.get(id, { locked: this.leases.has(id) });
    if (raw === undefined) return undefined;
    try {
      return parseJournal(raw);
    } catch {
      const u = describeUnreadable(raw);
      const who = u.token ?? id;
      if (u.newer) {
        throw new CfRotateError('busy', l10n.t('An interrupted rotation of "{0}" was journaled by a newer cf-rotate (journal format {1}), which this version cannot read. It may hold a new secret, so nothing was started over it.', who, String(u.version)), {
          hint: l10n.t('Finish it with the cf-rotate version that made it (resume).'),
        });
      }
      throw new CfRotateError('internal', l10n.t('The rotation journal entry of "{0}" cannot be read ({1}). It may hold a new secret, so nothing was started over it.', who, u.reason), {
        hint: l10n.t('Keep the entry (in the journal of the state directory) and report it.'),
      });
    }
  }

  /** The entries this version can read, oldest first. Others are left as they are: see `unreadable`. */
  async list(): Promise<JournalEntry[]> {
    return (await this.scan()).entries;
  }

  /**
   * Entries this version cannot read: made by a newer cf-rotate, or damaged. They are never
   * changed or deleted here (one may hold a new secret), but callers must say they exist rather
   * than report "nothing interrupted".
   */
  async unreadable(): Promise<UnreadableJournal[]> {
    return (await this.scan()).unreadable;
  }

  private async scan(): Promise<{ entries: JournalEntry[]; unreadable: UnreadableJournal[] }> {
    const entries: JournalEntry[] = [];
    const unreadable: UnreadableJournal[] = [];
    for (const raw of await this.store.list()) {
      if (typeof raw !== 'string') {
        unreadable.push({ newer: false, reason: raw.unreadable.reason, file: raw.unreadable.file });
        continue;
      }
      try {
        entries.push(parseJournal(raw));
      } catch {
        unreadable.push(describeUnreadable(raw));
      }
    }
    return { entries: entries.sort((a, b) => a.startedAt - b.startedAt), unreadable };
  }

  /** Remove the entry of `id` (the rotation of `token`, as a refusal names it). */
  async clear(id: string, token: string): Promise<void> {
    // l10n-exempt: an invariant of the journal; it fires only on a programming bug
    if (!this.leases.has(id)) throw new CfRotateError('internal', `The journal ${id} was cleared without holding its lock.`);
    this.assertStillHeld(id, token);
    await this.store.delete(id);
  }
}

export { busyError };

/** In-memory journal storage (tests, dry runs). */
export class MemoryJournalStore implements JournalStore {
  readonly data = new Map<string, string>();
  async get(id: string): Promise<string | undefined> {
    return this.data.get(id);
  }
  async put(id: string, text: string): Promise<void> {
    this.data.set(id, text);
  }
  async delete(id: string): Promise<void> {
    this.data.delete(id);
  }
  async list(): Promise<string[]> {
    return [...this.data.values()];
  }
}

/** A stored entry that exists but could not be read: its file name and why (never its contents). */
export interface UnreadableFile {
  unreadable: { file: string; reason: string };
}

/** The newest journal format this version reads and writes. */
export const JOURNAL_VERSION = 4;

/** A journal entry this version cannot read. Only names, never values, are taken from it. */
export interface UnreadableJournal {
  /** Its token's config name, when it can be told. */
  token?: string;
  folder?: string;
  /** Its format version, when it names one. */
  version?: number;
  /** Written by a newer cf-rotate (a format version above JOURNAL_VERSION). */
  newer: boolean;
  /** Why it cannot be read (no value of it). */
  reason: string;
  /** Its file, when the store could not even read it. */
  file?: string;
}

/**
 * What an unreadable journal entry means, without any of its values: the CLI's listing and the
 * editor's warning. `where`: the state directory it is in, when the reader can name one.
 */
export function unreadableJournalText(u: UnreadableJournal, where?: string): string {
  const who = u.token !== undefined ? `"${u.token}"` : l10n.t('a token');
  if (u.newer) {
    const resume = wording().resume();
    return l10n.t('An interrupted rotation of {0} was journaled by a newer cf-rotate (journal format {1}), which this version cannot read; it was left untouched. It may hold a new secret: {2} with the version that made it. Nothing was changed.', who, String(u.version), resume);
  }
  // A file the store could not even read is named itself: its owner may have to read it (sudo, say).
  if (u.file !== undefined) where = u.file;
  return where === undefined
    ? l10n.t('A rotation journal entry of {0} cannot be read ({1}); it was left untouched and may hold a new secret. Nothing was changed. Keep it, and report it if no newer cf-rotate made it.', who, u.reason)
    : l10n.t('A rotation journal entry of {0} in {1} cannot be read ({2}); it was left untouched and may hold a new secret. Nothing was changed. Keep the file, and report it if no newer cf-rotate made it.', who, where, u.reason);
}

function describeUnreadable(raw: string): UnreadableJournal {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { newer: false, reason: l10n.t('not valid JSON') };
  }
  if (typeof data !== 'object' || data === null) return { newer: false, reason: l10n.t('not a journal entry') };
  const d = data as Record<string, unknown>;
  const name = (x: unknown): string | undefined => (typeof x === 'string' && x.length > 0 && x.length <= 200 ? x : undefined);
  const version = typeof d.v === 'number' && Number.isInteger(d.v) ? d.v : undefined;
  const token = name(d.token);
  const folder = typeof d.folder === 'string' && d.folder.length <= 4096 ? d.folder : undefined;
  const newer = version !== undefined && version > JOURNAL_VERSION;
  return { ...(token ? { token } : {}), ...(folder ? { folder } : {}), ...(version !== undefined ? { version } : {}), newer, reason: newer ? l10n.t('journal format {0}', String(version)) : l10n.t('an unexpected shape') };
}

/** Parse a stored entry; cf-rotate 0.1's entries (v1) are read as v2. */
export function parseJournal(raw: string): JournalEntry {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    throw new CfRotateError('internal', l10n.t('A rotation journal entry is not valid JSON.'));
  }
  if (typeof data === 'object' && data !== null && (data as { v?: unknown }).v === 1) data = fromV1(data as Record<string, unknown>);
  const r = journalSchema.safeParse(data);
  if (!r.success) throw new CfRotateError('internal', l10n.t('A rotation journal entry has an unexpected shape.'));
  for (const v of secretValuesOf(r.data.values)) registerSecret(v);
  return r.data;
}

function fromV1(d: Record<string, unknown>): unknown {
  const pre = (d.pre ?? {}) as Record<string, unknown>;
  const cleanup = (d.cleanup ?? {}) as Record<string, unknown>;
  const oldJtis = [pre.oldJti, cleanup.moqDeleteJti].filter((x): x is string => typeof x === 'string');
  const state = d.state === 'written' ? 'rotated' : d.state;
  return {
    ...d,
    v: 2,
    state,
    targets: Array.isArray(d.targets) ? d.targets.map((t: Record<string, unknown>) => ({ rel: t.rel, key: t.key, field: t.field, oldHash: t.oldHash, done: t.done })) : d.targets,
    pre: {
      ...(typeof pre.clientId === 'string' ? { clientId: pre.clientId } : {}),
      ...(typeof pre.updatedAt === 'string' ? { updatedAt: pre.updatedAt } : {}),
      ...(oldJtis.length ? { oldJtis: [...new Set(oldJtis)] } : {}),
    },
    cleanup: undefined,
  };
}
