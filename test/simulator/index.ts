/**
 * Cloudflare API simulator for cf-rotate tests, the demo and benchmarks.
 *
 *   const sim = await start({ scenario: 'demo' });
 *   fetch(`${sim.url}/user/tokens/verify`, { headers: { authorization: `Bearer ${DEMO_ADMIN_TOKEN}` } });
 *   sim.control.addFault({ op: 'rollAccountToken', type: 'drop-after-commit' });
 *   await sim.close();
 *
 * See README.md in this folder for routes, the auth table, semantics, error codes, faults and
 * the scenario format.
 */
export { start, DEFAULT_BEHAVIOUR, DEFAULT_LATE_COMMIT_MS, DEFAULT_RATE_LIMIT, validateFault } from './server';
export type { SimulatorOptions, SimulatorHandle } from './server';
export { API_BASE, CODES, routeTable } from './api';
export { SECURITY, securityOf } from './security';
export type { AuthScheme, SecurityRule } from './security';
export * from './types';
export {
  ACCOUNT_ADMIN_PERMISSIONS,
  DEMO,
  DEMO_ADMIN_TOKEN,
  EMPTY_USER,
  ScenarioBuilder,
  demoScenario,
  emptyScenario,
  resolveScenario,
} from './scenarios';
export { decodeMoqJwt } from './util';
export { GITHUB_BASE } from './github';
