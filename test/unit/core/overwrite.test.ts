/**
 * resume --overwrite-conflicts writes the journaled secret over a value that is neither the old
 * nor the new one. When the token was rotated again meanwhile (from another state directory, the
 * dashboard), the journaled value is dead and the value in the file may be the working one: it
 * must not be written over.
 */
import { strict as assert } from 'node:assert';
import { parse } from 'dotenv';
import { CloudflareClient } from '../../../src/core/cloudflare/client';
import { makeEngine, read, tokens, withWorld, write } from '../helpers/world';

describe('resume --overwrite-conflicts', function () {
  this.timeout(30_000);
  const at = withWorld();

  /** A rotation left pending on a conflict: the user changed the value while the call was out. */
  async function pendingOnConflict() {
    const tok = at.world.sim.control.addAccountToken(at.world.accountId, { name: 'deploy' });
    await write(at.folder, '.env', `T=${tok.value}\n`);
    const [token] = tokens([{ name: 'deploy', kind: 'account-api-token', accountId: at.world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'T' }] }]);
    at.world.sim.control.addFault({ op: 'rollAccountToken', type: 'latency', ms: 300 });
    const h = makeEngine(at.world);
    const edited = (async () => {
      // Once the intent is journaled with its send time (after every check), while the roll waits.
      for (let i = 0; i < 1000 && ![...h.journal.data.values()].some((t) => t.includes('"sentAt"')); i++) await new Promise((r) => setTimeout(r, 5));
      await write(at.folder, '.env', `T=${'e'.repeat(40)}\n`);
    })();
    const r = await h.engine.rotate(at.folder, token!);
    await edited;
    assert.equal(r.state, 'pending', JSON.stringify(r));
    assert.equal(r.error?.kind, 'conflict');
    const [entry] = await h.engine.interrupted();
    return { tok, h, entry: entry! };
  }

  it('with a journaled secret Cloudflare no longer accepts: refused, the file keeps its (working) value, the entry stays', async () => {
    const { tok, h, entry } = await pendingOnConflict();
    // Rolled again elsewhere: the journaled value is dead, the newest one goes into .env by hand.
    const other = new CloudflareClient({ baseUrl: at.world.sim.url, credential: at.world.admin, timeoutMs: 2_000 });
    await other.rollAccountToken(at.world.accountId, tok.id);
    const working = at.world.sim.control.state().accountTokens.find((t) => t.id === tok.id)!.value;
    assert.notEqual(working, entry.values?.token);
    await write(at.folder, '.env', `T=${working}\n`);
    const r = await h.engine.resume(entry.id, { overwriteConflicts: true });
    assert.equal(r.ok, false);
    assert.equal(r.state, 'pending');
    assert.match(r.error?.message ?? '', /no longer works at Cloudflare .* was not written over/);
    assert.equal(parse(await read(at.folder, '.env')).T, working, 'the working value stays');
    assert.equal((await h.engine.interrupted()).length, 1, 'the entry stays (discard it once the file is checked)');
  });

  it('with a journaled secret that works: written over the conflicting value, as asked', async () => {
    const { tok, h, entry } = await pendingOnConflict();
    const r = await h.engine.resume(entry.id, { overwriteConflicts: true });
    assert.equal(r.ok, true, JSON.stringify(r.error));
    const live = at.world.sim.control.state().accountTokens.find((t) => t.id === tok.id)!.value;
    assert.equal(parse(await read(at.folder, '.env')).T, live);
  });
});
