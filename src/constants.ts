/**
 * Every identifier the extension shares with package.json: commands, views, context keys,
 * settings, storage keys. No `vscode` import here (lint-enforced), so tests can read it.
 */

import { VERSION } from './core/version';

export const OUTPUT_CHANNEL_NAME = 'Cloudflare Rotate';
export const COMMAND_CATEGORY = 'Cloudflare Rotate';
export const USER_AGENT = `cf-rotate-vscode/${VERSION}`;

export const COMMANDS = {
  addToken: 'cfRotate.addToken',
  removeToken: 'cfRotate.removeToken',
  rotate: 'cfRotate.rotate',
  rotateAll: 'cfRotate.rotateAll',
  rotateDue: 'cfRotate.rotateDue',
  setCredential: 'cfRotate.setCredential',
  clearCredential: 'cfRotate.clearCredential',
  verifyCredential: 'cfRotate.verifyCredential',
  openConfig: 'cfRotate.openConfig',
  refresh: 'cfRotate.refresh',
  revealTarget: 'cfRotate.revealTarget',
  expirePreviousSecret: 'cfRotate.expirePreviousSecret',
  resumeInterrupted: 'cfRotate.resumeInterrupted',
  showHistory: 'cfRotate.showHistory',
  showLog: 'cfRotate.showLog',
  retirePrevious: 'cfRotate.retirePrevious',
  rotateCredential: 'cfRotate.rotateCredential',
  setGitHubToken: 'cfRotate.setGitHubToken',
} as const;

export type CommandKey = keyof typeof COMMANDS;
export type CommandId = (typeof COMMANDS)[CommandKey];
export const ALL_COMMAND_IDS: readonly CommandId[] = Object.values(COMMANDS);

export const VIEW_CONTAINER_ID = 'cfRotate';
export const VIEWS = {
  tokens: 'cfRotate.tokens',
} as const;

/** Context keys set with `setContext` and used in package.json `when` clauses. */
export const CONTEXT = {
  /** The first configuration scan finished. */
  ready: 'cfRotate.ready',
  /** Some workspace folder has a .vscode/cf-rotate.json (valid or not). */
  hasConfig: 'cfRotate.hasConfig',
  /** Some admin credential (any profile) is stored. */
  hasCredential: 'cfRotate.hasCredential',
  /** Some configured token exists. */
  hasTokens: 'cfRotate.hasTokens',
  /** Interrupted rotations wait in the journal. */
  hasInterrupted: 'cfRotate.hasInterrupted',
  /** Previous credentials wait for their retirement (replace, OAuth clients, admin credentials). */
  hasRetirements: 'cfRotate.hasRetirements',
} as const;

/**
 * Context keys only the walkthrough's completion events read. VS Code counts an `onContext` event
 * only when the key changes after the walkthrough was registered (which happens when the Welcome
 * page first needs it, often after cf-rotate activated): a key already true then never completes
 * the step. So these are pulsed (true, then false again) at activation, on every change of what
 * they mean and whenever editor tabs change (the walkthrough opening among them). Each has a
 * twin (the same name with `2`) pulsed at other moments.
 */
export const WALKTHROUGH_CONTEXT = {
  credential: 'cfRotate.walkthrough.credential',
  config: 'cfRotate.walkthrough.config',
  tokens: 'cfRotate.walkthrough.tokens',
  rotated: 'cfRotate.walkthrough.rotated',
} as const;

export const SETTINGS_SECTION = 'cfRotate';
/** Keys relative to SETTINGS_SECTION. */
export const SETTINGS = {
  apiBaseUrl: 'apiBaseUrl',
  reminderDays: 'reminderDays',
  defaultGracePeriod: 'defaultGracePeriod',
  confirmBeforeRotate: 'confirmBeforeRotate',
  githubApiUrl: 'githubApiUrl',
} as const;

export const SETTING_DEFAULTS = {
  apiBaseUrl: 'https://api.cloudflare.com/client/v4',
  reminderDays: 7,
  defaultGracePeriod: '1h',
  confirmBeforeRotate: true,
  githubApiUrl: 'https://api.github.com',
} as const;

/** SecretStorage key of the GitHub token stored with Set GitHub Token… (where no GitHub sign-in exists, e.g. code-server). */
export const GITHUB_TOKEN_SECRET_KEY = 'cfRotate.githubToken';

/** globalState keys (never secrets). */
export const STATE = {
  /** Index of the SecretStorage keys this extension wrote (SecretStorage.keys() needs VS Code 1.105). */
  secretKeyIndex: 'cfRotate.secretKeys',
  history: 'cfRotate.history',
} as const;

/** Rotation history kept in globalState (newest first). */
export const HISTORY_MAX_ENTRIES = 500;

/** Glob for the per-folder configuration file watcher. */
export const CONFIG_GLOB = '**/.vscode/cf-rotate.json';

/** Files offered as targets in the add-token wizard. */
export const ENV_FILE_GLOB = '{**/.env,**/.env.*,**/*.env,**/.dev.vars,**/.dev.vars.*,**/.envrc}';
export const ENV_FILE_EXCLUDE = '{**/node_modules/**,**/.git/**}';

/** Concurrency of rotateAll / rotateDue. */
export const BATCH_CONCURRENCY = 8;

/** A batch's progress notification is updated at most this often (ms); a wait or a cancel shows at once. */
export const BATCH_PROGRESS_INTERVAL_MS = 200;
