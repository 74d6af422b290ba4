/** Hand-written cases, one per rule of the .env patcher. */
import * as assert from 'node:assert/strict';
import { parse } from 'dotenv';
import {
  PatchError,
  assertSafeSecretValue,
  patchDotenv,
  readDotenvValue,
  type PatchErrorCode,
  type PatchResult,
} from '../../../src/core/dotenv/patch';
import { applyEdits } from './helpers';

const NEW = 'cfut_NewValue0123456789abcdefghijklmnopqrstuv';

/** Patch one key and check the universal invariants; return the result. */
function patch(original: string, key: string, value = NEW): PatchResult {
  const r = patchDotenv(original, [{ key, value }]);
  assert.equal(applyEdits(original, r.edits), r.text, 'edits reproduce the text');
  assert.deepEqual(parse(r.text), { ...parse(original), [key]: value }, 'dotenv.parse invariant');
  return r;
}

function expectCode(fn: () => unknown, code: PatchErrorCode): PatchError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PatchError, `expected PatchError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected PatchError ${code}`);
}

describe('patchDotenv: keeps everything but the value', () => {
  const cases: Array<[string, string, string]> = [
    ['plain', 'KEY=old\n', `KEY=${NEW}\n`],
    ['export', 'export KEY=old\n', `export KEY=${NEW}\n`],
    ['export, indentation and spacing', '  export   KEY  =  old   # note\n', `  export   KEY  =  ${NEW}   # note\n`],
    ['tab indentation', '\tKEY=old\n', `\tKEY=${NEW}\n`],
    ['single quotes', "KEY='old'\n", `KEY='${NEW}'\n`],
    ['double quotes', 'KEY="old"\n', `KEY="${NEW}"\n`],
    ['backticks', 'KEY=`old`\n', `KEY=\`${NEW}\`\n`],
    ['quoted with spaces inside', "KEY='  old  '\n", `KEY='${NEW}'\n`],
    ['quoted then comment', 'KEY="old" # it\'s "fine"\n', `KEY="${NEW}" # it's "fine"\n`],
    ['inline comment', 'KEY=old # note\n', `KEY=${NEW} # note\n`],
    ['inline comment without space', 'KEY=old#note\n', `KEY=${NEW}#note\n`],
    ['spaces around =', 'KEY = old\n', `KEY = ${NEW}\n`],
    ['trailing spaces kept', 'KEY=   old   \n', `KEY=   ${NEW}   \n`],
    ['colon form', 'KEY: old\n', `KEY: ${NEW}\n`],
    ['colon form quoted', "KEY: 'old'\n", `KEY: '${NEW}'\n`],
    ['value containing =', 'KEY=a=b==\n', `KEY=${NEW}\n`],
    ['value with spaces inside', 'KEY=inline comments # x\n', `KEY=${NEW} # x\n`],
    ['CRLF', 'A=1\r\nKEY=old\r\nB=2\r\n', `A=1\r\nKEY=${NEW}\r\nB=2\r\n`],
    ['lone CR', 'A=1\rKEY=old\rB=2\r', `A=1\rKEY=${NEW}\rB=2\r`],
    ['mixed line endings', 'A=1\r\nKEY=old\rB=2\n', `A=1\r\nKEY=${NEW}\rB=2\n`],
    ['BOM', '\uFEFFKEY=old\nB=2\n', `\uFEFFKEY=${NEW}\nB=2\n`],
    ['no final newline', 'A=1\nKEY=old', `A=1\nKEY=${NEW}`],
    ['no final newline, quoted', 'A=1\nKEY="old"', `A=1\nKEY="${NEW}"`],
    ['empty', 'KEY=\nB=2\n', `KEY=${NEW}\nB=2\n`],
    ['empty with spaced =', 'KEY =\n', `KEY = ${NEW}\n`],
    ['empty with trailing space', 'KEY= \n', `KEY=${NEW}\n`],
    ['empty before comment', 'KEY= # note\n', `KEY=${NEW} # note\n`],
    ['empty directly before comment', 'KEY=#note\n', `KEY=${NEW} #note\n`],
    ['empty single quotes', "KEY=''\n", `KEY='${NEW}'\n`],
    ['empty double quotes', 'KEY=""\n', `KEY="${NEW}"\n`],
    ['empty backticks', 'KEY=``\n', `KEY=\`${NEW}\`\n`],
    ['empty colon form', 'KEY: \nB=2\n', `KEY: ${NEW}\nB=2\n`],
    ['empty colon form at end of file', 'KEY: ', `KEY: ${NEW}`],
    ['colon then line break (dotenv reads an empty value)', 'KEY:\n\nB=2\n', `KEY: ${NEW}\n\nB=2\n`],
    ['value on the line after the quote opens', 'KEY=\n"old"\n', `KEY=\n"${NEW}"\n`],
    ['alt-4 value wrapped in quotes', "KEY='a'b'\n", `KEY='${NEW}'\n`],
    ['unclosed quote', 'KEY="abc\nB=2\n', `KEY=${NEW}\nB=2\n`],
    ['non-ASCII neighbours', 'É=1\nKEY=old # café ☕\nZ="ünï"\n', `É=1\nKEY=${NEW} # café ☕\nZ="ünï"\n`],
  ];
  for (const [name, before, after] of cases) {
    it(name, () => {
      const r = patch(before, 'KEY');
      assert.equal(r.text, after);
      assert.equal(r.changed, true);
      assert.deepEqual(r.updated, ['KEY']);
      assert.deepEqual(r.appended, []);
    });
  }
});

describe('patchDotenv: multiline values', () => {
  const pem = ['-----BEGIN PRIVATE KEY-----', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC', 'KEY=inside-the-pem', '-----END PRIVATE KEY-----'];
  for (const q of ['"', "'", '`']) {
    for (const eol of ['\n', '\r\n', '\r']) {
      const label = `${q} quotes, ${JSON.stringify(eol)}`;
      it(`replaces a whole multiline value (${label})`, () => {
        const before = ['A=1', `KEY=${q}${pem.join(eol)}${q}`, 'B=2', ''].join(eol);
        const r = patch(before, 'KEY');
        assert.equal(r.text, ['A=1', `KEY=${q}${NEW}${q}`, 'B=2', ''].join(eol));
      });
      it(`leaves a neighbour's multiline value intact and ignores KEY= inside it (${label})`, () => {
        const neighbour = `CERT=${q}${pem.join(eol)}${q}`;
        const before = [neighbour, 'KEY=old', `OTHER=${q}x${eol}KEY=also-inside${eol}y${q} # c`, ''].join(eol);
        const r = patch(before, 'KEY');
        assert.equal(r.text, [neighbour, `KEY=${NEW}`, `OTHER=${q}x${eol}KEY=also-inside${eol}y${q} # c`, ''].join(eol));
        assert.deepEqual(r.duplicates, []);
      });
    }
  }

  it('appends when the key only appears inside another value', () => {
    const before = 'CERT="line\nKEY=inside\nend"\n';
    const r = patch(before, 'KEY');
    assert.equal(r.text, `${before}KEY=${NEW}\n`);
    assert.deepEqual(r.appended, ['KEY']);
  });
});

describe('patchDotenv: which lines are assignments of the key', () => {
  it('never touches comment lines', () => {
    const before = '# KEY=old\nKEY=old\n  #KEY=x\n#export KEY=y\n';
    assert.equal(patch(before, 'KEY').text, `# KEY=old\nKEY=${NEW}\n  #KEY=x\n#export KEY=y\n`);
  });

  it('appends when the key is only commented out', () => {
    assert.equal(patch('# KEY=old\n', 'KEY').text, `# KEY=old\nKEY=${NEW}\n`);
  });

  it('never touches keys that share a prefix or suffix', () => {
    const before = 'KEY_OLD=a\nMY_KEY=b\nKEY=c\nKEY.X=d\nKEY-2=e\nKEYS=f\n';
    const r = patch(before, 'KEY');
    assert.equal(r.text, `KEY_OLD=a\nMY_KEY=b\nKEY=${NEW}\nKEY.X=d\nKEY-2=e\nKEYS=f\n`);
    assert.equal(r.edits.length, 1);
  });

  it('skips what dotenv skips (spaced keys, colon without space)', () => {
    const before = 'MY KEY=1\nKEY:old\n';
    const r = patch(before, 'KEY');
    assert.equal(r.text, `${before}KEY=${NEW}\n`);
  });

  it('updates every duplicate and reports it', () => {
    const before = 'KEY=a\nX=1\nexport KEY="b" # second\nKEY=\'c\'\n';
    const r = patch(before, 'KEY');
    assert.equal(r.text, `KEY=${NEW}\nX=1\nexport KEY="${NEW}" # second\nKEY='${NEW}'\n`);
    assert.deepEqual(r.duplicates, ['KEY']);
    assert.deepEqual(r.updated, ['KEY']);
    assert.equal(r.edits.length, 3);
  });

  it('leaves a duplicate alone when it already holds the value', () => {
    const before = `KEY=${NEW}\nKEY=old\n`;
    const r = patch(before, 'KEY');
    assert.equal(r.text, `KEY=${NEW}\nKEY=${NEW}\n`);
    assert.equal(r.edits.length, 1);
    assert.deepEqual(r.duplicates, ['KEY']);
  });
});

describe('patchDotenv: appending a missing key', () => {
  const cases: Array<[string, string, string]> = [
    ['LF file', 'A=1\n', `A=1\nKEY=${NEW}\n`],
    ['CRLF file', 'A=1\r\nB=2\r\n', `A=1\r\nB=2\r\nKEY=${NEW}\r\n`],
    ['lone-CR file', 'A=1\rB=2\r', `A=1\rB=2\rKEY=${NEW}\r`],
    ['LF file without final newline', 'A=1\nB=2', `A=1\nB=2\nKEY=${NEW}\n`],
    ['CRLF file without final newline', 'A=1\r\nB=2', `A=1\r\nB=2\r\nKEY=${NEW}\r\n`],
    ['single line without newline', 'A=1', `A=1\nKEY=${NEW}\n`],
    ['empty file', '', `KEY=${NEW}\n`],
    ['BOM-only file', '\uFEFF', `\uFEFFKEY=${NEW}\n`],
    ['BOM file', '\uFEFFA=1\r\n', `\uFEFFA=1\r\nKEY=${NEW}\r\n`],
    ['file ending in a comment', 'A=1\n# end', `A=1\n# end\nKEY=${NEW}\n`],
  ];
  for (const [name, before, after] of cases) {
    it(name, () => {
      const r = patch(before, 'KEY');
      assert.equal(r.text, after);
      assert.deepEqual(r.appended, ['KEY']);
      assert.deepEqual(r.updated, []);
      assert.equal(r.changed, true);
    });
  }

  it('separates the appended line from a trailing `X:` that would swallow it', () => {
    // dotenv reads `X:` + line break as a separator, so a line right after it would become X's value.
    const r = patch('A=1\nX:\n', 'KEY');
    assert.equal(r.text, `A=1\nX:\n\nKEY=${NEW}\n`);
  });

  it('appends several keys in the given order, and updates others in one pass', () => {
    const r = patchDotenv('B=old\n', [
      { key: 'Z', value: 'z1' },
      { key: 'B', value: 'b1' },
      { key: 'A', value: 'a1' },
    ]);
    assert.equal(r.text, 'B=b1\nZ=z1\nA=a1\n');
    assert.deepEqual(r.appended, ['Z', 'A']);
    assert.deepEqual(r.updated, ['B']);
  });

  it('accepts a record of updates', () => {
    const r = patchDotenv('A=1\nB=2\n', { B: 'x', C: 'y' });
    assert.equal(r.text, 'A=1\nB=x\nC=y\n');
  });
});

describe('patchDotenv: quoting of the new value', () => {
  it('keeps the existing quote style for Cloudflare secrets', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig-_~+/=';
    assert.equal(patch("K='x'\n", 'K', jwt).text, `K='${jwt}'\n`);
    assert.equal(patch('K=x\n', 'K', jwt).text, `K=${jwt}\n`);
  });

  it('quotes an unquoted value that would contain #', () => {
    assert.equal(patch('K=old # c\n', 'K', 'a#b').text, 'K="a#b" # c\n');
  });

  it('quotes a value with leading or trailing spaces', () => {
    assert.equal(patch('K=old\n', 'K', ' ab ').text, 'K=" ab "\n');
    assert.equal(patch('K=\n', 'K', ' ab').text, 'K=" ab"\n');
  });

  it('switches quotes when the value contains the existing quote', () => {
    assert.equal(patch("K='old'\n", 'K', "it's").text, 'K="it\'s"\n');
    assert.equal(patch('K="old"\n', 'K', 'say "hi"').text, "K='say \"hi\"'\n");
    assert.equal(patch('K="old"\n', 'K', 'a\\nb').text, "K='a\\nb'\n");
  });

  it('does not start an unquoted value with a quote', () => {
    assert.equal(patch('K=old\n', 'K', "'x").text, 'K="\'x"\n');
  });

  it('appends with quotes when needed', () => {
    assert.equal(patch('', 'K', 'a # b').text, 'K="a # b"\n');
  });

  it('refuses a quote change that would put a bare value on a later line', () => {
    // 'a#b' needs quotes; the existing spelling is `K=\n'x'` (value on the next line) and the
    // other quote styles would work, so it becomes `K=\n"a#b"`.
    assert.equal(patch("K=\n'x'\n", 'K', "a#b'").text, 'K=\n"a#b\'"\n');
  });
});

describe('patchDotenv: unchanged values', () => {
  it('returns changed:false and the same text when the key already has the value', () => {
    for (const before of [`KEY=${NEW}\n`, `KEY="${NEW}"`, `export KEY = '${NEW}' # c\r\n`, `KEY=${NEW}\nKEY=${NEW}\n`]) {
      const r = patchDotenv(before, { KEY: NEW });
      assert.equal(r.changed, false);
      assert.equal(r.text, before);
      assert.deepEqual(r.updated, []);
      assert.deepEqual(r.edits, []);
    }
  });

  it('an empty update list changes nothing', () => {
    assert.equal(patchDotenv('A=1', []).changed, false);
  });
});

describe('patchDotenv: refusals', () => {
  it('rejects binary input', () => {
    expectCode(() => patchDotenv('A=1\0\n', { A: 'x' }), 'binary');
    expectCode(() => readDotenvValue('A=1\0\n', 'A'), 'binary');
  });

  it('rejects invalid keys', () => {
    expectCode(() => patchDotenv('', { 'MY KEY': 'x' }), 'invalid-key');
    expectCode(() => patchDotenv('', [{ key: '', value: 'x' }]), 'invalid-key');
    expectCode(() => patchDotenv('', [{ key: '__proto__', value: 'x' }]), 'invalid-key');
    expectCode(() => readDotenvValue('', 'A=B'), 'invalid-key');
  });

  it('rejects the same key given twice with different values', () => {
    expectCode(
      () =>
        patchDotenv('', [
          { key: 'A', value: 'x' },
          { key: 'A', value: 'y' },
        ]),
      'invalid-update',
    );
    assert.equal(patchDotenv('', [{ key: 'A', value: 'x' }, { key: 'A', value: 'x' }]).text, 'A=x\n');
  });

  const unsafe: Array<[string, string]> = [
    ['empty', ''],
    ['newline', 'abc\ndef'],
    ['carriage return', 'abc\rdef'],
    ['NUL', 'abc\0def'],
    ['tab', 'abc\tdef'],
    ['non-ASCII', 'abcdéf'],
    ['emoji', 'abc😀'],
    ['line separator', 'abc\u2028def'],
    ['dollar (dotenv-expand)', 'abc$HOME'],
    ['every quote and a #', 'a\'b"c`d#e'],
    ['needs quotes and ends with a backslash', ' a\\'],
  ];
  for (const [name, value] of unsafe) {
    it(`rejects an unsafe value: ${name}`, () => {
      expectCode(() => assertSafeSecretValue(value), 'unsafe-value');
      const before = 'KEY=old\n';
      const e = expectCode(() => patchDotenv(before, { KEY: value }), 'unsafe-value');
      assert.ok(e.message.includes('KEY'), 'names the key');
    });
  }

  it('accepts Cloudflare secret formats and other printable ASCII', () => {
    for (const v of [
      'cfut_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN0123',
      'cfat_0123456789',
      'cfast_0123456789abcdef',
      '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.abc-_~+/=',
      'a b',
      "it's",
      'x#y',
      'a\\b',
    ]) {
      assert.doesNotThrow(() => assertSafeSecretValue(v));
    }
  });

  it('refuses a patch whose result would not read back (verify-failed), leaving no partial output', () => {
    // `X:` at the end of the file is not an assignment, but once a line follows, dotenv reads
    // `X:` + line break as a separator and swallows the appended line as X's value.
    const e = expectCode(() => patchDotenv('A=1\nX:', { KEY: NEW }), 'verify-failed');
    assert.deepEqual([...e.keys].sort(), ['KEY', 'X']);
  });

  it('never puts a value (new or existing) into an error message', () => {
    const secret = 'PlainSuperSecretValue.do.not.leak.0123456789'; // not matched by redact()'s patterns
    const existing = 'existing-secret-value-4242';
    const attempts: Array<() => unknown> = [
      () => patchDotenv(`KEY=${existing}\n`, { KEY: `${secret}\n` }),
      () => patchDotenv(`KEY=${existing}\n`, { KEY: `${secret}\0` }),
      () => patchDotenv(`KEY=${existing}\n`, { KEY: `${secret}é` }),
      () => patchDotenv(`KEY=${existing}\n`, { KEY: `${secret}$x` }),
      () => patchDotenv(`KEY=${existing}\n`, { KEY: `'"\`#${secret}` }),
      () => patchDotenv(`KEY=${existing}\n`, [{ key: `${secret} x`, value: 'x' }]),
      () => patchDotenv(`KEY=${existing}\n`, [{ key: 'KEY', value: secret }, { key: 'KEY', value: `${secret}2` }]),
      () => patchDotenv(`KEY=${existing}\nX:`, { NEWKEY: secret }),
      () => patchDotenv(`KEY=${existing}\0`, { KEY: secret }),
      () => assertSafeSecretValue(`${secret}\n`),
    ];
    for (const attempt of attempts) {
      let caught: unknown;
      try {
        attempt();
      } catch (e) {
        caught = e;
      }
      assert.ok(caught instanceof PatchError, 'each attempt must fail with a PatchError');
      const text = `${caught.message} ${caught.hint ?? ''} ${JSON.stringify(caught)} ${String(caught.stack)}`;
      for (const leak of [secret, existing, 'SuperSecret', 'existing-secret']) {
        assert.ok(!text.includes(leak), `error text leaks a value: ${caught.code}`);
      }
    }
  });
});

describe('readDotenvValue', () => {
  it('returns what dotenv.parse returns, with occurrence counts', () => {
    const text = 'KEY=a\n# KEY=z\nCERT="x\nKEY=inside\n"\nexport KEY = "b"\nKEY=a # again\n';
    assert.deepEqual(readDotenvValue(text, 'KEY'), { value: 'a', occurrences: 3, distinctValues: ['a', 'b'] });
    assert.equal(readDotenvValue(text, 'KEY').value, parse(text).KEY);
    assert.deepEqual(readDotenvValue(text, 'MISSING'), { value: undefined, occurrences: 0, distinctValues: [] });
    assert.deepEqual(readDotenvValue('\uFEFFKEY=v\r\n', 'KEY'), { value: 'v', occurrences: 1, distinctValues: ['v'] });
  });
});

describe('patchDotenv: performance', () => {
  it('patches 100 keys in a 10,000-line file in well under a second', () => {
    const lines: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      if (i % 10 === 0) lines.push(`# comment ${i}`);
      else if (i % 7 === 0) lines.push(`KEY_${i}="quoted value ${i}" # c`);
      else lines.push(`KEY_${i}=value_${i}`);
    }
    const text = lines.join('\n') + '\n';
    const updates = Array.from({ length: 100 }, (_, j) => ({ key: `KEY_${j * 97 + 1}`, value: `cfut_new_${j}` }));
    updates.push({ key: 'KEY_NOT_THERE', value: 'cfut_appended' });
    const t0 = process.hrtime.bigint();
    const r = patchDotenv(text, updates);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const parsed = parse(r.text);
    for (const u of updates) assert.equal(parsed[u.key], u.value);
    assert.ok(ms < 1000, `took ${ms.toFixed(1)} ms`);
  });
});
