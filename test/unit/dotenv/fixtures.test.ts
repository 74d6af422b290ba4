/**
 * Every upstream dotenv fixture, every key: patch it and prove that dotenv.parse sees only that key
 * change and that no byte outside the value span moved.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'dotenv';
import { patchDotenv, parseLikeDotenv, readDotenvValue } from '../../../src/core/dotenv/patch';
import { assertOnlySpanChanged, escapeRegExp, upstreamFixtureDir } from './helpers';

const found = upstreamFixtureDir();
const dir = found ?? '';
const fixtureNames =
  found === undefined
    ? []
    : fs
        .readdirSync(found)
        .filter((f) => f.startsWith('.env'))
        .sort();

/** `.env<suffix>` ↔ `expected-parse<suffix>.json` (see SOURCE.md). */
function expectationFor(name: string): Record<string, string> {
  const file = path.join(dir, `expected-parse${name.slice('.env'.length)}.json`);
  assert.ok(fs.existsSync(file), `no expectation file for fixture ${name}`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
}

const NEW_VALUES = [
  'cfut_Zq9xW2vB7nM4kL1pR8sT3uY6aD0fG5hJ2cE9iO4b',
  '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.abc-_~+/=',
];

describe('dotenv patcher on upstream fixtures', () => {
  it('finds all five upstream fixtures in ../shared, each with an expectation (without them this suite fails)', () => {
    assert.ok(found !== undefined, `shared/fixtures/dotenv-upstream not found in any parent of ${__dirname}`);
    assert.deepEqual(fixtureNames, ['.env', '.env-multiline', '.env.bom', '.env.local', '.env.multiline']);
    for (const name of fixtureNames) expectationFor(name);
  });

  for (const name of fixtureNames) {
    describe(name, () => {
      const original = fs.readFileSync(path.join(dir, name), 'utf8');
      const expected = expectationFor(name);
      const keys = Object.keys(expected);

      it('parses like dotenv (fixture sanity and scanner agreement)', () => {
        assert.ok(keys.length > 0);
        assert.deepEqual(parse(original), expected);
        assert.deepEqual(parseLikeDotenv(original), expected);
        for (const k of keys) {
          assert.deepEqual(readDotenvValue(original, k), { value: expected[k], occurrences: 1, distinctValues: [expected[k]] });
        }
      });

      it(`patches each of its keys alone, changing only that value (${keys.length} keys × ${NEW_VALUES.length} values)`, () => {
        for (const key of keys) {
          for (const value of NEW_VALUES) {
            const r = patchDotenv(original, [{ key, value }]);
            assert.equal(r.changed, true, key);
            assert.deepEqual(r.updated, [key]);
            assert.deepEqual(r.appended, []);
            assert.deepEqual(r.duplicates, []);
            assert.deepEqual(parse(r.text), { ...expected, [key]: value }, key);
            assert.equal(r.edits.length, 1, key);
            const e = r.edits[0];
            assertOnlySpanChanged(original, r.text, e.start, e.end, e.text);

            // The span, checked independently of the scanner: the text before it ends with the key,
            // its separator and maybe an opening quote; the text after it starts with the matching
            // closing quote (if any), then only spaces and an optional comment up to the line end.
            const prefix = original.slice(0, e.start);
            const lastLine = prefix.slice(Math.max(prefix.lastIndexOf('\n'), prefix.lastIndexOf('\r')) + 1);
            const head = new RegExp(`^\\s*(?:export\\s+)?${escapeRegExp(key)}(?:\\s*=|:\\s)\\s*(['"\`]?)$`).exec(lastLine);
            assert.ok(head, `unexpected text before the value of ${key}`);
            const quote = head[1];
            const rest = original.slice(e.end);
            const firstLine = rest.split(/\r\n|\r|\n/)[0];
            assert.match(firstLine, new RegExp(`^${escapeRegExp(quote)}[ \\t]*(?:#.*)?$`), `unexpected text after the value of ${key}`);
            // What was removed is the old value as written (quotes kept outside the span).
            let removed = original.slice(e.start, e.end).replace(/\r\n?/g, '\n');
            if (quote === '"') removed = removed.replace(/\\n/g, '\n').replace(/\\r/g, '\r');
            assert.equal(removed, expected[key], `removed span of ${key}`);
            // The existing quote style round-trips for Cloudflare secrets, so the value is written bare.
            assert.equal(e.text, value);
            if (original.startsWith('\uFEFF')) assert.ok(r.text.startsWith('\uFEFF'), 'BOM lost');
          }
        }
      });

      it('patches all of its keys at once in one pass', () => {
        const updates = Object.fromEntries(keys.map((k, i) => [k, `${NEW_VALUES[i % NEW_VALUES.length]}${i}`]));
        const r = patchDotenv(original, updates);
        assert.deepEqual(parse(r.text), updates);
        assert.deepEqual(r.updated, keys);
        assert.equal(r.edits.length, keys.length);
        // Outside the edits, nothing moved: stitching the untouched pieces back gives the original.
        let rebuilt = '';
        let pos = 0;
        let outPos = 0;
        for (const e of r.edits) {
          const gap = original.slice(pos, e.start);
          assert.equal(r.text.slice(outPos, outPos + gap.length), gap);
          rebuilt += gap + original.slice(e.start, e.end);
          outPos += gap.length + e.text.length;
          pos = e.end;
        }
        assert.equal(r.text.slice(outPos), original.slice(pos));
        assert.equal(rebuilt + original.slice(pos), original);
      });

      it('appends a missing key in the file newline style and keeps everything else', () => {
        const r = patchDotenv(original, { CF_ROTATE_NEW: NEW_VALUES[0] });
        assert.deepEqual(r.appended, ['CF_ROTATE_NEW']);
        assert.deepEqual(parse(r.text), { ...expected, CF_ROTATE_NEW: NEW_VALUES[0] });
        const eol = original.includes('\r\n') ? '\r\n' : '\n';
        const sep = /[\r\n]$/.test(original) ? '' : eol;
        assert.equal(r.text, `${original}${sep}CF_ROTATE_NEW=${NEW_VALUES[0]}${eol}`);
      });

      it('is a no-op when the keys already have their values', () => {
        // Only values the writer accepts (no spaces, newlines, empty...) can be re-applied.
        const same = Object.fromEntries(Object.entries(expected).filter(([, v]) => /^[A-Za-z0-9._~+/=-]+$/.test(v)));
        assert.ok(Object.keys(same).length > 0);
        const r = patchDotenv(original, same);
        assert.equal(r.changed, false);
        assert.equal(r.text, original);
        assert.deepEqual(r.edits, []);
      });
    });
  }
});
