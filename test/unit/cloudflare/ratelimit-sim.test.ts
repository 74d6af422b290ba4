/** The client-side limiter against the simulator's real (per-credential, fixed-window) rate limit. */
import * as assert from 'node:assert/strict';
import { CloudflareClient } from '../../../src/core/cloudflare/client';
import { RateLimiter } from '../../../src/core/cloudflare/limiter';
import { systemClock } from '../../../src/core/ports';
import { start } from '../../simulator';
import { DEMO, type Sim } from './sim';

describe('cloudflare/RateLimiter against the simulator (20 requests / 2 s)', function () {
  this.timeout(20_000);
  let sim: Sim;
  before(async () => {
    sim = await start({ port: 0, latencyMs: 0, rateLimit: { limit: 20, windowMs: 2000 } });
  });
  after(async () => {
    await sim.close();
  });

  it('60 concurrent reads across two clients sharing one limiter: 0 × 429, budget used', async () => {
    const limiter = new RateLimiter({ limit: 20, windowMs: 2000, maxConcurrent: 8, clock: systemClock });
    const mk = (): CloudflareClient =>
      new CloudflareClient({ baseUrl: sim.url, credential: { type: 'api-token', token: DEMO.admin.value }, limiter, clock: systemClock, maxRetries: 0 });
    const [a, b] = [mk(), mk()];
    const startedAt = Date.now();
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).getUserToken(DEMO.userToken.id)));
    const elapsed = Date.now() - startedAt;
    assert.equal(results.length, 60);
    const stats = sim.control.stats();
    assert.equal(stats.rateLimited, 0, 'no 429');
    assert.equal(stats.requests, 60);
    assert.ok(stats.maxInFlight <= 8, `max in flight ${stats.maxInFlight}`);
    // 60 requests at 20 per 2 s need two full windows after the first burst: ≥ 4 s, and a
    // precise limiter does not take much longer.
    assert.ok(elapsed >= 4000, `elapsed ${elapsed} ms`);
    assert.ok(elapsed < 5500, `elapsed ${elapsed} ms: the limiter wastes budget`);
  });
});
