/** Drives the VS Code workbench in Debian's headless Chromium through playwright-core (no browser download). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { log, resultsDir } from './util';

export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** `[name, value]` pairs VS Code reads from the `payload` query parameter. */
export type Payload = Array<[string, string]>;

export interface WorkbenchOptions {
  /** Folder to open (absolute path on the server); defaults to the one code-server was started with. */
  folder?: string;
  payload?: Payload;
  /** Where screenshot() writes; defaults to <repo>/test-results. */
  screenshotDir?: string;
}

export interface Workbench {
  browser: Browser;
  page: Page;
  /** Browser console lines, for debugging failures. */
  console: string[];
  /** Saves a PNG as <screenshotDir>/<name>.png and returns its path. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** A server path as a URI of the remote (code-server) file system. */
export function remoteUri(serverUrl: string, absPath: string): string {
  return `vscode-remote://${new URL(serverUrl).host}${path.resolve(absPath)}`;
}

/** Payload that loads an extension under development (and optionally runs its tests) in the remote extension host. */
export function devPayload(serverUrl: string, extensionDevelopmentPath: string, extensionTestsPath?: string): Payload {
  const payload: Payload = [['extensionDevelopmentPath', remoteUri(serverUrl, extensionDevelopmentPath)]];
  if (extensionTestsPath) payload.push(['extensionTestsPath', remoteUri(serverUrl, extensionTestsPath)]);
  return payload;
}

export function workbenchUrl(serverUrl: string, opts: WorkbenchOptions = {}): string {
  const query: string[] = [];
  if (opts.folder) query.push(`folder=${encodeURIComponent(path.resolve(opts.folder))}`);
  if (opts.payload) query.push(`payload=${encodeURIComponent(JSON.stringify(opts.payload))}`);
  return `${serverUrl}/${query.length ? `?${query.join('&')}` : ''}`;
}

export async function openWorkbench(serverUrl: string, opts: WorkbenchOptions = {}): Promise<Workbench> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: run node out/test/harness/provision.js`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const consoleLines: string[] = [];
  page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
  const screenshotDir = opts.screenshotDir ?? resultsDir();
  await page.goto(workbenchUrl(serverUrl, opts));
  return {
    browser,
    page,
    console: consoleLines,
    async screenshot(name: string): Promise<string> {
      fs.mkdirSync(screenshotDir, { recursive: true });
      const file = path.join(screenshotDir, `${name.replace(/[^\w.-]+/g, '_')}.png`);
      await page.screenshot({ path: file });
      return file;
    },
    close: () => browser.close(),
  };
}

/**
 * Waits for the workbench DOM and for the extension host to have registered its
 * extensions (VS Code's `code/didLoadExtensions` performance mark).
 */
export async function waitForWorkbench(page: Page, timeoutMs = 90_000): Promise<void> {
  await page.waitForSelector('.monaco-workbench', { timeout: timeoutMs });
  await page.waitForFunction(() => performance.getEntriesByName('code/didLoadExtensions').length > 0, undefined, {
    timeout: timeoutMs,
    polling: 250,
  });
}

/** Clicks the empty middle of the status bar (items sit at both ends), taking focus from any page or webview. */
async function focusStatusBar(page: Page): Promise<void> {
  const bar = page.locator('.part.statusbar');
  const box = await bar.boundingBox().catch(() => null);
  if (!box) return;
  await bar.click({ position: { x: box.width / 2, y: box.height / 2 }, timeout: 3_000 }).catch(() => undefined);
}

/**
 * Runs a command by its exact title ("Category: Title") through the command palette:
 * F1, type, pick the row with that exact label (so a longer title that sorts first is
 * never run by mistake). Retries until the palette lists it or timeoutMs passes.
 */
export async function runCommand(page: Page, title: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const input = page.locator('.quick-input-widget .quick-input-box input');
  const row = page
    .locator(
      `.quick-input-widget .monaco-list-row[aria-label=${JSON.stringify(title)}], ` +
        `.quick-input-widget .monaco-list-row[aria-label^=${JSON.stringify(`${title}, `)}]`,
    )
    .first();
  for (let attempt = 0; ; attempt++) {
    // F1 can land in a part that keeps the key (a walkthrough page just opened, a webview):
    // on a retry the workbench's own status bar takes focus first, and the other shortcut is used.
    if (attempt > 0) await focusStatusBar(page);
    await page.keyboard.press(attempt % 2 === 0 ? 'F1' : 'Control+Shift+P');
    const opened = await input.waitFor({ state: 'visible', timeout: 5_000 }).then(
      () => true,
      () => false,
    );
    if (!opened) {
      if (Date.now() > deadline) throw new Error(`the command palette did not open to run "${title}"`);
      continue;
    }
    // The palette can close again at once (focus moving to a page that just opened): try again.
    const filled = await input.fill(`>${title}`, { timeout: 3_000 }).then(
      () => true,
      () => false,
    );
    if (filled && (await row.waitFor({ state: 'visible', timeout: 3_000 }).then(() => true, () => false))) {
      await row.click();
      await input.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
      log(`ran command "${title}"`);
      return;
    }
    await page.keyboard.press('Escape');
    if (Date.now() > deadline) throw new Error(`command "${title}" not found in the command palette`);
    await page.waitForTimeout(500);
  }
}
