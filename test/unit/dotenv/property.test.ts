/**
 * Property tests: random .env files (comments, blank lines, assignments with every quote style,
 * export, indentation, separator spacing, inline comments, multiline quoted values whose lines look
 * like assignments, LF/CRLF/CR/mixed line endings, BOM, missing final newline) and random secrets.
 * The generator knows where every value is, so the test checks the exact span that must change.
 */
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse } from 'dotenv';
import {
  PatchError,
  assertSafeSecretValue,
  patchDotenv,
  readDotenvValue,
  scanDotenv,
  type QuoteChar,
} from '../../../src/core/dotenv/patch';
import { applyEdits, junkDotenv, unspell } from './helpers';

const KEYS = ['KEY', 'KEY_OLD', 'MY_KEY', 'KEY2', 'api.token', 'a-b', 'K', 'DB_URL'];
const CF_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~+/=-'.split('');

type Eol = '\n' | '\r\n' | '\r';

interface Assign {
  kind: 'assign';
  indent: string;
  exp: string;
  key: string;
  sep: string;
  quote: QuoteChar | null;
  /** Value lines (more than one only when quoted). */
  inner: string[];
  trail: string;
  comment: string;
}
interface Other {
  kind: 'blank' | 'comment';
  text: string;
}

const join = (a: string[]): string => a.join('');
const chars = (s: string): fc.Arbitrary<string> => fc.constantFrom(...s.split(''));

const safeUnquotedChar = chars('abcXYZ019_./:@{}=,+-~\\$');
const unquotedValue = fc.oneof(
  { weight: 1, arbitrary: fc.constant('') },
  {
    weight: 5,
    arbitrary: fc
      .tuple(safeUnquotedChar, fc.array(fc.oneof(safeUnquotedChar, chars(` '"\``)), { maxLength: 12 }).map(join), safeUnquotedChar)
      .map(([a, b, c]) => a + b + c),
  },
  { weight: 1, arbitrary: safeUnquotedChar },
);

function quotedLine(q: QuoteChar): fc.Arbitrary<string> {
  const other = `'"\``.replace(q, '');
  const tokens = [
    chars(`abcXYZ019 #=:_-${other}`),
    fc.constantFrom('KEY=inside', 'export KEY=x', '# KEY=c', 'MY_KEY: y', '  KEY = z'),
    fc.constant(`\\${q}`), // an escaped quote: part of the value in every style
  ];
  if (q === '"') tokens.push(fc.constant('\\n'));
  return fc.array(fc.oneof(...tokens), { maxLength: 6 }).map(join);
}

const assignLine: fc.Arbitrary<Assign> = fc
  .record({
    indent: fc.constantFrom('', '', ' ', '  ', '\t'),
    exp: fc.constantFrom('', '', 'export ', 'export  ', 'export\t'),
    key: fc.constantFrom(...KEYS),
    sep: fc.constantFrom('=', '=', ' = ', ' =', '= ', '\t=\t', ': '),
    quote: fc.constantFrom<QuoteChar | null>(null, null, "'", '"', '`'),
    trail: fc.constantFrom('', '', ' ', '  ', '\t'),
    comment: fc.constantFrom('', '', '# note', '#x', "# it's", '# KEY=old', '#"q"'),
  })
  .chain((r) =>
    (r.quote === null
      ? unquotedValue.map((v) => [v])
      : fc.oneof(
          { weight: 3, arbitrary: quotedLine(r.quote).map((l) => [l]) },
          { weight: 1, arbitrary: fc.array(quotedLine(r.quote), { minLength: 2, maxLength: 4 }) },
        )
    ).map((inner): Assign => ({ kind: 'assign', ...r, inner })),
  );

const otherLine: fc.Arbitrary<Other> = fc.oneof(
  fc.constantFrom('', ' ', '\t ').map((text): Other => ({ kind: 'blank', text })),
  fc
    .constantFrom('# comment', '#KEY=commented', '  # KEY="x"', "# it's", '# export KEY=1', '#')
    .map((text): Other => ({ kind: 'comment', text })),
);

const fileSpec = fc.record({
  bom: fc.boolean(),
  eolMode: fc.constantFrom<Eol | 'mixed'>('\n', '\r\n', '\r', 'mixed'),
  lines: fc.array(fc.oneof({ weight: 3, arbitrary: assignLine }, { weight: 2, arbitrary: otherLine }), { maxLength: 14 }),
  // per-line endings for 'mixed' (also used inside multiline values)
  eols: fc.array(fc.constantFrom<Eol>('\n', '\r\n', '\r'), { minLength: 80, maxLength: 80 }),
  finalNewline: fc.boolean(),
});
type FileSpec = typeof fileSpec extends fc.Arbitrary<infer T> ? T : never;

interface Occurrence {
  key: string;
  quote: QuoteChar | null;
  value: string;
  outerStart: number;
  outerEnd: number;
  innerStart: number;
  innerEnd: number;
  /** For an empty unquoted value: where the new value may go (after `=`/`:`, before the comment). */
  regionStart: number;
  regionEnd: number;
}

interface Built {
  text: string;
  occurrences: Occurrence[];
  expected: Record<string, string>;
  eol: Eol | 'mixed';
}

function build(spec: FileSpec): Built {
  let eolIndex = 0;
  const nextEol = (): Eol => (spec.eolMode === 'mixed' ? spec.eols[eolIndex++ % spec.eols.length] : spec.eolMode);
  let text = spec.bom ? '\uFEFF' : '';
  const occurrences: Occurrence[] = [];
  const expected: Record<string, string> = {};
  spec.lines.forEach((line, i) => {
    if (line.kind !== 'assign') {
      text += line.text;
    } else {
      text += line.indent + line.exp + line.key;
      const sepChar = line.sep.search(/[=:]/);
      const regionStart = text.length + sepChar + 1;
      text += line.sep;
      const outerStart = text.length;
      const q = line.quote ?? '';
      text += q;
      const innerStart = text.length;
      line.inner.forEach((l, j) => {
        text += l;
        if (j < line.inner.length - 1) text += nextEol();
      });
      const innerEnd = text.length;
      text += q;
      const outerEnd = text.length;
      text += line.trail;
      const regionEnd = text.length;
      text += line.comment;
      // dotenv reads any \r\n, \r or \n as one line break (a \r ending one inner line and a \n
      // ending the next form a single CRLF).
      let value = text.slice(innerStart, innerEnd).replace(/\r\n?/g, '\n');
      if (line.quote === '"') value = value.replace(/\\n/g, '\n').replace(/\\r/g, '\r');
      expected[line.key] = value;
      occurrences.push({ key: line.key, quote: line.quote, value, outerStart, outerEnd, innerStart, innerEnd, regionStart, regionEnd });
    }
    if (i < spec.lines.length - 1 || spec.finalNewline) text += nextEol();
  });
  return { text, occurrences, expected, eol: spec.eolMode };
}

const cfSecret = fc.array(fc.constantFrom(...CF_CHARS), { minLength: 1, maxLength: 64 }).map(join);
const printableSecret = fc
  .array(fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), { minLength: 1, maxLength: 20 })
  .map(join)
  .filter((v) => {
    try {
      assertSafeSecretValue(v);
      return true;
    } catch {
      return false;
    }
  });
const newValue = fc.oneof({ weight: 4, arbitrary: cfSecret }, { weight: 1, arbitrary: printableSecret });
const isCf = (v: string): boolean => /^[A-Za-z0-9._~+/=-]+$/.test(v);

/**
 * The quoting rule, written here independently of the code under test (quote.ts): a value keeps
 * the existing quote unless it contains that quote or ends with a backslash (which would escape
 * the closing quote), and double quotes also refuse `\n` / `\r` (dotenv expands them there).
 */
function keepsQuote(value: string, q: QuoteChar): boolean {
  if (value.includes(q) || value.endsWith('\\')) return false;
  return !(q === '"' && (value.includes('\\n') || value.includes('\\r')));
}

describe('patchDotenv properties', () => {
  it('generated files parse as the generator intends (generator sanity)', () => {
    fc.assert(
      fc.property(fileSpec, (spec) => {
        const b = build(spec);
        assert.deepEqual(parse(b.text), b.expected);
        assert.equal(scanDotenv(b.text).length, b.occurrences.length);
      }),
      { numRuns: 300 },
    );
  });

  it('changes exactly the value spans of the key, and dotenv sees only that key change', function () {
    this.timeout(20000);
    fc.assert(
      fc.property(fileSpec, fc.constantFrom(...KEYS, 'ABSENT_KEY', 'KEY_NEW'), newValue, (spec, key, value) => {
        const b = build(spec);
        const original = b.text;
        const r = patchDotenv(original, [{ key, value }]);

        // dotenv.parse invariant
        const before = parse(original);
        assert.deepEqual(parse(r.text), { ...before, [key]: value });

        // Every byte outside the edits is unchanged (edits are ascending and disjoint).
        assert.equal(applyEdits(original, r.edits), r.text);

        const occ = b.occurrences.filter((o) => o.key === key);
        if (occ.length === 0) {
          assert.deepEqual(r.appended, [key]);
          assert.equal(r.edits.length, 1);
          const e = r.edits[0];
          assert.equal(e.start, original.length);
          assert.equal(e.end, original.length);
          const body = original.startsWith('\uFEFF') ? original.slice(1) : original;
          const needsBreak = body.length > 0 && !/[\r\n]$/.test(body);
          const m = /^(\r\n|\r|\n)?([\w.-]+)=(.*?)(\r\n|\r|\n)$/s.exec(e.text);
          assert.ok(m, 'append shape');
          assert.equal(m[1] !== undefined, needsBreak, 'line break before the appended line');
          assert.equal(m[2], key);
          assert.equal(unspell(m[3]), value);
          if (isCf(value)) assert.equal(m[3], value);
          if (b.eol !== 'mixed' && original.length > 0 && /[\r\n]/.test(original)) assert.equal(m[4], b.eol);
        } else {
          assert.deepEqual(r.appended, []);
          const toChange = occ.filter((o) => o.value !== value);
          assert.equal(r.edits.length, toChange.length);
          assert.deepEqual(r.duplicates, occ.length > 1 ? [key] : []);
          toChange.forEach((o, i) => {
            const e = r.edits[i];
            assert.deepEqual(e.keys, [key]);
            if (o.quote !== null) {
              if (isCf(value) || keepsQuote(value, o.quote)) {
                // Existing quote style kept: exactly the text between the quotes is replaced.
                assert.deepEqual([e.start, e.end, e.text], [o.innerStart, o.innerEnd, value]);
              } else {
                assert.deepEqual([e.start, e.end], [o.outerStart, o.outerEnd]);
                assert.equal(unspell(e.text), value);
              }
            } else if (o.innerEnd > o.innerStart) {
              assert.deepEqual([e.start, e.end], [o.innerStart, o.innerEnd]);
              if (isCf(value)) assert.equal(e.text, value);
              else assert.equal(unspell(e.text), value);
            } else {
              assert.ok(o.regionStart <= e.start && e.end <= o.regionEnd, 'empty value filled in place');
              assert.equal(unspell(e.text), value);
            }
          });
        }

        // Every assignment now holds the value; patching again is a no-op.
        const read = readDotenvValue(r.text, key);
        assert.deepEqual(read, { value, occurrences: Math.max(1, occ.length), distinctValues: [value] });
        const again = patchDotenv(r.text, { [key]: value });
        assert.equal(again.changed, false);
        assert.equal(again.text, r.text);
      }),
      { numRuns: 600 },
    );
  });

  it('patches several keys at once with the same edits as patching each alone', () => {
    fc.assert(
      fc.property(fileSpec, fc.uniqueArray(fc.constantFrom(...KEYS, 'ABSENT_KEY', 'KEY_NEW'), { minLength: 2, maxLength: 4 }), cfSecret, (spec, keys, value) => {
        const b = build(spec);
        const updates = keys.map((key, i) => ({ key, value: `${value}${i}` }));
        const all = patchDotenv(b.text, updates);
        const expected: Record<string, string> = { ...parse(b.text) };
        for (const u of updates) expected[u.key] = u.value;
        assert.deepEqual(parse(all.text), expected);
        assert.equal(applyEdits(b.text, all.edits), all.text);

        const singles = updates.map((u) => patchDotenv(b.text, [u]));
        // (an append, when there is one, is always the last edit)
        const inPlace = singles.flatMap((r) => (r.appended.length > 0 ? r.edits.slice(0, -1) : r.edits));
        inPlace.sort((x, y) => x.start - y.start);
        const allInPlace = all.appended.length > 0 ? all.edits.slice(0, -1) : all.edits;
        assert.deepEqual(allInPlace, inPlace);
        assert.deepEqual(all.appended, updates.filter((_u, i) => singles[i].appended.length > 0).map((u) => u.key));
        if (all.appended.length > 0) {
          const block = all.edits[all.edits.length - 1].text;
          const lines = block.split(/\r\n|\r|\n/).filter((l) => l !== '');
          assert.deepEqual(lines, all.appended.map((k) => `${k}=${expected[k]}`));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('on adversarial text it either refuses or returns a patch that only changes the key', () => {
    let refused = 0;
    let runs = 0;
    fc.assert(
      fc.property(junkDotenv(), fc.constantFrom('A', 'K', 'KEY', 'b', 'K.1', 'a-b', 'NEW'), cfSecret, (text, key, secret) => {
        const value = `Secret.${secret}`;
        runs++;
        let r;
        try {
          r = patchDotenv(text, { [key]: value });
        } catch (e) {
          assert.ok(e instanceof PatchError, String(e));
          assert.ok(e.code === 'verify-failed' || e.code === 'unsafe-value', e.code);
          assert.ok(!e.message.includes(value));
          refused++;
          return;
        }
        assert.deepEqual(parse(r.text), { ...parse(text), [key]: value });
        assert.equal(applyEdits(text, r.edits), r.text);
        const spans = scanDotenv(text).filter((a) => a.key === key);
        for (const e of r.edits) {
          if (e.start === text.length && r.appended.length > 0) continue;
          assert.ok(spans.some((a) => a.keyEnd <= e.start && e.end <= a.matchEnd), 'edit inside an assignment of the key');
        }
      }),
      { numRuns: 1000 },
    );
    assert.ok(refused < runs / 10, `refused ${refused} of ${runs}`);
  });
});
