/**
 * End-to-end check of `npm start` (scripts/demo.ts):
 *
 *   node out/scripts/demo-check.js [--update-screenshot] [--timeout SECONDS]
 *
 * 1. starts `node out/scripts/demo.js --no-open --no-seed` on free ports, with its own workspace
 *    under .tmp/ (so a demo you are running in demo-workspace/ is left alone; removed at the end);
 * 2. opens the printed URL in Debian's Chromium (playwright-core, like the test harness);
 * 3. sees the welcome view ask for a credential, sets the demo admin token through the command
 *    palette ("Cloudflare Rotate: Set Credential…": profile, "API token", the token);
 * 4. checks that the Cloudflare Rotate view lists the five demo tokens;
 * 5. rotates "deploy" with the tree's inline Rotate Now action and confirms the modal;
 * 6. checks .env on disk: only the value of CLOUDFLARE_API_TOKEN changed, and it is the secret
 *    the simulator now accepts; the old one is refused;
 * 7. adds the demo user's email + Global API key beside the token through the palette (Set
 *    Credential, "Email + Global API key", "Keep both"): the zone-level Access service token
 *    accepts nothing else;
 * 8. rotates every demo token with "Rotate All Tokens…" and checks that each target file holds
 *    the value the simulator now accepts, for every token;
 * 9. stops the demo as `npm start` is stopped from outside: the demo runs under a shell (as npm
 *    runs it), and SIGTERM goes to that shell only; checks that code-server and the simulator
 *    are gone all the same.
 * Also: the simulator lists credentials the demo does not configure yet (for Add Token), the
 * demo's user-data dir is its own and new (no history of an earlier run), and .vscode-test/runs/
 * does not grow.
 *
 * Screenshots go to test-results/demo-check-*.png; --update-screenshot also writes
 * media/screenshots/demo.png. Exit status 0 only if every step passed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { openWorkbench, runCommand, waitForWorkbench, type Payload, type Workbench } from '../test/harness/browser';
import { repoRoot, resultsDir } from '../test/harness/util';
import { DEMO } from '../test/simulator/scenarios';
import { demoDotEnv, demoUserDataDir, UNCONFIGURED } from './demo';

const ROOT = repoRoot();
const TOKEN_NAMES = ['deploy', 'me', 'ci-access', 'zone-access', 'demo-live'];

function log(message: string): void {
  process.stdout.write(`[demo-check] ${message}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Args {
  updateScreenshot: boolean;
  timeoutMs: number;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { updateScreenshot: false, timeoutMs: 900_000 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--update-screenshot') a.updateScreenshot = true;
    else if (arg === '--timeout') a.timeoutMs = Number(argv[++i]) * 1000;
    else {
      process.stderr.write(`demo-check: unknown option ${arg}\nUsage: node out/scripts/demo-check.js [--update-screenshot] [--timeout SECONDS]\n`);
      process.exit(2);
    }
  }
  if (!Number.isFinite(a.timeoutMs) || a.timeoutMs <= 0) {
    process.stderr.write('demo-check: --timeout needs a positive number of seconds\n');
    process.exit(2);
  }
  return a;
}

// ------------------------------------------------------------------------ the demo process

interface DemoProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startDemoProcess(workspace: string): DemoProcess {
  const script = path.join(ROOT, 'out', 'scripts', 'demo.js');
  // Under a shell that does not exec node (as npm runs a script: npm → sh → node): a signal to
  // the shell does not reach the demo, which must notice that its parent has gone.
  const q = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;
  const cmd = [process.execPath, script, '--no-open', '--no-seed', '--port', '0', '--sim-port', '0', '--latency', '0', '--workspace', workspace].map(q).join(' ');
  const child = spawn('sh', ['-c', `${cmd}; exit $?`], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

interface SimStateLite {
  accountTokens: { name: string; value: string }[];
  userTokens: { name: string; value: string }[];
  serviceTokens: { name: string; clientId: string; clientSecret: string }[];
  moqRelays: { name: string; tokens: { secret: string; type: string }[] }[];
}

/**
 * Waits until the files of the demo workspace hold, for every demo token, the value the simulator
 * accepts now, and that value is not the demo's initial one. Returns a summary (no secrets).
 */
async function waitForAllRotated(simOrigin: string, workspace: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let problem = 'not checked yet';
  while (Date.now() < deadline) {
    const st = (await getJson(`${simOrigin}/__sim/state`)).body as SimStateLite;
    const env = fs.readFileSync(path.join(workspace, '.env'), 'utf8');
    const vars = fs.readFileSync(path.join(workspace, '.dev.vars'), 'utf8');
    const value = (text: string, key: string): string | undefined => new RegExp(`^(?:export )?${key}=["']?([^"'\\s#]+)`, 'm').exec(text)?.[1];
    const svc = (name: string) => st.serviceTokens.find((t) => t.name === name);
    const pub = st.moqRelays.find((r) => r.name === 'demo-live')?.tokens.filter((t) => t.type === 'publish_subscribe') ?? [];
    const checks: [string, string | undefined, string | undefined, string][] = [
      ['deploy', value(env, 'CLOUDFLARE_API_TOKEN'), st.accountTokens.find((t) => t.name === 'deploy')?.value, DEMO.accountToken.value],
      ['me', value(env, 'CF_USER_TOKEN'), st.userTokens.find((t) => t.name === 'me')?.value, DEMO.userToken.value],
      ['ci-access', value(env, 'CF_ACCESS_CLIENT_SECRET'), svc('ci-access')?.clientSecret, DEMO.serviceToken.clientSecret],
      ['zone-access', value(vars, 'ZONE_ACCESS_CLIENT_SECRET'), svc('zone-access')?.clientSecret, DEMO.zoneServiceToken.clientSecret],
      ['demo-live', value(vars, 'MOQ_RELAY_TOKEN'), pub.length === 1 ? pub[0]?.secret : undefined, DEMO.relay.token.value],
    ];
    const bad = checks.filter(([, file, accepted, initial]) => file === undefined || file !== accepted || file === initial).map(([name]) => name);
    if (bad.length === 0) return `${checks.length} tokens rotated: ${checks.map(([n]) => n).join(', ')}`;
    problem = `not rotated into the files yet: ${bad.join(', ')}`;
    await sleep(500);
  }
  throw new Error(problem);
}

/** The value after `label` on the banner line that starts with it. */
function bannerValue(output: string, label: string): string | undefined {
  const m = new RegExp(`^\\s*${label}:\\s+(\\S+)`, 'm').exec(output);
  return m?.[1];
}

async function waitForBanner(demo: DemoProcess, timeoutMs: number): Promise<{ url: string; simUrl: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const url = bannerValue(demo.output(), 'Open');
    const simUrl = bannerValue(demo.output(), 'Simulator');
    if (url && simUrl) return { url, simUrl };
    if (demo.child.exitCode !== null) throw new Error(`the demo exited (${demo.child.exitCode}) before printing its URL`);
    if (Date.now() > deadline) throw new Error('the demo printed no URL in time');
    await sleep(250);
  }
}

function httpAnswers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/** SIGTERM to the shell the demo runs under (as to npm); the shell dies at once, the demo must follow. */
async function stopDemo(demo: DemoProcess): Promise<number | null> {
  if (demo.child.exitCode !== null || demo.child.signalCode !== null) return demo.child.exitCode;
  demo.child.kill('SIGTERM');
  const code = await Promise.race([demo.exited, sleep(20_000).then(() => 'timeout' as const)]);
  if (code === 'timeout') {
    demo.child.kill('SIGKILL');
    throw new Error('the shell did not stop within 20 s of SIGTERM');
  }
  return code;
}

async function gone(urls: readonly (string | undefined)[], timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const up: string[] = [];
    for (const u of urls) if (u && (await httpAnswers(u))) up.push(u);
    if (up.length === 0 || Date.now() > deadline) return up.join(', ');
    await sleep(500);
  }
}

// ------------------------------------------------------------------------------- the page

async function getJson(url: string, token?: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

function sidebar(page: Page) {
  return page.locator('[id="workbench.parts.sidebar"]');
}

function tokenRow(page: Page, name: string) {
  return sidebar(page).locator(`.monaco-list-row[aria-label^=${JSON.stringify(`${name}, `)}]`);
}

async function showCloudflareView(page: Page): Promise<void> {
  const item = page.locator('.activitybar .action-item .action-label[aria-label^="Cloudflare Rotate"]').first();
  await item.waitFor({ state: 'visible', timeout: 60_000 });
  const header = sidebar(page).locator('.composite.title', { hasText: 'Cloudflare Rotate' });
  if (!(await header.isVisible().catch(() => false))) await item.click();
  await header.waitFor({ state: 'visible', timeout: 15_000 });
}

async function quickInput(page: Page, titlePart: string): Promise<void> {
  await page.locator('.quick-input-widget .quick-input-title', { hasText: titlePart }).waitFor({ state: 'visible', timeout: 20_000 });
}

async function setCredentialThroughPalette(page: Page, token: string): Promise<void> {
  await runCommand(page, 'Cloudflare Rotate: Set Credential…');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await quickInput(page, '(1/3)');
  await input.fill('default');
  await page.keyboard.press('Enter');
  await quickInput(page, '(2/3)');
  await page.locator('.quick-input-widget .monaco-list-row[aria-label^="API token"]').first().click();
  await quickInput(page, '(3/3)');
  await input.fill(token);
  await page.keyboard.press('Enter');
  await page.locator('.notifications-toasts', { hasText: 'Saved the Cloudflare credential for profile "default" (verified)' }).waitFor({ state: 'visible', timeout: 30_000 });
}

/** Set Credential again for "default" with the Global API key, and keep the stored API token beside it. */
async function addGlobalKeyThroughPalette(page: Page, email: string, key: string): Promise<void> {
  await runCommand(page, 'Notifications: Clear All Notifications');
  await runCommand(page, 'Cloudflare Rotate: Set Credential…');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await quickInput(page, '(1/3)');
  await input.fill('default');
  await page.keyboard.press('Enter');
  await quickInput(page, '(2/3)');
  await page.locator('.quick-input-widget .monaco-list-row[aria-label^="Email + Global API key"]').first().click();
  // One counter out of 3 throughout: the email, then the key (a password box) are both step 3.
  await quickInput(page, '(3/3)');
  await input.fill(email);
  await page.keyboard.press('Enter');
  const password = page.locator('.quick-input-widget .quick-input-box input[type="password"]');
  await password.waitFor({ state: 'visible', timeout: 20_000 });
  await quickInput(page, '(3/3)');
  await password.fill(key);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget .monaco-list-row[aria-label^="Keep both"]').first().click({ timeout: 30_000 });
  await page
    .locator('.notifications-toasts', { hasText: 'Saved the Cloudflare credential for profile "default" (verified) in the secret storage: an API token and email + Global API key' })
    .waitFor({ state: 'visible', timeout: 30_000 });
}

/** Expands a token and clicks its target: the extension's Reveal Target opens the file at the variable. */
async function revealTargetFromTree(page: Page, token: string, file: string, key: string): Promise<void> {
  const row = tokenRow(page, token);
  if ((await row.getAttribute('aria-expanded')) !== 'true') await row.locator('.monaco-tl-twistie').click();
  const target = sidebar(page).locator(`.monaco-list-row[aria-label^=${JSON.stringify(`${file} › ${key}`)}]`).first();
  await target.waitFor({ state: 'visible', timeout: 15_000 });
  await target.click();
  await page.locator('.tabs-container .tab', { hasText: file }).first().waitFor({ state: 'visible', timeout: 15_000 });
}

function envValue(text: string, key: string): string | undefined {
  const m = new RegExp(`^${key}=(.*)$`, 'm').exec(text);
  return m?.[1];
}

// -------------------------------------------------------------------------------- the check

interface Step {
  name: string;
  ok: boolean;
  detail?: string;
}

async function check(args: Args): Promise<Step[]> {
  const steps: Step[] = [];
  const pass = (name: string, detail?: string): void => {
    steps.push({ name, ok: true, ...(detail ? { detail } : {}) });
    log(`ok   ${name}${detail ? ` (${detail})` : ''}`);
  };
  const scratch = path.join(ROOT, '.tmp', `demo-check-${process.pid}`);
  const workspace = path.join(scratch, 'demo-workspace');
  const envFile = path.join(workspace, '.env');
  const t0 = Date.now();
  const runsDir = path.join(ROOT, '.vscode-test', 'runs');
  const runsBefore = fs.existsSync(runsDir) ? fs.readdirSync(runsDir).length : 0;
  const demo = startDemoProcess(workspace);
  let wb: Workbench | undefined;
  let current = 'start the demo';
  try {
    const { url, simUrl } = await waitForBanner(demo, args.timeoutMs);
    pass(current, `${((Date.now() - t0) / 1000).toFixed(1)} s`);
    log(`URL ${url}`);
    const u = new URL(url);
    const folder = u.searchParams.get('folder') ?? undefined;
    const payload = JSON.parse(u.searchParams.get('payload') ?? '[]') as Payload;
    const original = fs.readFileSync(envFile, 'utf8');
    if (original !== demoDotEnv()) throw new Error('the demo .env is not the expected demo file');

    current = 'a fresh demo: its own new user-data dir (no earlier history), .vscode-test/runs/ unchanged, credentials to add';
    const userData = demoUserDataDir(ROOT, workspace);
    if (!demo.output().includes(`user data ${userData}`)) throw new Error(`the demo does not use ${userData}`);
    const state = path.join(userData, 'cf-rotate-state');
    const leftovers = fs.existsSync(state) ? fs.readdirSync(state, { recursive: true }).map(String).filter((f) => /history/i.test(f)) : [];
    if (leftovers.length > 0) throw new Error(`history before the first rotation: ${leftovers.join(', ')}`);
    const runsNow = fs.existsSync(runsDir) ? fs.readdirSync(runsDir).length : 0;
    if (runsNow > runsBefore) throw new Error(`.vscode-test/runs/ grew from ${runsBefore} to ${runsNow}`);
    const listed = (await getJson(`${new URL(simUrl).origin}/__sim/state`)).body as SimStateLite;
    const offered = [
      listed.accountTokens.some((t) => t.name === UNCONFIGURED.accountToken),
      listed.userTokens.some((t) => t.name === UNCONFIGURED.userToken),
      listed.serviceTokens.some((t) => t.name === UNCONFIGURED.serviceToken),
    ];
    if (offered.includes(false)) throw new Error(`the simulator does not list the unconfigured credentials: ${JSON.stringify(offered)}`);
    const configured = fs.readFileSync(path.join(workspace, '.vscode', 'cf-rotate.json'), 'utf8');
    if (Object.values(UNCONFIGURED).some((n) => configured.includes(`"${n}"`))) throw new Error('cf-rotate.json already configures one of them');
    pass(current, Object.values(UNCONFIGURED).join(', '));

    current = 'open the printed URL and load the extension';
    wb = await openWorkbench(u.origin, { ...(folder ? { folder } : {}), payload, screenshotDir: resultsDir() });
    const page = wb.page;
    await waitForWorkbench(page);
    await showCloudflareView(page);
    pass(current);

    current = 'the view asks for a credential';
    // The welcome view while the tree is empty, then a "No Cloudflare credential" row above the tokens.
    const welcome = sidebar(page).locator('.welcome-view-content', { hasText: 'needs an admin credential' });
    const warning = sidebar(page).locator('.monaco-list-row[aria-label^="No Cloudflare credential for profile \\"default\\""]');
    await welcome.or(warning).first().waitFor({ state: 'visible', timeout: 30_000 });
    pass(current);

    current = 'set the credential through the command palette';
    await setCredentialThroughPalette(page, DEMO.admin.value);
    pass(current);

    current = 'the view lists the demo tokens';
    for (const name of TOKEN_NAMES) await tokenRow(page, name).waitFor({ state: 'visible', timeout: 30_000 });
    pass(current, TOKEN_NAMES.join(', '));

    current = 'rotate "deploy" from the inline action and confirm';
    await revealTargetFromTree(page, 'deploy', '.env', 'CLOUDFLARE_API_TOKEN');
    await runCommand(page, 'Notifications: Clear All Notifications');
    const dialog = page.locator('.monaco-dialog-box');
    // On a loaded machine a click on the inline action was seen to get lost now and then (the row
    // re-rendering under the pointer, presumably): click again when no dialog shows up.
    await sleep(500);
    for (let attempt = 1; ; attempt++) {
      const row = tokenRow(page, 'deploy');
      await row.hover();
      const action = row.locator('.action-label[aria-label="Rotate Now…"]');
      await action.waitFor({ state: 'visible', timeout: 10_000 });
      await action.click();
      if (await dialog.waitFor({ state: 'visible', timeout: 10_000 }).then(() => true, () => false)) break;
      if (attempt === 3) throw new Error('no confirmation dialog after clicking Rotate Now three times');
      // (A string: this file is compiled without the DOM types.)
      const state = await page.evaluate(
        `({ active: String(document.activeElement && document.activeElement.className).slice(0, 80),
            hovers: document.querySelectorAll('.workbench-hover').length,
            dialogs: document.querySelectorAll('.monaco-dialog-box').length })`,
      );
      log(`no dialog after click ${attempt}; clicking again (${JSON.stringify(state)}; screenshot ${await wb.screenshot(`demo-check-click-${attempt}`)})`);
    }
    const title = (await dialog.innerText()).split('\n')[0] ?? '';
    if (!/Rotate "deploy" now\?/.test(await dialog.innerText())) throw new Error(`unexpected dialog: ${title}`);
    await wb.screenshot('demo-check-confirm');
    await dialog.getByRole('button', { name: 'Rotate', exact: true }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
    pass(current);

    current = '.env on disk holds the new secret, and nothing else changed';
    const deadline = Date.now() + 30_000;
    let now = original;
    while (now === original && Date.now() < deadline) {
      await sleep(250);
      now = fs.readFileSync(envFile, 'utf8');
    }
    const newValue = envValue(now, 'CLOUDFLARE_API_TOKEN');
    if (!newValue || newValue === DEMO.accountToken.value) throw new Error('CLOUDFLARE_API_TOKEN did not change in .env');
    if (now !== original.replace(DEMO.accountToken.value, newValue)) throw new Error('.env changed in more places than the value of CLOUDFLARE_API_TOKEN');
    const mode = fs.statSync(envFile).mode & 0o777;
    pass(current, `${newValue.slice(0, 5)}… (${newValue.length} chars), mode ${mode.toString(8)}`);

    current = 'the simulator accepts the new secret and refuses the old one';
    const verify = `${simUrl}/accounts/${DEMO.accountId}/tokens/verify`;
    const fresh = await getJson(verify, newValue);
    const stale = await getJson(verify, DEMO.accountToken.value);
    if (fresh.status !== 200) throw new Error(`verify with the new secret: HTTP ${fresh.status}`);
    if (stale.status !== 401) throw new Error(`verify with the old secret: HTTP ${stale.status}, expected 401`);
    pass(current);

    current = 'the tree and a notification report the rotation';
    await sidebar(page).locator('.monaco-list-row[aria-label^="deploy, rolled"]').waitFor({ state: 'visible', timeout: 20_000 });
    await page.locator('.notifications-toasts', { hasText: 'deploy' }).first().waitFor({ state: 'visible', timeout: 20_000 });
    await sleep(500);
    const shot = await wb.screenshot('demo-check');
    if (args.updateScreenshot) {
      const target = path.join(ROOT, 'media', 'screenshots', 'demo.png');
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.copyFileSync(shot, target);
      log(`wrote ${path.relative(ROOT, target)}`);
    }
    pass(current, path.relative(ROOT, shot));

    current = 'add the Global API key beside the token ("Keep both")';
    await addGlobalKeyThroughPalette(page, DEMO.user.email, DEMO.user.globalApiKey);
    pass(current);

    current = 'rotate every demo token with Rotate All and confirm';
    await runCommand(page, 'Notifications: Clear All Notifications');
    await runCommand(page, 'Cloudflare Rotate: Rotate All Tokens…');
    await dialog.waitFor({ state: 'visible', timeout: 20_000 });
    if (!/Rotate 5 credentials now\?/.test(await dialog.innerText())) throw new Error(`unexpected dialog: ${(await dialog.innerText()).split('\n')[0] ?? ''}`);
    await dialog.getByRole('button', { name: 'Rotate', exact: true }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
    pass(current);

    current = 'every target holds the value the simulator now accepts';
    const live = await waitForAllRotated(new URL(simUrl).origin, workspace, 90_000);
    pass(current, live);
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    steps.push({ name: current, ok: false, detail: message });
    log(`FAIL ${current}: ${message}`);
    if (wb) {
      const shot = await wb.screenshot('demo-check-failure').catch(() => undefined);
      if (shot) log(`screenshot ${shot}`);
      fs.writeFileSync(resultsDir('demo-check-browser-console.log'), wb.console.join('\n'));
    }
    log(`demo output (tail):\n${demo.output().split('\n').slice(-40).join('\n')}`);
  } finally {
    await wb?.close().catch(() => undefined);
  }

  current = 'SIGTERM to the process that started the demo (as to npm) stops code-server and the simulator';
  try {
    const output = demo.output();
    const codeServer = /code-server (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    const simUrl = bannerValue(output, 'Simulator');
    const code = await stopDemo(demo);
    const stillUp = await gone([codeServer && `${codeServer}/healthz`, simUrl && `${new URL(simUrl).origin}/__sim/health`], 20_000);
    if (stillUp) throw new Error(`still answering 20 s after the shell got SIGTERM: ${stillUp}`);
    pass(current, `shell exit ${String(code ?? demo.child.signalCode)}`);
  } catch (err) {
    steps.push({ name: current, ok: false, detail: err instanceof Error ? err.message : String(err) });
    log(`FAIL ${current}: ${err instanceof Error ? err.message : String(err)}`);
  }
  fs.rmSync(scratch, { recursive: true, force: true });
  fs.rmSync(demoUserDataDir(ROOT, workspace), { recursive: true, force: true });
  return steps;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const t = Date.now();
  const steps = await check(args);
  const failed = steps.filter((s) => !s.ok).length;
  const passed = steps.length - failed;
  fs.mkdirSync(resultsDir(), { recursive: true });
  fs.writeFileSync(resultsDir('demo-check.json'), `${JSON.stringify({ passed, failed, seconds: (Date.now() - t) / 1000, steps }, null, 2)}\n`);
  process.stdout.write(`demo-check: ${passed} passed, ${failed} failed (${((Date.now() - t) / 1000).toFixed(1)} s)\n`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo-check: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
