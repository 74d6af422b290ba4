/**
 * Composition root of the host adapters: the core's ports over the VS Code API, the engine,
 * and API clients. Nothing here talks to the network or reads a file while activating.
 */
import * as vscode from 'vscode';
import { CloudflareClient } from '../core/cloudflare/client';
import type { AdminCredential, CloudflareApi } from '../core/cloudflare/types';
import { CredentialStore, registerCredential } from '../core/credentials';
import { RotationEngine, type EngineDeps } from '../core/engine/engine';
import { CfRotateError } from '../core/errors';
import type { HistoryStore } from '../core/history';
import { FileHistory } from '../core/node/historyFile';
import { NodeJournalStore } from '../core/node/journalStore';
import { NodeGit } from '../core/node/git';
import { FileLocks } from '../core/node/lock';
import { defaultStateDir } from '../core/node/stateDir';
import * as path from 'node:path';
import { systemClock, type Logger } from '../core/ports';
import { USER_AGENT } from '../constants';
import { ConfigRegistry } from './configs';
import { EditorAwareFiles } from './files';
import { MementoHistory } from './history';
import { createLog } from './log';
import { HostGitHubAccess } from './github';
import { VscodeSecretStore } from './secretStore';
import { Settings } from './settings';

export interface HostServices {
  context: vscode.ExtensionContext;
  engine: RotationEngine;
  credentials: CredentialStore;
  secrets: VscodeSecretStore;
  history: HistoryStore;
  /** The user's cf-rotate state directory, shared with the CLI (journal, locks, history). */
  stateDir: string;
  journalStore: NodeJournalStore;
  /** The history of cf-rotate 0.1, kept in global state (read once to fold into the shared history). */
  legacyHistory: MementoHistory;
  files: EditorAwareFiles;
  /** Redacting logger over the log channel. */
  logger: Logger;
  log: vscode.LogOutputChannel;
  settings: Settings;
  configs: ConfigRegistry;
  /** GitHub for GitHub Actions targets: the stored token (Set GitHub Token…), else the GitHub sign-in. */
  github: HostGitHubAccess;
  /** A fresh API client for a credential (verification before storing, the add-token wizard). */
  newClient(credential: AdminCredential, profile: string): CloudflareApi;
  /** A fresh API client for a stored profile; throws 'credential-missing'. */
  clientFor(profile: string): Promise<CloudflareApi>;
}

/** VS Code's git.path from the user settings only (never the workspace's), when it is an absolute path. */
export function userGitPath(): string | undefined {
  const info = vscode.workspace.getConfiguration('git').inspect<string | string[]>('path');
  const v = info?.globalValue;
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === 'string' && path.isAbsolute(first) ? first : undefined;
}

/** CF_ROTATE_TIMEOUT (seconds), as for the CLI: the per-request timeout of the extension host's clients. */
function requestTimeout(): { timeoutMs?: number } {
  const v = Number(process.env.CF_ROTATE_TIMEOUT);
  return Number.isFinite(v) && v >= 0.1 && v <= 600 ? { timeoutMs: Math.round(v * 1000) } : {};
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
  const legacyHistory = new MementoHistory(context.globalState);
  const stateDir = defaultStateDir(process.env);
  const locks = new FileLocks(path.join(stateDir, 'locks'), { app: `VS Code (${vscode.env?.appName ?? "editor"})` });
  const history = new FileHistory(path.join(stateDir, 'history.jsonl'), locks);
  const journalStore = new NodeJournalStore(stateDir);
  const files = new EditorAwareFiles();
  const configs = new ConfigRegistry(logger);
  const github = new HostGitHubAccess(secrets, settings, logger, requestTimeout().timeoutMs);

  const newClient = (credential: AdminCredential, profile: string): CloudflareApi => {
    registerCredential(credential);
    return new CloudflareClient({ baseUrl: settings.apiBaseUrl(), credential, logger, clock: systemClock, userAgent: USER_AGENT, profile, ...requestTimeout() });
  };

  const deps: EngineDeps = {
    files,
    journal: journalStore,
    locks,
    credentials,
    // git.path counts only from the user's settings: a workspace must not choose the program that runs.
    git: new NodeGit({ configured: userGitPath() }),
    history,
    clock: systemClock,
    logger,
    api: newClient,
    github,
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
    stateDir,
    journalStore,
    legacyHistory,
    files,
    logger,
    log,
    settings,
    configs,
    github,
    newClient,
    async clientFor(profile: string): Promise<CloudflareApi> {
      const credential = await credentials.get(profile);
      if (!credential) throw missingCredential(profile);
      return newClient(credential, profile);
    },
  };
}
