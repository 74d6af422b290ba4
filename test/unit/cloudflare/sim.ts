/** Shared setup for tests that run the Cloudflare client against the simulator. */
import { CloudflareClient, type CloudflareClientOptions } from '../../../src/core/cloudflare/client';
import { RateLimiter } from '../../../src/core/cloudflare/limiter';
import { MemoryLogger } from '../../../src/core/log';
import { start } from '../../simulator';
import { DEMO } from '../../simulator/scenarios';
import { InstantClock } from './helpers';

export type Sim = Awaited<ReturnType<typeof start>>;

export { DEMO };

export interface TestClient {
  client: CloudflareClient;
  clock: InstantClock;
  logger: MemoryLogger;
  limiter: RateLimiter;
}

/**
 * The demo's admin profile as cf-rotate recommends it for one of each kind: the user API token
 * "cf-rotate admin" and, beside it, the user's email + Global API key (zone-level Access service
 * tokens accept only that scheme, notes A5). Each operation uses the scheme Cloudflare accepts.
 */
export const DEMO_ADMIN_BOTH = {
  type: 'api-token',
  token: DEMO.admin.value,
  globalKey: { email: DEMO.user.email, key: DEMO.user.globalApiKey },
} as const;

/** The demo admin API token alone (no Global API key): zone-level Access service tokens refuse it. */
export const DEMO_ADMIN_TOKEN_ONLY = { type: 'api-token', token: DEMO.admin.value } as const;

/**
 * A client on the simulator with the demo admin profile (API token + Global API key), an
 * instant clock (backoff and retry-after cost nothing but are recorded), a private limiter and a
 * memory logger.
 */
export function makeClient(sim: Sim, extra: Partial<CloudflareClientOptions> = {}): TestClient {
  const clock = new InstantClock();
  const logger = new MemoryLogger();
  const limiter = new RateLimiter({ limit: 100_000, windowMs: 1000, maxConcurrent: 16, clock });
  const client = new CloudflareClient({
    baseUrl: sim.url,
    credential: { ...DEMO_ADMIN_BOTH, globalKey: { ...DEMO_ADMIN_BOTH.globalKey } },
    clock,
    logger,
    limiter,
    profile: 'test',
    backoff: { random: () => 0 },
    timeoutMs: 5000,
    ...extra,
  });
  return { client, clock, logger, limiter };
}

/** Every secret the simulator knows right now (current and previous values). */
export function liveSecrets(sim: Sim): string[] {
  const s = sim.control.state();
  const out: string[] = [s.user.globalApiKey];
  for (const t of [...s.userTokens, ...s.accountTokens]) {
    out.push(t.value);
    if (t.previousValue) out.push(t.previousValue);
  }
  for (const t of s.serviceTokens) {
    out.push(t.clientSecret);
    if (t.previousClientSecret) out.push(t.previousClientSecret);
  }
  for (const r of s.moqRelays) for (const t of r.tokens) out.push(t.secret);
  return out;
}
