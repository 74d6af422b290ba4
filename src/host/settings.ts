/**
 * Typed access to the cfRotate.* settings. The API base URL decides where the admin credential
 * is sent, so only a user-level value counts: the user settings, or, in a remote window (SSH,
 * a container, code-server), the remote machine's settings, where VS Code keeps machine-scoped
 * values there. A workspace value never counts: a cloned repository cannot redirect it.
 *
 * Every reader of the URL goes through `apiBaseUrl()` (and `resolveApiBaseUrl` below), so the
 * API clients, the log and the change watcher cannot disagree.
 *
 * The same rule holds for the settings that can weaken a rotation (`confirmBeforeRotate`,
 * `defaultGracePeriod`) and for `githubApiUrl`: a cloned repository's `.vscode/settings.json`
 * cannot skip the confirmation or revoke the previous secret of a service token at once. A
 * workspace value is ignored, and said so once in the log.
 */
import * as vscode from 'vscode';
import { validateApiBaseUrl } from '../core/cloudflare/options';
import { validateGitHubApiUrl } from '../core/github/url';
import { DURATION } from '../core/config/schema';
import { toCfRotateError } from '../core/errors';
import type { Logger } from '../core/ports';
import { SETTING_DEFAULTS, SETTINGS, SETTINGS_SECTION } from '../constants';

/**
 * What `WorkspaceConfiguration.inspect` returns for a setting. `globalRemoteValue` and
 * `globalLocalValue` are there at run time (VS Code's extension host sets them) though the typings
 * of VS Code 1.96 do not declare them.
 */
export interface SettingInspection {
  defaultValue?: unknown;
  globalValue?: unknown;
  /** The remote machine's settings (Machine/settings.json of the server) in a remote window. */
  globalRemoteValue?: unknown;
  /** The local user settings (in a remote window VS Code drops machine-scoped ones from these). */
  globalLocalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

export type ApiBaseUrlSource = 'remote machine settings' | 'user settings' | 'default';

export interface ResolvedApiBaseUrl {
  /** The value to validate (trimmed; the default when no user-level value is set). */
  value: string;
  source: ApiBaseUrlSource;
  /** A workspace or folder value exists and was ignored. */
  workspaceIgnored: boolean;
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/**
 * The one rule for cfRotate.apiBaseUrl: the remote machine's value, else the user value, else the
 * default. Workspace and folder values never count. Pure (unit-tested).
 */
export function resolveApiBaseUrl(info: SettingInspection | undefined): ResolvedApiBaseUrl {
  const workspaceIgnored = info?.workspaceValue !== undefined || info?.workspaceFolderValue !== undefined;
  const remote = text(info?.globalRemoteValue);
  if (remote !== undefined) return { value: remote, source: 'remote machine settings', workspaceIgnored };
  const user = text(info?.globalValue);
  if (user !== undefined) return { value: user, source: 'user settings', workspaceIgnored };
  return { value: text(info?.defaultValue) ?? SETTING_DEFAULTS.apiBaseUrl, source: 'default', workspaceIgnored };
}

/** Settings read from user-level settings only (package.json scope `machine`). */
export const USER_ONLY_SETTINGS = ['apiBaseUrl', 'confirmBeforeRotate', 'defaultGracePeriod', 'githubApiUrl'] as const satisfies readonly (keyof typeof SETTINGS)[];
type UserOnly = (typeof USER_ONLY_SETTINGS)[number];

const WHY: Record<UserOnly, string> = {
  apiBaseUrl: 'only the user setting may change where the admin credential is sent',
  confirmBeforeRotate: 'only the user setting may turn off the confirmation before a rotation',
  defaultGracePeriod: 'only the user setting may shorten how long the previous secret of an Access service token keeps working',
  githubApiUrl: 'only the user setting may change where the GitHub token is sent',
};

function fromWorkspace(info: (SettingInspection & { workspaceLanguageValue?: unknown; workspaceFolderLanguageValue?: unknown }) | undefined): boolean {
  return info?.workspaceValue !== undefined || info?.workspaceFolderValue !== undefined || info?.workspaceLanguageValue !== undefined || info?.workspaceFolderLanguageValue !== undefined;
}

export class Settings {
  private readonly warned = new Set<UserOnly>();
  private warnedLocalOnly = false;

  constructor(private readonly logger: Logger) {}

  private config(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(SETTINGS_SECTION);
  }

  /** Where the API base URL comes from now (not validated). */
  apiBaseUrlSource(): ResolvedApiBaseUrl {
    const info = this.config().inspect<string>(SETTINGS.apiBaseUrl) as SettingInspection | undefined;
    const r = resolveApiBaseUrl(info);
    this.warnWorkspace('apiBaseUrl', info);
    if (r.source === 'user settings' && !this.warnedLocalOnly && vscode.env?.remoteName !== undefined) {
      const info = this.config().inspect<string>(SETTINGS.apiBaseUrl) as SettingInspection | undefined;
      if (info?.globalRemoteValue === undefined && info?.globalLocalValue !== undefined) {
        this.warnedLocalOnly = true;
        this.logger.warn(
          `cfRotate.apiBaseUrl is set only in your local user settings, but this window is remote (${vscode.env?.remoteName ?? 'remote'}): VS Code applies machine settings such as this one from the remote's settings and stops applying the local value at the next change of any setting. Set it with "Preferences: Open Remote Settings" (code-server: Machine/settings.json in its user-data directory).`,
        );
      }
    }
    return r;
  }

  /** The validated API base URL without a trailing slash. Throws a 'config' CfRotateError when invalid. */
  apiBaseUrl(): string {
    return validateApiBaseUrl(this.apiBaseUrlSource().value).toString().replace(/\/$/, '');
  }

  /**
   * Calls `onChange` with the effective API base URL now, then whenever it changes, whatever caused it: an edit of
   * the setting, or VS Code re-reading the settings (in a remote window a machine-scoped value in
   * the local user settings is dropped then). Compares values, not change events.
   */
  watchApiBaseUrl(onChange: (next: { url?: string; source: ApiBaseUrlSource; error?: unknown }) => void): vscode.Disposable {
    const current = (): { url?: string; source: ApiBaseUrlSource; error?: unknown } => {
      const r = this.apiBaseUrlSource();
      try {
        return { url: validateApiBaseUrl(r.value).toString().replace(/\/$/, ''), source: r.source };
      } catch (error) {
        return { source: r.source, error };
      }
    };
    let last = current();
    onChange(last);
    const key = (s: typeof last): string => `${s.url ?? ''}\u0000${s.error !== undefined ? toCfRotateError(s.error).message : ''}`;
    return vscode.workspace.onDidChangeConfiguration(() => {
      const next = current();
      if (key(next) === key(last)) return;
      last = next;
      onChange(next);
    });
  }

  /**
   * The validated GitHub API base URL without a trailing slash: where the GitHub token goes, so,
   * as for apiBaseUrl, the same rule: the remote machine's value, else the user's, else the default.
   */
  githubApiUrl(): string {
    const info = this.config().inspect<string>(SETTINGS.githubApiUrl) as SettingInspection | undefined;
    const r = resolveApiBaseUrl({ ...info, defaultValue: text(info?.defaultValue) ?? SETTING_DEFAULTS.githubApiUrl });
    this.warnWorkspace('githubApiUrl', info);
    const value = r.value;
    return validateGitHubApiUrl(value, vscode.l10n.t('The setting cfRotate.githubApiUrl')).toString().replace(/\/$/, '');
  }

  reminderDays(): number {
    const v = this.config().get<unknown>(SETTINGS.reminderDays);
    return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 365 ? v : SETTING_DEFAULTS.reminderDays;
  }

  /** A workspace or folder value of a user-only setting is ignored: said once per setting in the log. */
  private warnWorkspace(key: UserOnly, info: SettingInspection | undefined): void {
    if (fromWorkspace(info) && !this.warned.has(key)) {
      this.warned.add(key);
      this.logger.warn(`Ignoring ${SETTINGS_SECTION}.${SETTINGS[key]} from the workspace settings: ${WHY[key]}.`);
    }
  }

  /** The remote machine's value, else the user's (global), else the default; never the workspace's. */
  private userValue(key: UserOnly): unknown {
    const info = this.config().inspect<unknown>(SETTINGS[key]) as SettingInspection | undefined;
    this.warnWorkspace(key, info);
    return info?.globalRemoteValue ?? info?.globalValue ?? info?.defaultValue;
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
