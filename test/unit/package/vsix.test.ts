/**
 * What `npm run package` puts into the .vsix: exactly the allow-list of .vscodeignore (the
 * bundled extension, the config schema, icons, walkthrough media, package.json, README,
 * CHANGELOG, LICENSE): no sources, source maps, tests, screenshots, .env files or node_modules.
 *
 * 1. `listFiles` (what `vsce ls` uses) on the repository itself, as it is after `npm run build`.
 * 2. A real .vsix, built with vsce's `createVSIX` and the flags of the `package` script, from a
 *    copy of the packaged inputs plus decoys in a temporary folder (the repository's dist/ is
 *    not touched), and read back with a small zip central-directory reader.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createVSIX, listFiles, PackageManager, type IPackageOptions } from '@vscode/vsce';
import { repoRoot } from '../../harness/util';
import { readManifest } from '../../harness/manifest';

const ROOT = repoRoot();

interface Manifest {
  name: string;
  version: string;
  main: string;
  icon?: string;
  scripts: Record<string, string>;
  contributes: {
    viewsContainers?: Record<string, { icon?: string }[]>;
    views?: Record<string, { icon?: string }[]>;
    jsonValidation?: { url: string }[];
    walkthroughs?: { steps: { media: { markdown?: string; image?: unknown; svg?: string } }[] }[];
  };
}

const pkg = readManifest<Manifest>(ROOT);

/** Files of the extension folder in the .vsix, as vsce lists them (relative to the repository). */
const ALLOWED = [
  'CHANGELOG.md',
  'CONTRIBUTING.md',
  'LICENSE',
  'README.md',
  'SECURITY.md',
  'dist/actions.js',
  'dist/cf-rotate.schema.json',
  'dist/codegen.js',
  'dist/extension.js',
  'dist/runtime.js',
  'dist/sealbox.js',
  'media/cf-rotate.svg',
  'media/icon.png',
  'media/screenshots/demo.png',
  'media/screenshots/rotate-confirmation.png',
  'media/screenshots/rotation-success.png',
  'media/screenshots/set-credential.png',
  'media/screenshots/tokens-view.png',
  'media/walkthrough/add-token.md',
  'media/walkthrough/config.md',
  'media/walkthrough/credential.md',
  'media/walkthrough/rotate.md',
  'package.json',
  'package.nls.json',
  'l10n/bundle.l10n.json',
].sort();

/** vsce renames these inside the .vsix. */
const RENAMED: Record<string, string> = { 'README.md': 'readme.md', 'CHANGELOG.md': 'changelog.md', LICENSE: 'LICENSE.txt' };

/** Files package.json points at: the installed extension needs every one of them. */
function referencedFiles(): string[] {
  const c = pkg.contributes;
  const refs = [pkg.main, ...(pkg.icon ? [pkg.icon] : [])];
  for (const list of Object.values(c.viewsContainers ?? {})) for (const v of list) if (v.icon) refs.push(v.icon);
  for (const list of Object.values(c.views ?? {})) for (const v of list) if (v.icon && !v.icon.startsWith('$(')) refs.push(v.icon);
  for (const j of c.jsonValidation ?? []) if (!/^https?:/.test(j.url)) refs.push(j.url);
  for (const w of c.walkthroughs ?? []) for (const s of w.steps) if (s.media.markdown) refs.push(s.media.markdown);
  return [...new Set(refs.map((r) => path.posix.normalize(r.replace(/^\.\//, ''))))].sort();
}

/**
 * Every image a Markdown page shows (`![alt](src)`, `<img src>`, reference definitions): what the
 * extension's details page and the Marketplace render.
 */
export function markdownImages(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push(m[1] as string);
  for (const m of text.matchAll(/<img\b[^>]*\bsrc\s*=\s*["']([^"']+)["']/gi)) out.push(m[1] as string);
  const refs = new Map<string, string>();
  for (const m of text.matchAll(/^\s*\[([^\]]+)\]:\s*<?(\S+?)>?(?:\s|$)/gm)) refs.set((m[1] as string).toLowerCase(), m[2] as string);
  for (const m of text.matchAll(/!\[([^\]]*)\]\[([^\]]*)\]/g)) {
    const target = refs.get(((m[2] as string) || (m[1] as string)).toLowerCase());
    if (target) out.push(target);
  }
  return out;
}

/** vsce options equivalent to the flags of `vsce package` in the `package` script. */
function packageScriptOptions(): IPackageOptions {
  const script = pkg.scripts.package;
  assert.ok(script, 'package.json has a "package" script');
  const commands = script.split('&&').map((s) => s.trim());
  const build = commands.findIndex((c) => /^node esbuild\.js\b.*--production\b/.test(c));
  const vsce = commands.findIndex((c) => /^(npx )?vsce package\b/.test(c));
  assert.ok(build >= 0, `the package script runs the production build (node esbuild.js --production): ${script}`);
  assert.ok(vsce > build, `the package script runs vsce package after the production build: ${script}`);
  const known: Record<string, Partial<Record<keyof IPackageOptions, boolean>>> = {
    '--no-dependencies': { dependencies: false },
    '--allow-missing-repository': { allowMissingRepository: true },
    '--no-rewrite-relative-links': { rewriteRelativeLinks: false },
  };
  const options: Record<string, boolean> = {};
  for (const flag of (commands[vsce] as string).split(/\s+/).slice((commands[vsce] as string).startsWith('npx') ? 3 : 2)) {
    const o = known[flag];
    assert.ok(o, `flag ${flag} of the package script is unknown to this test: map it to its createVSIX option`);
    Object.assign(options, o);
  }
  assert.equal(options.dependencies, false, 'node_modules stay out: the extension is bundled (--no-dependencies)');
  return options as IPackageOptions;
}

/** Names of the entries of a zip file, from its central directory (no dependency, no unzip). */
export function zipEntries(file: string): { name: string; size: number }[] {
  const buf = fs.readFileSync(file);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  assert.ok(eocd >= 0, `${file} is not a zip file (no end of central directory)`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out: { name: string; size: number }[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(buf.readUInt32LE(p), 0x02014b50, 'central directory entry signature');
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    out.push({ name: buf.toString('utf8', p + 46, p + 46 + nameLen), size });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

function copy(rel: string, into: string): void {
  const from = path.join(ROOT, rel);
  if (!fs.existsSync(from)) return;
  fs.cpSync(from, path.join(into, rel), { recursive: true });
}

function write(root: string, rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
}

/** Runs fn with console.log silenced (vsce prints the file tree). */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = () => undefined;
  try {
    return await fn();
  } finally {
    console.log = log;
  }
}

describe('package: the .vsix contents', () => {
  it('package.json points only at files the .vsix allows', () => {
    for (const ref of referencedFiles()) {
      assert.ok(ALLOWED.includes(ref), `${ref} is used by package.json but not in the .vsix allow-list`);
      assert.ok(fs.existsSync(path.join(ROOT, ref)) || ref.startsWith('dist/'), `${ref} is referenced by package.json but missing`);
    }
    for (const md of ALLOWED.filter((f) => f.startsWith('media/walkthrough/'))) {
      assert.ok(referencedFiles().includes(md), `${md} is packaged but no walkthrough step uses it`);
    }
  });

  it('every image README.md shows is inside the .vsix (a relative link that resolves there) or an absolute https URL', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const images = markdownImages(readme);
    assert.ok(images.length >= 5, `README.md shows its screenshots (${images.length} images found)`);
    for (const src of images) {
      if (/^https:\/\//.test(src)) continue;
      assert.ok(!/^[a-z]+:/i.test(src) && !src.startsWith('/'), `${src}: an image is a relative path in the package or an https URL`);
      const rel = path.posix.normalize(decodeURI(src.replace(/^\.\//, '')));
      assert.ok(!rel.startsWith('..'), `${src} leaves the package`);
      assert.ok(ALLOWED.includes(rel), `${src} is shown by README.md but not packaged (.vscodeignore)`);
      assert.ok(fs.existsSync(path.join(ROOT, rel)), `${src} does not exist`);
    }
    for (const f of ALLOWED.filter((x) => x.startsWith('media/screenshots/'))) {
      assert.ok(images.some((src) => path.posix.normalize(src.replace(/^\.\//, '')) === f), `${f} is packaged but README.md does not show it`);
    }
  });

  it('every relative link of README.md is an anchor or a packaged file', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const m of readme.matchAll(/(?<!!)\[[^\]]*\]\(\s*<?([^)\s>]+)>?\s*\)/g)) {
      const href = m[1] as string;
      if (/^(https?:|mailto:|#)/.test(href)) continue;
      const rel = path.posix.normalize(href.replace(/#.*$/, '').replace(/^\.\//, ''));
      assert.ok(ALLOWED.includes(rel), `README.md links to ${href}, which is not in the .vsix`);
    }
  });

  it('vsce ls (listFiles) on the repository lists exactly the allow-list', async function () {
    this.timeout(180_000); // vsce globs the whole checkout, .vscode-test included
    for (const f of ['dist/extension.js', 'dist/runtime.js', 'dist/actions.js', 'dist/sealbox.js', 'dist/codegen.js', 'dist/cli.js', 'dist/cf-rotate.schema.json']) {
      assert.ok(fs.existsSync(path.join(ROOT, f)), `${f} is missing: run "npm run build" first (npm test does)`);
    }
    const files = (await listFiles({ cwd: ROOT, packageManager: PackageManager.None })).map((f) => f.replace(/\\/g, '/')).sort();
    assert.deepEqual(files, ALLOWED);
    // Every bundle the shipped bundles require at run time is shipped too (a lazily loaded one is
    // needed only later: at the first command, the first GitHub Actions target, or a cf-rotate.json of 200 tokens or more).
    const seen = new Set<string>();
    const visit = (rel: string): void => {
      if (seen.has(rel)) return;
      seen.add(rel);
      assert.ok(files.includes(rel), `${[...seen].join(' → ')}: ${rel} is required at run time but not in the .vsix`);
      const text = fs.readFileSync(path.join(ROOT, rel), 'utf8');
      for (const m of text.matchAll(/require\("\.\/([^"]+)"\)/g)) visit(`dist/${m[1]}`);
    };
    visit('dist/extension.js');
    assert.ok(['dist/runtime.js', 'dist/actions.js', 'dist/sealbox.js', 'dist/codegen.js'].every((f) => seen.has(f)), `the shell reaches ${[...seen].join(', ')}`);
  });

  it('npm run package flags build a .vsix with exactly the allowed entries', async function () {
    this.timeout(180_000);
    const options = packageScriptOptions();
    const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-rotate-vsix-'));
    try {
      for (const rel of ['package.json', 'package.nls.json', 'l10n', 'README.md', 'CHANGELOG.md', 'LICENSE', 'SECURITY.md', 'CONTRIBUTING.md', '.vscodeignore', 'media']) copy(rel, stage);
      // dist/ as a build leaves it: bundles, schema, source maps.
      write(stage, 'dist/extension.js', '"use strict";exports.activate=()=>{};\n');
      write(stage, 'dist/extension.js.map', '{"version":3}\n');
      write(stage, 'dist/runtime.js', '"use strict";exports.start=()=>{};\n');
      write(stage, 'dist/runtime.js.map', '{"version":3}\n');
      write(stage, 'dist/actions.js', '"use strict";\n');
      write(stage, 'dist/actions.js.map', '{"version":3}\n');
      write(stage, 'dist/cli.js', '#!/usr/bin/env node\n');
      write(stage, 'dist/cli.js.map', '{"version":3}\n');
      write(stage, 'dist/proxy.js', '"use strict";\n');
      write(stage, 'dist/sealbox.js', '"use strict";\n');
      write(stage, 'dist/codegen.js', '"use strict";\n');
      write(stage, 'dist/cf-rotate.schema.json', '{}\n');
      // Decoys: none of these may reach the .vsix.
      const decoys = [
        'src/extension.ts',
        'out/src/extension.js',
        'test/unit/x.test.ts',
        'scripts/demo.ts',
        'bench/run.ts',
        'docs/README-draft.md',
        'media/screenshots/old-unused.png',
        'media/render-icon.js',
        '.env',
        'demo-workspace/.env',
        '.vscode-test/runs/x/code-server.log',
        'tsconfig.json',
        'esbuild.js',
        'old-0.0.1.vsix',
        'node_modules/dotenv/package.json',
        'packages/cli/dist/cli.js',
        'packages/cli/package.json',
        'action.yml',
      ];
      for (const d of decoys) write(stage, d, d.endsWith('.env') ? 'CLOUDFLARE_API_TOKEN=decoy\n' : '// decoy\n');

      const vsix = path.join(stage, 'out.vsix');
      await quietly(() => createVSIX({ ...options, cwd: stage, packagePath: vsix }));
      const entries = zipEntries(vsix);
      const names = entries.map((e) => e.name).sort();
      const expected = ['[Content_Types].xml', 'extension.vsixmanifest', ...ALLOWED.map((f) => `extension/${RENAMED[f] ?? f}`)].sort();
      assert.deepEqual(names, expected);
      assert.ok(!names.some((n) => n.endsWith('.map')), 'no source maps');
      const size = fs.statSync(vsix).size;
      assert.ok(size < 1024 * 1024, `the .vsix stays small (${size} bytes)`);
      // The packaged readme keeps its relative links (no rewriting), and each resolves to an entry.
      for (const src of markdownImages(fs.readFileSync(path.join(stage, 'README.md'), 'utf8')).filter((x) => !/^https:/.test(x))) {
        const entry = `extension/${path.posix.normalize(src.replace(/^\.\//, ''))}`;
        const found = entries.find((e) => e.name === entry);
        assert.ok(found && found.size > 0, `${src} resolves inside the .vsix (${entry})`);
      }
      const manifest = entries.find((e) => e.name === 'extension/package.json');
      assert.ok(manifest && manifest.size > 0);
    } finally {
      fs.rmSync(stage, { recursive: true, force: true });
    }
  });
});
