import { strict as assert } from 'node:assert';
import * as z from 'zod/mini';
import { ConfigError, expandTargetUnions, formatJsonPath, parseConfig, starterConfig, validateConfig } from '../../../src/core/config/load';
import { configJsonSchema, configSchema, parseDuration, targetField } from '../../../src/core/config/schema';
import { setFigure } from '../helpers/figures';

const A = '0123456789abcdef0123456789abcdef';
const B = 'fedcba9876543210fedcba9876543210';
const UUID = 'f174e90a-fafe-4643-bbbc-4a0ed4fc8415';

const good = {
  tokens: [
    { name: 'deploy', kind: 'account-api-token', accountId: A, tokenId: B, rotateEveryDays: 30, targets: [{ file: '.env', key: 'CLOUDFLARE_API_TOKEN' }, { file: '.dev.vars', key: 'CLOUDFLARE_API_TOKEN' }] },
    { name: 'me', kind: 'user-api-token', tokenId: B, targets: [{ file: '.env', key: 'CF_USER_TOKEN' }] },
    { name: 'ci-access', kind: 'access-service-token', accountId: A, serviceTokenId: UUID, gracePeriod: '24h', targets: [{ file: '.env', key: 'CF_ACCESS_CLIENT_ID', field: 'clientId' }, { file: '.env', key: 'CF_ACCESS_CLIENT_SECRET', field: 'clientSecret' }] },
    { name: 'zone-access', kind: 'access-service-token', zoneId: B, serviceTokenId: UUID, targets: [{ file: 'config/.env', key: 'ZONE_SECRET' }] },
    { name: 'relay-pub', kind: 'moq-relay-token', accountId: A, relayId: B, tokenType: 'publish_subscribe', targets: [{ file: '.env', key: 'MOQ_PUBLISH_TOKEN' }] },
  ],
};

type Json = Record<string, unknown>;
const clone = (): { tokens: Json[] } => JSON.parse(JSON.stringify(good)) as { tokens: Json[] };
function mutate(fn: (c: { tokens: Json[] }) => void): unknown {
  const c = clone();
  fn(c);
  return c;
}

/** [description, input (object or raw text), expected JSON path in the message] */
const BAD: [string, unknown, string][] = [
  ['not an object', 42, '(root)'],
  ['array at root', [], '(root)'],
  ['null', null, '(root)'],
  ['tokens missing', {}, 'tokens'],
  ['tokens not array', { tokens: {} }, 'tokens'],
  ['tokens string', { tokens: 'deploy' }, 'tokens'],
  ['token not object', { tokens: [1] }, 'tokens[0]'],
  ['token null', { tokens: [null] }, 'tokens[0]'],
  ['unknown kind', mutate((c) => { c.tokens[0]!.kind = 'global-key'; }), 'tokens[0].kind'],
  ['kind missing', mutate((c) => { delete c.tokens[1]!.kind; }), 'tokens[1].kind'],
  ['kind number', mutate((c) => { c.tokens[1]!.kind = 3; }), 'tokens[1].kind'],
  ['name missing', mutate((c) => { delete c.tokens[0]!.name; }), 'tokens[0].name'],
  ['name empty', mutate((c) => { c.tokens[0]!.name = ''; }), 'tokens[0].name'],
  ['name number', mutate((c) => { c.tokens[0]!.name = 7; }), 'tokens[0].name'],
  ['name with slash', mutate((c) => { c.tokens[0]!.name = 'a/b'; }), 'tokens[0].name'],
  ['name too long', mutate((c) => { c.tokens[0]!.name = 'x'.repeat(65); }), 'tokens[0].name'],
  ['duplicate names', mutate((c) => { c.tokens[1]!.name = 'deploy'; }), 'tokens[1].name'],
  ['accountId missing', mutate((c) => { delete c.tokens[0]!.accountId; }), 'tokens[0].accountId'],
  ['accountId short hex', mutate((c) => { c.tokens[0]!.accountId = A.slice(1); }), 'tokens[0].accountId'],
  ['accountId long hex', mutate((c) => { c.tokens[0]!.accountId = `${A}0`; }), 'tokens[0].accountId'],
  ['accountId not hex', mutate((c) => { c.tokens[0]!.accountId = 'g'.repeat(32); }), 'tokens[0].accountId'],
  ['accountId number', mutate((c) => { c.tokens[0]!.accountId = 12345; }), 'tokens[0].accountId'],
  ['tokenId missing', mutate((c) => { delete c.tokens[0]!.tokenId; }), 'tokens[0].tokenId'],
  ['tokenId uuid', mutate((c) => { c.tokens[1]!.tokenId = UUID; }), 'tokens[1].tokenId'],
  ['serviceTokenId missing', mutate((c) => { delete c.tokens[2]!.serviceTokenId; }), 'tokens[2].serviceTokenId'],
  ['serviceTokenId hex32', mutate((c) => { c.tokens[2]!.serviceTokenId = A; }), 'tokens[2].serviceTokenId'],
  ['serviceTokenId short uuid', mutate((c) => { c.tokens[2]!.serviceTokenId = UUID.slice(0, 35); }), 'tokens[2].serviceTokenId'],
  ['access: both account and zone', mutate((c) => { c.tokens[2]!.zoneId = B; }), 'tokens[2]'],
  ['access: neither account nor zone', mutate((c) => { delete c.tokens[3]!.zoneId; }), 'tokens[3]'],
  ['access: zone with rotate method', mutate((c) => { c.tokens[3]!.method = 'rotate'; }), 'tokens[3].method'],
  ['access: bad method', mutate((c) => { c.tokens[2]!.method = 'refresh'; }), 'tokens[2].method'],
  ['gracePeriod bad', mutate((c) => { c.tokens[2]!.gracePeriod = 'a day'; }), 'tokens[2].gracePeriod'],
  ['gracePeriod number', mutate((c) => { c.tokens[2]!.gracePeriod = 3600; }), 'tokens[2].gracePeriod'],
  ['relayId missing', mutate((c) => { delete c.tokens[4]!.relayId; }), 'tokens[4].relayId'],
  ['relayId bad', mutate((c) => { c.tokens[4]!.relayId = 'relay-1'; }), 'tokens[4].relayId'],
  ['tokenType bad', mutate((c) => { c.tokens[4]!.tokenType = 'publish'; }), 'tokens[4].tokenType'],
  ['profile bad', mutate((c) => { c.tokens[0]!.profile = '../x'; }), 'tokens[0].profile'],
  ['profile number', mutate((c) => { c.tokens[0]!.profile = 1; }), 'tokens[0].profile'],
  ['rotateEveryDays zero', mutate((c) => { c.tokens[0]!.rotateEveryDays = 0; }), 'tokens[0].rotateEveryDays'],
  ['rotateEveryDays fraction', mutate((c) => { c.tokens[0]!.rotateEveryDays = 1.5; }), 'tokens[0].rotateEveryDays'],
  ['rotateEveryDays string', mutate((c) => { c.tokens[0]!.rotateEveryDays = '30'; }), 'tokens[0].rotateEveryDays'],
  ['rotateEveryDays huge', mutate((c) => { c.tokens[0]!.rotateEveryDays = 100000; }), 'tokens[0].rotateEveryDays'],
  ['targets missing', mutate((c) => { delete c.tokens[0]!.targets; }), 'tokens[0].targets'],
  ['targets empty', mutate((c) => { c.tokens[0]!.targets = []; }), 'tokens[0].targets'],
  ['targets object', mutate((c) => { c.tokens[0]!.targets = { file: '.env' }; }), 'tokens[0].targets'],
  ['target file missing', mutate((c) => { c.tokens[1]!.targets = [{ key: 'K' }]; }), 'tokens[1].targets[0].file'],
  ['target file empty', mutate((c) => { c.tokens[1]!.targets = [{ file: '', key: 'K' }]; }), 'tokens[1].targets[0].file'],
  ['target ../ escape', mutate((c) => { c.tokens[1]!.targets = [{ file: '../.env', key: 'K' }]; }), 'tokens[1].targets[0].file'],
  ['target nested ../ escape', mutate((c) => { c.tokens[1]!.targets = [{ file: 'a/../../.env', key: 'K' }]; }), 'tokens[1].targets[0].file'],
  ['target trailing ..', mutate((c) => { c.tokens[1]!.targets = [{ file: 'a//..', key: 'K' }]; }), 'tokens[1].targets[0].file'],
  ['target bare ..', mutate((c) => { c.tokens[1]!.targets = [{ file: '..', key: 'K' }]; }), 'tokens[1].targets[0].file'],
  ['target file too long', mutate((c) => { c.tokens[1]!.targets = [{ file: 'x'.repeat(1025), key: 'K' }]; }), 'tokens[1].targets[0].file'],
  ['target backslash escape', mutate((c) => { c.tokens[1]!.targets = [{ file: 'a\\..\\..\\x', key: 'K' }]; }), 'tokens[1].targets[0].file'],
  ['target absolute posix', mutate((c) => { c.tokens[1]!.targets = [{ file: '/etc/passwd', key: 'K' }]; }), 'tokens[1].targets[0].file'],
  ['target absolute windows', mutate((c) => { c.tokens[1]!.targets = [{ file: 'C:\\secrets\\.env', key: 'K' }]; }), 'tokens[1].targets[0].file'],
  ['target UNC', mutate((c) => { c.tokens[1]!.targets = [{ file: '\\\\server\\share\\.env', key: 'K' }]; }), 'tokens[1].targets[0].file'],
  ['target NUL', mutate((c) => { c.tokens[1]!.targets = [{ file: '.env\u0000x', key: 'K' }]; }), 'tokens[1].targets[0].file'],
  ['target key missing', mutate((c) => { c.tokens[1]!.targets = [{ file: '.env' }]; }), 'tokens[1].targets[0].key'],
  ['target key with space', mutate((c) => { c.tokens[1]!.targets = [{ file: '.env', key: 'A B' }]; }), 'tokens[1].targets[0].key'],
  ['target key with =', mutate((c) => { c.tokens[1]!.targets = [{ file: '.env', key: 'A=B' }]; }), 'tokens[1].targets[0].key'],
  ['target key leading digit', mutate((c) => { c.tokens[1]!.targets = [{ file: '.env', key: '1KEY' }]; }), 'tokens[1].targets[0].key'],
  ['target field unknown', mutate((c) => { c.tokens[1]!.targets = [{ file: '.env', key: 'K', field: 'password' }]; }), 'tokens[1].targets[0].field'],
  ['target field clientId on API token', mutate((c) => { c.tokens[1]!.targets = [{ file: '.env', key: 'K', field: 'clientId' }]; }), 'tokens[1].targets[0].field'],
  ['target field token on access token', mutate((c) => { c.tokens[2]!.targets = [{ file: '.env', key: 'K', field: 'token' }]; }), 'tokens[2].targets[0].field'],
  ['two tokens write one key', mutate((c) => { c.tokens[1]!.targets = [{ file: './.env', key: 'CLOUDFLARE_API_TOKEN' }]; }), 'tokens[1].targets[0].key'],
  ['the same account token twice', mutate((c) => { c.tokens.push({ ...c.tokens[0]!, name: 'deploy again', targets: [{ file: 'b.env', key: 'T' }] }); }), 'tokens[5]'],
  ['the same user token twice (ids compare case-insensitively)', mutate((c) => { c.tokens.push({ ...c.tokens[1]!, name: 'me again', tokenId: B.toUpperCase(), targets: [{ file: 'b.env', key: 'T' }] }); }), 'tokens[5]'],
  ['the same service token twice in one scope', mutate((c) => { c.tokens.push({ ...c.tokens[3]!, name: 'zone again', targets: [{ file: 'b.env', key: 'T' }] }); }), 'tokens[5]'],
  ['the same relay token type twice', mutate((c) => { c.tokens.splice(1, 0, { ...c.tokens[4]!, name: 'relay again', targets: [{ file: 'b.env', key: 'T' }] }); }), 'tokens[5]'],
  ['description too long', mutate((c) => { c.tokens[0]!.description = 'x'.repeat(501); }), 'tokens[0].description'],
];

const BAD_TEXT: [string, string, string][] = [
  ['empty file', '', '(file)'],
  ['truncated JSON', '{"tokens": [', '(file)'],
  ['comment then garbage', '// tokens\n{ "tokens": [ } ', '(file)'],
  ['unquoted key', '{ tokens: [] }', '(file)'],
  ['single quotes', "{ 'tokens': [] }", '(file)'],
  ['two roots', '{"tokens": []} {"tokens": []}', '(file)'],
  ['huge file', `{"tokens": [], "pad": "${'x'.repeat(1024 * 1024)}"}`, '(file)'],
];

describe('config (cf-rotate.json)', () => {
  it('accepts the documented example with every kind, filling defaults', () => {
    const cfg = validateConfig(good);
    assert.equal(cfg.tokens.length, 5);
    assert.equal(cfg.tokens[0]?.profile, 'default');
    const relay = cfg.tokens[4];
    assert.equal(relay?.kind === 'moq-relay-token' && relay.tokenType, 'publish_subscribe');
    assert.equal(targetField(cfg.tokens[2]!, cfg.tokens[2]!.targets[0]!), 'clientId');
    assert.equal(targetField(cfg.tokens[3]!, cfg.tokens[3]!.targets[0]!), 'clientSecret');
    assert.equal(targetField(cfg.tokens[0]!, cfg.tokens[0]!.targets[0]!), 'token');
  });

  it('accepts comments and trailing commas (JSONC, as VS Code does in .vscode/) and a BOM', () => {
    const text = `\uFEFF// team config\n{\n  /* tokens */\n  "tokens": [\n    ${JSON.stringify(good.tokens[1])},\n  ],\n}\n`;
    assert.equal(parseConfig(text).tokens[0]?.name, 'me');
  });

  it('the starter config is valid', () => {
    assert.deepEqual(parseConfig(starterConfig()).tokens, []);
  });

  it(`rejects ${BAD.length + BAD_TEXT.length} malformed configs, each with a message naming the JSON path`, () => {
    let tried = 0;
    for (const [what, input, expectedPath] of BAD) {
      assert.throws(
        () => validateConfig(input),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError, `${what}: not a ConfigError`);
          const paths = e.issues.map((i) => i.path);
          assert.ok(paths.includes(expectedPath), `${what}: expected path ${expectedPath}, got ${paths.join(', ')}`);
          assert.ok(e.message.includes(`${expectedPath}:`), `${what}: message must name the path: ${e.message}`);
          assert.equal(e.kind, 'config');
          return true;
        },
        what,
      );
      tried++;
    }
    for (const [what, text, expectedPath] of BAD_TEXT) {
      assert.throws(() => parseConfig(text), (e: unknown) => e instanceof ConfigError && e.issues.some((i) => i.path === expectedPath), what);
      tried++;
    }
    assert.ok(tried >= 50, `only ${tried} bad inputs`);
    setFigure('bad input: malformed configs rejected with a JSON path', tried);
  });

  it('accepts file names that only look like escapes, and counts code points', () => {
    const files = ['...', 'a..b/c', '..x/.env', 'x/..y', `${'a'.repeat(1023)}\u{1F600}`];
    // Not env-style names: they need allowAnyFile (the point here is that ".." inside a name is not a segment).
    const cfg = validateConfig(mutate((c) => { c.tokens[1]!.targets = files.map((file, i) => ({ file, key: `K${i}`, allowAnyFile: true })); }));
    assert.deepEqual(cfg.tokens[1]?.targets.map((t) => ('file' in t ? t.file : undefined)), files);
  });

  it("zod's compiled fast path gives the results of zod's runtime parser: same values, same issues", () => {
    assert.doesNotThrow(() => z.core.compileFn(configSchema), 'zod compiles the config schema (else validateConfig falls back to the runtime parser)');
    const viaRuntime = (input: unknown): unknown => {
      const r = configSchema.safeParse(input, { reportInput: true });
      // validateConfig reports a failed target union as the problems of the shape the target names.
      return r.success ? JSON.stringify(r.data) : expandTargetUnions(r.error.issues as unknown as Parameters<typeof expandTargetUnions>[0]).map((i) => formatJsonPath(i.path));
    };
    const viaValidateConfig = (input: unknown): unknown => {
      try {
        return JSON.stringify(validateConfig(input));
      } catch (e) {
        assert.ok(e instanceof ConfigError);
        return e.issues.map((i) => i.path);
      }
    };
    const many = { tokens: Array.from({ length: 300 }, (_, i) => ({ ...(good.tokens[i % 5] as Json), name: `t${i}`, targets: [{ file: `d${i}/.env`, key: 'K', ...(i % 5 === 2 ? { field: 'clientId' } : {}) }] })) };
    const inputs: unknown[] = [good, many, mutate((c) => { (c.tokens[0] as Json).extra = 1; }), ...BAD.map(([, input]) => input)];
    for (const input of inputs) assert.deepEqual(viaValidateConfig(input), viaRuntime(input));
  });

  it('two entries that rotate one Cloudflare credential: an error at the second entry naming the first ("already configured as")', () => {
    const c = clone();
    c.tokens.push({ ...c.tokens[0]!, name: 'deploy 2', targets: [{ file: 'other.env', key: 'TOKEN' }] });
    assert.throws(
      () => validateConfig(c),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.issues.length === 1 &&
        e.issues[0]?.path === 'tokens[5]' &&
        e.issues[0].message === "rotates the same Cloudflare credential as tokens[0]: it is already configured as 'deploy' (add this entry's targets to 'deploy' instead)",
    );
    // Not duplicates: the other token type of a relay, the same service token id in another scope, another profile's entry of another token.
    const ok = clone();
    ok.tokens.push({ ...ok.tokens[4]!, name: 'relay-sub', tokenType: 'subscribe', targets: [{ file: 'b.env', key: 'SUB' }] });
    ok.tokens.push({ ...ok.tokens[2]!, name: 'ci other account', accountId: B, targets: [{ file: 'b.env', key: 'CI_ID', field: 'clientId' }] });
    assert.equal(validateConfig(ok).tokens.length, 7);
  });

  it('syntax errors give line and column', () => {
    assert.throws(() => parseConfig('{\n  "tokens": [\n    {,\n  ]\n}'), /line 3, column \d+/);
  });

  it('a missing required id says "is required" and the message is human', () => {
    const c = clone();
    delete c.tokens[0]!.accountId;
    assert.throws(() => validateConfig(c), /tokens\[0\]\.accountId: is required/);
    const d = clone();
    d.tokens[0]!.accountId = 'abc';
    assert.throws(() => validateConfig(d), /tokens\[0\]\.accountId: must be 32 hex characters/);
  });

  it('formats JSON paths', () => {
    assert.equal(formatJsonPath(['tokens', 2, 'accountId']), 'tokens[2].accountId');
    assert.equal(formatJsonPath([]), '(root)');
  });

  it('parses durations', () => {
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('7d'), 604_800_000);
    assert.equal(parseDuration('0s'), 0);
    assert.throws(() => parseDuration('soon'));
  });

  it('generates a JSON Schema for the editor from the same zod schema', () => {
    const s = configJsonSchema();
    assert.equal(s.type, 'object');
    const text = JSON.stringify(s);
    for (const kind of ['account-api-token', 'user-api-token', 'access-service-token', 'moq-relay-token']) assert.ok(text.includes(kind), kind);
    assert.ok(text.includes('^[0-9a-fA-F]{32}$'));
  });
});
