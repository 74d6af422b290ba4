/**
 * src/core/redact.ts rule by rule, with the expected output written out: every pattern of
 * credential-looking text, registered secrets (minimum length, every occurrence, longest first).
 */
import * as assert from 'node:assert/strict';
import { knownSecrets, redact, registerSecret } from '../../../src/core/redact';

/** Each test starts with an empty registry and leaves the process's registry as it found it. */
function isolateRegistry(): void {
  const registry = knownSecrets() as Set<string>;
  let saved: string[] = [];
  beforeEach(() => {
    saved = [...registry];
    registry.clear();
  });
  afterEach(() => {
    registry.clear();
    for (const s of saved) registry.add(s);
  });
}

const A20 = 'AbCdEfGhIjKlMnOpQrSt'; // 20 characters
const A19 = A20.slice(0, 19);

describe('redact: Cloudflare token formats (cfut_, cfat_, cfast_, cfk_ + 20 or more)', () => {
  isolateRegistry();

  it('masks each prefix', () => {
    assert.equal(redact(`a cfut_${A20} b`), 'a [redacted] b');
    assert.equal(redact(`a cfat_${A20} b`), 'a [redacted] b');
    assert.equal(redact(`a cfast_${A20} b`), 'a [redacted] b');
    assert.equal(redact(`a cfk_${A20} b`), 'a [redacted] b');
  });

  it('needs 20 characters after the prefix', () => {
    assert.equal(redact(`a cfut_${A19} b`), `a cfut_${A19} b`);
    assert.equal(redact(`cfut_${A19}`), `cfut_${A19}`);
    assert.equal(redact(`cfut_${A20}`), '[redacted]');
  });

  it('takes the whole token, with _ and - inside, however long', () => {
    const long = `cfut_${A20}_0123-4567_${A20}${A20}`;
    assert.equal(redact(`x=${long};`), 'x=[redacted];');
  });

  it('masks every token in the text', () => {
    assert.equal(redact(`cfut_${A20} and cfat_${A20}x and cfast_${A20}y`), '[redacted] and [redacted] and [redacted]');
  });

  it('only whole words: other prefixes and a prefix inside a longer word are not tokens', () => {
    assert.equal(redact(`cfxx_${A20}`), `cfxx_${A20}`);
    assert.equal(redact(`mycfut_${A20}`), `mycfut_${A20}`);
    assert.equal(redact(`cfut-${A20}`), `cfut-${A20}`);
  });

  it('ends at a word boundary: a trailing - is not part of the token', () => {
    assert.equal(redact(`(cfut_${A20}-)`), '([redacted]-)');
    assert.equal(redact(`cfut_${A20}-`), '[redacted]-');
  });
});

describe('redact: JWTs (MoQ tokens)', () => {
  isolateRegistry();
  const h = 'eyJhbGciOi'; // eyJ + 7
  const p = 'eyJzdWIiOiJ4In0';
  const s = 'c2lnbmF0dXJl';

  it('masks header.payload.signature starting with eyJ', () => {
    assert.equal(redact(`token ${h}J.${p}.${s} end`), 'token [redacted] end');
    assert.equal(redact(`${h}J.${p}.${s}`), '[redacted]');
  });

  it('needs 8 characters after eyJ and in each other part', () => {
    const eight = 'eyJ' + 'a'.repeat(8);
    assert.equal(redact(`${eight}.${'b'.repeat(8)}.${'c'.repeat(8)}`), '[redacted]');
    assert.equal(redact(`eyJ${'a'.repeat(7)}.${'b'.repeat(8)}.${'c'.repeat(8)}`), `eyJ${'a'.repeat(7)}.${'b'.repeat(8)}.${'c'.repeat(8)}`);
    assert.equal(redact(`${eight}.${'b'.repeat(7)}.${'c'.repeat(8)}`), `${eight}.${'b'.repeat(7)}.${'c'.repeat(8)}`);
    assert.equal(redact(`${eight}.${'b'.repeat(8)}.${'c'.repeat(7)}`), `${eight}.${'b'.repeat(8)}.${'c'.repeat(7)}`);
  });

  it('allows _ and - in every part, and masks every JWT', () => {
    assert.equal(redact(`eyJ_-_-_-_-.a-b_c-d_e.f-g_h-i_j x eyJ${'z'.repeat(9)}.${'y'.repeat(9)}.${'x'.repeat(9)}`), '[redacted] x [redacted]');
  });

  it('only whole words, and needs the eyJ', () => {
    assert.equal(redact(`x${h}J.${p}.${s}`), `x${h}J.${p}.${s}`);
    assert.equal(redact(`abc${'a'.repeat(8)}.${'b'.repeat(8)}.${'c'.repeat(8)}`), `abc${'a'.repeat(8)}.${'b'.repeat(8)}.${'c'.repeat(8)}`);
  });

  it('ends at a word boundary: a trailing - is kept', () => {
    assert.equal(redact(`${h}J.${p}.${s}-`), '[redacted]-');
  });
});

describe('redact: bearer headers (16 or more credential characters)', () => {
  isolateRegistry();

  it('keeps "Bearer " and masks the value', () => {
    assert.equal(redact('Authorization: Bearer abcdefghijklmnop'), 'Authorization: Bearer [redacted]');
    assert.equal(redact('Authorization: Bearer abcdefghijklmnop, next'), 'Authorization: Bearer [redacted], next');
  });

  it('is case-insensitive and keeps the spelling and spacing it found', () => {
    assert.equal(redact('authorization: bearer abcdefghijklmnop'), 'authorization: bearer [redacted]');
    assert.equal(redact('BEARER \t abcdefghijklmnopqrst'), 'BEARER \t [redacted]');
  });

  it('takes every credential character (letters, digits, . _ ~ + / = -), however many', () => {
    assert.equal(redact('Bearer a.b_c~d+e/f=g-h0123456789XYZ=='), 'Bearer [redacted]');
  });

  it('needs 16 characters and a space after Bearer', () => {
    assert.equal(redact('Bearer abcdefghijklmno'), 'Bearer abcdefghijklmno');
    assert.equal(redact('Bearerabcdefghijklmnop'), 'Bearerabcdefghijklmnop');
  });

  it('masks every bearer value', () => {
    assert.equal(redact('Bearer abcdefghijklmnop / Bearer qrstuvwxyz012345'), 'Bearer [redacted] / Bearer [redacted]');
  });
});

describe('redact: key = value and "key": "value" pairs (16 or more credential characters)', () => {
  isolateRegistry();
  const V = 'abcdef0123456789abcdef0123456789abcde'; // a 37-hex Global API key

  const names = ['x-auth-key', 'client_secret', 'apiKey', 'apiToken', 'token', 'secret', 'value'];
  for (const name of names) {
    it(`${name}: header, assignment and JSON forms`, () => {
      assert.equal(redact(`${name}: ${V}`), `${name}: [redacted]`);
      assert.equal(redact(`${name}=${V}&next=1`), `${name}=[redacted]&next=1`);
      assert.equal(redact(`{"${name}":"${V}","id":"1"}`), `{"${name}":"[redacted]","id":"1"}`);
      assert.equal(redact(`"${name}" : "${V}"`), `"${name}" : "[redacted]"`);
    });
  }

  it('is case-insensitive', () => {
    assert.equal(redact(`X-Auth-Key: ${V}`), 'X-Auth-Key: [redacted]');
    assert.equal(redact(`CLIENT_SECRET=${V}`), 'CLIENT_SECRET=[redacted]');
    assert.equal(redact(`ApiKey = ${V}`), 'ApiKey = [redacted]');
  });

  it('needs 16 characters and a : or =', () => {
    assert.equal(redact('secret: abcdefghijklmno'), 'secret: abcdefghijklmno');
    assert.equal(redact(`secret ${V}`), `secret ${V}`);
    assert.equal(redact(`password=${V}`), `password=${V}`);
  });

  it('masks every pair', () => {
    assert.equal(redact(`token=${V} secret=${V}x`), 'token=[redacted] secret=[redacted]');
  });

  it('leaves ordinary text alone', () => {
    const text = 'Rotated deploy (account API token 0123abcd) → .env › CF_TOKEN in 120 ms; the value was written.';
    assert.equal(redact(text), text);
  });
});

describe('redact: registered secrets', () => {
  isolateRegistry();

  it('masks a registered secret wherever it appears, every time', () => {
    registerSecret('plain-secret-42');
    assert.equal(redact('a plain-secret-42 b plain-secret-42'), 'a [redacted] b [redacted]');
    assert.equal(redact('xplain-secret-42y'), 'x[redacted]y', 'inside other text too');
    assert.deepEqual([...knownSecrets()], ['plain-secret-42']);
  });

  it('registers secrets of 8 characters or more only', () => {
    registerSecret('1234567');
    registerSecret('12345678');
    assert.deepEqual([...knownSecrets()], ['12345678']);
    assert.equal(redact('1234567 12345678'), '1234567 [redacted]');
  });

  it('ignores undefined, null, the empty string and non-strings', () => {
    registerSecret(undefined);
    registerSecret(null);
    registerSecret('');
    registerSecret(12345678 as unknown as string);
    registerSecret({ length: 99 } as unknown as string);
    assert.deepEqual([...knownSecrets()], []);
    assert.equal(redact('12345678'), '12345678');
  });

  it('replaces the longest secret first, so one that contains another is masked whole', () => {
    registerSecret('abcdefgh');
    registerSecret('abcdefgh-longer');
    registerSecret('abcdefgh-longer-still');
    assert.equal(redact('1 abcdefgh-longer-still 2 abcdefgh-longer 3 abcdefgh 4'), '1 [redacted] 2 [redacted] 3 [redacted] 4');
  });

  it('matches literally (no regex meaning), and characters no pattern knows', () => {
    registerSecret('p@ss w0rd.*+?');
    registerSecret('$(echo hi) [x]');
    assert.equal(redact('pw=p@ss w0rd.*+? cmd=$(echo hi) [x]'), 'pw=[redacted] cmd=[redacted]');
    assert.equal(redact('p@ss w0rdXXXXX'), 'p@ss w0rdXXXXX');
  });

  it('every change of the registry is seen by the next redact (the longest-first order is kept between calls)', () => {
    const registry = knownSecrets() as Set<string>;
    registerSecret('first-secret-aaaa');
    assert.equal(redact('x first-secret-aaaa'), 'x [redacted]');
    // Cleared and refilled to the same size, also through the Set itself: the old one is no longer masked, the new one is.
    registry.clear();
    registry.add('second-secret-bbbb');
    assert.equal(redact('first-secret-aaaa second-secret-bbbb'), 'first-secret-aaaa [redacted]');
    registry.delete('second-secret-bbbb');
    assert.equal(redact('second-secret-bbbb'), 'second-secret-bbbb');
    // A longer one registered after a redact still goes first.
    registerSecret('abcdefgh');
    assert.equal(redact('abcdefgh-and-more'), '[redacted]-and-more');
    registerSecret('abcdefgh-and-more');
    assert.equal(redact('abcdefgh-and-more abcdefgh'), '[redacted] [redacted]');
  });

  it('overlapping secrets are masked as one: no tail of either is left in the text', () => {
    registerSecret('AAAAAAAABBBB');
    registerSecret('BBBBCCCCCCCC');
    // Masking one and then searching for the other would leave CCCCCCCC.
    assert.equal(redact('x AAAAAAAABBBBCCCCCCCC y'), 'x [redacted] y');
    // A shorter secret that starts inside a longer one and runs past its end.
    registerSecret('secret-one-long-value');
    registerSecret('long-value-and-more');
    assert.equal(redact('secret-one-long-value-and-more!'), '[redacted]!');
    // Next to each other: one mask; text between masks is kept.
    assert.equal(redact('AAAAAAAABBBBBBBBCCCCCCCC'), '[redacted]');
    assert.equal(redact('<AAAAAAAABBBB|BBBBCCCCCCCC>'), '<[redacted]|[redacted]>');
  });

  it('finds each of a thousand registered secrets, and secrets that share their first characters', () => {
    const many = Array.from({ length: 1000 }, (_, i) => `tok-${String(i).padStart(4, '0')}-${'x'.repeat(i % 7)}value`);
    for (const s of many) registerSecret(s);
    registerSecret('tok-0001-value-and-a-longer-one');
    for (const i of [0, 1, 499, 998, 999]) {
      assert.equal(redact(`a ${many[i]} b`), 'a [redacted] b', many[i]);
    }
    assert.equal(redact('tok-0001-value-and-a-longer-one!'), '[redacted]!');
    assert.equal(redact('tok-0001-valu'), 'tok-0001-valu', 'a prefix of a secret is not the secret');
    assert.equal(redact('tok-1000-value'), 'tok-1000-value');
    // With this many registered, overlapping and touching secrets are masked as one too.
    registerSecret('AAAAAAAABBBB');
    registerSecret('BBBBCCCCCCCC');
    assert.equal(redact('x AAAAAAAABBBBCCCCCCCC y AAAAAAAABBBBBBBBCCCCCCCC z'), 'x [redacted] y [redacted] z');
    assert.equal(redact(`${many[3]}${many[4]}-${many[5]}`), '[redacted]-[redacted]');
    // Removing one (through the Set) stops masking it and only it.
    (knownSecrets() as Set<string>).delete(many[1] as string);
    assert.equal(redact(`${many[1]} ${many[2]}`), `${many[1]} [redacted]`);
  });

  it('registering twice keeps one entry', () => {
    registerSecret('twice-registered');
    registerSecret('twice-registered');
    assert.equal(knownSecrets().size, 1);
  });

  it('masks registered secrets and patterns in the same text', () => {
    registerSecret('my-own-secret');
    assert.equal(redact(`my-own-secret cfut_${A20} Bearer abcdefghijklmnop`), '[redacted] [redacted] Bearer [redacted]');
  });

  it('returns text without secrets unchanged', () => {
    registerSecret('not-in-the-text');
    assert.equal(redact(''), '');
    assert.equal(redact('nothing to hide here'), 'nothing to hide here');
  });
});
