/**
 * `npm start`: a live demo of the extension against the local Cloudflare API simulator.
 *
 *   node out/scripts/demo.js [--port N] [--sim-port N] [--no-open] [--no-seed] [--latency MS] [--workspace DIR]
 *
 * 1. provisions code-server (the test harness's `provision()`: cached in .vscode-test/);
 * 2. starts the simulator in this process with the demo scenario (test/simulator, `DEMO`);
 * 3. writes a fresh demo workspace (demo-workspace/, git-ignored): .vscode/cf-rotate.json with
 *    one token of every kind, and a .env and a .dev.vars holding the current demo secrets
 *    between unrelated lines, so the byte-exact edit is visible;
 * 4. starts code-server on that folder with cfRotate.apiBaseUrl = the simulator in its User
 *    and Machine (remote) settings, and prints the URL that loads this repository as the
 *    extension under development
 *    (the payload's extensionDevelopmentPath, as the test harness does), so `npm run build` and
 *    "Developer: Reload Window" pick up changes;
 * 5. unless --no-seed: a throwaway helper extension, installed only into this demo server's own
 *    extensions dir, stores the demo admin credential through `cfRotate.setCredential` when no
 *    credential is set yet: the demo admin API token and, beside it, the demo user's email +
 *    Global API key (the zone-level Access service token accepts only that scheme), so every
 *    demo token can be rotated. The values reach it through the demo server's environment;
 *    nothing is written into a real user's VS Code profile or into the repository.
 *
 * Ctrl-C (SIGINT / SIGTERM), or the end of the process that started it (npm, when it gets
 * SIGTERM or SIGINT), stops code-server (its whole process group) and the simulator. Each start
 * uses a fresh user-data dir (.vscode-test/demo/, with cf-rotate's state directory inside: no
 * history of an earlier run), and the simulator lists a few credentials the demo workspace does
 * not configure yet, for Add Token.
 * scripts/demo-check.ts drives this script end to end.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { devPayload, workbenchUrl, type Payload } from '../test/harness/browser';
import { launchCodeServer, type CodeServer } from '../test/harness/codeServer';
import { provision } from '../test/harness/provision';
import { repoRoot } from '../test/harness/util';
import { DEMO, start, type SimulatorHandle } from '../test/simulator';

export const HELP = `cf-rotate demo: VS Code (code-server) with Cloudflare Rotate loaded from this repository,
talking to a local Cloudflare API simulator.

Usage: node out/scripts/demo.js [options]        (npm start -- [options])

  --port N          code-server port (default 8080; 0 = any free port)
  --sim-port N      simulator port (default 8787; 0 = any free port)
  --no-open         do not open a browser, only print the URL
  --no-seed         do not pre-store the demo admin credential (set it yourself from the welcome view)
  --latency MS      simulated API latency per request (default 250)
  --workspace DIR   demo folder, recreated on every start (default demo-workspace/)
  -h, --help        this help

Ctrl-C stops code-server and the simulator.`;

export interface DemoOptions {
  port: number;
  simPort: number;
  /** Whether --port / --sim-port were given (a busy default port falls back to a free one). */
  portGiven: boolean;
  simPortGiven: boolean;
  open: boolean;
  seed: boolean;
  latencyMs: number;
  workspace: string;
}

class UsageError extends Error {}

export function parseDemoArgs(argv: readonly string[], root: string): DemoOptions {
  const o: DemoOptions = {
    port: 8080,
    simPort: 8787,
    portGiven: false,
    simPortGiven: false,
    open: true,
    seed: true,
    latencyMs: 250,
    workspace: path.join(root, 'demo-workspace'),
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
      return v;
    };
    const int = (max: number): number => {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > max) throw new UsageError(`${flag}: expected a whole number from 0 to ${max}, got "${v}"`);
      return n;
    };
    switch (flag) {
      case '-h':
      case '--help':
        throw new UsageError('');
      case '--port':
        o.port = int(65535);
        o.portGiven = true;
        break;
      case '--sim-port':
        o.simPort = int(65535);
        o.simPortGiven = true;
        break;
      case '--no-open':
        o.open = false;
        break;
      case '--no-seed':
        o.seed = false;
        break;
      case '--latency':
        o.latencyMs = int(60_000);
        break;
      case '--workspace':
        o.workspace = path.resolve(value());
        break;
      default:
        throw new UsageError(`unknown option "${arg}"`);
    }
  }
  return o;
}

// ------------------------------------------------------------------------------ workspace

/** Marks a folder this script created, so a rerun may delete it. */
const MARKER = '.cf-rotate-demo';

/** The demo's cf-rotate.json: one token of every kind, ids from the demo scenario. */
export function demoConfig(): { tokens: Record<string, unknown>[] } {
  return {
    tokens: [
      {
        kind: 'account-api-token',
        name: 'deploy',
        description: 'Account token the deploy script uses (wrangler reads CLOUDFLARE_API_TOKEN).',
        accountId: DEMO.accountId,
        tokenId: DEMO.accountToken.id,
        rotateEveryDays: 90,
        targets: [{ file: '.env', key: 'CLOUDFLARE_API_TOKEN' }],
      },
      {
        kind: 'user-api-token',
        name: 'me',
        description: 'A user-owned token for local scripts.',
        tokenId: DEMO.userToken.id,
        targets: [{ file: '.env', key: 'CF_USER_TOKEN' }],
      },
      {
        kind: 'access-service-token',
        name: 'ci-access',
        description: 'Lets CI reach the Access-protected staging site.',
        accountId: DEMO.accountId,
        serviceTokenId: DEMO.serviceToken.id,
        gracePeriod: '1h',
        targets: [
          { file: '.env', key: 'CF_ACCESS_CLIENT_ID', field: 'clientId' },
          { file: '.env', key: 'CF_ACCESS_CLIENT_SECRET', field: 'clientSecret' },
        ],
      },
      {
        kind: 'access-service-token',
        name: 'zone-access',
        description: 'Zone-level service token (no rotate route: client_secret_version + 1; Cloudflare accepts only email + Global API key here).',
        zoneId: DEMO.zoneId,
        serviceTokenId: DEMO.zoneServiceToken.id,
        method: 'version',
        // Cloudflare does not report the version in use (A3): the demo token was never rotated by version.
        clientSecretVersion: 1,
        targets: [
          { file: '.dev.vars', key: 'ZONE_ACCESS_CLIENT_ID', field: 'clientId' },
          { file: '.dev.vars', key: 'ZONE_ACCESS_CLIENT_SECRET', field: 'clientSecret' },
        ],
      },
      {
        kind: 'moq-relay-token',
        name: 'demo-live',
        description: 'Publish/subscribe token of the MoQ relay "demo-live".',
        accountId: DEMO.accountId,
        relayId: DEMO.relay.id,
        tokenType: 'publish_subscribe',
        targets: [{ file: '.dev.vars', key: 'MOQ_RELAY_TOKEN' }],
      },
    ],
  };
}

/** .env of the demo: the current secrets among lines cf-rotate must leave alone. */
export function demoDotEnv(): string {
  return [
    '# Demo app settings. cf-rotate rewrites only the values of the variables',
    '# listed in .vscode/cf-rotate.json; every other byte stays as it is.',
    'APP_NAME=cf-rotate-demo',
    'API_ORIGIN="https://staging.demo-rotate.example"  # quoted values keep their quotes',
    '',
    '# deploy (account API token)',
    `CLOUDFLARE_API_TOKEN=${DEMO.accountToken.value}`,
    `CLOUDFLARE_ACCOUNT_ID=${DEMO.accountId}`,
    '',
    '# me (user API token), exported for shell use',
    `export CF_USER_TOKEN="${DEMO.userToken.value}"`,
    '',
    '# ci-access (Access service token)',
    `CF_ACCESS_CLIENT_ID=${DEMO.serviceToken.clientId}`,
    `CF_ACCESS_CLIENT_SECRET='${DEMO.serviceToken.clientSecret}' # rotated with a 1h grace period`,
    'LOG_LEVEL=debug',
    '',
  ].join('\n');
}

/** .dev.vars (wrangler's local secrets file, dotenv syntax). */
export function demoDevVars(): string {
  return [
    '# wrangler dev secrets',
    `ZONE_ACCESS_CLIENT_ID=${DEMO.zoneServiceToken.clientId}`,
    `ZONE_ACCESS_CLIENT_SECRET=${DEMO.zoneServiceToken.clientSecret}`,
    `MOQ_RELAY_TOKEN=${DEMO.relay.token.value}`,
    'FEATURE_FLAGS=beta,live-video',
    '',
  ].join('\n');
}

/** Recreates the demo folder. Refuses to delete a non-empty folder it did not create. */
export function prepareWorkspace(dir: string): void {
  if (fs.existsSync(dir)) {
    const entries = fs.readdirSync(dir);
    if (entries.length > 0 && !entries.includes(MARKER)) {
      throw new Error(`${dir} exists and was not created by the demo; not deleting it. Remove it or pass --workspace.`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.mkdirSync(path.join(dir, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(dir, MARKER), 'Created by `npm start` (scripts/demo.ts); deleted and recreated on every start.\n');
  fs.writeFileSync(path.join(dir, '.vscode', 'cf-rotate.json'), `${JSON.stringify(demoConfig(), null, 2)}\n`);
  fs.writeFileSync(path.join(dir, '.env'), demoDotEnv(), { mode: 0o600 });
  fs.writeFileSync(path.join(dir, '.dev.vars'), demoDevVars(), { mode: 0o600 });
  fs.writeFileSync(path.join(dir, '.gitignore'), '.env\n.dev.vars\n');
  fs.writeFileSync(
    path.join(dir, 'README.md'),
    [
      '# cf-rotate demo workspace',
      '',
      'Generated by `npm start`; recreated on every start. The API behind it is the local',
      'simulator, so rotating here changes nothing at Cloudflare.',
      '',
      '- `.vscode/cf-rotate.json`: what to rotate (no secrets).',
      '- `.env`, `.dev.vars`: where the new secrets go.',
      '',
      'Open the **Cloudflare Rotate** view in the activity bar, hover a token and click **Rotate Now**.',
      '',
    ].join('\n'),
  );
}

// ------------------------------------------------------------------ seed helper extension

/** Environment variable that hands the demo admin token to the seed extension (demo server only). */
export const SEED_ENV = 'CF_ROTATE_DEMO_ADMIN_TOKEN';
/** … and the demo user's email and Global API key, stored beside the token (zone-level Access needs them). */
export const SEED_EMAIL_ENV = 'CF_ROTATE_DEMO_EMAIL';
export const SEED_KEY_ENV = 'CF_ROTATE_DEMO_API_KEY';

/**
 * A throwaway extension, loaded next to cf-rotate only in the demo window: it opens the
 * Cloudflare Rotate view and, if profile "default" has no credential, stores the demo admin
 * token with the public `cfRotate.setCredential` command (which verifies it against the
 * simulator first). Installed into the demo server's own extensions dir (a fresh user-data dir
 * under .vscode-test/runs/), never into the repository or a real VS Code profile.
 */
export function writeSeedExtension(extensionsDir: string): void {
  const id = 'cf-rotate-demo.cf-rotate-demo-seed';
  const version = '0.0.0';
  const relative = `${id}-${version}`;
  const dir = path.join(extensionsDir, relative);
  fs.mkdirSync(dir, { recursive: true });
  const manifest = {
    name: 'cf-rotate-demo-seed',
    displayName: 'cf-rotate demo helper',
    description: 'Demo only: opens the Cloudflare Rotate view and stores the demo admin token.',
    publisher: 'cf-rotate-demo',
    version,
    private: true,
    engines: { vscode: '^1.95.0' },
    main: './extension.js',
    activationEvents: ['onStartupFinished'],
    extensionKind: ['workspace'],
  };
  const code = `// Generated by scripts/demo.ts for the demo window only.
const vscode = require('vscode');
exports.activate = async function activate(context) {
  const token = process.env.${SEED_ENV};
  try {
    await vscode.commands.executeCommand('workbench.view.extension.cfRotate');
    // Once per demo start (the user-data dir is new each time): after "Clear Credential" and a
    // window reload the credential stays cleared. The extension's exported API is only \`ready\`
    // outside tests, so the helper remembers this itself.
    if (!token || context.globalState.get('seeded')) return;
    const ext = vscode.extensions.getExtension('cf-rotate.cf-rotate');
    const api = ext && (await ext.activate());
    if (!api) return;
    await api.ready;
    const email = process.env.${SEED_EMAIL_ENV};
    const apiKey = process.env.${SEED_KEY_ENV};
    const r = await vscode.commands.executeCommand('cfRotate.setCredential', { profile: 'default', apiToken: token, ...(email && apiKey ? { email, apiKey } : {}) });
    if (r && r.stored) await context.globalState.update('seeded', true);
  } catch (e) {
    console.error('[cf-rotate demo helper]', e && e.message);
  }
};
exports.deactivate = function deactivate() {};
`;
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'extension.js'), code);
  // Only one extensionDevelopmentPath reaches code-server's extension host, so the helper is an
  // ordinary installed extension of the demo server, listed in its extensions.json.
  const indexFile = path.join(extensionsDir, 'extensions.json');
  let index: { identifier: { id: string } }[] = [];
  try {
    index = JSON.parse(fs.readFileSync(indexFile, 'utf8')) as typeof index;
  } catch {
    index = [];
  }
  index = index.filter((e) => e.identifier.id !== id);
  index.push({
    identifier: { id },
    version,
    location: { $mid: 1, path: dir, scheme: 'file' },
    relativeLocation: relative,
    metadata: { installedTimestamp: Date.now(), pinned: true, source: 'vsix' },
  } as { identifier: { id: string } });
  fs.writeFileSync(indexFile, `${JSON.stringify(index)}\n`);
}

// ------------------------------------------------------------------------ a fresh demo

/**
 * The demo's code-server user-data dir (short: code-server puts a unix socket in it):
 * .vscode-test/demo for the default workspace, one per other workspace (demo-check's).
 */
export function demoUserDataDir(root: string, workspace: string): string {
  if (path.resolve(workspace) === path.resolve(root, 'demo-workspace')) return path.join(root, '.vscode-test', 'demo');
  return path.join(root, '.vscode-test', `demo-${createHash('sha256').update(path.resolve(workspace)).digest('hex').slice(0, 8)}`);
}

/**
 * Credentials the simulator lists but the demo's cf-rotate.json does not configure yet, so Add
 * Token has something to add (every token of the demo scenario is configured already).
 */
export const UNCONFIGURED = { accountToken: 'staging deploy', userToken: 'local scripts', serviceToken: 'preview-access' } as const;

export function seedUnconfigured(sim: SimulatorHandle): void {
  sim.control.addAccountToken(DEMO.accountId, { name: UNCONFIGURED.accountToken });
  sim.control.addUserToken({ name: UNCONFIGURED.userToken });
  sim.control.addServiceToken({ accountId: DEMO.accountId, name: UNCONFIGURED.serviceToken });
}

/**
 * Calls `onGone` once the process that started this one has gone (npm, or the shell npm ran):
 * however `npm start` is stopped (Ctrl-C in a terminal, SIGTERM or SIGINT to npm, a closed
 * terminal), the demo stops with it instead of leaving code-server and the simulator behind.
 */
export function watchParent(onGone: () => void, intervalMs = 500): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    let alive = process.ppid === parent;
    if (alive) {
      try {
        process.kill(parent, 0);
      } catch {
        alive = false;
      }
    }
    if (!alive) {
      clearInterval(timer);
      onGone();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

// ----------------------------------------------------------------------------------- ports

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** The requested port; a busy default falls back to any free port (0), a busy explicit one is an error. */
async function choosePort(port: number, given: boolean, what: string): Promise<number> {
  if (port === 0 || (await portFree(port))) return port;
  if (given) throw new UsageError(`${what} port ${port} is in use; pick another one (0 = any free port)`);
  say(`${what} port ${port} is in use; using a free port instead.`);
  return 0;
}

// ------------------------------------------------------------------------------------- run

function say(line: string): void {
  process.stdout.write(`[demo] ${line}\n`);
}

function openBrowser(url: string): boolean {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return false;
  if (spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status !== 0 && process.platform !== 'win32') return false;
  try {
    const child = spawn(cmd, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
    return true;
  } catch {
    return false;
  }
}

export interface RunningDemo {
  url: string;
  workspace: string;
  sim: SimulatorHandle;
  server: CodeServer;
  stop(): Promise<void>;
}

export async function startDemo(o: DemoOptions): Promise<RunningDemo> {
  const root = repoRoot();
  if (!fs.existsSync(path.join(root, 'dist', 'extension.js'))) {
    throw new Error('dist/extension.js is missing: run "npm run build" first (npm start does).');
  }
  const simPort = await choosePort(o.simPort, o.simPortGiven, 'simulator');
  const csPort = await choosePort(o.port, o.portGiven, 'code-server');

  say('checking code-server (provisioned once into .vscode-test/: the first run takes a few minutes) ...');
  await provision();

  const sim = await start({
    scenario: 'demo',
    port: simPort,
    latencyMs: o.latencyMs,
    log: (line) => process.stdout.write(`[simulator] ${line}\n`),
  });
  seedUnconfigured(sim);
  let server: CodeServer | undefined;
  try {
    prepareWorkspace(o.workspace);
    // One user-data dir for the demo, new on every start: no history, journal or credential of an
    // earlier run (the state directory lives inside it), and .vscode-test/runs/ does not grow.
    const userDataDir = demoUserDataDir(root, o.workspace);
    fs.rmSync(userDataDir, { recursive: true, force: true });
    // cfRotate.apiBaseUrl is machine-scoped and only read from user-level settings (a workspace
    // cannot redirect the admin credential). code-server's window is a remote window: VS Code
    // applies machine settings there from the remote's Machine/settings.json, and a value only in
    // User/settings.json is dropped at the first change of any setting. So it goes into both.
    const settings = {
      'cfRotate.apiBaseUrl': sim.url,
      'cfRotate.githubApiUrl': sim.githubUrl,
      'files.exclude': { [MARKER]: true },
    };
    server = await launchCodeServer({
      folder: o.workspace,
      userDataDir,
      settings,
      machineSettings: { 'cfRotate.apiBaseUrl': sim.url, 'cfRotate.githubApiUrl': sim.githubUrl },
      ...(o.seed ? { env: { [SEED_ENV]: DEMO.admin.value, [SEED_EMAIL_ENV]: DEMO.user.email, [SEED_KEY_ENV]: DEMO.user.globalApiKey } } : {}),
      ...(csPort !== 0 ? { port: csPort } : {}),
    });
    if (o.seed) writeSeedExtension(path.join(server.userDataDir, 'ext'));
    const payload: Payload = devPayload(server.url, root);
    const url = workbenchUrl(server.url, { folder: o.workspace, payload });
    const s = server;
    let stopped = false;
    return {
      url,
      workspace: o.workspace,
      sim,
      server: s,
      async stop() {
        if (stopped) return;
        stopped = true;
        await s.stop().catch(() => undefined);
        await sim.close().catch(() => undefined);
      },
    };
  } catch (e) {
    await server?.stop().catch(() => undefined);
    await sim.close();
    throw e;
  }
}

function banner(d: RunningDemo, o: DemoOptions): string {
  const rule = '─'.repeat(78);
  const lines = [
    '',
    rule,
    ' cf-rotate demo is running',
    rule,
    ` Open:        ${d.url}`,
    ` Workspace:   ${d.workspace}  (.vscode/cf-rotate.json, .env, .dev.vars)`,
    ` Simulator:   ${d.sim.url}  (stand-in for api.cloudflare.com; requests are logged below)`,
    ` Admin token: ${DEMO.admin.value}`,
    ` Global key:  ${DEMO.user.email} / ${DEMO.user.globalApiKey}`,
    '              (zone-access, a zone-level Access service token, accepts only email + Global API key)',
    o.seed
      ? '              both already stored for profile "default" when the window opens; after "Clear Credential",'
      : '              click "Set Cloudflare credential" in the Cloudflare Rotate view, choose "API token"',
    o.seed
      ? '              set them again with "Cloudflare Rotate: Set Credential…" (API token, then email + Global'
      : '              and paste it; then Set Credential again with "Email + Global API key", and "Keep both".',
    ...(o.seed ? ['              API key, and choose "Keep both").'] : []),
    ' Try:         in the Cloudflare Rotate view (key icon), hover "deploy", click Rotate Now (⟳),',
    '              confirm, and watch CLOUDFLARE_API_TOKEN change in .env; nothing else in the file moves.',
    rule,
    ' Ctrl-C stops code-server and the simulator.',
    '',
  ];
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  let o: DemoOptions;
  try {
    o = parseDemoArgs(argv, repoRoot());
  } catch (e) {
    if (e instanceof UsageError) {
      if (e.message === '') {
        process.stdout.write(`${HELP}\n`);
        return 0;
      }
      process.stderr.write(`demo: ${e.message}\n\n${HELP}\n`);
      return 2;
    }
    throw e;
  }
  const running: { demo?: RunningDemo; exiting: boolean } = { exiting: false };
  // Installed before code-server starts, so this runs before the harness's own exit hook (which
  // kills code-server's process group and exits). Before that hook exists (e.g. while
  // provisioning) this exits by itself; the simulator lives in this process.
  const stopFor = (why: string, code: number): void => {
    if (running.exiting) return;
    running.exiting = true;
    process.stdout.write(`\n[demo] ${why}: stopping code-server and the simulator ...\n`);
    if (!running.demo) process.exit(code);
    void running.demo.stop().finally(() => process.exit(code));
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => stopFor(sig, 128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1)));
  }
  // npm forwards a signal to the shell that runs the script, not always to this process: when
  // the parent goes, so does the demo.
  watchParent(() => stopFor('the parent process (npm) has gone', 129));
  const demo = await startDemo(o);
  running.demo = demo;
  process.stdout.write(banner(demo, o));
  if (o.open) {
    if (openBrowser(demo.url)) say('opened the URL in your browser.');
    else say('no browser to open here: open the URL above yourself.');
  }
  // Stay up until a signal (handled above) or until code-server dies on its own.
  const d = demo;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (!d.server.isRunning()) {
        clearInterval(timer);
        resolve();
      }
    }, 1000);
  });
  if (running.exiting) return 0;
  process.stderr.write(`[demo] code-server exited on its own; see ${d.server.logFile}\n`);
  await d.stop();
  return 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`[demo] failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
