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

/**
 * The CLI's `require('./proxy')` (src/cli/proxyEnv.ts) stays a run-time require of the sibling
 * proxy.js: undici is loaded only when a proxy applies, and cli.js holds none of it.
 */
const proxyExternal = {
  name: 'proxy-external',
  setup(build) {
    build.onResolve({ filter: /^\.\/proxy$/ }, (args) =>
      /[\\/]src[\\/]cli[\\/]proxyEnv\.ts$/.test(args.importer) ? { path: './proxy.js', external: true } : undefined,
    );
  },
};

/**
 * `require('./sealbox')` (src/core/github/seal.ts) stays a run-time require of the sibling
 * sealbox.js: the sealed-box library (@noble/*) is loaded only when a GitHub Actions target is
 * written, so neither dist/runtime.js nor dist/cli.js carries it.
 */
const sealboxExternal = {
  name: 'sealbox-external',
  setup(build) {
    build.onResolve({ filter: /^\.\/sealbox$/ }, (args) =>
      /[\\/]src[\\/]core[\\/]github[\\/]seal\.ts$/.test(args.importer) ? { path: './sealbox.js', external: true } : undefined,
    );
  },
};

/** The sealed-box bundle (GitHub Actions secrets), into `dir`. */
function sealboxTarget(dir, options = {}) {
  return { ...common, ...options, entryPoints: ['src/core/github/sealbox.ts'], outfile: `${dir}/sealbox.js` };
}

/** The CLI and the bundles it loads lazily (proxy transport, sealed boxes), into `dir`. */
function cliTargets(dir, options = {}) {
  return [
    { ...common, ...options, entryPoints: ['src/cli/main.ts'], outfile: `${dir}/cli.js`, banner: { js: '#!/usr/bin/env node' }, plugins: [proxyExternal, sealboxExternal] },
    { ...common, ...options, entryPoints: ['src/cli/proxy.ts'], outfile: `${dir}/proxy.js` },
    sealboxTarget(dir, options),
  ];
}

/** Every bundle: the activation shell, the runtime it loads, and the CLI (with its proxy transport). */
function targets() {
  return [
    { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'], plugins: [runtimeExternal] },
    { ...common, entryPoints: ['src/runtime.ts'], outfile: 'dist/runtime.js', external: ['vscode'], plugins: [sealboxExternal] },
    ...cliTargets('dist'),
  ];
}

/**
 * The npm package of the CLI (packages/cli) and the GitHub Action (action.yml): the production
 * CLI bundles, and the action's runner (src/action/run.ts), into `dir` (default packages/cli/dist).
 */
function cliPackageTargets(dir = 'packages/cli/dist') {
  // absWorkingDir: `npm pack` runs this from packages/cli (prepack).
  const prod = { minify: true, sourcemap: false, absWorkingDir: __dirname };
  return [...cliTargets(dir, prod), { ...common, ...prod, entryPoints: ['src/action/run.ts'], outfile: `${dir}/action.js` }];
}

async function main() {
  if (process.argv.includes('--cli-package')) {
    await Promise.all(cliPackageTargets().map((t) => esbuild.build(t)));
    require('node:fs').chmodSync(path.join(__dirname, 'packages/cli/dist/cli.js'), 0o755);
    require('node:fs').copyFileSync(path.join(__dirname, 'LICENSE'), path.join(__dirname, 'packages/cli/LICENSE'));
    return;
  }
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

module.exports = { targets, cliPackageTargets, production };

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
