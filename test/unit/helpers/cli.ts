/** The CLI's main() in this process, its output collected: what a test of a command sees. */
import { main } from '../../../src/cli/main';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runMain(args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Promise<CliRun> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main([...args], { stdout: (s) => stdout.push(s), stderr: (s) => stderr.push(s), env, cwd });
  return { code, stdout: stdout.join(''), stderr: stderr.join('') };
}
