/**
 * Which spellings of a value dotenv reads back unchanged, and the value safety gate.
 * Nothing here ever puts a value into an error message.
 */
import * as l10n from '@vscode/l10n';
import { PatchError } from './errors';
import type { QuoteChar } from './scan';

export type ValueStyle = QuoteChar | 'none';

/** Characters of every Cloudflare secret format (cfut_/cfat_ tokens, hex, cfast_ secrets, JWTs). */
export const CLOUDFLARE_SECRET_CHARSET = /^[A-Za-z0-9._~+/=-]+$/;

export function isCloudflareSecretCharset(value: string): boolean {
  return CLOUDFLARE_SECRET_CHARSET.test(value);
}

/**
 * Does `quote value quote` (or the bare value for 'none') read back as exactly `value`
 * in a plain position (after the separator, followed by spaces, a comment or end of line)?
 */
export function styleFits(value: string, style: ValueStyle): boolean {
  if (value.length === 0) return true; // K=, K='', K="" and K=`` all read back as ""
  if (style === 'none') {
    // dotenv trims, ends the value at '#', and treats a leading quote as an opening quote.
    const first = value[0];
    const last = value[value.length - 1];
    return !value.includes('#') && first !== ' ' && last !== ' ' && first !== "'" && first !== '"' && first !== '`';
  }
  // `\<quote>` inside a quoted value is an escaped quote, so a trailing backslash would eat the closing one.
  if (value.includes(style) || value.endsWith('\\')) return false;
  // Only double quotes expand \n and \r.
  if (style === '"' && /\\[nr]/.test(value)) return false;
  return true;
}

export function formatValue(value: string, style: ValueStyle): string {
  return style === 'none' ? value : `${style}${value}${style}`;
}

/** Quoted styles in order of preference when a value must be quoted. */
export const QUOTED_STYLES: readonly QuoteChar[] = ['"', "'", '`'];

/**
 * Throws PatchError('unsafe-value') unless `value` can be written into a .env file and read back
 * unchanged by dotenv (and unexpanded by dotenv-expand, which Wrangler applies to .env files).
 * Allowed: non-empty printable ASCII (space to `~`) without `$`, spellable in at least one style.
 * Cloudflare secrets (`[A-Za-z0-9._~+/=-]+`) always pass. The message never contains the value.
 */
export function assertSafeSecretValue(value: string, key?: string): void {
  if (typeof value !== 'string') {
    throw new PatchError('unsafe-value', key === undefined ? l10n.t('The new value is not a string.') : l10n.t('The new value for {0} is not a string.', key), key === undefined ? [] : [key]);
  }
  const keys = key === undefined ? [] : [key];
  if (value.length === 0) {
    throw new PatchError('unsafe-value', key === undefined ? l10n.t('The new value is empty; refusing to write an empty secret.') : l10n.t('The new value for {0} is empty; refusing to write an empty secret.', key), keys);
  }
  if (CLOUDFLARE_SECRET_CHARSET.test(value)) return;
  if (value.includes('\0')) {
    throw new PatchError('unsafe-value', key === undefined ? l10n.t('The new value contains a NUL character.') : l10n.t('The new value for {0} contains a NUL character.', key), keys);
  }
  if (/[\r\n\u2028\u2029]/.test(value)) {
    throw new PatchError('unsafe-value', key === undefined ? l10n.t('The new value contains a line break.') : l10n.t('The new value for {0} contains a line break.', key), keys);
  }
  if (/[^\x20-\x7e]/.test(value)) {
    throw new PatchError(
      'unsafe-value',
      key === undefined ? l10n.t('The new value contains a character outside printable ASCII.') : l10n.t('The new value for {0} contains a character outside printable ASCII.', key),
      keys,
    );
  }
  if (value.includes('$')) {
    throw new PatchError(
      'unsafe-value',
      key === undefined
        ? l10n.t('The new value contains "$", which dotenv-expand (used by Wrangler for .env files) would expand.')
        : l10n.t('The new value for {0} contains "$", which dotenv-expand (used by Wrangler for .env files) would expand.', key),
      keys,
    );
  }
  if (!styleFits(value, 'none') && !QUOTED_STYLES.some((q) => styleFits(value, q))) {
    throw new PatchError(
      'unsafe-value',
      key === undefined
        ? l10n.t('The new value cannot be written so that dotenv reads it back unchanged (no quoting style can hold it).')
        : l10n.t('The new value for {0} cannot be written so that dotenv reads it back unchanged (no quoting style can hold it).', key),
      keys,
    );
  }
}
