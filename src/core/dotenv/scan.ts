/**
 * A scanner that finds every assignment dotenv would see, with the exact offsets of its
 * key, separator and value in the ORIGINAL text (CRLF, lone CR, BOM and all).
 *
 * It runs the same LINE regex as dotenv's default ("classic") parser, v16 through 18.0.10,
 * with three groups made capturing (capturing does not change what a regex matches) and the
 * `d` flag for match indices. It runs it, like dotenv, on the text with `\r\n?` turned into
 * `\n`, and maps offsets back. Values are derived with dotenv's own steps (trim, strip one
 * pair of outer quotes, expand `\n`/`\r` inside double quotes), so `value` is exactly what
 * `dotenv.parse` returns for that assignment. The unit tests check this against dotenv.parse
 * on fixtures and on random text, and check that dotenv's bundled regex is still this one.
 */
import * as l10n from '@vscode/l10n';
import { PatchError } from './errors';

export type QuoteChar = "'" | '"' | '`';

/** dotenv's LINE regex. Groups: 1 key, 2 separator, 3 raw value (untrimmed, may be absent). */
export const DOTENV_LINE =
  /(?:^|^)\s*(?:export\s+)?([\w.-]+)(\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/dgm;

/** A key dotenv can read back (its key pattern, whole string). */
export const DOTENV_KEY = /^[\w.-]+$/;

export interface DotenvAssignment {
  key: string;
  /** The value exactly as dotenv.parse returns it for this assignment. */
  value: string;
  /** Outer quote dotenv strips from this value; null when unquoted or empty. */
  quote: QuoteChar | null;
  /** `KEY: value` form. */
  colon: boolean;
  /** All offsets are UTF-16 offsets into the original text, end-exclusive. */
  keyStart: number;
  keyEnd: number;
  /** End of the separator (`=` with the spaces before it, or `:` plus one whitespace character). */
  separatorEnd: number;
  /** dotenv's raw value group (untrimmed). rawStart === rawEnd === separatorEnd when the group is absent. */
  rawPresent: boolean;
  rawStart: number;
  rawEnd: number;
  /** The trimmed value as written, quotes included. Empty (start === end) when the value is empty and unquoted. */
  valueStart: number;
  valueEnd: number;
  /** The part between the quotes (same as valueStart/valueEnd when unquoted). */
  innerStart: number;
  innerEnd: number;
  /** End of everything dotenv consumed for this assignment (trailing comment, blank lines, ...). */
  matchEnd: number;
}

export function assertNotBinary(text: string): void {
  if (typeof text !== 'string') {
    throw new PatchError('binary', 'The .env content is not text.');
  }
  if (text.includes('\0')) {
    throw new PatchError('binary', l10n.t('The .env content contains NUL characters; it is not a text .env file.'));
  }
}

interface Normalized {
  norm: string;
  /** Offsets in `norm` of each "\n" that replaced a "\r\n" pair (sorted). */
  crlf: number[];
}

function normalizeNewlines(text: string): Normalized {
  if (!text.includes('\r')) return { norm: text, crlf: [] };
  const crlf: number[] = [];
  for (let i = text.indexOf('\r\n'); i !== -1; i = text.indexOf('\r\n', i + 2)) {
    crlf.push(i - crlf.length);
  }
  // Same replacement as dotenv; a lone CR becomes LF one-for-one, so only CRLF shifts offsets.
  return { norm: text.replace(/\r\n?/g, '\n'), crlf };
}

/** Offset in the original text of offset `n` in the normalized text. */
function makeMapper(crlf: readonly number[]): (n: number) => number {
  if (crlf.length === 0) return (n) => n;
  return (n) => {
    // number of collapsed pairs strictly before n
    let lo = 0;
    let hi = crlf.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (crlf[mid] < n) lo = mid + 1;
      else hi = mid;
    }
    return n + lo;
  };
}

/** dotenv's value steps for one raw value group. */
export function dotenvValueOf(raw: string): string {
  let value = raw.trim();
  const first = value[0];
  value = value.replace(/^(['"`])([\s\S]*)\1$/gm, '$2');
  if (first === '"') {
    value = value.replace(/\\n/g, '\n').replace(/\\r/g, '\r');
  }
  return value;
}

function isQuoteChar(c: string | undefined): c is QuoteChar {
  return c === "'" || c === '"' || c === '`';
}

/**
 * Every assignment dotenv would read, in file order (duplicates included; dotenv keeps the last).
 * `wanted` skips the bookkeeping for keys the caller does not care about (the regex still runs once
 * over the whole text, as it must to stay in step with dotenv).
 */
export function scanDotenv(text: string, wanted?: (key: string) => boolean): DotenvAssignment[] {
  assertNotBinary(text);
  const { norm, crlf } = normalizeNewlines(text);
  const toOrig = makeMapper(crlf);
  // Scan with dotenv's flags; only for wanted keys re-run the same pattern, sticky and with
  // indices, at the same position (the same pattern at the same start gives the same match).
  // Computing indices for every line would roughly double the cost of the scan.
  const re = new RegExp(DOTENV_LINE.source, 'gm');
  const at = new RegExp(DOTENV_LINE.source, 'dmy');
  const out: DotenvAssignment[] = [];
  let found: RegExpExecArray | null;
  while ((found = re.exec(norm)) !== null) {
    if (wanted !== undefined && !wanted(found[1])) continue;
    at.lastIndex = found.index;
    const m = at.exec(norm);
    if (m === null || m[0] !== found[0]) throw new Error('dotenv scanner lost its place');
    const key = m[1];
    const indices = m.indices;
    if (indices === undefined) throw new Error('RegExp match indices are unavailable');
    const keySpan = indices[1] as [number, number];
    const sepSpan = indices[2] as [number, number];
    const rawSpan = indices[3] as [number, number] | undefined;
    const raw = m[3] ?? '';
    const rawStart = rawSpan ? rawSpan[0] : sepSpan[1];
    const rawEnd = rawSpan ? rawSpan[1] : sepSpan[1];
    const core = raw.trim();
    const valueStart = rawStart + (raw.length - raw.trimStart().length);
    const valueEnd = valueStart + core.length;
    const first = core[0];
    const quote = core.length >= 2 && isQuoteChar(first) && core[core.length - 1] === first ? first : null;
    const innerStart = quote ? valueStart + 1 : valueStart;
    const innerEnd = quote ? valueEnd - 1 : valueEnd;
    out.push({
      key,
      value: dotenvValueOf(raw),
      quote,
      colon: m[2].startsWith(':'),
      keyStart: toOrig(keySpan[0]),
      keyEnd: toOrig(keySpan[1]),
      separatorEnd: toOrig(sepSpan[1]),
      rawPresent: rawSpan !== undefined,
      rawStart: toOrig(rawStart),
      rawEnd: toOrig(rawEnd),
      valueStart: toOrig(valueStart),
      valueEnd: toOrig(valueEnd),
      innerStart: toOrig(innerStart),
      innerEnd: toOrig(innerEnd),
      matchEnd: toOrig(m.index + m[0].length),
    });
  }
  return out;
}

/**
 * What dotenv.parse would return, built from the scan (last assignment wins, plain-object
 * semantics like dotenv's, so `__proto__` is dropped the same way).
 */
export function parseLikeDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of scanDotenv(text)) out[a.key] = a.value;
  return out;
}
