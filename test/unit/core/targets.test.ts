/**
 * Target preflight on its own: every refusal with its written-out words, and what a prepared
 * target carries (old value's hash, real path), through the real checked file layer.
 */
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateConfig } from '../../../src/core/config/load';
import { targetPathProblem, type TokenConfig } from '../../../src/core/config/schema';
import type { CloudflareApi } from '../../../src/core/cloudflare/types';
import type { DestinationConfig } from '../../../src/core/config/schema';
import { journalKey, type JournalDestination } from '../../../src/core/engine/journal';
import { KeyedQueue } from '../../../src/core/engine/queue';
import {
  decodeTarget,
  destinationDriver,
  destinationFromConfig,
  destinationNote,
  encodeTarget,
  githubScope,
  hashValue,
  prepareTarget,
  prepareTargets,
  TARGET_RULES,
  writeTargetFile,
  type DestinationContext,
  type FileWriteDeps,
} from '../../../src/core/engine/targets';
import type { GitHubApi } from '../../../src/core/github/client';
import { MemoryLocks } from '../../../src/core/locks';
import { NodeFiles } from '../../../src/core/node/files';
import { targetFileIssues } from '../../../src/core/node/targetFiles';
import type { Files, Locks } from '../../../src/core/ports';

const TOKEN = '0123456789abcdef0123456789abcdef';

function token(targets: unknown[]): TokenConfig {
  return validateConfig({ tokens: [{ name: 'me', kind: 'user-api-token', tokenId: TOKEN, targets }] }).tokens[0]!;
}
function serviceToken(targets: unknown[]): TokenConfig {
  return validateConfig({ tokens: [{ name: 'svc', kind: 'access-service-token', accountId: TOKEN, serviceTokenId: '0b79d353-8d0a-432d-b9de-e03768e716be', targets }] }).tokens[0]!;
}

async function rejects(p: Promise<unknown>, kind: string, message: string | RegExp): Promise<void> {
  await assert.rejects(p, (e: Error & { kind?: string; hint?: string }) => {
    assert.equal(e.kind, kind, e.message);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

describe('targets: preflight of one target', function () {
  this.timeout(20_000);
  let folder: string;
  const files = new NodeFiles();

  beforeEach(async () => {
    folder = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-targets-')));
  });
  afterEach(async () => fs.rm(folder, { recursive: true, force: true }));

  it('hashValue is SHA-256 hex; encode/decode keep a BOM and refuse binary and non-UTF-8 text', () => {
    assert.equal(hashValue('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const bom = decodeTarget(Buffer.from([0xef, 0xbb, 0xbf, 0x41, 0x3d, 0x31]), '.env');
    assert.equal(bom, '\ufeffA=1');
    assert.deepEqual([...encodeTarget(bom)], [0xef, 0xbb, 0xbf, 0x41, 0x3d, 0x31]);
    assert.throws(() => decodeTarget(Buffer.from([0x41, 0x00]), 'x.env'), /x\.env looks binary \(it contains NUL bytes\)/);
    assert.throws(() => decodeTarget(Buffer.from([0x41, 0xe9]), 'x.env'), /x\.env is not valid UTF-8; cf-rotate will not rewrite it\./);
  });

  it('TARGET_RULES: never .git, never the configuration, at most 50 MiB', () => {
    assert.deepEqual(TARGET_RULES, { denyGitDir: true, deny: ['.vscode/cf-rotate.json'], maxBytes: 50 * 1024 * 1024 });
  });

  it('targetPathProblem: the config rules again, for targets that reach the engine another way', () => {
    assert.equal(targetPathProblem({ file: '.env' }), undefined);
    assert.equal(targetPathProblem({ file: 'public/index.html', allowAnyFile: true }), undefined);
    assert.match(targetPathProblem({ file: 'public/index.html' }) ?? '', /^is not an env-style file/);
    assert.match(targetPathProblem({ file: '../x.env' }) ?? '', /no '\.\.' segments/);
    assert.match(targetPathProblem({ file: '/x.env' }) ?? '', /not absolute/);
    assert.match(targetPathProblem({ file: 'a\nb.env' }) ?? '', /control/);
    assert.match(targetPathProblem({ file: '[a](b).env' }) ?? '', /\[ \] \( \)/);
    assert.match(targetPathProblem({ file: '.git/x.env' }) ?? '', /inside \.git/);
    assert.match(targetPathProblem({ file: '.vscode/cf-rotate.json', allowAnyFile: true }) ?? '', /configuration itself/);
  });

  it('prepares a target: the old value, its hash, the field, the real path; an absent key has no old value', async () => {
    await fs.writeFile(path.join(folder, '.env'), 'A=1\nK="old-value" # c\n');
    const [t] = await prepareTargets(files, folder, token([{ file: '.env', key: 'K' }]));
    assert.deepEqual(t, { rel: '.env', key: 'K', field: 'token', oldHash: hashValue('old-value'), done: false, inner: '.env', current: 'old-value', real: path.join(folder, '.env') });
    const [n] = await prepareTargets(files, folder, token([{ file: 'new.env', key: 'N' }]));
    assert.deepEqual([n?.oldHash, n?.current, n?.real], [null, undefined, path.join(folder, 'new.env')]);
    const [s] = await prepareTargets(files, folder, serviceToken([{ file: '.env', key: 'A', field: 'clientId' }]));
    assert.equal(s?.field, 'clientId');
    const [d] = await prepareTargets(files, folder, serviceToken([{ file: '.env', key: 'K' }]));
    assert.equal(d?.field, 'clientSecret', 'an Access target defaults to the client secret');
  });

  it('refuses, with these words: a path rule, unsaved edits, duplicates with different values, dotenvx values', async () => {
    const bad = token([{ file: '.env', key: 'K' }]);
    await rejects(prepareTarget(files, folder, bad, { file: 'page.html', key: 'K' }), 'config', 'The target file of "me" is not an env-style file (.env, .env.*, *.env, .dev.vars, .dev.vars.*, .envrc) and the target does not say "allowAnyFile": true.');
    await fs.writeFile(path.join(folder, '.env'), 'K=1\n');
    const dirty: Files = Object.assign(Object.create(files) as Files, { isDirty: (real: string) => real === path.join(folder, '.env') });
    await rejects(prepareTargets(dirty, folder, bad), 'file', '.env has unsaved changes in an editor.');
    await fs.writeFile(path.join(folder, '.env'), 'K=1\nK=2\n');
    await rejects(prepareTargets(files, folder, bad), 'conflict', 'K is assigned 2 times with different values in .env.');
    await fs.writeFile(path.join(folder, '.env'), 'K=1\nK=1\n');
    assert.equal((await prepareTargets(files, folder, bad))[0]?.current, '1', 'equal duplicates are fine');
    await fs.writeFile(path.join(folder, '.env'), 'K="encrypted:BDqDBibm"\n');
    await rejects(prepareTargets(files, folder, bad), 'file', 'K in .env is encrypted (dotenvx); cf-rotate does not write encrypted values.');
  });

  it('a target named env-style that is a link to a file whose name is not: refused unless allowAnyFile; a link to another .env is fine', async () => {
    await fs.mkdir(path.join(folder, 'public'), { recursive: true });
    await fs.writeFile(path.join(folder, 'public', 'index.html'), '<html>K=1</html>\n');
    await fs.symlink(path.join('public', 'index.html'), path.join(folder, '.env'));
    const linked = token([{ file: '.env', key: 'K' }]);
    await rejects(
      prepareTargets(files, folder, linked),
      'config',
      'The target file of "me" is a link to a file named "index.html", which is not an env-style file (.env, .env.*, *.env, .dev.vars, .dev.vars.*, .envrc), and the target does not say "allowAnyFile": true.',
    );
    assert.equal(await fs.readFile(path.join(folder, 'public', 'index.html'), 'utf8'), '<html>K=1</html>\n');
    const allowed = token([{ file: '.env', key: 'K', allowAnyFile: true }]);
    assert.equal((await prepareTargets(files, folder, allowed))[0]?.real, path.join(folder, 'public', 'index.html'));
    // validate (and the Tokens view) say the same, by JSON path.
    assert.deepEqual(await targetFileIssues(folder, [linked, allowed]), [
      { path: 'tokens[0].targets[0].file', message: 'is a link to a file named "index.html", which is not an env-style file (.env, .env.*, *.env, .dev.vars, .dev.vars.*, .envrc), and the target does not say "allowAnyFile": true' },
    ]);
    await fs.rm(path.join(folder, '.env'));
    await fs.writeFile(path.join(folder, 'shared.env'), 'K=1\n');
    await fs.symlink('shared.env', path.join(folder, '.env'));
    assert.equal((await prepareTargets(files, folder, linked))[0]?.real, path.join(folder, 'shared.env'));
  });

  it('a preflight refusal says that nothing was rotated', async () => {
    await fs.writeFile(path.join(folder, '.env'), 'K=1\nK=2\n');
    await assert.rejects(prepareTargets(files, folder, token([{ file: '.env', key: 'K' }])), (e: Error & { hint?: string }) => /Nothing was rotated/.test(e.hint ?? ''));
  });

  it('refuses a target the file layer refuses (link out, missing folder) before anything is read', async () => {
    const out = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-targets-out-'));
    try {
      await fs.writeFile(path.join(out, 'x.env'), 'K=1\n');
      await fs.symlink(path.join(out, 'x.env'), path.join(folder, 'x.env'));
      await rejects(prepareTargets(files, folder, token([{ file: 'x.env', key: 'K' }])), 'file', '"me" › targets[0].file: x.env is a link that leads outside the workspace folder; cf-rotate refuses to follow it.');
      await rejects(prepareTargets(files, folder, token([{ file: 'nope/.env', key: 'K' }])), 'file', '"me" › targets[0].file: The folder of nope/.env does not exist.');
      // The JSON path names the refused target among several.
      await rejects(prepareTargets(files, folder, token([{ file: '.env', key: 'A' }, { file: 'x.env', key: 'K' }])), 'file', /^"me" › targets\[1\]\.file: x\.env is a link/);
    } finally {
      await fs.rm(out, { recursive: true, force: true });
    }
  });
});

describe('targets: destination drivers, each rule on its own', () => {
  const ACCOUNT = '0f1e2d3c4b5a69788796a5b4c3d2e1f0'; // not a run of one letter: other suites register such runs as secrets, which the redactor would then hide
  const OWN = 'b'.repeat(32);
  type Call = [string, ...unknown[]];

  /** A Cloudflare client and a GitHub client that answer from `answers` and record every call. */
  function context(answers: Record<string, unknown>, over: Partial<DestinationContext> = {}): { ctx: DestinationContext; calls: Call[] } {
    const calls: Call[] = [];
    const method = (name: string) => async (...args: unknown[]): Promise<unknown> => {
      calls.push([name, ...args]);
      return answers[name];
    };
    const cloudflare = { listWorkerSecrets: method('listWorkerSecrets'), getWorkerBindings: method('getWorkerBindings'), putWorkerSecret: method('putWorkerSecret'), getPagesProject: method('getPagesProject'), setPagesSecret: method('setPagesSecret'), getStoreSecret: method('getStoreSecret'), setStoreSecret: method('setStoreSecret') };
    const github = { source: 'GH_TOKEN', repository: method('repository'), publicKey: method('publicKey'), getSecret: method('getSecret'), putSecret: method('putSecret') };
    const ctx: DestinationContext = {
      cloudflare: async (profile: string) => {
        calls.push(['cloudflare', profile]);
        return cloudflare as unknown as CloudflareApi;
      },
      github: async (interactive: boolean) => {
        calls.push(['github', interactive]);
        return github as unknown as GitHubApi;
      },
      interactive: true,
      logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as DestinationContext['logger'],
      ...over,
    };
    return { ctx, calls };
  }
  const tokenOf = (t: unknown): TokenConfig => ({ name: 'me', kind: 'user-api-token', tokenId: ACCOUNT, profile: 'prof', targets: [t] }) as unknown as TokenConfig;
  const accountToken = (t: unknown): TokenConfig => ({ name: 'acc', kind: 'account-api-token', accountId: OWN, tokenId: ACCOUNT, profile: 'prof', targets: [t] }) as unknown as TokenConfig;

  it('destinationFromConfig: the journal record of each destination, with account, profile and field resolved', () => {
    const w = { worker: 'api', key: 'K' };
    assert.deepEqual(destinationFromConfig(accountToken(w), w as DestinationConfig), { type: 'worker', worker: 'api', key: 'K', accountId: OWN, profile: 'prof', field: 'token', done: false });
    const w2 = { worker: 'api', key: 'K', accountId: ACCOUNT, profile: 'other', field: 'token' };
    assert.deepEqual(destinationFromConfig(tokenOf(w2), w2 as DestinationConfig), { type: 'worker', worker: 'api', key: 'K', accountId: ACCOUNT, profile: 'other', field: 'token', done: false });
    const p = { pages: 'site', environment: 'preview', key: 'K' };
    assert.deepEqual(destinationFromConfig(accountToken(p), p as DestinationConfig), { type: 'pages', pages: 'site', environment: 'preview', key: 'K', accountId: OWN, profile: 'prof', field: 'token', done: false });
    const s = { secretsStore: 'c'.repeat(32), secretId: 'd'.repeat(32) };
    assert.deepEqual(destinationFromConfig(accountToken(s), s as DestinationConfig), { type: 'secrets-store', secretsStore: 'c'.repeat(32), secretId: 'd'.repeat(32), accountId: OWN, profile: 'prof', field: 'token', done: false });
    const g = { github: 'o/r', key: 'K' };
    assert.deepEqual(destinationFromConfig(tokenOf(g), g as DestinationConfig), { type: 'github', github: 'o/r', key: 'K', field: 'token', done: false });
    assert.ok(!('environment' in destinationFromConfig(tokenOf(g), g as DestinationConfig)));
    const ge = { github: 'o/r', environment: 'prod', key: 'K' };
    assert.deepEqual(destinationFromConfig(tokenOf(ge), ge as DestinationConfig), { type: 'github', github: 'o/r', environment: 'prod', key: 'K', field: 'token', done: false });
  });

  it('destinationFromConfig: a Cloudflare destination without an account is refused, saying nothing was rotated', () => {
    const w = { worker: 'api', key: 'K' };
    assert.throws(() => destinationFromConfig(tokenOf(w), w as DestinationConfig), (e: Error & { kind?: string; hint?: string }) => {
      assert.equal(e.kind, 'config');
      assert.equal(e.message, 'The destination worker:api › K of "me" names no account.');
      assert.equal(e.hint, 'Add "accountId" to the target in cf-rotate.json. Nothing was rotated.');
      return true;
    });
  });

  type Of<T extends JournalDestination['type']> = Extract<JournalDestination, { type: T }>;
  const worker: Of<'worker'> = { type: 'worker', worker: 'api', key: 'K', accountId: ACCOUNT, profile: 'prof', field: 'token', done: false };
  const pages: Of<'pages'> = { type: 'pages', pages: 'site', environment: 'preview', key: 'K', accountId: ACCOUNT, profile: 'prof', field: 'token', done: false };
  const store: Of<'secrets-store'> = { type: 'secrets-store', secretsStore: 'st', secretId: 'si', accountId: ACCOUNT, profile: 'prof', field: 'token', done: false };
  const github: Of<'github'> = { type: 'github', github: 'o/r', key: 'K', field: 'token', done: false };

  it('worker: prepare reads all the bindings (not only the secrets) and refuses the key bound as anything but a secret text; other names and secret texts are fine', async () => {
    const d = destinationDriver(worker);
    assert.equal(d.type, 'worker');
    const ok = context({ getWorkerBindings: [{ name: 'OTHER', type: 'plain_text' }, { name: 'K', type: 'secret_text' }] });
    assert.deepEqual(await d.prepare(ok.ctx, worker), worker);
    assert.deepEqual(ok.calls, [['cloudflare', 'prof'], ['getWorkerBindings', ACCOUNT, 'api', undefined]]);
    assert.deepEqual(await d.prepare(context({ getWorkerBindings: [{ name: 'OTHER', type: 'plain_text' }] }).ctx, worker), worker);
    // A plain-text variable (wrangler "vars"), a KV namespace, …: GET …/secrets would not list them; Cloudflare refuses the secret (10053).
    for (const type of ['plain_text', 'kv_namespace', 'json']) {
      await assert.rejects(d.prepare(context({ getWorkerBindings: [{ name: 'OTHER', type: 'secret_text' }, { name: 'K', type }] }).ctx, worker), (e: Error & { kind?: string; hint?: string }) => {
        assert.equal(e.kind, 'config');
        assert.equal(e.message, `Worker "api" already binds K as a ${type}, not a secret text: Cloudflare refuses a secret of that name.`);
        assert.equal(e.hint, 'Choose another "key" for this target, or remove or rename that binding of the Worker first (its vars in the Wrangler file, or the dashboard). Nothing was rotated.');
        return true;
      });
    }
  });

  it('worker: write sends the value (with the signal); confirm wants the key listed as a secret text', async () => {
    const d = destinationDriver(worker);
    const signal = new AbortController().signal;
    const w = context({}, { signal });
    await d.write(w.ctx, worker, 'VALUE');
    assert.deepEqual(w.calls, [['cloudflare', 'prof'], ['putWorkerSecret', ACCOUNT, 'api', 'K', 'VALUE', { signal }]]);
    const missing = 'Cloudflare does not list K among the secrets of Worker "api" after writing it.';
    assert.equal(await d.confirm(context({ listWorkerSecrets: [{ name: 'K', type: 'secret_text' }, { name: 'OTHER', type: 'plain_text' }] }).ctx, worker), undefined);
    assert.equal(await d.confirm(context({ listWorkerSecrets: [{ name: 'K', type: 'plain_text' }] }).ctx, worker), missing);
    assert.equal(await d.confirm(context({ listWorkerSecrets: [{ name: 'OTHER', type: 'secret_text' }] }).ctx, worker), missing);
    assert.equal(await d.confirm(context({ listWorkerSecrets: [] }).ctx, worker), missing);
  });

  it('pages: prepare reads the project; write sets the secret of the environment; confirm wants it listed there as a secret text', async () => {
    const d = destinationDriver(pages);
    const pr = context({ getPagesProject: { name: 'site', envVars: { production: {}, preview: {} } } });
    assert.deepEqual(await d.prepare(pr.ctx, pages), pages);
    assert.deepEqual(pr.calls, [['cloudflare', 'prof'], ['getPagesProject', ACCOUNT, 'site', undefined]]);
    const w = context({});
    await d.write(w.ctx, pages, 'VALUE');
    assert.deepEqual(w.calls, [['cloudflare', 'prof'], ['setPagesSecret', ACCOUNT, 'site', 'preview', 'K', 'VALUE', undefined]]);
    const missing = 'Cloudflare does not list K as a secret of Pages project "site" (preview) after writing it.';
    assert.equal(await d.confirm(context({ getPagesProject: { name: 'site', envVars: { production: {}, preview: { K: 'secret_text' } } } }).ctx, pages), undefined);
    assert.equal(await d.confirm(context({ getPagesProject: { name: 'site', envVars: { production: {}, preview: { K: 'plain_text' } } } }).ctx, pages), missing);
    assert.equal(await d.confirm(context({ getPagesProject: { name: 'site', envVars: { production: { K: 'secret_text' }, preview: {} } } }).ctx, pages), missing);
  });

  it('secrets store: prepare records when the secret was last modified and refuses a deleted one; confirm wants a newer modification', async () => {
    const d = destinationDriver(store);
    assert.deepEqual(await d.prepare(context({ getStoreSecret: { id: 'si', name: 'n', status: 'active', modified: 'm1' } }).ctx, store), { ...store, before: 'm1' });
    const none = await d.prepare(context({ getStoreSecret: { id: 'si', name: 'n', status: 'active' } }).ctx, store);
    assert.deepEqual(none, store);
    assert.ok(!('before' in none));
    await assert.rejects(d.prepare(context({ getStoreSecret: { id: 'si', name: 'n', status: 'deleted', modified: 'm1' } }).ctx, store), (e: Error & { kind?: string; hint?: string }) => {
      assert.equal(e.kind, 'not-found');
      assert.equal(e.message, 'Secret si of Secrets Store st is deleted.');
      assert.equal(e.hint, 'Point the target at an existing secret in cf-rotate.json. Nothing was rotated.');
      return true;
    });
    const w = context({});
    await d.write(w.ctx, store, 'VALUE');
    assert.deepEqual(w.calls, [['cloudflare', 'prof'], ['setStoreSecret', ACCOUNT, 'st', 'si', 'VALUE', undefined]]);
    const confirm = (modified: string | undefined, before: string | undefined): Promise<string | undefined> =>
      d.confirm(context({ getStoreSecret: { id: 'si', name: 'n', modified } }).ctx, { ...store, ...(before !== undefined ? { before } : {}) });
    assert.equal(await confirm('m2', 'm1'), undefined);
    assert.equal(await confirm('m1', undefined), undefined, 'nothing to compare with');
    assert.equal(await confirm(undefined, undefined), undefined);
    assert.equal(await confirm('m1', 'm1'), 'Cloudflare still reports secret si of Secrets Store st as last modified m1, before the rotation.');
    assert.equal(await confirm(undefined, 'm1'), 'Cloudflare still reports secret si of Secrets Store st as last modified at an unknown time, before the rotation.');
  });

  it('github: the scope of owner/name (and environment)', () => {
    assert.deepEqual(githubScope(github), { owner: 'o', repo: 'r' });
    assert.ok(!('environment' in githubScope(github)));
    assert.deepEqual(githubScope({ ...github, environment: 'prod' }), { owner: 'o', repo: 'r', environment: 'prod' });
    assert.deepEqual(githubScope({ ...github, github: 'lonely' }), { owner: 'lonely', repo: '' });
  });

  it('github: prepare may sign in (interactive) and records when the secret was updated; write and confirm never ask to sign in', async () => {
    const d = destinationDriver(github);
    const key = { key: Buffer.alloc(32, 7).toString('base64'), keyId: 'kid' };
    const admin = { fullName: 'o/r', permissions: { admin: true, push: true, pull: true } };
    const p = context({ repository: admin, publicKey: key, getSecret: { name: 'K', updatedAt: 'u1' } });
    assert.deepEqual(await d.prepare(p.ctx, github), { ...github, before: 'u1' });
    assert.deepEqual(p.calls, [['github', true], ['repository', { owner: 'o', repo: 'r' }, undefined], ['publicKey', { owner: 'o', repo: 'r' }, undefined], ['getSecret', { owner: 'o', repo: 'r' }, 'K', undefined]]);
    const fresh = await d.prepare(context({ repository: admin, publicKey: key, getSecret: undefined }).ctx, github);
    assert.deepEqual(fresh, github);
    assert.ok(!('before' in fresh));
    const w = context({ publicKey: key });
    await d.write(w.ctx, github, 'VALUE');
    assert.deepEqual(w.calls.map((c) => c[0]), ['github', 'publicKey', 'putSecret']);
    assert.equal(w.calls[0]?.[1], false);
    const put = w.calls[2]!;
    assert.deepEqual([put[1], put[2], put[4], put[5]], [{ owner: 'o', repo: 'r' }, 'K', 'kid', undefined]);
    assert.equal(Buffer.from(String(put[3]), 'base64').length, 48 + 'VALUE'.length, 'sealed: 32-byte key + 16-byte tag + the value');
    const c = context({ getSecret: { name: 'K', updatedAt: 'u2' } });
    assert.equal(await d.confirm(c.ctx, { ...github, before: 'u1' }), undefined);
    assert.equal(c.calls[0]?.[1], false);
    assert.equal(await d.confirm(context({ getSecret: { name: 'K', updatedAt: 'u1' } }).ctx, github), undefined, 'nothing to compare with');
    assert.equal(await d.confirm(context({ getSecret: { name: 'K' } }).ctx, github), undefined, 'nothing to compare with, no time listed');
    assert.equal(await d.confirm(context({ getSecret: { name: 'K', updatedAt: 'u1' } }).ctx, { ...github, before: 'u1' }), 'GitHub still reports the Actions secret K of o/r as updated u1, before the rotation.');
    assert.equal(await d.confirm(context({ getSecret: undefined }).ctx, github), 'GitHub does not list the Actions secret K of o/r after writing it.');
  });

  it('github: prepare refuses, before the public key is read, a user without write access to the repository (naming the role and the token); write, maintain, admin and unknown access pass', async () => {
    const d = destinationDriver(github);
    const key = { key: Buffer.alloc(32, 7).toString('base64'), keyId: 'kid' };
    for (const permissions of [
      { admin: true, maintain: true, push: true, triage: true, pull: true },
      { admin: false, maintain: true, push: true, triage: true, pull: true },
      { admin: false, maintain: false, push: true, triage: true, pull: true },
    ]) {
      for (const target of [github, { ...github, environment: 'prod' }]) {
        const c = context({ repository: { fullName: 'o/r', permissions }, publicKey: key, getSecret: undefined });
        await d.prepare(c.ctx, target);
        assert.deepEqual(c.calls.map((x) => x[0]), ['github', 'repository', 'publicKey', 'getSecret'], 'write access passes on to the reads');
      }
    }
    const roles: [Record<string, boolean>, string][] = [
      [{ admin: false, push: false, triage: true, pull: true }, 'triage'],
      [{ admin: false, push: false, pull: true }, 'read'],
    ];
    for (const [permissions, role] of roles) {
      for (const target of [github, { ...github, environment: 'prod' }]) {
        const c = context({ repository: { fullName: 'o/r', permissions }, publicKey: key });
        await assert.rejects(d.prepare(c.ctx, target), (e: Error & { kind?: string; hint?: string; permission?: string }) => {
          assert.equal(e.kind, 'permission');
          assert.equal(e.message, `The GitHub token (GH_TOKEN) belongs to an account with the role "${role}" on o/r; writing its Actions secrets takes write access to the repository.`);
          assert.equal(e.hint, 'Use a GitHub token of an account with write access to o/r (the write, maintain or admin role: repository Settings › Collaborators and teams), or ask an admin for that role. Nothing was rotated.');
          assert.equal(e.permission, 'write');
          return true;
        });
        assert.deepEqual(c.calls.map((x) => x[0]), ['github', 'repository'], 'nothing read after the refusal');
        assert.deepEqual(c.calls[1]?.[1], { owner: 'o', repo: 'r' }, 'the repository, whatever the environment');
      }
    }
    // GitHub does not report `permissions` (e.g. an app's token): the read checks decide, the write tells.
    const unknown = context({ repository: { fullName: 'o/r' }, publicKey: key, getSecret: undefined });
    assert.deepEqual(await d.prepare(unknown.ctx, github), github);
    assert.deepEqual(unknown.calls.map((x) => x[0]), ['github', 'repository', 'publicKey', 'getSecret']);
  });

  it('cloudflare destinations: prepare refuses, after reading, a destination the admin token\'s policies show it may read but not write; grants unknown or unreadable pass', async () => {
    const account = (accountId: string): string => `com.cloudflare.api.account.${accountId}`;
    const policy = (names: (string | undefined)[], resources: Record<string, string | Record<string, string>> = { [account(ACCOUNT)]: '*' }, effect: 'allow' | 'deny' = 'allow') => ({ effect, permissions: names, resources });
    const cases: [Of<'worker'> | Of<'pages'> | Of<'secrets-store'>, Record<string, unknown>, string, string, string][] = [
      [worker, { getWorkerBindings: [] }, 'Workers Scripts', 'Worker "api"', 'getWorkerBindings'],
      [pages, { getPagesProject: { name: 'site', envVars: { production: {}, preview: {} } } }, 'Pages', 'Pages project "site"', 'getPagesProject'],
      [store, { getStoreSecret: { id: 'si', name: 'n', status: 'active' } }, 'Secrets Store', 'secret si of Secrets Store st', 'getStoreSecret'],
    ];
    for (const [dest, answers, family, where, read] of cases) {
      const d = destinationDriver(dest);
      const grantsCalls: string[] = [];
      const withGrants = (g: unknown) => context(answers, { grants: async (profile) => (grantsCalls.push(profile), g as never) });
      const refused = withGrants([policy([`${family} Read`, 'Account API Tokens Write'])]);
      await assert.rejects(d.prepare(refused.ctx, dest), (e: Error & { kind?: string; hint?: string; permission?: string }) => {
        assert.equal(e.kind, 'permission');
        assert.equal(e.message, `The API token of profile "prof" may read ${where}, but its policies grant no "${family} Write" in account ${ACCOUNT}, which writing the new secret there takes.`);
        assert.equal(e.hint, `Add the permission "${family} Write" for account ${ACCOUNT} to that API token (Cloudflare dashboard, API Tokens › Edit), or give this target a "profile" whose credential has it. Nothing was rotated.`);
        assert.equal(e.permission, `${family} Write`);
        return true;
      });
      assert.deepEqual(refused.calls.map((c) => c[0]), ['cloudflare', read], 'read first (a missing destination says so), then the policies');
      assert.deepEqual(grantsCalls, ['prof'], "the policies of the target's profile");
      // Write on another account only, Read here: refused too.
      await assert.rejects(d.prepare(withGrants([policy([`${family} Write`], { [account(OWN)]: '*' }), policy([`${family} Read`])]).ctx, dest), /policies grant no/);
      // Passes: Write granted (here or on every account), nothing to go by, or no policies readable.
      for (const g of [[policy([`${family} Write`])], [policy([`${family} Write`], { 'com.cloudflare.api.account.*': '*' })], [policy([undefined])], [policy(['Zone Read'])], [], undefined]) {
        const ok = await d.prepare(withGrants(g).ctx, dest);
        assert.equal(ok.type, dest.type, JSON.stringify(g));
      }
      // No grants function at all (a host that does not offer them): the read check only.
      await d.prepare(context(answers).ctx, dest);
    }
  });

  it('destinationNote: the label and what the write does', () => {
    assert.equal(destinationNote(worker), 'worker:api › K: Cloudflare deploys a new version of the Worker with the new secret.');
    assert.equal(destinationNote({ ...github, environment: 'prod' }), 'github:o/r (environment prod) › K: workflow runs that start from now on read the new secret.');
    for (const t of [worker, pages, store, github]) assert.equal(destinationDriver(t).type, t.type);
  });
});

describe('targets: writing one target file (writeTargetFile)', function () {
  this.timeout(20_000);
  let folder: string;
  const OLD = 'old-value';
  const NEW = 'cfut_NewTargetValue0123456789abcdefABCDEF01';
  const entry = { folder: '', token: 'me' };

  beforeEach(async () => {
    folder = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-twrite-')));
    entry.folder = folder;
  });
  afterEach(async () => fs.rm(folder, { recursive: true, force: true }));

  /** NodeFiles that records writes (and their rules) and can pretend an editor holds unsaved changes. */
  function recording(opts: { dirty?: boolean; lose?: boolean } = {}): { files: Files; writes: unknown[] } {
    const base = new NodeFiles();
    const writes: unknown[] = [];
    const files: Files = {
      check: (r, rel, rules) => base.check(r, rel, rules),
      read: (r, rel, rules) => base.read(r, rel, rules),
      sweep: (r, rel) => base.sweep(r, rel),
      write: async (r, rel, data, rules) => {
        writes.push(rules);
        return base.write(r, rel, opts.lose ? Buffer.from('') : data, rules);
      },
      ...(opts.dirty ? { isDirty: () => true } : {}),
    };
    return { files, writes };
  }
  const deps = (files: Files, locks: Locks = new MemoryLocks()): FileWriteDeps => ({ files, locks, queue: new KeyedQueue(), fileLockWaitMs: 1234 });
  const target = (key: string, oldHash: string | null, field: 'token' | 'clientId' | 'clientSecret' = 'token') => ({ rel: '.env', key, field, oldHash, done: false });
  const text = (): Promise<string> => fs.readFile(path.join(folder, '.env'), 'utf8');

  it('an unjournaled secret, its file lock refused for lack of space: a checkable live holder is waited for, then written past with a warning; one this machine cannot check is not waited for', async () => {
    for (const [what, holder, waitMs, minMs] of [
      ['checkable', { pid: process.ppid, start: '1', host: os.hostname(), since: Date.now(), what: 'writing .env', app: 'x' }, 300, 290],
      ['another host', { pid: 4242, start: '1', host: 'gone-container', since: Date.now(), what: 'writing .env', app: 'x' }, 60_000, 0],
    ] as const) {
      await fs.writeFile(path.join(folder, '.env'), `K=${OLD}\n`);
      const locks = new MemoryLocks();
      locks.acquire = async () => {
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      };
      locks.holder = async () => holder;
      const warned: string[] = [];
      const t0 = Date.now();
      await writeTargetFile({ ...deps(recording().files, locks), unjournaled: { warn: (m) => warned.push(m), waitMs } }, entry, '.env', [target('K', hashValue(OLD))], { token: NEW }, false);
      const took = Date.now() - t0;
      assert.ok(took >= minMs && took < 10_000, `${what}: ${took} ms`);
      assert.equal(await text(), `K=${NEW}\n`, `${what}: written, not lost`);
      assert.match(warned.join('\n'), new RegExp(`pid ${holder.pid} on ${holder.host} still holds it; writing the file without it`), what);
    }
  });

  it('sweeps a file\'s leftover temporaries at its first write, then at most once a minute when given a sweep record', async () => {
    await fs.writeFile(path.join(folder, '.env'), `K=${OLD}\nL=${OLD}\n`);
    const r = recording();
    let sweeps = 0;
    const files: Files = { ...r.files, sweep: async (root, rel) => (sweeps++, r.files.sweep(root, rel)) };
    const swept = new Map<string, number>();
    const d = { ...deps(files), swept };
    await writeTargetFile(d, entry, '.env', [target('K', hashValue(OLD))], { token: NEW }, false);
    await writeTargetFile(d, entry, '.env', [target('L', hashValue(OLD))], { token: NEW }, false);
    assert.equal(sweeps, 1);
    // A minute later it sweeps again.
    swept.set(path.join(folder, '.env'), Date.now() - 61_000);
    await writeTargetFile(d, entry, '.env', [target('K', hashValue(NEW))], { token: OLD }, false);
    assert.equal(sweeps, 2);
    // Without a record (no engine), every write sweeps.
    await writeTargetFile(deps(files), entry, '.env', [target('K', hashValue(OLD))], { token: NEW }, false);
    assert.equal(sweeps, 3);
  });

  it('writes the new value over the old one, through the target rules, with a new file 0600', async () => {
    await fs.writeFile(path.join(folder, '.env'), `A=1\nK=${OLD}\n`);
    const r = recording();
    await writeTargetFile(deps(r.files), entry, '.env', [target('K', hashValue(OLD))], { token: NEW }, false);
    assert.equal(await text(), `A=1\nK=${NEW}\n`);
    assert.deepEqual(r.writes, [{ denyGitDir: true, deny: ['.vscode/cf-rotate.json'], maxBytes: 50 * 1024 * 1024, mode: 0o600 }]);
  });

  it('several keys of one file in one write; a key that was absent (old hash null) is appended', async () => {
    await fs.writeFile(path.join(folder, '.env'), `K=${OLD}\n`);
    const r = recording();
    await writeTargetFile(deps(r.files), entry, '.env', [target('K', hashValue(OLD), 'clientSecret'), target('ID', null, 'clientId')], { clientSecret: NEW, clientId: 'id.access' }, false);
    assert.equal(await text(), `K=${NEW}\nID=id.access\n`);
    assert.equal(r.writes.length, 1);
  });

  it('a key that already holds the new value (resume) is not written again', async () => {
    for (const content of [`K=${NEW}\n`, `K=${NEW}\nK=${NEW}\n`]) {
      await fs.writeFile(path.join(folder, '.env'), content);
      const r = recording({ dirty: true });
      await writeTargetFile(deps(r.files), entry, '.env', [target('K', hashValue(OLD))], { token: NEW }, false);
      assert.deepEqual(r.writes, [], content);
      assert.equal(await text(), content);
    }
  });

  it('a key that holds neither the old nor the new value is a conflict, unless overwriting', async () => {
    const conflict = (e: Error & { kind?: string; hint?: string }): boolean => {
      assert.equal(e.kind, 'conflict');
      assert.equal(e.message, 'K in .env changed during the rotation: it holds neither the old nor the new value.');
      assert.match(e.hint ?? '', /^Check the file, then .+ to write the new secret over it, or discard the rotation\.$/);
      return true;
    };
    for (const [content, oldHash] of [
      ['K=someone-else\n', hashValue(OLD)],
      ['A=1\n', hashValue(OLD)],
      ['K=someone-else\n', null],
      [`K=${OLD}\nK=${NEW}\n`, null],
    ] as const) {
      await fs.writeFile(path.join(folder, '.env'), content);
      const r = recording();
      await assert.rejects(writeTargetFile(deps(r.files), entry, '.env', [target('K', oldHash)], { token: NEW }, false), conflict, content);
      assert.deepEqual(r.writes, []);
      await writeTargetFile(deps(r.files), entry, '.env', [target('K', oldHash)], { token: NEW }, true);
      assert.match(await text(), new RegExp(`K=${NEW}\\n$`));
    }
  });

  it('refuses when an editor holds unsaved changes, when the value is missing, or when the file does not keep it', async () => {
    await fs.writeFile(path.join(folder, '.env'), `K=${OLD}\n`);
    await assert.rejects(writeTargetFile(deps(recording({ dirty: true }).files), entry, '.env', [target('K', hashValue(OLD))], { token: NEW }, false), (e: Error & { kind?: string; hint?: string }) => {
      assert.equal(e.kind, 'file');
      assert.equal(e.message, '.env has unsaved changes in an editor.');
      assert.equal(e.hint, 'Save or revert it, then resume the rotation.');
      return true;
    });
    await assert.rejects(writeTargetFile(deps(recording().files), entry, '.env', [target('K', hashValue(OLD), 'clientId')], { token: NEW }, false), (e: Error & { kind?: string }) => {
      assert.equal(e.kind, 'internal');
      assert.equal(e.message, 'The journal of "me" has no clientId to write into .env.');
      return true;
    });
    await assert.rejects(writeTargetFile(deps(recording({ lose: true }).files), entry, '.env', [target('K', hashValue(OLD))], { token: NEW }, false), (e: Error & { kind?: string; hint?: string }) => {
      assert.equal(e.kind, 'file');
      assert.equal(e.message, '.env did not keep the new value of K after writing.');
      assert.equal(e.hint, 'Check the disk and resume the rotation.');
      return true;
    });
  });

  it('works under the file\'s machine-wide lock (named after its real path, waiting fileLockWaitMs) and releases it', async () => {
    await fs.writeFile(path.join(folder, '.env'), `K=${OLD}\n`);
    const inner = new MemoryLocks();
    const asked: unknown[][] = [];
    const locks: Locks = {
      tryAcquire: (n, w) => inner.tryAcquire(n, w),
      holder: (n) => inner.holder(n),
      acquire: (n, w, o) => {
        asked.push([n, w, o]);
        return inner.acquire(n, w, o);
      },
    };
    await writeTargetFile(deps(recording().files, locks), entry, '.env', [target('K', hashValue(OLD))], { token: NEW }, false);
    const name = `file-${journalKey(path.join(folder, '.env'))}`;
    assert.deepEqual(asked, [[name, 'writing .env', { waitMs: 1234 }]]);
    assert.equal(await inner.holder(name), undefined);
  });
});

describe('targets: preflight, the rest of the words', function () {
  this.timeout(20_000);
  let folder: string;
  const files = new NodeFiles();
  beforeEach(async () => {
    folder = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-targets2-')));
  });
  afterEach(async () => fs.rm(folder, { recursive: true, force: true }));

  it('the hints of decodeTarget and of every preflight refusal', async () => {
    assert.throws(() => decodeTarget(Buffer.from([0x41, 0x00]), 'x.env'), (e: Error & { hint?: string }) => e.hint === 'Point the target at a .env text file.');
    assert.throws(() => decodeTarget(Buffer.from([0x41, 0xe9]), 'x.env'), (e: Error & { hint?: string }) => e.hint === 'Convert the file to UTF-8 and try again.');
    const tok = token([{ file: '.env', key: 'K' }]);
    const hint = async (p: Promise<unknown>, h: string): Promise<void> => {
      await assert.rejects(p, (e: Error & { hint?: string }) => e.hint === h);
    };
    await hint(prepareTarget(files, folder, tok, { file: 'page.html', key: 'K' }), 'Fix the target in cf-rotate.json. Nothing was rotated.');
    await fs.writeFile(path.join(folder, '.env'), 'K=1\n');
    const dirty: Files = Object.assign(Object.create(files) as Files, { isDirty: () => true });
    await hint(prepareTarget(dirty, folder, tok, { file: '.env', key: 'K' }), 'Save or revert it, then rotate again. Nothing was rotated.');
    await fs.writeFile(path.join(folder, '.env'), 'K="encrypted:BDqDBibm"\n');
    await hint(prepareTarget(files, folder, tok, { file: '.env', key: 'K' }), 'Decrypt the file or point the target at a plain .env file. Nothing was rotated.');
  });

  it('a file the patcher cannot write the key into is refused before anything is rotated (the probe patch)', async () => {
    await fs.writeFile(path.join(folder, '.env'), 'a:');
    await assert.rejects(prepareTarget(files, folder, token([{ file: '.env', key: 'K' }]), { file: '.env', key: 'K' }), (e: Error) => e.message === 'Refusing to patch the .env text: it would also change a; K would not read back as the new value.');
    assert.equal(await fs.readFile(path.join(folder, '.env'), 'utf8'), 'a:');
  });
});
