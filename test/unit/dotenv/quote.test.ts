/**
 * Every rule of src/core/dotenv/quote.ts, one written-out expectation each: which spellings of a
 * value dotenv reads back unchanged, and which values the writer refuses (with which message).
 * Each spelling marked as fitting is also checked against dotenv.parse itself.
 */
import * as assert from 'node:assert/strict';
import { parse } from 'dotenv';
import {
  CLOUDFLARE_SECRET_CHARSET,
  PatchError,
  assertSafeSecretValue,
  formatValue,
  isCloudflareSecretCharset,
  isPatchError,
  styleFits,
  type ValueStyle,
} from '../../../src/core/dotenv/patch';
import { QUOTED_STYLES } from '../../../src/core/dotenv/quote';

const STYLES: readonly ValueStyle[] = ['none', '"', "'", '`'];

/**
 * value → [none, ", ', `]: does `K=<style>value<style>` (followed by a space and a comment, or by
 * the end of the line) read back as value? Written out by hand from dotenv's rules.
 */
const FITS: Array<[string, string, [boolean, boolean, boolean, boolean]]> = [
  ['plain', 'abc', [true, true, true, true]],
  ['Cloudflare token', 'cfut_AbC0123456789xyz.~+/=-', [true, true, true, true]],
  ['empty (K=, K="", K=\'\' and K=`` are all "")', '', [true, true, true, true]],
  ['space inside', 'a b', [true, true, true, true]],
  ['leading space (dotenv trims bare values)', ' ab', [false, true, true, true]],
  ['trailing space', 'ab ', [false, true, true, true]],
  ['# inside (a comment in a bare value)', 'a#b', [false, true, true, true]],
  ['# first', '#ab', [false, true, true, true]],
  ['# last', 'ab#', [false, true, true, true]],
  ['starts with a double quote', '"ab', [false, false, true, true]],
  ["starts with a single quote", "'ab", [false, true, false, true]],
  ['starts with a backtick', '`ab', [false, true, true, false]],
  ['double quote inside', 'a"b', [true, false, true, true]],
  ['single quote inside', "a'b", [true, true, false, true]],
  ['backtick inside', 'a`b', [true, true, true, false]],
  ['ends with a double quote', 'ab"', [true, false, true, true]],
  ['ends with a single quote', "ab'", [true, true, false, true]],
  ['ends with a backtick', 'ab`', [true, true, true, false]],
  ['trailing backslash (would escape the closing quote)', 'ab\\', [true, false, false, false]],
  ['lone backslash', '\\', [true, false, false, false]],
  ['backslash inside', 'a\\b', [true, true, true, true]],
  ['\\n (double quotes expand it)', 'a\\nb', [true, false, true, true]],
  ['\\r (double quotes expand it)', 'a\\rb', [true, false, true, true]],
  ['\\t (not expanded by dotenv)', 'a\\tb', [true, true, true, true]],
  ['backslash then N (only lower case is expanded)', 'a\\Nb', [true, true, true, true]],
  ['dollar (allowed by styleFits; refused by the safety gate)', 'a$b', [true, true, true, true]],
  ['= inside', 'a=b==', [true, true, true, true]],
  ['every quote, no #', 'a\'b"c`d', [true, false, false, false]],
  ['every quote and a #', 'a\'b"c`d#e', [false, false, false, false]],
  ['space and # and a double quote', 'a #"b', [false, false, true, true]],
];

describe('dotenv quoting: styleFits, rule by rule', () => {
  for (const [name, value, expected] of FITS) {
    it(`${name}: ${JSON.stringify(value)} fits ${STYLES.filter((_s, i) => expected[i]).join(' ') || 'no style'}`, () => {
      assert.deepEqual(
        STYLES.map((s) => styleFits(value, s)),
        expected,
      );
      // A fitting spelling really reads back: at the end of a line and before a comment.
      STYLES.forEach((s, i) => {
        if (!expected[i]) return;
        const token = formatValue(value, s);
        assert.equal(parse(`K=${token}\n`).K, value, `K=${token}`);
        assert.equal(parse(`K=${token} # note\nB=1\n`).K, value, `K=${token} # note`);
      });
    });
  }

  it('the bare and double-quoted refusals are real misreadings by dotenv', () => {
    // (The quote and trailing-backslash refusals are conservative: dotenv's regex backtracks its way
    // to the right value in simple lines, but other readers treat `\<quote>` as an escape.)
    assert.equal(parse('K= ab \n').K, 'ab');
    assert.equal(parse('K=a#b\n').K, 'a');
    assert.equal(parse("K='ab\nB=c'\n").K, 'ab\nB=c'); // a bare leading quote opens a multiline value
    assert.equal(parse('K="a\\nb"\n').K, 'a\nb');
  });
});

describe('dotenv quoting: formatValue and the quote order', () => {
  it('wraps the value in the quote, or leaves it bare', () => {
    assert.equal(formatValue('abc', 'none'), 'abc');
    assert.equal(formatValue('abc', '"'), '"abc"');
    assert.equal(formatValue('abc', "'"), "'abc'");
    assert.equal(formatValue('abc', '`'), '`abc`');
    assert.equal(formatValue('', '"'), '""');
    assert.equal(formatValue('', 'none'), '');
  });

  it('prefers double quotes, then single quotes, then backticks', () => {
    assert.deepEqual(QUOTED_STYLES, ['"', "'", '`']);
  });
});

describe('dotenv quoting: the Cloudflare secret charset', () => {
  it('accepts letters, digits and . _ ~ + / = -', () => {
    for (const v of ['abcXYZ019', 'cfut_x', 'a.b', 'a~b', 'a+b', 'a/b', 'a=b', 'a-b', 'eyJ.eyJ.sig']) {
      assert.equal(isCloudflareSecretCharset(v), true, v);
    }
  });

  it('refuses everything else, and the empty string', () => {
    for (const v of ['', 'a b', 'a#b', "a'b", 'a"b', 'a`b', 'a$b', 'a\\b', 'a\nb', 'a,b', 'a:b', 'é', 'a\0b']) {
      assert.equal(isCloudflareSecretCharset(v), false, JSON.stringify(v));
    }
  });

  it('is anchored at both ends', () => {
    assert.equal(CLOUDFLARE_SECRET_CHARSET.source, '^[A-Za-z0-9._~+/=-]+$');
    assert.equal(isCloudflareSecretCharset(' abc'), false);
    assert.equal(isCloudflareSecretCharset('abc '), false);
  });
});

/** Run the gate and return the error it throws (or undefined). */
function gate(value: unknown, key?: string): PatchError | undefined {
  try {
    assertSafeSecretValue(value as string, key);
    return undefined;
  } catch (e) {
    assert.ok(isPatchError(e), `expected a PatchError, got ${String(e)}`);
    return e;
  }
}

describe('dotenv quoting: assertSafeSecretValue, refusal by refusal', () => {
  const refusals: Array<[string, unknown, string]> = [
    ['not a string', 42, 'The new value for KEY is not a string.'],
    ['empty', '', 'The new value for KEY is empty; refusing to write an empty secret.'],
    ['NUL', 'ab\0cd', 'The new value for KEY contains a NUL character.'],
    ['line feed', 'ab\ncd', 'The new value for KEY contains a line break.'],
    ['carriage return', 'ab\rcd', 'The new value for KEY contains a line break.'],
    ['line separator', 'ab\u2028cd', 'The new value for KEY contains a line break.'],
    ['paragraph separator', 'ab\u2029cd', 'The new value for KEY contains a line break.'],
    ['tab', 'ab\tcd', 'The new value for KEY contains a character outside printable ASCII.'],
    ['DEL', 'ab\x7fcd', 'The new value for KEY contains a character outside printable ASCII.'],
    ['unit separator', 'ab\x1fcd', 'The new value for KEY contains a character outside printable ASCII.'],
    ['non-ASCII', 'abcdé', 'The new value for KEY contains a character outside printable ASCII.'],
    ['dollar', 'ab$cd', 'The new value for KEY contains "$", which dotenv-expand (used by Wrangler for .env files) would expand.'],
    [
      'every quote and a #',
      'a\'b"c`d#e',
      'The new value for KEY cannot be written so that dotenv reads it back unchanged (no quoting style can hold it).',
    ],
    [
      'leading space and a trailing backslash',
      ' ab\\',
      'The new value for KEY cannot be written so that dotenv reads it back unchanged (no quoting style can hold it).',
    ],
  ];
  for (const [name, value, message] of refusals) {
    it(`refuses ${name}, naming the key and not the value`, () => {
      const e = gate(value, 'KEY');
      assert.ok(e, 'refused');
      assert.equal(e.code, 'unsafe-value');
      assert.equal(e.kind, 'file');
      assert.equal(e.message, message);
      assert.equal(e.hint, 'The file was not changed.');
      assert.deepEqual(e.keys, ['KEY']);
    });
  }

  it('without a key, says "The new value" and lists no key', () => {
    const cases: Array<[unknown, string]> = [
      [undefined, 'The new value is not a string.'],
      ['', 'The new value is empty; refusing to write an empty secret.'],
      ['a\0', 'The new value contains a NUL character.'],
      ['a\n', 'The new value contains a line break.'],
      ['aé', 'The new value contains a character outside printable ASCII.'],
      ['a$', 'The new value contains "$", which dotenv-expand (used by Wrangler for .env files) would expand.'],
      ['a\'b"c`d#e', 'The new value cannot be written so that dotenv reads it back unchanged (no quoting style can hold it).'],
    ];
    for (const [value, message] of cases) {
      const e = gate(value);
      assert.ok(e, JSON.stringify(value));
      assert.equal(e.message, message);
      assert.deepEqual(e.keys, []);
    }
  });

  it('checks NUL before line breaks, line breaks before other characters, those before $', () => {
    assert.equal(gate('a\0\n$é', 'K')?.message, 'The new value for K contains a NUL character.');
    assert.equal(gate('a\n$é', 'K')?.message, 'The new value for K contains a line break.');
    assert.equal(gate('a$é', 'K')?.message, 'The new value for K contains a character outside printable ASCII.');
    assert.equal(gate('a$\'"`#', 'K')?.message, 'The new value for K contains "$", which dotenv-expand (used by Wrangler for .env files) would expand.');
  });

  it('accepts every Cloudflare secret and printable ASCII that some style can hold', () => {
    for (const v of [
      'x',
      'cfut_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN0123',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.abc-_~+/=',
      ' ', // quoted: " "
      'a b',
      ' leading and trailing ',
      "it's",
      'say "hi"',
      'a#b',
      'a\\',
      'a\\nb',
      '"\'',
      '!%&()*,:;<>?@[]^{|}',
      'a\'b"c`d', // bare
      '#\'"', // backticks
    ]) {
      assert.equal(gate(v, 'K'), undefined, JSON.stringify(v));
    }
  });
});
