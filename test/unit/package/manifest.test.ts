/**
 * The extension's manifest and README as users meet them (issue 17): where the extension runs
 * (`extensionKind`), the first VS Code it supports (1.96, the first whose `fetch` follows VS Code's
 * proxy settings), and a README whose first screen is for users while developer material lives in
 * CONTRIBUTING.md. The real VS Code of the integration tier checks the same from inside
 * (test/integration/z-hygiene.test.ts).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../../harness/util';

const ROOT = repoRoot();

interface Manifest {
  engines: Record<string, string>;
  extensionKind?: unknown;
  devDependencies: Record<string, string>;
}

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** `major.minor` of the lowest version a `^x.y.z` / `~x.y.z` / `>=x.y.z` range admits. */
function minimum(range: string): [number, number] {
  const m = /^(?:\^|~|>=)?\s*(\d+)\.(\d+)\.\d+$/.exec(range.trim());
  assert.ok(m, `a plain caret, tilde or >= range, got ${range}`);
  return [Number(m[1]), Number(m[2])];
}

/** The `## ` sections of README.md in order, each with its body (up to the next `## `), skipping fenced code. */
function sections(text: string): { title: string; body: string }[] {
  const out: { title: string; body: string }[] = [];
  let fenced = false;
  for (const line of text.split('\n')) {
    if (/^(```|~~~)/.test(line)) fenced = !fenced;
    const h = !fenced && /^## (.+)$/.exec(line);
    if (h) out.push({ title: (h[1] as string).trim(), body: '' });
    else if (out.length > 0) (out[out.length - 1] as { body: string }).body += `${line}\n`;
  }
  return out;
}

describe('package: manifest and README for users', () => {
  it('extensionKind is exactly ["workspace"]: it reads and writes the workspace files and runs git there, so it runs where the workspace is (remote, container, WSL)', () => {
    assert.deepEqual(manifest.extensionKind, ['workspace']);
  });

  it('engines.vscode admits 1.96 and nothing older (the first VS Code whose fetch uses its proxy settings), and the README says so', () => {
    assert.deepEqual(minimum(manifest.engines.vscode as string), [1, 96]);
    assert.match(readme, /VS Code 1\.96 or newer/);
  });

  it('@types/vscode is not newer than engines.vscode (vsce refuses to package otherwise, and the code could use API 1.96 lacks)', () => {
    const types = minimum((manifest.devDependencies['@types/vscode'] as string).replace(/^~/, ''));
    const engine = minimum(manifest.engines.vscode as string);
    assert.ok(types[0] < engine[0] || (types[0] === engine[0] && types[1] <= engine[1]), `@types/vscode ${types.join('.')} > engines ${engine.join('.')}`);
  });

  it('engines.node is a supported Node (>= 20.18)', () => {
    const [major, minor] = minimum(manifest.engines.node as string);
    assert.ok(major > 20 || (major === 20 && minor >= 18), manifest.engines.node);
  });

  it("the README's first sections are for users: Install, Getting started, Security model, in that order", () => {
    const titles = sections(readme).map((s) => s.title);
    assert.deepEqual(titles.slice(0, 3), ['Install', 'Getting started', 'Security model']);
  });

  it('developer material is one last section that keeps only the two set-up commands and points to CONTRIBUTING.md', () => {
    const all = sections(readme);
    const dev = all.filter((s) => /develop|contribut/i.test(s.title));
    assert.equal(dev.length, 1, `one developer section, got ${dev.map((s) => s.title).join(', ')}`);
    assert.equal(all[all.length - 1], dev[0], 'and it is the last one');
    const body = (dev[0] as { body: string }).body;
    const commands = [...body.matchAll(/^npm .+?(?=\s+#|$)/gm)].map((m) => m[0].trim());
    assert.deepEqual(commands, ['npm install && npm start', 'npm install && npm test']);
    assert.match(body, /\]\(CONTRIBUTING\.md\)/);
    assert.ok(fs.existsSync(path.join(ROOT, 'CONTRIBUTING.md')));
  });

  it('the README carries no tooling that only developers need (test tiers, mutation testing, bundler, benchmarks)', () => {
    for (const word of [/\bmocha\b/i, /\bstryker\b/i, /mutation/i, /\besbuild\b/i, /kill-point/i, /npm run (?:bench|compile|lint|mutation|test:)/]) {
      assert.doesNotMatch(readme, word);
    }
  });
});
