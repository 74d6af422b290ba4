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
import { decodeTarget, encodeTarget, hashValue, prepareTarget, prepareTargets, TARGET_RULES } from '../../../src/core/engine/targets';
import { NodeFiles } from '../../../src/core/node/files';
import type { Files } from '../../../src/core/ports';

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
    assert.deepEqual(t, { rel: '.env', key: 'K', field: 'token', oldHash: hashValue('old-value'), done: false, current: 'old-value', real: path.join(folder, '.env') });
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

  it('a preflight refusal says that nothing was rotated', async () => {
    await fs.writeFile(path.join(folder, '.env'), 'K=1\nK=2\n');
    await assert.rejects(prepareTargets(files, folder, token([{ file: '.env', key: 'K' }])), (e: Error & { hint?: string }) => /Nothing was rotated/.test(e.hint ?? ''));
  });

  it('refuses a target the file layer refuses (link out, missing folder) before anything is read', async () => {
    const out = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-targets-out-'));
    try {
      await fs.writeFile(path.join(out, 'x.env'), 'K=1\n');
      await fs.symlink(path.join(out, 'x.env'), path.join(folder, 'x.env'));
      await rejects(prepareTargets(files, folder, token([{ file: 'x.env', key: 'K' }])), 'file', 'x.env is a link that leads outside the workspace folder; cf-rotate refuses to follow it.');
      await rejects(prepareTargets(files, folder, token([{ file: 'nope/.env', key: 'K' }])), 'file', 'The folder of nope/.env does not exist.');
    } finally {
      await fs.rm(out, { recursive: true, force: true });
    }
  });
});
