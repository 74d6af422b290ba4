/**
 * A test world: a running simulator, an admin credential with every permission, a temporary
 * workspace folder with .vscode/cf-rotate.json and .env files, and a RotationEngine wired to them.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CloudflareClient } from '../../../src/core/cloudflare/client';
import type { AdminCredential } from '../../../src/core/cloudflare/types';
import { validateConfig } from '../../../src/core/config/load';
import type { TokenConfig } from '../../../src/core/config/schema';
import { RotationEngine, type EngineDeps } from '../../../src/core/engine/engine';
import { MemoryHistory } from '../../../src/core/history';
import { MemoryLogger, redactingLogger } from '../../../src/core/log';
import { NodeFiles } from '../../../src/core/node/files';
import { MemoryJournalStore } from '../../../src/core/engine/journal';
import { MemoryLocks } from '../../../src/core/locks';
import { systemClock, type Files } from '../../../src/core/ports';
import { start, type SimulatorHandle } from '../../simulator';
import { ALL_PERMISSIONS } from '../../simulator/types';

export interface World {
  sim: SimulatorHandle;
  /**
   * The admin profile: a user API token with every permission and, beside it, the user's email +
   * Global API key (zone-level Access service tokens accept only that scheme, notes A5).
   */
  admin: AdminCredential & { type: 'api-token' };
  /** The same credential as the CLI reads it: CLOUDFLARE_API_TOKEN, CLOUDFLARE_EMAIL, CLOUDFLARE_API_KEY. */
  adminEnv: Record<string, string>;
  accountId: string;
  zoneId: string;
  close(): Promise<void>;
}

export async function startWorld(opts: { latencyMs?: number; rateLimit?: { limit: number; windowMs: number } } = {}): Promise<World> {
  const sim = await start({ port: 0, scenario: 'demo', quiet: true, ...opts });
  const st = sim.control.state();
  const accountId = st.accounts[0]!.id;
  const zoneId = st.zones[0]!.id;
  const adminToken = sim.control.addUserToken({ name: 'test admin', permissions: [...ALL_PERMISSIONS] });
  const globalKey = { email: st.user.email, key: st.user.globalApiKey };
  return {
    sim,
    admin: { type: 'api-token', token: adminToken.value, globalKey },
    adminEnv: { CLOUDFLARE_API_TOKEN: adminToken.value, CLOUDFLARE_EMAIL: globalKey.email, CLOUDFLARE_API_KEY: globalKey.key },
    accountId,
    zoneId,
    close: () => sim.close(),
  };
}

export async function tempFolder(prefix = 'cf-rotate-test-'): Promise<string> {
  const dir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), prefix)));
  await fs.mkdir(path.join(dir, '.vscode'));
  return dir;
}

export interface EngineHarness {
  engine: RotationEngine;
  logger: MemoryLogger;
  journal: MemoryJournalStore;
  history: MemoryHistory;
  deps: EngineDeps;
}

export function makeEngine(world: World, overrides: Partial<EngineDeps> & { timeoutMs?: number; files?: Files } = {}): EngineHarness {
  const logger = new MemoryLogger();
  const journal = new MemoryJournalStore();
  const history = new MemoryHistory();
  const log = redactingLogger(logger);
  const deps: EngineDeps = {
    files: new NodeFiles(),
    journal,
    locks: new MemoryLocks(),
    credentials: { get: async () => world.admin },
    history,
    clock: systemClock,
    logger: log,
    // Retries as in use (same count and order), with short waits: a suite of 5xx faults does not sleep for seconds each.
    api: (credential) => new CloudflareClient({ baseUrl: world.sim.url, credential, logger: log, timeoutMs: overrides.timeoutMs ?? 2_000, backoff: { baseMs: 20, maxMs: 200 } }),
    // The simulator applies a request at once (no late-commit fault here): a short margin keeps the suites fast.
    deadlineMarginMs: 200,
    ...overrides,
  };
  return { engine: new RotationEngine(deps), logger, journal, history, deps };
}

export function tokens(list: unknown[]): TokenConfig[] {
  return validateConfig({ tokens: list }).tokens;
}

export async function write(folder: string, rel: string, text: string): Promise<string> {
  const p = path.join(folder, rel);
  await fs.mkdir(path.dirname(p), { recursive: true });
  await fs.writeFile(p, text);
  return p;
}

export async function read(folder: string, rel: string): Promise<string> {
  return fs.readFile(path.join(folder, rel), 'utf8');
}

/**
 * The hooks of a suite that rotates against the simulator: one world for the suite, a fresh
 * folder (and no faults left over) for each test. Read `world` and `folder` inside the tests.
 */
export function withWorld(): { readonly world: World; readonly folder: string } {
  const at = {} as { world: World; folder: string };
  before(async () => {
    at.world = await startWorld();
  });
  after(async () => {
    await at.world.close();
  });
  beforeEach(async () => {
    at.folder = await tempFolder();
    at.world.sim.control.clearFaults();
  });
  afterEach(async () => {
    await fs.rm(at.folder, { recursive: true, force: true });
  });
  return at;
}
