/** The CLI's wiring of the core: the checked file writer, the shared state directory (journal, locks, history), env credentials. */
import * as path from 'node:path';
import { CloudflareClient } from '../core/cloudflare/client';
import { DEFAULT_API_BASE_URL, validateApiBaseUrl } from '../core/cloudflare/options';
import type { HttpTransport } from '../core/cloudflare/transport';
import { EnvCredentialSource } from '../core/credentials';
import { RotationEngine, type EngineDeps } from '../core/engine/engine';
import type { HistoryStore } from '../core/history';
import { NodeFiles } from '../core/node/files';
import { FileHistory } from '../core/node/historyFile';
import { NodeJournalStore } from '../core/node/journalStore';
import { FileLocks } from '../core/node/lock';
import { systemClock, type Locks, type Logger } from '../core/ports';
import { VERSION } from '../core/version';

export interface CliEngineOptions {
  env: NodeJS.ProcessEnv;
  stateDir: string;
  logger: Logger;
  history?: HistoryStore;
  locks?: Locks;
  /** --api-base; else $CLOUDFLARE_API_BASE_URL; else Cloudflare. */
  apiBase?: string | undefined;
  /** Per-request timeout (--timeout / $CF_ROTATE_TIMEOUT), ms. */
  timeoutMs?: number | undefined;
  transport?: HttpTransport;
  checkpoint?: EngineDeps['checkpoint'];
}

export function cliLocks(stateDir: string): FileLocks {
  return new FileLocks(path.join(stateDir, 'locks'), { app: `cf-rotate CLI` });
}

export function cliHistory(stateDir: string, locks: Locks): FileHistory {
  return new FileHistory(path.join(stateDir, 'history.jsonl'), locks);
}

export function createCliEngine(o: CliEngineOptions): RotationEngine {
  const baseUrl = validateApiBaseUrl(o.apiBase ?? o.env.CLOUDFLARE_API_BASE_URL ?? DEFAULT_API_BASE_URL).toString().replace(/\/$/, '');
  const locks = o.locks ?? cliLocks(o.stateDir);
  return new RotationEngine({
    files: new NodeFiles(),
    journal: new NodeJournalStore(o.stateDir),
    locks,
    credentials: new EnvCredentialSource(o.env),
    history: o.history ?? cliHistory(o.stateDir, locks),
    clock: systemClock,
    logger: o.logger,
    api: (credential, profile) =>
      new CloudflareClient({
        baseUrl,
        credential,
        logger: o.logger,
        clock: systemClock,
        userAgent: `cf-rotate-cli/${VERSION}`,
        profile,
        ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
        ...(o.transport ? { transport: o.transport } : {}),
      }),
    ...(o.checkpoint ? { checkpoint: o.checkpoint } : {}),
  });
}
