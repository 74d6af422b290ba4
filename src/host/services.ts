/**
 * Composition root of the host adapters: the core's ports over the VS Code API, the engine,
 * and API clients. Nothing here talks to the network or reads a file while activating.
 */
import * as vscode from 'vscode';
import { globalKeyOf, type AdminCredential, type CloudflareApi } from '../core/cloudflare/types';
import { registerCredential } from '../core/credentials';
import type { RotationEngine, EngineDeps } from '../core/engine/engine';
import { Journal, type JournalEntry, type UnreadableJournal } from '../core/engine/journal';
import { interruptedJournals, sweepTargets } from '../core/engine/housekeeping';
import { Retirements } from '../core/retire';
import type { TokenConfig } from '../core/config/schema';
import { CfRotateError } from '../core/errors';
import { FileHistory } from '../core/node/historyFile';
import { NodeJournalStore } from '../core/node/journalStore';
import { NodeGit } from '../core/node/git';
import { FileLocks } from '../core/node/lock';
import { defaultStateDir } from '../core/node/stateDir';
import * as path from 'node:path';
import { systemClock, type Logger } from '../core/ports';
import { perfOn, phase, timed } from '../core/perf';
import { SETTINGS_SECTION, USER_AGENT } from '../constants';
import { ConfigRegistry } from './configs';
import { CachedCredentialStore } from './credentialCache';
import { CredentialInfoStore } from './credentialInfo';
import { EditorAwareFiles } from './files';
import { MementoHistory } from './history';
import { createLog } from './log';
import { HostGitHubAccess } from './github';
import { VscodeSecretStore } from './secretStore';
import { Settings } from './settings';
import { actions } from '../lazy';

export interface HostServices {
  context: vscode.ExtensionContext;
  /** Made on first use (it loads dist/actions.js): the tree and the first load use `state`. */
  readonly engine: RotationEngine;
  /** The engine's state as the tree needs it, without the engine (the same stores). */
  state: {
    /** Interrupted rotations, and those held by a process this machine cannot check (interruptedJournals with andUnverifiable). */
    interrupted(): Promise<JournalEntry[]>;
    /** Journal entries this version cannot read (a newer cf-rotate's, or damaged): said, never touched. */
    unreadable(): Promise<UnreadableJournal[]>;
    retirements: Retirements;
    sweep(folder: string, tokens: readonly TokenConfig[]): Promise<number>;
    /** Forget the engine's cached API clients, if it was made. */
    resetClients(): void;
  };
  /** Read once per profile, forgotten when SecretStorage says the key changed (runtime.ts). */
  credentials: CachedCredentialStore;
  secrets: VscodeSecretStore;
  /** The history file of the state directory (FileHistory: listSync for the first load). */
  history: FileHistory;
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
  /** What the tree shows of each stored admin credential (ids and times, learnt from checks the user runs). */
  credentialInfo: CredentialInfoStore;
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
  return new CfRotateError('credential-missing', vscode.l10n.t('No Cloudflare credential is set for profile "{0}".', profile), {
    hint: vscode.l10n.t('Run "Cloudflare Rotate: Set Credential" for profile "{0}".', profile),
  });
}

export function createHostServices(context: vscode.ExtensionContext): HostServices {
  const { channel: log, logger } = createLog();
  const settings = new Settings(logger);
  const secrets = new VscodeSecretStore(context.secrets, context.globalState);
  const credentials = new CachedCredentialStore(secrets);
  const legacyHistory = new MementoHistory(context.globalState);
  const stateDir = defaultStateDir(process.env);
  const locks = new FileLocks(path.join(stateDir, 'locks'), { app: `VS Code (${vscode.env?.appName ?? "editor"})` });
  const history = new FileHistory(path.join(stateDir, 'history.jsonl'), locks);
  const journalStore = new NodeJournalStore(stateDir);
  const retirementStore = new NodeJournalStore(stateDir, 'retire');
  const files = new EditorAwareFiles();
  const configs = new ConfigRegistry(logger);
  const github = new HostGitHubAccess(secrets, settings, logger, requestTimeout().timeoutMs);

  const newClient = (credential: AdminCredential, profile: string): CloudflareApi => {
    registerCredential(credential);
    return new (actions().CloudflareClient)({ baseUrl: settings.apiBaseUrl(), credential, logger, clock: systemClock, userAgent: USER_AGENT, profile, ...requestTimeout() });
  };

  let gracePeriod: string | undefined;
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SETTINGS_SECTION)) gracePeriod = undefined;
    }),
  );

  // CF_ROTATE_PERF=1 (benchmark, profiling): the engine's ports timed per phase (src/core/perf.ts); otherwise the ports themselves.
  const deps: EngineDeps = {
    files: timed('target files', files),
    configTexts: configs.parsed,
    journal: timed('journal', journalStore),
    retirements: timed('retirements', retirementStore),
    locks: timed('locks', locks),
    credentials: timed('SecretStorage (credential)', credentials),
    // Rotate Admin Credential…: the new API token replaces the stored one; a Global API key the profile also holds stays.
    credentialSink: {
      async set(profile, credential) {
        const current = await credentials.get(profile).catch(() => undefined);
        const key = current ? globalKeyOf(current) : undefined;
        await credentials.set(profile, credential.type === 'api-token' && key ? { ...credential, globalKey: key } : credential);
      },
    },
    // git.path counts only from the user's settings (a workspace must not choose the program that runs), read at each run.
    git: timed('git', new NodeGit({ configured: userGitPath })),
    history: timed('history', history),
    clock: systemClock,
    logger: timed('log', logger),
    api: (credential, profile) => timed('Cloudflare API', newClient(credential, profile)),
    github,
    // The setting can change while the window is open: read again after any change of cfRotate.*
    // (the engine asks for it several times per rotation; each read inspects the configuration).
    get defaultGracePeriod(): string {
      return (gracePeriod ??= settings.defaultGracePeriod());
    },
  };

  let engine: RotationEngine | undefined;
  const theEngine = (): RotationEngine => {
    if (engine) return engine;
    engine = new (actions().RotationEngine)(deps);
    if (perfOn) {
      // Each rotation as a whole (rotateMany calls this.rotate), for the phases' shares.
      const e = engine;
      const rotate = e.rotate.bind(e);
      e.rotate = (...a: Parameters<RotationEngine['rotate']>) => phase('rotation (engine.rotate, whole)', () => rotate(...a));
    }
    return engine;
  };
  const journal = new Journal(deps.journal, deps.locks);
  const retirements = new Retirements({
    store: deps.retirements ?? retirementStore,
    locks: deps.locks,
    clock: deps.clock,
    logger: deps.logger,
    history: deps.history,
    apiFor: (profile) => clientFor(profile),
  });
  const clientFor = async (profile: string): Promise<CloudflareApi> => {
    const credential = await credentials.get(profile);
    if (!credential) throw missingCredential(profile);
    return newClient(credential, profile);
  };

  return {
    context,
    get engine(): RotationEngine {
      return theEngine();
    },
    state: {
      interrupted: () => interruptedJournals(journal, { andUnverifiable: true }),
      unreadable: () => journal.unreadable(),
      retirements,
      sweep: (folder, tokens) => sweepTargets(deps.files, folder, tokens),
      resetClients: () => engine?.resetClients(),
    },
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
    credentialInfo: new CredentialInfoStore(context.globalState),
    github,
    newClient,
    clientFor,
  };
}
