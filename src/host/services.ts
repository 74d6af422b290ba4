/**
 * Composition root of the host adapters: the core's ports over the VS Code API, the engine,
 * and API clients. Nothing here talks to the network or reads a file while activating.
 */
import * as vscode from 'vscode';
import { CloudflareClient } from '../core/cloudflare/client';
import type { AdminCredential, CloudflareApi } from '../core/cloudflare/types';
import { CredentialStore, registerCredential } from '../core/credentials';
import { RotationEngine, type EngineDeps } from '../core/engine/engine';
import { CfRotateError, toCfRotateError } from '../core/errors';
import { MirroredSecretStore } from '../core/mirroredStore';
import { FileSecretStore } from '../core/node/secretFile';
import * as path from 'node:path';
import { systemClock, type Logger } from '../core/ports';
import { USER_AGENT } from '../constants';
import { ConfigRegistry } from './configs';
import { EditorAwareFiles } from './files';
import { MementoHistory } from './history';
import { createLog } from './log';
import { VscodeSecretStore } from './secretStore';
import { Settings } from './settings';

export interface HostServices {
  context: vscode.ExtensionContext;
  engine: RotationEngine;
  credentials: CredentialStore;
  secrets: VscodeSecretStore;
  history: MementoHistory;
  files: EditorAwareFiles;
  /** Redacting logger over the log channel. */
  logger: Logger;
  log: vscode.LogOutputChannel;
  settings: Settings;
  configs: ConfigRegistry;
  /** A fresh API client for a credential (verification before storing, the add-token wizard). */
  newClient(credential: AdminCredential, profile: string): CloudflareApi;
  /** A fresh API client for a stored profile; throws 'credential-missing'. */
  clientFor(profile: string): Promise<CloudflareApi>;
}

export function missingCredential(profile: string): CfRotateError {
  return new CfRotateError('credential-missing', `No Cloudflare credential is set for profile "${profile}".`, {
    hint: `Run "Cloudflare Rotate: Set Credential" for profile "${profile}".`,
  });
}

export function createHostServices(context: vscode.ExtensionContext): HostServices {
  const { channel: log, logger } = createLog();
  const settings = new Settings(logger);
  const secrets = new VscodeSecretStore(context.secrets, context.globalState);
  const credentials = new CredentialStore(secrets);
  const history = new MementoHistory(context.globalState);
  const files = new EditorAwareFiles();
  const configs = new ConfigRegistry(logger);

  const newClient = (credential: AdminCredential, profile: string): CloudflareApi => {
    registerCredential(credential);
    return new CloudflareClient({ baseUrl: settings.apiBaseUrl(), credential, logger, clock: systemClock, userAgent: USER_AGENT, profile });
  };

  // Journals (they may hold a new secret until every file is written) also go to a 0600 file in
  // global storage: SecretStorage may be in-memory only, or per-browser under code-server.
  const journals =
    context.globalStorageUri.scheme === 'file'
      ? new MirroredSecretStore(secrets, new FileSecretStore(path.join(context.globalStorageUri.fsPath, 'journal.json')), (e) =>
          logger.warn(`Could not mirror the rotation journal to global storage: ${toCfRotateError(e).message}`),
        )
      : secrets;
  const deps: EngineDeps = {
    files,
    secrets: journals,
    credentials,
    history,
    clock: systemClock,
    logger,
    api: newClient,
    // Read live: the setting can change while the window is open.
    get defaultGracePeriod(): string {
      return settings.defaultGracePeriod();
    },
  };
  const engine = new RotationEngine(deps);

  return {
    context,
    engine,
    credentials,
    secrets,
    history,
    files,
    logger,
    log,
    settings,
    configs,
    newClient,
    async clientFor(profile: string): Promise<CloudflareApi> {
      const credential = await credentials.get(profile);
      if (!credential) throw missingCredential(profile);
      return newClient(credential, profile);
    },
  };
}
