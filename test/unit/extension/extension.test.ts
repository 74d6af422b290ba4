/**
 * The extension end to end against the Cloudflare simulator, with a fake `vscode` module:
 * activation, context keys, the tree, every command family with script arguments, and the
 * rule that no secret reaches a notification, a log line, the tree, history or a result.
 */
import './fakeVscode';
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type * as vscode from 'vscode';
import { hashValue } from '../../../src/core/engine/targets';
import { NodeJournalStore } from '../../../src/core/node/journalStore';
import { VscodeSecretStore } from '../../../src/host/secretStore';
import { ALL_COMMAND_IDS, COMMANDS, CONTEXT, OUTPUT_CHANNEL_NAME, STATE } from '../../../src/constants';
import { activate, type CfRotateApi } from '../../../src/extension';
import { tokenNodes, type TreeNode } from '../../../src/views/model';
import { DEMO } from '../../simulator';
import { read, startWorld, tempFolder, write, type World } from '../helpers/world';
import { fake, FakeSecretStorage, makeContext, Memento, Uri, type UiCall } from './fakeVscode';
import { run, settle } from './drive';

const DEPLOY = {
  name: 'deploy',
  kind: 'account-api-token',
  accountId: DEMO.accountId,
  tokenId: DEMO.accountToken.id,
  rotateEveryDays: 30,
  targets: [{ file: '.env', key: 'CLOUDFLARE_API_TOKEN' }],
};
const ACCESS = {
  name: 'ci-access',
  kind: 'access-service-token',
  accountId: DEMO.accountId,
  serviceTokenId: DEMO.serviceToken.id,
  gracePeriod: '30m',
  targets: [
    { file: '.env', key: 'CF_ACCESS_CLIENT_ID', field: 'clientId' },
    { file: '.env', key: 'CF_ACCESS_CLIENT_SECRET', field: 'clientSecret' },
  ],
};

type Ctx = ReturnType<typeof makeContext>;

function envValue(text: string, key: string): string | undefined {
  return new RegExp(`^${key}=(.*)$`, 'm').exec(text)?.[1];
}

/** Like `vscode.commands.executeCommand(id, arg)`. */
/** Every node, rendered as VS Code would ask for it (tooltips resolved, as on hover). */
function renderedTree(api: CfRotateApi): string {
  const out: unknown[] = [];
  const walk = (nodes: readonly TreeNode[]): void => {
    for (const n of nodes) {
      out.push(api.tree.resolveTreeItem(api.tree.getTreeItem(n), n));
      if (n.type === 'folder' || n.type === 'token') walk(n.children);
    }
  };
  walk(api.tree.roots());
  return JSON.stringify(out);
}

function messages(kind?: UiCall['kind']): string[] {
  return fake.calls.filter((c) => kind === undefined || c.kind === kind).map((c) => c.message);
}

/**
 * The simulator behind a loopback front that changes one answer: GET /accounts shows the caller a
 * second account, `extra`. The simulator, as strict as Cloudflare documents, shows an account-owned
 * token its own account only; a token that sees several is the case Set Credential asks about
 * (which account owns it?), so this front models it. Every other request and answer passes as is.
 */
async function accountsFront(simUrl: string, extra: { id: string; name: string }): Promise<{ url: string; close: () => Promise<void> }> {
  const target = new URL(simUrl);
  const server = http.createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k)) headers[k] = v;
      const answer = await fetch(`${target.origin}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) });
      let text = await answer.text();
      if (req.method === 'GET' && new URL(req.url ?? '/', target.origin).pathname === `${target.pathname}/accounts` && answer.status === 200) {
        const body = JSON.parse(text) as { result: unknown[]; result_info?: Record<string, number> };
        body.result.push({ id: extra.id, name: extra.name, type: 'standard', settings: { enforce_twofactor: false } });
        if (body.result_info) body.result_info = { ...body.result_info, count: body.result.length, total_count: body.result.length };
        text = JSON.stringify(body);
      }
      const out: Record<string, string> = {};
      answer.headers.forEach((v, k) => {
        if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive'].includes(k)) out[k] = v;
      });
      res.writeHead(answer.status, out);
      res.end(text);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('extension (fake VS Code + simulator)', function () {
  this.timeout(30_000);
  let world: World;
  let dir: string;
  let ctx: Ctx;
  let api: CfRotateApi;
  let activationMs: number;

  /** `config` null: no cf-rotate.json is written. */
  async function start(config: unknown = { tokens: [DEPLOY] }, context: Ctx = makeContext()): Promise<void> {
    ctx = context;
    fake.folders = [{ uri: Uri.file(dir), name: 'app', index: 0 }];
    fake.setSetting('cfRotate.apiBaseUrl', { globalValue: world.sim.url });
    if (config !== null) await write(dir, '.vscode/cf-rotate.json', JSON.stringify(config, null, 2));
    const t0 = performance.now();
    api = activate(ctx as unknown as vscode.ExtensionContext) as CfRotateApi;
    activationMs = performance.now() - t0;
    await api.ready;
    await settle();
  }

  function stop(): void {
    for (const d of ctx.subscriptions) d.dispose();
    ctx.subscriptions.length = 0;
  }

  async function setCredential(): Promise<void> {
    const r = await run<{ stored: boolean; verified: boolean }>(COMMANDS.setCredential, { profile: 'default', apiToken: (world.admin as { token: string }).token });
    assert.deepEqual(r, { profile: 'default', stored: true, verified: true });
  }

  function assertNoSecrets(...secrets: (string | undefined)[]): void {
    const haystack = [fake.transcript(), renderedTree(api), JSON.stringify([...ctx.globalState.data])].join('\n');
    for (const s of [(world.admin as { token: string }).token, ...secrets]) {
      if (s) assert.ok(!haystack.includes(s), `a secret (${s.slice(0, 6)}…) leaked into the UI, the log or globalState`);
    }
  }

  const env = { state: process.env.CF_ROTATE_STATE_DIR, timeout: process.env.CF_ROTATE_TIMEOUT };
  after(() => {
    process.env.CF_ROTATE_STATE_DIR = env.state;
    if (env.timeout === undefined) delete process.env.CF_ROTATE_TIMEOUT;
    else process.env.CF_ROTATE_TIMEOUT = env.timeout;
  });

  beforeEach(async () => {
    fake.reset();
    world = await startWorld();
    dir = await tempFolder('cf-rotate-ext-');
    // Each test: its own state directory (journal, locks, history), and short requests so that an
    // unanswered one is settled within seconds.
    process.env.CF_ROTATE_STATE_DIR = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-ext-state-'));
    process.env.CF_ROTATE_TIMEOUT = '1';
    await write(dir, '.env', `# app\nCLOUDFLARE_API_TOKEN=${DEMO.accountToken.value}\nOTHER=keep\n`);
  });

  afterEach(async () => {
    world.sim.control.clearFaults();
    stop();
    await world.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('activates quickly, registers every command, calls no API and sets the context keys', async () => {
    await start();
    assert.ok(activationMs < 50, `activate() took ${activationMs.toFixed(1)} ms`);
    for (const id of ALL_COMMAND_IDS) assert.ok(fake.commands.has(id), id);
    assert.equal(world.sim.control.requests().length, 0, 'no network during activation');
    assert.equal(fake.contextKeys.get(CONTEXT.ready), true);
    assert.equal(fake.contextKeys.get(CONTEXT.hasConfig), true);
    assert.equal(fake.contextKeys.get(CONTEXT.hasTokens), true);
    assert.equal(fake.contextKeys.get(CONTEXT.hasCredential), false);
    const roots = api.tree.roots();
    assert.deepEqual(roots.map((r) => [r.type, r.contextValue]), [['message', 'message.noCredential'], ['token', 'token.account-api-token.overdue']]);
    const status = fake.statusItems[0];
    assert.equal(status?.visible, true);
    assert.equal(status?.text, '$(key) 1 overdue');
    assert.ok(messages('warning').some((m) => /overdue for rotation/.test(m)), 'overdue notification once per session');
    console.log(`      activate(): ${activationMs.toFixed(2)} ms`);
  });

  it('shows an empty tree and "no config" context without a cf-rotate.json', async () => {
    await start(null);
    assert.deepEqual(api.tree.roots(), []);
    assert.equal(fake.contextKeys.get(CONTEXT.hasConfig), false);
    const r = await run<{ created: boolean; file: string }>(COMMANDS.openConfig);
    assert.equal(r.created, true);
    assert.deepEqual(JSON.parse(await read(dir, '.vscode/cf-rotate.json')), { tokens: [] });
    await settle();
    assert.equal(fake.contextKeys.get(CONTEXT.hasConfig), true);
  });

  it('Open Configuration through the checked writer: a .vscode that links out of the folder is refused and nothing is written outside; a new starter file is 0644', async () => {
    const outside = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-ext-outside-')));
    try {
      await fs.rm(path.join(dir, '.vscode'), { recursive: true });
      await fs.symlink(outside, path.join(dir, '.vscode'));
      await start(null);
      const editors = fake.editors.length;
      assert.equal(await run(COMMANDS.openConfig), undefined);
      assert.deepEqual(await fs.readdir(outside), [], 'nothing was created through the link');
      assert.equal(fake.editors.length, editors, 'no editor was opened');
      assert.match(messages('error').at(-1) ?? '', /^Open configuration failed: \.vscode\/cf-rotate\.json lies in a folder that links outside the workspace folder; cf-rotate refuses to follow it\./);
      // A real .vscode: the starter file is created there, once (a second call opens the same file).
      await fs.rm(path.join(dir, '.vscode'));
      const umask = process.umask(0o022);
      try {
        const r = await run<{ created: boolean; file: string }>(COMMANDS.openConfig);
        assert.ok(r, messages('error').join('\n'));
        assert.deepEqual([r.created, r.file], [true, path.join(dir, '.vscode', 'cf-rotate.json')]);
      } finally {
        process.umask(umask);
      }
      assert.equal((await fs.lstat(path.join(dir, '.vscode'))).isDirectory(), true);
      assert.equal((await fs.stat(path.join(dir, '.vscode', 'cf-rotate.json'))).mode & 0o777, 0o644);
      assert.deepEqual(await fs.readdir(path.join(dir, '.vscode')), ['cf-rotate.json'], 'no temporary is left');
      assert.equal((await run<{ created: boolean }>(COMMANDS.openConfig)).created, false);
      // Add Token in a folder without .vscode: made through the same writer.
      await fs.rm(path.join(dir, '.vscode'), { recursive: true });
      assert.deepEqual(await run(COMMANDS.addToken, { folder: dir, token: DEPLOY }), { folder: dir, name: 'deploy' });
      assert.deepEqual(JSON.parse(await read(dir, '.vscode/cf-rotate.json')).tokens.map((t: { name: string }) => t.name), ['deploy']);
    } finally {
      await fs.rm(outside, { recursive: true, force: true });
    }
  });

  it('sets, verifies and clears the credential (SecretStorage + key index), refusing a bad one', async () => {
    await start();
    await setCredential();
    assert.equal(fake.contextKeys.get(CONTEXT.hasCredential), true);
    assert.deepEqual(ctx.globalState.get(STATE.secretKeyIndex), ['cfRotate.credential.default']);
    assert.deepEqual(await api.credentials.profiles(), ['default']);
    // The stored credential is a node of its own now (issue 14: the admin token's expiry and age), above the tokens.
    assert.deepEqual(api.tree.roots().map((n) => n.type).filter((t) => t !== 'credential').slice(0, 1), ['token'], 'no more "missing credential" node');
    assert.ok(api.tree.roots().some((n) => n.type === 'credential'), 'a node for the stored credential');
    const v = await run<{ ok: boolean }>(COMMANDS.verifyCredential, { profile: 'default' });
    assert.equal(v.ok, true);

    const bad = await run<{ stored: boolean; error?: { kind: string } }>(COMMANDS.setCredential, { profile: 'other', apiToken: 'cfut_thisTokenDoesNotExistAnywhere0123456789abcdef' });
    assert.equal(bad.stored, false);
    assert.equal(bad.error?.kind, 'auth');
    assert.deepEqual(await api.credentials.profiles(), ['default']);
    assert.ok(messages('error').some((m) => /not saved/.test(m)));

    await assert.rejects(run(COMMANDS.setCredential, { profile: 'x', apiToken: 'short' }), /Invalid argument for cfRotate\.setCredential: apiToken: is not an API token/);
    assert.ok(!fake.transcript().includes('"short"'));

    const c = await run<{ cleared: boolean }>(COMMANDS.clearCredential, { profile: 'default', confirm: false });
    assert.equal(c.cleared, true);
    assert.deepEqual(await api.credentials.profiles(), []);
    assert.equal(fake.contextKeys.get(CONTEXT.hasCredential), false);
    assertNoSecrets('cfut_thisTokenDoesNotExistAnywhere0123456789abcdef');
  });

  it('rotates by argument, writes .env, records history and returns a result without secrets', async () => {
    await start();
    await setCredential();
    const r = await run<Record<string, unknown>>(COMMANDS.rotate, { name: 'deploy', confirm: false });
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.state, 'rotated');
    assert.equal(r.verified, true);
    assert.deepEqual(r.targets, ['.env › CLOUDFLARE_API_TOKEN']);
    const env = await read(dir, '.env');
    const fresh = envValue(env, 'CLOUDFLARE_API_TOKEN');
    assert.ok(fresh && fresh !== DEMO.accountToken.value);
    assert.equal(world.sim.control.state().accountTokens.find((t) => t.id === DEMO.accountToken.id)?.value, fresh);
    assert.match(env, /^OTHER=keep$/m);
    assert.ok(!JSON.stringify(r).includes(fresh));
    assert.equal(fake.progress.filter((p) => /Rotating "deploy"/.test(p.title)).length, 1);
    assert.ok(messages('info').some((m) => m.startsWith('Rotated "deploy" → .env › CLOUDFLARE_API_TOKEN')));
    const info = fake.calls.find((c) => c.kind === 'info' && c.message.startsWith('Rotated "deploy"'));
    assert.deepEqual(info?.items, ['Open .env']);
    const deploy = tokenNodes(api.tree.roots())[0];
    assert.equal(deploy?.state, 'ok');
    assert.match(deploy?.description ?? '', /^rolled just now/);
    const history = await run<{ outcome: string }[]>(COMMANDS.showHistory, { show: false });
    assert.deepEqual(history.map((h) => h.outcome), ['rotated']);
    assertNoSecrets(fresh, DEMO.accountToken.value);
  });

  it('asks before rotating (modal listing what dies and which files change) and returns "cancelled" when declined', async () => {
    await start();
    await setCredential();
    fake.answer = () => undefined;
    const declined = await run<{ ok: boolean; state: string }>(COMMANDS.rotate, { name: 'deploy' });
    assert.deepEqual([declined.ok, declined.state], [false, 'cancelled']);
    const modal = fake.calls.find((c) => c.kind === 'warning' && c.options?.modal === true);
    assert.ok(modal);
    assert.equal(modal.message, 'Rotate "deploy" now?');
    assert.match(String(modal.options?.detail), /invalidates the current value of "deploy" immediately/);
    assert.match(String(modal.options?.detail), /Files that change:\n {2}• \.env › CLOUDFLARE_API_TOKEN/);
    assert.equal(world.sim.control.requests({ op: 'rollAccountToken' }).length, 0);

    fake.answer = (c) => (c.options?.modal ? 'Rotate' : undefined);
    const accepted = await run<{ ok: boolean }>(COMMANDS.rotate, { name: 'deploy' });
    assert.equal(accepted.ok, true);

    fake.setSetting('cfRotate.confirmBeforeRotate', { globalValue: false });
    fake.answer = (c) => {
      if (c.options?.modal || c.kind === 'quickPick' || c.kind === 'inputBox') throw new Error('no question expected');
      return undefined;
    };
    assert.equal((await run<{ ok: boolean }>(COMMANDS.rotate, { name: 'deploy' })).ok, true);
  });

  it('picks the token in a QuickPick when called without arguments (command palette)', async () => {
    await start();
    await setCredential();
    fake.answer = (c) => (c.kind === 'quickPick' ? c.items[0] : c.options?.modal ? 'Rotate' : undefined);
    const r = await run<{ ok: boolean; name: string }>(COMMANDS.rotate);
    assert.deepEqual([r.ok, r.name], [true, 'deploy']);
    const pick = fake.calls.find((c) => c.kind === 'quickPick');
    assert.equal((pick?.items[0] as { label: string }).label, 'deploy');
  });

  it('accepts the tree node as argument (inline action)', async () => {
    await start();
    await setCredential();
    const node = tokenNodes(api.tree.roots())[0];
    const r = await run<{ ok: boolean }>(COMMANDS.rotate, { ...node, skipConfirm: true });
    assert.equal(r.ok, true);
  });

  it('refuses a target with unsaved changes before calling the API; a clean open document is fine', async () => {
    await start();
    await setCredential();
    const before = await read(dir, '.env');
    const doc = { uri: Uri.file(path.join(dir, '.env')), isDirty: true, getText: () => before, lineAt: () => ({ range: undefined }), positionAt: () => undefined };
    fake.documents.push(doc as never);
    const r = await run<{ ok: boolean; state: string; error?: { kind: string; message: string } }>(COMMANDS.rotate, { name: 'deploy', confirm: false });
    assert.deepEqual([r.ok, r.state, r.error?.kind], [false, 'failed', 'file']);
    assert.match(r.error?.message ?? '', /unsaved changes/);
    assert.equal(await read(dir, '.env'), before);
    assert.equal(world.sim.control.requests({ op: 'rollAccountToken' }).length, 0);
    assert.ok(messages('error').some((m) => /unsaved changes/.test(m)));
    const err = fake.calls.find((c) => c.kind === 'error' && /unsaved/.test(c.message));
    assert.ok(err?.items.includes('Show Log'));

    doc.isDirty = false;
    assert.equal((await run<{ ok: boolean }>(COMMANDS.rotate, { name: 'deploy', confirm: false })).ok, true);
  });

  it('reports a rotation whose secret was lost, with "Rotate Again"', async () => {
    await start();
    await setCredential();
    world.sim.control.addFault({ type: 'drop-after-commit', op: 'rollAccountToken' });
    const r = await run<{ ok: boolean; state: string }>(COMMANDS.rotate, { name: 'deploy', confirm: false });
    assert.deepEqual([r.ok, r.state], [false, 'lost']);
    const err = fake.calls.find((c) => c.kind === 'error' && /lost its new secret/.test(c.message));
    assert.ok(err, messages('error').join('\n'));
    assert.deepEqual(err.items, ['Rotate Again', 'Show Log']);
    assert.equal(tokenNodes(api.tree.roots())[0]?.state, 'failed');
  });

  it('"Rotate Again" after a lost rotation goes through the confirmation, which names what cf-rotate.json says at the click', async () => {
    await start();
    await setCredential();
    world.sim.control.addFault({ type: 'drop-after-commit', op: 'rollAccountToken' });
    const modals: UiCall[] = [];
    let clicked = false;
    fake.answer = (c) => {
      if (c.options?.modal === true) {
        modals.push(c);
        return undefined; // Cancel
      }
      if (c.kind === 'error' && !clicked && c.items.includes('Rotate Again')) {
        clicked = true;
        // Between the notification and the click, cf-rotate.json changes (a pull, a branch switch).
        return (async () => {
          await write(dir, '.vscode/cf-rotate.json', JSON.stringify({ tokens: [{ ...DEPLOY, targets: [{ file: 'leak.env', key: 'STOLEN' }] }] }, null, 2));
          await run(COMMANDS.refresh);
          return 'Rotate Again';
        })();
      }
      return undefined;
    };
    const r = await run<{ ok: boolean; state: string }>(COMMANDS.rotate, { name: 'deploy', confirm: false });
    assert.deepEqual([r.ok, r.state], [false, 'lost']);
    const deadline = Date.now() + 10_000;
    while (modals.length === 0 && world.sim.control.requests({ op: 'rollAccountToken' }).length < 2 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    assert.ok(clicked);
    assert.equal(modals.length, 1, 'the second rotation is confirmed');
    assert.equal(modals[0]?.message, 'Rotate "deploy" now?');
    assert.match(String(modals[0]?.options?.detail), /leak\.env › STOLEN/, 'the confirmation names the entry as it is now');
    await settle();
    assert.equal(world.sim.control.requests({ op: 'rollAccountToken' }).length, 1, 'cancelled: no second roll');
    assert.equal(existsSync(path.join(dir, 'leak.env')), false);
  });

  it('adds tokens from an argument (jsonc edit), rotates all with one progress report, expires the previous secret, removes', async () => {
    await start();
    await setCredential();
    await assert.rejects(run(COMMANDS.addToken, { ...ACCESS, serviceTokenId: 'nope' }), /serviceTokenId/);
    const added = await run<{ name: string }>(COMMANDS.addToken, ACCESS);
    assert.equal(added.name, 'ci-access');
    const cfg = JSON.parse(await read(dir, '.vscode/cf-rotate.json')) as { tokens: { name: string }[] };
    assert.deepEqual(cfg.tokens.map((t) => t.name), ['deploy', 'ci-access']);
    await settle();
    assert.deepEqual(tokenNodes(api.tree.roots()).map((t) => t.name), ['deploy', 'ci-access']);

    const results = await run<{ name: string; ok: boolean; graceUntil?: string }[]>(COMMANDS.rotateAll, { confirm: false });
    assert.deepEqual(results.map((r) => [r.name, r.ok]), [['deploy', true], ['ci-access', true]]);
    assert.ok(results[1]?.graceUntil);
    const batch = fake.progress.filter((p) => /Rotating 2 Cloudflare credentials/.test(p.title));
    assert.equal(batch.length, 1, 'one progress notification');
    const total = (batch[0]?.reports ?? []).reduce((s, r) => s + (r.increment ?? 0), 0);
    assert.ok(Math.abs(total - 100) < 1e-6, `increments sum to ${total}`);
    const env = await read(dir, '.env');
    const id = envValue(env, 'CF_ACCESS_CLIENT_ID') as string;
    const secret = envValue(env, 'CF_ACCESS_CLIENT_SECRET') as string;
    assert.equal(world.sim.control.accessCheck(id, secret).allowed, true);
    assert.equal(world.sim.control.accessCheck(DEMO.serviceToken.clientId, DEMO.serviceToken.clientSecret).allowed, true, 'previous secret valid during the grace period');

    const expired = await run<{ ok: boolean }>(COMMANDS.expirePreviousSecret, { name: 'ci-access', confirm: false });
    assert.equal(expired.ok, true);
    assert.equal(world.sim.control.accessCheck(DEMO.serviceToken.clientId, DEMO.serviceToken.clientSecret).allowed, false);
    assert.equal(world.sim.control.accessCheck(id, secret).allowed, true);

    const removed = await run<{ removed: boolean }>(COMMANDS.removeToken, { name: 'ci-access', confirm: false });
    assert.equal(removed.removed, true);
    assert.deepEqual((JSON.parse(await read(dir, '.vscode/cf-rotate.json')) as { tokens: { name: string }[] }).tokens.map((t) => t.name), ['deploy']);
    assertNoSecrets(secret, envValue(env, 'CLOUDFLARE_API_TOKEN'), DEMO.serviceToken.clientSecret);
  });

  it('adds a token with the wizard, picking everything from the API (no copied ids)', async () => {
    await start({ tokens: [] });
    await setCredential();
    await write(dir, 'worker/.dev.vars', 'X=1\n');
    const seen: string[] = [];
    fake.answer = (c) => {
      const title = String(c.options?.title ?? '');
      seen.push(title);
      const items = c.items as { label: string; value?: unknown }[];
      switch (title) {
        case 'Add Token: Kind':
          return items.find((i) => i.value === 'account-api-token');
        case 'Add Token: Credential':
          return items.find((i) => i.value === 'default');
        case 'Add Token: Token':
          return items.find((i) => i.label === 'deploy');
        case 'Add Token: Target file':
          assert.deepEqual(items.map((i) => i.label), ['.env', 'worker/.dev.vars', 'New file…']);
          return items[0];
        case 'Add Token: Schedule':
          return items.find((i) => i.label === 'Every 30 days');
        default:
          return c.kind === 'inputBox' ? c.options?.value : undefined;
      }
    };
    const r = await run<{ name: string }>(COMMANDS.addToken);
    assert.equal(r.name, 'deploy');
    assert.deepEqual(seen.filter((t) => t.startsWith('Add Token')), [
      'Add Token: Kind',
      'Add Token: Credential',
      'Add Token: Token',
      'Add Token: Name',
      'Add Token: Target file',
      'Add Token: Variable for the token',
      'Add Token: Schedule',
    ]);
    const cfg = JSON.parse(await read(dir, '.vscode/cf-rotate.json')) as { tokens: unknown[] };
    assert.deepEqual(cfg.tokens, [
      { name: 'deploy', kind: 'account-api-token', accountId: DEMO.accountId, tokenId: DEMO.accountToken.id, rotateEveryDays: 30, targets: [{ file: '.env', key: 'CLOUDFLARE_API_TOKEN' }] },
    ]);
    await settle();
    assert.deepEqual(tokenNodes(api.tree.roots()).map((t) => t.name), ['deploy']);
    assert.equal(fake.contextKeys.get(CONTEXT.hasTokens), true);
  });

  it('rotateDue also rotates a token whose last rotation lost its secret (its files hold a dead value), whatever its schedule', async () => {
    const at = new Date(Date.now() - 60_000).toISOString();
    const lost = { at, folder: dir, name: 'deploy', kind: 'account-api-token', outcome: 'lost', targets: ['.env › CLOUDFLARE_API_TOKEN'], errorKind: 'ambiguous', error: 'Cloudflare rolled the API token "deploy" but the new value never arrived; the old value no longer works.' };
    await fs.mkdir(process.env.CF_ROTATE_STATE_DIR!, { recursive: true });
    await fs.writeFile(path.join(process.env.CF_ROTATE_STATE_DIR!, 'history.jsonl'), `${JSON.stringify(lost)}\n`);
    await start({ tokens: [{ ...DEPLOY, rotateEveryDays: undefined }, { ...ACCESS, rotateEveryDays: undefined }] });
    await setCredential();
    assert.equal(tokenNodes(api.tree.roots()).find((t) => t.name === 'deploy')?.state, 'failed');
    const results = await run<{ name: string; ok: boolean }[]>(COMMANDS.rotateDue, { confirm: false });
    assert.deepEqual(results.map((r) => [r.name, r.ok]), [['deploy', true]]);
    assert.equal(envValue(await read(dir, '.env'), 'CLOUDFLARE_API_TOKEN'), world.sim.control.state().accountTokens.find((t) => t.id === DEMO.accountToken.id)?.value);
    assert.deepEqual(await run<unknown[]>(COMMANDS.rotateDue, { confirm: false }), [], 'rotated again: no longer due');
  });

  it('rotates only due tokens with rotateDue', async () => {
    await start({ tokens: [DEPLOY, { ...ACCESS, rotateEveryDays: undefined }] });
    await setCredential();
    const results = await run<{ name: string }[]>(COMMANDS.rotateDue, { confirm: false });
    assert.deepEqual(results.map((r) => r.name), ['deploy']);
    const again = await run<unknown[]>(COMMANDS.rotateDue, { confirm: false });
    assert.deepEqual(again, []);
    assert.ok(messages('info').some((m) => /No Cloudflare credentials are due/.test(m)));
    // Tree updates (and the status bar that follows them) are throttled to one per 200 ms.
    await new Promise((r) => setTimeout(r, 1050));
    assert.equal(fake.statusItems[0]?.visible, false);
  });

  it('moves a journal cf-rotate 0.1 left in SecretStorage into the state directory, offers to resume it on activation and finishes it', async () => {
    const secrets = new FakeSecretStorage();
    const globalState = new Memento();
    await start({ tokens: [DEPLOY] }, makeContext(secrets, globalState));
    await setCredential();
    // A journal as a crash right after the API answered would leave it.
    // The crashed window had rolled the token at Cloudflare and journaled the answer.
    const rolled = await fetch(`${world.sim.url}/accounts/${DEMO.accountId}/tokens/${DEMO.accountToken.id}/value`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${(world.admin as { token: string }).token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const newValue = ((await rolled.json()) as { result: string }).result;
    const id = `account-api-token:${DEMO.accountId}:${DEMO.accountToken.id}`;
    const now = Date.now();
    stop();
    // cf-rotate 0.1 kept it in SecretStorage (v1 entry, absolute file path), indexed in global state.
    await new VscodeSecretStore(secrets as unknown as vscode.SecretStorage, globalState as unknown as vscode.Memento).store(`cfRotate.journal.${id}`, JSON.stringify({
      v: 1,
      id,
      owner: 'crashed',
      folder: dir,
      token: 'deploy',
      kind: 'account-api-token',
      profile: 'default',
      state: 'rotated',
      resource: { accountId: DEMO.accountId, tokenId: DEMO.accountToken.id },
      startedAt: now,
      updatedAt: now,
      targets: [{ file: path.join(dir, '.env'), rel: '.env', key: 'CLOUDFLARE_API_TOKEN', field: 'token', oldHash: hashValue(DEMO.accountToken.value), done: false }],
      values: { token: newValue },
    }));
    fake.calls = [];
    await start(null, makeContext(secrets, globalState));
    assert.ok(messages('warning').some((m) => /A rotation was interrupted \("deploy"\)\. A new secret waits/.test(m)), messages().join('\n'));
    assert.equal(fake.contextKeys.get(CONTEXT.hasInterrupted), true);
    assert.equal(tokenNodes(api.tree.roots())[0]?.state, 'interrupted');

    const results = await run<{ state: string; ok: boolean }[]>(COMMANDS.resumeInterrupted, { all: true });
    assert.deepEqual(results.map((r) => [r.ok, r.state]), [[true, 'recovered']]);
    assert.equal(envValue(await read(dir, '.env'), 'CLOUDFLARE_API_TOKEN'), newValue);
    assert.deepEqual(await api.engine.interrupted(), []);
    assert.equal(fake.contextKeys.get(CONTEXT.hasInterrupted), false);
    assertNoSecrets(newValue);
  });

  describe('git for the git gate: git.path from the user settings only, never a git inside the workspace', () => {
    let outside: string;
    let marker: string;
    const savedPath = process.env.PATH;

    beforeEach(async function () {
      if (process.platform === 'win32') this.skip();
      outside = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-ext-git-')));
      marker = path.join(outside, 'marker');
      execFileSync('git', ['init', '-q'], { cwd: dir });
      await write(dir, '.gitignore', '.env\n');
    });
    afterEach(async () => {
      process.env.PATH = savedPath;
      await fs.rm(outside, { recursive: true, force: true });
    });

    const script = async (file: string, body: string): Promise<string> => {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
      return file;
    };
    /** What a hostile repository plants: a git that would note its run and answer "all fine". */
    const planted = (file: string): Promise<string> => script(file, `echo pwned >> "${marker}"\nexit 0`);
    const rotated = async (): Promise<void> => {
      const r = await run<{ ok: boolean; error?: unknown }>(COMMANDS.rotate, { name: 'deploy', confirm: false });
      assert.equal(r.ok, true, JSON.stringify(r.error));
    };

    it('a git planted at the root (on PATH with "." and the folder), a git.path of the workspace settings and a user git.path inside the folder never run', async () => {
      await planted(path.join(dir, 'git'));
      await planted(path.join(dir, 'tools', 'git'));
      process.env.PATH = [dir, '.', savedPath ?? ''].join(path.delimiter);
      fake.setSetting('git.path', { workspaceValue: path.join(dir, 'tools', 'git') });
      await start();
      await setCredential();
      await rotated();
      assert.equal(await fs.stat(marker).then(() => true, () => false), false, 'a git of the workspace ran');
      fake.setSetting('git.path', { globalValue: path.join(dir, 'tools', 'git') });
      await rotated();
      assert.equal(await fs.stat(marker).then(() => true, () => false), false, 'a user git.path inside the folder ran');
    });

    it('a user git.path outside the workspace is the git that runs, also when set after activation', async () => {
      const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
      const mine = await script(path.join(outside, 'bin', 'git'), `echo ran >> "${marker}"\nexec "${realGit}" "$@"`);
      await start();
      await setCredential();
      await rotated();
      assert.equal(await fs.stat(marker).then(() => true, () => false), false, 'no git.path yet: git from PATH');
      fake.setSetting('git.path', { globalValue: [mine] });
      await rotated();
      assert.ok((await fs.readFile(marker, 'utf8')).includes('ran'), 'the configured git ran');
      await fs.rm(marker);
      // Its answer counts: once it says ".env" is not ignored, the rotation is refused with the reason.
      await fs.writeFile(mine, `#!/bin/sh\necho ran >> "${marker}"\ncase "$*" in *check-ignore*) exit 1;; esac\nexec "${realGit}" "$@"\n`, { mode: 0o755 });
      const refused = await run<{ ok: boolean; error?: { message: string } }>(COMMANDS.rotate, { name: 'deploy', confirm: false });
      assert.equal(refused.ok, false);
      assert.match(refused.error?.message ?? '', /\.env is not ignored by git/);
    });
  });

  /** The entry a window killed with its roll unanswered leaves: whether Cloudflare rolled is not known yet (the call could still take effect). */
  /** `deadlineIn`: ms from now until its call can no longer take effect (default: that passed a second ago). */
  async function interruptedUnknown(deadlineIn = -1_000): Promise<string> {
    const id = `account-api-token:${DEMO.accountId}:${DEMO.accountToken.id}`;
    const now = Date.now();
    await new NodeJournalStore(process.env.CF_ROTATE_STATE_DIR!).put(id, JSON.stringify({
      v: 2, id, owner: `crashed-${now}`, folder: dir, token: 'deploy', kind: 'account-api-token', profile: 'default', state: 'unknown', lastError: 'The connection was reset.',
      resource: { accountId: DEMO.accountId, tokenId: DEMO.accountToken.id }, startedAt: now - 60_000, updatedAt: now, sentAt: now - 60_000, deadline: now + deadlineIn,
      targets: [{ rel: '.env', key: 'CLOUDFLARE_API_TOKEN', field: 'token', oldHash: hashValue(DEMO.accountToken.value), done: false }],
    }));
    return id;
  }
  async function historyLines(): Promise<{ name: string; outcome: string; error?: string }[]> {
    const text = await fs.readFile(path.join(process.env.CF_ROTATE_STATE_DIR!, 'history.jsonl'), 'utf8').catch(() => '');
    return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { name: string; outcome: string; error?: string });
  }
  async function until(cond: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (!(await cond())) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('a journal entry of a newer cf-rotate: activation says so (its name, no value), and Rotate refuses over it; the entry stays as it was', async () => {
    const id = `account-api-token:${DEMO.accountId}:${DEMO.accountToken.id}`;
    const secret = `cfat_${'n'.repeat(40)}`;
    const raw = JSON.stringify({ v: 99, id, folder: dir, token: 'deploy', state: 'rotated', values: { token: secret } });
    const store = new NodeJournalStore(process.env.CF_ROTATE_STATE_DIR!);
    await store.put(id, raw);
    await start();
    assert.ok(messages('warning').some((m) => /^An interrupted rotation of "deploy" was journaled by a newer cf-rotate \(journal format 99\), which this version cannot read; it was left untouched\. It may hold a new secret: run "Cloudflare Rotate: Resume Interrupted Rotation…" with the version that made it\. Nothing was changed\.$/.test(m)), messages().join('\n'));
    await setCredential();
    const r = await run<{ ok: boolean; error?: { message: string } }>(COMMANDS.rotate, { name: 'deploy', confirm: false });
    assert.equal(r.ok, false);
    assert.match(r.error?.message ?? '', /journaled by a newer cf-rotate \(journal format 99\).*nothing was started over it/);
    assert.equal(world.sim.control.state().accountTokens.find((t) => t.id === DEMO.accountToken.id)?.value, DEMO.accountToken.value, 'not rolled');
    assert.deepEqual(await store.list(), [raw]);
    assert.ok(!messages().join('\n').includes(secret));
  });

  it('a damaged journal entry: activation says so in the same words as the CLI (no name to give: "a token", unquoted), and leaves it as it was', async () => {
    const store = new NodeJournalStore(process.env.CF_ROTATE_STATE_DIR!);
    const raw = `{"v":1,"token":"deploy","values":{"token":"cfat_${'d'.repeat(40)}"`;
    await store.put('account-api-token:damaged', raw);
    await start();
    const warning = messages('warning').find((m) => m.startsWith('A rotation journal entry of '));
    assert.equal(warning, 'A rotation journal entry of a token cannot be read (not valid JSON); it was left untouched and may hold a new secret. Nothing was changed. Keep it, and report it if no newer cf-rotate made it.', messages().join('\n'));
    assert.deepEqual(await store.list(), [raw]);
    assert.ok(!messages().join('\n').includes('d'.repeat(40)));
  });

  it('Discard… is not offered while the call may still take effect: only Try Again', async () => {
    await start();
    await setCredential();
    await interruptedUnknown(600_000);
    const errors: UiCall[] = [];
    fake.answer = (call) => {
      if (call.kind === 'error') errors.push(call);
      return undefined;
    };
    const first = await run<{ name: string; ok: boolean; state: string }[]>(COMMANDS.resumeInterrupted, { all: true });
    assert.deepEqual(first.map((r) => [r.name, r.ok, r.state]), [['deploy', false, 'unknown']]);
    await until(async () => errors.length > 0, 'the notification');
    assert.deepEqual(errors[0]!.items, ['Try Again', 'Show Log']);
    await assert.rejects(api.engine.discard((await api.engine.interrupted())[0]!.id), /cannot be discarded yet/);
    assert.equal((await api.engine.interrupted()).length, 1);
  });

  it('Discard…: offered when a resume cannot settle; the dialog says what to check and what is lost; Discard removes the entry and records it, Cancel keeps it', async () => {
    await start();
    await setCredential();
    await interruptedUnknown();
    // Past its deadline, but Cloudflare cannot be asked whether it rotated: resume cannot settle it.
    world.sim.control.addFault({ op: 'getAccountToken', type: 'status', status: 500, times: -1, retryAfterSec: 0 });
    world.sim.control.addFault({ op: 'verifyAccountToken', type: 'status', status: 500, times: -1, retryAfterSec: 0 });
    let dialog: UiCall | undefined;
    let choose: string | undefined = 'Discard';
    fake.answer = (call) => {
      if (call.kind === 'error' && call.items.includes('Discard…')) return 'Discard…';
      if (call.kind === 'warning' && call.options?.modal === true) {
        dialog = call;
        return choose;
      }
      return undefined;
    };

    // Declined: the entry stays, nothing is recorded.
    choose = undefined;
    const first = await run<{ name: string; ok: boolean; state: string }[]>(COMMANDS.resumeInterrupted, { all: true });
    assert.deepEqual(first.map((r) => [r.name, r.ok, r.state]), [['deploy', false, 'unknown']]);
    await until(async () => dialog !== undefined, 'the Discard dialog');
    assert.equal(dialog!.message, 'Discard the interrupted rotation of "deploy"?');
    assert.deepEqual(dialog!.items, ['Discard']);
    assert.match(String(dialog!.options?.detail), /^cf-rotate cannot tell whether Cloudflare rotated "deploy"\. First check in the Cloudflare dashboard whether the value in \.env › CLOUDFLARE_API_TOKEN still works\. If it does, discarding is safe\. If it does not, the rotation happened and its new secret never arrived: discard, then rotate again\.$/);
    await settle();
    assert.equal((await api.engine.interrupted()).length, 1, 'Cancel keeps the entry');
    assert.deepEqual(await historyLines(), []);

    // Discard: the entry goes, the history records it, the tree no longer offers to resume.
    dialog = undefined;
    choose = 'Discard';
    await run(COMMANDS.resumeInterrupted, { all: true });
    // (While the discard holds the entry's lock, interrupted() already leaves it out: wait for what it records.)
    await until(async () => (await historyLines()).length > 0 && (await new NodeJournalStore(process.env.CF_ROTATE_STATE_DIR!).list()).length === 0, 'the discard');
    assert.deepEqual(await api.engine.interrupted(), []);
    assert.deepEqual((await historyLines()).map((h) => [h.name, h.outcome, h.error]), [['deploy', 'discarded', 'The interrupted rotation of "deploy" was discarded (discarded by the user).']]);
    assert.equal(envValue(await read(dir, '.env'), 'CLOUDFLARE_API_TOKEN'), DEMO.accountToken.value, 'no file was written');
    await until(async () => fake.contextKeys.get(CONTEXT.hasInterrupted) === false, 'the tree to forget it');
    assertNoSecrets();
  });

  it('Discard for scripts ({discard: true}): no dialog; the entry goes and is recorded; an unknown journal id is refused', async () => {
    await start();
    await setCredential();
    const id = await interruptedUnknown();
    fake.calls = [];
    const out = await run<{ name: string; ok: boolean; state: string; warnings: string[] }[]>(COMMANDS.resumeInterrupted, { journalId: id, discard: true });
    assert.deepEqual(out.map((r) => [r.name, r.ok, r.state, r.warnings]), [['deploy', true, 'cancelled', ['discarded']]]);
    assert.deepEqual(fake.calls.filter((c) => c.options?.modal === true), [], 'no dialog');
    assert.deepEqual(await api.engine.interrupted(), []);
    assert.deepEqual((await historyLines()).map((h) => [h.name, h.outcome]), [['deploy', 'discarded']]);
    await assert.rejects(run(COMMANDS.resumeInterrupted, { journalId: id, discard: true }), /no interrupted rotation/i);
  });

  it('on start, sweeps the temporaries killed processes left in the state directory (history, locks)', async () => {
    const state = process.env.CF_ROTATE_STATE_DIR!;
    await fs.mkdir(path.join(state, 'locks'), { recursive: true });
    const left = [
      path.join(state, 'history.jsonl.cf-rotate-4194303999-77-abcdef012345.tmp'),
      path.join(state, 'locks', `rot-x.lock.4194303999-${'ab'.repeat(12)}.tmp`),
    ];
    for (const f of left) await fs.writeFile(f, '');
    await start();
    await until(async () => left.every((f) => !existsSync(f)), 'the sweep');
  });

  it('shows config errors as tree messages and opens the config at the JSON path', async () => {
    await start({ tokens: [{ ...DEPLOY, accountId: 'nope' }] });
    const roots = api.tree.roots();
    assert.equal(roots[0]?.type, 'message');
    assert.equal(roots[0]?.label, 'tokens[0].accountId');
    const args = roots[0]?.command?.arguments?.[0];
    const r = await run<{ file: string }>(COMMANDS.openConfig, args);
    assert.equal(r.file, path.join(dir, '.vscode', 'cf-rotate.json'));
    const editor = fake.editors.at(-1);
    const sel = editor?.selection;
    assert.ok(sel);
    const text = editor.document.getText();
    const lines = text.split('\n');
    assert.match(lines[sel.start.line] ?? '', /"accountId": "nope"/);
  });

  it('shows two entries that rotate the same Cloudflare credential as a config error at the second entry', async () => {
    await start({ tokens: [DEPLOY, { ...DEPLOY, name: 'deploy copy', targets: [{ file: '.dev.vars', key: 'CLOUDFLARE_API_TOKEN' }] }] });
    const roots = api.tree.roots();
    assert.equal(roots[0]?.type, 'message');
    assert.equal(roots[0]?.label, 'tokens[1]');
    assert.match(JSON.stringify(api.tree.getTreeItem(roots[0] as TreeNode)), /already configured as 'deploy'/);
  });

  describe('account-owned admin tokens and both schemes (A1, A5)', () => {
    /** Answers the interactive Set Credential: profile, scheme, then the values in order. */
    function answerSetCredential(scheme: 'API token' | 'Email + Global API key', values: string[], more: (c: UiCall) => unknown = () => undefined): string[] {
      const seen: string[] = [];
      const queue = [...values];
      fake.answer = (c) => {
        const title = String(c.options?.title ?? '');
        seen.push(`${c.kind}: ${title}: ${c.message}`);
        const items = (c.items ?? []) as { label: string }[];
        // One multi-step input: Profile 1/3, Scheme 2/3, the values 3/3.
        if (c.kind === 'inputBox' && c.options?.step === 1 && c.options.totalSteps === 3) return 'default';
        if (c.kind === 'quickPick' && c.options?.step === 2 && c.options.totalSteps === 3) return items.find((i) => i.label === scheme);
        if (c.kind === 'inputBox') {
          const v = queue.shift();
          const bad = (c.options?.validateInput as ((x: string) => string | undefined) | undefined)?.(v ?? '');
          assert.equal(bad, undefined, `the input box accepts the value (${title})`);
          return v;
        }
        return more(c);
      };
      return seen;
    }

    it('Set Credential with an account-owned token (cfat_): not asked on the user route (A1), GET /accounts finds the account, stored with it; rotations work', async () => {
      await start({ tokens: [DEPLOY] });
      world.sim.control.clearRequests();
      answerSetCredential('API token', [DEMO.accountAdmin.value]);
      const r = await run<{ stored: boolean; verified: boolean; accountId?: string }>(COMMANDS.setCredential);
      assert.deepEqual(r, { profile: 'default', stored: true, verified: true, accountId: DEMO.accountId });
      assert.deepEqual(world.sim.control.requests().map((q) => [q.op, q.status]), [
        ['listAccounts', 200],
        ['verifyAccountToken', 200],
      ]);
      const stored = await api.credentials.get('default');
      assert.deepEqual(stored, { type: 'api-token', token: DEMO.accountAdmin.value, accountId: DEMO.accountId });
      assert.ok(messages('info').some((m) => /account-owned token of account 954a55fc5f585e634c5bbd7b5e8f4cf2/.test(m)));
      world.sim.control.clearRequests();
      const rot = await run<Record<string, unknown>>(COMMANDS.rotate, { name: 'deploy', confirm: false });
      assert.equal(rot.ok, true, JSON.stringify(rot));
      assert.equal(world.sim.control.requests({ op: 'verifyUserToken' }).filter((q) => q.credential === `token:${DEMO.accountAdmin.id}`).length, 0, 'the stored account: no more user-route checks');
      assertNoSecrets(DEMO.accountAdmin.value);
    });

    describe('an account-owned token that sees several accounts: Set Credential asks which one owns it', () => {
      const STAGING = { id: 'b'.repeat(32), name: 'Staging' };
      let front: Awaited<ReturnType<typeof accountsFront>>;
      let asked: UiCall[];

      beforeEach(async () => {
        front = await accountsFront(world.sim.url, STAGING);
        await start({ tokens: [DEPLOY] });
        fake.setSetting('cfRotate.apiBaseUrl', { globalValue: front.url });
        world.sim.control.clearRequests();
        asked = [];
      });
      afterEach(async () => {
        await front.close();
      });

      /** Answers the interactive Set Credential with the account-owned admin token; the account question with `choose`. */
      function answer(choose: (items: { label: string; detail?: string; value?: unknown }[]) => unknown): void {
        answerSetCredential('API token', [DEMO.accountAdmin.value], (c) => {
          if (c.kind !== 'quickPick') return undefined;
          asked.push(c);
          return choose(c.items as { label: string; detail?: string; value?: unknown }[]);
        });
      }

      it('lists every account the token sees (name, id) as step 3 of 3, checks the token with the one picked and stores it with that account', async () => {
        answer((items) => items.find((i) => i.value === DEMO.accountId));
        const r = await run<{ stored: boolean; verified: boolean; accountId?: string }>(COMMANDS.setCredential);
        assert.deepEqual(r, { profile: 'default', stored: true, verified: true, accountId: DEMO.accountId });
        assert.equal(asked.length, 1, 'asked once');
        const q = asked[0]!;
        assert.equal(q.message, 'The token is account-owned: which account owns it?');
        assert.deepEqual([q.options?.title, q.options?.step, q.options?.totalSteps], ['Set Cloudflare Credential for "default"', 3, 3]);
        assert.deepEqual(
          (q.items as { label: string; detail?: string; value?: unknown }[]).map((i) => [i.label, i.detail, i.value]),
          [
            [DEMO.accountName, DEMO.accountId, DEMO.accountId],
            [STAGING.name, STAGING.id, STAGING.id],
          ],
        );
        assert.deepEqual(world.sim.control.requests().map((q2) => [q2.op, q2.status, q2.apiPath.replace(/\?.*$/, '')]), [
          ['listAccounts', 200, '/accounts'],
          ['verifyAccountToken', 200, `/accounts/${DEMO.accountId}/tokens/verify`],
        ]);
        assert.deepEqual(await api.credentials.get('default'), { type: 'api-token', token: DEMO.accountAdmin.value, accountId: DEMO.accountId });
        assert.ok(messages('info').some((m) => m.includes(`account-owned token of account ${DEMO.accountId}`)), messages('info').join('\n'));
        assertNoSecrets(DEMO.accountAdmin.value);
      });

      it('Escape at the question stores nothing and checks nothing more', async () => {
        answer(() => undefined);
        const r = await run(COMMANDS.setCredential);
        assert.equal(r, undefined);
        assert.equal(asked.length, 1);
        assert.equal(await api.credentials.get('default'), undefined);
        assert.deepEqual(world.sim.control.requests().map((q) => q.op), ['listAccounts']);
        assert.deepEqual(messages('error'), [], 'a cancel is no error');
      });

      it('an account that does not own the token: nothing is saved, the question comes again saying so, and the right account is stored', async () => {
        let n = 0;
        answer((items) => {
          const owner = n++ === 0 ? STAGING.id : DEMO.accountId;
          return items.find((i) => i.value === owner);
        });
        const r = await run<{ stored: boolean; verified: boolean; accountId?: string }>(COMMANDS.setCredential);
        assert.deepEqual(asked.map((q) => q.message), [
          'The token is account-owned: which account owns it?',
          'Cloudflare did not accept the token as a token of "Staging" (HTTP 401), so nothing was saved. Which account owns it?',
        ]);
        assert.deepEqual(asked[1]?.options?.activeItems, [], 'the refused account is not pre-selected');
        assert.deepEqual(r, { profile: 'default', stored: true, verified: true, accountId: DEMO.accountId });
        assert.deepEqual(await api.credentials.get('default'), { type: 'api-token', token: DEMO.accountAdmin.value, accountId: DEMO.accountId });
        assert.ok(world.sim.control.requests({ op: 'verifyAccountToken' }).some((q) => q.apiPath === `/accounts/${STAGING.id}/tokens/verify` && q.status === 401));
        assert.deepEqual(messages('error'), [], 'asked again, not failed');
        assertNoSecrets(DEMO.accountAdmin.value);
      });

      it('an account that does not own the token, then Escape: nothing is stored', async () => {
        let n = 0;
        answer((items) => (n++ === 0 ? items.find((i) => i.value === STAGING.id) : undefined));
        assert.equal(await run(COMMANDS.setCredential), undefined);
        assert.equal(asked.length, 2);
        assert.equal(await api.credentials.get('default'), undefined);
        assert.deepEqual(messages('error'), []);
      });
    });

    it('Set Credential adds a Global API key beside the stored API token ("Keep both"): zone-level Access then rotates with the key, the rest with the token', async () => {
      const ZONE = { name: 'zone-access', kind: 'access-service-token', zoneId: DEMO.zoneId, serviceTokenId: DEMO.zoneServiceToken.id, clientSecretVersion: 1, gracePeriod: '0s', targets: [{ file: '.env', key: 'ZONE_SECRET' }] };
      await write(dir, '.env', `# app\nCLOUDFLARE_API_TOKEN=${DEMO.accountToken.value}\nZONE_SECRET=${DEMO.zoneServiceToken.clientSecret}\n`);
      await start({ tokens: [DEPLOY, ZONE] });
      await setCredential();
      // An API token alone: refused before any request, saying what to add.
      world.sim.control.clearRequests();
      const refused = await run<Record<string, unknown> & { error?: { kind: string; message: string; hint?: string } }>(COMMANDS.rotate, { name: 'zone-access', confirm: false });
      assert.equal(refused.ok, false);
      assert.equal(refused.error?.kind, 'credential-missing');
      assert.match(refused.error?.message ?? '', /needs email \+ Global API key: zone-level Access service tokens accept only email \+ Global API key/);
      assert.match(refused.error?.hint ?? '', /Set Credential…" for profile "default" with "Email \+ Global API key", and keep the API token/);
      assert.deepEqual(world.sim.control.requests(), []);

      const st = world.sim.control.state();
      const seen = answerSetCredential('Email + Global API key', [st.user.email, st.user.globalApiKey], (c) => (c.kind === 'quickPick' ? (c.items as { label: string }[]).find((i) => i.label === 'Keep both') : undefined));
      const r = await run<{ stored: boolean }>(COMMANDS.setCredential);
      assert.equal(r.stored, true);
      assert.ok(seen.some((x) => /also holds an API token\. Keep it beside the new email \+ Global API key\?/.test(x)), seen.join('\n'));
      assert.deepEqual(await api.credentials.get('default'), { type: 'api-token', token: world.admin.token, globalKey: { email: st.user.email, key: st.user.globalApiKey } });
      assert.ok(messages('info').some((m) => /Saved the Cloudflare credential for profile "default" \(verified\) in the secret storage: an API token and email \+ Global API key/.test(m)));

      world.sim.control.clearRequests();
      const results = await run<{ name: string; ok: boolean }[]>(COMMANDS.rotateAll, { confirm: false });
      assert.deepEqual(results.map((x) => [x.name, x.ok]), [['deploy', true], ['zone-access', true]]);
      const zoneReqs = world.sim.control.requests().filter((q) => q.apiPath.startsWith('/zones/'));
      assert.ok(zoneReqs.length >= 2 && zoneReqs.every((q) => q.credential.startsWith('global-key:')));
      assert.ok(world.sim.control.requests({ op: 'rollAccountToken' }).every((q) => q.credential.startsWith('token:')));
      assertNoSecrets(st.user.globalApiKey);
    });

    it('the Add Token wizard marks what is already configured and adds a target to that entry instead of a duplicate', async () => {
      await start({ tokens: [DEPLOY] });
      await setCredential();
      let tokenItems: { label: string; description?: string }[] = [];
      fake.answer = (c) => {
        const title = String(c.options?.title ?? '');
        const items = (c.items ?? []) as { label: string; value?: unknown; description?: string }[];
        switch (title) {
          case 'Add Token: Kind':
            return items.find((i) => i.value === 'account-api-token');
          case 'Add Token: Credential':
            return items.find((i) => i.value === 'default');
          case 'Add Token: Token':
            tokenItems = items;
            return items.find((i) => i.label === 'deploy');
          case 'Add Token: Already configured':
            return items.find((i) => i.label === "Add a target to 'deploy'");
          case 'Add Token: Target file':
            return items.find((i) => i.label === 'New file…');
          case 'Add Token: New target file':
            return 'deploy.env';
          default:
            return c.kind === 'inputBox' ? c.options?.value : undefined;
        }
      };
      const r = await run<{ name: string; addedTargets?: number }>(COMMANDS.addToken);
      assert.deepEqual(r, { folder: dir, name: 'deploy', addedTargets: 1 });
      assert.match(tokenItems.find((i) => i.label === 'deploy')?.description ?? '', /already configured as 'deploy'/);
      assert.ok(tokenItems.filter((i) => i.label !== 'deploy').every((i) => !/already configured/.test(i.description ?? '')));
      const cfg = JSON.parse(await read(dir, '.vscode/cf-rotate.json')) as { tokens: { name: string; targets: unknown[] }[] };
      assert.equal(cfg.tokens.length, 1);
      assert.deepEqual(cfg.tokens[0]?.targets, [...DEPLOY.targets, { file: 'deploy.env', key: 'CLOUDFLARE_API_TOKEN' }]);
    });

    it('the Add Token wizard never sends an API token to zone-level service tokens: it says to add the Global API key', async () => {
      await start({ tokens: [] });
      await setCredential();
      world.sim.control.clearRequests();
      fake.answer = (c) => {
        const title = String(c.options?.title ?? '');
        const items = (c.items ?? []) as { label: string; value?: unknown }[];
        if (title === 'Add Token: Kind') return items.find((i) => i.value === 'access-service-token');
        if (title === 'Add Token: Credential') return items.find((i) => i.value === 'default');
        if (title === 'Add Token: Scope') return items.find((i) => i.value === 'zone');
        return undefined;
      };
      await run(COMMANDS.addToken);
      assert.deepEqual(world.sim.control.requests(), [], 'nothing was sent');
      assert.ok(messages('error').some((m) => /Add token failed: Listing zone-level Access service tokens needs email \+ Global API key/.test(m)), messages('error').join('\n'));
    });
  });

  it('reloads the tree when the watcher reports a config change', async () => {
    await start();
    assert.equal(tokenNodes(api.tree.roots()).length, 1);
    await write(dir, '.vscode/cf-rotate.json', JSON.stringify({ tokens: [DEPLOY, ACCESS] }));
    const w = fake.watchers.find((x) => x.glob === '**/.vscode/cf-rotate.json');
    w?.change.fire(Uri.file(path.join(dir, '.vscode', 'cf-rotate.json')));
    await new Promise((r) => setTimeout(r, 300));
    await settle();
    assert.deepEqual(tokenNodes(api.tree.roots()).map((t) => t.name), ['deploy', 'ci-access']);
  });

  it('reveals a target: opens the file and selects the line of the key', async () => {
    await start();
    const target = tokenNodes(api.tree.roots())[0]?.children[0];
    assert.ok(target?.command);
    const r = await run<{ line: number }>(COMMANDS.revealTarget, target.command.arguments?.[0]);
    assert.equal(r.line, 1);
    const sel = fake.editors.at(-1)?.selection;
    assert.deepEqual([sel?.start.line, sel?.start.character, sel?.end.line], [1, 0, 1]);
    await assert.rejects(run(COMMANDS.revealTarget, { folder: dir, file: '../outside', key: 'K' }), /outside the workspace folder/);
  });

  it('Reveal Target refuses a file or folder that links out of the workspace folder, and opens an inside link\'s real file', async function () {
    if (process.platform === 'win32') this.skip();
    await start();
    const outside = await tempFolder('cf-rotate-outside-');
    try {
      await write(outside, 'credentials', '[default]\nAWS_SECRET_ACCESS_KEY=outside-secret\n');
      await fs.symlink(path.join(outside, 'credentials'), path.join(dir, 'x.env'));
      await fs.symlink(outside, path.join(dir, 'sub'));
      const editors = fake.editors.length;
      assert.equal(await run(COMMANDS.revealTarget, { folder: dir, file: 'x.env', key: 'AWS_SECRET_ACCESS_KEY' }), undefined);
      assert.equal(await run(COMMANDS.revealTarget, { folder: dir, file: 'sub/credentials', key: 'AWS_SECRET_ACCESS_KEY' }), undefined);
      assert.equal(fake.editors.length, editors, 'no editor was opened');
      const said = messages('error');
      assert.ok(said.some((m) => /^Reveal target failed: x\.env is a link that leads outside the workspace folder; cf-rotate refuses to follow it\./.test(m)), said.join('\n'));
      assert.ok(said.some((m) => /^Reveal target failed: sub\/credentials lies in a folder that links outside the workspace folder/.test(m)), said.join('\n'));
      assert.ok(!fake.transcript().includes('outside-secret'));
      // A link inside the folder is fine: the real file is opened.
      await fs.symlink(path.join(dir, '.env'), path.join(dir, 'inside.env'));
      const r = await run<{ line: number }>(COMMANDS.revealTarget, { folder: dir, file: 'inside.env', key: 'CLOUDFLARE_API_TOKEN' });
      assert.equal(r.line, 1);
      assert.equal(fake.editors.at(-1)?.document.uri.fsPath, path.join(await fs.realpath(dir), '.env'));
    } finally {
      await fs.rm(outside, { recursive: true, force: true });
    }
  });

  it('ignores a workspace-level apiBaseUrl and refuses to rotate in an untrusted workspace', async () => {
    await start();
    fake.setSetting('cfRotate.apiBaseUrl', { workspaceValue: 'https://evil.example/client/v4' });
    assert.equal(api.settings.apiBaseUrl(), 'https://api.cloudflare.com/client/v4');
    assert.ok((fake.channels.get(OUTPUT_CHANNEL_NAME) ?? []).some((l) => /Ignoring cfRotate\.apiBaseUrl from the workspace/.test(l)));
    fake.setSetting('cfRotate.apiBaseUrl', { globalValue: 'http://example.com/client/v4' });
    assert.throws(() => api.settings.apiBaseUrl(), /not allowed/);
    fake.trusted = false;
    await assert.rejects(run(COMMANDS.rotate, { name: 'deploy', confirm: false }), (e: unknown) => (e as { kind?: string }).kind === 'untrusted');
  });

  it('rejects unknown tokens and bad arguments for scripts', async () => {
    await start();
    await assert.rejects(run(COMMANDS.rotate, { name: 'nope' }), /No token named "nope"/);
    await assert.rejects(run(COMMANDS.rotate, { name: 42 }), /Invalid argument for cfRotate\.rotate/);
    await assert.rejects(run(COMMANDS.rotateAll, { concurrency: 0 }), /concurrency/);
    await assert.rejects(run(COMMANDS.resumeInterrupted, { journalId: 'x' }), /no interrupted rotation/i);
  });
});
