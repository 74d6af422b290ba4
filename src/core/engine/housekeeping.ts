/**
 * What the editor needs of the engine's state before any rotation: the interrupted journals and
 * the sweep of temporaries beside the targets. Apart from the engine (src/core/engine/engine.ts,
 * which uses these too) so that the editor's runtime can draw the tree and tidy up without
 * loading the engine, its drivers and the API clients (they load with the first command).
 */
import { CONFIG_RELATIVE_PATH } from '../config/load';
import { fileTargets, strategyOf, targetLabel, type TokenConfig } from '../config/schema';
import { hostname } from 'node:os';
import { unverifiable, type Files } from '../ports';
import type { Journal, JournalEntry } from './journal';

/**
 * Journals no live process works on: left by a crash, a failed write, or an unanswered call.
 * `andUnverifiable` (what the editor shows as interrupted): also those held by a process this
 * machine cannot check (another host's, a rebuilt dev container's: `unverifiable`), which only the
 * user can finish (Resume Interrupted Rotation asks to take them over). One read of each entry's lock.
 */
export async function interruptedJournals(journal: Journal, opts: { andUnverifiable?: boolean } = {}): Promise<JournalEntry[]> {
  const out: JournalEntry[] = [];
  for (const j of await journal.list()) {
    const holder = await journal.holder(j.id);
    if (!holder || (opts.andUnverifiable === true && unverifiable(holder, hostname()))) out.push(j);
  }
  return out;
}

/** Remove temporary files that killed processes left beside these tokens' targets. */
export async function sweepTargets(files: Files, folder: string, tokens: readonly TokenConfig[], config: string = CONFIG_RELATIVE_PATH): Promise<number> {
  let n = 0;
  const seen = new Set<string>();
  // `strategy: "replace"` writes cf-rotate.json too: a kill during that write leaves a temporary beside it.
  if (tokens.some((t) => strategyOf(t) === 'replace')) n += await files.sweep(folder, config).catch(() => 0);
  for (const t of tokens) {
    for (const tg of fileTargets(t)) {
      if (seen.has(tg.file)) continue;
      seen.add(tg.file);
      n += await files.sweep(folder, tg.file).catch(() => 0);
    }
  }
  return n;
}

/** Every target of a journal entry, as results and the history name them: the files, then the destinations. */
export function journalLabels(j: Pick<JournalEntry, 'targets' | 'destinations'>): string[] {
  return [...j.targets.map((t) => `${t.rel} › ${t.key}`), ...(j.destinations ?? []).map(targetLabel)];
}

/** The name history and the tree give an admin credential's own rotations. */
export function adminTokenName(profile: string): string {
  return `admin credential (profile ${profile})`;
}
