/**
 * A folder reached through a link is the same folder: `resume --config <link>/…` finds the
 * interrupted rotation that was journaled under the real path (and the other way round), instead of
 * answering "No interrupted rotations." while a secret waits in the journal.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main, sameFolderAs } from '../../../src/cli/main';
import { resourceId } from '../../../src/core/engine/engine';
import type { JournalEntry } from '../../../src/core/engine/journal';
import { NodeJournalStore } from '../../../src/core/node/journalStore';
import { validateConfig } from '../../../src/core/config/load';

describe('the CLI: a folder reached through a link', function () {
  this.timeout(20_000);
  let base: string;
  beforeEach(async () => {
    base = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-linked-')));
  });
  afterEach(() => fs.rm(base, { recursive: true, force: true }));

  it('sameFolderAs: the same string or the same real folder; a missing path matches only itself', async () => {
    const real = path.join(base, 'ws');
    await fs.mkdir(real);
    await fs.symlink(real, path.join(base, 'link'));
    const same = sameFolderAs(path.join(base, 'link'));
    assert.equal(same(real), true);
    assert.equal(same(path.join(base, 'link')), true);
    assert.equal(same(base), false);
    assert.equal(sameFolderAs(path.join(base, 'gone'))(path.join(base, 'gone')), true);
    assert.equal(sameFolderAs(path.join(base, 'gone'))(real), false);
  });

  for (const journaledUnder of ['real', 'link'] as const) {
    it(`resume --config through ${journaledUnder === 'real' ? 'a link finds a rotation journaled under the real path' : 'the real path finds a rotation journaled under a link'}, and writes its secret`, async () => {
      const real = path.join(base, 'ws');
      const link = path.join(base, 'link');
      await fs.mkdir(path.join(real, '.vscode'), { recursive: true });
      await fs.symlink(real, link);
      const stateDir = path.join(base, 'state');
      const entry = { name: 'deploy', kind: 'account-api-token', accountId: 'a'.repeat(32), tokenId: 'b'.repeat(32), targets: [{ file: '.env', key: 'DEPLOY' }] };
      await fs.writeFile(path.join(real, '.vscode', 'cf-rotate.json'), JSON.stringify({ tokens: [entry] }));
      const old = `cfat_${'o'.repeat(40)}`;
      const fresh = `cfat_${'n'.repeat(40)}`;
      await fs.writeFile(path.join(real, '.env'), `DEPLOY=${old}\n`);
      const token = validateConfig({ tokens: [entry] }).tokens[0]!;
      const now = Date.now();
      const j: JournalEntry = {
        v: 2,
        id: resourceId(token),
        owner: 'dead-process',
        folder: journaledUnder === 'real' ? real : link,
        token: 'deploy',
        kind: 'account-api-token',
        profile: 'default',
        state: 'rotated',
        resource: { accountId: entry.accountId, tokenId: entry.tokenId },
        startedAt: now - 60_000,
        updatedAt: now - 59_000,
        sentAt: now - 60_000,
        deadline: now - 30_000,
        targets: [{ rel: '.env', key: 'DEPLOY', field: 'token', oldHash: createHash('sha256').update(old).digest('hex'), done: false }],
        values: { token: fresh },
      };
      await new NodeJournalStore(stateDir).put(j.id, JSON.stringify(j));
      const out: string[] = [];
      const config = path.join(journaledUnder === 'real' ? link : real, '.vscode', 'cf-rotate.json');
      // No admin credential and no network: the secret is written from the journal, not verified.
      const code = await main(['resume', '--config', config, '--json'], { stdout: (s) => out.push(s), stderr: (s) => out.push(s), env: { CF_ROTATE_STATE_DIR: stateDir, CLOUDFLARE_API_BASE_URL: 'http://127.0.0.1:9/client/v4' }, cwd: base });
      const text = out.join('');
      assert.doesNotMatch(text, /No interrupted rotations/);
      assert.equal(code, 0, text);
      assert.equal(await fs.readFile(path.join(real, '.env'), 'utf8'), `DEPLOY=${fresh}\n`);
      assert.deepEqual(await new NodeJournalStore(stateDir).list(), [], 'the entry is finished');
    });
  }
});
