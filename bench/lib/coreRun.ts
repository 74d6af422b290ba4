/**
 * The core side of the batch bench: RotationEngine.rotateMany as the CLI wires it (src/cli/engine.ts),
 * with the same phase timers as the editor's CF_ROTATE_PERF=1. Used in the bench process (warm) and,
 * through coreChild.ts, in a fresh Node process (cold JIT, as the CLI in a fresh process).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse as parseDotenv } from 'dotenv';
import { BATCH_CONCURRENCY } from '../../src/constants';
import { CloudflareClient } from '../../src/core/cloudflare/client';
import { resetSharedRateLimiters } from '../../src/core/cloudflare/limiter';
import type { AdminCredential } from '../../src/core/cloudflare/types';
import { validateConfig } from '../../src/core/config/load';
import { RotationEngine, type RotationResult } from '../../src/core/engine/engine';
import { MemoryLogger, redactingLogger } from '../../src/core/log';
import { NodeFiles } from '../../src/core/node/files';
import { NodeGit } from '../../src/core/node/git';
import { FileHistory } from '../../src/core/node/historyFile';
import { NodeJournalStore } from '../../src/core/node/journalStore';
import { FileLocks } from '../../src/core/node/lock';
import { systemClock } from '../../src/core/ports';
import { knownSecrets } from '../../src/core/redact';
import type { Phases } from '../vscode/protocol';
import type { SimulatorProcess } from './simulator';
import { configText, envKey, writeWorkspace, type TokenSpec } from './workspace';

/** Rotations per batch (the due tokens of the editor's workspace). */
export const DUE = 100;
/** The phase that times each engine.rotate() as a whole (both sides). */
export const ROTATION = 'rotation (engine.rotate, whole)';

/** A local stand-in for src/core/perf.ts's `timed` (which is fixed at module load by CF_ROTATE_PERF). */
function timedInto<T extends object>(table: Phases, name: string, target: T): T {
  const rec = (t0: number): void => {
    const s = (table[name] ??= { n: 0, ms: 0 });
    s.n++;
    s.ms += performance.now() - t0;
  };
  return new Proxy(target, {
    get(t, p) {
      const v: unknown = Reflect.get(t, p, t);
      if (typeof v !== 'function' || p === 'constructor') return v;
      return (...args: unknown[]) => {
        const t0 = performance.now();
        const out = (v as (...a: unknown[]) => unknown).apply(t, args);
        if (out instanceof Promise) return out.finally(() => rec(t0));
        rec(t0);
        return out;
      };
    },
  });
}

export interface CoreRun {
  latencyMs: number;
  ms: number;
  ok: number;
  wrongFiles: number;
  failed: string[];
  phases: Phases;
  /** This process's CPU time (user + system) during rotateMany, ms. */
  cpuMs: number;
  /** This process's event-loop utilisation during rotateMany (0–1). */
  elu: number;
}

/** The core engine as the CLI wires it (src/cli/engine.ts), over 100 fresh tokens in one .env inside the repository's work tree (git-ignored, as the window's). */
export async function coreRun(sim: SimulatorProcess, base: string, admin: string, accountId: string, latencyMs: number, n: number): Promise<CoreRun> {
  await sim.configure({ latencyMs });
  const seeded = await sim.seedAccountTokens(accountId, DUE, `core-${n}`);
  const tokens: TokenSpec[] = seeded.map((t, j) => ({ name: `token-${j + 1}`, accountId, tokenId: t.id, file: 'services/svc-01/.env', key: envKey(j), value: t.value, rotateEveryDays: 30 }));
  const dir = path.join(base, 'core-ws');
  writeWorkspace(dir, tokens);
  const cfg = validateConfig(JSON.parse(configText(tokens)));
  (knownSecrets() as Set<string>).clear();
  resetSharedRateLimiters();
  const credential: AdminCredential = { type: 'api-token', token: admin };
  const logger = redactingLogger(new MemoryLogger());
  const stateDir = fs.mkdtempSync(path.join(base, 'core-state-'));
  const phases: Phases = {};
  const locks = new FileLocks(path.join(stateDir, 'locks'), { app: 'bench' });
  const engine = new RotationEngine({
    files: timedInto(phases, 'target files', new NodeFiles()),
    journal: timedInto(phases, 'journal', new NodeJournalStore(stateDir)),
    locks: timedInto(phases, 'locks', locks),
    credentials: timedInto(phases, 'SecretStorage (credential)', { get: async () => credential }),
    git: timedInto(phases, 'git', new NodeGit()),
    history: timedInto(phases, 'history', new FileHistory(path.join(stateDir, 'history.jsonl'), locks)),
    clock: systemClock,
    logger: timedInto(phases, 'log', logger),
    api: (c) => timedInto(phases, 'Cloudflare API', new CloudflareClient({ baseUrl: sim.url, credential: c, logger })),
  });
  const rotate = engine.rotate.bind(engine);
  engine.rotate = (...a: Parameters<RotationEngine['rotate']>) => {
    const t0 = performance.now();
    return rotate(...a).finally(() => {
      const s = (phases[ROTATION] ??= { n: 0, ms: 0 });
      s.n++;
      s.ms += performance.now() - t0;
    });
  };
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const results: RotationResult[] = await engine.rotateMany(
    cfg.tokens.map((token) => ({ folder: dir, token })),
    { concurrency: BATCH_CONCURRENCY },
  );
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0).utilization;
  const live = await sim.accountTokenValues();
  const env = parseDotenv(fs.readFileSync(path.join(dir, 'services/svc-01/.env'), 'utf8'));
  const wrongFiles = tokens.filter((t) => env[t.key] !== live.get(t.tokenId) || t.value === live.get(t.tokenId)).length;
  fs.rmSync(stateDir, { recursive: true, force: true });
  return { latencyMs, ms, cpuMs: (cpu.user + cpu.system) / 1000, elu, ok: results.filter((r) => r.ok).length, wrongFiles, failed: results.filter((r) => !r.ok).slice(0, 3).map((r) => `${r.name}: ${r.error?.kind} ${r.error?.message}`), phases };
}

