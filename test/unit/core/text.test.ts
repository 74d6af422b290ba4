/**
 * src/core/text.ts neutralises text from a repository or from Cloudflare for the medium it is shown
 * in. `plain` skips its replacements when nothing in the text needs one (the tree calls it for
 * every label and description): the fast path must give exactly what the replacements give.
 */
import { strict as assert } from 'node:assert';
import { hasUnsafeCharacters, markdown, notification, plain } from '../../../src/core/text';

/* eslint-disable no-control-regex -- the reference replacements match control characters */
/** The replacements alone, as `plain` made them before its fast path. */
function reference(s: string, newlines = false): string {
  const ANSI = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-_])|\u009b[0-?]*[ -/]*[@-~]|\u009d[^\u0007\u009c]*(?:\u0007|\u009c)?/g;
  let out = s
    .replace(ANSI, '\ufffd')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '\ufffd')
    .replace(/[\u061c\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2069\ufeff]/g, '\ufffd');
  if (!newlines) out = out.replace(/[\r\n\t]+/g, ' ');
  return out;
}
/* eslint-enable no-control-regex */

/** A deterministic generator (xorshift) so a failure names its seed. */
function rng(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

/** Characters around every boundary of the replaced ranges, and ordinary ones. */
const POOL = [
  ...'abcXYZ09 ._-›·[]()<>`*#!|~{}\\/:=\'"',
  '\u0000', '\u0007', '\u0008', '\t', '\n', '\u000b', '\r', '\u001b', '\u001f', ' ', '~', '\u007f', '\u0080', '\u009b', '\u009c', '\u009d', '\u009f', '\u00a0',
  '\u061b', '\u061c', '\u061d', '\u200a', '\u200b', '\u200f', '\u2010', '\u2029', '\u202a', '\u202e', '\u202f', '\u205f', '\u2060', '\u2069', '\u206a', '\ufeff', '\ufffd', 'é', '日',
  '\u001b[31m', '\u001b]52;c;AAAA\u0007', '\u001b]8;;http://x\u001b\\', '\u009b2J', '\u009d0;t\u009c',
];

describe('core/text', () => {
  it('plain: the fast path gives what the replacements give, with and without newlines (20,000 random texts)', () => {
    for (let seed = 1; seed <= 20_000; seed++) {
      const r = rng(seed);
      const n = Math.floor(r() * 12);
      let s = '';
      for (let i = 0; i < n; i++) s += POOL[Math.floor(r() * POOL.length)] as string;
      assert.equal(plain(s), reference(s), `seed ${seed}: ${JSON.stringify(s)}`);
      assert.equal(plain(s, { newlines: true }), reference(s, true), `seed ${seed} (newlines): ${JSON.stringify(s)}`);
    }
  });

  it('plain: every code unit below U+3000 alone, and the ones above that it replaces', () => {
    for (let c = 0; c < 0x3000; c++) {
      const s = `a${String.fromCharCode(c)}b`;
      assert.equal(plain(s), reference(s), `U+${c.toString(16)}`);
      assert.equal(plain(s, { newlines: true }), reference(s, true), `U+${c.toString(16)} (newlines)`);
    }
    assert.equal(plain('x\ufeffy'), 'x\ufffdy');
  });

  it('plain leaves ordinary text as it is (the same string), and neutralises terminal escapes and bidi overrides', () => {
    const label = 'deploy-token · .env › CLOUDFLARE_API_TOKEN';
    assert.equal(plain(label), label);
    assert.equal(plain('a\u001b[2Jb'), 'a\ufffdb');
    assert.equal(plain('\u001b]52;c;c2VjcmV0\u0007x'), '\ufffdx');
    assert.equal(plain('admin\u202e\u2066txt.exe'), 'admin\ufffd\ufffdtxt.exe');
    assert.equal(plain('one\ntwo\tthree'), 'one two three');
    assert.equal(plain('one\r\ntwo'), 'one\ufffd two', 'a carriage return is a control character');
    assert.equal(plain('one\ntwo', { newlines: true }), 'one\ntwo');
  });

  it('hasUnsafeCharacters is true exactly when plain with newlines kept would change a text without tabs', () => {
    for (let c = 0; c < 0x3000; c++) {
      if (c === 9) continue;
      const s = `k${String.fromCharCode(c)}`;
      assert.equal(hasUnsafeCharacters(s), plain(s, { newlines: true }) !== s || c === 10, `U+${c.toString(16)}`);
    }
  });

  it('notification breaks link syntax; markdown escapes Markdown', () => {
    assert.equal(notification('[x](command:foo)'), '[x] (command:foo)');
    assert.equal(markdown('[x](y) *b* <i>'), '\\[x\\]\\(y\\) \\*b\\* \\<i\\>');
  });
});
