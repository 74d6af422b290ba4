import { strict as assert } from 'node:assert';
import * as z from 'zod/mini';
import { ConfigError, ConfigTexts, expandTargetUnions, fastParse, formatJsonPath, parseConfig, parseJsoncValue, starterConfig, validateConfig } from '../../../src/core/config/load';
import {
  configJsonSchema,
  configSchema,
  credentialKey,
  DEFAULT_OVERLAP,
  DESTINATION_LABEL,
  destinationAccount,
  destinationTargets,
  fileTargets,
  isEnvLikeFile,
  isFileTarget,
  normaliseRelative,
  parseDuration,
  strategyOf,
  targetField,
  targetLabel,
  targetPathProblem,
  TOKEN_KINDS,
  TOKEN_SCHEMAS,
} from '../../../src/core/config/schema';
import { configureL10n, resetL10n } from '../../../src/core/l10n';
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

  it("zod's compiled fast path gives the results of zod's runtime parser: same values, same issues (and a fuzz of 1,200 broken configurations)", () => {
    for (const kind of TOKEN_KINDS) assert.doesNotThrow(() => z.core.compileFn(TOKEN_SCHEMAS[kind]), `zod compiles the ${kind} schema (else validateConfig parses that kind with the runtime parser)`);
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
    // From 200 tokens on the generated parsers are used, and from then on for every configuration.
    const many = { tokens: Array.from({ length: 300 }, (_, i) => ({ ...(good.tokens[i % 5] as Json), name: `t${i}`, targets: [{ file: `d${i}/.env`, key: 'K', ...(i % 5 === 2 ? { field: 'clientId' } : {}) }] })) };
    // One entry too many, each valid on its own (the limit is the only problem).
    const tooMany = { tokens: Array.from({ length: 5001 }, (_, i) => ({ ...(good.tokens[1] as Json), name: `u${i}`, tokenId: i.toString(16).padStart(32, '0'), targets: [{ file: `d${i}/.env`, key: 'K' }] })) };
    const inputs: unknown[] = [good, many, tooMany, { ...many, $schema: 'x.json' }, mutate((c) => { (c.tokens[0] as Json).extra = 1; }), ...BAD.map(([, input]) => input)];
    for (const input of inputs) assert.deepEqual(viaValidateConfig(input), viaRuntime(input));

    // Every kind, every kind of target, then one random change at a time.
    const rich = (): Json => ({
      $schema: './node_modules/cf-rotate/schema.json',
      tokens: [
        ...clone().tokens,
        { name: 'turnstile', kind: 'turnstile-secret', accountId: A, sitekey: '0x4AAAAAAAB1234', invalidateImmediately: false, targets: [{ worker: 'api', key: 'TURNSTILE_SECRET' }] },
        { name: 'oauth', kind: 'oauth-client-secret', accountId: A, clientId: B, overlap: '1h', targets: [{ pages: 'site', environment: 'production', key: 'OAUTH_SECRET' }, { file: '.env', key: 'OAUTH_ID', field: 'clientId' }] },
        { name: 'replace', kind: 'account-api-token', accountId: B, tokenId: A, strategy: 'replace', overlap: '2h', profile: 'ci', description: 'twin', targets: [{ secretsStore: A, secretId: B }, { github: 'octo/app', environment: 'prod', key: 'CF_TOKEN' }, { file: 'x.txt', key: 'T', allowAnyFile: true, allowTracked: true }] },
        { name: 'zone-version', kind: 'access-service-token', zoneId: A, serviceTokenId: UUID, method: 'version', clientSecretVersion: 3, targets: [{ file: '.env.local', key: 'Z' }] },
      ],
    });
    const VALUES: unknown[] = [null, 0, 1, -1, 1.5, 3651, '', 'x', 'KEY', '.env', '../.env', '/etc/passwd', A, UUID, '24h', 'replace', 'version', 'clientId', 'account-api-token', 'moq-relay-token', true, false, [], {}, [{ file: '.env', key: 'K' }], 'a'.repeat(600)];
    const KEYS = ['extra', 'kind', 'name', 'file', 'key', 'field', 'worker', 'github', 'pages', 'environment', 'accountId', 'zoneId', 'overlap', 'strategy', 'method', 'allowAnyFile', '__proto__', 'constructor'];
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const pick = <T>(list: readonly T[]): T => list[rnd(list.length)] as T;
    /** Every object and array inside `v`, with the root. */
    const containers = (v: unknown, out: (Json | unknown[])[] = []): (Json | unknown[])[] => {
      if (typeof v === 'object' && v !== null) {
        out.push(v as Json);
        for (const child of Object.values(v)) containers(child, out);
      }
      return out;
    };
    /** Each case is a whole parse on both sides: 1,200 keep the test near half a second (Stryker runs it once per mutant). */
    const FUZZ_CASES = 1200;
    let accepted = 0;
    for (let n = 0; n < FUZZ_CASES; n++) {
      const cfg = rich();
      const tokens = cfg.tokens as Json[];
      for (let changes = 1 + rnd(2); changes > 0; changes--) {
        const op = rnd(6);
        if (op === 0) tokens.push(JSON.parse(JSON.stringify(pick(tokens))) as Json); // a duplicate entry
        else if (op === 1) (pick(tokens) as Json).name = (pick(tokens) as Json).name; // a duplicate name (or the same)
        else {
          const target = pick(containers(cfg));
          const keys = Object.keys(target);
          if (Array.isArray(target)) {
            if (target.length > 0 && op === 2) target.splice(rnd(target.length), 1);
            else target[rnd(target.length + 1)] = pick(VALUES);
          } else if (op === 2 && keys.length > 0) delete target[pick(keys)];
          else if (op === 3) Object.defineProperty(target, pick(KEYS), { value: pick(VALUES), enumerable: true, writable: true, configurable: true });
          else if (keys.length > 0) target[pick(keys)] = pick(VALUES);
        }
      }
      const copy = JSON.parse(JSON.stringify(cfg)) as unknown;
      const fast = viaValidateConfig(cfg);
      assert.deepEqual(fast, viaRuntime(copy), `fuzz case ${n}: ${JSON.stringify(cfg).slice(0, 400)}`);
      if (typeof fast === 'string') accepted++;
    }
    // Both sides of the comparison were exercised: valid results and refusals.
    assert.ok(accepted > FUZZ_CASES / 30 && accepted < FUZZ_CASES - 100, `${accepted} of ${FUZZ_CASES} fuzzed configurations were valid`);
  });

  it('the fast path takes every valid configuration itself (the runtime parser is only for refusals) and gives its value', () => {
    const entries = (n: number): Json[] =>
      Array.from({ length: n }, (_, i) => ({ ...(good.tokens[1] as Json), name: `u${i}`, tokenId: i.toString(16).padStart(32, '0'), targets: [{ file: `d${i}/.env`, key: 'K' }] }));
    for (const input of [good, { tokens: entries(3) }, { $schema: 'https://example.com/s.json', tokens: entries(2) }, { tokens: [] }, { tokens: entries(5000) }]) {
      const fast = fastParse(input);
      assert.ok(fast !== undefined, `the fast path took ${JSON.stringify(input).slice(0, 80)}`);
      assert.equal(JSON.stringify(fast), JSON.stringify(configSchema.parse(input)));
    }
    // What it leaves to the runtime parser (which refuses each of them).
    for (const input of [null, 7, [], {}, { tokens: {} }, { tokens: entries(5001) }, { tokens: entries(1), extra: 1 }, { $schema: 1, tokens: [] }, { tokens: [1] }, { tokens: [{ kind: 'nope' }] }, { tokens: [{ ...(good.tokens[1] as Json), tokenId: 'x' }] }, { tokens: [good.tokens[1], good.tokens[1]] }]) {
      assert.equal(fastParse(input), undefined, JSON.stringify(input).slice(0, 80));
      assert.equal(configSchema.safeParse(input).success, false);
    }
  });

  it("ConfigTexts: a folder's text read again unchanged gives the same frozen configuration back; an edited or invalid text is parsed again", () => {
    const texts = new ConfigTexts();
    const text = JSON.stringify(good);
    const first = texts.parse('/w/app', text);
    assert.equal(texts.parse('/w/app', text), first, 'the same text: the same configuration, not parsed again');
    assert.notEqual(parseConfig(text), first, 'parseConfig alone keeps nothing');
    // Shared by every read of the text, so no consumer can change it for the others.
    assert.ok(Object.isFrozen(first) && Object.isFrozen(first.tokens) && Object.isFrozen(first.tokens[0]) && Object.isFrozen(first.tokens[0]!.targets[0]));
    assert.throws(() => {
      (first.tokens[0]!.targets[0] as { file?: string }).file = '../../outside/.env';
    }, TypeError);
    assert.equal(JSON.stringify(texts.parse('/w/app', text)), JSON.stringify(configSchema.parse(good)));
    // Another folder with the same text has its own; an edit replaces the folder's text.
    const other = texts.parse('/w/api', text);
    assert.notEqual(other, first);
    const edited = texts.parse('/w/app', `${text}\n`);
    assert.notEqual(edited, first);
    assert.deepEqual(edited, first);
    assert.notEqual(texts.parse('/w/app', text), first, 'the text before the edit is not kept');
    assert.equal(texts.parse('/w/api', text), other);
    texts.forget('/w/api');
    assert.notEqual(texts.parse('/w/api', text), other, 'a forgotten folder is parsed again');
    // A text with problems is refused every time, in the display language of the moment, and keeps nothing.
    const bad = JSON.stringify({ tokens: [{ ...(good.tokens[1] as Json), name: 1 }] });
    const before = texts.parse('/w/app', text);
    assert.throws(() => texts.parse('/w/app', bad), /must be a string, not a number/);
    configureL10n({ language: 'fr', bundle: { 'must be {0}, not {1}': 'doit être {0}, pas {1}', 'a string': 'une chaîne', 'a number': 'un nombre' } });
    try {
      assert.throws(() => texts.parse('/w/app', bad), /doit être une chaîne, pas un nombre/);
    } finally {
      resetL10n();
    }
    assert.notEqual(texts.parse('/w/app', text), before, 'the invalid text dropped the one before it');
  });

  it('a value of the wrong type is named in words: every JSON type, and what only code can pass', () => {
    const msg = (fn: (t: Json) => void): string => {
      try {
        validateConfig(mutate((c) => fn(c.tokens[0] as Json)));
      } catch (e) {
        return (e as ConfigError).issues[0]?.message ?? '';
      }
      return 'valid';
    };
    assert.equal(msg((t) => { t.name = 1; }), 'must be a string, not a number');
    assert.equal(msg((t) => { t.name = true; }), 'must be a string, not a boolean');
    assert.equal(msg((t) => { t.name = {}; }), 'must be a string, not an object');
    assert.equal(msg((t) => { t.name = []; }), 'must be a string, not an array');
    assert.equal(msg((t) => { t.name = null; }), 'must be a string, not null');
    assert.equal(msg((t) => { t.rotateEveryDays = 'x'; }), 'must be a number, not a string');
    assert.equal(msg((t) => { t.rotateEveryDays = 1.5; }), 'must be an int, not a number');
    assert.equal(msg((t) => { (t.targets as Json[])[0]!.allowAnyFile = 'yes'; }), 'must be a boolean, not a string');
    assert.equal(msg((t) => { t.targets = {}; }), 'must be an array, not an object');
    assert.equal(msg((t) => { t.name = () => 'x'; }), 'must be a string, not a value of type function');
    assert.equal(msg((t) => { t.name = 1n; }), 'must be a string, not a value of type bigint');
    // In the display language: each type has its own message (not English glued together).
    configureL10n({
      language: 'fr',
      bundle: { 'must be {0}, not {1}': 'doit être {0}, pas {1}', 'a string': 'une chaîne', 'a number': 'un nombre', 'an int': 'un entier', 'a boolean': 'un booléen', 'an object': 'un objet', 'an array': 'un tableau' },
    });
    try {
      assert.equal(msg((t) => { t.name = 1; }), 'doit être une chaîne, pas un nombre');
      assert.equal(msg((t) => { t.rotateEveryDays = 1.5; }), 'doit être un entier, pas un nombre');
      assert.equal(msg((t) => { (t.targets as Json[])[0]!.allowAnyFile = 'yes'; }), 'doit être un booléen, pas une chaîne');
      assert.equal(msg((t) => { t.targets = {}; }), 'doit être un tableau, pas un objet');
      assert.equal(msg((t) => { t.name = []; }), 'doit être une chaîne, pas un tableau');
    } finally {
      resetL10n();
    }
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

describe('config: every rule in its own words', () => {
  const issues = (data: unknown): ConfigError['issues'] => {
    try {
      validateConfig(data);
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      return e.issues;
    }
    assert.fail('valid');
  };
  const one = (extra: Json): unknown => ({ tokens: [{ name: 'me', kind: 'user-api-token', tokenId: B, targets: [{ file: '.env', key: 'K' }], ...extra }] });
  const target = (t: unknown): unknown => one({ targets: [t] });
  const at = (path: string, message: string): { path: string; message: string } => ({ path, message });
  const T = 'tokens[0].targets[0]';
  const NOT_ENV = 'is not an env-style file (.env, .env.*, *.env, .dev.vars, .dev.vars.*, .envrc): add "allowAnyFile": true to this target if a secret really belongs there';
  const UNKNOWN = 'cf-rotate.json allows only the documented keys (a misspelt key would otherwise be ignored silently)';

  const CASES: [string, unknown, { path: string; message: string }[]][] = [
    ['name', one({ name: 'a/b' }), [at('tokens[0].name', 'must be 1-64 characters: letters, digits, space, . _ - (starting with a letter or digit)')]],
    ['profile', one({ profile: '../x' }), [at('tokens[0].profile', 'must be a profile name (letters, digits, . _ -)')]],
    ['rotateEveryDays 0', one({ rotateEveryDays: 0 }), [at('tokens[0].rotateEveryDays', 'must be at least 1')]],
    ['rotateEveryDays 3651', one({ rotateEveryDays: 3651 }), [at('tokens[0].rotateEveryDays', 'must be at most 3650')]],
    ['rotateEveryDays text', one({ rotateEveryDays: 'x' }), [at('tokens[0].rotateEveryDays', 'must be a number, not a string')]],
    ['no targets', one({ targets: [] }), [at('tokens[0].targets', 'needs at least one target (a file, or a destination)')]],
    ['tokenId', one({ tokenId: 'x' }), [at('tokens[0].tokenId', 'must be 32 hex characters (the token ID from the Cloudflare dashboard or API)')]],
    ['file empty', target({ file: '', key: 'K' }), [at(`${T}.file`, 'must not be empty'), at(`${T}.file`, NOT_ENV)]],
    ['file too long', target({ file: `${'x'.repeat(1025)}.env`, key: 'K' }), [at(`${T}.file`, 'is too long')]],
    ['file NUL', target({ file: 'a\0.env', key: 'K' }), [at(`${T}.file`, 'must not contain NUL characters'), at(`${T}.file`, 'must not contain control, direction-override or invisible characters (line breaks, escapes, bidi controls)')]],
    ['file bidi', target({ file: 'a\u202e.env', key: 'K' }), [at(`${T}.file`, 'must not contain control, direction-override or invisible characters (line breaks, escapes, bidi controls)')]],
    ['file link syntax', target({ file: 'a(b).env', key: 'K' }), [at(`${T}.file`, 'must not contain [ ] ( ) < > or ` (they could form links in messages)')]],
    ['file absolute', target({ file: '/a.env', key: 'K' }), [at(`${T}.file`, 'must be relative to the workspace folder, not absolute')]],
    ['file ..', target({ file: 'a/../b.env', key: 'K' }), [at(`${T}.file`, "must stay inside the workspace folder (no '..' segments)")]],
    ['file .git', target({ file: '.GIT/x.env', key: 'K' }), [at(`${T}.file`, "must not be inside .git (git's own data)")]],
    ['file the config', target({ file: './.vscode//CF-rotate.json', key: 'K', allowAnyFile: true }), [at(`${T}.file`, 'is the cf-rotate configuration itself')]],
    ['file not env-style', target({ file: 'x.txt', key: 'K' }), [at(`${T}.file`, NOT_ENV)]],
    ['allowAnyFile text', target({ file: '.env', key: 'K', allowAnyFile: 'yes' }), [at(`${T}.allowAnyFile`, 'must be a boolean, not a string')]],
    ['file key', target({ file: '.env', key: '1K' }), [at(`${T}.key`, 'must be a .env variable name (letters, digits, _ . -; not starting with a digit)')]],
    ['field of an API token', target({ file: '.env', key: 'K', field: 'clientId' }), [at(`${T}.field`, 'must be one of r2AccessKeyId, r2SecretAccessKey, token for user-api-token')]],
    ['unknown key', target({ file: '.env', key: 'K', extra: 1 }), [at(T, `has an unknown key "extra": ${UNKNOWN}`)]],
    ['worker name', target({ worker: '-w', key: 'K', accountId: A }), [at(`${T}.worker`, 'must be a Worker (script) name: letters, digits, - and _ (at most 63)')]],
    ['worker name type', target({ worker: 5, key: 'K', accountId: A }), [at(`${T}.worker`, 'must be a string, not a number')]],
    ['worker without account', target({ worker: 'w', key: 'K' }), [at(T, 'needs "accountId": the account of this destination (a user-api-token has no account to take it from)')]],
    ['pages name', target({ pages: 'Site', environment: 'preview', key: 'K', accountId: A }), [at(`${T}.pages`, 'must be a Pages project name: lower-case letters, digits and - (at most 58)')]],
    ['pages environment', target({ pages: 'site', environment: 'staging', key: 'K', accountId: A }), [at(`${T}.environment`, 'must be one of "production", "preview"')]],
    ['pages environment missing', target({ pages: 'site', key: 'K', accountId: A }), [at(`${T}.environment`, 'is required: one of "production", "preview"')]],
    ['store id', target({ secretsStore: 'x', secretId: A, accountId: A }), [at(`${T}.secretsStore`, 'must be 32 hex characters (the Secrets Store ID from the Cloudflare dashboard or API)')]],
    ['store secret id', target({ secretsStore: A, secretId: 'y', accountId: A }), [at(`${T}.secretId`, 'must be 32 hex characters (the secret ID from the Cloudflare dashboard or API)')]],
    ['destination key', target({ worker: 'w', key: 'a-b', accountId: A }), [at(`${T}.key`, 'must be a secret name: letters, digits and _, not starting with a digit (at most 256)')]],
    ['destination profile', target({ worker: 'w', key: 'K', accountId: A, profile: '../p' }), [at(`${T}.profile`, 'must be a profile name (letters, digits, . _ -)')]],
    ['destination account', target({ worker: 'w', key: 'K', accountId: 'z' }), [at(`${T}.accountId`, 'must be 32 hex characters (the account ID from the Cloudflare dashboard or API)')]],
    ['github repository', target({ github: 'o', key: 'K' }), [at(`${T}.github`, 'must be a GitHub repository as owner/name')]],
    ['github environment', target({ github: 'o/r', environment: ' x', key: 'K' }), [at(`${T}.environment`, 'must be a GitHub environment name (letters, digits, space, . _ -; at most 255)')]],
    ['github environment ..', target({ github: 'o/r', environment: '..', key: 'K' }), [at(`${T}.environment`, 'must be a GitHub environment name (letters, digits, space, . _ -; at most 255)')]],
    ['github environment .', target({ github: 'o/r', environment: '.', key: 'K' }), [at(`${T}.environment`, 'must be a GitHub environment name (letters, digits, space, . _ -; at most 255)')]],
    ['github key', target({ github: 'o/r', key: '1K' }), [at(`${T}.key`, 'must be a GitHub secret name: letters, digits and _, not starting with a digit')]],
    ['github reserved prefix', target({ github: 'o/r', key: 'github_X' }), [at(`${T}.key`, 'must not start with GITHUB_ (GitHub reserves that prefix)')]],
    ['no known target key: read as a file target', target({ foo: 1 }), [at(`${T}.file`, 'is required'), at(`${T}.key`, 'is required'), at(T, `has an unknown key "foo": ${UNKNOWN}`)]],
    ['not a target at all', target(5), [at(T, 'must be a target: { "file", "key" }, { "worker", "key" }, { "pages", "environment", "key" }, { "secretsStore", "secretId" } or { "github", "key" }')]],
    ['a list as a target', target([]), [at(T, 'must be a target: { "file", "key" }, { "worker", "key" }, { "pages", "environment", "key" }, { "secretsStore", "secretId" } or { "github", "key" }')]],
    ['one destination twice in one token (account ids compare case-insensitively)', one({ targets: [{ worker: 'w', key: 'K', accountId: A }, { worker: 'w', key: 'K', accountId: A.toUpperCase() }] }), [at('tokens[0].targets[1].key', 'is written twice by this token (two targets name the same place)')]],
    ['one GitHub secret in two tokens (names compare case-insensitively)', { tokens: [{ name: 'a', kind: 'user-api-token', tokenId: A, targets: [{ github: 'O/R', key: 'k' }] }, { name: 'b', kind: 'user-api-token', tokenId: B, targets: [{ github: 'o/r', key: 'K' }] }] }, [at('tokens[1].targets[0].key', 'is also written by tokens[0]: two tokens cannot share one destination')]],
    ['one Pages secret in two tokens (the token\'s account by default)', { tokens: [{ name: 'a', kind: 'account-api-token', accountId: A, tokenId: A, targets: [{ pages: 'p', environment: 'preview', key: 'K' }] }, { name: 'b', kind: 'account-api-token', accountId: A, tokenId: B, targets: [{ pages: 'p', environment: 'preview', key: 'K', accountId: A }] }] }, [at('tokens[1].targets[0].key', 'is also written by tokens[0]: two tokens cannot share one destination')]],
    ['one Secrets Store secret in two tokens', { tokens: [{ name: 'a', kind: 'account-api-token', accountId: A, tokenId: A, targets: [{ secretsStore: A, secretId: B }] }, { name: 'b', kind: 'account-api-token', accountId: A, tokenId: B, targets: [{ secretsStore: A.toUpperCase(), secretId: B.toUpperCase() }] }] }, [at('tokens[1].targets[0]', 'is also written by tokens[0]: two tokens cannot share one destination')]],
    ['one file variable in two tokens', { tokens: [{ name: 'a', kind: 'user-api-token', tokenId: A, targets: [{ file: '.env', key: 'K' }] }, { name: 'b', kind: 'user-api-token', tokenId: B, targets: [{ file: './/.env', key: 'K' }] }] }, [at('tokens[1].targets[0].key', 'is also written by tokens[0]: two tokens cannot share one variable')]],
    ['duplicate name', { tokens: [{ name: 'a', kind: 'user-api-token', tokenId: A, targets: [{ file: 'a.env', key: 'K' }] }, { name: 'a', kind: 'user-api-token', tokenId: B, targets: [{ file: 'b.env', key: 'K' }] }] }, [at('tokens[1].name', 'duplicates the name of tokens[0]')]],
    ['one credential twice', { tokens: [{ name: 'a', kind: 'user-api-token', tokenId: A, targets: [{ file: 'a.env', key: 'K' }] }, { name: 'b', kind: 'user-api-token', tokenId: A.toUpperCase(), targets: [{ file: 'b.env', key: 'K' }] }] }, [at('tokens[1]', "rotates the same Cloudflare credential as tokens[0]: it is already configured as 'a' (add this entry's targets to 'a' instead)")]],
    ['clientSecretVersion with the rotate method (an account\'s default)', { tokens: [{ name: 'a', kind: 'access-service-token', accountId: A, serviceTokenId: UUID, clientSecretVersion: 2, targets: [{ file: '.env', key: 'K' }] }] }, [at('tokens[0].clientSecretVersion', 'is used only with "method": "version"')]],
    ['clientSecretVersion 0', { tokens: [{ name: 'a', kind: 'access-service-token', zoneId: A, serviceTokenId: UUID, clientSecretVersion: 0, targets: [{ file: '.env', key: 'K' }] }] }, [at('tokens[0].clientSecretVersion', 'must be at least 1')]],
    ['clientSecretVersion too big', { tokens: [{ name: 'a', kind: 'access-service-token', zoneId: A, serviceTokenId: UUID, clientSecretVersion: 1_000_001, targets: [{ file: '.env', key: 'K' }] }] }, [at('tokens[0].clientSecretVersion', 'must be at most 1000000')]],
    ['zone token with the rotate method', { tokens: [{ name: 'a', kind: 'access-service-token', zoneId: A, serviceTokenId: UUID, method: 'rotate', targets: [{ file: '.env', key: 'K' }] }] }, [at('tokens[0].method', 'zone-level service tokens have no rotate endpoint: use "version"')]],
    ['service token with both account and zone', { tokens: [{ name: 'a', kind: 'access-service-token', accountId: A, zoneId: A, serviceTokenId: UUID, targets: [{ file: '.env', key: 'K' }] }] }, [at('tokens[0]', 'needs exactly one of accountId or zoneId')]],
    ['field of a service token', { tokens: [{ name: 'a', kind: 'access-service-token', zoneId: A, serviceTokenId: UUID, targets: [{ file: '.env', key: 'K', field: 'token' }] }] }, [at('tokens[0].targets[0].field', 'must be one of clientId, clientSecret for access-service-token')]],
    ['gracePeriod', { tokens: [{ name: 'a', kind: 'access-service-token', zoneId: A, serviceTokenId: UUID, gracePeriod: '1 h', targets: [{ file: '.env', key: 'K' }] }] }, [at('tokens[0].gracePeriod', 'must be a duration such as 30m, 1h, 24h or 7d')]],
    ['serviceTokenId', { tokens: [{ name: 'a', kind: 'access-service-token', zoneId: A, serviceTokenId: 'x', targets: [{ file: '.env', key: 'K' }] }] }, [at('tokens[0].serviceTokenId', 'must be a UUID (the service token ID)')]],
    ['kind', { tokens: [{ name: 'a', kind: 'x', targets: [{ file: '.env', key: 'K' }] }] }, [at('tokens[0].kind', 'has an unknown "kind": use account-api-token, user-api-token, access-service-token, moq-relay-token, turnstile-secret or oauth-client-secret')]],
    ['tokenType', { tokens: [{ name: 'a', kind: 'moq-relay-token', accountId: A, relayId: B, tokenType: 'x', targets: [{ file: '.env', key: 'K' }] }] }, [at('tokens[0].tokenType', 'must be one of "publish_subscribe", "subscribe"')]],
    ['$schema', { $schema: 5, tokens: [] }, [at('$schema', 'must be a string, not a number')]],
    ['unknown top-level keys', { tokens: [], extra: 1, other: 2 }, [at('(root)', `has an unknown key "extra", "other": ${UNKNOWN}`)]],
    ['too many tokens', { tokens: Array.from({ length: 5001 }, () => 0) }, [at('tokens', 'must list at most 5000 tokens')]],
    ['tokens not a list', { tokens: 5 }, [at('tokens', 'must be an array, not a number')]],
    ['a token that is a list', { tokens: [[]] }, [at('tokens[0]', 'must be an object, not an array')]],
    ['a token that is null', { tokens: [null] }, [at('tokens[0]', 'must be an object, not null')]],
  ];
  for (const [what, data, expected] of CASES) {
    it(`${what}: ${expected.map((e) => e.path).join(', ')}`, () => {
      assert.deepEqual(issues(data).slice(0, expected.length), expected);
    });
  }

  it('valid: a file variable named twice by one token; a service token with the version method and its version; both relay token types', () => {
    validateConfig(one({ targets: [{ file: '.env', key: 'K' }, { file: './.env', key: 'K' }] }));
    validateConfig({ tokens: [{ name: 'a', kind: 'access-service-token', accountId: A, serviceTokenId: UUID, method: 'version', clientSecretVersion: 1_000_000, targets: [{ file: '.env', key: 'K', field: 'clientId' }] }] });
    validateConfig({ tokens: [{ name: 'a', kind: 'access-service-token', zoneId: A, serviceTokenId: UUID, clientSecretVersion: 1, targets: [{ file: '.env', key: 'K' }] }] });
    const relay = validateConfig({ tokens: [{ name: 'a', kind: 'moq-relay-token', accountId: A, relayId: B, targets: [{ file: '.env', key: 'K' }] }, { name: 'b', kind: 'moq-relay-token', accountId: A, relayId: B, tokenType: 'subscribe', targets: [{ file: '.env', key: 'S' }] }] });
    assert.deepEqual(relay.tokens.map((t) => (t as { tokenType?: string }).tokenType), ['publish_subscribe', 'subscribe']);
    assert.equal(relay.tokens[0]?.profile, 'default');
    validateConfig(one({ targets: [{ github: 'o/r', key: 'K' }, { github: 'o/r', environment: 'prod', key: 'K' }, { github: 'o/.github', key: 'K' }] }));
    validateConfig(one({ rotateEveryDays: 3650, description: 'x'.repeat(500), targets: [{ file: 'x'.repeat(1020) + '.env', key: 'K' }] }));
    validateConfig({ tokens: [{ name: 'a', kind: 'account-api-token', accountId: A, tokenId: A, targets: [{ worker: 'w', key: 'K' }, { pages: 'p', environment: 'production', key: 'K' }, { pages: 'p', environment: 'preview', key: 'K' }, { secretsStore: A, secretId: B }, { worker: 'w', key: 'K', accountId: B }] }] });
  });

  it('ConfigError: the first five issues in the message, the count of the rest, the hint naming the file', () => {
    const e = new ConfigError('cfg.json', Array.from({ length: 7 }, (_, i) => ({ path: `p${i}`, message: `m${i}` })));
    assert.equal(e.kind, 'config');
    assert.equal(e.message, 'cfg.json is invalid: p0: m0; p1: m1; p2: m2; p3: m3; p4: m4 (+2 more)');
    assert.match(e.hint ?? '', /^Fix cfg\.json \(.+\), then try again\.$/);
    assert.equal(new ConfigError('c', [{ path: 'a', message: 'b' }]).message, 'c is invalid: a: b');
    assert.equal(e.issues.length, 7);
  });

  it('parseConfig: syntax errors at line and column, the size limit, the file name in the message', () => {
    assert.throws(() => parseConfig('{\n  "tokens": [\n  x ]\n}'), (e: ConfigError) => e.message === '.vscode/cf-rotate.json has a syntax error at line 3, column 3: an unexpected character');
    assert.throws(() => parseConfig('x'.repeat(1024 * 1024 + 1), 'c.json'), (e: ConfigError) => e.message === 'c.json is larger than 1048576 bytes');
    assert.throws(() => parseConfig('{"tokens": 5}', 'c.json'), (e: ConfigError) => e.message === 'c.json is invalid: tokens: must be an array, not a number');
    assert.deepEqual(parseConfig(`${'{"tokens":[]}'.padEnd(1024 * 1024, ' ')}`), { tokens: [] }, 'exactly 1 MiB is fine');
  });

  it('formatJsonPath and expandTargetUnions on their own', () => {
    assert.equal(formatJsonPath([]), '(root)');
    assert.equal(formatJsonPath([0, 'a', 1, 'b']), '[0].a[1].b');
    assert.equal(formatJsonPath(['a', 'b']), 'a.b');
    const plain = { code: 'custom', message: 'm', path: ['tokens', 0] };
    assert.deepEqual(expandTargetUnions([plain]), [plain]);
    const notTarget = { code: 'invalid_union', message: 'u', path: ['x'], input: {}, errors: [[]] };
    assert.deepEqual(expandTargetUnions([notTarget]), [notTarget]);
    const inner = { code: 'custom', message: 'inner', path: ['worker'] };
    const union = { code: 'invalid_union', message: 'u', path: ['tokens', 0, 'targets', 2], input: { worker: 1 }, errors: [[{ code: 'custom', message: 'file', path: ['file'] }], [inner]] };
    assert.deepEqual(expandTargetUnions([union]), [{ code: 'custom', message: 'inner', path: ['tokens', 0, 'targets', 2, 'worker'] }]);
    const empty = { ...union, errors: [[], []] };
    assert.equal(expandTargetUnions([empty])[0]?.message.startsWith('must be a target: '), true);
  });

  it('isEnvLikeFile: the env-style names, in any folder, and nothing else', () => {
    for (const f of ['.env', '.env.local', 'x.env', '.dev.vars', '.dev.vars.prod', '.envrc', 'sub/.env', 'sub\\x.env']) assert.equal(isEnvLikeFile(f), true, f);
    for (const f of ['env', '.envx', '.env.', '.dev.varsx', '.dev.vars.', 'x.env.bak', '.envrc2', 'a.envrc', '.env/', 'x.txt', '.env.d/x', '']) assert.equal(isEnvLikeFile(f), false, f);
  });

  it('targetLabel, DESTINATION_LABEL, fileTargets, destinationTargets, destinationAccount, targetField', () => {
    assert.equal(targetLabel({ file: '.env', key: 'K' }), '.env › K');
    assert.equal(targetLabel({ worker: 'api', key: 'K' }), 'worker:api › K');
    assert.equal(targetLabel({ pages: 'site', environment: 'preview', key: 'K' }), 'pages:site (preview) › K');
    assert.equal(targetLabel({ secretsStore: 's', secretId: 'i' }), 'secrets-store:s/i');
    assert.equal(targetLabel({ github: 'o/r', key: 'K' }), 'github:o/r › K');
    assert.equal(targetLabel({ github: 'o/r', environment: 'prod', key: 'K' }), 'github:o/r (environment prod) › K');
    for (const l of ['worker:a', 'pages:a', 'secrets-store:a', 'github:a']) assert.match(l, DESTINATION_LABEL);
    for (const l of ['.env › K', 'x worker:a', 'workers:a']) assert.doesNotMatch(l, DESTINATION_LABEL);
    const cfg = validateConfig({ tokens: [{ name: 'a', kind: 'account-api-token', accountId: A, tokenId: A, targets: [{ file: '.env', key: 'K' }, { worker: 'w', key: 'K' }, { file: 'b.env', key: 'K', field: 'token' }, { worker: 'w2', key: 'K', accountId: B }] }] });
    const tok = cfg.tokens[0]!;
    assert.deepEqual(fileTargets(tok), [{ file: '.env', key: 'K' }, { file: 'b.env', key: 'K', field: 'token' }]);
    assert.deepEqual(destinationTargets(tok), [{ worker: 'w', key: 'K' }, { worker: 'w2', key: 'K', accountId: B }]);
    assert.equal(destinationAccount(tok, { worker: 'w', key: 'K' }), A);
    assert.equal(destinationAccount(tok, { worker: 'w', key: 'K', accountId: B }), B);
    const user = validateConfig(one({})).tokens[0]!;
    assert.equal(destinationAccount(user, { worker: 'w', key: 'K' }), undefined);
    assert.equal(targetField(tok, { file: '.env', key: 'K' }), 'token');
    const svc = validateConfig({ tokens: [{ name: 'a', kind: 'access-service-token', zoneId: A, serviceTokenId: UUID, targets: [{ file: '.env', key: 'K' }] }] }).tokens[0]!;
    assert.equal(targetField(svc, { file: '.env', key: 'K' }), 'clientSecret');
    assert.equal(targetField(svc, { file: '.env', key: 'K', field: 'clientId' }), 'clientId');
  });

  it('credentialKey: which Cloudflare credential an entry rotates, ids in lower case', () => {
    assert.equal(credentialKey({ kind: 'account-api-token', accountId: 'AA', tokenId: 'TT' }), 'account-api-token:aa:tt');
    assert.equal(credentialKey({ kind: 'account-api-token' }), 'account-api-token::');
    assert.equal(credentialKey({ kind: 'user-api-token', tokenId: 'TT' }), 'user-api-token:tt');
    assert.equal(credentialKey({ kind: 'user-api-token' }), 'user-api-token:');
    assert.equal(credentialKey({ kind: 'access-service-token', accountId: 'AA', zoneId: 'ZZ', serviceTokenId: 'SS' }), 'access-service-token:a:aa:ss');
    assert.equal(credentialKey({ kind: 'access-service-token', zoneId: 'ZZ', serviceTokenId: 'SS' }), 'access-service-token:z:zz:ss');
    assert.equal(credentialKey({ kind: 'access-service-token' }), 'access-service-token:z::');
    assert.equal(credentialKey({ kind: 'moq-relay-token', accountId: 'AA', relayId: 'RR', tokenType: 'subscribe' }), 'moq-relay-token:aa:rr:subscribe');
    assert.equal(credentialKey({ kind: 'moq-relay-token' }), 'moq-relay-token:::publish_subscribe');
  });

  it('normaliseRelative, parseDuration, targetPathProblem, the JSON Schema\'s title', () => {
    assert.equal(normaliseRelative('a\\b\\c.env'), 'a/b/c.env');
    assert.equal(normaliseRelative('a//b///c.env'), 'a/b/c.env');
    assert.equal(normaliseRelative('././a.env'), 'a.env');
    assert.equal(normaliseRelative('a/./b.env'), 'a/b.env');
    assert.equal(normaliseRelative('x/./y'), 'x/y');
    assert.equal(normaliseRelative('x/y/.'), 'x/y');
    assert.equal(normaliseRelative('a.b/.c.env'), 'a.b/.c.env', 'names with dots are names');
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('7d'), 604_800_000);
    assert.equal(parseDuration('0s'), 0);
    assert.equal(parseDuration('2m1ms'), 120_001);
    assert.throws(() => parseDuration('1 h'), (e: Error) => e instanceof RangeError && e.message === 'not a duration: 1 h');
    assert.throws(() => parseDuration('h'), RangeError);
    assert.throws(() => parseDuration('1h!'), RangeError);
    assert.equal(targetPathProblem({ file: '' }), 'must not be empty');
    assert.equal(targetPathProblem({ file: 'x.txt' }), 'is not an env-style file (.env, .env.*, *.env, .dev.vars, .dev.vars.*, .envrc) and the target does not say "allowAnyFile": true');
    assert.equal(targetPathProblem({ file: 'x.txt', allowAnyFile: false }), 'is not an env-style file (.env, .env.*, *.env, .dev.vars, .dev.vars.*, .envrc) and the target does not say "allowAnyFile": true');
    const schema = configJsonSchema();
    assert.equal(schema.title, 'cf-rotate configuration');
    assert.equal(schema.description, 'Cloudflare credentials that cf-rotate rotates, and the .env files and destinations (Workers, Pages, Secrets Store, GitHub Actions secrets) that receive them. Contains no secrets.');
  });
});

describe('config: the edges of each pattern and rule (mutation testing)', () => {
  const messages = (data: unknown): string[] => {
    try {
      validateConfig(data);
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      return e.issues.map((i) => `${i.path}: ${i.message}`);
    }
    return [];
  };
  const withTarget = (t: unknown): unknown => ({ tokens: [{ name: 'me', kind: 'user-api-token', tokenId: B, targets: [t] }] });
  const service = (extra: Json): unknown => ({ tokens: [{ name: 'a', kind: 'access-service-token', serviceTokenId: UUID, targets: [{ file: '.env', key: 'K' }], ...extra }] });
  const T = 'tokens[0].targets[0]';

  it('serviceTokenId: a UUID and nothing before or after it', () => {
    assert.deepEqual(messages(service({ zoneId: A })), []);
    assert.deepEqual(messages(service({ zoneId: A, serviceTokenId: `x${UUID}` })), ['tokens[0].serviceTokenId: must be a UUID (the service token ID)']);
    assert.deepEqual(messages(service({ zoneId: A, serviceTokenId: `${UUID}x` })), ['tokens[0].serviceTokenId: must be a UUID (the service token ID)']);
  });

  it('durations: nothing before the first number; fractions of more than one digit', () => {
    assert.deepEqual(messages(service({ zoneId: A, gracePeriod: 'x1h' })), ['tokens[0].gracePeriod: must be a duration such as 30m, 1h, 24h or 7d']);
    assert.deepEqual(messages(service({ zoneId: A, gracePeriod: '1.25h' })), []);
    assert.equal(parseDuration('1.25h'), 4_500_000);
    assert.equal(parseDuration('0.125s'), 125);
  });

  it('an account-level service token may use the rotate method', () => {
    assert.deepEqual(messages(service({ accountId: A, method: 'rotate' })), []);
  });

  it('file paths: a ".." segment at the end is refused; ".." inside a name is not a segment', () => {
    const leaves = "must stay inside the workspace folder (no '..' segments)";
    for (const file of ['a/..', 'a\\..', '..']) assert.deepEqual(messages(withTarget({ file, key: 'K', allowAnyFile: true })), [`${T}.file: ${leaves}`], file);
    for (const file of ['..a/.env', 'a../.env', 'a/..b.env']) assert.deepEqual(messages(withTarget({ file, key: 'K' })), [], file);
  });

  it('file paths: a ".git" segment at the end is refused; a folder whose name ends in .git is not git\'s', () => {
    const git = "must not be inside .git (git's own data)";
    for (const file of ['sub/.git', '.git', 'sub\\.GIT']) assert.deepEqual(messages(withTarget({ file, key: 'K', allowAnyFile: true })), [`${T}.file: ${git}`], file);
    for (const file of ['a.git/.env', 'x.git/y/.env', '.gitx/.env']) assert.deepEqual(messages(withTarget({ file, key: 'K' })), [], file);
  });

  it('normaliseRelative drops every "." segment, wherever it is (and changes backslashes and doubled slashes): one spelling per file', () => {
    assert.equal(normaliseRelative('a/./b//c.env'), 'a/b/c.env');
    assert.equal(normaliseRelative('a\\./b.env'), 'a/b.env');
    assert.equal(normaliseRelative('./a.env'), 'a.env');
    assert.equal(normaliseRelative('a/.'), 'a');
    assert.equal(normaliseRelative('.a/b.env'), '.a/b.env');
    assert.equal(normaliseRelative('a./b.env'), 'a./b.env');
  });

  it('isEnvLikeFile: the whole base name must match (no prefix before .dev.vars, no line break before *.env)', () => {
    for (const f of ['x.dev.vars', 'x.dev.vars.prod', 'a\nb.env', 'a\n.env']) assert.equal(isEnvLikeFile(f), false, JSON.stringify(f));
  });

  it('Worker and Pages names: nothing after the name', () => {
    assert.deepEqual(messages(withTarget({ worker: 'api!', key: 'K', accountId: A })), [`${T}.worker: must be a Worker (script) name: letters, digits, - and _ (at most 63)`]);
    assert.deepEqual(messages(withTarget({ worker: `w${'x'.repeat(62)}`, key: 'K', accountId: A })), []);
    assert.deepEqual(messages(withTarget({ worker: `w${'x'.repeat(63)}`, key: 'K', accountId: A })), [`${T}.worker: must be a Worker (script) name: letters, digits, - and _ (at most 63)`]);
    assert.deepEqual(messages(withTarget({ pages: 'site!', environment: 'preview', key: 'K', accountId: A })), [`${T}.pages: must be a Pages project name: lower-case letters, digits and - (at most 58)`]);
    assert.deepEqual(messages(withTarget({ pages: `s${'x'.repeat(58)}`, environment: 'preview', key: 'K', accountId: A })), [`${T}.pages: must be a Pages project name: lower-case letters, digits and - (at most 58)`]);
  });

  it('GitHub repositories: owner/name, exactly; "." and ".." are not names', () => {
    const repo = `${T}.github: must be a GitHub repository as owner/name`;
    for (const github of ['-o/r', 'o/r!', 'o/.', 'o/..', 'o/r/x', ' o/r']) assert.deepEqual(messages(withTarget({ github, key: 'K' })), [repo], github);
    for (const github of ['ab/repo', 'a-b/r.x', 'o/...', 'o/.r', `${'o'.repeat(39)}/r`]) assert.deepEqual(messages(withTarget({ github, key: 'K' })), [], github);
  });

  it('GitHub environments: one character is enough; nothing after the name', () => {
    const env = `${T}.environment: must be a GitHub environment name (letters, digits, space, . _ -; at most 255)`;
    assert.deepEqual(messages(withTarget({ github: 'o/r', environment: 'p', key: 'K' })), []);
    assert.deepEqual(messages(withTarget({ github: 'o/r', environment: 'pre prod', key: 'K' })), []);
    for (const environment of ['prod!', 'prod ', '']) assert.deepEqual(messages(withTarget({ github: 'o/r', environment, key: 'K' })), [env], JSON.stringify(environment));
  });

  it('GitHub secret names: only a GITHUB_ prefix is reserved', () => {
    assert.deepEqual(messages(withTarget({ github: 'o/r', key: 'MY_GITHUB_TOKEN' })), []);
  });

  it('two different secrets of one Secrets Store, and one secret of two stores, are different places', () => {
    const store = { tokens: [{ name: 'a', kind: 'account-api-token', accountId: A, tokenId: A, targets: [{ secretsStore: A, secretId: A }, { secretsStore: A, secretId: B }, { secretsStore: B, secretId: A }] }] };
    assert.deepEqual(messages(store), []);
  });

  it('isFileTarget: a target with a "file" key that is not a string is not a file target', () => {
    assert.equal(isFileTarget({ worker: 'w', key: 'K', file: undefined } as unknown as Parameters<typeof isFileTarget>[0]), false);
    assert.equal(isFileTarget({ file: '.env', key: 'K' }), true);
  });

  it('targetPathProblem: none for an env-style file, or any file with allowAnyFile', () => {
    assert.equal(targetPathProblem({ file: '.env' }), undefined);
    assert.equal(targetPathProblem({ file: 'x.txt', allowAnyFile: true }), undefined);
    assert.equal(targetPathProblem({ file: 'a/../.env', allowAnyFile: true }), "must stay inside the workspace folder (no '..' segments)");
  });

  it('ConfigError: exactly five issues are all shown, with no count of more', () => {
    const e = new ConfigError('cfg.json', Array.from({ length: 5 }, (_, i) => ({ path: `p${i}`, message: `m${i}` })));
    assert.equal(e.message, 'cfg.json is invalid: p0: m0; p1: m1; p2: m2; p3: m3; p4: m4');
  });

  it('parseConfig: only a byte order mark at the start is removed', () => {
    assert.deepEqual(parseConfig('\uFEFF{"$schema":"a\uFEFFb","tokens":[]}'), { $schema: 'a\uFEFFb', tokens: [] });
    assert.deepEqual(parseConfig('\uFEFF{"$schema":"a\uFEFFb","tokens":[],}'), { $schema: 'a\uFEFFb', tokens: [] });
    assert.deepEqual(parseConfig('{"$schema":"a\uFEFFb","tokens":[]}'), { $schema: 'a\uFEFFb', tokens: [] });
  });

  it('parseConfig: "__proto__" is an unknown key with comments or trailing commas too; keys inside it are never read (a bug: they were, under JSONC)', () => {
    const UNKNOWN = 'has an unknown key "__proto__": cf-rotate.json allows only the documented keys (a misspelt key would otherwise be ignored silently)';
    const refused = (text: string): string[] => {
      try {
        parseConfig(text);
      } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        return e.issues.map((i) => `${i.path}: ${i.message}`);
      }
      return [];
    };
    assert.deepEqual(refused('{"tokens":[],"__proto__":{}}'), [`(root): ${UNKNOWN}`]);
    assert.deepEqual(refused('{"tokens":[],"__proto__":{}} // a comment'), [`(root): ${UNKNOWN}`]);
    assert.deepEqual(refused('{"tokens":[],"__proto__":{},}'), [`(root): ${UNKNOWN}`]);
    assert.deepEqual(refused('{"__proto__":{"tokens":[]}} // a comment'), ['tokens: is required', `(root): ${UNKNOWN}`]);
    const hidden = `{"tokens":[{"name":"a","kind":"user-api-token","tokenId":"${A}","__proto__":{"targets":[{"file":".env","key":"K"}]}}]} // c`;
    assert.deepEqual(refused(hidden), ['tokens[0].targets: is required', `tokens[0]: ${UNKNOWN}`]);
    const errors: { error: number; offset: number; length: number }[] = [];
    const v = parseJsoncValue('{"__proto__": {"x": 1}, /* c */ "a": [1, "s", null, true,], }', errors) as Record<string, unknown>;
    assert.deepEqual(errors, []);
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
    assert.deepEqual(Object.keys(v), ['__proto__', 'a']);
    assert.deepEqual(Object.getOwnPropertyDescriptor(v, '__proto__')?.value, { x: 1 });
    assert.deepEqual(v.a, [1, 's', null, true]);
    assert.equal((v as { x?: unknown }).x, undefined);
    assert.deepEqual(parseJsoncValue('{"a": 1, "a": 2}', errors), { a: 2 }, 'the last of two equal keys, as JSON.parse');
    assert.equal(parseJsoncValue('', errors), undefined);
  });

  it('expandTargetUnions: a target directly under "targets" (a path of two), and the "custom" code of a target that fits no shape', () => {
    const inner = { code: 'custom', message: 'inner', path: ['key'] };
    const union = { code: 'invalid_union', message: 'u', path: ['targets', 0], input: { worker: 1 }, errors: [[{ code: 'custom', message: 'file', path: ['file'] }], [inner]] };
    assert.deepEqual(expandTargetUnions([union]), [{ code: 'custom', message: 'inner', path: ['targets', 0, 'key'] }]);
    const none = { code: 'invalid_union', message: 'u', path: ['tokens', 0, 'targets', 1], input: 5, errors: [[inner]] };
    assert.deepEqual(expandTargetUnions([none]), [
      {
        ...none,
        code: 'custom',
        message: 'must be a target: { "file", "key" }, { "worker", "key" }, { "pages", "environment", "key" }, { "secretsStore", "secretId" } or { "github", "key" }',
      },
    ]);
  });

  it('ConfigError: a problem of the whole file reads as a sentence only when every issue is one; several are joined by "; "', () => {
    assert.equal(new ConfigError('c.json', []).message, 'c.json is invalid: ');
    assert.equal(new ConfigError('c.json', [{ path: '(file)', message: 'is big' }, { path: '(file)', message: 'is odd' }]).message, 'c.json is big; is odd');
    assert.equal(new ConfigError('c.json', [{ path: '(file)', message: 'is big' }, { path: 'tokens', message: 'm' }]).message, 'c.json is invalid: (file): is big; tokens: m');
  });

  it('the fields of MoQ, Turnstile and OAuth client targets', () => {
    const A2 = '00000000000000000000000000000001';
    const cfg = validateConfig({
      tokens: [
        { name: 'm', kind: 'moq-relay-token', accountId: A, relayId: B, targets: [{ file: '.env', key: 'M', field: 'token' }] },
        { name: 't', kind: 'turnstile-secret', accountId: A, sitekey: '0x4AAAAAAABkMYinukE8nzY', targets: [{ file: '.env', key: 'T', field: 'token' }] },
        { name: 'o', kind: 'oauth-client-secret', accountId: A, clientId: A2, targets: [{ file: '.env', key: 'O', field: 'clientId' }, { file: '.env', key: 'P' }] },
      ],
    });
    assert.deepEqual(
      cfg.tokens.flatMap((t) => t.targets.map((tg) => targetField(t, tg))),
      ['token', 'token', 'clientId', 'clientSecret'],
    );
    assert.deepEqual(messages(withTarget({ file: '.env', key: 'K', field: 'clientId' })), [`${T}.field: must be one of r2AccessKeyId, r2SecretAccessKey, token for user-api-token`]);
  });

  it('Turnstile sitekeys: a digit, "x", then 4 to 30 of letters, digits, _ and -', () => {
    const turnstile = (sitekey: string): unknown => ({ tokens: [{ name: 't', kind: 'turnstile-secret', accountId: A, sitekey, targets: [{ file: '.env', key: 'T' }] }] });
    for (const k of ['0x4AAAAAAABkMYinukE8nzY', '1x00000000000000000000AA', '3xAB_-', `0x${'a'.repeat(30)}`]) assert.deepEqual(messages(turnstile(k)), [], k);
    for (const k of ['a0x4AAAAAAA', '0x4AAAAAAA!', 'ax4AAAAAAA', '0xAAA', `0x${'a'.repeat(31)}`, '0x4AAA AAA']) {
      assert.equal(messages(turnstile(k)).length, 1, k);
      assert.match(messages(turnstile(k))[0] ?? '', /^tokens\[0\]\.sitekey: /, k);
    }
  });

  it('overlap without "strategy": "replace" is refused for both API token kinds; strategyOf and the default overlap', () => {
    const api = (kind: string, extra: Json): unknown => ({ tokens: [{ name: 'a', kind, ...(kind === 'account-api-token' ? { accountId: A } : {}), tokenId: B, targets: [{ file: '.env', key: 'K' }], ...extra }] });
    const only = 'tokens[0].overlap: is used only with "strategy": "replace" (a roll keeps no previous token)';
    for (const kind of ['account-api-token', 'user-api-token']) {
      assert.deepEqual(messages(api(kind, { overlap: '1h' })), [only], kind);
      assert.deepEqual(messages(api(kind, { overlap: '1h', strategy: 'roll' })), [only], kind);
      assert.deepEqual(messages(api(kind, { overlap: '1h', strategy: 'replace' })), [], kind);
    }
    const [acc, user, svc] = validateConfig({
      tokens: [
        { name: 'a', kind: 'account-api-token', accountId: A, tokenId: A, targets: [{ file: '.env', key: 'K' }] },
        { name: 'u', kind: 'user-api-token', tokenId: B, strategy: 'replace', targets: [{ file: '.env', key: 'U' }] },
        { name: 's', kind: 'access-service-token', zoneId: A, serviceTokenId: UUID, targets: [{ file: '.env', key: 'S' }] },
      ],
    }).tokens;
    assert.deepEqual([strategyOf(acc!), strategyOf(user!), strategyOf(svc!)], ['roll', 'replace', undefined]);
    assert.equal(DEFAULT_OVERLAP, '24h');
  });

  it('credentialKey of Turnstile (the sitekey keeps its case) and OAuth client entries', () => {
    assert.equal(credentialKey({ kind: 'turnstile-secret', accountId: 'AA', sitekey: '0xAbC' }), 'turnstile-secret:aa:0xAbC');
    assert.equal(credentialKey({ kind: 'turnstile-secret' }), 'turnstile-secret::');
    assert.equal(credentialKey({ kind: 'oauth-client-secret', accountId: 'AA', clientId: 'CC' }), 'oauth-client-secret:aa:cc');
    assert.equal(credentialKey({ kind: 'oauth-client-secret' }), 'oauth-client-secret::');
  });
});

