/**
 * Typed access to the cfRotate.* settings. Settings that decide where the admin credential is
 * sent (`apiBaseUrl`) or that can weaken a rotation (`confirmBeforeRotate`, `defaultGracePeriod`)
 * are read from the user's (global) settings or the default only: a cloned repository's
 * `.vscode/settings.json` cannot redirect the credential, skip the confirmation or revoke the
 * previous secret of a service token at once. A workspace value is ignored, and said so once in the log.
 */
import * as vscode from 'vscode';
import { validateApiBaseUrl } from '../core/cloudflare/client';
import { validateGitHubApiUrl } from '../core/github/client';
import { DURATION } from '../core/config/schema';
import type { Logger } from '../core/ports';
import { SETTING_DEFAULTS, SETTINGS, SETTINGS_SECTION } from '../constants';

/** Settings read from the user's settings only (package.json scope `machine`). */
export const USER_ONLY_SETTINGS = ['apiBaseUrl', 'githubApiUrl', 'confirmBeforeRotate', 'defaultGracePeriod'] as const satisfies readonly (keyof typeof SETTINGS)[];
type UserOnly = (typeof USER_ONLY_SETTINGS)[number];

const WHY: Record<UserOnly, string> = {
  apiBaseUrl: 'only the user setting may change where the admin credential is sent',
  githubApiUrl: 'only the user setting may change where the GitHub token is sent',
  confirmBeforeRotate: 'only the user setting may turn off the confirmation before a rotation',
  defaultGracePeriod: 'only the user setting may shorten how long the previous secret of an Access service token keeps working',
};

export class Settings {
  private readonly warned = new Set<UserOnly>();

  constructor(private readonly logger: Logger) {}

  private config(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(SETTINGS_SECTION);
  }

  /** The user's (global) value, else the default; a workspace or folder value is ignored (logged once per setting). */
  private userValue(key: UserOnly): unknown {
    const info = this.config().inspect<unknown>(SETTINGS[key]);
    const fromWorkspace = info?.workspaceValue !== undefined || info?.workspaceFolderValue !== undefined || info?.workspaceLanguageValue !== undefined || info?.workspaceFolderLanguageValue !== undefined;
    if (fromWorkspace && !this.warned.has(key)) {
      this.warned.add(key);
      this.logger.warn(`Ignoring ${SETTINGS_SECTION}.${SETTINGS[key]} from the workspace settings: ${WHY[key]}.`);
    }
    return info?.globalValue ?? info?.defaultValue;
  }

  /** The validated API base URL without a trailing slash. Throws a 'config' CfRotateError when invalid. */
  apiBaseUrl(): string {
    const raw = this.userValue('apiBaseUrl') ?? SETTING_DEFAULTS.apiBaseUrl;
    const value = typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : SETTING_DEFAULTS.apiBaseUrl;
    return validateApiBaseUrl(value).toString().replace(/\/$/, '');
  }

  /**
   * The validated GitHub API base URL without a trailing slash: where the GitHub token goes, so,
   * as for apiBaseUrl, only the user's (global) or default value counts.
   */
  githubApiUrl(): string {
    const raw = this.userValue('githubApiUrl') ?? SETTING_DEFAULTS.githubApiUrl;
    const value = typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : SETTING_DEFAULTS.githubApiUrl;
    return validateGitHubApiUrl(value, 'The setting cfRotate.githubApiUrl').toString().replace(/\/$/, '');
  }

  reminderDays(): number {
    const v = this.config().get<unknown>(SETTINGS.reminderDays);
    return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 365 ? v : SETTING_DEFAULTS.reminderDays;
  }

  /** User setting only: a workspace cannot make the previous secret die at once ("0s"). */
  defaultGracePeriod(): string {
    const v = this.userValue('defaultGracePeriod');
    return typeof v === 'string' && DURATION.test(v) ? v : SETTING_DEFAULTS.defaultGracePeriod;
  }

  /** User setting only: a workspace cannot turn the confirmation off. */
  confirmBeforeRotate(): boolean {
    const v = this.userValue('confirmBeforeRotate');
    return typeof v === 'boolean' ? v : SETTING_DEFAULTS.confirmBeforeRotate;
  }

  static affects(e: vscode.ConfigurationChangeEvent, key: keyof typeof SETTINGS): boolean {
    return e.affectsConfiguration(`${SETTINGS_SECTION}.${SETTINGS[key]}`);
  }
}
