/**
 * UI tests: the real VS Code workbench (code-server) in headless Debian Chromium, driven with
 * playwright-core, with cf-rotate loaded from this repository (extensionDevelopmentPath, no test
 * module: the window stays interactive) against the Cloudflare API simulator in this process.
 *
 *   npx tsc -p . && node esbuild.js && node out/test/ui/run.js [--update-screenshots]
 *
 * Every failure saves test-results/ui-<test>-failure.png (+ the browser console). Good states
 * are saved as test-results/ui-*.png; with --update-screenshots they also go to
 * media/screenshots/ for the README (1280×800). Prints `N passed, N failed`; exits non-zero on
 * any failure.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseJsonc } from 'jsonc-parser';
import type { Locator, Page } from 'playwright-core';
import { devPayload, openWorkbench, runCommand, waitForWorkbench, type Workbench } from '../harness/browser';
import { launchCodeServer, type CodeServer } from '../harness/codeServer';
import { saveFailureDiagnostics } from '../harness/diagnostics';
import { readManifest } from '../harness/manifest';
import { provision } from '../harness/provision';
import { repoRoot } from '../harness/util';
import { start, type SimulatorHandle } from '../simulator';
import type { OperationName } from '../simulator/types';
import { DEMO } from '../simulator/scenarios';
import { envText, secretsFromState, TOKENS, writeWorkspace, type Secrets } from '../integration/fixture';

const VIEWPORT = { width: 1280, height: 800 };
/** Upper bound for anything the UI does after a click (the simulator answers in milliseconds). */
const UI_TIMEOUT = 20_000;

interface Manifest {
  contributes: { commands: Array<{ command: string; title: string; category?: string }> };
}

/** "Category: Title" of a command, as the command palette lists it (read from package.json). */
function paletteTitle(command: string): string {
  const manifest = readManifest<Manifest>();
  const c = manifest.contributes.commands.find((x) => x.command === command);
  if (!c) throw new Error(`package.json contributes no command ${command}`);
  return c.category ? `${c.category}: ${c.title}` : c.title;
}

function commandTitle(command: string): string {
  const manifest = readManifest<Manifest>();
  const c = manifest.contributes.commands.find((x) => x.command === command);
  if (!c) throw new Error(`package.json contributes no command ${command}`);
  return c.title;
}

function expect(ok: boolean, message: string): asserts ok {
  if (!ok) throw new Error(message);
}

function equal<T>(actual: T, expected: T, message: string): void {
  if (actual !== expected) throw new Error(`${message}\n  expected: ${JSON.stringify(expected)}\n  actual:   ${JSON.stringify(actual)}`);
}

class Ui {
  constructor(
    readonly wb: Workbench,
    readonly sim: SimulatorHandle,
    readonly folder: string,
  ) {}

  get page(): Page {
    return this.wb.page;
  }

  /** The Tokens tree of the Cloudflare Rotate container. */
  tree(): Locator {
    return this.page.locator('.part.sidebar .pane-body .monaco-list');
  }

  /** A tree row by its accessible label ("deploy, rolled just now"). */
  row(label: string | RegExp): Locator {
    return this.page
      .locator('.part.sidebar .pane-body .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: label }) })
      .first();
  }

  toast(text: string | RegExp): Locator {
    return this.page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
  }

  /**
   * A notification with `button`: as a toast, or, when VS Code files it in the notification centre
   * without a toast (it does so right after a modal dialog on some runs), in the centre. What is
   * checked is the notification the extension raised and its action, not VS Code's toast policy.
   */
  async notification(text: string, button: string): Promise<void> {
    const toast = this.toast(text);
    if (await toast.waitFor({ state: 'visible', timeout: 8_000 }).then(() => true, () => false)) {
      await toast.locator('.monaco-button', { hasText: button }).waitFor({ timeout: UI_TIMEOUT });
      return;
    }
    await runCommand(this.page, 'Notifications: Show Notifications');
    const item = this.page.locator('.notifications-center .notification-list-item', { hasText: text }).first();
    await item.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await item.locator('.monaco-button', { hasText: button }).waitFor({ timeout: UI_TIMEOUT });
    await runCommand(this.page, 'Notifications: Hide Notifications');
  }

  dialog(): Locator {
    return this.page.locator('.monaco-dialog-box');
  }

  quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  async shot(name: string, forReadme: boolean, update: boolean): Promise<void> {
    await this.wb.screenshot(`ui-${name}`);
    if (forReadme && update) {
      const dir = path.join(repoRoot(), 'media', 'screenshots');
      fs.mkdirSync(dir, { recursive: true });
      await this.page.screenshot({ path: path.join(dir, `${name}.png`) });
    }
  }

  read(rel: string): string {
    return fs.readFileSync(path.join(this.folder, rel), 'utf8');
  }

  secrets(): Secrets {
    return secretsFromState(this.sim.control.state());
  }

  rolls(): number {
    return this.sim.control.requests().filter((r) => r.op === 'rollAccountToken' || r.op === 'rollUserToken').length;
  }

  /** Drags the sidebar's sash so labels are not truncated in the screenshots (cosmetic). */
  async widenSidebar(width: number): Promise<void> {
    const box = await this.page.locator('.part.sidebar').boundingBox();
    if (!box || box.width >= width) return;
    const y = box.y + box.height / 2;
    await this.page.mouse.move(box.x + box.width - 1, y);
    await this.page.mouse.down();
    await this.page.mouse.move(box.x + width, y, { steps: 8 });
    await this.page.mouse.up();
  }

  /** Dismisses every notification toast (so the next one is easy to see and screenshot). */
  async clearNotifications(): Promise<void> {
    await runCommand(this.page, 'Notifications: Clear All Notifications');
    await this.page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'detached', timeout: UI_TIMEOUT }).catch(() => undefined);
  }
}

type Test = { title: string; run: (ui: Ui) => Promise<void> };

function tests(update: boolean): Test[] {
  const adminToken = (ui: Ui): string => {
    const admin = ui.sim.control.state().userTokens.find((t) => t.name === 'cf-rotate admin');
    if (!admin) throw new Error('the demo scenario has no admin token');
    return admin.value;
  };
  const rotateTitle = commandTitle('cfRotate.rotate');

  return [
    {
      title: 'the Cloudflare Rotate container (activity bar) shows every configured token',
      async run(ui) {
        const item = ui.page.locator('.part.activitybar .action-item .action-label[aria-label^="Cloudflare Rotate"]').first();
        await item.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
        await item.click();
        await ui.page.locator('.part.sidebar .composite.title', { hasText: /Cloudflare Rotate/i }).first().waitFor({ timeout: UI_TIMEOUT });
        await ui.widenSidebar(430);
        for (const name of Object.values(TOKENS)) {
          await ui.row(new RegExp(`^${name}$`)).waitFor({ state: 'visible', timeout: UI_TIMEOUT });
        }
        const description = await ui.row(/^deploy$/).locator('.label-description').textContent();
        equal(description?.trim(), 'not rotated yet', 'description of "deploy"');
        // No credential yet: the tree says so.
        await ui.row('No Cloudflare credential for profile "default"').waitFor({ state: 'visible', timeout: UI_TIMEOUT });
      },
    },
    {
      title: 'the walkthrough counts what already exists when the extension activates (config and tokens done, no credential yet)',
      async run(ui) {
        await runCommand(ui.page, 'Welcome: Open Walkthrough...');
        const qi = ui.quickInput();
        await qi.locator('.monaco-list-row', { hasText: 'Get started with Cloudflare Rotate' }).first().click();
        const step = (id: string): Locator => ui.page.locator(`.getting-started-step[data-step-id$="${id}"]`).first();
        await step('openConfig').waitFor({ state: 'visible', timeout: UI_TIMEOUT });
        // A done step shows the filled check (codicon-pass-filled), an open one an empty circle.
        const done = async (id: string): Promise<boolean> => /\b(complete|codicon-pass-filled)\b/.test((await ui.page.locator(`[data-done-step-id$="${id}"]`).first().getAttribute('class').catch(() => null)) ?? '');
        const deadline = Date.now() + UI_TIMEOUT;
        while (!((await done('openConfig')) && (await done('addToken'))) && Date.now() < deadline) await ui.page.waitForTimeout(200);
        equal(await done('openConfig'), true, 'step "Create .vscode/cf-rotate.json" is done (the folder has one)');
        equal(await done('addToken'), true, 'step "Add a token" is done (the config lists tokens)');
        equal(await done('setCredential'), false, 'step "Set your Cloudflare credential" is not done yet');
        await runCommand(ui.page, 'View: Close All Editors');
      },
    },
    {
      title: 'Set Credential from the command palette: profile, scheme, token in a password box; verified at the simulator',
      async run(ui) {
        const before = ui.sim.control.requests({ op: 'verifyUserToken' }).length;
        await runCommand(ui.page, paletteTitle('cfRotate.setCredential'));
        const qi = ui.quickInput();
        const input = qi.locator('.quick-input-box input');
        await qi.locator('.quick-input-title', { hasText: '(1/3)' }).waitFor({ timeout: UI_TIMEOUT });
        equal(await input.inputValue(), 'default', 'the profile defaults to "default"');
        await input.press('Enter');
        await qi.locator('.quick-input-title', { hasText: '(2/3)' }).waitFor({ timeout: UI_TIMEOUT });
        await qi.locator('.monaco-list-row', { hasText: 'API token' }).first().click();
        await qi.locator('.quick-input-title', { hasText: '(3/3)' }).waitFor({ timeout: UI_TIMEOUT });
        // Back: the scheme again, the counter out of 3 throughout.
        await qi.locator('.quick-input-left-action-bar .action-label, .codicon-quick-input-back').first().click();
        await qi.locator('.quick-input-title', { hasText: '(2/3)' }).waitFor({ timeout: UI_TIMEOUT });
        await qi.locator('.monaco-list-row', { hasText: 'API token' }).first().click();
        await qi.locator('.quick-input-title', { hasText: '(3/3)' }).waitFor({ timeout: UI_TIMEOUT });
        const password = qi.locator('.quick-input-box input[type="password"]');
        await password.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
        await password.fill(adminToken(ui));
        await ui.shot('set-credential', true, update);
        await password.press('Enter');
        await ui.toast('Saved the Cloudflare credential for profile "default" (verified)').waitFor({ timeout: UI_TIMEOUT });
        equal(ui.sim.control.requests({ op: 'verifyUserToken' }).length, before + 1, 'the simulator verified the token once');
        await ui.row('No Cloudflare credential for profile "default"').waitFor({ state: 'detached', timeout: UI_TIMEOUT });
        await ui.clearNotifications();
      },
    },
    {
      title: 'Add Token… from the command palette: kind, credential, a token from Cloudflare\'s list, name, file, variable, schedule → cf-rotate.json and the tree',
      async run(ui) {
        const configFile = path.join(ui.folder, '.vscode', 'cf-rotate.json');
        const original = fs.readFileSync(configFile, 'utf8');
        const preview = ui.sim.control.addAccountToken(DEMO.accountId, { name: 'preview' });
        const qi = ui.quickInput();
        const input = qi.locator('.quick-input-box input');
        const step = (title: string): Promise<void> => qi.locator('.quick-input-title', { hasText: `Add Token: ${title}` }).waitFor({ timeout: UI_TIMEOUT });
        const pick = (label: string | RegExp): Promise<void> => qi.locator('.monaco-list-row', { has: ui.page.locator('.label-name', { hasText: label }) }).first().click();
        const back = (): Promise<void> => qi.locator('.quick-input-left-action-bar .action-label, .codicon-quick-input-back').first().click();
        await runCommand(ui.page, paletteTitle('cfRotate.addToken'));
        await step('Kind');
        await pick('Account API token');
        await step('Credential');
        await pick(/^default$/);
        // One account at the simulator: no account question; its tokens come from Cloudflare's list.
        await step('Token');
        await qi.locator('.quick-input-title', { hasText: 'Add Token: Token (3/6)' }).waitFor({ timeout: UI_TIMEOUT });
        await pick(/^deploy$/);
        // "deploy" is configured already: the wizard says so; Back returns to the token list.
        await step('Already configured');
        await back();
        await step('Token');
        await pick(/^preview$/);
        await step('Name');
        await qi.locator('.quick-input-title', { hasText: 'Add Token: Name (4/6)' }).waitFor({ timeout: UI_TIMEOUT });
        equal(await input.inputValue(), 'preview', 'the name is suggested from the token');
        // Back from the name: the token list again (step 3 of 6), then forward once more.
        await back();
        await qi.locator('.quick-input-title', { hasText: 'Add Token: Token (3/6)' }).waitFor({ timeout: UI_TIMEOUT });
        await pick(/^preview$/);
        await step('Name');
        await input.press('Enter');
        await step('Target file');
        await pick(/^\.env$/);
        await step('Variable for the token');
        // The suggested variable is taken by "deploy": the box says so and refuses it.
        await input.press('Enter');
        await qi.locator('.quick-input-message', { hasText: 'already written by another token' }).waitFor({ timeout: UI_TIMEOUT });
        await input.fill('PREVIEW_API_TOKEN');
        await input.press('Enter');
        await step('Schedule');
        // No schedule: a scheduled token is overdue at once (never rotated), which adds a second
        // toast; with it, waiting for the "Added" toast timed out in 2 of 4 runs (cause not found).
        await pick('No schedule');
        await ui.toast('Added "preview" to .vscode/cf-rotate.json').waitFor({ state: 'visible', timeout: UI_TIMEOUT });
        await ui.row(/^preview$/).waitFor({ state: 'visible', timeout: UI_TIMEOUT });

        const config = parseJsonc(fs.readFileSync(configFile, 'utf8')) as { tokens: Record<string, unknown>[] };
        const added = config.tokens.find((t) => t.name === 'preview');
        equal(JSON.stringify(added), JSON.stringify({ name: 'preview', kind: 'account-api-token', accountId: DEMO.accountId, tokenId: preview.id, targets: [{ file: '.env', key: 'PREVIEW_API_TOKEN' }] }), 'the new cf-rotate.json entry');
        equal(config.tokens.length, Object.keys(TOKENS).length + 1, 'the other entries are kept');
        expect(!fs.readFileSync(configFile, 'utf8').includes(preview.value), 'cf-rotate.json holds no secret');
        equal(ui.read('.env'), envText(ui.secrets()), '.env is untouched until the first rotation');

        // Back to the fixture's configuration for the tests that follow.
        fs.writeFileSync(configFile, original);
        await ui.row(/^preview$/).waitFor({ state: 'detached', timeout: UI_TIMEOUT });
        await ui.clearNotifications();
      },
    },
    {
      title: 'Add Token… for a Turnstile widget and an OAuth client: each picked from Cloudflare\'s list of the account, with its own suggested variable',
      async run(ui) {
        const configFile = path.join(ui.folder, '.vscode', 'cf-rotate.json');
        const original = fs.readFileSync(configFile, 'utf8');
        const widget = ui.sim.control.addTurnstileWidget({ accountId: DEMO.accountId, name: 'signup form', domains: ['shop.example'] });
        ui.sim.control.addTurnstileWidget({ accountId: DEMO.accountId, name: 'contact form' });
        const client = ui.sim.control.addOAuthClient({ accountId: DEMO.accountId, name: 'dashboard login' });
        const qi = ui.quickInput();
        const input = qi.locator('.quick-input-box input');
        const step = (title: string): Promise<void> => qi.locator('.quick-input-title', { hasText: `Add Token: ${title}` }).waitFor({ timeout: UI_TIMEOUT });
        const row = (label: string | RegExp): Locator => qi.locator('.monaco-list-row', { has: ui.page.locator('.label-name', { hasText: label }) }).first();
        const lists = (op: OperationName): number => ui.sim.control.requests({ op }).length;
        const add = async (kindLabel: string, listTitle: string, listOp: OperationName, item: string, detail: string, name: string, variable: string): Promise<void> => {
          const before = lists(listOp);
          await runCommand(ui.page, paletteTitle('cfRotate.addToken'));
          await step('Kind');
          await row(kindLabel).click();
          await step('Credential');
          await row(/^default$/).click();
          await qi.locator('.quick-input-title', { hasText: `Add Token: ${listTitle} (3/6)` }).waitFor({ timeout: UI_TIMEOUT });
          // The row shows what Cloudflare's list says about it (the sitekey and domains, the client id).
          await row(item).waitFor({ state: 'visible', timeout: UI_TIMEOUT });
          expect(((await row(item).innerText()).replace(/\s+/g, ' ')).includes(detail), `the "${item}" row shows ${detail}`);
          equal(lists(listOp) - before, 1, `the ${listTitle} list was read from Cloudflare once`);
          await row(item).click();
          await step('Name');
          equal(await input.inputValue(), name, 'the name is suggested from Cloudflare\'s name');
          await input.press('Enter');
          await step('Target file');
          await row(/^\.env$/).click();
          await step('Variable for the');
          equal(await input.inputValue(), variable, 'the suggested variable');
          await input.press('Enter');
          await step('Schedule');
          await row('No schedule').click();
          await ui.toast(`Added "${name}" to .vscode/cf-rotate.json`).waitFor({ state: 'visible', timeout: UI_TIMEOUT });
          await ui.row(new RegExp(`^${name}$`)).waitFor({ state: 'visible', timeout: UI_TIMEOUT });
        };
        await add('Turnstile widget secret', 'Widget', 'listTurnstileWidgets', 'signup form', `${widget.sitekey} · shop.example`, 'signup form', 'TURNSTILE_SECRET_KEY');
        await ui.clearNotifications();
        await add('OAuth client secret', 'OAuth client', 'listOAuthClients', 'dashboard login', client.clientId, 'dashboard login', 'CLOUDFLARE_OAUTH_CLIENT_SECRET');

        const config = parseJsonc(fs.readFileSync(configFile, 'utf8')) as { tokens: Record<string, unknown>[] };
        equal(
          JSON.stringify(config.tokens.find((t) => t.name === 'signup form')),
          JSON.stringify({ name: 'signup form', kind: 'turnstile-secret', accountId: DEMO.accountId, sitekey: widget.sitekey, targets: [{ file: '.env', key: 'TURNSTILE_SECRET_KEY' }] }),
          'the Turnstile entry',
        );
        equal(
          JSON.stringify(config.tokens.find((t) => t.name === 'dashboard login')),
          JSON.stringify({ name: 'dashboard login', kind: 'oauth-client-secret', accountId: DEMO.accountId, clientId: client.clientId, targets: [{ file: '.env', key: 'CLOUDFLARE_OAUTH_CLIENT_SECRET' }] }),
          'the OAuth-client entry',
        );
        const text = fs.readFileSync(configFile, 'utf8');
        expect(!text.includes(widget.secret) && !text.includes(client.secret), 'cf-rotate.json holds no secret');
        equal(ui.sim.control.requests().filter((r) => r.op === 'rotateTurnstileSecret' || r.op === 'rotateOAuthClientSecret').length, 0, 'adding rotates nothing');

        fs.writeFileSync(configFile, original);
        await ui.row(/^signup form$/).waitFor({ state: 'detached', timeout: UI_TIMEOUT });
        await ui.clearNotifications();
      },
    },
    {
      title: 'a "replace" rotation: the status bar counts the previous token still working; clicking it retires the token at once',
      async run(ui) {
        const configFile = path.join(ui.folder, '.vscode', 'cf-rotate.json');
        const original = fs.readFileSync(configFile, 'utf8');
        const originalEnv = ui.read('.env');
        try {
          const nightly = ui.sim.control.addAccountToken(DEMO.accountId, { name: 'nightly', permissions: ['Workers Scripts Write'] });
          const config = parseJsonc(original) as { tokens: unknown[] };
          config.tokens.push({ name: 'nightly', kind: 'account-api-token', accountId: DEMO.accountId, tokenId: nightly.id, strategy: 'replace', overlap: '24h', targets: [{ file: '.env', key: 'NIGHTLY_TOKEN' }] });
          fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
          await ui.row(/^nightly$/).waitFor({ state: 'visible', timeout: UI_TIMEOUT });
          const retiring = ui.page.locator('.part.statusbar .statusbar-item', { hasText: /\d+ retiring/ });
          equal(await retiring.count(), 0, 'no retirement is counted before the rotation');

          const row = ui.row(/^nightly$/);
          await row.hover();
          await row.locator(`.action-label[aria-label="${rotateTitle}"]`).click();
          await ui.dialog().locator('.monaco-button', { hasText: /^Rotate$/ }).click();
          await retiring.filter({ hasText: '1 retiring' }).waitFor({ state: 'visible', timeout: UI_TIMEOUT });
          const state = (): { live: boolean; twin: string | undefined } => {
            const tokens = ui.sim.control.state().accountTokens;
            return { live: tokens.some((t) => t.id === nightly.id), twin: tokens.find((t) => t.id !== nightly.id && t.name.startsWith('nightly'))?.value };
          };
          const after = state();
          expect(after.live, 'the previous token still works during the overlap');
          expect(after.twin !== undefined && ui.read('.env').includes(`NIGHTLY_TOKEN=${after.twin}`), '.env holds the twin\'s value');
          const label = (await retiring.first().getAttribute('aria-label')) ?? '';
          expect(/\b1 previous Cloudflare credentials? pending retirement/.test(label), `the status item says what it counts (aria-label: ${label})`);

          // Clicking the count lists what is pending (nothing preselected: deleting is not undone), then asks.
          await retiring.first().click();
          const qi = ui.quickInput();
          await qi.locator('.monaco-list-row', { hasText: nightly.id }).first().click();
          await qi.locator('.monaco-button', { hasText: /^OK$/ }).click();
          const dialog = ui.dialog();
          await dialog.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
          expect((await dialog.innerText()).includes('now?'), 'the modal asks before deleting');
          equal(state().live, true, 'nothing is deleted before confirming');
          await dialog.locator('.monaco-button', { hasText: /^Delete Now$/ }).click();
          await retiring.first().waitFor({ state: 'detached', timeout: UI_TIMEOUT });
          equal(state().live, false, 'the previous token is deleted at Cloudflare');
        } finally {
          fs.writeFileSync(configFile, original);
          fs.writeFileSync(path.join(ui.folder, '.env'), originalEnv);
        }
        await ui.row(/^nightly$/).waitFor({ state: 'detached', timeout: UI_TIMEOUT });
        await ui.clearNotifications();
      },
    },
    {
      title: 'the tree shows a token\'s target files when expanded (no secret on screen)',
      async run(ui) {
        await ui.row(/^ci-access$/).click();
        await ui.row('.env › CF_ACCESS_CLIENT_ID').waitFor({ state: 'visible', timeout: UI_TIMEOUT });
        await ui.row('.env › CF_ACCESS_CLIENT_SECRET').waitFor({ state: 'visible', timeout: UI_TIMEOUT });
        const text = (await ui.tree().innerText()).replace(/\s+/g, ' ');
        const s = ui.secrets();
        for (const v of [s.deploy, s.me, s.ciClientSecret, s.zoneClientSecret, s.moq]) expect(!text.includes(v), 'the tree shows no secret');
        await ui.row(/^deploy$/).hover();
        await ui.shot('tokens-view', true, update);
      },
    },
    {
      title: 'cancelling the confirmation rotates nothing',
      async run(ui) {
        const rolls = ui.rolls();
        const row = ui.row(/^me$/);
        // A hover left open by the test before (a token's tooltip) can cover the row on a slow machine.
        await ui.page.mouse.move(700, 700);
        await ui.page.keyboard.press('Escape');
        await ui.page.locator('.context-view .monaco-hover').waitFor({ state: 'hidden', timeout: UI_TIMEOUT }).catch(() => undefined);
        await row.hover();
        await row.locator(`.action-label[aria-label="${rotateTitle}"]`).click();
        await ui.dialog().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
        await ui.dialog().locator('.monaco-button', { hasText: /^Cancel$/ }).click();
        await ui.dialog().waitFor({ state: 'detached', timeout: UI_TIMEOUT });
        equal(ui.rolls(), rolls, 'no roll request');
        equal(ui.read('.env'), envText(ui.secrets()), '.env is unchanged');
      },
    },
    {
      title: 'rotate "deploy" from its inline action: modal confirmation, success notification, .env and simulator agree',
      async run(ui) {
        const old = ui.secrets();
        const row = ui.row(/^deploy$/);
        await row.hover();
        const action = row.locator(`.action-label[aria-label="${rotateTitle}"]`);
        await action.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
        await action.click();
        const dialog = ui.dialog();
        await dialog.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
        const text = await dialog.innerText();
        expect(text.includes('Rotate "deploy" now?'), `the modal asks to confirm (got: ${text})`);
        expect(text.includes('.env › CLOUDFLARE_API_TOKEN'), 'the modal lists the file that changes');
        expect(text.includes('invalidates the current value'), 'the modal says what stops working');
        await ui.shot('rotate-confirmation', true, update);
        equal(ui.rolls(), 0, 'nothing is rotated before confirming');
        await dialog.locator('.monaco-button', { hasText: /^Rotate$/ }).click();
        await ui.notification('Rotated "deploy" → .env › CLOUDFLARE_API_TOKEN.', 'Open .env');
        await ui.row(/^deploy$/).locator('.label-description', { hasText: 'rolled just now' }).waitFor({ timeout: UI_TIMEOUT });
        await ui.shot('rotation-success', true, update);

        const now = ui.secrets();
        expect(now.deploy !== old.deploy, 'the simulator holds a new value');
        const live = ui.sim.control.state().accountTokens.find((t) => t.name === 'deploy');
        equal(live?.previousValue, old.deploy, 'the old value was revoked');
        equal(ui.read('.env'), envText(now), '.env holds the new value, every other byte unchanged');
        equal(ui.rolls(), 1, 'exactly one roll');
      },
    },
    {
      title: 'a rotation whose file write fails keeps the new secret in the journal; the tree offers to resume it',
      async run(ui) {
        await ui.clearNotifications();
        const before = ui.read('.env');
        const old = ui.secrets();
        ui.sim.control.addFault({ op: 'rollAccountToken', type: 'latency', ms: 2000 });
        const row = ui.row(/^deploy$/);
        await row.hover();
        await row.locator(`.action-label[aria-label="${rotateTitle}"]`).click();
        await ui.dialog().locator('.monaco-button', { hasText: /^Rotate$/ }).click();
        // While Cloudflare "works", .env turns into a directory: the write after the roll must fail.
        const deadline = Date.now() + UI_TIMEOUT;
        while (ui.sim.control.stats().inFlight === 0) {
          expect(Date.now() < deadline, 'the roll reached the simulator');
          await ui.page.waitForTimeout(20);
        }
        const env = path.join(ui.folder, '.env');
        fs.renameSync(env, `${env}.aside`);
        fs.mkdirSync(env);
        try {
          const toast = ui.toast('Rotation of "deploy" is not finished');
          await toast.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
          expect((await toast.innerText()).includes('the new secret is kept safely'), 'the notification says the secret is safe');
          await toast.locator('.monaco-button', { hasText: 'Resume' }).waitFor({ timeout: UI_TIMEOUT });
        } finally {
          fs.rmdirSync(env);
          fs.renameSync(`${env}.aside`, env);
        }
        expect(ui.secrets().deploy !== old.deploy, 'Cloudflare rolled the token');
        equal(ui.read('.env'), before, '.env still holds the old value');
        await ui.row(/^deploy$/).locator('.label-description', { hasText: 'interrupted rotation · resume it' }).waitFor({ timeout: UI_TIMEOUT });
        await ui.clearNotifications();
      },
    },
    {
      title: 'after a window reload, activation offers to finish the interrupted rotation; Resume writes the journaled secret',
      async run(ui) {
        await ui.page.reload();
        await waitForWorkbench(ui.page);
        const offer = ui.toast('A rotation was interrupted ("deploy")');
        await offer.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
        expect((await offer.innerText()).includes('A new secret waits to be written into your files'), 'the offer says a secret waits');
        await ui.shot('resume-offer', false, update);
        await offer.locator('.monaco-button', { hasText: /^Resume$/ }).click();
        const pick = ui.quickInput().locator('.monaco-list-row', { hasText: 'deploy' }).first();
        await pick.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
        await ui.quickInput().locator('.quick-input-box input').press('Enter');
        await ui.toast('Finished the interrupted rotation of "deploy"').waitFor({ state: 'visible', timeout: UI_TIMEOUT });
        equal(ui.read('.env'), envText(ui.secrets()), '.env holds the journaled value Cloudflare accepts');
        await ui.row(/^deploy$/).locator('.label-description', { hasText: 'rolled just now' }).waitFor({ timeout: UI_TIMEOUT });
      },
    },
  ];
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { 'update-screenshots': { type: 'boolean', default: false } } });
  const t0 = Date.now();
  await provision();
  const root = repoRoot();
  if (!fs.existsSync(path.join(root, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing: run "node esbuild.js" first');
  const sim = await start({ port: 0, scenario: 'demo' });
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'cfr-ui-'));
  writeWorkspace(folder, sim.control.state());
  let server: CodeServer | undefined;
  let wb: Workbench | undefined;
  const results: Array<{ title: string; ok: boolean; ms: number; error?: string }> = [];
  try {
    // Short requests: an unanswered one is settled within seconds (default 20 s + 10 s).
    server = await launchCodeServer({ folder, settings: { 'cfRotate.apiBaseUrl': sim.url }, machineSettings: { 'cfRotate.apiBaseUrl': sim.url }, env: { CF_ROTATE_TIMEOUT: '3' } });
    wb = await openWorkbench(server.url, { folder, payload: devPayload(server.url, root) });
    await wb.page.setViewportSize(VIEWPORT);
    await waitForWorkbench(wb.page);
    const ui = new Ui(wb, sim, folder);
    for (const t of tests(values['update-screenshots'] === true)) {
      const started = Date.now();
      try {
        await t.run(ui);
        results.push({ title: t.title, ok: true, ms: Date.now() - started });
      } catch (e) {
        const slug = t.title.replace(/[^\w]+/g, '-').slice(0, 60).replace(/-+$/, '');
        const shot = await wb.screenshot(`ui-${slug}-failure`).catch(() => undefined);
        results.push({ title: t.title, ok: false, ms: Date.now() - started, error: `${e instanceof Error ? e.message : String(e)}${shot ? `\n(screenshot: ${shot})` : ''}` });
        // Leave no dialog or quick input open for the next test.
        await wb.page.keyboard.press('Escape').catch(() => undefined);
      }
    }
  } catch (e) {
    results.push({ title: 'UI harness', ok: false, ms: 0, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    if (wb) await wb.screenshot('ui-harness-failure').catch(() => undefined);
  } finally {
    const failed = results.filter((r) => !r.ok);
    if (failed.length > 0 && wb) saveFailureDiagnostics('ui', wb, server);
    await wb?.close().catch(() => undefined);
    await server?.stop();
    await sim.close();
    if (failed.length === 0) fs.rmSync(folder, { recursive: true, force: true });
  }
  const out = (s: string): boolean => process.stdout.write(`${s}\n`);
  out('\nui');
  for (const r of results) out(`  ${r.ok ? '✓' : '✗'} ${r.title} (${r.ms} ms)`);
  results.filter((r) => !r.ok).forEach((r, i) => out(`\n  ${i + 1}) ${r.title}\n     ${(r.error ?? '').split('\n').join('\n     ')}`));
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  out(`\nui: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  out(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[ui] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
