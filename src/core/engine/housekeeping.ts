/**
 * What the editor needs of the engine's state before any rotation: the interrupted journals and
 * the sweep of temporaries beside the targets. Apart from the engine (src/core/engine/engine.ts,
 * which uses these too) so that the editor's runtime can draw the tree and tidy up without
 * loading the engine, its drivers and the API clients (they load with the first command).
 */
import { CONFIG_RELATIVE_PATH } from '../config/load';
import { fileTargets, strategyOf, targetLabel, type TokenConfig } from '../config/schema';
import * as l10n from '@vscode/l10n';
import type { Files, LockHolder, Logger } from '../ports';
import { wording } from '../wording';
import type { RotationResult } from './engine';
import type { Journal, JournalEntry } from './journal';

/**
 * Journals no live process works on: left by a crash, a failed write, or an unanswered call.
 * `andUnverifiable` (what the editor shows as interrupted): also those held by a process this
 * machine cannot check (another host's, a rebuilt dev container's: `unverifiable`), which only the
 * user can finish (Resume Interrupted Rotation asks to take them over). One read of each entry's lock.
 */
export async function interruptedJournals(journal: Pick<Journal, 'waiting'>, opts: { andUnverifiable?: boolean } = {}): Promise<JournalEntry[]> {
  return (await journal.waiting()).flatMap((w) => (!w.holder || opts.andUnverifiable === true ? [w.entry] : []));
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

/** "cf-rotate CLI (pid 4242 on devcontainer), rotating "deploy", since 2026-11-29T09:12:00.000Z" */
export function holderText(h: LockHolder, time: (ms: number) => string = (ms) => new Date(ms).toISOString()): string {
  return l10n.t('{0} (pid {1} on {2}), {3}, since {4}', h.app || l10n.t('another cf-rotate process'), h.pid, h.host, h.what || l10n.t('working on it'), time(h.since));
}

/**
 * An interrupted rotation whose lock a process this machine cannot check holds, and that was not
 * taken over, as a result: busy, nothing changed. The hint says how to take it over (the host's
 * wording), or, when that was tried (`triedTakeOver`) and another process is breaking the lock
 * now, to try again.
 */
export function heldResult(entry: JournalEntry, holder: LockHolder, opts: { triedTakeOver?: boolean; time?: (ms: number) => string } = {}): RotationResult {
  const who = holderText(holder, opts.time);
  return {
    name: entry.token,
    folder: entry.folder,
    kind: entry.kind,
    ok: false,
    state: 'busy',
    targets: journalLabels(entry),
    warnings: [],
    durationMs: 0,
    error: {
      kind: 'busy',
      message: entry.values
        ? l10n.t('The interrupted rotation of "{0}", with its new secret journaled, is held by {1}; this machine cannot tell whether that process still runs.', entry.token, who)
        : l10n.t('The interrupted rotation of "{0}" is held by {1}; this machine cannot tell whether that process still runs.', entry.token, who),
      hint: opts.triedTakeOver
        ? l10n.t('It could not be taken over now (another process is breaking its lock); try again in a moment. Nothing was changed.')
        : l10n.t('If that process is gone (it ran on another machine or in a rebuilt dev container, or its pid was reused), {0} to finish the rotation here. Nothing was changed.', wording().takeOver()),
    },
  };
}

/**
 * Break the lock of an interrupted rotation a process this machine cannot check holds (the user
 * asked to take it over), saying so in the log. True when it may be finished here now: the lock
 * was broken, or its holder let go meanwhile; false when another process holds it now.
 */
export async function takeOverJournal(journal: Pick<Journal, 'takeOver' | 'holder'>, entry: JournalEntry, logger: Pick<Logger, 'warn'>): Promise<boolean> {
  const broken = await journal.takeOver(entry.id);
  if (broken) logger.warn(`Took over the interrupted rotation of "${entry.token}" from pid ${broken.pid} on ${broken.host} (since ${new Date(broken.since).toISOString()}).`);
  return broken !== undefined || (await journal.holder(entry.id)) === undefined;
}

/** The name history and the tree give an admin credential's own rotations. */
export function adminTokenName(profile: string): string {
  return `admin credential (profile ${profile})`;
}
