/** The scanner must agree with dotenv.parse on every input, not only on well-formed files. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import fc from 'fast-check';
import { parse } from 'dotenv';
import { DOTENV_LINE, parseLikeDotenv, readDotenvValue, scanDotenv } from '../../../src/core/dotenv/patch';
import { junkDotenv } from './helpers';

const junk = junkDotenv();

describe('scanDotenv agrees with dotenv', () => {
  it("uses dotenv's own LINE regex (guards against a dotenv upgrade changing it)", () => {
    const bundled = fs.readFileSync(require.resolve('dotenv'), 'utf8');
    // Ours makes the separator group capturing; dotenv's is non-capturing. Nothing else differs.
    const theirs = DOTENV_LINE.source.replace('(\\s*=\\s*?|:\\s+?)', '(?:\\s*=\\s*?|:\\s+?)');
    assert.notEqual(theirs, DOTENV_LINE.source);
    assert.ok(bundled.includes(`/${theirs}/mg`), 'dotenv no longer bundles the LINE regex this scanner copies');
    assert.equal(DOTENV_LINE.flags, 'dgm');
  });

  it('parses random junk exactly like dotenv.parse (2000 runs)', () => {
    fc.assert(
      fc.property(junk, (text) => {
        fc.pre(!text.includes('\0'));
        assert.deepEqual(parseLikeDotenv(text), parse(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('readDotenvValue matches dotenv.parse on junk for any key it might contain', () => {
    fc.assert(
      fc.property(junk, fc.constantFrom('A', 'K', 'KEY', 'b', 'a-b', 'K.1', 'export'), (text, key) => {
        const r = readDotenvValue(text, key);
        assert.equal(r.value, parse(text)[key]);
        assert.equal(r.occurrences === 0, r.value === undefined);
      }),
      { numRuns: 1000 },
    );
  });

  it('reports spans that sit inside the text in order', () => {
    fc.assert(
      fc.property(junk, (text) => {
        let last = 0;
        for (const a of scanDotenv(text)) {
          assert.equal(text.slice(a.keyStart, a.keyEnd), a.key);
          const order = [last, a.keyStart, a.keyEnd, a.separatorEnd, a.rawStart, a.valueStart, a.innerStart, a.innerEnd, a.valueEnd, a.rawEnd, a.matchEnd];
          for (let i = 1; i < order.length; i++) assert.ok(order[i - 1] <= order[i], `span order ${i}`);
          assert.ok(a.matchEnd <= text.length);
          if (a.quote !== null) {
            assert.equal(text[a.valueStart], a.quote);
            assert.equal(text[a.valueEnd - 1], a.quote);
          }
          last = a.matchEnd;
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('maps CRLF offsets back to the original text', () => {
    const text = 'A=1\r\nB="x\r\ny"\r\nC=3';
    const [a, b, c] = scanDotenv(text);
    assert.equal(text.slice(a.valueStart, a.valueEnd), '1');
    assert.equal(text.slice(b.innerStart, b.innerEnd), 'x\r\ny');
    assert.equal(b.value, 'x\ny');
    assert.equal(text.slice(c.keyStart, c.valueEnd), 'C=3');
  });
});
