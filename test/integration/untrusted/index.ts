/** extensionTestsPath module of the Restricted Mode run (a window whose folder is not trusted). */
import { runMochaTests } from '../../harness/extensionTestRunner';

export async function run(): Promise<void> {
  const r = await runMochaTests({ testsRoot: __dirname, pattern: '*.test.js', timeoutMs: 60_000 });
  if (r.failed > 0) throw new Error(`${r.failed} restricted-mode test(s) failed`);
}
