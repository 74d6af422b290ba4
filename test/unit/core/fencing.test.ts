/**
 * Fencing after a take-over: a process whose rotation lock another process broke (it looked dead:
 * another host, a paused container) stops before its next write, never writes over what the
 * taker writes and never removes the journal entry, which is the taker's now. A secret that is in
 * its memory only still goes to the targets.
 */
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'dotenv';
import { journalKey } from '../../../src/core/engine/journal';
import { MemoryLocks } from '../../../src/core/locks';
import { FileLocks } from '../../../src/core/node/lock';
import { makeEngine, read, startWorld, tempFolder, tokens, write, type World } from '../helpers/world';

describe('fencing: a rotation taken over by another process', function () {
  this.timeout(30_000);
  let world: World;
  let folder: string;
  before(async () => {
    world = await startWorld();
  });
  after(() => world.close());
  beforeEach(async () => {
    folder = await tempFolder();
  });
  afterEach(() => fs.rm(folder, { recursive: true, force: true }));

  const setup = async () => {
    const tok = world.sim.control.addAccountToken(world.accountId, { name: 'deploy' });
    await write(folder, '.env', `A=${tok.value}\n`);
    await write(folder, '.dev.vars', `A=${tok.value}\n`);
    const [token] = tokens([{ name: 'deploy', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'A' }, { file: '.dev.vars', key: 'A' }] }]);
    const live = (): string => world.sim.control.state().accountTokens.find((t) => t.id === tok.id)!.value;
    return { tok, token: token!, live };
  };

  it('taken over between two target files: stops before the second, says so, keeps the journal entry for the taker, records nothing; the taker finishes', async () => {
    const { tok, token, live } = await setup();
    const locks = new MemoryLocks();
    let taker: { release(): Promise<void> } | undefined;
    const h = makeEngine(world, {
      locks,
      checkpoint: async (p) => {
        if (p !== 'target-written' || taker) return;
        // Another process breaks the lock (this one looked dead to it) and takes it.
        const [id] = [...h.journal.data.keys()];
        const name = `rot-${journalKey(id!)}`;
        await locks.takeOver(name);
        const r = await locks.tryAcquire(name, 'resuming "deploy"');
        assert.ok('release' in r);
        taker = r;
      },
    });
    const r = await h.engine.rotate(folder, token);
    assert.equal(r.ok, false);
    assert.equal(r.state, 'busy');
    assert.equal(r.error?.kind, 'busy');
    assert.match(r.error?.message ?? '', /^Another process took over the rotation of "deploy" \(it broke this process's lock, as of a process that had died\); this process stopped and wrote nothing more\.$/);
    assert.equal(parse(await read(folder, '.env')).A, live(), 'the first file was written before the take-over');
    assert.equal(parse(await read(folder, '.dev.vars')).A, tok.value, 'the second was not written by the process taken over');
    assert.equal(h.journal.data.size, 1, 'the journal entry (with the secret) stays for the taker');
    assert.deepEqual(h.history.entries.map((e) => e.outcome), [], 'nothing recorded by the process taken over');
    // The taker finishes it from the journal.
    await taker!.release();
    const [entry] = await h.engine.interrupted();
    const done = await h.engine.resume(entry!.id);
    assert.equal(done.ok, true, JSON.stringify(done));
    assert.equal(parse(await read(folder, '.dev.vars')).A, live());
    assert.equal(h.journal.data.size, 0);
  });

  it('taken over while the new secret is in its memory only: the secret still reaches every target (never lost), the entry is left to the taker', async () => {
    const { token, live } = await setup();
    const locks = new MemoryLocks();
    let took = false;
    const h = makeEngine(world, {
      locks,
      checkpoint: async (p) => {
        if (p !== 'response-received' || took) return;
        took = true;
        const [id] = [...h.journal.data.keys()];
        const name = `rot-${journalKey(id!)}`;
        await locks.takeOver(name);
        assert.ok('release' in (await locks.tryAcquire(name, 'resuming "deploy"')));
      },
    });
    const r = await h.engine.rotate(folder, token);
    assert.equal(r.state, 'busy', JSON.stringify(r));
    // Refused at the journal's removal, by the token's name.
    assert.match(r.error?.message ?? '', /^Another process took over the rotation of "deploy" /);
    assert.equal(parse(await read(folder, '.env')).A, live());
    assert.equal(parse(await read(folder, '.dev.vars')).A, live());
    assert.equal(h.journal.data.size, 1, 'not removed: it is the taker\'s');
    assert.ok(h.logger.lines.some((l) => /Could not journal the new secret of "deploy".*took over the rotation.*writing the targets directly/.test(l)), h.logger.lines.join('\n'));
  });

  it('the leases: FileLocks and MemoryLocks answer stillHeld until the lock is broken, taken by another, removed or released', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-fence-'));
    try {
      const a = new FileLocks(dir, { app: 'A' });
      const lease = await a.acquire('rot-x', 'rotating');
      assert.equal(lease.stillHeld?.(), true);
      const file = path.join(dir, 'rot-x.lock');
      const mine = await fs.readFile(file, 'utf8');
      // Another host's process broke it and holds it now.
      await fs.writeFile(file, JSON.stringify({ ...JSON.parse(mine), host: 'elsewhere', nonce: 'ff'.repeat(12) }));
      assert.equal(lease.stillHeld?.(), false);
      await fs.writeFile(file, '{"torn');
      assert.equal(lease.stillHeld?.(), false, 'torn: not this lease\'s');
      await fs.rm(file);
      assert.equal(lease.stillHeld?.(), false, 'gone');
      await fs.writeFile(file, mine);
      assert.equal(lease.stillHeld?.(), true);
      await lease.release();
      assert.equal(lease.stillHeld?.(), false, 'released');

      const m = new MemoryLocks();
      const ml = await m.acquire('rot-y', 'rotating');
      assert.equal(ml.stillHeld?.(), true);
      assert.ok(await m.takeOver('rot-y'));
      assert.equal(ml.stillHeld?.(), false);
      await m.acquire('rot-y', 'another');
      assert.equal(ml.stillHeld?.(), false);
      const m2 = await new MemoryLocks().acquire('z', 'w');
      await m2.release();
      assert.equal(m2.stillHeld?.(), false);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
