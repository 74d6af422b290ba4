/**
 * A new secret the journal could not hold (a full or read-only state directory) goes straight to
 * the targets. The entry left behind (its removal failed too, or the process was killed before it)
 * says "sent, no secret". A later resume must find the new secret in the files and finish with
 * it: never delete the token the files hold (MoQ, a replace twin), never call it lost (roll).
 */
import { strict as assert } from 'node:assert';
import { parse } from 'dotenv';
import { fileError } from '../../../src/core/node/files';
import { MemoryJournalStore } from '../../../src/core/engine/journal';
import { makeEngine, read, tokens, withWorld, write } from '../helpers/world';

/** A state directory that takes the intent but neither the secret nor the removal (read-only from the call on). */
function readOnlyAfterIntent(): MemoryJournalStore & { broken: boolean } {
  const store = Object.assign(new MemoryJournalStore(), { broken: true });
  const put = store.put.bind(store);
  const del = store.delete.bind(store);
  const refuse = (op: 'write' | 'delete'): never => {
    throw fileError(op, 'journal', Object.assign(new Error('read-only file system'), { code: 'EROFS' }));
  };
  store.put = async (id: string, text: string) => (store.broken && text.includes('"values"') ? refuse('write') : put(id, text));
  store.delete = async (id: string) => (store.broken ? refuse('delete') : del(id));
  return store;
}

describe('an unjournaled secret in the files: resume finishes with it', function () {
  this.timeout(30_000);
  const at = withWorld();

  /** Rotate with the journal refusing the secret and the removal; then resume with it writable again. */
  async function rotateThenResume(token: Parameters<ReturnType<typeof makeEngine>['engine']['rotate']>[1]) {
    const journal = readOnlyAfterIntent();
    const first = makeEngine(at.world, { journal });
    const r = await first.engine.rotate(at.folder, token);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    assert.ok(r.warnings.some((w) => /journal entry could not be removed .*EROFS.*Nothing is lost/.test(w)), JSON.stringify(r.warnings));
    const written = parse(await read(at.folder, '.env'));
    const [left] = await first.engine.interrupted();
    assert.ok(left, 'the entry is left behind');
    assert.equal(left.values, undefined, 'without the secret');
    journal.broken = false;
    const second = makeEngine(at.world, { journal });
    const resumed = await second.engine.resume(left.id);
    return { r, written, resumed, second };
  }

  it('MoQ: the token the files hold is kept (it was deleted as "never arrived"), the previous one stays deleted', async () => {
    const relay = at.world.sim.control.addMoqRelay({ accountId: at.world.accountId, name: 'relay', tokens: [{ operations: ['publish', 'subscribe'] }] });
    const old = relay.tokens[0]!;
    await write(at.folder, '.env', `MOQ_TOKEN=${old.secret}\n`);
    const [token] = tokens([{ name: 'live', kind: 'moq-relay-token', accountId: at.world.accountId, relayId: relay.uid, tokenType: 'publish_subscribe', targets: [{ file: '.env', key: 'MOQ_TOKEN' }] }]);
    const { written, resumed, second } = await rotateThenResume(token!);
    assert.equal(resumed.ok, true, JSON.stringify(resumed.error));
    assert.equal(resumed.state, 'recovered');
    assert.equal(at.world.sim.control.moqCheck(written.MOQ_TOKEN!).allowed, true, 'the new token in .env still works');
    assert.equal(at.world.sim.control.moqCheck(old.secret).allowed, false, 'the previous one is deleted');
    assert.equal(parse(await read(at.folder, '.env')).MOQ_TOKEN, written.MOQ_TOKEN);
    assert.deepEqual(await second.engine.interrupted(), []);
    assert.equal(second.history.entries.at(-1)?.outcome, 'recovered');
  });

  it('replace: the twin the files hold is kept, not deleted as unused', async () => {
    const tok = at.world.sim.control.addAccountToken(at.world.accountId, { name: 'deploy', permissions: ['Zone Read'] });
    await write(at.folder, '.env', `T=${tok.value}\n`);
    const entries = [{ name: 'deploy', kind: 'account-api-token', accountId: at.world.accountId, tokenId: tok.id, strategy: 'replace', overlap: '1h', targets: [{ file: '.env', key: 'T' }] }];
    await write(at.folder, '.vscode/cf-rotate.json', JSON.stringify({ tokens: entries }, null, 2));
    const [token] = tokens(entries);
    const { written, resumed } = await rotateThenResume(token!);
    assert.equal(resumed.state, 'recovered', JSON.stringify(resumed.error));
    const twin = at.world.sim.control.state().accountTokens.find((t) => t.value === written.T);
    assert.ok(twin, 'the twin whose value .env holds still exists');
    assert.notEqual(twin.id, tok.id);
    assert.equal(twin.status, 'active');
  });

  it('roll: the rolled value in the files is recognised (not "unknown", not "lost")', async () => {
    const tok = at.world.sim.control.addAccountToken(at.world.accountId, { name: 'deploy' });
    await write(at.folder, '.env', `T=${tok.value}\n`);
    const [token] = tokens([{ name: 'deploy', kind: 'account-api-token', accountId: at.world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'T' }] }]);
    const { written, resumed, second } = await rotateThenResume(token!);
    assert.equal(resumed.ok, true, JSON.stringify(resumed.error));
    assert.equal(resumed.state, 'recovered');
    assert.equal(at.world.sim.control.state().accountTokens.find((t) => t.id === tok.id)?.value, written.T);
    assert.deepEqual(await second.engine.interrupted(), []);
  });

  it('a value the user put there that Cloudflare does not know is not taken for the new secret', async () => {
    const tok = at.world.sim.control.addAccountToken(at.world.accountId, { name: 'deploy' });
    await write(at.folder, '.env', `T=${tok.value}\n`);
    const [token] = tokens([{ name: 'deploy', kind: 'account-api-token', accountId: at.world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'T' }] }]);
    const journal = readOnlyAfterIntent();
    const first = makeEngine(at.world, { journal });
    await first.engine.rotate(at.folder, token!);
    await write(at.folder, '.env', `T=${'x'.repeat(40)}\n`);
    const [left] = await first.engine.interrupted();
    journal.broken = false;
    const resumed = await makeEngine(at.world, { journal }).engine.resume(left!.id);
    assert.notEqual(resumed.state, 'recovered');
    assert.equal(parse(await read(at.folder, '.env')).T, 'x'.repeat(40), 'the file is left as it is');
  });

  it('an Access service token (its secret cannot be checked): "may be the new secret", never "lost"', async () => {
    const st = at.world.sim.control.addServiceToken({ accountId: at.world.accountId, name: 'ci' });
    await write(at.folder, '.env', `ID=${st.clientId}\nSECRET=${st.clientSecret}\n`);
    const [token] = tokens([{ name: 'ci', kind: 'access-service-token', accountId: at.world.accountId, serviceTokenId: st.id, gracePeriod: '0s', targets: [{ file: '.env', key: 'ID', field: 'clientId' }, { file: '.env', key: 'SECRET', field: 'clientSecret' }] }]);
    const { written, resumed } = await rotateThenResume(token!);
    assert.equal(at.world.sim.control.accessCheck(st.clientId, written.SECRET!).allowed, true);
    assert.equal(resumed.state, 'unknown', JSON.stringify(resumed));
    assert.notEqual(resumed.verdict, 'lost');
    assert.match(resumed.error?.message ?? '', /\.env › SECRET holds a value that is not the one from before the rotation/);
    assert.equal(parse(await read(at.folder, '.env')).SECRET, written.SECRET);
  });

  describe('targets that cannot be read back (a Worker secret): nowhere to find the secret again', () => {
    const workerValue = (worker: string): string | undefined =>
      at.world.sim.control.state().workers.find((w) => w.name === worker)?.secrets.find((x) => x.name === 'T')?.value;

    for (const kind of ['replace', 'moq'] as const) {
      it(`${kind}: the previous credential still works, so the new one goes nowhere and is deleted; a resume finds nothing to undo`, async () => {
        const worker = `w-${kind}`;
        let entry: Record<string, unknown>;
        let previous: string;
        let stillWorks: () => boolean;
        let created: () => number;
        if (kind === 'replace') {
          const tok = at.world.sim.control.addAccountToken(at.world.accountId, { name: 'deploy', permissions: ['Zone Read'] });
          previous = tok.value;
          entry = { name: 'deploy', kind: 'account-api-token', accountId: at.world.accountId, tokenId: tok.id, strategy: 'replace', overlap: '1h', targets: [{ worker, key: 'T' }] };
          stillWorks = () => at.world.sim.control.state().accountTokens.find((t) => t.id === tok.id)?.status === 'active';
          created = () => at.world.sim.control.state().accountTokens.filter((t) => t.name.startsWith('deploy (cf-rotate')).length;
        } else {
          const relay = at.world.sim.control.addMoqRelay({ accountId: at.world.accountId, name: 'relay', tokens: [{ operations: ['publish', 'subscribe'] }] });
          previous = relay.tokens[0]!.secret;
          entry = { name: 'live', kind: 'moq-relay-token', accountId: at.world.accountId, relayId: relay.uid, tokenType: 'publish_subscribe', targets: [{ worker, key: 'T' }] };
          stillWorks = () => at.world.sim.control.moqCheck(previous).allowed;
          created = () => at.world.sim.control.state().moqRelays.find((r) => r.uid === relay.uid)!.tokens.length - 1;
        }
        at.world.sim.control.seed({ workers: [{ accountId: at.world.accountId, name: worker, secrets: [{ name: 'T', value: previous }] }] });
        await write(at.folder, '.vscode/cf-rotate.json', JSON.stringify({ tokens: [entry] }, null, 2));
        const [token] = tokens([entry]);
        const before = created();
        const journal = readOnlyAfterIntent();
        const r = await makeEngine(at.world, { journal }).engine.rotate(at.folder, token!);
        assert.equal(r.ok, false);
        assert.equal(r.state, 'failed', JSON.stringify(r));
        assert.match(r.error?.message ?? '', /could not be journaled, and its targets cannot be read back: it was not sent to them, and the new credential was deleted\. Nothing changed/);
        assert.equal(workerValue(worker), previous, 'the Worker keeps the working value');
        assert.ok(stillWorks(), 'the previous credential still works');
        assert.equal(created(), before, 'the new credential is gone');
        journal.broken = false;
        const h = makeEngine(at.world, { journal });
        for (const left of await h.engine.interrupted()) await h.engine.resume(left.id);
        assert.equal(workerValue(worker), previous);
        assert.ok(stillWorks());
      });
    }

    it('roll (the previous value is dead at once): the Worker gets the new value; the entry left behind is to be discarded, never "finds it in the files"', async () => {
      const tok = at.world.sim.control.addAccountToken(at.world.accountId, { name: 'deploy' });
      at.world.sim.control.seed({ workers: [{ accountId: at.world.accountId, name: 'w-roll', secrets: [{ name: 'T', value: tok.value }] }] });
      const [token] = tokens([{ name: 'deploy', kind: 'account-api-token', accountId: at.world.accountId, tokenId: tok.id, targets: [{ worker: 'w-roll', key: 'T' }] }]);
      const r = await makeEngine(at.world, { journal: readOnlyAfterIntent() }).engine.rotate(at.folder, token!);
      assert.equal(r.ok, true, JSON.stringify(r.error));
      const live = at.world.sim.control.state().accountTokens.find((t) => t.id === tok.id)!.value;
      assert.equal(workerValue('w-roll'), live);
      assert.ok(r.warnings.some((w) => /Every target holds the new secret; once the state directory is writable again, discard that entry instead of resuming it/.test(w)), JSON.stringify(r.warnings));
      assert.ok(!r.warnings.some((w) => /in the files/.test(w)));
    });
  });
});
