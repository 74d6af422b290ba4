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

async function main() {
  const targets = [
    { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
    { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  ];
  if (watch) {
    for (const t of targets) await (await esbuild.context(t)).watch();
    return;
  }
  await Promise.all(targets.map((t) => esbuild.build(t)));
  require('node:fs').chmodSync(path.join(__dirname, 'dist/cli.js'), 0o755);
  // JSON Schema for .vscode/cf-rotate.json, generated from the zod config schema.
  const { writeConfigJsonSchema } = require('./scripts/config-schema.js');
  writeConfigJsonSchema(path.join(__dirname, 'dist', 'cf-rotate.schema.json'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
