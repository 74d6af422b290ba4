/**
 * Wording of confirmations and results, key suggestions and other text helpers of the
 * commands. No vscode import: unit-tested. Nothing here ever sees a secret.
 */
import { destinationTargets, DURATION, fileTargets, parseDuration, targetLabel, type TokenConfig, type TokenKind } from '../core/config/schema';
import { DESTINATION_EFFECTS, destinationType, destinationWhere } from '../core/destinations';
import type { RotationResult } from '../core/engine/engine';
import { KIND_LABELS } from '../views/model';

/** Grace period that applies to a token (service tokens only), as text and milliseconds. */
export function graceOf(token: TokenConfig, defaultGrace: string): { text: string; ms: number } | undefined {
  if (token.kind !== 'access-service-token') return undefined;
  const text = token.gracePeriod ?? (DURATION.test(defaultGrace) ? defaultGrace : '1h');
  return { text, ms: parseDuration(text) };
}

/** What the rotation invalidates, in one or two sentences. */
export function invalidationText(token: TokenConfig, defaultGrace: string, now: number): string {
  switch (token.kind) {
    case 'account-api-token':
    case 'user-api-token':
      return `Cloudflare invalidates the current value of "${token.name}" immediately (API tokens have no grace period): everything that uses it must switch to the new value written below.`;
    case 'access-service-token': {
      const g = graceOf(token, defaultGrace);
      if (!g || g.ms <= 0) return `The current client secret of "${token.name}" stops working immediately (grace period ${g?.text ?? '0s'}).`;
      return `The previous client secret of "${token.name}" stays valid until ${new Date(now + g.ms).toISOString()} (grace period ${g.text}); after that only the new secret works. Run "Expire Previous Secret" once everything uses the new one.`;
    }
    case 'moq-relay-token':
      return `The current ${token.tokenType === 'subscribe' ? 'subscribe' : 'publish/subscribe'} token of "${token.name}" stops working immediately (MoQ relay tokens have no grace period).`;
  }
}

export function targetLines(token: TokenConfig): string[] {
  return token.targets.map(targetLabel);
}

/** The destinations of a token for a confirmation: where each one is (with its ids) and what writing it does. */
export function destinationLines(token: TokenConfig): string[] {
  return destinationTargets(token).map((t) => `${destinationWhere(token, t)}: ${DESTINATION_EFFECTS[destinationType(t)]}.`);
}

/** Detail text of the modal confirmation of a single rotation. */
export function confirmRotateDetail(token: TokenConfig, folderName: string, defaultGrace: string, now: number, warnings: readonly string[] = []): string {
  const lines = [
    `${KIND_LABELS[token.kind]} "${token.name}" (folder ${folderName}, profile ${token.profile}).`,
    '',
    invalidationText(token, defaultGrace, now),
    '',
  ];
  const files = fileTargets(token);
  if (files.length > 0) lines.push('Files that change:', ...files.map((t) => `  • ${targetLabel(t)}`));
  const dests = destinationLines(token);
  if (dests.length > 0) lines.push(...(files.length > 0 ? [''] : []), 'Destinations that receive the new secret:', ...dests.map((l) => `  • ${l}`));
  if (warnings.length > 0) lines.push('', 'Warnings:', ...warnings.map((w) => `  • ${w}`));
  return lines.join('\n');
}

/** Detail text of the modal confirmation of a batch rotation. */
export function confirmBatchDetail(items: readonly { token: TokenConfig; folderName: string }[], defaultGrace: string): string {
  const shown = items.slice(0, 15).map(({ token, folderName }) => {
    const effect =
      token.kind === 'access-service-token'
        ? (() => {
            const g = graceOf(token, defaultGrace);
            return g && g.ms > 0 ? `previous secret valid for ${g.text}` : 'previous secret dies at once';
          })()
        : 'old value dies at once';
    return `  • ${token.name} (${folderName}): ${effect} → ${targetLines(token).join(', ')}`;
  });
  if (items.length > 15) shown.push(`  …and ${items.length - 15} more`);
  return [`Each token is rotated at Cloudflare and its new secret written into its files.`, '', ...shown].join('\n');
}

/** One-line outcome of a rotation for notifications. */
export function resultMessage(r: Pick<RotationResult, 'name' | 'ok' | 'state' | 'targets' | 'error' | 'graceUntil' | 'verified' | 'notes'>): string {
  if (r.ok) {
    const verb = r.state === 'recovered' ? 'Finished the interrupted rotation of' : r.state === 'planned' ? 'Checked' : 'Rotated';
    const extra: string[] = [];
    if (r.graceUntil) extra.push(`the previous secret works until ${r.graceUntil}`);
    if (r.verified === false) extra.push('Cloudflare did not confirm the new secret (see the log)');
    const notes = r.notes?.length ? ` ${r.notes.join(' ')}` : '';
    return `${verb} "${r.name}" → ${r.targets.join(', ')}.${notes}${extra.length ? ` Note: ${extra.join('; ')}.` : ''}`;
  }
  const why = r.error ? `${r.error.message}${r.error.hint ? ` ${r.error.hint}` : ''}` : 'unknown error (see the log)';
  switch (r.state) {
    case 'lost':
      return `Rotation of "${r.name}" lost its new secret: ${why}`;
    case 'pending':
      return `Rotation of "${r.name}" is not finished: ${why}`;
    case 'unknown':
      return `Rotation of "${r.name}" has an unknown outcome: ${why}`;
    default:
      return `Rotation of "${r.name}" failed: ${why}`;
  }
}

export function batchSummary(results: readonly Pick<RotationResult, 'name' | 'ok' | 'state'>[]): string {
  const ok = results.filter((r) => r.ok);
  const failed = results.filter((r) => !r.ok);
  if (failed.length === 0) return `Rotated ${ok.length} token${ok.length === 1 ? '' : 's'}.`;
  const names = failed.slice(0, 5).map((r) => `${r.name} (${r.state})`).join(', ');
  return `Rotated ${ok.length} of ${results.length} tokens; ${failed.length} did not: ${names}${failed.length > 5 ? ', …' : ''}.`;
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
  if (!NAME.test(name)) return '1-64 characters: letters, digits, space, . _ - (starting with a letter or digit)';
  if (taken.includes(name)) return `The configuration already has a token named "${name}".`;
  return undefined;
}

/** A relative target path as the config schema accepts it, or the reason it is not. */
export function validateRelativeFile(p: string): string | undefined {
  if (p.trim() === '') return 'Enter a path relative to the workspace folder, e.g. .env';
  if (/^([/\\]|[A-Za-z]:)/.test(p)) return 'Must be relative to the workspace folder, not absolute.';
  if (p.split(/[/\\]+/).includes('..')) return "Must stay inside the workspace folder (no '..').";
  if (p.includes('\0')) return 'Must not contain NUL characters.';
  return undefined;
}

export function validateEnvKey(k: string): string | undefined {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(k) ? undefined : 'A .env variable name: letters, digits, _ . - (not starting with a digit).';
}

export { isEnvLikeFile } from '../core/config/schema';

/** What discarding an interrupted rotation means, for the confirmation. */
/** What discarding an interrupted rotation means: one text for the CLI and the extension (core/engine). */
export { discardExplanation as discardWarning } from '../core/engine/engine';
