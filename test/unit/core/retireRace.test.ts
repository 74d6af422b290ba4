/**
 * A pending retirement is keyed per credential: an OAuth client or an Access service token has one
 * "previous secret", so the next rotation's record takes the key of the one just carried out. A
 * process that listed the old record, then waited (another delete, the lock), must not carry out
 * the new one before its own due time: that cut a promised 24 h overlap to seconds. And a new
 * rotation's record replaces an older one of another rotation, whose due time is not its own.
 */
import { strict as assert } from 'node:assert';
import { CloudflareClient } from '../../../src/core/cloudflare/client';
import { MemoryJournalStore } from '../../../src/core/engine/journal';
import { MemoryHistory } from '../../../src/core/history';
import { MemoryLocks } from '../../../src/core/locks';
import { MemoryLogger } from '../../../src/core/log';
import { systemClock } from '../../../src/core/ports';
import { Retirements, retirementKey, type Retirement } from '../../../src/core/retire';
import { startWorld, type World } from '../helpers/world';

describe('pending retirements: a stale listing, and the next rotation of the same client', function () {
  this.timeout(20_000);
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(() => world.close());

  function setup(): { retirements: Retirements; store: MemoryJournalStore; clientId: string } {
    const client = world.sim.control.addOAuthClient({ accountId: world.accountId, name: 'app', previousSecret: 'previous-secret-of-app-0123456789' });
    const store = new MemoryJournalStore();
    const retirements = new Retirements({
      store,
      locks: new MemoryLocks(),
      clock: systemClock,
      logger: new MemoryLogger(),
      history: new MemoryHistory(),
      apiFor: async () => new CloudflareClient({ baseUrl: world.sim.url, credential: world.admin, timeoutMs: 2_000 }),
    });
    return { retirements, store, clientId: client.clientId };
  }
  const rec = (clientId: string, rotation: string, dueAt: number, createdAt = Date.now()): Omit<Retirement, 'v' | 'id' | 'attempts'> => ({
    kind: 'oauth-client-secret',
    resource: { accountId: world.accountId, clientId },
    name: 'app',
    folder: '/ws',
    profile: 'default',
    createdAt,
    dueAt,
    rotation,
  });

  it('listed when due, replaced by the next rotation\'s record (due in 24 h) before the lock: that one waits, nothing is deleted', async () => {
    const { retirements, store, clientId } = setup();
    await retirements.record(rec(clientId, 'rotation-1', Date.now() - 1_000, Date.now() - 60_000));
    const id = retirementKey('oauth-client-secret', { accountId: world.accountId, clientId });
    world.sim.control.clearRequests();
    let swapped = false;
    // Between this process's listing and its lock, another one carries out the record and rotates again.
    const results = await retirements.carryOut(() => {
      if (!swapped) {
        swapped = true;
        store.data.set(id, JSON.stringify({ v: 1, id, attempts: 0, ...rec(clientId, 'rotation-2', Date.now() + 86_400_000) }));
      }
      return true;
    });
    assert.equal(results[0]?.state, 'waiting', JSON.stringify(results));
    assert.equal(world.sim.control.requests({ op: 'deleteRotatedOAuthClientSecret' }).length, 0, 'the next rotation\'s previous secret was not deleted');
    assert.equal((await retirements.get(id))?.rotation, 'rotation-2', 'its record stays');
  });

  it('"retire --now" deletes what it listed, not a record that replaced it meanwhile', async () => {
    const { retirements, store, clientId } = setup();
    await retirements.record(rec(clientId, 'rotation-1', Date.now() + 3_600_000, Date.now() - 60_000));
    const id = retirementKey('oauth-client-secret', { accountId: world.accountId, clientId });
    world.sim.control.clearRequests();
    let swapped = false;
    const results = await retirements.carryOut(
      () => {
        if (!swapped) {
          swapped = true;
          store.data.set(id, JSON.stringify({ v: 1, id, attempts: 0, ...rec(clientId, 'rotation-2', Date.now() + 86_400_000) }));
        }
        return true;
      },
      { now: true },
    );
    assert.equal(results[0]?.state, 'waiting', JSON.stringify(results));
    assert.equal(world.sim.control.requests({ op: 'deleteRotatedOAuthClientSecret' }).length, 0);
  });

  it('the same record, listed and due: carried out as before', async () => {
    const { retirements, clientId } = setup();
    await retirements.record(rec(clientId, 'rotation-1', Date.now() - 1_000));
    const [r] = await retirements.carryOut(() => true);
    assert.equal(r?.state, 'retired', JSON.stringify(r));
    assert.equal(world.sim.control.state().oauthClients.find((c) => c.clientId === clientId)?.previousSecret, undefined);
  });

  it('record: a resume of the same rotation keeps the first record (its due time); another rotation\'s record replaces it', async () => {
    const { retirements, clientId } = setup();
    const first = await retirements.record(rec(clientId, 'rotation-1', 1_000));
    assert.equal((await retirements.record(rec(clientId, 'rotation-1', 5_000))).dueAt, first.dueAt, 'a resume does not postpone it');
    const next = await retirements.record(rec(clientId, 'rotation-2', 86_400_000));
    assert.equal(next.rotation, 'rotation-2');
    assert.equal(next.dueAt, 86_400_000, 'the new rotation\'s overlap, not the old record\'s due time');
    assert.equal((await retirements.list()).length, 1);
  });

  it('scan(): a record the store cannot read, and one this version cannot parse; list() passes over both', async () => {
    const { retirements, store } = setup();
    store.data.set('x', JSON.stringify({ v: 9 }));
    assert.deepEqual(await retirements.list(), []);
    assert.deepEqual((await retirements.scan()).unreadable, [{ reason: 'not a retirement record this version can read' }]);
  });
});
