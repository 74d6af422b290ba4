/** The CLI's wiring of the core: Node files, a 0600 journal in the state directory, env credentials. */
import * as path from 'node:path';
import type { HttpTransport } from '../core/cloudflare/transport';
import { EnvCredentialSource } from '../core/credentials';
import { RotationEngine, type EngineDeps } from '../core/engine/engine';
import type { HistoryStore } from '../core/history';
import { FileHistory } from '../core/node/historyFile';
import { NodeFiles } from '../core/node/files';
import { FileSecretStore } from '../core/node/secretFile';
import { systemClock, type Logger } from '../core/ports';
import { cliApiFactory } from './api';


export interface CliEngineOptions {
  env: NodeJS.ProcessEnv;
  stateDir: string;
  logger: Logger;
  history?: HistoryStore;
  /** --api-base; else $CLOUDFLARE_API_BASE_URL; else Cloudflare. */
  apiBase?: string | undefined;
  /** A proxy transport (./proxyEnv); default: Node's fetch. */
  transport?: HttpTransport | undefined;
  checkpoint?: EngineDeps['checkpoint'];
}

export function createCliEngine(o: CliEngineOptions): RotationEngine {
  const api = cliApiFactory(o);
  return new RotationEngine({
    files: new NodeFiles(),
    secrets: new FileSecretStore(path.join(o.stateDir, 'journal.json')),
    credentials: new EnvCredentialSource(o.env),
    history: o.history ?? new FileHistory(path.join(o.stateDir, 'history.jsonl')),
    clock: systemClock,
    logger: o.logger,
    api,
    ...(o.checkpoint ? { checkpoint: o.checkpoint } : {}),
  });
}
