/** Rotation history in globalState, newest first, bounded. Entries never hold a secret. */
import type * as vscode from 'vscode';
import type { HistoryEntry, HistoryStore } from '../core/history';
import { redact } from '../core/redact';
import { HISTORY_MAX_ENTRIES, STATE } from '../constants';

function isEntry(v: unknown): v is HistoryEntry {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return typeof e.at === 'string' && typeof e.name === 'string' && typeof e.folder === 'string' && typeof e.outcome === 'string' && Array.isArray(e.targets);
}

export class MementoHistory implements HistoryStore {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly state: vscode.Memento,
    private readonly max: number = HISTORY_MAX_ENTRIES,
    private readonly key: string = STATE.history,
  ) {}

  private all(): HistoryEntry[] {
    const raw = this.state.get<unknown>(this.key);
    return Array.isArray(raw) ? raw.filter(isEntry) : [];
  }

  append(entry: HistoryEntry): Promise<void> {
    // Defence in depth: the engine never puts a secret here, but error texts come from far away.
    const clean: HistoryEntry = { ...entry, ...(entry.error !== undefined ? { error: redact(entry.error) } : {}) };
    const next = this.chain.then(async () => {
      const entries = [clean, ...this.all()].slice(0, this.max);
      await this.state.update(this.key, entries);
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  async list(limit: number = this.max): Promise<HistoryEntry[]> {
    return this.all()
      .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
      .slice(0, limit);
  }
}
