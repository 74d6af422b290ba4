/** The CLI's wiring of the core: Node files, a 0600 journal in the state directory, env credentials. */
import * as path from 'node:path';
import { CloudflareClient, DEFAULT_API_BASE_URL, validateApiBaseUrl } from '../core/cloudflare/client';
import { EnvCredentialSource } from '../core/credentials';
import { RotationEngine, type EngineDeps } from '../core/engine/engine';
import type { HistoryStore } from '../core/history';
import { FileHistory } from '../core/node/historyFile';
import { NodeFiles } from '../core/node/files';
import { FileSecretStore } from '../core/node/secretFile';
import { systemClock, type Logger } from '../core/ports';
import { VERSION } from '../core/version';


export interface CliEngineOptions {
  env: NodeJS.ProcessEnv;
  stateDir: string;
  logger: Logger;
  history?: HistoryStore;
  /** --api-base; else $CLOUDFLARE_API_BASE_URL; else Cloudflare. */
  apiBase?: string | undefined;
  checkpoint?: EngineDeps['checkpoint'];
}

export function createCliEngine(o: CliEngineOptions): RotationEngine {
  const baseUrl = validateApiBaseUrl(o.apiBase ?? o.env.CLOUDFLARE_API_BASE_URL ?? DEFAULT_API_BASE_URL).toString().replace(/\/$/, '');
  return new RotationEngine({
    files: new NodeFiles(),
    secrets: new FileSecretStore(path.join(o.stateDir, 'journal.json')),
    credentials: new EnvCredentialSource(o.env),
    history: o.history ?? new FileHistory(path.join(o.stateDir, 'history.jsonl')),
    clock: systemClock,
    logger: o.logger,
    api: (credential) => new CloudflareClient({ baseUrl, credential, logger: o.logger, clock: systemClock, userAgent: `cf-rotate-cli/${VERSION}` }),
    ...(o.checkpoint ? { checkpoint: o.checkpoint } : {}),
  });
}
