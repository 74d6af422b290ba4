/**
 * GitHub's API base URL: the default and the check of a configured one. Apart from the client so
 * that reading the settings (src/host/settings.ts) does not load the client.
 */
import * as l10n from '@vscode/l10n';
import { CfRotateError } from '../errors';
import { notification } from '../text';

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';

/**
 * https, or http to a loopback address (tests); no user name, password, query or fragment.
 * `setting`: how the messages name what is checked, the subject of their sentences.
 */
export function validateGitHubApiUrl(url: string, setting = l10n.t('The GitHub API URL')): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CfRotateError('config', l10n.t('{0} "{1}" is not a valid URL.', setting, notification(url).slice(0, 100)), {
      hint: l10n.t("Use {0} (or your GitHub Enterprise Server's https://HOST/api/v3).", DEFAULT_GITHUB_API_URL),
    });
  }
  if (u.username || u.password) throw new CfRotateError('config', l10n.t('{0} must not contain a user name or password.', setting), { hint: l10n.t('cf-rotate sends the GitHub token in a header.') });
  if (u.search || u.hash) throw new CfRotateError('config', l10n.t('{0} must not contain a query (?…) or a fragment (#…).', setting), { hint: l10n.t('Use {0}.', DEFAULT_GITHUB_API_URL) });
  const host = u.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  if (u.protocol === 'https:' || (u.protocol === 'http:' && loopback)) return u;
  throw new CfRotateError('config', l10n.t('{0} "{1}" is not allowed: only https, or http to a loopback address, is accepted.', setting, u.origin), { hint: l10n.t('Use {0}.', DEFAULT_GITHUB_API_URL) });
}
