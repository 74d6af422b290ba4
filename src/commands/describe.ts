/**
 * Wording of confirmations and results, key suggestions and other text helpers of the
 * commands. No vscode import: unit-tested. Nothing here ever sees a secret.
 */
import * as l10n from '@vscode/l10n';
import { destinationTargets, DURATION, fileTargets, parseDuration, targetLabel, type FileTargetConfig, type TokenConfig, type TokenKind } from '../core/config/schema';
import { DESTINATION_EFFECTS, destinationType, destinationWhere } from '../core/destinations';
import type { RotationResult } from '../core/engine/engine';
import { plural } from '../core/l10n';
import { KIND_LABELS } from '../views/model';

/** Grace period that applies to a token (service tokens only), as text and milliseconds. */
export function graceOf(token: TokenConfig, defaultGrace: string): { text: string; ms: number } | undefined {
  if (token.kind !== 'access-service-token') return undefined;
  const text = token.gracePeriod ?? (DURATION.test(defaultGrace) ? defaultGrace : '1h');
  return { text, ms: parseDuration(text) };
}

/** Formats an instant for people (the extension: the user's locale); default ISO 8601. */
export type TimeFormat = (at: number) => string;
const iso: TimeFormat = (at) => new Date(at).toISOString();

/** What the rotation invalidates, in one or two sentences. */
export function invalidationText(token: TokenConfig, defaultGrace: string, now: number, time: TimeFormat = iso): string {
  switch (token.kind) {
    case 'account-api-token':
    case 'user-api-token':
      if (token.strategy === 'replace') {
        const overlap = token.overlap ?? '24h';
        return parseDuration(overlap) > 0
          ? l10n.t(`A twin of "{0}" with the same permissions replaces it: the current token keeps working for {1} after the new one is in every target, then it is deleted; cf-rotate.json is pointed at the twin's id.`, token.name, overlap)
          : l10n.t(`A twin of "{0}" with the same permissions replaces it, and the current token is deleted right after the new one is in every target and verified; cf-rotate.json is pointed at the twin's id.`, token.name);
      }
      return l10n.t('Cloudflare invalidates the current value of "{0}" immediately (API tokens have no grace period): everything that uses it must switch to the new value written below.', token.name);
    case 'access-service-token': {
      const g = graceOf(token, defaultGrace);
      if (!g || g.ms <= 0) {
        // A version bump (zone level, or "method": "version") keeps it a few minutes, until the new one is in every target.
        return token.method === 'version' || (token.method === undefined && token.accountId === undefined)
          ? l10n.t('The current client secret of "{0}" stops working as soon as the new one is in every target (grace period {1}; kept at most 10 minutes until then, in case Cloudflare\'s answer lacks the new secret).', token.name, g?.text ?? '0s')
          : l10n.t('The current client secret of "{0}" stops working immediately (grace period {1}).', token.name, g?.text ?? '0s');
      }
      return l10n.t(
        'The previous client secret of "{0}" stays valid until {1} (grace period {2}); after that only the new secret works. Run "Cloudflare Rotate: Expire Previous Secret…" once everything uses the new one.',
        token.name,
        time(now + g.ms),
        g.text,
      );
    }
    case 'moq-relay-token':
      return token.tokenType === 'subscribe'
        ? l10n.t('The current subscribe token of "{0}" stops working immediately (MoQ relay tokens have no grace period).', token.name)
        : l10n.t('The current publish/subscribe token of "{0}" stops working immediately (MoQ relay tokens have no grace period).', token.name);
    case 'turnstile-secret':
      return token.invalidateImmediately === true
        ? l10n.t('The current secret of the Turnstile widget "{0}" stops working immediately (invalidateImmediately).', token.name)
        : l10n.t('The current secret of the Turnstile widget "{0}" stays valid for 2 hours; Cloudflare allows no other rotation of it within that time.', token.name);
    case 'oauth-client-secret': {
      const overlap = token.overlap ?? '24h';
      return parseDuration(overlap) > 0
        ? l10n.t('OAuth client "{0}" gets a second secret; the current one keeps working for {1} after the new one is in every target, then it is deleted.', token.name, overlap)
        : l10n.t('OAuth client "{0}" gets a second secret; the current one is deleted right after the new one is in every target.', token.name);
    }
  }
}

/**
 * What a file target's own opt-outs allow, said where the user confirms: they come from
 * cf-rotate.json, which a cloned repository writes (a secret into a file git tracks, or into a
 * file whose name is not env-style).
 */
export function optOutNote(t: FileTargetConfig): string {
  const notes = [
    ...(t.allowTracked === true ? [l10n.t('may be a file git tracks: "allowTracked" in cf-rotate.json')] : []),
    ...(t.allowAnyFile === true ? [l10n.t('may be a file that is not a .env file: "allowAnyFile" in cf-rotate.json')] : []),
  ];
  return notes.length > 0 ? ` (${notes.join('; ')})` : '';
}

export function targetLines(token: TokenConfig): string[] {
  return token.targets.map(targetLabel);
}

/** The destinations of a token for a confirmation: where each one is (with its ids) and what writing it does. */
export function destinationLines(token: TokenConfig): string[] {
  return destinationTargets(token).map((t) => `${destinationWhere(token, t)}: ${DESTINATION_EFFECTS[destinationType(t)]}.`);
}

export interface ConfirmDetailOptions {
  /** What Cloudflare calls the credential ("Cloudflare: 'deploy (ci)' · token 3f2a…"), or why it could not be read. */
  cloudflare?: string | undefined;
  time?: TimeFormat;
  /** Things the user should know before saying yes (the admin's own token, a destination that deploys). */
  warnings?: readonly string[];
}

/** Detail text of the modal confirmation of a single rotation. */
export function confirmRotateDetail(token: TokenConfig, folderName: string, defaultGrace: string, now: number, opts: ConfirmDetailOptions = {}): string {
  const lines = [l10n.t('{0} "{1}" (folder {2}, profile {3}).', KIND_LABELS[token.kind], token.name, folderName, token.profile)];
  if (opts.cloudflare !== undefined) lines.push(opts.cloudflare);
  lines.push('', invalidationText(token, defaultGrace, now, opts.time), '');
  const files = fileTargets(token);
  if (files.length > 0) lines.push(l10n.t('Files that change:'), ...files.map((t) => `  • ${targetLabel(t)}${optOutNote(t)}`));
  const dests = destinationLines(token);
  if (dests.length > 0) lines.push(...(files.length > 0 ? [''] : []), l10n.t('Destinations that receive the new secret:'), ...dests.map((l) => `  • ${l}`));
  const warnings = opts.warnings ?? [];
  if (warnings.length > 0) lines.push('', l10n.t('Warnings:'), ...warnings.map((w) => `  • ${w}`));
  return lines.join('\n');
}

/** How many entries of a batch confirmation are listed whatever they hold; past them, only the notable ones. */
export const BATCH_LISTED = 15;

/**
 * Does an entry hold something the batch confirmation must name whatever its place: a file
 * target's opt-out (allowTracked / allowAnyFile), a destination (ids, account, profile, and what
 * writing it does), or a profile other than the default one. A cloned repository chooses all of
 * them, and could otherwise put them past the entries that are listed.
 */
export function isNotableInBatch(token: TokenConfig): boolean {
  return token.profile !== 'default' || destinationTargets(token).length > 0 || fileTargets(token).some((t) => optOutNote(t) !== '');
}

/** The entries a batch confirmation lists in full: the first BATCH_LISTED, and every notable one after them. */
export function listedInBatch<T extends { token: TokenConfig }>(items: readonly T[]): T[] {
  return items.filter((it, i) => i < BATCH_LISTED || isNotableInBatch(it.token));
}

function batchEffect(token: TokenConfig, defaultGrace: string): string {
  switch (token.kind) {
    case 'access-service-token': {
      const g = graceOf(token, defaultGrace);
      return g && g.ms > 0 ? l10n.t('previous secret valid for {0}', g.text) : l10n.t('previous secret dies at once');
    }
    case 'turnstile-secret':
      return token.invalidateImmediately === true ? l10n.t('previous secret dies at once') : l10n.t('previous secret valid for 2h');
    case 'oauth-client-secret':
      return l10n.t('previous secret deleted after {0}', token.overlap ?? '24h');
    case 'account-api-token':
    case 'user-api-token':
      return token.strategy === 'replace' ? l10n.t('replaced; previous token deleted after {0}', token.overlap ?? '24h') : l10n.t('old value dies at once');
    case 'moq-relay-token':
      return l10n.t('old value dies at once');
  }
}

/**
 * Detail text of the modal confirmation of a batch rotation. `cloudflare`: what Cloudflare calls
 * each token. Every entry with something notable (isNotableInBatch) is listed with its file
 * targets' opt-outs, its destinations (account, profile, effect) and its profile, wherever it is
 * in the batch; only plain entries past the first BATCH_LISTED are counted ("…and N more").
 */
export function confirmBatchDetail(items: readonly { token: TokenConfig; folderName: string; cloudflare?: string | undefined }[], defaultGrace: string): string {
  const listed = listedInBatch(items);
  const lines = listed.flatMap(({ token, folderName, cloudflare }) => {
    const where = token.profile !== 'default' ? l10n.t('{0}, profile {1}', folderName, token.profile) : folderName;
    const files = fileTargets(token).map((t) => `${targetLabel(t)}${optOutNote(t)}`);
    const head = `  • ${token.name} (${where})${cloudflare !== undefined ? ` — ${cloudflare}` : ''}: ${batchEffect(token, defaultGrace)}${files.length > 0 ? ` → ${files.join(', ')}` : ''}`;
    return [head, ...destinationLines(token).map((d) => `      ↳ ${d}`)];
  });
  const rest = items.length - listed.length;
  if (rest > 0) lines.push(`  ${l10n.t('…and {0} more', rest)}`);
  return [l10n.t('Each token is rotated at Cloudflare and its new secret written into its files (→) and destinations (↳).'), '', ...lines].join('\n');
}

/** "3f2a…": enough of an id to recognise it beside the dashboard, not a wall of hex. */
export function shortId(id: string): string {
  return id.length > 8 ? `${id.slice(0, 4)}…` : id;
}

/**
 * The confirmation's line about what Cloudflare calls the credential: a repository can name an
 * entry anything, so the dialog shows Cloudflare's own name (and a short id) beside it.
 */
export function cloudflareLine(token: TokenConfig, found: { name: string } | { error: string }): string {
  if ('error' in found) return l10n.t('Cloudflare: could not read its name ({0}). Check the ids in cf-rotate.json before you rotate.', found.error.replace(/\.$/, ''));
  switch (token.kind) {
    case 'account-api-token':
    case 'user-api-token':
      return l10n.t("Cloudflare: '{0}' · token {1}", found.name, shortId(token.tokenId));
    case 'access-service-token':
      return l10n.t("Cloudflare: '{0}' · service token {1}", found.name, shortId(token.serviceTokenId));
    case 'moq-relay-token':
      return token.tokenType === 'subscribe' ? l10n.t("Cloudflare: relay '{0}' · subscribe token", found.name) : l10n.t("Cloudflare: relay '{0}' · publish/subscribe token", found.name);
    case 'turnstile-secret':
      return l10n.t("Cloudflare: Turnstile widget '{0}' · sitekey {1}", found.name, shortId(token.sitekey));
    case 'oauth-client-secret':
      return l10n.t("Cloudflare: OAuth client '{0}' · client {1}", found.name, shortId(token.clientId));
  }
}

// ------------------------------------------------------------------------------ progress

/** The engine's steps in words (a function: translated when shown, not when loaded). */
function stepWords(step: string): string | undefined {
  switch (step) {
    case 'checking':
      return l10n.t('Checking the credential and the target files…');
    case 'rotating':
      return l10n.t('Rotating at Cloudflare…');
    case 'writing':
      return l10n.t('Writing the new secret…');
    case 'verifying':
      return l10n.t('Verifying…');
    case 'cleaning-up':
      return l10n.t('Removing the previous token…');
    default:
      return undefined;
  }
}

/** The engine's progress step (`ProgressStep`) in words: what the rotation is doing now. */
export function stepText(step: string, time: TimeFormat = iso): string {
  if (step.startsWith('waiting:')) {
    const at = Date.parse(step.slice('waiting:'.length));
    return Number.isFinite(at)
      ? l10n.t('No answer; waiting until {0} before checking whether it happened…', time(at))
      : l10n.t('No answer; waiting until the request can no longer take effect before checking whether it happened…');
  }
  if (step.startsWith('probing:')) return l10n.t('Checking whether it happened ({0})…', step.slice('probing:'.length));
  return stepWords(step) ?? step;
}

// ------------------------------------------------------------------------- time, locale

function safeLocale(locale: string | undefined): string | undefined {
  if (locale === undefined) return undefined;
  try {
    return Intl.DateTimeFormat.supportedLocalesOf([locale]).length > 0 ? locale : undefined;
  } catch {
    return undefined;
  }
}

/** "14:02:31" (or "2:02:31 PM"): a time of day in the user's locale; with the date when it is not today. */
export function formatTime(at: number, locale?: string, now: number = Date.now()): string {
  const l = safeLocale(locale);
  const sameDay = new Date(at).toDateString() === new Date(now).toDateString();
  return new Intl.DateTimeFormat(l, sameDay ? { timeStyle: 'medium' } : { dateStyle: 'medium', timeStyle: 'medium' }).format(at);
}

/** "27 Nov 2026, 18:33:15": a date and time in the user's locale. */
export function formatDateTime(at: number, locale?: string): string {
  return new Intl.DateTimeFormat(safeLocale(locale), { dateStyle: 'medium', timeStyle: 'medium' }).format(at);
}

/** "3 days ago", "in 2 hours", "now": relative to `now`, in the user's locale. */
export function formatRelative(at: number, now: number, locale?: string): string {
  const rtf = new Intl.RelativeTimeFormat(safeLocale(locale), { numeric: 'auto' });
  const s = Math.round((at - now) / 1000);
  const abs = Math.abs(s);
  if (abs < 60) return rtf.format(s, 'second');
  if (abs < 3600) return rtf.format(Math.round(s / 60), 'minute');
  if (abs < 86_400) return rtf.format(Math.round(s / 3600), 'hour');
  if (abs < 30 * 86_400) return rtf.format(Math.round(s / 86_400), 'day');
  if (abs < 365 * 86_400) return rtf.format(Math.round(s / (30 * 86_400)), 'month');
  return rtf.format(Math.round(s / (365 * 86_400)), 'year');
}

/** Replace every ISO 8601 instant in `text` with `time(instant)` (engine messages name instants in ISO). */
export function localiseInstants(text: string, time: TimeFormat): string {
  return text.replace(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z\b/g, (m) => {
    const at = Date.parse(m);
    return Number.isFinite(at) ? time(at) : m;
  });
}

/** Was this result stopped by the user before anything was sent (the engine's `cancelled`, state `failed`)? */
export function isCancelledBeforeCall(r: Pick<RotationResult, 'state' | 'error'>): boolean {
  return r.state === 'failed' && r.error?.kind === 'cancelled';
}

/** One-line outcome of a rotation for notifications. `time` words the instants the engine names in ISO. */
export function resultMessage(r: Pick<RotationResult, 'name' | 'ok' | 'state' | 'targets' | 'error' | 'graceUntil' | 'verified' | 'checkAgainAt' | 'notes'>, time?: TimeFormat): string {
  const when = (t: string): string => (time ? localiseInstants(t, time) : t);
  if (r.ok) {
    const targets = r.targets.join(', ');
    const done =
      r.state === 'recovered'
        ? l10n.t('Finished the interrupted rotation of "{0}" → {1}.', r.name, targets)
        : r.state === 'planned'
          ? l10n.t('Checked "{0}" → {1}.', r.name, targets)
          : l10n.t('Rotated "{0}" → {1}.', r.name, targets);
    const extra: string[] = [];
    if (r.graceUntil) extra.push(l10n.t('the previous secret works until {0}', when(r.graceUntil)));
    if (r.verified === false) extra.push(l10n.t('Cloudflare did not confirm the new secret (see the log)'));
    const notes = r.notes?.length ? ` ${r.notes.join(' ')}` : '';
    return `${done}${notes}${extra.length ? ` ${l10n.t('Note: {0}.', extra.join('; '))}` : ''}`;
  }
  if (isCancelledBeforeCall(r)) return l10n.t('Cancelled: nothing was rotated ("{0}" was not sent to Cloudflare).', r.name);
  const why = r.error ? when(`${r.error.message}${r.error.hint ? ` ${r.error.hint}` : ''}`) : l10n.t('unknown error (see the log)');
  switch (r.state) {
    case 'lost':
      return l10n.t('Rotation of "{0}" lost its new secret: {1}', r.name, why);
    case 'pending':
      return l10n.t('Rotation of "{0}" is not finished: {1}', r.name, why);
    case 'unknown': {
      const unknown = l10n.t('Rotation of "{0}" has an unknown outcome: {1}', r.name, why);
      return r.checkAgainAt && !why.includes(when(r.checkAgainAt)) ? `${unknown} ${l10n.t('Check again after {0}.', when(r.checkAgainAt))}` : unknown;
    }
    default:
      return l10n.t('Rotation of "{0}" failed: {1}', r.name, why);
  }
}

export function batchSummary(results: readonly Pick<RotationResult, 'name' | 'ok' | 'state' | 'error'>[]): string {
  const ok = results.filter((r) => r.ok);
  const skipped = results.filter((r) => isCancelledBeforeCall(r));
  const failed = results.filter((r) => !r.ok && !isCancelledBeforeCall(r));
  const list = (rs: readonly Pick<RotationResult, 'name' | 'state'>[], withState: boolean): string =>
    rs.slice(0, 5).map((r) => (withState ? `${r.name} (${r.state})` : r.name)).join(', ') + (rs.length > 5 ? ', …' : '');
  if (failed.length === 0 && skipped.length === 0) return plural(ok.length, l10n.t('Rotated {0} token.', ok.length), l10n.t('Rotated {0} tokens.', ok.length));
  const parts = [plural(results.length, l10n.t('Rotated {0} of {1} token', ok.length, results.length), l10n.t('Rotated {0} of {1} tokens', ok.length, results.length))];
  if (failed.length > 0) parts.push(l10n.t('{0} did not: {1}', failed.length, list(failed, true)));
  if (skipped.length > 0) {
    parts.push(
      plural(
        skipped.length,
        l10n.t('cancelled before it started (nothing was rotated for it): {0}', list(skipped, false)),
        l10n.t('cancelled before they started (nothing was rotated for them): {0}', list(skipped, false)),
      ),
    );
  }
  return `${parts.join('; ')}.`;
}

/** Line (0-based) and column range of the last assignment of `key` in a .env text (dotenv: last wins). */
export function findKeyLine(text: string, key: string): { line: number; start: number; end: number } | undefined {
  const esc = key.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
  const re = new RegExp(`^(\\s*(?:export\\s+)?)(${esc})(?:\\s*=|:\\s)`);
  const lines = text.split(/\r\n|\r|\n/);
  let found: { line: number; start: number; end: number } | undefined;
  lines.forEach((l, i) => {
    const m = re.exec(l);
    if (m) found = { line: i, start: (m[1] ?? '').length, end: (m[1] ?? '').length + key.length };
  });
  return found;
}

/** Suggested .env keys for the targets of a new token. */
export function suggestedKeys(kind: TokenKind, tokenType?: 'publish_subscribe' | 'subscribe'): { field: 'token' | 'clientId' | 'clientSecret'; key: string }[] {
  switch (kind) {
    case 'turnstile-secret':
      return [{ field: 'token', key: 'TURNSTILE_SECRET_KEY' }];
    case 'oauth-client-secret':
      return [{ field: 'clientSecret', key: 'CLOUDFLARE_OAUTH_CLIENT_SECRET' }];
    case 'account-api-token':
    case 'user-api-token':
      return [{ field: 'token', key: 'CLOUDFLARE_API_TOKEN' }];
    case 'access-service-token':
      return [
        { field: 'clientId', key: 'CF_ACCESS_CLIENT_ID' },
        { field: 'clientSecret', key: 'CF_ACCESS_CLIENT_SECRET' },
      ];
    case 'moq-relay-token':
      return [{ field: 'token', key: tokenType === 'subscribe' ? 'MOQ_SUBSCRIBE_TOKEN' : 'MOQ_PUBLISH_TOKEN' }];
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$/;

/** Turn a Cloudflare resource name into a valid, unique cf-rotate token name. */
export function suggestName(raw: string, taken: readonly string[]): string {
  let base = raw
    .replace(/\s*[^A-Za-z0-9._ -]+\s*/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/-{2,}/g, '-')
    .slice(0, 56)
    .trim();
  if (!NAME.test(base)) base = 'token';
  let name = base;
  for (let i = 2; taken.includes(name); i++) name = `${base}-${i}`;
  return name;
}

export function validateTokenName(name: string, taken: readonly string[]): string | undefined {
  if (!NAME.test(name)) return l10n.t('1-64 characters: letters, digits, space, . _ - (starting with a letter or digit)');
  if (taken.includes(name)) return l10n.t('The configuration already has a token named "{0}".', name);
  return undefined;
}

/** A relative target path as the config schema accepts it, or the reason it is not. */
export function validateRelativeFile(p: string): string | undefined {
  if (p.trim() === '') return l10n.t('Enter a path relative to the workspace folder, e.g. .env');
  if (/^([/\\]|[A-Za-z]:)/.test(p)) return l10n.t('Must be relative to the workspace folder, not absolute.');
  if (p.split(/[/\\]+/).includes('..')) return l10n.t("Must stay inside the workspace folder (no '..').");
  if (p.includes('\0')) return l10n.t('Must not contain NUL characters.');
  return undefined;
}

export function validateEnvKey(k: string): string | undefined {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(k) ? undefined : l10n.t('A .env variable name: letters, digits, _ . - (not starting with a digit).');
}

export { isEnvLikeFile } from '../core/config/schema';

/** What discarding an interrupted rotation means, for the confirmation. */
/** What discarding an interrupted rotation means: one text for the CLI and the extension (core/engine). */
export { discardExplanation as discardWarning } from '../core/engine/engine';
