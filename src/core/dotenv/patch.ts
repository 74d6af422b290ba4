/**
 * The .env patcher: set keys to new values by replacing only the bytes of each value.
 *
 * One scan (dotenv's own LINE regex, see scan.ts) finds every assignment of every requested key;
 * each is rewritten in place, keeping `export`, indentation, separator spacing, the `KEY: value`
 * form, inline comments, line endings, a BOM and the quote style (switching quotes only when the
 * value cannot be spelled in the existing one). Missing keys are appended as `KEY=value`.
 * Before returning, the result is parsed again with dotenv.parse and compared with the original:
 * a patch that would change anything else is never returned.
 */
import { parse } from 'dotenv';
import * as l10n from '@vscode/l10n';
import { PatchError } from './errors';
import { QUOTED_STYLES, assertSafeSecretValue, formatValue, styleFits, type ValueStyle } from './quote';
import { DOTENV_KEY, assertNotBinary, scanDotenv, type DotenvAssignment } from './scan';

export { PatchError, isPatchError, type PatchErrorCode } from './errors';
export {
  CLOUDFLARE_SECRET_CHARSET,
  assertSafeSecretValue,
  formatValue,
  isCloudflareSecretCharset,
  styleFits,
  type ValueStyle,
} from './quote';
export { DOTENV_LINE, dotenvValueOf, parseLikeDotenv, scanDotenv, type DotenvAssignment, type QuoteChar } from './scan';

export interface DotenvUpdate {
  key: string;
  value: string;
}

/** One replacement in the original text (UTF-16 offsets, end-exclusive). Its `text` holds a secret. */
export interface DotenvEdit {
  start: number;
  end: number;
  text: string;
  /** The key whose value this edit rewrites, or the keys an append adds. */
  keys: string[];
}

export interface PatchResult {
  /** The new file text (BOM, line endings and every byte outside the edited values preserved). */
  text: string;
  /** False if every key already had its value (then `text === original`). */
  changed: boolean;
  /** Keys whose existing assignments were rewritten (in the order given). */
  updated: string[];
  /** Keys that were missing and were appended (in the order given). */
  appended: string[];
  /** Requested keys assigned more than once; every assignment was set (dotenv's last one wins). */
  duplicates: string[];
  /** The edits that turn the original into `text`, ascending, non-overlapping. */
  edits: DotenvEdit[];
}

export interface DotenvReadResult {
  /** What dotenv.parse returns for the key (the last assignment), undefined if absent. */
  value: string | undefined;
  occurrences: number;
  /** Distinct values over all assignments, in file order. */
  distinctValues: string[];
}

const BOM = '\uFEFF';
const ORDER_UNQUOTED_FIRST: readonly ValueStyle[] = ['none', ...QUOTED_STYLES];

function assertKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || !DOTENV_KEY.test(key)) {
    // Do not echo it: a caller that swapped key and value would otherwise leak the secret.
    throw new PatchError('invalid-key', l10n.t('A key is not a valid dotenv key (letters, digits, "_", "." and "-" only).'));
  }
  if (key === '__proto__') {
    throw new PatchError('invalid-key', l10n.t('The key __proto__ cannot be read back by dotenv.parse.'), [key]);
  }
}

function normalizeUpdates(updates: DotenvUpdate[] | Record<string, string>): Map<string, string> {
  if (updates === null || typeof updates !== 'object') {
    throw new PatchError('invalid-update', 'The updates must be a list of {key, value} or an object of key → value.');
  }
  const list: DotenvUpdate[] = Array.isArray(updates)
    ? updates
    : Object.entries(updates).map(([key, value]) => ({ key, value }));
  const map = new Map<string, string>();
  for (const u of list) {
    if (u === null || typeof u !== 'object') {
      throw new PatchError('invalid-update', 'An update is not a {key, value} object.');
    }
    assertKey(u.key);
    if (typeof u.value !== 'string') {
      throw new PatchError('invalid-update', `The new value for ${u.key} is not a string.`, [u.key]);
    }
    assertSafeSecretValue(u.value, u.key);
    const prev = map.get(u.key);
    if (prev !== undefined && prev !== u.value) {
      throw new PatchError('invalid-update', `${u.key} is given twice with different values.`, [u.key]);
    }
    map.set(u.key, u.value);
  }
  return map;
}

function isLineBreak(ch: string | undefined): boolean {
  return ch === '\n' || ch === '\r';
}

function cannotSpell(key: string): PatchError {
  return new PatchError(
    'unsafe-value',
    l10n.t('The new value for {0} cannot be spelled at its position in the file so that dotenv reads it back unchanged.', key),
    [key],
  );
}

/** The replacement for one assignment of `a.key`, touching only its value. */
function planEdit(original: string, a: DotenvAssignment, value: string): Omit<DotenvEdit, 'keys'> {
  if (a.quote !== null) {
    // Quoted: replace what is between the quotes, or the whole quoted value if the quote must change.
    if (styleFits(value, a.quote)) return { start: a.innerStart, end: a.innerEnd, text: value };
    // A bare value cannot start on a later line than its key.
    const valueOnLaterLine = /[\r\n]/.test(original.slice(a.separatorEnd, a.valueStart));
    const candidates: ValueStyle[] = QUOTED_STYLES.filter((q) => q !== a.quote);
    if (!valueOnLaterLine) candidates.push('none');
    const style = candidates.find((s) => styleFits(value, s));
    if (style === undefined) throw cannotSpell(a.key);
    return { start: a.valueStart, end: a.valueEnd, text: formatValue(value, style) };
  }
  const style = ORDER_UNQUOTED_FIRST.find((s) => styleFits(value, s));
  if (style === undefined) throw cannotSpell(a.key);
  const token = formatValue(value, style);
  if (a.valueEnd > a.valueStart) {
    // Unquoted, non-empty: replace the trimmed value; spaces around it and any comment stay.
    return { start: a.valueStart, end: a.valueEnd, text: token };
  }
  // Empty value.
  if (a.colon && isLineBreak(original[a.keyEnd + 1])) {
    // `KEY:` + line break: dotenv took the line break as the separator's whitespace; put the value
    // on the key's line instead of the next one.
    return { start: a.keyEnd + 1, end: a.keyEnd + 1, text: ` ${token}` };
  }
  // Replace the (whitespace-only or absent) raw value; keep `KEY = value` spacing and a gap before `#`.
  const sep = original.slice(a.keyEnd, a.separatorEnd);
  const eq = sep.indexOf('=');
  const spaced = !a.colon && eq > 0 && /\s/.test(sep.slice(0, eq));
  const before = spaced ? ' ' : '';
  const after = original[a.rawEnd] === '#' ? ' ' : '';
  return { start: a.rawStart, end: a.rawEnd, text: before + token + after };
}

/** The file's newline: the most common of LF, CRLF and lone CR (LF when there is none). */
export function detectEol(text: string): string {
  let lf = 0;
  let crlf = 0;
  let cr = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) lf++;
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) {
        crlf++;
        i++;
      } else cr++;
    }
  }
  if (crlf > lf && crlf >= cr) return '\r\n';
  if (cr > lf && cr > crlf) return '\r';
  return '\n';
}

function hasOwn(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

function listKeys(keys: Iterable<string>): string {
  const all = [...keys];
  const shown = all.slice(0, 10).join(', ');
  return all.length > 10 ? l10n.t('{0} and {1} more', shown, all.length - 10) : shown;
}

/**
 * dotenv.parse(patched) must equal dotenv.parse(original) except the updated keys, which must hold
 * their new values; and every assignment of an updated key must hold it (not only the last one).
 * `counts`: how many assignments each key had in the original (a missing key is appended once).
 * Exported for the tests that feed it what a faulty planner could produce.
 */
export function verifyPatch(original: string, text: string, wanted: Map<string, string>, counts: Map<string, number>): void {
  const before = parse(original);
  const after = parse(text);
  const collateral = new Set<string>();
  for (const k of Object.keys(before)) {
    if (!wanted.has(k) && (!hasOwn(after, k) || after[k] !== before[k])) collateral.add(k);
  }
  for (const k of Object.keys(after)) {
    if (!wanted.has(k) && !hasOwn(before, k)) collateral.add(k);
  }
  const wrong = new Set<string>();
  for (const [k, v] of wanted) {
    if (!hasOwn(after, k) || after[k] !== v) wrong.add(k);
  }
  const seen = new Map<string, number>();
  for (const a of scanDotenv(text, (k) => wanted.has(k))) {
    seen.set(a.key, (seen.get(a.key) ?? 0) + 1);
    if (a.value !== wanted.get(a.key)) wrong.add(a.key);
  }
  for (const k of wanted.keys()) {
    if ((seen.get(k) ?? 0) !== Math.max(1, counts.get(k) ?? 0)) wrong.add(k);
  }
  if (collateral.size === 0 && wrong.size === 0) return;
  const reasons: string[] = [];
  if (collateral.size > 0) reasons.push(l10n.t('it would also change {0}', listKeys(collateral)));
  if (wrong.size > 0) reasons.push(l10n.t('{0} would not read back as the new value', listKeys(wrong)));
  throw new PatchError(
    'verify-failed',
    l10n.t('Refusing to patch the .env text: {0}.', reasons.join('; ')),
    [...new Set([...wrong, ...collateral])],
  );
}

/**
 * Set each key to its value. Every assignment of a key is rewritten (dotenv's last one wins, but an
 * earlier one left stale would resurface if the last is deleted); missing keys are appended.
 * Throws PatchError: 'binary', 'invalid-key', 'invalid-update', 'unsafe-value', 'verify-failed'.
 */
export function patchDotenv(original: string, updates: DotenvUpdate[] | Record<string, string>): PatchResult {
  assertNotBinary(original);
  const wanted = normalizeUpdates(updates);
  if (wanted.size === 0) {
    return { text: original, changed: false, updated: [], appended: [], duplicates: [], edits: [] };
  }

  const counts = new Map<string, number>();
  const edits: DotenvEdit[] = [];
  const touched = new Set<string>();
  for (const a of scanDotenv(original, (k) => wanted.has(k))) {
    counts.set(a.key, (counts.get(a.key) ?? 0) + 1);
    const value = wanted.get(a.key) as string;
    if (a.value === value) continue;
    edits.push({ ...planEdit(original, a, value), keys: [a.key] });
    touched.add(a.key);
  }

  const keys = [...wanted.keys()];
  const appended = keys.filter((k) => !counts.has(k));
  const updated = keys.filter((k) => touched.has(k));
  const duplicates = keys.filter((k) => (counts.get(k) ?? 0) > 1);
  if (edits.length === 0 && appended.length === 0) {
    return { text: original, changed: false, updated, appended, duplicates, edits };
  }

  const attempt = (blankLineBeforeAppend: boolean): PatchResult => {
    const all = appended.length > 0 ? [...edits, planAppend(original, appended, wanted, blankLineBeforeAppend)] : edits;
    const text = applyEditsTo(original, all);
    verifyPatch(original, text, wanted, counts);
    return { text, changed: text !== original, updated, appended, duplicates, edits: all };
  };
  try {
    return attempt(false);
  } catch (e) {
    // A last line like `X:` makes dotenv read the next line as X's value; a blank line in between
    // stops that. Retry once with one; if that fails too, report the first failure.
    if (!(e instanceof PatchError) || e.code !== 'verify-failed' || appended.length === 0) throw e;
    try {
      return attempt(true);
    } catch {
      throw e;
    }
  }
}

function planAppend(original: string, appended: string[], wanted: Map<string, string>, blankLine: boolean): DotenvEdit {
  const eol = detectEol(original);
  const body = original.startsWith(BOM) ? original.slice(1) : original;
  let add = body.length > 0 && !isLineBreak(body[body.length - 1]) ? eol : '';
  if (blankLine && body.length > 0) add += eol;
  for (const k of appended) {
    const value = wanted.get(k) as string;
    const style = ORDER_UNQUOTED_FIRST.find((s) => styleFits(value, s));
    if (style === undefined) throw cannotSpell(k);
    add += `${k}=${formatValue(value, style)}${eol}`;
  }
  return { start: original.length, end: original.length, text: add, keys: appended };
}

function applyEditsTo(original: string, edits: readonly DotenvEdit[]): string {
  const parts: string[] = [];
  let pos = 0;
  for (const e of edits) {
    parts.push(original.slice(pos, e.start), e.text);
    pos = e.end;
  }
  parts.push(original.slice(pos));
  return parts.join('');
}

/** What dotenv.parse would give for `key`, plus how many times and with how many values it is assigned. */
export function readDotenvValue(text: string, key: string): DotenvReadResult {
  assertKey(key);
  const found = scanDotenv(text, (k) => k === key);
  return {
    value: found.length > 0 ? found[found.length - 1].value : undefined,
    occurrences: found.length,
    distinctValues: [...new Set(found.map((a) => a.value))],
  };
}
