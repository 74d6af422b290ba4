/**
 * The rotation journal: a write-ahead record per rotated resource, kept in the SecretStore
 * (it holds the new secret between the API response and the last file write). It doubles as
 * a single-flight lock: a second rotation of the same resource is refused while it exists.
 */
import { randomBytes } from 'node:crypto';
import * as z from 'zod/mini';
import { CfRotateError } from '../errors';
import type { SecretStore } from '../ports';
import { registerSecret } from '../redact';
import { TOKEN_KINDS } from '../config/schema';

export const JOURNAL_PREFIX = 'cfRotate.journal.';

export const journalStates = ['intent', 'unknown', 'rotated', 'written'] as const;
export type JournalState = (typeof journalStates)[number];

const journalTarget = z.object({
  file: z.string(),
  rel: z.string(),
  key: z.string(),
  field: z.enum(['token', 'clientId', 'clientSecret']),
  /** sha256 of the value the target held before the rotation; null when the key was absent. */
  oldHash: z.nullable(z.string()),
  done: z.boolean(),
});

const journalSchema = z.object({
  v: z.literal(1),
  id: z.string(),
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
  targets: z.array(journalTarget),
  pre: z.optional(
    z.object({
      clientId: z.optional(z.string()),
      clientSecretVersion: z.optional(z.number()),
      updatedAt: z.optional(z.string()),
      oldJti: z.optional(z.string()),
    }),
  ),
  graceUntil: z.optional(z.string()),
  /** The new secret(s). Present from state `rotated` on. */
  values: z.optional(z.partialRecord(z.enum(['token', 'clientId', 'clientSecret']), z.string())),
  /** Work left after the files are written (MoQ create+delete fallback: delete the old token). */
  cleanup: z.optional(z.object({ moqDeleteJti: z.optional(z.string()), label: z.optional(z.string()) })),
  /** Label given to a MoQ token created by the fallback, to recognise it after a crash. */
  moqLabel: z.optional(z.string()),
  lastError: z.optional(z.string()),
});

export type JournalEntry = z.infer<typeof journalSchema>;
export type JournalTarget = z.infer<typeof journalTarget>;

export class Journal {
  private readonly held = new Set<string>();
  constructor(private readonly store: SecretStore) {}

  static key(id: string): string {
    return `${JOURNAL_PREFIX}${id}`;
  }

  /** Create the journal for a resource, or throw 'busy' if one exists (here or in another window/process). */
  async begin(entry: Omit<JournalEntry, 'v' | 'owner'>): Promise<JournalEntry> {
    if (this.held.has(entry.id)) throw busy(entry.token, false);
    this.held.add(entry.id);
    try {
      const existing = await this.get(entry.id);
      if (existing) throw busy(entry.token, true);
      const full: JournalEntry = { ...entry, v: 1, owner: randomBytes(8).toString('hex') };
      await this.write(full);
      return full;
    } catch (e) {
      this.held.delete(entry.id);
      throw e;
    }
  }

  /** Take over an existing journal (resume). Throws 'busy' if this process already works on it. */
  acquire(id: string, token: string): void {
    if (this.held.has(id)) throw busy(token, false);
    this.held.add(id);
  }

  release(id: string): void {
    this.held.delete(id);
  }

  isHeld(id: string): boolean {
    return this.held.has(id);
  }

  /** Store and read back: a journal that did not persist is a failure, before anything irreversible. */
  async write(entry: JournalEntry): Promise<void> {
    const text = JSON.stringify(entry);
    await this.store.store(Journal.key(entry.id), text);
    const back = await this.store.get(Journal.key(entry.id));
    if (back !== text) {
      throw new CfRotateError('internal', `The rotation journal for "${entry.token}" did not persist in the secret store.`, {
        hint: 'The secret store is not writable or was changed by another window; nothing was rotated if this happened before the API call.',
      });
    }
  }

  async get(id: string): Promise<JournalEntry | undefined> {
    const raw = await this.store.get(Journal.key(id));
    return raw === undefined ? undefined : parseJournal(raw, id);
  }

  async list(): Promise<JournalEntry[]> {
    const keys = await this.store.keys(JOURNAL_PREFIX);
    const out: JournalEntry[] = [];
    for (const k of keys) {
      const raw = await this.store.get(k);
      if (raw !== undefined) out.push(parseJournal(raw, k.slice(JOURNAL_PREFIX.length)));
    }
    return out.sort((a, b) => a.startedAt - b.startedAt);
  }

  async clear(id: string): Promise<void> {
    await this.store.delete(Journal.key(id));
    this.held.delete(id);
  }
}

function busy(token: string, persisted: boolean): CfRotateError {
  return new CfRotateError('busy', `Another rotation of "${token}" is in progress${persisted ? ' or was interrupted' : ''}.`, {
    hint: persisted
      ? 'Wait for it to finish, or run "Cloudflare Rotate: Resume Interrupted Rotation" (CLI: cf-rotate resume) to complete it.'
      : 'Wait for the running rotation to finish.',
  });
}

function parseJournal(raw: string, id: string): JournalEntry {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    throw new CfRotateError('internal', `The rotation journal ${id} is not valid JSON.`);
  }
  const r = journalSchema.safeParse(data);
  if (!r.success) throw new CfRotateError('internal', `The rotation journal ${id} has an unexpected shape.`);
  for (const v of Object.values(r.data.values ?? {})) registerSecret(v);
  return r.data;
}
