// Bundles the extension and the CLI into dist/. Types are checked separately by `tsc`.
const esbuild = require('esbuild');
const path = require('node:path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'warning',
  // Prefer ESM entry points so tree-shaking works (zod/mini).
  mainFields: ['module', 'main'],
  conditions: ['import', 'node'],
};

/**
 * The activation shell's `require('./runtime')` stays a run-time require of dist/runtime.js, so the
 * shell bundle holds only the shell (test/unit/package/bundles.test.ts checks its inputs).
 */
const runtimeExternal = {
  name: 'runtime-external',
  setup(build) {
    build.onResolve({ filter: /^\.\/runtime$/ }, () => ({ path: './runtime.js', external: true }));
  },
};

/** Every bundle: the activation shell, the runtime it loads, and the CLI. */
function targets() {
  return [
    { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'], plugins: [runtimeExternal] },
    { ...common, entryPoints: ['src/runtime.ts'], outfile: 'dist/runtime.js', external: ['vscode'] },
    { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  ];
}

async function main() {
  const all = targets();
  if (watch) {
    for (const t of all) await (await esbuild.context(t)).watch();
    return;
  }
  await Promise.all(all.map((t) => esbuild.build(t)));
  require('node:fs').chmodSync(path.join(__dirname, 'dist/cli.js'), 0o755);
  // JSON Schema for .vscode/cf-rotate.json, generated from the zod config schema.
  const { writeConfigJsonSchema } = require('./scripts/config-schema.js');
  writeConfigJsonSchema(path.join(__dirname, 'dist', 'cf-rotate.schema.json'));
}

module.exports = { targets, production };

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
