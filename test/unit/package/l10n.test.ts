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
   * Every source file of the extension and of the core it shares with the CLI: a title,
   * placeholder, prompt, label, detail, description, message or error written as a bare string
   * literal fails. Not here: src/cli/ (the CLI's own output is English: scripts read it, and it has
   * no display language), src/action/ (the GitHub Action's step summary over that CLI, English for
   * the same reason) and src/constants.ts (identifiers). A line whose words no user reads (an
   * internal invariant, a log line's prefix) says so with a trailing `// l10n-exempt: <why>` comment,
   * or the comment alone on the line above.
   */
  const NOT_LOCALISED = [/^src\/cli\//, /^src\/action\//, /^src\/constants\.ts$/];
  const sources = (): string[] => {
    const out: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
        const rel = `${dir}/${e.name}`;
        if (e.isDirectory()) walk(rel);
        else if (e.name.endsWith('.ts') && !NOT_LOCALISED.some((re) => re.test(rel))) out.push(rel);
      }
    };
    walk('src');
    return out.sort();
  };
  /** A key or a call whose string a user reads, given as a bare literal (not through vscode.l10n.t / l10n.t). */
  const BARE = [
    /\b(title|placeholder|placeHolder|prompt|loading|label|detail|description|tooltip|hint):\s*['"`](?!\$\()/,
    /\b(notifyInfo|notifyWarning|notifyError)\(app, ['"`]/,
    /\b(confirmModal|askModal|withProgressNotification|show(Information|Warning|Error)Message)\(\s*['"`]/,
    /\bguarded\(app, ['"`]/,
    // An error a user reads (notification, tree, result): its message through l10n.
    /\bnew CfRotateError\(\s*'[a-z-]+',\s*['"`]/,
    // A sentence returned or pushed as a literal (a tooltip line, a description part, a validation message).
    /\breturn\s+['"`][A-Z][a-z]+ [a-z]/,
    /\.push\((?:'',\s*)?['"`](?:- )?[A-Z][a-z]+[\s:]/,
    // A sentence in a branch of a condition (a validation message, a prefix): `? undefined : 'Enter …'`, `? 'Cancelled …' : ''`.
    /\?\s*(?:undefined|null|''|""|['"`][^'"`]*['"`])\s*:\s*['"`][A-Z][a-z]+ [a-z]/,
    /\?\s*['"`]\s?[A-Z][a-z]+ [a-z]+ [a-z]/,
    // A sentence built as a template on its own line (an argument of a notification).
    /^\s*`[A-Z][a-z]+ [a-z]+ [a-z]/,
    /\bunchanged:\s*['"`]/,
    // English plurals by hand ("token${n === 1 ? '' : 's'}", "n === 1 ? 'is' : 'are'"): use plural() with two whole messages.
    /[=!]== 1 \? ['"`]/,
    // The wizard's steps and pickers take their title, placeholder and loading noun by position.
    /\bpick(One|Loaded)(<[^>]*>)?\(\s*flow,\s*'[a-z]+',\s*['"`]/,
    /^\s*flow,\s*'[a-z]+',\s*['"`]/,
    /\b(pickFolder|pickProfile)\([^,]+,[^,]+,\s*['"`]/,
    /\bresolveToken\(app, args, ['"`]/,
    // A sentence or a button alone on its line: an argument of a dialog or a notification.
    /^\s*['"`][A-Z][^'"`]*[a-z][^'"`]*['"`],?\s*$/,
  ];
  it('no user-visible string of a quick input, button, notification, dialog, progress or error bypasses l10n in src (the CLI aside)', () => {
    const bypass: string[] = [];
    const files = sources();
    assert.ok(files.length > 100 && files.includes('src/core/engine/engine.ts') && files.includes('src/host/configs.ts'), 'the walk finds the sources');
    for (const rel of files) {
      const lines = fs.readFileSync(path.join(ROOT, rel), 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (/^\s*(\/\/|\*|\/\*)/.test(line)) return;
        if (/\/\/ l10n-exempt: \S/.test(line) || /^\s*\/\/ l10n-exempt: \S/.test(lines[i - 1] ?? '')) return;
        if (BARE.some((re) => re.test(line))) bypass.push(`${rel}:${i + 1}: ${line.trim().slice(0, 120)}`);
      });
    }
    assert.deepEqual(bypass, []);
  });
});

/**
 * The core's and the tree's messages (@vscode/l10n, no vscode import): English by default (the CLI),
 * the bundle VS Code loaded once the runtime configured it, plurals by the display language's
 * rules, relative times and instants through Intl outside English.
 */
describe('localisation of the core and the tree model', () => {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded after the bundle check above */
  const core = require('../../../src/core/l10n') as typeof import('../../../src/core/l10n');
  const model = require('../../../src/views/model') as typeof import('../../../src/views/model');
  const credentialNodes = require('../../../src/views/credentialNodes') as typeof import('../../../src/views/credentialNodes');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const NOW = Date.parse('2026-11-22T12:00:00Z');
  const DAY = 86_400_000;
  afterEach(() => core.resetL10n());

  it('every l10n.t / vscode.l10n.t message written in src is in the shipped bundle (a file whose l10n the extractor does not see fails)', () => {
    const shipped = JSON.parse(fs.readFileSync(path.join(ROOT, 'l10n', 'bundle.l10n.json'), 'utf8')) as Record<string, unknown>;
    const missing: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts')) {
          const text = fs.readFileSync(p, 'utf8');
          for (const m of text.matchAll(/\bl10n\.t\(\s*'((?:[^'\\]|\\.)*)'/g)) {
            const msg = (m[1] as string).replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
            if (shipped[msg] === undefined) missing.push(`${path.relative(ROOT, p)}: ${msg.slice(0, 80)}`);
          }
        }
      }
    };
    walk(path.join(ROOT, 'src'));
    assert.deepEqual(missing, []);
  });

  it('English by default: the CLI and tests read the same words as before', () => {
    assert.equal(model.dueText({ state: 'overdue', dueAt: NOW - 3 * DAY }, NOW), 'overdue by 3 d');
    assert.equal(model.dueCounts(1, 2), '1 overdue · 2 due soon');
    assert.equal(core.plural(1, 'one', 'other'), 'one');
    assert.equal(core.plural(0, 'one', 'other'), 'other');
    assert.equal(core.formatInstant(NOW), '2026-11-22T12:00:00.000Z');
  });

  it('a configured bundle translates the model, the plural rules of the display language choose the form, Intl words times', () => {
    core.configureL10n({
      language: 'fr',
      bundle: { 'overdue by {0}': 'en retard de {0}', '{0} token': '{0} jeton', '{0} tokens': '{0} jetons', 'previous token retires {0}': 'l’ancien jeton est retiré {0}' },
    });
    assert.equal(model.dueText({ state: 'overdue', dueAt: NOW - 3 * DAY }, NOW), `en retard de ${new Intl.NumberFormat('fr', { style: 'unit', unit: 'day', unitDisplay: 'narrow' }).format(3)}`);
    // French: 0 and 1 are "one"; English would say "0 tokens".
    assert.equal(core.plural(0, 'one', 'other'), 'one');
    const tree = model.buildTree({
      folders: [
        { folder: { path: '/a', name: 'a' }, status: 'ok', configPath: '/a/.vscode/cf-rotate.json', tokens: [] },
        { folder: { path: '/b', name: 'b' }, status: 'missing', configPath: '/b/.vscode/cf-rotate.json' },
      ],
      workspaceFolderCount: 2,
      history: [],
      now: NOW,
      reminderDays: 7,
      rotating: new Set(),
      interrupted: new Set(),
    });
    assert.equal(tree[0]?.description, '0 jeton');
    const note = credentialNodes.retirementNote({ folder: '/a', name: 'x', profile: 'default', kind: 'account-api-token', dueAt: NOW + 2 * DAY, attempts: 0 }, NOW);
    assert.equal(note, `l’ancien jeton est retiré ${new Intl.RelativeTimeFormat('fr', { style: 'narrow', numeric: 'always' }).format(2, 'day')}`);
    assert.equal(core.formatInstant(NOW), new Intl.DateTimeFormat('fr', { dateStyle: 'medium', timeStyle: 'medium' }).format(NOW));
  });

  it("configuration problems in the display language: a pattern's message (docs.ts) and a cross-entry rule (schema.ts), built when shown", () => {
    const load = require('../../../src/core/config/load') as typeof import('../../../src/core/config/load'); // eslint-disable-line @typescript-eslint/no-require-imports
    const bad = {
      tokens: [
        { name: 'a', kind: 'user-api-token', tokenId: 'f'.repeat(32), profile: 'no/slash', targets: [{ file: '.env', key: 'A' }] },
        { name: 'a', kind: 'user-api-token', tokenId: 'e'.repeat(32), targets: [{ file: '.env', key: 'B' }] },
      ],
    };
    const issues = (): string[] => {
      try {
        load.validateConfig(bad);
      } catch (e) {
        return (e as InstanceType<typeof load.ConfigError>).issues.map((i) => `${i.path}: ${i.message}`);
      }
      return [];
    };
    assert.deepEqual(issues(), ['tokens[0].profile: must be a profile name (letters, digits, . _ -)', 'tokens[1].name: duplicates the name of tokens[0]']);
    core.configureL10n({ language: 'fr', bundle: { 'must be a profile name (letters, digits, . _ -)': 'doit être un nom de profil', 'duplicates the name of tokens[{0}]': 'reprend le nom de tokens[{0}]' } });
    assert.deepEqual(issues(), ['tokens[0].profile: doit être un nom de profil', 'tokens[1].name: reprend le nom de tokens[0]']);
  });

  it('"Nothing was rotated." is added to an error\'s hint once, also when the display language says it already', () => {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { withNothingRotated } = require('../../../src/core/engine/engine') as typeof import('../../../src/core/engine/engine');
    const { CfRotateError } = require('../../../src/core/errors') as typeof import('../../../src/core/errors');
    /* eslint-enable @typescript-eslint/no-require-imports */
    assert.equal(withNothingRotated(new CfRotateError('auth', 'Refused.', { hint: 'Check the token.' })).hint, 'Check the token. Nothing was rotated.');
    assert.equal(withNothingRotated(new CfRotateError('auth', 'Refused.', { hint: 'Check it. Nothing was rotated.' })).hint, 'Check it. Nothing was rotated.');
    core.configureL10n({ language: 'fr', bundle: { 'Nothing was rotated.': 'Rien n’a été changé.', '{0} Nothing was rotated.': '{0} Rien n’a été changé.' } });
    assert.equal(withNothingRotated(new CfRotateError('auth', 'Refusé.', { hint: 'Vérifiez le jeton.' })).hint, 'Vérifiez le jeton. Rien n’a été changé.');
    assert.equal(withNothingRotated(new CfRotateError('auth', 'Refusé.', { hint: 'Vérifiez-le. Rien n’a été changé.' })).hint, 'Vérifiez-le. Rien n’a été changé.');
  });

  it('Russian-style plural categories: "one" for 21, every other category takes the second message', () => {
    core.configureL10n({ language: 'ru' });
    assert.equal(core.plural(21, 'one', 'other'), 'one');
    assert.equal(core.plural(3, 'one', 'other'), 'other');
    assert.equal(core.plural(11, 'one', 'other'), 'other');
  });
});
