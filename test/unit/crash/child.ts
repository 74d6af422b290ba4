/**
 * Crash-injection child: rotates one token with the CLI's engine (or, `resume`, finishes every
 * interrupted rotation as `cf-rotate resume` does) and SIGKILLs itself at the checkpoint named by
 * CRASH_AT (or is killed from outside by the parent).
 * argv: folder tokenName [rotate|resume]
 */
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { createCliEngine } from '../../../src/cli/engine';
import { parseConfig } from '../../../src/core/config/load';
import { nullLogger } from '../../../src/core/ports';

async function run(): Promise<void> {
  const [folder, name, mode = 'rotate'] = process.argv.slice(2) as [string, string, string?];
  const crashAt = process.env.CRASH_AT;
  const engine = createCliEngine({
    env: process.env,
    stateDir: process.env.CF_ROTATE_STATE_DIR as string,
    logger: nullLogger,
    ...(process.env.CF_ROTATE_TIMEOUT ? { timeoutMs: Number(process.env.CF_ROTATE_TIMEOUT) * 1000 } : {}),
    checkpoint: (point) => {
      process.send?.({ point });
      if (point === crashAt) process.kill(process.pid, 'SIGKILL');
    },
  });
  if (mode === 'resume') {
    for (const j of await engine.interrupted()) process.send?.({ done: (await engine.resume(j.id)).state });
    return;
  }
  const cfg = parseConfig(await fs.readFile(path.join(folder, '.vscode', 'cf-rotate.json'), 'utf8'));
  const token = cfg.tokens.find((t) => t.name === name);
  if (!token) throw new Error(`no token ${name}`);
  const r = await engine.rotate(folder, token);
  process.send?.({ done: r.state });
}

run().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(3);
  },
);
