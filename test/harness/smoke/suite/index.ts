/** extensionTestsPath module for the harness smoke test: VS Code calls run() in the extension host. */
import { runMochaTests } from '../../extensionTestRunner';

export async function run(): Promise<void> {
  const results = await runMochaTests({ testsRoot: __dirname, pattern: '**/*.test.js' });
  if (results.failed > 0) throw new Error(`${results.failed} harness smoke test(s) failed`);
}
