/** package.json `contributes` vs. the code: commands, menus, settings, activation, trust. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_API_BASE_URL } from '../../../src/core/cloudflare/client';
import { DURATION } from '../../../src/core/config/schema';
import { ALL_COMMAND_IDS, COMMAND_CATEGORY, COMMANDS, CONTEXT, SETTING_DEFAULTS, SETTINGS, SETTINGS_SECTION, VIEW_CONTAINER_ID, VIEWS } from '../../../src/constants';
import { allContextValues, tokenContextValue } from '../../../src/views/model';
import { repoRoot } from '../../harness/util';
import { readManifest } from '../../harness/manifest';

const ROOT = repoRoot();

interface CommandContribution {
  command: string;
  title: string;
  category?: string;
  icon?: string;
}
interface MenuItem {
  command: string;
  when?: string;
  group?: string;
}
interface Setting {
  type: string;
  default: unknown;
  scope?: string;
  pattern?: string;
}
interface Manifest {
  main: string;
  icon?: string;
  activationEvents: string[];
  capabilities: {
    untrustedWorkspaces: { supported: boolean | string; description?: string };
    virtualWorkspaces: boolean | { supported: boolean };
  };
  contributes: {
    commands: CommandContribution[];
    menus: Record<string, MenuItem[]>;
    viewsContainers: { activitybar: { id: string; title: string; icon: string }[] };
    views: Record<string, { id: string; name: string }[]>;
    viewsWelcome: { view: string; contents: string; when?: string }[];
    configuration: { properties: Record<string, Setting> };
    jsonValidation: { fileMatch: string; url: string }[];
  };
}

const pkg = readManifest<Manifest>(ROOT);
const contributed = new Map(pkg.contributes.commands.map((c) => [c.command, c]));
const allMenuItems = Object.entries(pkg.contributes.menus).flatMap(([menu, items]) => items.map((i) => ({ menu, ...i })));

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** `registerCommand(COMMANDS.x` in src/commands/** and src/extension.ts → ids. */
function registeredInCode(): string[] {
  const files = [...sourceFiles(path.join(ROOT, 'src', 'commands')), path.join(ROOT, 'src', 'extension.ts')];
  const out: string[] = [];
  for (const f of files) {
    const text = fs.readFileSync(f, 'utf8');
    for (const m of text.matchAll(/registerCommand\(\s*COMMANDS\.(\w+)/g)) {
      const id = (COMMANDS as Record<string, string>)[m[1] as string];
      assert.ok(id, `${f} registers COMMANDS.${m[1]}, which is not in constants.ts`);
      out.push(id);
    }
    assert.doesNotMatch(text, /registerCommand\(\s*['"`]/, `${f} registers a command by a string literal; use COMMANDS`);
  }
  return out;
}

/** Regexes of `viewItem =~ /…/` and values of `viewItem == x` in a when clause. */
function viewItemConditions(when: string): { regexes: RegExp[]; equals: string[] } {
  const regexes = [...when.matchAll(/viewItem\s*=~\s*\/((?:\\\/|[^/])+)\/([a-z]*)/g)].map((m) => new RegExp(m[1] as string, m[2]));
  const equals = [...when.matchAll(/viewItem\s*==\s*([\w.-]+)/g)].map((m) => m[1] as string);
  return { regexes, equals };
}

describe('extension manifest (package.json)', () => {
  it('contributes exactly the commands of constants.ts', () => {
    assert.deepEqual([...contributed.keys()].sort(), [...ALL_COMMAND_IDS].sort());
    assert.equal(contributed.size, pkg.contributes.commands.length, 'duplicate command contributions');
  });

  it('registers every contributed command in code, once, and nothing else', () => {
    const registered = registeredInCode();
    assert.deepEqual([...registered].sort(), [...ALL_COMMAND_IDS].sort());
    assert.equal(new Set(registered).size, registered.length, 'a command is registered twice');
  });

  it('gives every command a title, the category and a codicon', () => {
    for (const c of pkg.contributes.commands) {
      assert.equal(c.category, COMMAND_CATEGORY, `${c.command} category`);
      assert.ok(c.title && c.title.length > 2, `${c.command} title`);
      assert.match(c.icon ?? '', /^\$\([a-z0-9-]+\)$/, `${c.command} needs a codicon icon`);
    }
  });

  it('menus only reference contributed commands; view menus only commands with icons', () => {
    for (const item of allMenuItems) {
      assert.ok(contributed.has(item.command), `${item.menu} references unknown ${item.command}`);
      if (item.menu.startsWith('view/')) assert.ok(contributed.get(item.command)?.icon, `${item.command} appears in ${item.menu} without an icon`);
    }
  });

  it('scopes view menus to the tokens view', () => {
    for (const item of allMenuItems.filter((i) => i.menu.startsWith('view/'))) {
      assert.match(item.when ?? '', new RegExp(`view == ${VIEWS.tokens.replace('.', '\\.')}`), `${item.menu} ${item.command}`);
    }
  });

  it('uses viewItem conditions that match context values the tree produces', () => {
    const values = allContextValues();
    for (const item of pkg.contributes.menus['view/item/context'] ?? []) {
      const { regexes, equals } = viewItemConditions(item.when ?? '');
      assert.ok(regexes.length + equals.length > 0, `${item.command} has no viewItem condition`);
      for (const re of regexes) assert.ok(values.some((v) => re.test(v)), `${re} (${item.command}) matches no context value`);
      for (const v of equals) assert.ok(values.includes(v), `viewItem == ${v} (${item.command}) is never produced`);
    }
  });

  it('offers rotate inline on idle tokens only and expire on service tokens only', () => {
    const items = pkg.contributes.menus['view/item/context'] ?? [];
    const inlineRotate = items.find((i) => i.command === COMMANDS.rotate && i.group?.startsWith('inline'));
    assert.ok(inlineRotate, 'rotate is inline');
    const rotateRe = viewItemConditions(inlineRotate.when ?? '').regexes[0] as RegExp;
    assert.ok(rotateRe.test(tokenContextValue('account-api-token', 'due')));
    assert.ok(rotateRe.test(tokenContextValue('moq-relay-token', 'overdue')));
    assert.ok(!rotateRe.test(tokenContextValue('user-api-token', 'rotating')));
    assert.ok(!rotateRe.test(tokenContextValue('user-api-token', 'interrupted')));
    assert.ok(!rotateRe.test('target'));
    const expire = items.find((i) => i.command === COMMANDS.expirePreviousSecret);
    const expireRe = viewItemConditions(expire?.when ?? '').regexes[0] as RegExp;
    assert.ok(expireRe.test(tokenContextValue('access-service-token', 'ok')));
    assert.ok(!expireRe.test(tokenContextValue('account-api-token', 'ok')));
    for (const c of [COMMANDS.revealTarget, COMMANDS.removeToken, COMMANDS.verifyCredential]) assert.ok(items.some((i) => i.command === c), `${c} in the item context menu`);
    const titles = (pkg.contributes.menus['view/title'] ?? []).map((i) => i.command);
    for (const c of [COMMANDS.addToken, COMMANDS.refresh, COMMANDS.rotateAll]) assert.ok(titles.includes(c), `${c} in the view title`);
  });

  it('hides selection-only commands from the command palette', () => {
    const palette = pkg.contributes.menus.commandPalette ?? [];
    assert.equal(palette.find((i) => i.command === COMMANDS.revealTarget)?.when, 'false');
  });

  it('only uses context keys from constants.ts', () => {
    const known = new Set<string>(Object.values(CONTEXT));
    const whens = [...allMenuItems.map((i) => i.when ?? ''), ...pkg.contributes.viewsWelcome.map((w) => w.when ?? '')];
    for (const w of whens) {
      for (const m of w.matchAll(/\bcfRotate\.(\w+)\b/g)) {
        const key = `cfRotate.${m[1]}`;
        if (key === VIEWS.tokens) continue;
        assert.ok(known.has(key), `unknown context key ${key} in "${w}"`);
      }
    }
  });

  it('has welcome views with buttons for a missing config and a missing credential', () => {
    const welcome = pkg.contributes.viewsWelcome;
    for (const w of welcome) {
      assert.equal(w.view, VIEWS.tokens);
      for (const m of w.contents.matchAll(/\(command:([\w.]+)\)/g)) {
        const id = m[1] as string;
        assert.ok(contributed.has(id) || id.startsWith('workbench.'), `welcome links unknown command ${id}`);
      }
    }
    const noConfig = welcome.find((w) => /!cfRotate\.hasConfig/.test(w.when ?? ''));
    assert.match(noConfig?.contents ?? '', /\[Create cf-rotate\.json\]\(command:cfRotate\.openConfig\)/);
    const noCredential = welcome.find((w) => /!cfRotate\.hasCredential/.test(w.when ?? ''));
    assert.match(noCredential?.contents ?? '', /\[Set Cloudflare credential\]\(command:cfRotate\.setCredential\)/);
  });

  it('declares the activity-bar container and the tokens view with an existing icon', () => {
    const container = pkg.contributes.viewsContainers.activitybar.find((c) => c.id === VIEW_CONTAINER_ID);
    assert.ok(container);
    assert.equal(container.title, 'Cloudflare Rotate');
    assert.ok(fs.existsSync(path.join(ROOT, container.icon)), `${container.icon} exists`);
    const svg = fs.readFileSync(path.join(ROOT, container.icon), 'utf8');
    assert.match(svg, /viewBox="0 0 24 24"/);
    assert.match(svg, /currentColor/);
    assert.deepEqual(
      pkg.contributes.views[VIEW_CONTAINER_ID]?.map((v) => [v.id, v.name]),
      [[VIEWS.tokens, 'Tokens']],
    );
    if (pkg.icon) {
      const png = fs.readFileSync(path.join(ROOT, pkg.icon));
      assert.equal(png.subarray(1, 4).toString('ascii'), 'PNG');
      assert.equal(png.readUInt32BE(16), 128);
      assert.equal(png.readUInt32BE(20), 128);
    }
  });

  it('never activates on * and activates on the view and the config file', () => {
    assert.ok(!pkg.activationEvents.includes('*'));
    assert.ok(!pkg.activationEvents.includes('onStartupFinished'));
    assert.ok(pkg.activationEvents.includes(`onView:${VIEWS.tokens}`));
    assert.ok(pkg.activationEvents.includes('workspaceContains:.vscode/cf-rotate.json'));
    assert.equal(pkg.main, './dist/extension.js');
  });

  it('refuses untrusted and virtual workspaces', () => {
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, false);
    assert.ok(pkg.capabilities.untrustedWorkspaces.description);
    const v = pkg.capabilities.virtualWorkspaces;
    assert.equal(typeof v === 'boolean' ? v : v.supported, false);
  });

  it('declares the settings of constants.ts with matching defaults; the API base URL is machine-scoped', () => {
    const props = pkg.contributes.configuration.properties;
    assert.deepEqual(Object.keys(props).sort(), Object.values(SETTINGS).map((k) => `${SETTINGS_SECTION}.${k}`).sort());
    for (const [k, v] of Object.entries(SETTING_DEFAULTS)) assert.deepEqual(props[`${SETTINGS_SECTION}.${k}`]?.default, v, `default of ${k}`);
    assert.equal(props['cfRotate.apiBaseUrl']?.scope, 'machine');
    assert.equal(SETTING_DEFAULTS.apiBaseUrl, DEFAULT_API_BASE_URL);
  });

  it('validates defaultGracePeriod like the config schema', () => {
    const re = new RegExp(pkg.contributes.configuration.properties['cfRotate.defaultGracePeriod']?.pattern ?? '^$');
    for (const ok of ['1h', '0s', '30m', '1h30m', '7d', '250ms', '1.5h']) {
      assert.ok(re.test(ok), ok);
      assert.ok(DURATION.test(ok), ok);
    }
    for (const bad of ['', '1', 'h', '1 h', '1w', '-1h', 'PT1H']) {
      assert.ok(!re.test(bad), bad);
      assert.ok(!DURATION.test(bad), bad);
    }
  });

  it('validates .vscode/cf-rotate.json with the generated schema', () => {
    assert.deepEqual(pkg.contributes.jsonValidation, [{ fileMatch: '.vscode/cf-rotate.json', url: './dist/cf-rotate.schema.json' }]);
  });

  it('keeps vscode out of constants.ts and the pure view/command modules', () => {
    for (const f of ['src/constants.ts', 'src/views/model.ts', 'src/commands/schemas.ts', 'src/commands/configText.ts', 'src/commands/describe.ts', 'src/host/paths.ts', 'src/host/git.ts']) {
      assert.doesNotMatch(fs.readFileSync(path.join(ROOT, f), 'utf8'), /from ['"]vscode['"]|require\(['"]vscode['"]\)/, f);
    }
  });
});
