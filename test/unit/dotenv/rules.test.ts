/**
 * The .env patcher's remaining rules, each with its expected output written out: error codes,
 * kinds, hints and messages; how a new quote style is chosen; the file's newline; the in-memory
 * verification (fed what a faulty planner could produce); the scanner's spans and value steps.
 */
import * as assert from 'node:assert/strict';
import { parse } from 'dotenv';
import {
  PatchError,
  detectEol,
  dotenvValueOf,
  isPatchError,
  patchDotenv,
  scanDotenv,
  verifyPatch,
  type DotenvAssignment,
  type PatchErrorCode,
} from '../../../src/core/dotenv/patch';
import { CfRotateError } from '../../../src/core/errors';

function thrown(fn: () => unknown): PatchError {
  try {
    fn();
  } catch (e) {
    assert.ok(isPatchError(e), `expected a PatchError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a PatchError');
}

describe('PatchError: kind and hint of every code', () => {
  const table: Array<[PatchErrorCode, string, string]> = [
    ['unsafe-value', 'file', 'The file was not changed.'],
    ['invalid-key', 'config', 'Use a key made of letters, digits, "_", "." or "-".'],
    ['invalid-update', 'internal', 'The file was not changed.'],
    ['binary', 'file', 'Point the target at a text .env file.'],
    ['verify-failed', 'file', 'The file was not changed. Edit the surrounding lines (for example an unclosed quote) and try again.'],
  ];
  for (const [code, kind, hint] of table) {
    it(`${code}: kind ${kind}, its hint, the message as given, no keys by default`, () => {
      const e = new PatchError(code, 'What happened.');
      assert.ok(e instanceof CfRotateError);
      assert.equal(e.name, 'PatchError');
      assert.equal(e.code, code);
      assert.equal(e.kind, kind);
      assert.equal(e.hint, hint);
      assert.equal(e.message, 'What happened.');
      assert.equal(e.userMessage, `What happened. ${hint}`);
      assert.deepEqual(e.keys, []);
      assert.deepEqual(e.toJSON(), { kind, message: 'What happened.', hint });
    });
  }

  it('keeps a copy of the keys it was given', () => {
    const keys = ['A', 'B'];
    const e = new PatchError('invalid-key', 'm', keys);
    keys.push('C');
    assert.deepEqual(e.keys, ['A', 'B']);
  });

  it('isPatchError tells it apart from other errors', () => {
    assert.equal(isPatchError(new PatchError('binary', 'm')), true);
    assert.equal(isPatchError(new CfRotateError('file', 'm')), false);
    assert.equal(isPatchError(new Error('m')), false);
    assert.equal(isPatchError(undefined), false);
  });
});

describe('patchDotenv: refusals, message by message', () => {
  const cases: Array<[string, () => unknown, PatchErrorCode, string, string[]]> = [
    ['binary input', () => patchDotenv('A=1\0', { A: 'x' }), 'binary', 'The .env content contains NUL characters; it is not a text .env file.', []],
    ['input that is not text', () => patchDotenv(42 as unknown as string, { A: 'x' }), 'binary', 'The .env content is not text.', []],
    ['updates that are null', () => patchDotenv('', null as unknown as Record<string, string>), 'invalid-update', 'The updates must be a list of {key, value} or an object of key → value.', []],
    ['updates that are a string', () => patchDotenv('', 'A=x' as unknown as Record<string, string>), 'invalid-update', 'The updates must be a list of {key, value} or an object of key → value.', []],
    ['an update that is null', () => patchDotenv('', [null as unknown as { key: string; value: string }]), 'invalid-update', 'An update is not a {key, value} object.', []],
    ['an update that is a string', () => patchDotenv('', ['A=x' as unknown as { key: string; value: string }]), 'invalid-update', 'An update is not a {key, value} object.', []],
    ['a value that is not a string', () => patchDotenv('', [{ key: 'A', value: 42 as unknown as string }]), 'invalid-update', 'The new value for A is not a string.', ['A']],
    ['a key that is not a string', () => patchDotenv('', [{ key: 7 as unknown as string, value: 'x' }]), 'invalid-key', 'A key is not a valid dotenv key (letters, digits, "_", "." and "-" only).', []],
    ['a key with a space', () => patchDotenv('', { 'A B': 'x' }), 'invalid-key', 'A key is not a valid dotenv key (letters, digits, "_", "." and "-" only).', []],
    ['__proto__', () => patchDotenv('', [{ key: '__proto__', value: 'x' }]), 'invalid-key', 'The key __proto__ cannot be read back by dotenv.parse.', ['__proto__']],
    [
      'a key given twice with different values',
      () => patchDotenv('', [{ key: 'A', value: 'x' }, { key: 'A', value: 'y' }]),
      'invalid-update',
      'A is given twice with different values.',
      ['A'],
    ],
  ];
  for (const [name, fn, code, message, keys] of cases) {
    it(name, () => {
      const e = thrown(fn);
      assert.equal(e.code, code);
      assert.equal(e.message, message);
      assert.deepEqual(e.keys, keys);
    });
  }
});

describe('patchDotenv: choosing a new quote style', () => {
  const cases: Array<[string, string, string, string]> = [
    // [name, before, value, after]
    ['backticks that cannot hold it → double quotes', 'K=`old`\n', 'a`b', 'K="a`b"\n'],
    ['double quotes that cannot hold it → single quotes', 'K="old"\n', 'a"b', "K='a\"b'\n"],
    ['double and single quotes cannot → backticks', 'K="old"\n', 'a"b\'c', 'K=`a"b\'c`\n'],
    ['no quote can hold it → bare', 'K="old"\n', 'a\'b"c`d', 'K=a\'b"c`d\n'],
    ['bare after a space before the quote', 'K= "old" # c\n', 'a\'b"c`d', 'K= a\'b"c`d # c\n'],
    ['an unquoted value that needs quotes → double quotes', 'K=old\n', 'a#b', 'K="a#b"\n'],
    ['… or single quotes when double cannot', 'K=old\n', 'a#"b', 'K=\'a#"b\'\n'],
    ['… or backticks when neither can', 'K=old\n', '#"\'', 'K=`#"\'`\n'],
    ['a value with a trailing backslash stays bare', 'K=old\n', 'ab\\', 'K=ab\\\n'],
    ['quoted, and the value ends with a backslash → bare', "K='old'\n", 'ab\\', 'K=ab\\\n'],
    ['an empty value after a spaced = elsewhere on an earlier line', '# a comment = x\nKEY=\n', 'v', '# a comment = x\nKEY=v\n'],
  ];
  for (const [name, before, value, after] of cases) {
    it(name, () => {
      const r = patchDotenv(before, { [before.includes('KEY') ? 'KEY' : 'K']: value });
      assert.equal(r.text, after);
      assert.equal(parse(r.text)[before.includes('KEY') ? 'KEY' : 'K'], value, 'dotenv reads it back');
    });
  }

  it('never makes a quoted value on the line after its key bare; refuses instead', () => {
    const e = thrown(() => patchDotenv("K=\n'old'\n", { K: 'a\'b"c`d' }));
    assert.equal(e.code, 'unsafe-value');
    assert.equal(e.message, 'The new value for K cannot be spelled at its position in the file so that dotenv reads it back unchanged.');
    assert.deepEqual(e.keys, ['K']);
    // A style that works on the later line is still used.
    assert.equal(patchDotenv("K=\n'old'\n", { K: "it's" }).text, 'K=\n"it\'s"\n');
  });
});

describe('patchDotenv: results without edits', () => {
  it('an empty update list: the text as it was and empty lists', () => {
    assert.deepEqual(patchDotenv('A=1\n', []), { text: 'A=1\n', changed: false, updated: [], appended: [], duplicates: [], edits: [] });
    assert.deepEqual(patchDotenv('A=1\n', {}), { text: 'A=1\n', changed: false, updated: [], appended: [], duplicates: [], edits: [] });
  });

  it('every key already holds its value: reports the duplicates, changes nothing', () => {
    assert.deepEqual(patchDotenv('K=v\nK=v\nJ=w\n', { K: 'v', J: 'w' }), {
      text: 'K=v\nK=v\nJ=w\n',
      changed: false,
      updated: [],
      appended: [],
      duplicates: ['K'],
      edits: [],
    });
  });

  it('reports the exact edits: the rewritten value, then the appended block', () => {
    assert.deepEqual(patchDotenv('A=1\nK="old" # c\n', { K: 'new', Z: 'z' }), {
      text: 'A=1\nK="new" # c\nZ=z\n',
      changed: true,
      updated: ['K'],
      appended: ['Z'],
      duplicates: [],
      edits: [
        { start: 7, end: 10, text: 'new', keys: ['K'] },
        { start: 16, end: 16, text: 'Z=z\n', keys: ['Z'] },
      ],
    });
  });
});

describe('detectEol: the most common newline of the file', () => {
  const table: Array<[string, string, string]> = [
    ['no newline at all', 'A=1', '\n'],
    ['empty', '', '\n'],
    ['LF', 'A\nB\n', '\n'],
    ['CRLF', 'A\r\nB\r\n', '\r\n'],
    ['lone CR', 'A\rB\r', '\r'],
    ['more LF than CRLF', 'A\nB\nC\r\n', '\n'],
    ['more CRLF than LF', 'A\r\nB\r\nC\n', '\r\n'],
    ['CRLF and LF tied → LF', 'A\r\nB\n', '\n'],
    ['CRLF and CR tied, no LF → CRLF', 'A\r\nB\r', '\r\n'],
    ['more CR than CRLF → CR', 'A\r\nB\rC\r', '\r'],
    ['more LF than CR → LF', 'A\nB\nC\r', '\n'],
    ['LF and CR tied → LF', 'A\nB\r', '\n'],
    ['CR, CRLF and LF once each → LF', 'A\rB\r\nC\n', '\n'],
  ];
  for (const [name, text, eol] of table) {
    it(name, () => assert.equal(detectEol(text), eol));
  }
});

describe('verifyPatch: what it refuses (fed the output of a faulty planner)', () => {
  const wanted = (o: Record<string, string>): Map<string, string> => new Map(Object.entries(o));
  const counts = (o: Record<string, number> = {}): Map<string, number> => new Map(Object.entries(o));
  function refusal(original: string, text: string, w: Record<string, string>, c: Record<string, number> = {}): PatchError {
    const e = thrown(() => verifyPatch(original, text, wanted(w), counts(c)));
    assert.equal(e.code, 'verify-failed');
    return e;
  }

  it('accepts a patch that changes only the wanted keys, every assignment of them', () => {
    verifyPatch('A=1\nK=old\nK=old\n', 'A=1\nK=v\nK=v\n', wanted({ K: 'v' }), counts({ K: 2 }));
    verifyPatch('A=1\n', 'A=1\nK=v\n', wanted({ K: 'v' }), counts());
    verifyPatch('K=old\n', 'K=v\n', wanted({ K: 'v' }), counts({ K: 1 }));
  });

  it('another key whose value changed', () => {
    const e = refusal('A=1\nB=2\n', 'A=1\nB=3\nK=v\n', { K: 'v' });
    assert.equal(e.message, 'Refusing to patch the .env text: it would also change B.');
    assert.deepEqual(e.keys, ['B']);
  });

  it('another key that disappeared', () => {
    const e = refusal('A=1\nB=2\n', 'A=1\nK=v\n', { K: 'v' });
    assert.equal(e.message, 'Refusing to patch the .env text: it would also change B.');
  });

  it('another key that appeared', () => {
    const e = refusal('A=1\n', 'A=1\nX=2\nK=v\n', { K: 'v' });
    assert.equal(e.message, 'Refusing to patch the .env text: it would also change X.');
    assert.deepEqual(e.keys, ['X']);
  });

  it('a wanted key that is missing', () => {
    const e = refusal('A=1\n', 'A=1\n', { K: 'v' });
    assert.equal(e.message, 'Refusing to patch the .env text: K would not read back as the new value.');
    assert.deepEqual(e.keys, ['K']);
  });

  it('a wanted key with another value', () => {
    const e = refusal('K=old\n', 'K=vv\n', { K: 'v' }, { K: 1 });
    assert.equal(e.message, 'Refusing to patch the .env text: K would not read back as the new value.');
  });

  it('an earlier assignment of a wanted key left stale, even though the last one is right', () => {
    const e = refusal('K=old\nK=old\n', 'K=old\nK=v\n', { K: 'v' }, { K: 2 });
    assert.equal(e.message, 'Refusing to patch the .env text: K would not read back as the new value.');
  });

  it('a wanted key assigned more or fewer times than before', () => {
    assert.equal(refusal('K=old\n', 'K=v\nK=v\n', { K: 'v' }, { K: 1 }).message, 'Refusing to patch the .env text: K would not read back as the new value.');
    assert.equal(refusal('A=1\n', 'A=1\nK=v\nK=v\n', { K: 'v' }).message, 'Refusing to patch the .env text: K would not read back as the new value.');
  });

  it('both at once: collateral first, then the wanted keys; keys lists the wanted keys first', () => {
    const e = refusal('A=1\nB=2\n', 'A=9\nB=2\n', { K: 'v' });
    assert.equal(e.message, 'Refusing to patch the .env text: it would also change A; K would not read back as the new value.');
    assert.deepEqual(e.keys, ['K', 'A']);
  });

  it('names at most ten keys per reason', () => {
    const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `C${i + 1}`);
    const lines = (n: number, v: string): string => names(n).map((k) => `${k}=${v}\n`).join('');
    assert.equal(
      refusal(lines(10, '1'), `${lines(10, '2')}K=v\n`, { K: 'v' }).message,
      'Refusing to patch the .env text: it would also change C1, C2, C3, C4, C5, C6, C7, C8, C9, C10.',
    );
    assert.equal(
      refusal(lines(11, '1'), `${lines(11, '2')}K=v\n`, { K: 'v' }).message,
      'Refusing to patch the .env text: it would also change C1, C2, C3, C4, C5, C6, C7, C8, C9, C10 and 1 more.',
    );
    const e = refusal(lines(13, '1'), `${lines(13, '2')}K=v\n`, { K: 'v' });
    assert.equal(e.message, 'Refusing to patch the .env text: it would also change C1, C2, C3, C4, C5, C6, C7, C8, C9, C10 and 3 more.');
    assert.equal(e.keys.length, 13, 'keys lists them all');
  });

  it('through patchDotenv: a last `K:` with a lone CR swallows the appended line, and the file is refused', () => {
    // `K:` + CR is an assignment of K with an empty value; an appended line would become its value.
    // The retry with a blank line adds LF after the CR, which dotenv reads as one CRLF: refused.
    const e = thrown(() => patchDotenv('A=1\nK:\r', { NEW: 'v' }));
    assert.equal(e.message, 'Refusing to patch the .env text: it would also change K; NEW would not read back as the new value.');
    assert.deepEqual(e.keys, ['NEW', 'K']);
  });
});

describe('scanDotenv: spans and flags, written out', () => {
  it('an export with spaces, a quoted value and a comment; then a plain line', () => {
    const text = 'export K = "v" # c\nB=x\n';
    const expected: DotenvAssignment[] = [
      { key: 'K', value: 'v', quote: '"', colon: false, keyStart: 7, keyEnd: 8, separatorEnd: 10, rawPresent: true, rawStart: 10, rawEnd: 14, valueStart: 11, valueEnd: 14, innerStart: 12, innerEnd: 13, matchEnd: 18 },
      { key: 'B', value: 'x', quote: null, colon: false, keyStart: 19, keyEnd: 20, separatorEnd: 21, rawPresent: true, rawStart: 21, rawEnd: 22, valueStart: 21, valueEnd: 22, innerStart: 21, innerEnd: 22, matchEnd: 23 },
    ];
    assert.deepEqual(scanDotenv(text), expected);
  });

  it('the colon form with empty quotes and an empty value, with CRLF offsets mapped back', () => {
    const text = "C: ''\r\nD=\r\n";
    const expected: DotenvAssignment[] = [
      { key: 'C', value: '', quote: "'", colon: true, keyStart: 0, keyEnd: 1, separatorEnd: 3, rawPresent: true, rawStart: 3, rawEnd: 5, valueStart: 3, valueEnd: 5, innerStart: 4, innerEnd: 4, matchEnd: 5 },
      { key: 'D', value: '', quote: null, colon: false, keyStart: 7, keyEnd: 8, separatorEnd: 9, rawPresent: false, rawStart: 9, rawEnd: 9, valueStart: 9, valueEnd: 9, innerStart: 9, innerEnd: 9, matchEnd: 11 },
    ];
    assert.deepEqual(scanDotenv(text), expected);
  });

  it('only the wanted keys', () => {
    assert.deepEqual(
      scanDotenv('A=1\nB=2\nA=3\n', (k) => k === 'A').map((a) => [a.key, a.value, a.keyStart]),
      [
        ['A', '1', 0],
        ['A', '3', 8],
      ],
    );
  });

  it('refuses what is not text', () => {
    assert.equal(thrown(() => scanDotenv('A=\0')).message, 'The .env content contains NUL characters; it is not a text .env file.');
    assert.equal(thrown(() => scanDotenv(undefined as unknown as string)).message, 'The .env content is not text.');
  });
});

describe("dotenvValueOf: dotenv's value steps", () => {
  const table: Array<[string, string]> = [
    ['  plain  ', 'plain'],
    ['"double"', 'double'],
    ["'single'", 'single'],
    ['`back`', 'back'],
    ['  "a\\nb\\rc"  ', 'a\nb\rc'],
    ["'a\\nb\\rc'", 'a\\nb\\rc'],
    ['`a\\nb`', 'a\\nb'],
    ['a\\nb', 'a\\nb'],
    ['"unclosed', '"unclosed'],
    ['"a"b"', 'a"b'],
    ["'multi\nline'", 'multi\nline'],
    ['"mixed\'', '"mixed\''],
    ['', ''],
  ];
  for (const [raw, value] of table) {
    it(`${JSON.stringify(raw)} → ${JSON.stringify(value)}`, () => assert.equal(dotenvValueOf(raw), value));
  }
});
