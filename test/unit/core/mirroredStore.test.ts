import { strict as assert } from 'node:assert';
import { MirroredSecretStore } from '../../../src/core/mirroredStore';
import { MemorySecretStore } from '../../../src/core/node/secretFile';
import type { SecretStore } from '../../../src/core/ports';

describe('MirroredSecretStore (journal durability)', () => {
  it('writes to both stores and survives the loss of the primary', async () => {
    const primary = new MemorySecretStore();
    const mirror = new MemorySecretStore();
    const s = new MirroredSecretStore(primary, mirror);
    await s.store('cfRotate.journal.a', '{"x":1}');
    assert.equal(mirror.data.get('cfRotate.journal.a'), '{"x":1}');
    primary.data.clear(); // e.g. an in-memory SecretStorage after a restart
    assert.equal(await s.get('cfRotate.journal.a'), '{"x":1}');
    assert.deepEqual(await s.keys('cfRotate.journal.'), ['cfRotate.journal.a']);
    await s.delete('cfRotate.journal.a');
    assert.equal(await s.get('cfRotate.journal.a'), undefined);
    assert.deepEqual(await s.keys('cfRotate.journal.'), []);
  });

  it('a failing mirror is reported but does not fail the primary write', async () => {
    const errors: unknown[] = [];
    const broken: SecretStore = {
      get: async () => {
        throw new Error('EIO');
      },
      store: async () => {
        throw new Error('ENOSPC');
      },
      delete: async () => undefined,
      keys: async () => {
        throw new Error('EIO');
      },
    };
    const primary = new MemorySecretStore();
    const s = new MirroredSecretStore(primary, broken, (e) => errors.push(e));
    await s.store('k', 'v');
    assert.equal(await s.get('k'), 'v');
    assert.deepEqual(await s.keys(''), ['k']);
    assert.equal(errors.length, 2);
  });
});
