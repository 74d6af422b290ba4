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

/**
 * `require('./codegen')` (src/core/config/load.ts) stays a run-time require of the sibling
 * codegen.js in the runtime: zod's code generator is needed only for a configuration of 200
 * tokens or more, so the runtime the editor loads at startup does not carry it. The CLI and the
 * action bundle it (they parse a configuration once, and ship as their own packages).
 */
const codegenExternal = {
  name: 'codegen-external',
  setup(build) {
    build.onResolve({ filter: /^\.\/codegen$/ }, (args) =>
      /[\\/]src[\\/]core[\\/]config[\\/]load\.ts$/.test(args.importer) ? { path: './codegen.js', external: true } : undefined,
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

/**
 * The runtime's `require('./actions')` (src/lazy.ts) stays a run-time require of dist/actions.js:
 * the commands and the API clients load on first use, not while the tree is first drawn.
 */
const actionsExternal = {
  name: 'actions-external',
  setup(build) {
    build.onResolve({ filter: /^\.\/actions$/ }, (args) =>
      /[\\/]src[\\/]lazy\.ts$/.test(args.importer) ? { path: './actions.js', external: true } : undefined,
    );
  },
};

/** Repository-relative path with '/' (as esbuild's metafile names inputs). */
function rel(file) {
  return path.relative(__dirname, file).split(path.sep).join('/');
}

let sharedCache;
/**
 * The modules dist/actions.js has in common with dist/runtime.js, and the names it imports from
 * each: found from the module graphs of both entries (esbuild metafiles, nothing written) and the
 * import declarations of the actions' own modules (TypeScript's parser). The runtime exposes
 * exactly these bindings, and the actions bundle uses the runtime's instances instead of copies
 * (see sharedWithRuntime): one secret registry, one CfRotateError class, one wording, one set of
 * translations. Our own modules are shared, and of the libraries only @vscode/l10n (the others
 * hold no state here; each bundle tree-shakes its own copy).
 * @returns {Map<string, Set<string> | '*'>} module → imported names ('*': the whole namespace)
 */
function sharedModules() {
  if (sharedCache) return sharedCache;
  const graph = (entry) => {
    const r = esbuild.buildSync({ ...common, minify: false, sourcemap: false, entryPoints: [entry], outfile: 'graph.js', write: false, metafile: true, absWorkingDir: __dirname, external: ['vscode', './sealbox', './actions', './codegen'], logLevel: 'silent' });
    return r.metafile.inputs;
  };
  const runtime = graph('src/runtime.ts');
  const actions = graph('src/actions.ts');
  // Libraries that hold state both bundles must see: @vscode/l10n keeps the translations the runtime configures.
  const stateful = (f) => f.startsWith('node_modules/@vscode/l10n/');
  const shared = new Set(Object.keys(actions).filter((f) => f in runtime && (f.startsWith('src/') || stateful(f)) && f !== 'src/actions.ts'));
  const ts = require('typescript');
  /** @type {Map<string, Set<string> | '*'>} */
  const names = new Map();
  const want = (file, name) => {
    const cur = names.get(file);
    if (cur === '*') return;
    if (name === '*') names.set(file, '*');
    else names.set(file, (cur ?? new Set()).add(name));
  };
  for (const [file, info] of Object.entries(actions)) {
    // Names imported by the actions' own modules (and by libraries they bundle: none import a shared one).
    if (shared.has(file) || !file.startsWith('src/')) continue;
    const target = new Map(info.imports.filter((i) => shared.has(i.path)).map((i) => [i.original, i.path]));
    if (target.size === 0) continue;
    const source = ts.createSourceFile(file, require('node:fs').readFileSync(path.join(__dirname, file), 'utf8'), ts.ScriptTarget.Latest, false);
    for (const st of source.statements) {
      const isImport = ts.isImportDeclaration(st);
      if (!isImport && !(ts.isExportDeclaration(st) && st.moduleSpecifier)) continue;
      const to = target.get(st.moduleSpecifier.text);
      if (to === undefined) continue;
      if (isImport) {
        const c = st.importClause;
        if (!c || c.isTypeOnly) continue;
        if (c.name) want(to, 'default');
        const b = c.namedBindings;
        if (b && ts.isNamespaceImport(b)) want(to, '*');
        else if (b) for (const e of b.elements) if (!e.isTypeOnly) want(to, (e.propertyName ?? e.name).text);
      } else {
        if (st.isTypeOnly) continue;
        const b = st.exportClause;
        if (!b || ts.isNamespaceExport(b)) want(to, '*');
        else for (const e of b.elements) if (!e.isTypeOnly) want(to, (e.propertyName ?? e.name).text);
      }
    }
  }
  sharedCache = new Map([...names].sort(([a], [b]) => (a < b ? -1 : 1)));
  return sharedCache;
}

/** The runtime's entry: src/runtime.ts, and `__shared`: what dist/actions.js takes from the runtime's modules (live bindings). */
function runtimeEntry() {
  const lines = [`export * from './src/runtime';`];
  const table = [];
  let i = 0;
  for (const [file, what] of sharedModules()) {
    const spec = JSON.stringify(`./${file}`);
    if (what === '*') {
      lines.push(`import * as m${i} from ${spec};`);
      table.push(`  ${JSON.stringify(file)}: m${i},`);
    } else {
      const list = [...what].sort();
      lines.push(`import { ${list.map((n, j) => `${n} as m${i}_${j}`).join(', ')} } from ${spec};`);
      table.push(`  ${JSON.stringify(file)}: { ${list.map((n, j) => `get ${n}() { return m${i}_${j}; }`).join(', ')} },`);
    }
    i++;
  }
  return {
    contents: `${lines.join('\n')}\n/** What dist/actions.js uses from the runtime's modules (esbuild.js). */\nexport const __shared = {\n${table.join('\n')}\n};\n`,
    resolveDir: __dirname,
    sourcefile: 'src/runtime.ts (with __shared)',
    loader: 'ts',
  };
}

/**
 * In dist/actions.js, an import of a module the runtime holds becomes the runtime's instance of it
 * (`require('./runtime.js').__shared[path]`, the namespace itself, so live bindings stay live).
 */
function sharedWithRuntime() {
  const shared = sharedModules();
  return {
    name: 'shared-with-runtime',
    setup(build) {
      build.onResolve({ filter: /^\.\/runtime\.js$/ }, (args) => (args.namespace === 'shared' ? { path: './runtime.js', external: true } : undefined));
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === 'shared-with-runtime' || args.kind === 'entry-point' || args.namespace === 'shared') return undefined;
        const r = await build.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: 'shared-with-runtime' });
        if (r.errors.length > 0 || r.external || !r.path) return undefined;
        const file = rel(r.path);
        return shared.has(file) ? { path: file, namespace: 'shared' } : undefined;
      });
      build.onLoad({ filter: /.*/, namespace: 'shared' }, (args) => ({
        contents:
          `var ns = require('./runtime.js').__shared[${JSON.stringify(args.path)}];\n` +
          `if (!ns) throw new Error('dist/runtime.js does not share ${args.path}: rebuild the extension');\n` +
          // __esModule: esbuild's interop then reads named exports from the namespace itself.
          `module.exports = Object.create(ns, { __esModule: { value: true } });\n`,
        loader: 'js',
      }));
    },
  };
}

/** Every bundle: the activation shell, the runtime it loads, the commands and zod's code generator it loads on use, and the CLI (with its proxy transport). */
function targets() {
  return [
    { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'], plugins: [runtimeExternal] },
    { ...common, stdin: runtimeEntry(), outfile: 'dist/runtime.js', external: ['vscode'], plugins: [sealboxExternal, actionsExternal, codegenExternal] },
    { ...common, entryPoints: ['src/actions.ts'], outfile: 'dist/actions.js', external: ['vscode'], plugins: [sharedWithRuntime(), sealboxExternal, actionsExternal] },
    { ...common, entryPoints: ['src/core/config/codegen.ts'], outfile: 'dist/codegen.js' },
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
