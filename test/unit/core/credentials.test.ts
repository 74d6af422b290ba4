/**
 * Admin credentials: today's formats (notes A2), both schemes in one profile (A5), the account
 * of an account-owned token (A1), the stored shape (compatible with what cf-rotate 0.1 stored)
 * and wrangler's environment variables, per profile.
 */
import { strict as assert } from 'node:assert';
import { rotationSchemeProblem } from '../../../src/core/cloudflare/permissions';
import {
  ACCOUNT_ID_FORMAT,
  API_TOKEN_FORMAT,
  apiTokenFormatText,
  CREDENTIAL_PREFIX,
  credentialArgSchema,
  credentialFromArg,
  credentialSchema,
  CredentialStore,
  GLOBAL_KEY_FORMAT,
  globalKeyFormatText,
  PROFILE_NAME,
} from '../../../src/core/credentials';
import { EnvCredentialSource } from '../../../src/core/envCredentials';
import { cliWording } from '../../../src/core/wording';
import { MemorySecretStore } from '../../../src/core/node/secretFile';
import { knownSecrets } from '../../../src/core/redact';

/** The format messages in English (no bundle is configured in unit tests). */
const API_TOKEN_FORMAT_TEXT = apiTokenFormatText();
const GLOBAL_KEY_FORMAT_TEXT = globalKeyFormatText();

const CFUT = 'cfut_5zKGImLXBC2zuWWji86AKBiBuNA26K0XT0wKz4jc8c8d12ba';
const CFAT = 'cfat_n1WGn0X0xTw9EFHPXnhzQx90jzT8vszpG9Y9nyCB12428f03';
const OLD_TOKEN = 'Sn3lZJTBX6kkg7OdcBUAxOO963GEIyGQqnFTOFYY';
const CFK = 'cfk_9SoTpdSCjfhMGO1TR0GmRMuDc7zwehNAQpQyq5iHd52a0a2b';
const HEX37 = '0123456789abcdef0123456789abcdef01234';
const ACCOUNT = '954a55fc5f585e634c5bbd7b5e8f4cf2';

describe('credentials: formats (A2)', () => {
  it('API tokens: cfut_ / cfat_ with checksum, and old 40-character tokens; 40–80 of letters, digits, _ and -', () => {
    for (const t of [CFUT, CFAT, OLD_TOKEN, '8M7wS6hCpXVc-DoRnPPY_UCWPgy8aea4Wy6kCe5T', 'a'.repeat(80)]) assert.ok(API_TOKEN_FORMAT.test(t), t);
    for (const t of ['a'.repeat(39), 'a'.repeat(81), `${OLD_TOKEN} `, 'cfut_abc def' + 'x'.repeat(40), 'x'.repeat(39) + '+', 'ä'.repeat(40)]) assert.ok(!API_TOKEN_FORMAT.test(t), t);
  });

  it('Global API keys: cfk_ + 40 + checksum, or 37–45 lowercase hex — never "hex only"', () => {
    for (const k of [CFK, HEX37, '0123456789abcdef0123456789abcdef012345678', 'a'.repeat(45)]) assert.ok(GLOBAL_KEY_FORMAT.test(k), k);
    for (const k of ['a'.repeat(36), 'a'.repeat(46), HEX37.toUpperCase(), 'cfk_short', `cfk_${'a'.repeat(40)}`, `cfk_${'a'.repeat(44)}_`, CFUT]) assert.ok(!GLOBAL_KEY_FORMAT.test(k), k);
  });

  it('what is entered is checked with these formats; the messages never quote the value', () => {
    assert.ok(credentialSchema.safeParse({ type: 'global-key', email: 'a@b.example', key: CFK }).success);
    const bad = credentialSchema.safeParse({ type: 'api-token', token: 'x'.repeat(30) });
    assert.ok(!bad.success);
    assert.match(JSON.stringify(bad.error.issues), /is not an API token \(40–80 letters, digits, _ or -; today's tokens start with cfut_ or cfat_\)/);
    assert.ok(!JSON.stringify(bad.error.issues.map((i) => i.message)).includes('x'.repeat(30)));
    const key = credentialSchema.safeParse({ type: 'global-key', email: 'a@b.example', key: 'A'.repeat(37) });
    assert.ok(!key.success);
    assert.match(JSON.stringify(key.error.issues), /cfk_ followed by letters and digits, or an older key of 37–45 lowercase hex characters/);
  });
});

describe('credentials: the stored shape', () => {
  it('round-trips an API token with its account and a Global API key beside it', async () => {
    const store = new CredentialStore(new MemorySecretStore());
    const both = { type: 'api-token', token: CFAT, accountId: ACCOUNT, globalKey: { email: 'me@example.com', key: CFK } } as const;
    await store.set('ops', both);
    assert.deepEqual(await store.get('ops'), both);
    assert.ok(knownSecrets().has(CFK) && knownSecrets().has(CFAT), 'both secrets are registered for redaction');
    await assert.rejects(store.set('bad', { type: 'api-token', token: CFUT, accountId: 'nope' }));
  });

  it('reads what cf-rotate 0.1 stored (checked less strictly then), so nothing stored becomes unreadable', async () => {
    const secrets = new MemorySecretStore();
    await secrets.store(CredentialStore.key('old'), JSON.stringify({ type: 'api-token', token: 'legacy-token-value-0123456' }));
    await secrets.store(CredentialStore.key('key'), JSON.stringify({ type: 'global-key', email: 'a@b.c', key: 'ABCDEF0123456789ABCDEF' }));
    const store = new CredentialStore(secrets);
    assert.deepEqual(await store.get('old'), { type: 'api-token', token: 'legacy-token-value-0123456' });
    assert.equal((await store.get('key'))?.type, 'global-key');
    await secrets.store(CredentialStore.key('broken'), '{"type":"api-token"}');
    await assert.rejects(store.get('broken'), /unreadable/);
  });

  it('command arguments: {apiToken, accountId?}, {email, apiKey}, or both schemes at once; email and apiKey go together', () => {
    const parse = (a: unknown) => credentialArgSchema.safeParse(a);
    const both = parse({ profile: 'ci', apiToken: CFUT, email: 'me@example.com', apiKey: CFK });
    assert.ok(both.success);
    assert.deepEqual(credentialFromArg(both.data), { profile: 'ci', credential: { type: 'api-token', token: CFUT, globalKey: { email: 'me@example.com', key: CFK } } });
    const owned = parse({ apiToken: CFAT, accountId: ACCOUNT.toUpperCase() });
    assert.ok(owned.success);
    assert.deepEqual(credentialFromArg(owned.data).credential, { type: 'api-token', token: CFAT, accountId: ACCOUNT });
    assert.ok(parse({ email: 'me@example.com', apiKey: HEX37 }).success);
    assert.ok(!parse({ apiToken: CFUT, email: 'me@example.com' }).success, 'email without apiKey');
    assert.ok(!parse({ apiToken: CFUT, accountId: 'x' }).success);
  });
});

describe('credentials: wrangler\'s environment variables (CLI)', () => {
  it('profile "default": an API token, email + Global API key, or both', async () => {
    assert.deepEqual(await new EnvCredentialSource({ CLOUDFLARE_API_TOKEN: ` ${CFUT}\n` }).get('default'), { type: 'api-token', token: CFUT });
    assert.deepEqual(await new EnvCredentialSource({ CLOUDFLARE_EMAIL: 'me@example.com', CLOUDFLARE_API_KEY: CFK }).get('default'), { type: 'global-key', email: 'me@example.com', key: CFK });
    assert.deepEqual(await new EnvCredentialSource({ CLOUDFLARE_API_TOKEN: CFUT, CLOUDFLARE_EMAIL: 'me@example.com', CLOUDFLARE_API_KEY: CFK }).get('default'), {
      type: 'api-token',
      token: CFUT,
      globalKey: { email: 'me@example.com', key: CFK },
    });
    assert.equal(await new EnvCredentialSource({ CLOUDFLARE_EMAIL: 'me@example.com' }).get('default'), undefined, 'an email alone is nothing');
  });

  it('other profiles: the same variables with _<PROFILE> (upper case, other characters as _); no fallback to the default ones', async () => {
    const env = { CLOUDFLARE_API_TOKEN: OLD_TOKEN, CLOUDFLARE_API_TOKEN_OPS_TEAM: CFUT, CLOUDFLARE_EMAIL_OPS_TEAM: 'ops@example.com', CLOUDFLARE_API_KEY_OPS_TEAM: HEX37, CLOUDFLARE_EMAIL_LEGACY: 'l@example.com', CLOUDFLARE_API_KEY_LEGACY: CFK };
    const src = new EnvCredentialSource(env);
    assert.deepEqual(await src.get('ops team'), { type: 'api-token', token: CFUT, globalKey: { email: 'ops@example.com', key: HEX37 } });
    assert.deepEqual(await src.get('legacy'), { type: 'global-key', email: 'l@example.com', key: CFK });
    assert.equal(await src.get('other'), undefined);
    assert.ok(knownSecrets().has(HEX37));
  });

  it("the CLI's hint names exactly the variables that are read, for any profile name", async () => {
    for (const profile of ['default', 'ops team', 'Prod-2', 'é.x']) {
      const hint = cliWording.setCredential(profile);
      const names = hint.match(/CLOUDFLARE_[A-Z0-9_]+/g) ?? [];
      assert.equal(names.length, 3, hint);
      const [tokenVar, emailVar, keyVar] = names as [string, string, string];
      assert.deepEqual(await new EnvCredentialSource({ [tokenVar]: CFUT }).get(profile), { type: 'api-token', token: CFUT }, hint);
      assert.deepEqual(await new EnvCredentialSource({ [emailVar]: 'me@example.com', [keyVar]: CFK }).get(profile), { type: 'global-key', email: 'me@example.com', key: CFK }, hint);
    }
  });
});

describe('credentials: the scheme a rotation needs, checked before anything is sent (A5)', () => {
  const token = { type: 'api-token', token: CFUT } as const;
  const key = { type: 'global-key', email: 'me@example.com', key: CFK } as const;
  const both = { ...token, globalKey: { email: key.email, key: key.key } } as const;
  const Z = 'd4dce69cf309e278d779a3c35861a52a';
  it('API tokens and MoQ need the API token; zone-level Access the Global API key; account-level Access either', () => {
    const cases: [Parameters<typeof rotationSchemeProblem>[0], boolean, boolean, boolean][] = [
      // kind, token alone, key alone, both
      [{ kind: 'account-api-token', name: 'a' }, true, false, true],
      [{ kind: 'user-api-token', name: 'u' }, true, false, true],
      [{ kind: 'moq-relay-token', name: 'm' }, true, false, true],
      [{ kind: 'access-service-token', name: 'acc' }, true, true, true],
      [{ kind: 'access-service-token', name: 'zone', zoneId: Z }, false, true, true],
    ];
    for (const [t, withToken, withKey, withBoth] of cases) {
      assert.equal(rotationSchemeProblem(t, token, 'default') === undefined, withToken, `${t.name} with a token`);
      assert.equal(rotationSchemeProblem(t, key, 'default') === undefined, withKey, `${t.name} with a key`);
      assert.equal(rotationSchemeProblem(t, both, 'default') === undefined, withBoth, `${t.name} with both`);
    }
    const e = rotationSchemeProblem({ kind: 'access-service-token', name: 'zone', zoneId: Z }, token, 'x');
    assert.equal(e?.kind, 'credential-missing');
    assert.equal(
      e?.message,
      'Rotating "zone" (a zone-level Access service token) needs email + Global API key: zone-level Access service tokens accept only email + Global API key, and the admin credential for profile "x" holds an API token. Nothing was sent.',
    );
    assert.match(e?.hint ?? '', /CLI: set CLOUDFLARE_EMAIL_X \+ CLOUDFLARE_API_KEY_X beside CLOUDFLARE_API_TOKEN_X; VS Code: "Cloudflare Rotate: Set Credential…" for profile "x" with "Email \+ Global API key"/);
  });
});

describe('credentials: each rule on its own', () => {
  const messages = (r: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }): string[] => (r.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);

  it('the exact formats: profile names, account ids, emails, and the cf-rotate 0.1 formats read from storage', async () => {
    assert.ok(PROFILE_NAME.test('a'));
    assert.ok(PROFILE_NAME.test(`A${'b'.repeat(63)}`));
    for (const p of ['', '-a', ' a', `a${'b'.repeat(64)}`, 'a/b', 'a\n']) assert.ok(!PROFILE_NAME.test(p), JSON.stringify(p));
    assert.ok(ACCOUNT_ID_FORMAT.test(ACCOUNT.toUpperCase()));
    for (const a of [ACCOUNT.slice(1), `${ACCOUNT}0`, `x${ACCOUNT.slice(1)}`]) assert.ok(!ACCOUNT_ID_FORMAT.test(a), a);
    const entered = (c: unknown): string[] => messages(credentialSchema.safeParse(c));
    assert.deepEqual(entered({ type: 'global-key', email: 'a b@c', key: CFK }), ['email: must be an email address']);
    assert.deepEqual(entered({ type: 'global-key', email: 'ab.c', key: CFK }), ['email: must be an email address']);
    assert.deepEqual(entered({ type: 'api-token', token: CFUT, accountId: 'x' }), ['accountId: must be 32 hex characters (the account ID)']);
    assert.deepEqual(entered({ type: 'api-token', token: CFUT, globalKey: { email: 'a@b', key: 'x' } }), [`globalKey.key: ${GLOBAL_KEY_FORMAT_TEXT}`]);
    assert.deepEqual(entered({ type: 'api-token', token: 'x' }), [`token: ${API_TOKEN_FORMAT_TEXT}`]);
    assert.equal(API_TOKEN_FORMAT_TEXT, "is not an API token (40–80 letters, digits, _ or -; today's tokens start with cfut_ or cfat_)");
    assert.equal(GLOBAL_KEY_FORMAT_TEXT, 'is not a Global API key (cfk_ followed by letters and digits, or an older key of 37–45 lowercase hex characters)');
    // Stored by cf-rotate 0.1: tokens of 20–200 of letters, digits and . _ ~ + / = -; keys of 20–100 of letters, digits and _.
    const secrets = new MemorySecretStore();
    const store = new CredentialStore(secrets);
    const stored = async (c: unknown): Promise<boolean> => {
      await secrets.store(CredentialStore.key('p'), JSON.stringify(c));
      return store.get('p').then(
        () => true,
        () => false,
      );
    };
    for (const token of ['a'.repeat(20), 'a'.repeat(200), 'a._~+/=-'.padEnd(20, 'x')]) assert.ok(await stored({ type: 'api-token', token }), token);
    for (const token of ['a'.repeat(19), 'a'.repeat(201), `${'a'.repeat(20)} `, `${'a'.repeat(20)}!`]) assert.ok(!(await stored({ type: 'api-token', token })), token);
    for (const key of ['A_'.repeat(10), 'a'.repeat(100)]) assert.ok(await stored({ type: 'global-key', email: 'a@b', key }), key);
    for (const key of ['a'.repeat(19), 'a'.repeat(101), `${'a'.repeat(20)}-`]) assert.ok(!(await stored({ type: 'global-key', email: 'a@b', key })), key);
    // Nothing before the value either: a stored value that merely ends in a valid one is unreadable.
    for (const token of [` ${'a'.repeat(20)}`, `!${'a'.repeat(20)}`]) assert.ok(!(await stored({ type: 'api-token', token })), JSON.stringify(token));
    for (const key of [`-${'a'.repeat(20)}`, ` ${'a'.repeat(20)}`]) assert.ok(!(await stored({ type: 'global-key', email: 'a@b', key })), JSON.stringify(key));
    for (const email of ['a@b c', 'a@b@c', '@a@b', 'a@']) assert.ok(!(await stored({ type: 'global-key', email, key: 'a'.repeat(20) })), JSON.stringify(email));
    assert.deepEqual(entered({ type: 'global-key', email: 'a@b c', key: CFK }), ['email: must be an email address']);
    assert.deepEqual(entered({ type: 'global-key', email: 'a@b@c', key: CFK }), ['email: must be an email address']);
    assert.deepEqual(entered({ type: 'api-token', token: `+${'a'.repeat(40)}` }), [`token: ${API_TOKEN_FORMAT_TEXT}`]);
    assert.deepEqual(entered({ type: 'global-key', email: 'a@b', key: `x${HEX37}` }), [`key: ${GLOBAL_KEY_FORMAT_TEXT}`]);
    assert.deepEqual(entered({ type: 'global-key', email: 'a@b', key: `${HEX37}x` }), [`key: ${GLOBAL_KEY_FORMAT_TEXT}`]);
  });

  it('command arguments: the words when email and apiKey are not given together; the default profile', () => {
    /** Every issue's message, those of the union's forms included. */
    type Issue = { path: PropertyKey[]; message: string; errors?: Issue[][] };
    const flat = (list: Issue[]): string[] => list.flatMap((i) => (i.errors ? i.errors.flatMap(flat) : [`${i.path.join('.')}: ${i.message}`]));
    const parse = (a: unknown): string[] => flat((credentialArgSchema.safeParse(a).error?.issues ?? []) as Issue[]).filter((m) => !m.endsWith('Invalid input'));
    assert.deepEqual(parse({ apiToken: CFUT, email: 'me@example.com' }), ['apiKey: email and apiKey go together']);
    assert.deepEqual(parse({ apiToken: CFUT, apiKey: CFK }), ['email: email and apiKey go together']);
    assert.deepEqual(parse({ apiToken: CFUT, accountId: 'x' }), ['accountId: must be 32 hex characters (the account that owns the token)']);
    // Both forms of the union name a bad email or key.
    assert.deepEqual(parse({ apiToken: CFUT, email: 'a b@c', apiKey: CFK }), ['email: must be an email address', 'email: must be an email address']);
    assert.deepEqual(parse({ apiToken: CFUT, email: 'a@b', apiKey: 'x' }), [`apiKey: ${GLOBAL_KEY_FORMAT_TEXT}`, `apiKey: ${GLOBAL_KEY_FORMAT_TEXT}`]);
    assert.deepEqual(parse({ apiToken: 'x' }), [`apiToken: ${API_TOKEN_FORMAT_TEXT}`]);
    assert.ok(!credentialArgSchema.safeParse({ profile: '-x', apiToken: CFUT }).success);
    assert.ok(!credentialArgSchema.safeParse({ email: 'ab', apiKey: CFK }).success);
    assert.ok(!credentialArgSchema.safeParse({ email: 'a@b', apiKey: 'x' }).success);
    const token = credentialArgSchema.safeParse({ apiToken: CFUT });
    assert.ok(token.success);
    assert.deepEqual(credentialFromArg(token.data), { profile: 'default', credential: { type: 'api-token', token: CFUT } });
    const key = credentialArgSchema.safeParse({ profile: 'k', email: 'me@example.com', apiKey: CFK });
    assert.ok(key.success);
    assert.deepEqual(credentialFromArg(key.data), { profile: 'k', credential: { type: 'global-key', email: 'me@example.com', key: CFK } });
  });

  it('CredentialStore: keys under the prefix, profiles sorted, delete, the unreadable and invalid-profile errors in their words', async () => {
    assert.equal(CREDENTIAL_PREFIX, 'cfRotate.credential.');
    assert.equal(CredentialStore.key('ops'), 'cfRotate.credential.ops');
    const secrets = new MemorySecretStore();
    const store = new CredentialStore(secrets);
    assert.equal(await store.get('none'), undefined);
    await store.set('zeta', { type: 'api-token', token: CFUT });
    await store.set('alpha', { type: 'global-key', email: 'a@b.example', key: CFK });
    await secrets.store('cfRotate.other', 'x');
    assert.deepEqual(await store.profiles(), ['alpha', 'zeta']);
    assert.equal(await secrets.get('cfRotate.credential.zeta'), JSON.stringify({ type: 'api-token', token: CFUT }));
    await store.delete('zeta');
    assert.deepEqual(await store.profiles(), ['alpha']);
    await secrets.store(CredentialStore.key('bad'), 'not json');
    await assert.rejects(store.get('bad'), (e: Error & { kind?: string; hint?: string }) => {
      assert.equal(e.kind, 'credential-missing');
      assert.equal(e.message, 'The stored credential for profile "bad" is unreadable.');
      assert.match(e.hint ?? '', /bad/);
      assert.ok(e.hint?.endsWith('.'));
      assert.equal(e.hint?.[0], e.hint?.[0]?.toUpperCase());
      return true;
    });
    await assert.rejects(store.set('-bad', { type: 'api-token', token: CFUT }), (e: Error & { kind?: string }) => e.kind === 'validation' && e.message === '"-bad" is not a valid profile name.');
    assert.deepEqual(await store.profiles(), ['alpha', 'bad']);
  });
});
