/**
 * Typed access to the cfRotate.* settings. The API base URL decides where the admin credential
 * is sent, so only the user's (global) or default value counts: a workspace cannot redirect it.
 */
import * as vscode from 'vscode';
import { validateApiBaseUrl } from '../core/cloudflare/client';
import { validateGitHubApiUrl } from '../core/github/client';
import { DURATION } from '../core/config/schema';
import type { Logger } from '../core/ports';
import { SETTING_DEFAULTS, SETTINGS, SETTINGS_SECTION } from '../constants';

export class Settings {
  private warnedWorkspaceUrl = false;
  private warnedWorkspaceGitHubUrl = false;

  constructor(private readonly logger: Logger) {}

  private config(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(SETTINGS_SECTION);
  }

  /** The validated API base URL without a trailing slash. Throws a 'config' CfRotateError when invalid. */
  apiBaseUrl(): string {
    const info = this.config().inspect<string>(SETTINGS.apiBaseUrl);
    if (!this.warnedWorkspaceUrl && (info?.workspaceValue !== undefined || info?.workspaceFolderValue !== undefined)) {
      this.warnedWorkspaceUrl = true;
      this.logger.warn('Ignoring cfRotate.apiBaseUrl from the workspace settings: only the user setting may change where the admin credential is sent.');
    }
    const raw = info?.globalValue ?? info?.defaultValue ?? SETTING_DEFAULTS.apiBaseUrl;
    const value = typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : SETTING_DEFAULTS.apiBaseUrl;
    return validateApiBaseUrl(value).toString().replace(/\/$/, '');
  }

  /**
   * The validated GitHub API base URL without a trailing slash: where the GitHub token goes, so,
   * as for apiBaseUrl, only the user's (global) or default value counts.
   */
  githubApiUrl(): string {
    const info = this.config().inspect<string>(SETTINGS.githubApiUrl);
    if (!this.warnedWorkspaceGitHubUrl && (info?.workspaceValue !== undefined || info?.workspaceFolderValue !== undefined)) {
      this.warnedWorkspaceGitHubUrl = true;
      this.logger.warn('Ignoring cfRotate.githubApiUrl from the workspace settings: only the user setting may change where the GitHub token is sent.');
    }
    const raw = info?.globalValue ?? info?.defaultValue ?? SETTING_DEFAULTS.githubApiUrl;
    const value = typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : SETTING_DEFAULTS.githubApiUrl;
    return validateGitHubApiUrl(value, 'The setting cfRotate.githubApiUrl').toString().replace(/\/$/, '');
  }

  reminderDays(): number {
    const v = this.config().get<unknown>(SETTINGS.reminderDays);
    return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 365 ? v : SETTING_DEFAULTS.reminderDays;
  }

  defaultGracePeriod(): string {
    const v = this.config().get<unknown>(SETTINGS.defaultGracePeriod);
    return typeof v === 'string' && DURATION.test(v) ? v : SETTING_DEFAULTS.defaultGracePeriod;
  }

  confirmBeforeRotate(): boolean {
    const v = this.config().get<unknown>(SETTINGS.confirmBeforeRotate);
    return typeof v === 'boolean' ? v : SETTING_DEFAULTS.confirmBeforeRotate;
  }

  static affects(e: vscode.ConfigurationChangeEvent, key: keyof typeof SETTINGS): boolean {
    return e.affectsConfiguration(`${SETTINGS_SECTION}.${SETTINGS[key]}`);
  }
}
