/**
 * Moving cf-rotate 0.1's extension state into the state directory shared with the CLI: journal
 * entries from SecretStorage and from the 0600 mirror in global storage (a pending new secret
 * must survive the upgrade), and the history kept in global state. Runs once per activation
 * (cheap when there is nothing to move).
 */
import * as path from 'node:path';
import { JOURNAL_PREFIX } from '../core/engine/journal';
import { toCfRotateError } from '../core/errors';
import { inStore, migrateLegacyEntries, migrateLegacyJournalFile } from '../core/node/stateDir';
import { STATE } from '../constants';
import type { HostServices } from './services';

const HISTORY_MOVED = 'cfRotate.historyMovedToStateDir';

/** Returns true when something was moved (the tree shows it after a rebuild). */
export async function migrateLegacyState(host: HostServices): Promise<boolean> {
  const { context, secrets, journalStore, logger } = host;
  let moved = false;
  try {
    const keys = await secrets.keys(JOURNAL_PREFIX);
    if (keys.length > 0) {
      const found: { key: string; text: string }[] = [];
      for (const k of keys) {
        const v = await secrets.get(k);
        if (v !== undefined) found.push({ key: k, text: v });
        else await secrets.delete(k); // nothing under it
      }
      const outcomes = await migrateLegacyEntries(
        found.map((f) => f.text),
        journalStore,
        logger,
      );
      // Only an entry that is in the store now leaves the secret storage: one that could not be stored or read stays for the next start.
      for (const [i, f] of found.entries()) if (inStore(outcomes[i] ?? 'failed')) await secrets.delete(f.key);
      const n = outcomes.filter((o) => o === 'moved').length;
      if (n > 0) logger.info(`Moved ${n} interrupted rotation(s) from the secret storage into ${host.stateDir}.`);
      moved ||= n > 0;
    }
    if (context.globalStorageUri.scheme === 'file') {
      moved ||= (await migrateLegacyJournalFile(path.join(context.globalStorageUri.fsPath, 'journal.json'), journalStore, logger)) > 0;
    }
    if (!context.globalState.get<boolean>(HISTORY_MOVED)) {
      const old = await host.legacyHistory.list();
      for (const e of [...old].reverse()) await host.history.append(e);
      moved ||= old.length > 0;
      await context.globalState.update(STATE.history, undefined);
      await context.globalState.update(HISTORY_MOVED, true);
    }
  } catch (e) {
    logger.warn(`Could not move cf-rotate 0.1's state into ${host.stateDir}: ${toCfRotateError(e).message}`);
  }
  return moved;
}
