/**
 * Fields the OpenAPI documents and the SDK leave optional must not be required by the client:
 * an API token's `status` on get and list (iam_token_base; the SDK's Token has every field
 * optional) and a service token's `client_id` on get (access_service-tokens has no `required`).
 * The simulator leaves them out (an `off-contract` fault on the read), and the client reads the
 * rest. A rotation's answer still carries the client id with the new secret (the two go together).
 */
import * as assert from 'node:assert/strict';
import { start } from '../../simulator';
import { DEMO, makeClient, type Sim } from './sim';

describe('cloudflare client: fields the spec leaves optional, left out by the simulator', function () {
  this.timeout(20_000);
  let sim: Sim;
  before(async () => {
    sim = await start({ port: 0, latencyMs: 0, rateLimit: { limit: 100_000, windowMs: 1000 } });
  });
  after(() => sim.close());
  beforeEach(() => sim.control.reset());

  it("an API token without `status` (get and list, user and account): read, status not reported", async () => {
    const { client } = makeClient(sim);
    sim.control.addFault({ op: 'getAccountToken', type: 'off-contract', remove: ['result.status'] });
    const got = await client.getAccountToken(DEMO.accountId, DEMO.accountToken.id);
    assert.deepEqual([got.id, got.name, got.status], [DEMO.accountToken.id, 'deploy', undefined]);
    assert.equal(sim.control.requests({ op: 'getAccountToken' })[0]?.fault, 'off-contract', 'the fault fired: the field was absent');

    sim.control.addFault({ op: 'getUserToken', type: 'off-contract', remove: ['result.status'] });
    assert.equal((await client.getUserToken(DEMO.userToken.id)).status, undefined);

    sim.control.addFault({ op: 'listUserTokens', type: 'off-contract', remove: ['result.0.status'] });
    const listed = await client.listUserTokens();
    assert.equal(listed[0]?.status, undefined);
    assert.ok(listed.slice(1).every((t) => t.status === 'active'));
  });

  it('a required field of a read left out is still a contract error (the token id)', async () => {
    const { client } = makeClient(sim, { maxRetries: 0 });
    sim.control.addFault({ op: 'getAccountToken', type: 'off-contract', remove: ['result.id'] });
    await assert.rejects(client.getAccountToken(DEMO.accountId, DEMO.accountToken.id), (e: Error & { kind?: string }) => e.kind === 'contract');
  });

  it('a service token without `client_id` on get: read, client id not reported; its rotation still answers the client id with the secret', async () => {
    const { client } = makeClient(sim);
    sim.control.addFault({ op: 'getServiceToken', type: 'off-contract', remove: ['result.client_id'] });
    const got = await client.getServiceToken({ accountId: DEMO.accountId }, DEMO.serviceToken.id);
    assert.deepEqual([got.id, got.clientId], [DEMO.serviceToken.id, undefined]);
    const rotated = await client.rotateServiceToken(DEMO.accountId, DEMO.serviceToken.id, undefined);
    assert.equal(rotated.clientId, DEMO.serviceToken.clientId);
  });
});
