/**
 * The file a rotation writes is the file its checks judged (name rule, configuration, git): a
 * link put in place of a target while the call is out (a second process in a cloned repository)
 * must not lead the secret into another file, such as a tracked one. The write is refused, the
 * secret stays in the journal, and a resume writes it once the name leads to the judged file again.
 */
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'dotenv';
import { NodeFiles } from '../../../src/core/node/files';
import { makeEngine, read, tokens, withWorld, write } from '../helpers/world';

describe('a target swapped for a link while the call is out', function () {
  this.timeout(30_000);
  const at = withWorld();

  it('is not written through: the secret waits in the journal; resume writes the judged file once it is back', async () => {
    const tok = at.world.sim.control.addAccountToken(at.world.accountId, { name: 'deploy' });
    await write(at.folder, '.env', `T=${tok.value}\n`);
    await write(at.folder, 'public.env', 'PUBLIC=1\n');
    const [token] = tokens([{ name: 'deploy', kind: 'account-api-token', accountId: at.world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'T' }] }]);
    at.world.sim.control.addFault({ op: 'rollAccountToken', type: 'latency', ms: 400 });
    const h = makeEngine(at.world);
    const swapped = (async () => {
      // Once the intent is journaled with its send time (after every check), while the roll waits.
      for (let i = 0; i < 1000 && ![...h.journal.data.values()].some((t) => t.includes('"sentAt"')); i++) await new Promise((r) => setTimeout(r, 5));
      await fs.rename(path.join(at.folder, '.env'), path.join(at.folder, '.env.kept'));
      await fs.symlink('public.env', path.join(at.folder, '.env'));
    })();
    const r = await h.engine.rotate(at.folder, token!);
    await swapped;
    assert.equal(r.ok, false);
    assert.equal(r.state, 'pending', JSON.stringify(r));
    assert.match(r.error?.message ?? '', /\.env now leads to public\.env, not to \.env as when it was checked/);
    assert.equal(await read(at.folder, 'public.env'), 'PUBLIC=1\n', 'the other file is untouched');
    const live = at.world.sim.control.state().accountTokens.find((t) => t.id === tok.id)!.value;
    const [entry] = await h.engine.interrupted();
    assert.equal(entry?.values?.token, live, 'the secret waits in the journal');
    // Still swapped: resume refuses the same way.
    const again = await h.engine.resume(entry!.id);
    assert.equal(again.state, 'pending');
    assert.equal(await read(at.folder, 'public.env'), 'PUBLIC=1\n');
    // Put back: resume writes the file that was judged.
    await fs.rm(path.join(at.folder, '.env'));
    await fs.rename(path.join(at.folder, '.env.kept'), path.join(at.folder, '.env'));
    const done = await h.engine.resume(entry!.id);
    assert.equal(done.ok, true, JSON.stringify(done.error));
    assert.equal(parse(await read(at.folder, '.env')).T, live);
    assert.equal(await read(at.folder, 'public.env'), 'PUBLIC=1\n');
  });

  it('the checked writer refuses a write whose name leads to another file than `sameAs`, and accepts the same file', async () => {
    await write(at.folder, 'a.env', 'A=1\n');
    await write(at.folder, 'b.env', 'B=1\n');
    const files = new NodeFiles();
    const judged = await files.check(at.folder, 'a.env');
    assert.equal(judged.inner, 'a.env');
    await fs.symlink('b.env', path.join(at.folder, 'c.env'));
    await assert.rejects(files.write(at.folder, 'c.env', Buffer.from('X=1\n'), { sameAs: judged.inner! }), /c\.env now leads to b\.env, not to a\.env/);
    assert.equal(await read(at.folder, 'b.env'), 'B=1\n');
    await files.write(at.folder, 'a.env', Buffer.from('A=2\n'), { sameAs: judged.inner! });
    assert.equal(await read(at.folder, 'a.env'), 'A=2\n');
    // A link to the judged file is that file.
    await fs.symlink('a.env', path.join(at.folder, 'd.env'));
    await files.write(at.folder, 'd.env', Buffer.from('A=3\n'), { sameAs: judged.inner! });
    assert.equal(await read(at.folder, 'a.env'), 'A=3\n');
  });
});
