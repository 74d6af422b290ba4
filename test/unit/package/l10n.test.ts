/**
 * Localisation: the manifest's user-visible strings live in package.nls.json (package.json names
 * them as `%key%`), the strings the code passes through `vscode.l10n.t` are exported into
 * l10n/bundle.l10n.json by @vscode/l10n-dev (npm run l10n), and a string that bypasses l10n in a
 * converted place fails here.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { localiseManifest, manifestStrings } from '../../harness/manifest';
import { repoRoot } from '../../harness/util';

const ROOT = repoRoot();
const raw = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
const nls = manifestStrings(ROOT);

/** Where the manifest holds words a user reads: [path, value]. */
function userVisible(pkg: Record<string, unknown>): [string, unknown][] {
  const out: [string, unknown][] = [['displayName', pkg.displayName], ['description', pkg.description]];
  const c = pkg.contributes as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  for (const v of c.viewsContainers.activitybar) out.push([`viewsContainers.${v.id}.title`, v.title]);
  for (const list of Object.values(c.views) as any[]) for (const v of list) out.push([`views.${v.id}.name`, v.name], ...(v.contextualTitle ? [[`views.${v.id}.contextualTitle`, v.contextualTitle] as [string, unknown]] : [])); // eslint-disable-line @typescript-eslint/no-explicit-any
  for (const w of c.viewsWelcome) out.push([`viewsWelcome.${w.view}`, w.contents]);
  for (const cmd of c.commands) out.push([`${cmd.command}.title`, cmd.title], ...(cmd.category ? [[`${cmd.command}.category`, cmd.category] as [string, unknown]] : []));
  for (const [k, p] of Object.entries(c.configuration.properties) as [string, any][]) // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const f of ['description', 'markdownDescription', 'patternErrorMessage', 'deprecationMessage']) if (p[f] !== undefined) out.push([`${k}.${f}`, p[f]]);
  for (const w of c.walkthroughs) {
    out.push([`${w.id}.title`, w.title], [`${w.id}.description`, w.description]);
    for (const s of w.steps) out.push([`${w.id}.${s.id}.title`, s.title], [`${w.id}.${s.id}.description`, s.description]);
  }
  const caps = pkg.capabilities as Record<string, { description?: string }>;
  for (const [k, v] of Object.entries(caps)) if (v.description !== undefined) out.push([`capabilities.${k}`, v.description]);
  return out;
}

describe('localisation', () => {
  it('every user-visible string of package.json is a %key% of package.nls.json', () => {
    const bare = userVisible(raw).filter(([, v]) => typeof v !== 'string' || !/^%[^%\s]+%$/.test(v));
    assert.deepEqual(bare.map(([p]) => p), [], 'strings written into package.json instead of package.nls.json');
    const missing = userVisible(raw).map(([, v]) => String(v).slice(1, -1)).filter((k) => nls[k] === undefined);
    assert.deepEqual(missing, []);
    assert.doesNotThrow(() => localiseManifest(raw, nls));
  });

  it('package.nls.json has no unused key', () => {
    const text = JSON.stringify(raw);
    assert.deepEqual(Object.keys(nls).filter((k) => !text.includes(`"%${k}%"`)), []);
  });

  it('l10n/bundle.l10n.json is what @vscode/l10n-dev exports from src now (npm run l10n)', function () {
    this.timeout(120_000);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-rotate-l10n-'));
    try {
      execFileSync(process.execPath, [require.resolve('@vscode/l10n-dev/dist/cli.js'), 'export', '--outDir', out, path.join(ROOT, 'src')], { stdio: 'pipe' });
      const fresh = JSON.parse(fs.readFileSync(path.join(out, 'bundle.l10n.json'), 'utf8')) as Record<string, string>;
      const shipped = JSON.parse(fs.readFileSync(path.join(ROOT, 'l10n', 'bundle.l10n.json'), 'utf8')) as Record<string, string>;
      assert.deepEqual(shipped, fresh, 'run npm run l10n');
      assert.ok(Object.keys(fresh).length >= 50);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  /**
   * Files whose quick inputs, pickers and buttons are localised: a title, placeholder, prompt,
   * label, detail, description or message written as a bare string literal fails. The list grows
   * as files are converted (see the report of issue 16); it never shrinks.
   */
  const CONVERTED = ['src/commands/multiStep.ts', 'src/commands/app.ts', 'src/commands/config.ts', 'src/commands/credentials.ts', 'src/commands/rotate.ts', 'src/commands/view.ts', 'src/views/statusBar.ts', 'src/runtime.ts'];
  /** A key or a call whose string a user reads, given as a bare literal (not through vscode.l10n.t). */
  const BARE = [
    /\b(title|placeholder|placeHolder|prompt|loading|label|detail|description):\s*['"`](?!\$\()/,
    /\b(notifyInfo|notifyWarning|notifyError)\(app, ['"`]/,
    /\b(confirmModal|askModal|withProgressNotification|show(Information|Warning|Error)Message)\(\s*['"`]/,
  ];
  it('no user-visible string of a quick input, button, notification, dialog or progress bypasses vscode.l10n.t in the converted files', () => {
    const bypass: string[] = [];
    for (const rel of CONVERTED) {
      const lines = fs.readFileSync(path.join(ROOT, rel), 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (/^\s*(\/\/|\*|\/\*)/.test(line)) return;
        if (BARE.some((re) => re.test(line))) bypass.push(`${rel}:${i + 1}: ${line.trim().slice(0, 120)}`);
      });
    }
    assert.deepEqual(bypass, []);
  });
});
