/**
 * One core batch in a fresh Node process, as the CLI runs: the engine's code runs for the first
 * time (cold JIT), paired with the editor's first batch in a fresh window. batch.ts starts it with
 * a JSON argument and reads the CoreRun as JSON from stdout. Module loading is not timed (the
 * editor's first batch starts with the extension loaded, too).
 */
import { coreRun, type CoreRun } from './coreRun';
import { SimulatorProcess } from './simulator';

export interface CoreChildArgs {
  simUrl: string;
  base: string;
  admin: string;
  accountId: string;
  latencyMs: number;
  n: number;
}

export async function main(argv: readonly string[]): Promise<CoreRun> {
  const a = JSON.parse(argv[0] ?? '') as CoreChildArgs;
  return coreRun(SimulatorProcess.attach(a.simUrl), a.base, a.admin, a.accountId, a.latencyMs, a.n);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (r) => {
      process.stdout.write(JSON.stringify(r));
      process.exit(0);
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
