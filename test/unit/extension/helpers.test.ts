/** Pure helpers of the extension layer: config edits, wording, argument schemas, paths, git. */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, parseConfig, starterConfig } from '../../../src/core/config/load';
import type { TokenConfig } from '../../../src/core/config/schema';
import { CfRotateError } from '../../../src/core/errors';
import { formattingOf, insertToken, locateJsonPath, parseJsonPathString, removeTokenText, tokenNamesOf } from '../../../src/commands/configText';
import {
  batchSummary,
  confirmBatchDetail,
  confirmRotateDetail,
  discardWarning,
  findKeyLine,
  invalidationText,
  isEnvLikeFile,
  listedInBatch,
  resultMessage,
  suggestedKeys,
  suggestName,
  validateRelativeFile,
  validateTokenName,
} from '../../../src/commands/describe';
import {
  addTokenArgsSchema,
  credentialArgSchema,
  describeIssues,
  parseArg,
  resumeArgsSchema,
  revealTargetArgsSchema,
  rotateArgsSchema,
} from '../../../src/commands/schemas';
import { addToGitignore, gitFileStatus, gitignoreWithEntry, gitWarning } from '../../../src/host/git';
import { normalisePath, samePath } from '../../../src/host/paths';

const A = '0123456789abcdef0123456789abcdef';
const B = 'fedcba9876543210fedcba9876543210';
const UUID = 'f174e90a-fafe-4643-bbbc-4a0ed4fc8415';
const NOW = Date.parse('2026-11-22T12:00:00Z');

const apiToken = { name: 'deploy', kind: 'account-api-token', accountId: A, tokenId: B, targets: [{ file: '.env', key: 'CLOUDFLARE_API_TOKEN' }] };

describe('config edits (jsonc)', () => {
  const commented = `// team config
{
  "$schema": "./schema.json",
  /* tokens we rotate */
  "tokens": [
    { "name": "me", "kind": "user-api-token", "tokenId": "${B}", "targets": [{ "file": ".env", "key": "CF_USER_TOKEN" }] }, // keep me
  ],
}
`;

  it('appends a token and keeps comments and the other entries', () => {
    const out = insertToken(commented, apiToken);
    assert.match(out, /\/\/ team config/);
    assert.match(out, /\/\* tokens we rotate \*\//);
    assert.match(out, /\/\/ keep me/);
    const cfg = parseConfig(out);
    assert.deepEqual(cfg.tokens.map((t) => t.name), ['me', 'deploy']);
  });

  it('creates the file content from the starter config', () => {
    const out = insertToken(undefined, apiToken);
    assert.deepEqual(parseConfig(out).tokens.map((t) => t.name), ['deploy']);
    assert.ok(out.endsWith('\n'));
    assert.deepEqual(parseConfig(insertToken('{}', apiToken)).tokens.map((t) => t.name), ['deploy']);
    assert.deepEqual(parseConfig(insertToken(starterConfig(), apiToken)).tokens.length, 1);
  });

  it('keeps tab indentation and CRLF', () => {
    const text = '{\r\n\t"tokens": []\r\n}\r\n';
    assert.deepEqual(formattingOf(text), { insertSpaces: false, tabSize: 1, eol: '\r\n' });
    const out = insertToken(text, apiToken);
    assert.match(out, /\r\n\t\t/);
    assert.doesNotMatch(out.replace(/\r\n/g, ''), /\n/);
  });

  it('refuses duplicate names, broken JSON and results the schema rejects', () => {
    assert.throws(() => insertToken(insertToken(undefined, apiToken), apiToken), (e: unknown) => e instanceof CfRotateError && /already has a token named "deploy"/.test(e.message));
    assert.throws(() => insertToken('{ "tokens": [ ', apiToken), (e: unknown) => e instanceof CfRotateError && e.kind === 'config' && /syntax/.test(e.message));
    assert.throws(() => insertToken('[]', apiToken), /JSON object/);
    const sameVariable = { ...apiToken, name: 'other', tokenId: A };
    assert.throws(() => insertToken(insertToken(undefined, apiToken), sameVariable), (e: unknown) => e instanceof ConfigError && e.issues.some((i) => i.path === 'tokens[1].targets[0].key'));
  });

  it('still adds to a file that was already invalid (name check only)', () => {
    const broken = '{ "tokens": [ { "name": "x", "kind": "nope" } ] }';
    const out = insertToken(broken, apiToken);
    assert.deepEqual(tokenNamesOf(out), ['x', 'deploy']);
  });

  it('removes a token by name', () => {
    const out = removeTokenText(commented, 'me');
    assert.deepEqual(parseConfig(out).tokens, []);
    assert.match(out, /\/\/ team config/);
    assert.throws(() => removeTokenText(commented, 'nope'), (e: unknown) => e instanceof CfRotateError && e.kind === 'not-found');
  });

  it('locates JSON paths for revealing config errors', () => {
    assert.deepEqual(parseJsonPathString('tokens[2].targets[0].key'), ['tokens', 2, 'targets', 0, 'key']);
    assert.deepEqual(parseJsonPathString('(file)'), []);
    const loc = locateJsonPath(commented, 'tokens[0].tokenId');
    assert.ok(loc);
    assert.equal(commented.slice(loc.offset, loc.offset + loc.length), `"tokenId": "${B}"`);
    const parent = locateJsonPath(commented, 'tokens[0].accountId');
    assert.ok(parent, 'falls back to the deepest existing node');
    assert.match(commented.slice(parent.offset, parent.offset + parent.length), /^\{ "name": "me"/);
    assert.equal(locateJsonPath(commented, '(file)'), undefined);
  });
});

describe('wording', () => {
  const [deploy, access, moq] = [
    apiToken,
    { name: 'ci-access', kind: 'access-service-token', accountId: A, serviceTokenId: UUID, profile: 'default', gracePeriod: '24h', targets: [{ file: '.env', key: 'ID', field: 'clientId' }, { file: '.env', key: 'SECRET', field: 'clientSecret' }] },
    { name: 'relay', kind: 'moq-relay-token', accountId: A, relayId: B, profile: 'default', tokenType: 'subscribe', targets: [{ file: '.dev.vars', key: 'MOQ_SUBSCRIBE_TOKEN' }] },
  ].map((t) => ({ profile: 'default', ...t }) as TokenConfig) as [TokenConfig, TokenConfig, TokenConfig];

  it('says what a rotation invalidates, per kind', () => {
    assert.match(invalidationText(deploy, '1h', NOW), /immediately \(API tokens have no grace period\)/);
    assert.match(invalidationText(access, '1h', NOW), /stays valid until 2026-11-23T12:00:00.000Z \(grace period 24h\)/);
    const noGrace = { ...access, gracePeriod: undefined } as TokenConfig;
    assert.match(invalidationText(noGrace, '0s', NOW), /stops working immediately/);
    assert.match(invalidationText(noGrace, '2h', NOW), /grace period 2h/);
    // A version bump (zone level) keeps the previous secret until the new one is written (at most 10 minutes).
    const zone = { ...access, accountId: undefined, zoneId: B, gracePeriod: '0s', clientSecretVersion: 1 } as unknown as TokenConfig;
    assert.match(invalidationText(zone, '1h', NOW), /stops working as soon as the new one is in every target \(grace period 0s; kept at most 10 minutes/);
    assert.match(invalidationText(moq, '1h', NOW), /subscribe token .* stops working immediately/);
  });

  it('lists the files that change in the confirmation', () => {
    const d = confirmRotateDetail(access, 'app', '1h', NOW, { cloudflare: "Cloudflare: 'ci (prod)' · service token f174…" });
    assert.match(d, /^Access service token "ci-access" \(folder app, profile default\)\.\nCloudflare: 'ci \(prod\)' · service token f174…\n/);
    assert.match(d, /• \.env › ID\n {2}• \.env › SECRET/);
    assert.doesNotMatch(confirmRotateDetail(access, 'app', '1h', NOW), /Cloudflare:/);
    assert.doesNotMatch(d, /allowTracked|allowAnyFile/);
    // A target's own opt-outs come from cf-rotate.json (a cloned repository's): said where the user confirms.
    const optedOut = { ...deploy, targets: [{ file: '.npmrc', key: 'otp', allowTracked: true, allowAnyFile: true }] } as TokenConfig;
    assert.match(confirmRotateDetail(optedOut, 'app', '1h', NOW), /• \.npmrc › otp \(may be a file git tracks: "allowTracked" in cf-rotate\.json; may be a file that is not a \.env file: "allowAnyFile" in cf-rotate\.json\)/);
    const b = confirmBatchDetail([{ token: deploy, folderName: 'app' }, { token: access, folderName: 'app' }], '1h');
    assert.match(b, /deploy \(app\): old value dies at once → \.env › CLOUDFLARE_API_TOKEN/);
    assert.match(b, /ci-access \(app\): previous secret valid for 24h/);
  });

  it('the batch confirmation names opt-outs, destinations (account, profile, effect) and profiles of every entry, also past the 15th', () => {
    const plain = Array.from({ length: 20 }, (_, i) => ({ token: { ...deploy, name: `plain-${i}` } as TokenConfig, folderName: 'app' }));
    const optedOut = { ...deploy, name: 'zz-optout', targets: [{ file: 'README.md', key: 'K', allowTracked: true, allowAnyFile: true }] } as TokenConfig;
    const worker = { ...deploy, name: 'zz-worker', targets: [{ file: '.env', key: 'K' }, { worker: 'attacker-worker', key: 'CF_API_TOKEN', accountId: B, profile: 'other' }] } as TokenConfig;
    const profiled = { ...deploy, name: 'zz-profile', profile: 'prod' } as TokenConfig;
    const items = [...plain, { token: optedOut, folderName: 'app' }, { token: worker, folderName: 'app', cloudflare: "Cloudflare: 'w' · token fedc…" }, { token: profiled, folderName: 'app' }];
    const d = confirmBatchDetail(items, '1h');
    const lines = d.split('\n');
    // The first 15 plain entries are listed, the 5 plain ones after them counted; the 3 notable ones after them are listed in full.
    assert.equal(lines.filter((l) => /• plain-/.test(l)).length, 15);
    assert.ok(lines.includes('  …and 5 more'), d);
    assert.ok(
      lines.includes('  • zz-optout (app): old value dies at once → README.md › K (may be a file git tracks: "allowTracked" in cf-rotate.json; may be a file that is not a .env file: "allowAnyFile" in cf-rotate.json)'),
      d,
    );
    const w = lines.findIndex((l) => l.startsWith('  • zz-worker (app) — Cloudflare: \'w\' · token fedc…: old value dies at once → .env › K'));
    assert.ok(w > 0, d);
    assert.match(lines[w + 1] ?? '', new RegExp(`^ {6}↳ Worker "attacker-worker" in account ${B} \\(profile other\\), secret CF_API_TOKEN: Cloudflare deploys a new version of the Worker`));
    assert.ok(lines.includes('  • zz-profile (app, profile prod): old value dies at once → .env › CLOUDFLARE_API_TOKEN'), d);
    // Compact: one line per entry, one more per destination, one for the rest.
    assert.equal(lines.length, 2 + 15 + 3 + 1 + 1);
    // Nothing notable past the 15th: counted only; 15 or fewer: no count line.
    assert.doesNotMatch(confirmBatchDetail(plain.slice(0, 15), '1h'), /more/);
    assert.equal(listedInBatch(items).map((i) => i.token.name).slice(15).join(), 'zz-optout,zz-worker,zz-profile');
  });

  it('words results per state', () => {
    const base = { name: 'deploy', targets: ['.env › K'] };
    assert.equal(resultMessage({ ...base, ok: true, state: 'rotated', verified: true }), 'Rotated "deploy" → .env › K.');
    assert.match(resultMessage({ ...base, ok: true, state: 'rotated', graceUntil: 'T' }), /previous secret works until T/);
    assert.match(resultMessage({ ...base, ok: false, state: 'failed', error: { kind: 'auth', message: 'Bad credential.', hint: 'Set it again.' } }), /failed: Bad credential\. Set it again\./);
    assert.match(resultMessage({ ...base, ok: false, state: 'lost', error: { kind: 'ambiguous', message: 'm' } }), /lost its new secret/);
    assert.match(resultMessage({ ...base, ok: false, state: 'pending' }), /not finished/);
    assert.equal(batchSummary([{ name: 'a', ok: true, state: 'rotated' }]), 'Rotated 1 token.');
    assert.equal(batchSummary([{ name: 'a', ok: true, state: 'rotated' }, { name: 'b', ok: false, state: 'failed' }]), 'Rotated 1 of 2 tokens; 1 did not: b (failed).');
    assert.match(discardWarning({ token: 'deploy', kind: 'account-api-token', values: { token: 'x' } }), /deletes that secret for good.*have to rotate it again/);
    assert.match(discardWarning({ token: 'a', kind: 'access-service-token', values: { clientSecret: 'x' }, graceUntil: 'G' }), /previous secret works until G/);
    assert.match(discardWarning({ token: 'a', kind: 'moq-relay-token', values: { token: 'x' } }), /previous MoQ token keeps working/);
    assert.match(discardWarning({ token: 'a', kind: 'moq-relay-token' }), /cannot tell whether Cloudflare rotated "a"\. First check/);
  });

  it('finds the line of a key like dotenv does (last assignment wins)', () => {
    const text = '# c\nexport  A_B=1\nA_B.X=2\r\n  KEY = 3\nKEY=4\nKEYS=5\nK: 6\n';
    assert.deepEqual(findKeyLine(text, 'A_B'), { line: 1, start: 8, end: 11 });
    assert.deepEqual(findKeyLine(text, 'A_B.X'), { line: 2, start: 0, end: 5 });
    assert.deepEqual(findKeyLine(text, 'KEY'), { line: 4, start: 0, end: 3 });
    assert.deepEqual(findKeyLine(text, 'K'), { line: 6, start: 0, end: 1 });
    assert.equal(findKeyLine(text, 'MISSING'), undefined);
    assert.equal(findKeyLine('#KEY=1', 'KEY'), undefined);
  });

  it('suggests keys, names and validates wizard input', () => {
    assert.deepEqual(suggestedKeys('account-api-token').map((k) => k.key), ['CLOUDFLARE_API_TOKEN']);
    assert.deepEqual(suggestedKeys('access-service-token').map((k) => [k.field, k.key]), [['clientId', 'CF_ACCESS_CLIENT_ID'], ['clientSecret', 'CF_ACCESS_CLIENT_SECRET']]);
    assert.deepEqual(suggestedKeys('moq-relay-token', 'subscribe').map((k) => k.key), ['MOQ_SUBSCRIBE_TOKEN']);
    assert.equal(suggestName('Deploy: prod/eu', []), 'Deploy-prod-eu');
    assert.equal(suggestName('deploy', ['deploy', 'deploy-2']), 'deploy-3');
    assert.equal(suggestName('***', []), 'token');
    assert.equal(validateTokenName('ok name', []), undefined);
    assert.match(validateTokenName('a/b', []) ?? '', /letters/);
    assert.match(validateTokenName('x', ['x']) ?? '', /already/);
    assert.equal(validateRelativeFile('apps/web/.env'), undefined);
    assert.ok(validateRelativeFile('/etc/passwd'));
    assert.ok(validateRelativeFile('C:\\x\\.env'));
    assert.ok(validateRelativeFile('../.env'));
    assert.ok(isEnvLikeFile('.env') && isEnvLikeFile('a/.env.local') && isEnvLikeFile('.dev.vars') && isEnvLikeFile('w/.dev.vars.staging'));
    assert.ok(!isEnvLikeFile('env') && !isEnvLikeFile('.environment') && !isEnvLikeFile('public/index.html') && !isEnvLikeFile('.env/x'));
    assert.ok(isEnvLikeFile('.envrc') && isEnvLikeFile('prod.env') && isEnvLikeFile('apps/web/.env.local') && isEnvLikeFile('.dev.vars.staging'));
  });
});

describe('command argument schemas', () => {
  it('accepts no argument (interactive) and tree nodes', () => {
    assert.equal(parseArg(rotateArgsSchema, undefined, 'x'), undefined);
    const node = { type: 'token', id: 'token:/w\u0000deploy', label: 'deploy', folder: '/w', name: 'deploy', kind: 'account-api-token', children: [] };
    assert.deepEqual(parseArg(rotateArgsSchema, node, 'x'), { name: 'deploy', folder: '/w' });
    assert.deepEqual(parseArg(resumeArgsSchema, node, 'x'), { name: 'deploy', folder: '/w' }, 'the node id is not a journal id');
    const target = { type: 'target', id: 't', folder: '/w', token: 'deploy', file: '.env', key: 'K', field: 'token' };
    assert.deepEqual(parseArg(revealTargetArgsSchema, target, 'x'), { folder: '/w', file: '.env', key: 'K' });
  });

  it('rejects bad arguments with a validation error naming the path', () => {
    assert.throws(() => parseArg(rotateArgsSchema, { name: 3 }, 'cfRotate.rotate'), (e: unknown) => e instanceof CfRotateError && e.kind === 'validation' && /cfRotate\.rotate: name:/.test(e.message));
    assert.throws(() => parseArg(rotateArgsSchema, 'deploy', 'cfRotate.rotate'), (e: unknown) => e instanceof CfRotateError && e.kind === 'validation');
    assert.throws(
      () => parseArg(addTokenArgsSchema, { token: { ...apiToken, accountId: 'nope' } }, 'cfRotate.addToken'),
      (e: unknown) => e instanceof CfRotateError && /token\.accountId/.test(e.message),
    );
  });

  it('never quotes a secret from an invalid credential argument', () => {
    const secret = 'not-a-valid token with spaces but secret-ish 0123456789';
    let message = '';
    try {
      parseArg(credentialArgSchema, { profile: 'default', apiToken: secret }, 'cfRotate.setCredential');
    } catch (e) {
      message = (e as Error).message;
    }
    assert.match(message, /apiToken: is not an API token/);
    assert.ok(!message.includes(secret));
    const r = credentialArgSchema.safeParse({ apiToken: secret });
    assert.ok(!r.success);
    assert.ok(!describeIssues(r.error.issues).includes(secret));
  });
});

describe('paths and git', () => {
  it('compares paths per platform', () => {
    assert.ok(samePath('/a/b/.env', '/a/b/./.env', 'linux'));
    assert.ok(samePath('/a/b/', '/a/b', 'linux'));
    assert.ok(!samePath('/a/B/.env', '/a/b/.env', 'linux'));
    assert.ok(samePath('/a/B/.env', '/a/b/.env', 'darwin'));
    assert.ok(samePath('C:\\Work\\.env', 'c:\\work\\.ENV', 'win32'));
    assert.equal(normalisePath('C:\\', 'win32'), 'c:\\');
  });

  it('appends .gitignore entries once, keeping line endings', () => {
    assert.equal(gitignoreWithEntry(undefined, '.env'), '/.env\n');
    assert.equal(gitignoreWithEntry('node_modules', 'apps\\web\\.env'), 'node_modules\n/apps/web/.env\n');
    assert.equal(gitignoreWithEntry('a\r\n', '.env'), 'a\r\n/.env\r\n');
    assert.equal(gitignoreWithEntry('.env\n', '.env'), undefined);
    assert.equal(gitignoreWithEntry('/.env\n', './.env'), undefined);
  });

  it('tells tracked, ignored and unprotected files apart (and stays quiet without a repository)', async () => {
    // git is a requirement of the test machine (the product checks files with it): no git, a failure.
    assert.doesNotThrow(() => execFileSync('git', ['--version'], { stdio: 'ignore' }), 'git is not installed');
    const dir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-git-')));
    try {
      assert.equal(await gitFileStatus(dir, '.env'), undefined, 'not a repository');
      const git = (...args: string[]): void => void execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: dir, stdio: 'ignore' });
      git('init', '-q');
      await fs.writeFile(path.join(dir, '.env'), 'A=1\n');
      await fs.writeFile(path.join(dir, '.env.tracked'), 'A=1\n');
      git('add', '.env.tracked');
      git('commit', '-q', '-m', 'x');
      assert.deepEqual(await gitFileStatus(dir, '.env'), { ignored: false, tracked: false });
      assert.match(gitWarning('.env', { ignored: false, tracked: false }) ?? '', /not ignored/);
      assert.ok(await addToGitignore(dir, '.env'));
      assert.equal(await addToGitignore(dir, '.env'), false);
      assert.deepEqual(await gitFileStatus(dir, '.env'), { ignored: true, tracked: false });
      assert.equal(gitWarning('.env', { ignored: true, tracked: false }), undefined);
      await addToGitignore(dir, '.env.tracked');
      assert.deepEqual(await gitFileStatus(dir, '.env.tracked'), { ignored: false, tracked: true }, 'check-ignore says 1 for tracked files');
      assert.match(gitWarning('.env.tracked', { ignored: false, tracked: true }) ?? '', /tracked by git/);
      assert.equal(await fs.readFile(path.join(dir, '.gitignore'), 'utf8'), '/.env\n/.env.tracked\n');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
