/**
 * Two names for one file: a cloned repository must not get two entries to write one variable
 * (the second rotation would write over the first one's new secret, which would then be
 * nowhere), nor a secret into the configuration through a link, whoever calls the engine (the
 * editor names no configuration: the default one is meant).
 */
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'dotenv';
import { ConfigTexts, validateConfig } from '../../../src/core/config/load';
import { normaliseRelative } from '../../../src/core/config/schema';
import { targetFileIssues } from '../../../src/core/node/targetFiles';
import { makeEngine, read, tokens, withWorld, write } from '../helpers/world';

describe('one file under two names', function () {
  this.timeout(30_000);
  const at = withWorld();

  it('spellings of one path are one path: `.` segments, doubled and back slashes', () => {
    assert.deepEqual(['sub/./.env', './sub/.env', 'sub//.env', 'sub\\.env', 'sub/.env/.', '././sub/./.env'].map(normaliseRelative), Array(6).fill('sub/.env'));
    assert.equal(normaliseRelative('sub/.env'), 'sub/.env');
    assert.equal(normaliseRelative('.env.local'), '.env.local');
    assert.equal(normaliseRelative('a/.../b.env'), 'a/.../b.env', '"..." is a name');
  });

  it('the configuration refuses two entries writing one variable through `sub/./.env`, and a target `.vscode/./cf-rotate.json`', () => {
    const acct = '954a55fc5f585e634c5bbd7b5e8f4cf2';
    assert.throws(
      () =>
        validateConfig({
          tokens: [
            { kind: 'account-api-token', name: 'deploy', accountId: acct, tokenId: 'd4d91b6ee94bb6cf9ab22ea88c125f56', targets: [{ file: 'sub/.env', key: 'T' }] },
            { kind: 'user-api-token', name: 'me', tokenId: '82fa1b84efeff33491cb2df5b24508f5', targets: [{ file: 'sub/./.env', key: 'T' }] },
          ],
        }),
      /two tokens cannot share one variable/,
    );
    assert.throws(() => validateConfig({ tokens: [{ kind: 'user-api-token', name: 'me', tokenId: '82fa1b84efeff33491cb2df5b24508f5', targets: [{ file: '.vscode/./cf-rotate.json', key: 'T', allowAnyFile: true }] }] }), /configuration itself/);
  });

  it('a link (b.env → a.env) gives two entries one variable: the rotation is refused before any call', async () => {
    const deploy = at.world.sim.control.addAccountToken(at.world.accountId, { name: 'deploy' });
    const me = at.world.sim.control.addAccountToken(at.world.accountId, { name: 'me' });
    await write(at.folder, 'a.env', `T=${deploy.value}\n`);
    await fs.symlink('a.env', path.join(at.folder, 'b.env'));
    const entries = [
      { name: 'deploy', kind: 'account-api-token', accountId: at.world.accountId, tokenId: deploy.id, targets: [{ file: 'a.env', key: 'T' }] },
      { name: 'me', kind: 'account-api-token', accountId: at.world.accountId, tokenId: me.id, targets: [{ file: 'b.env', key: 'T' }] },
    ];
    await write(at.folder, '.vscode/cf-rotate.json', JSON.stringify({ tokens: entries }));
    const [a, b] = tokens(entries);
    const h = makeEngine(at.world);
    at.world.sim.control.clearRequests();
    for (const r of [await h.engine.rotate(at.folder, b!), ...(await h.engine.rotateMany([{ folder: at.folder, token: a! }]))]) {
      assert.equal(r.ok, false);
      assert.equal(r.error?.kind, 'config');
      assert.match(r.error?.message ?? '', /both write T of one file/);
    }
    assert.equal(at.world.sim.control.requests().filter((q) => q.method !== 'GET').length, 0, 'nothing was rolled');
    assert.equal(parse(await read(at.folder, 'a.env')).T, deploy.value);
    // A variable of its own: rotates.
    entries[1]!.targets = [{ file: 'b.env', key: 'U' }];
    await write(at.folder, '.vscode/cf-rotate.json', JSON.stringify({ tokens: entries }));
    const ok = await h.engine.rotate(at.folder, tokens(entries)[1]!);
    assert.equal(ok.ok, true, JSON.stringify(ok.error));
  });

  it("the editor's parsed texts are reused: the engine reads the file and parses it through them (an unchanged text is not parsed again)", async () => {
    const deploy = at.world.sim.control.addAccountToken(at.world.accountId, { name: 'deploy' });
    const entries = [{ name: 'deploy', kind: 'account-api-token', accountId: at.world.accountId, tokenId: deploy.id, targets: [{ file: 'a.env', key: 'T' }] }];
    const text = JSON.stringify({ tokens: entries });
    await write(at.folder, '.vscode/cf-rotate.json', text);
    const texts = new ConfigTexts();
    const known = texts.parse(at.folder, text);
    const seen: unknown[] = [];
    const parse = texts.parse.bind(texts);
    texts.parse = (folder: string, t: string, file?: string) => {
      const out = parse(folder, t, file);
      seen.push(out);
      return out;
    };
    const r = await makeEngine(at.world, { configTexts: texts }).engine.rotate(at.folder, tokens(entries)[0]!);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    assert.deepEqual(seen, [known], 'one parse through the texts, answered with the configuration already parsed');
  });

  it('validate and the Tokens view (targetFileIssues) name the second entry of a shared variable, and the configuration through a link', async () => {
    await write(at.folder, 'a.env', 'T=1\n');
    await fs.symlink('a.env', path.join(at.folder, 'b.env'));
    await write(at.folder, 'cfg.env', '{}');
    const entries = [
      { name: 'deploy', kind: 'account-api-token', accountId: at.world.accountId, tokenId: 'd4d91b6ee94bb6cf9ab22ea88c125f56', targets: [{ file: 'a.env', key: 'T' }, { file: 'a.env', key: 'U' }] },
      { name: 'me', kind: 'user-api-token', tokenId: '82fa1b84efeff33491cb2df5b24508f5', targets: [{ file: 'b.env', key: 'U' }, { file: 'b.env', key: 'V' }, { file: 'cfg.env', key: 'W' }] },
    ];
    const issues = await targetFileIssues(at.folder, tokens(entries), undefined, path.join(at.folder, 'cfg.env'));
    assert.deepEqual(issues.map((i) => i.path), ['tokens[1].targets[0].file', 'tokens[1].targets[2].file']);
    assert.match(issues[0]!.message, /same file as a target of tokens\[0\], which writes U too/);
    assert.match(issues[1]!.message, /configuration file in use/);
  });

  it('the configuration reached through a link is never a target, also for a caller that names no configuration (the editor)', async () => {
    const deploy = at.world.sim.control.addAccountToken(at.world.accountId, { name: 'deploy' });
    const entries = [{ name: 'deploy', kind: 'account-api-token', accountId: at.world.accountId, tokenId: deploy.id, targets: [{ file: 'cfg.env', key: 'T' }] }];
    await write(at.folder, 'cfg.env', JSON.stringify({ tokens: entries }));
    await fs.mkdir(path.join(at.folder, '.vscode'), { recursive: true });
    await fs.rm(path.join(at.folder, '.vscode', 'cf-rotate.json'), { force: true });
    await fs.symlink('../cfg.env', path.join(at.folder, '.vscode', 'cf-rotate.json'));
    const [token] = tokens(entries);
    const h = makeEngine(at.world);
    for (const r of [await h.engine.rotate(at.folder, token!), ...(await h.engine.rotateMany([{ folder: at.folder, token: token! }]))]) {
      assert.equal(r.ok, false);
      assert.match(r.error?.message ?? '', /is the configuration file \.vscode\/cf-rotate\.json/);
    }
    assert.equal(await read(at.folder, 'cfg.env'), JSON.stringify({ tokens: entries }));
  });
});
