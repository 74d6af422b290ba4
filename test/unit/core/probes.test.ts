/**
 * The probes of Turnstile widgets and OAuth clients: what an unanswered call is judged to have
 * done (the mutation run over src/core/engine/kinds/ found these paths untested by the core's
 * suites). A Turnstile widget reports its current secret, so a lost answer is recovered; an OAuth
 * client reports whether it has a second secret, so a lost one is said to be lost (the files' secret
 * still works), and a call that did nothing is said to have done nothing.
 */
import { strict as assert } from 'node:assert';
import { parse } from 'dotenv';
import { makeEngine, read, tokens, withWorld, write } from '../helpers/world';

describe('probes of Turnstile widgets and OAuth clients (an unanswered call)', function () {
  this.timeout(30_000);
  const at = withWorld();

  function widget(): { sitekey: string; secret: string; token: ReturnType<typeof tokens>[number] } {
    const w = at.world.sim.control.seed({ turnstileWidgets: [{ accountId: at.world.accountId, name: 'login' }] }).turnstileWidgets[0]!;
    const [token] = tokens([{ kind: 'turnstile-secret', name: 'ts', accountId: at.world.accountId, sitekey: w.sitekey, targets: [{ file: '.env', key: 'TURNSTILE_SECRET' }] }]);
    return { sitekey: w.sitekey, secret: w.secret!, token: token! };
  }
  const widgetSecret = (sitekey: string): string => at.world.sim.control.state().turnstileWidgets.find((x) => x.sitekey === sitekey)!.secret;

  it('Turnstile, the answer lost after Cloudflare rotated: the widget reports its new secret, which is written (recovered)', async () => {
    const w = widget();
    await write(at.folder, '.env', `TURNSTILE_SECRET=${w.secret}\n`);
    at.world.sim.control.addFault({ op: 'rotateTurnstileSecret', type: 'drop-after-commit' });
    const r = await makeEngine(at.world, { timeoutMs: 500 }).engine.rotate(at.folder, w.token);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    assert.equal(r.state, 'recovered');
    assert.notEqual(widgetSecret(w.sitekey), w.secret, 'the simulator did rotate');
    assert.equal(parse(await read(at.folder, '.env')).TURNSTILE_SECRET, widgetSecret(w.sitekey));
  });

  it('Turnstile, a call that never took effect: the widget reports the same secret, nothing is written, "not rotated"', async () => {
    const w = widget();
    await write(at.folder, '.env', `TURNSTILE_SECRET=${w.secret}\n`);
    at.world.sim.control.addFault({ op: 'rotateTurnstileSecret', type: 'hang' });
    const r = await makeEngine(at.world, { timeoutMs: 300 }).engine.rotate(at.folder, w.token);
    assert.equal(r.ok, false);
    assert.equal(r.verdict, 'not-rotated', JSON.stringify(r));
    assert.match(r.error?.message ?? '', /Cloudflare did not rotate the Turnstile secret of "ts"/);
    assert.equal(widgetSecret(w.sitekey), w.secret);
    assert.equal(await read(at.folder, '.env'), `TURNSTILE_SECRET=${w.secret}\n`);
  });

  it('Turnstile: invalidateImmediately is what the rotation asks for; without it the previous secret keeps its 2 hours', async () => {
    for (const invalidate of [true, false]) {
      const w = widget();
      await write(at.folder, '.env', `TURNSTILE_SECRET=${w.secret}\n`);
      const [token] = tokens([{ kind: 'turnstile-secret', name: 'ts', accountId: at.world.accountId, sitekey: w.sitekey, ...(invalidate ? { invalidateImmediately: true } : {}), targets: [{ file: '.env', key: 'TURNSTILE_SECRET' }] }]);
      at.world.sim.control.clearRequests();
      const r = await makeEngine(at.world).engine.rotate(at.folder, token!);
      assert.equal(r.ok, true, JSON.stringify(r.error));
      const [call] = at.world.sim.control.requests({ op: 'rotateTurnstileSecret' });
      assert.equal((call?.body as { invalidate_immediately?: boolean } | undefined)?.invalidate_immediately === true, invalidate);
      assert.equal(at.world.sim.control.turnstileCheck(w.sitekey, w.secret).allowed, !invalidate, invalidate ? 'the previous secret stops at once' : 'the previous secret still works');
      if (invalidate) assert.equal(r.graceUntil, undefined);
      else assert.ok(r.graceUntil && Date.parse(r.graceUntil) > Date.now() + 100 * 60_000, `graceUntil ${r.graceUntil}`);
    }
  });

  function client(): { clientId: string; secret: string; token: ReturnType<typeof tokens>[number] } {
    const c = at.world.sim.control.addOAuthClient({ accountId: at.world.accountId, name: 'app' });
    const [token] = tokens([{ kind: 'oauth-client-secret', name: 'app', accountId: at.world.accountId, clientId: c.clientId, overlap: '1h', targets: [{ file: '.env', key: 'OAUTH_SECRET' }] }]);
    return { clientId: c.clientId, secret: c.secret, token: token! };
  }
  const clientState = (id: string) => at.world.sim.control.state().oauthClients.find((c) => c.clientId === id)!;

  it('OAuth client, the answer lost after Cloudflare made a second secret: lost, and the files\' secret is said to still work', async () => {
    const c = client();
    await write(at.folder, '.env', `OAUTH_SECRET=${c.secret}\n`);
    at.world.sim.control.addFault({ op: 'rotateOAuthClientSecret', type: 'drop-after-commit' });
    const r = await makeEngine(at.world, { timeoutMs: 300 }).engine.rotate(at.folder, c.token);
    assert.equal(r.ok, false);
    assert.equal(r.state, 'lost', JSON.stringify(r));
    assert.match(r.error?.message ?? '', /Cloudflare created a second secret for OAuth client "app" but it never arrived\. The secret in your files still works/);
    assert.ok(clientState(c.clientId).previousSecret, 'the client has two secrets');
    assert.equal(await read(at.folder, '.env'), `OAUTH_SECRET=${c.secret}\n`);
  });

  it('OAuth client, a call that never took effect: "not rotated", and a client that already has a second secret is refused before any call', async () => {
    const c = client();
    await write(at.folder, '.env', `OAUTH_SECRET=${c.secret}\n`);
    at.world.sim.control.addFault({ op: 'rotateOAuthClientSecret', type: 'hang' });
    const r = await makeEngine(at.world, { timeoutMs: 300 }).engine.rotate(at.folder, c.token);
    assert.equal(r.verdict, 'not-rotated', JSON.stringify(r));
    assert.match(r.error?.message ?? '', /Cloudflare did not create a second secret for OAuth client "app"/);
    assert.equal(clientState(c.clientId).previousSecret, undefined);

    const two = at.world.sim.control.addOAuthClient({ accountId: at.world.accountId, name: 'two', previousSecret: 'an-older-secret-of-two-0123456789' });
    const [token] = tokens([{ kind: 'oauth-client-secret', name: 'two', accountId: at.world.accountId, clientId: two.clientId, targets: [{ file: '.env', key: 'TWO' }] }]);
    at.world.sim.control.clearRequests();
    const refused = await makeEngine(at.world).engine.rotate(at.folder, token!);
    assert.equal(refused.ok, false);
    assert.match(refused.error?.message ?? '', /OAuth client "two" \(.*\) still has a previous secret/);
    assert.equal(at.world.sim.control.requests({ op: 'rotateOAuthClientSecret' }).length, 0, 'nothing sent');
  });
});
