/** Shared helpers for the .env patcher tests. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import type { DotenvEdit } from '../../../src/core/dotenv/patch';
import { findUp } from '../../harness/util';

/**
 * /work/shared/fixtures/dotenv-upstream: the reference data lives in a `shared` folder next to the
 * repository root. Walk up from this file (src or out tree) until such a folder is found; undefined
 * when there is none (the fixtures suite then fails its first test).
 */
export function upstreamFixtureDir(): string | undefined {
  return findUp(path.join('shared', 'fixtures', 'dotenv-upstream'), (p) => fs.existsSync(p) && fs.statSync(p).isDirectory());
}

/** Apply edits (ascending, non-overlapping) to a text. */
export function applyEdits(original: string, edits: readonly DotenvEdit[]): string {
  let out = '';
  let pos = 0;
  for (const e of edits) {
    assert.ok(e.start >= pos, 'edits must be ascending and non-overlapping');
    assert.ok(e.end >= e.start, 'edit end before start');
    out += original.slice(pos, e.start) + e.text;
    pos = e.end;
  }
  return out + original.slice(pos);
}

/** Byte-compare everything outside [start, end) of the original with the patched text. */
export function assertOnlySpanChanged(original: string, patched: string, start: number, end: number, inserted: string): void {
  const before = Buffer.from(original.slice(0, start), 'utf8');
  const after = Buffer.from(original.slice(end), 'utf8');
  const out = Buffer.from(patched, 'utf8');
  assert.equal(out.length, before.length + Buffer.byteLength(inserted, 'utf8') + after.length, 'patched length');
  assert.ok(out.subarray(0, before.length).equals(before), 'bytes before the value span changed');
  assert.ok(out.subarray(out.length - after.length).equals(after), 'bytes after the value span changed');
  assert.equal(patched.slice(start, patched.length - (original.length - end)), inserted);
}

/** Strip one pair of outer quotes from a spelling written by the patcher. */
export function unspell(text: string): string {
  const t = text.trim();
  if (t.length >= 2 && `'"\``.includes(t[0]) && t[t.length - 1] === t[0]) return t.slice(1, -1);
  return t;
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Adversarial .env-ish text: lines that mostly start like assignments (every separator form,
 * export, indentation, BOM) followed by junk rich in quotes, `#`, backslashes and line breaks of
 * every kind, so unclosed and multiline quotes, comments and odd separators all occur.
 */
export function junkDotenv(): fc.Arbitrary<string> {
  const join = (a: string[]): string => a.join('');
  const junkChar = fc.constantFrom(
    'A', 'K', 'b', '_', '.', '-', '1', '=', ':', ' ', '\t', '#', "'", '"', '`', "'", '"', '`', '\\', 'n', 'r',
    '\n', '\r', '\r\n', 'export ', 'KEY=', 'K:', '\uFEFF', '\u00a0', '\u2028', 'é', '$',
  );
  const junkText = fc.array(junkChar, { maxLength: 12 }).map(join);
  const line = fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          fc.constantFrom('', ' ', '\t', ' \uFEFF'),
          fc.constantFrom('', 'export ', 'export\t'),
          fc.constantFrom('A', 'K', 'KEY', 'b', 'K.1', 'a-b'),
          fc.constantFrom('=', ' = ', '=  ', ': ', ':', ' :', '\t='),
          junkText,
        )
        .map(join),
    },
    { weight: 1, arbitrary: junkText },
  );
  return fc
    .array(fc.tuple(line, fc.constantFrom('\n', '\r\n', '\r', '')).map(join), { maxLength: 8 })
    .map(join);
}
