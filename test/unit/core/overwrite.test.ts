/**
 * resume --overwrite-conflicts writes the journaled secret over a value that is neither the old
 * nor the new one. When the token was rotated again meanwhile (from another state directory, the
 * dashboard), the journaled value is dead and the value in the file may be the working one: it
 * must not be written over.
 */
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import { parse } from 'dotenv';
import { CloudflareClient } from '../../../src/core/cloudflare/client';
import { makeEngine, read, startWorld, tempFolder, tokens, write, type World } from '../helpers/world';

describe('resume --overwrite-conflicts', function () {
  this.timeout(30_000);
  let world: World;
  let folder: string;

  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world.close();
  });
  beforeEach(async () => {
    folder = await tempFolder();
    world.sim.control.clearFaults();
  });
  afterEach(async () => {
    await fs.rm(folder, { recursive: true, force: true });
  });

  /** A rotation left pending on a conflict: the user changed the value while the call was out. */
  async function pendingOnConflict() {
    const tok = world.sim.control.addAccountToken(world.accountId, { name: 'deploy' });
    await write(folder, '.env', `T=${tok.value}\n`);
    const [token] = tokens([{ name: 'deploy', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'T' }] }]);
    world.sim.control.addFault({ op: 'rollAccountToken', type: 'latency', ms: 300 });
    const h = makeEngine(world);
    const edited = (async () => {
      await new Promise((r) => setTimeout(r, 100));
      await write(folder, '.env', `T=${'e'.repeat(40)}\n`);
    })();
    const r = await h.engine.rotate(folder, token!);
    await edited;
    assert.equal(r.state, 'pending', JSON.stringify(r));
    assert.equal(r.error?.kind, 'conflict');
    const [entry] = await h.engine.interrupted();
    return { tok, h, entry: entry! };
  }

  it('with a journaled secret Cloudflare no longer accepts: refused, the file keeps its (working) value, the entry stays', async () => {
    const { tok, h, entry } = await pendingOnConflict();
    // Rolled again elsewhere: the journaled value is dead, the newest one goes into .env by hand.
    const other = new CloudflareClient({ baseUrl: world.sim.url, credential: world.admin, timeoutMs: 2_000 });
    await other.rollAccountToken(world.accountId, tok.id);
    const working = world.sim.control.state().accountTokens.find((t) => t.id === tok.id)!.value;
    assert.notEqual(working, entry.values?.token);
    await write(folder, '.env', `T=${working}\n`);
    const r = await h.engine.resume(entry.id, { overwriteConflicts: true });
    assert.equal(r.ok, false);
    assert.equal(r.state, 'pending');
    assert.match(r.error?.message ?? '', /no longer works at Cloudflare .* was not written over/);
    assert.equal(parse(await read(folder, '.env')).T, working, 'the working value stays');
    assert.equal((await h.engine.interrupted()).length, 1, 'the entry stays (discard it once the file is checked)');
  });

  it('with a journaled secret that works: written over the conflicting value, as asked', async () => {
    const { tok, h, entry } = await pendingOnConflict();
    const r = await h.engine.resume(entry.id, { overwriteConflicts: true });
    assert.equal(r.ok, true, JSON.stringify(r.error));
    const live = world.sim.control.state().accountTokens.find((t) => t.id === tok.id)!.value;
    assert.equal(parse(await read(folder, '.env')).T, live);
  });
});
