/** extensionTestsPath module of the integration run: VS Code calls run() inside the extension host. */
import { runMochaTests } from '../harness/extensionTestRunner';

export async function run(): Promise<void> {
  const r = await runMochaTests({
    testsRoot: __dirname,
    pattern: '*.test.js', // top level only: untrusted/ runs in its own window
    timeoutMs: 60_000,
    ...(process.env.CF_ROTATE_TEST_GREP ? { grep: process.env.CF_ROTATE_TEST_GREP } : {}),
  });
  if (r.failed > 0) throw new Error(`${r.failed} integration test(s) failed`);
}
