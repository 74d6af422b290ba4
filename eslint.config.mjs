import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'packages/cli/dist/**', 'node_modules/**', '.vscode-test/**', 'demo-workspace/**', 'test-results/**', 'test/harness/smoke/**', 'bench/tmp/**', '.stryker-tmp/**', 'reports/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'smart'],
      'no-console': 'off',
    },
  },
  {
    // The core, the CLI and the GitHub Action's runner run without VS Code: no `vscode` import, ever. Also keep the bundle small.
    files: ['src/core/**/*.ts', 'src/cli/**/*.ts', 'src/action/**/*.ts', 'src/constants.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'vscode', message: 'src/core, src/cli and src/constants.ts must not import vscode: use a port (src/core/ports.ts).' },
            { name: 'zod', message: "Import from 'zod/mini' (the full zod adds 450 KB to the bundle)." },
            { name: 'undici', message: "Use the HttpTransport port (Node's built-in fetch); only src/cli/proxy.ts (dist/proxy.js, loaded lazily) may import undici." },
          ],
          patterns: [{ group: ['**/host/**', '**/views/**', '**/commands/**', '**/extension'], message: 'The core must not depend on the extension layer.' }],
        },
      ],
    },
  },
  {
    // The proxy transport is its own bundle (dist/proxy.js), required lazily by dist/cli.js: the one
    // module that may import undici, and only types from the core (a second copy of the core in
    // proxy.js would mean a second secret registry).
    files: ['src/cli/proxy.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'The CLI must not import vscode.' }],
          patterns: [{ group: ['../core/*', '../core/**', './*', '!./proxyEnv'], allowTypeImports: true, message: 'dist/proxy.js imports only undici and types: values from the core belong in dist/cli.js.' }],
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'zod', message: "Import from 'zod/mini' (the full zod adds 450 KB to the bundle)." },
            { name: 'undici', message: "The extension uses VS Code's proxy-aware fetch; only src/cli/proxy.ts may import undici." },
          ],
        },
      ],
    },
    ignores: ['src/core/**', 'src/cli/**', 'src/action/**', 'src/constants.ts'],
  },
  {
    // The activation shell stays tiny and stateless: vscode, constants and type-only imports. The
    // runtime (and with it src/core's secret registry) must exist once, in dist/runtime.js.
    files: ['src/extension.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['./*', '!./constants'],
              allowTypeImports: true,
              message: 'src/extension.ts is the activation shell: import values only from ./constants; the rest loads lazily through ./runtime.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
