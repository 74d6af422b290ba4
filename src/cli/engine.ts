/** The CLI's wiring of the core: the checked file writer, the shared state directory (journal, locks, history), env credentials. */
import * as path from 'node:path';
import type { HttpTransport } from '../core/cloudflare/transport';
import { EnvCredentialSource } from '../core/envCredentials';
import { RotationEngine, type EngineDeps, type GitHubAccess } from '../core/engine/engine';
import type { HistoryStore } from '../core/history';
import { NodeFiles } from '../core/node/files';
import { FileHistory } from '../core/node/historyFile';
import { NodeJournalStore } from '../core/node/journalStore';
import { NodeGit } from '../core/node/git';
import { FileLocks } from '../core/node/lock';
import { systemClock, type Locks, type Logger } from '../core/ports';
import { cliApiFactory } from './api';

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
  /** A proxy transport (./proxyEnv); default: Node's fetch. */
  transport?: HttpTransport | undefined;
  checkpoint?: EngineDeps['checkpoint'];
  /** GitHub for GitHub Actions targets (./github: GH_TOKEN / GITHUB_TOKEN). */
  github?: GitHubAccess | undefined;
}

export function cliLocks(stateDir: string): FileLocks {
  return new FileLocks(path.join(stateDir, 'locks'), { app: 'cf-rotate CLI' });
}

export function cliHistory(stateDir: string, locks: Locks): FileHistory {
  return new FileHistory(path.join(stateDir, 'history.jsonl'), locks);
}

export function createCliEngine(o: CliEngineOptions): RotationEngine {
  const locks = o.locks ?? cliLocks(o.stateDir);
  return new RotationEngine({
    files: new NodeFiles(),
    journal: new NodeJournalStore(o.stateDir),
    locks,
    credentials: new EnvCredentialSource(o.env),
    git: new NodeGit({ env: o.env }),
    history: o.history ?? cliHistory(o.stateDir, locks),
    clock: systemClock,
    logger: o.logger,
    api: cliApiFactory(o),
    ...(o.github ? { github: o.github } : {}),
    ...(o.checkpoint ? { checkpoint: o.checkpoint } : {}),
  });
}
