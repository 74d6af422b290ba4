/**
 * The editor side of "a hostile repository cannot steer a secret" and of the rotate / result
 * experience, with the fake `vscode` module against the simulator: neutralised text at every
 * chokepoint, user-only settings, the narrow exported API, the confirmation that names the
 * credential as Cloudflare knows it, git and unsaved editors before the question, cancelling,
 * phases, honest messages, History and the log.
 */
import './fakeVscode';
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { COMMANDS, OUTPUT_CHANNEL_NAME } from '../../../src/constants';
import { activate, type CfRotateApi } from '../../../src/extension';
import { batchSummary, formatDateTime, formatRelative, formatTime, localiseInstants, resultMessage, stepText } from '../../../src/commands/describe';
import { DEMO } from '../../simulator';
import { read, startWorld, tempFolder, write, type World } from '../helpers/world';
import { BACK, ExtensionMode, fake, makeContext, Range, Uri, type FakeDocument, type UiCall } from './fakeVscode';
import { run, settle } from './drive';

const DEPLOY = {
  name: 'deploy',
  kind: 'account-api-token',
  accountId: DEMO.accountId,
  tokenId: DEMO.accountToken.id,
  targets: [{ file: '.env', key: 'CLOUDFLARE_API_TOKEN' }],
};
const ACCESS = {
  name: 'ci-access',
  kind: 'access-service-token',
  accountId: DEMO.accountId,
  serviceTokenId: DEMO.serviceToken.id,
  targets: [
    { file: '.env', key: 'CF_ACCESS_CLIENT_ID', field: 'clientId' },
    { file: '.env', key: 'CF_ACCESS_CLIENT_SECRET', field: 'clientSecret' },
  ],
};
/** A Markdown command link, as a hostile repository or a Cloudflare error text could carry it. */
const LINK = '[Open me](command:workbench.action.terminal.new)';

type Ctx = ReturnType<typeof makeContext>;
type Result = { ok: boolean; state: string; error?: { kind: string; message: string; hint?: string }; checkAgainAt?: string; graceUntil?: string };

function modals(): UiCall[] {
  return fake.calls.filter((c) => c.options?.modal === true);
}

function notifications(): UiCall[] {
  return fake.calls.filter((c) => (c.kind === 'info' || c.kind === 'warning' || c.kind === 'error') && c.options?.modal !== true);
}

function logLines(): string[] {
  return fake.channels.get(OUTPUT_CHANNEL_NAME) ?? [];
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: dir, encoding: 'utf8' });
}

/* eslint-disable no-control-regex -- the tests look for control characters */
describe('editor safety and the rotate experience (fake VS Code + simulator)', function () {
  this.timeout(40_000);
  let world: World;
  let dir: string;
  let ctx: Ctx;
  let api: CfRotateApi;

  async function start(config: unknown = { tokens: [DEPLOY] }, mode: number = ExtensionMode.Test): Promise<unknown> {
    ctx = makeContext(undefined, undefined, undefined, mode);
    fake.folders = [{ uri: Uri.file(dir), name: 'app', index: 0 }];
    fake.setSetting('cfRotate.apiBaseUrl', { globalValue: world.sim.url });
    if (config !== null) await write(dir, '.vscode/cf-rotate.json', JSON.stringify(config, null, 2));
    const exported = activate(ctx as unknown as vscode.ExtensionContext);
    await exported.ready;
    await settle();
    if (mode === ExtensionMode.Test) api = exported as CfRotateApi;
    return exported;
  }

  function stop(): void {
    for (const d of ctx.subscriptions) d.dispose();
    ctx.subscriptions.length = 0;
  }

  async function setCredential(): Promise<void> {
    const r = await run<{ stored: boolean }>(COMMANDS.setCredential, { profile: 'default', apiToken: world.admin.token, verify: false });
    assert.equal(r.stored, true);
  }

  const saved = { state: process.env.CF_ROTATE_STATE_DIR, timeout: process.env.CF_ROTATE_TIMEOUT };
  after(() => {
    process.env.CF_ROTATE_STATE_DIR = saved.state;
    if (saved.timeout === undefined) delete process.env.CF_ROTATE_TIMEOUT;
    else process.env.CF_ROTATE_TIMEOUT = saved.timeout;
  });

  beforeEach(async () => {
    fake.reset();
    world = await startWorld();
    dir = await tempFolder('cf-rotate-safety-');
    process.env.CF_ROTATE_STATE_DIR = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-safety-state-'));
    process.env.CF_ROTATE_TIMEOUT = '1';
    await write(dir, '.env', `# app\nCLOUDFLARE_API_TOKEN=${DEMO.accountToken.value}\nCF_ACCESS_CLIENT_ID=${DEMO.serviceToken.clientId}\nCF_ACCESS_CLIENT_SECRET=${DEMO.serviceToken.clientSecret}\n`);
  });

  afterEach(async () => {
    stop();
    await world.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  describe('links and control characters never reach a notification, dialog, picker, tree item or the log', () => {
    it('a target path from an argument and a Cloudflare error text carrying a command link are neutralised', async () => {
      await start();
      await setCredential();
      // A path from a script argument (a repository's cf-rotate.json cannot hold link characters).
      await run(COMMANDS.revealTarget, { folder: dir, file: `${LINK}.env`, key: 'K' });
      // A Cloudflare error text with a link, an escape sequence and a line break.
      world.sim.control.addFault({ op: 'rollAccountToken', type: 'error-text', status: 400, message: `Bad request ${LINK}\u001b[31m\nforged log line` });
      const r = await run<Result>(COMMANDS.rotate, { name: 'deploy', confirm: false });
      assert.equal(r.ok, false);
      const shown = notifications();
      assert.ok(shown.some((c) => c.message.includes('Open me')), 'the path was shown');
      assert.ok(shown.some((c) => c.kind === 'error' && c.message.includes('Bad request')), JSON.stringify(shown.map((c) => c.message)));
      for (const c of fake.calls) {
        assert.ok(!c.message.includes(']('), `no link syntax in: ${c.message}`);
        assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f]/.test(c.message), `no control characters in: ${JSON.stringify(c.message)}`);
      }
      for (const p of fake.progress) for (const m of [p.title, ...p.reports.map((x) => x.message ?? '')]) assert.ok(!m.includes(']('), m);
      // The log: one line per entry, no escape sequence.
      for (const line of logLines()) assert.ok(!/[\u0000-\u0008\u000a-\u001f\u007f]/.test(line), JSON.stringify(line));
      assert.ok(logLines().some((l) => l.includes('Bad request') && l.includes('forged log line')), 'the line break became a space');
    });

    it('a name Cloudflare gives the credential is neutralised in the confirmation; tree labels and QuickPick items are plain', async () => {
      const evil = world.sim.control.addAccountToken(DEMO.accountId, { name: `prod ${LINK}\u202e` });
      await write(dir, '.env', `EVIL=${evil.value}\n`);
      await start({ tokens: [{ ...DEPLOY, name: 'staging', tokenId: evil.id, targets: [{ file: '.env', key: 'EVIL' }] }] });
      await setCredential();
      fake.answer = (c) => (c.kind === 'quickPick' ? c.items[0] : undefined);
      const r = await run<Result>(COMMANDS.rotate);
      assert.equal(r.state, 'cancelled');
      const modal = modals()[0];
      assert.ok(modal, 'the confirmation was shown');
      const detail = String(modal.options?.detail);
      assert.match(detail, /Cloudflare: 'prod \[Open me\] \(command:workbench\.action\.terminal\.new\)\uFFFD' · token /);
      assert.ok(!detail.includes(']('));
      const pick = fake.calls.find((c) => c.kind === 'quickPick');
      for (const item of (pick?.items ?? []) as { label: string; description?: string; detail?: string }[]) {
        for (const t of [item.label, item.description ?? '', item.detail ?? '']) assert.ok(!/[\u0000-\u001f\u202a-\u202e]/.test(t), t);
      }
      assert.equal(world.sim.control.requests({ op: 'rollAccountToken' }).length, 0, 'declined: nothing rotated');
    });

    it('tree items: labels and descriptions are plain, tooltips are untrusted Markdown with escaped text', async () => {
      await start({ tokens: [{ ...DEPLOY, description: `see ${LINK}` }] });
      const node = api.tree.roots().find((n) => n.type === 'token');
      assert.ok(node);
      const item = api.tree.resolveTreeItem(api.tree.getTreeItem(node), node) as unknown as { tooltip: { value: string; isTrusted: boolean; supportHtml: boolean } };
      assert.equal(item.tooltip.isTrusted, false);
      assert.equal(item.tooltip.supportHtml, false);
      assert.ok(!item.tooltip.value.includes(']('), item.tooltip.value);
      assert.match(item.tooltip.value, /see \\\[Open me\\\]\\\(command:workbench\\\.action\\\.terminal\\\.new\\\)/);
    });
  });

  describe('settings that can weaken a rotation are read from the user settings only', () => {
    it('a workspace confirmBeforeRotate: false still asks; a workspace defaultGracePeriod "0s" keeps the previous secret working; said once in the log', async () => {
      await start({ tokens: [ACCESS] });
      await setCredential();
      fake.setSetting('cfRotate.confirmBeforeRotate', { workspaceValue: false });
      fake.setSetting('cfRotate.defaultGracePeriod', { workspaceValue: '0s' });
      assert.equal(api.settings.confirmBeforeRotate(), true);
      assert.equal(api.settings.defaultGracePeriod(), '1h');
      fake.answer = (c) => (c.options?.modal ? c.items.find((i) => i === 'Rotate') : undefined);
      const r = await run<Result>(COMMANDS.rotate, { name: 'ci-access' });
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.equal(modals().length, 1, 'the confirmation was shown');
      assert.match(String(modals()[0]?.options?.detail), /grace period 1h/);
      const graceMs = Date.parse(r.graceUntil ?? '') - Date.now();
      assert.ok(graceMs > 50 * 60_000 && graceMs <= 3600_000, `grace period ~1h (got ${graceMs} ms)`);
      assert.equal(world.sim.control.accessCheck(DEMO.serviceToken.clientId, DEMO.serviceToken.clientSecret).allowed, true, 'the previous secret still works');
      api.settings.confirmBeforeRotate();
      api.settings.defaultGracePeriod();
      const ignored = logLines().filter((l) => /Ignoring cfRotate\.(confirmBeforeRotate|defaultGracePeriod) from the workspace settings/.test(l));
      assert.equal(ignored.length, 2, ignored.join('\n'));
      // The user's own choice counts.
      fake.setSetting('cfRotate.confirmBeforeRotate', { globalValue: false, workspaceValue: true });
      assert.equal(api.settings.confirmBeforeRotate(), false);
      fake.setSetting('cfRotate.defaultGracePeriod', { globalValue: '0s' });
      assert.equal(api.settings.defaultGracePeriod(), '0s');
    });
  });

  describe('the exported API', () => {
    it('outside test mode holds only ready and refresh: no credentials, no engine, no journal, no history', async () => {
      for (const mode of [ExtensionMode.Production, ExtensionMode.Development]) {
        const exported = (await start(undefined, mode)) as Record<string, unknown>;
        assert.deepEqual(Object.keys(exported).sort(), ['ready', 'refresh']);
        for (const k of ['credentials', 'engine', 'history', 'configs', 'tree', 'settings']) assert.equal(exported[k], undefined, k);
        await (exported.refresh as () => Promise<void>)();
        stop();
        fake.reset();
      }
      const full = (await start()) as Record<string, unknown>;
      for (const k of ['credentials', 'engine', 'history', 'configs', 'tree', 'settings', 'ready', 'refresh']) assert.ok(full[k] !== undefined, k);
    });
  });

  describe('the confirmation names the credential as Cloudflare knows it', () => {
    it("shows Cloudflare's name and a short id beside the entry's name; a failed read is said and does not block", async () => {
      await start({ tokens: [{ ...DEPLOY, name: 'harmless preview' }] });
      await setCredential();
      fake.answer = () => undefined;
      await run(COMMANDS.rotate, { name: 'harmless preview' });
      const detail = String(modals()[0]?.options?.detail);
      assert.match(detail, /^Account API token "harmless preview" \(folder app, profile default\)\.\nCloudflare: 'deploy' · token d4d9…\n/);
      assert.equal(world.sim.control.requests({ op: 'getAccountToken' }).length, 1);

      fake.calls = [];
      world.sim.control.addFault({ op: 'getAccountToken', type: 'status', status: 503 });
      fake.answer = (c) => (c.options?.modal ? 'Rotate' : undefined);
      const r = await run<Result>(COMMANDS.rotate, { name: 'harmless preview' });
      assert.match(String(modals()[0]?.options?.detail), /Cloudflare: could not read its name \(.*HTTP 503.*\)\. Check the ids in cf-rotate\.json before you rotate\./);
      assert.equal(r.ok, true, 'the rotation went ahead after the yes');
      assert.ok(fake.progress.some((p) => p.title === 'Reading "harmless preview" at Cloudflare…' && p.cancellable));
    });
  });

  describe('git before the question', () => {
    it('offers Add to .gitignore and Rotate for a target git does not ignore, writes the entry, rotates', async () => {
      git(dir, 'init', '-q');
      await start();
      await setCredential();
      fake.answer = (c) => (c.options?.modal ? c.items.find((i) => i === 'Add to .gitignore and Rotate') : undefined);
      const r = await run<Result>(COMMANDS.rotate, { name: 'deploy' });
      assert.equal(r.ok, true, JSON.stringify(r));
      const modal = modals()[0];
      assert.deepEqual(modal?.items, ['Add to .gitignore and Rotate']);
      assert.match(String(modal?.options?.detail), /Before rotating:\n {2}• add \/\.env to .*\.gitignore: git does not ignore it/);
      assert.equal(await read(dir, '.gitignore'), '/.env\n');
      assert.equal(git(dir, 'check-ignore', '.env').trim(), '.env');
      assert.ok(!fake.calls.some((c) => /could be committed/.test(c.message)), 'no advisory-only notice any more');
    });

    it('without a confirmation (user setting off) it still asks before adding to .gitignore', async () => {
      git(dir, 'init', '-q');
      await start();
      await setCredential();
      fake.setSetting('cfRotate.confirmBeforeRotate', { globalValue: false });
      fake.answer = () => undefined;
      const r = await run<Result>(COMMANDS.rotate, { name: 'deploy' });
      assert.equal(r.state, 'cancelled');
      assert.equal(modals()[0]?.message, 'Add .env to .gitignore before rotating "deploy"?');
      await assert.rejects(read(dir, '.gitignore'));
      assert.equal(world.sim.control.requests({ op: 'rollAccountToken' }).length, 0);
    });

    it('a tracked target: explained before any question (git rm --cached, or allowTracked); nothing sent', async () => {
      git(dir, 'init', '-q');
      git(dir, 'add', '.env');
      await start();
      await setCredential();
      world.sim.control.clearRequests();
      const r = await run<Result>(COMMANDS.rotate, { name: 'deploy' });
      assert.deepEqual([r.ok, r.state, r.error?.kind], [false, 'failed', 'file']);
      assert.equal(modals().length, 0);
      const err = notifications().find((c) => c.kind === 'error');
      assert.match(err?.message ?? '', /\.env is tracked by git: the new secret of "deploy" would be committed with it\. Nothing was rotated\. Untrack it \(git rm --cached \.env\) and add it to \.gitignore, or add "allowTracked": true/);
      assert.deepEqual(world.sim.control.requests(), []);
    });

    it('a .gitignore that is a link out of the folder is refused: nothing rotated, the outside file unchanged', async () => {
      git(dir, 'init', '-q');
      const outside = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-outside-'));
      await fs.writeFile(path.join(outside, 'victim'), 'keep\n');
      await fs.symlink(path.join(outside, 'victim'), path.join(dir, '.gitignore'));
      try {
        await start();
        await setCredential();
        fake.answer = (c) => (c.options?.modal ? 'Add to .gitignore and Rotate' : undefined);
        const r = await run<Result>(COMMANDS.rotate, { name: 'deploy' });
        assert.equal(r.ok, false);
        assert.match(r.error?.message ?? '', /Could not add \.env to .*\.gitignore: .*outside the workspace folder/);
        assert.match(r.error?.hint ?? '', /Nothing was rotated/);
        assert.equal(await fs.readFile(path.join(outside, 'victim'), 'utf8'), 'keep\n');
        assert.equal(world.sim.control.requests({ op: 'rollAccountToken' }).length, 0);
      } finally {
        await fs.rm(outside, { recursive: true, force: true });
      }
    });
  });

  describe('unsaved edits before the question', () => {
    function dirtyDoc(file: string, text: string): FakeDocument & { save(): Promise<boolean> } {
      const doc = {
        uri: Uri.file(file),
        isDirty: true,
        getText: () => text,
        lineAt: (n: number) => ({ range: new Range(n, 0, n, 0) }),
        positionAt: () => undefined as never,
        save: async () => {
          await fs.writeFile(file, text);
          doc.isDirty = false;
          return true;
        },
      };
      return doc;
    }

    it('offers Save and Rotate: saves the edit, then rotates into the saved file', async () => {
      await start();
      await setCredential();
      const edited = `# edited\n${await read(dir, '.env')}`;
      const doc = dirtyDoc(path.join(dir, '.env'), edited);
      fake.documents.push(doc);
      fake.answer = (c) => (c.options?.modal ? 'Save and Rotate' : undefined);
      const r = await run<Result>(COMMANDS.rotate, { name: 'deploy' });
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.deepEqual(modals()[0]?.items, ['Save and Rotate']);
      assert.match(String(modals()[0]?.options?.detail), /• save \.env: it has unsaved changes in an editor/);
      assert.equal(doc.isDirty, false);
      const env = await read(dir, '.env');
      assert.match(env, /^# edited\n# app\n/, 'the edit was saved');
      assert.ok(!env.includes(DEMO.accountToken.value), 'and the new value written');
    });

    it('Cancel leaves the edit unsaved and rotates nothing', async () => {
      await start();
      await setCredential();
      const doc = dirtyDoc(path.join(dir, '.env'), 'X=1\n');
      fake.documents.push(doc);
      const before = await read(dir, '.env');
      const r = await run<Result>(COMMANDS.rotate, { name: 'deploy' });
      assert.equal(r.state, 'cancelled');
      assert.equal(doc.isDirty, true);
      assert.equal(await read(dir, '.env'), before);
      assert.equal(world.sim.control.requests({ op: 'rollAccountToken' }).length, 0);
    });

    it('a script (confirm: false) gets no question: the engine refuses, saying nothing was rotated and how to fix the file, never "Resume"', async () => {
      await start();
      await setCredential();
      fake.documents.push(dirtyDoc(path.join(dir, '.env'), 'X=1\n'));
      const r = await run<Result>(COMMANDS.rotate, { name: 'deploy', confirm: false });
      assert.deepEqual([r.state, r.error?.kind], ['failed', 'file']);
      assert.equal(modals().length, 0);
      const err = notifications().find((c) => c.kind === 'error');
      assert.match(err?.message ?? '', /\.env has unsaved changes in an editor\. Save or revert it, then rotate again\. Nothing was rotated\./);
      assert.ok(!/resume/i.test(err?.message ?? ''), err?.message);
      assert.ok(!err?.items.includes('Resume'), JSON.stringify(err?.items));
    });
  });

  describe('cancelling and phases', () => {
    it('cancelled before the call: "nothing was rotated", nothing sent, no journal', async () => {
      await start();
      await setCredential();
      world.sim.control.clearRequests();
      fake.onProgress = (p) => {
        if (p.title === 'Rotating "deploy"') p.cancel();
      };
      const r = await run<Result>(COMMANDS.rotate, { name: 'deploy', confirm: false });
      assert.deepEqual([r.ok, r.state, r.error?.kind], [false, 'cancelled', 'cancelled']);
      assert.ok(fake.progress.find((p) => p.title === 'Rotating "deploy"')?.cancellable);
      assert.ok(notifications().some((c) => c.kind === 'info' && c.message === 'Cancelled: nothing was rotated ("deploy" was not sent to Cloudflare).'));
      assert.equal(world.sim.control.requests({ op: 'rollAccountToken' }).length, 0);
      assert.deepEqual(await api.engine.interrupted(), []);
    });

    it('a hung call: the phases say what happens (waiting until a local time, checking 1/2); the verdict comes in seconds', async () => {
      await start();
      await setCredential();
      world.sim.control.addFault({ op: 'rollAccountToken', type: 'hang' });
      const t0 = Date.now();
      const r = await run<Result>(COMMANDS.rotate, { name: 'deploy', confirm: false });
      assert.ok(Date.now() - t0 < 15_000, `${Date.now() - t0} ms`);
      assert.equal(r.ok, false);
      const messages = (fake.progress.find((p) => p.title === 'Rotating "deploy"')?.reports ?? []).map((x) => x.message);
      assert.ok(messages.includes('Rotating at Cloudflare…'), messages.join('\n'));
      const waiting = messages.find((m) => m?.startsWith('No answer; waiting until '));
      assert.ok(waiting, messages.join('\n'));
      assert.doesNotMatch(waiting, /\d{4}-\d{2}-\d{2}T/, 'a local time, not ISO');
      assert.match(waiting, /^No answer; waiting until .*\d{1,2}:\d{2}:\d{2}.* before checking whether it happened…$/);
      assert.ok(messages.includes('Checking whether it happened (1/2)…'), messages.join('\n'));
      // The hung request was never processed: settled as not rotated once it could no longer take effect.
      assert.equal(r.state, 'failed');
      assert.match(r.error?.message ?? '', /did not rotate "deploy"/);
    });

    it('cancelled while Cloudflare has the request: hands over to Resume (journal kept), says when to check again in local time', async () => {
      await start();
      await setCredential();
      world.sim.control.addFault({ op: 'rollAccountToken', type: 'hang' });
      let cancelledAt = 0;
      const poll = setInterval(() => {
        const p = fake.progress.find((x) => x.title === 'Rotating "deploy"');
        // A hung request is recorded as soon as it arrives (and never answered).
        if (!cancelledAt && p && world.sim.control.requests({ op: 'rollAccountToken' }).length > 0) {
          cancelledAt = Date.now();
          p.cancel();
        }
      }, 5);
      let r: Result;
      try {
        r = await run<Result>(COMMANDS.rotate, { name: 'deploy', confirm: false });
      } finally {
        clearInterval(poll);
      }
      assert.ok(cancelledAt > 0 && Date.now() - cancelledAt < 800, `returned ${Date.now() - cancelledAt} ms after the cancellation (the request timeout is 1 s)`);
      assert.equal(r.state, 'unknown');
      assert.ok(r.checkAgainAt);
      const err = notifications().find((c) => c.kind === 'error');
      assert.match(err?.message ?? '', /^Cancelled after the request was sent: Rotation of "deploy" has an unknown outcome/);
      assert.ok(!(err?.message ?? '').includes(r.checkAgainAt), 'no raw ISO time');
      assert.ok(err?.message.includes(formatTime(Date.parse(r.checkAgainAt), 'en')), err?.message);
      assert.deepEqual(err?.items, ['Resume', 'Show Log']);
      assert.deepEqual((await api.engine.interrupted()).map((j) => j.token), ['deploy']);
    });

    it('Rotate All cancelled mid-batch: the running rotation finishes, no new one starts, the summary says which were not started', async () => {
      await start({ tokens: [DEPLOY, ACCESS] });
      await setCredential();
      world.sim.control.addFault({ op: 'rollAccountToken', type: 'latency', ms: 600 });
      let cancelPending = true;
      const poll = setInterval(() => {
        const p = fake.progress.find((x) => x.title === 'Rotating 2 Cloudflare credentials');
        if (cancelPending && p && world.sim.control.stats().inFlight > 0) {
          cancelPending = false;
          p.cancel();
        }
      }, 10);
      try {
        const results = await run<Result[]>(COMMANDS.rotateAll, { confirm: false, concurrency: 1 });
        assert.deepEqual(results.map((x) => [x.ok, x.state]), [[true, 'rotated'], [false, 'cancelled']]);
      } finally {
        clearInterval(poll);
      }
      assert.ok(fake.progress.find((p) => p.title === 'Rotating 2 Cloudflare credentials')?.cancellable);
      assert.equal(world.sim.control.requests({ op: 'rotateServiceToken' }).length, 0, 'the second one never started');
      const summary = notifications().find((c) => c.kind === 'info' && c.message.startsWith('Rotated 1 of 2'));
      assert.equal(summary?.message, 'Rotated 1 of 2 tokens; cancelled before it started (nothing was rotated for it): ci-access.');
    });
  });

  describe('the wizards\' loads and checks', () => {
    it('Add Token: a variable another token writes is refused naming that token; the list load is cancellable', async () => {
      world.sim.control.addAccountToken(DEMO.accountId, { name: 'other' });
      await start();
      await setCredential();
      let refusal: string | undefined;
      fake.answer = (c) => {
        const title = String(c.options?.title ?? '');
        const items = (c.items ?? []) as { label: string; value?: unknown }[];
        if (title === 'Add Token: Kind') return items.find((i) => i.value === 'account-api-token');
        if (title === 'Add Token: Credential') return items.find((i) => i.value === 'default');
        if (title === 'Add Token: Token') return items.find((i) => i.label === 'other');
        if (title === 'Add Token: Target file') return items.find((i) => i.label === '.env');
        if (title === 'Add Token: Variable for the token') {
          refusal = (c.options?.validateInput as (v: string) => string | undefined)('CLOUDFLARE_API_TOKEN');
          return undefined;
        }
        return c.kind === 'inputBox' ? c.options?.value : undefined;
      };
      await run(COMMANDS.addToken);
      assert.equal(refusal, 'CLOUDFLARE_API_TOKEN in .env is already written by another token ("deploy").');
      // Lists load in the picker itself (busy), not behind a notification; every step is numbered out of 6.
      assert.deepEqual(fake.progress.filter((p) => p.title.startsWith('Loading ')).map((p) => p.title), []);
      const steps = fake.calls.filter((c) => String(c.options?.title ?? '').startsWith('Add Token: '));
      assert.ok(steps.length >= 4);
      assert.ok(steps.every((c) => c.options?.totalSteps === 6), JSON.stringify(steps.map((c) => [c.options?.title, c.options?.step, c.options?.totalSteps])));
      assert.equal(steps.find((c) => c.options?.title === 'Add Token: Token')?.options?.step, 3);
    });

    it('Add Token: Back returns to the previous step with its answer kept, and Escape ends the wizard', async () => {
      await start();
      await setCredential();
      const seen: string[] = [];
      let backs = 0;
      fake.answer = (c) => {
        const title = String(c.options?.title ?? '');
        seen.push(`${title} ${String(c.options?.step)}/${String(c.options?.totalSteps)}`);
        const items = (c.items ?? []) as { label: string; value?: unknown }[];
        if (title === 'Add Token: Kind') return items.find((i) => i.value === (backs === 0 ? 'user-api-token' : 'account-api-token'));
        if (title === 'Add Token: Credential') {
          if (backs === 0) {
            backs++;
            assert.ok((c.options?.buttons as unknown[]).length === 1, 'a Back button');
            return BACK;
          }
          return items.find((i) => i.value === 'default');
        }
        return undefined; // Escape at the token list
      };
      const r = await run(COMMANDS.addToken);
      assert.equal(r, undefined);
      assert.deepEqual(seen, ['Add Token: Kind 1/6', 'Add Token: Credential 2/6', 'Add Token: Kind 1/6', 'Add Token: Credential 2/6', 'Add Token: Token 3/6']);
      const kindAgain = fake.calls.filter((c) => c.options?.title === 'Add Token: Kind')[1];
      assert.deepEqual((kindAgain?.options?.activeItems as { value: string }[]).map((i) => i.value), ['user-api-token'], 'the earlier answer is pre-selected');
      assert.ok(!fake.calls.some((c) => c.kind === 'error'), 'Escape is not an error');
    });

    it('Set Credential: one counter (x/3), Back, and a refused token keeps the value and says the old credential was kept', async () => {
      await start();
      await setCredential();
      const before = await api.credentials.get('default');
      const wrong = `cfut_${'x'.repeat(43)}`;
      const seen: string[] = [];
      let refused: string | undefined;
      let backs = 0;
      fake.answer = (c) => {
        const step = `${String(c.options?.step)}/${String(c.options?.totalSteps)}`;
        seen.push(step);
        if (step === '1/3') return 'default';
        if (step === '2/3') return (c.items as { label: string }[]).find((i) => i.label === 'API token');
        if (c.options?.validationMessage !== undefined) {
          refused = String(c.options.validationMessage);
          assert.equal(c.options.value, wrong, 'the entered value stays');
          return undefined;
        }
        if (backs++ === 0) return BACK;
        return wrong;
      };
      const r = await run<{ stored: boolean }>(COMMANDS.setCredential);
      assert.equal(r, undefined);
      assert.deepEqual(seen, ['1/3', '2/3', '3/3', '2/3', '3/3', '3/3']);
      assert.match(String(refused), /Nothing was saved: profile "default" keeps its current credential\. Correct the value, or press Escape\.$/);
      assert.deepEqual(await api.credentials.get('default'), before);
      assert.ok(!JSON.stringify([...fake.channels.values(), fake.calls.filter((c) => c.kind !== 'inputBox'), fake.calls.map((c) => c.options?.validationMessage)]).includes(wrong), 'the value is in no message and no log');
    });
  });

  describe('results, History and the log', () => {
    it('"Open .env" reveals the variable\'s line; every log line appears once', async () => {
      await start();
      await setCredential();
      const before = logLines().length;
      fake.answer = () => undefined;
      const r = await run<Result>(COMMANDS.rotate, { name: 'deploy', confirm: false });
      assert.equal(r.ok, true);
      const info = notifications().find((c) => c.kind === 'info' && c.message.startsWith('Rotated "deploy"'));
      assert.deepEqual(info?.items, ['Open .env']);
      const after = logLines().slice(before).filter((l) => !/^(debug|trace) /.test(l));
      assert.equal(after.filter((l) => /Rotated "deploy" →/.test(l)).length, 1, after.join('\n'));
      assert.equal(new Set(after).size, after.length, `a line appears twice:\n${after.join('\n')}`);
      // The action opens the file at CLOUDFLARE_API_TOKEN (line 1), not at line 0.
      fake.answer = (c) => (c.kind === 'info' && c.message.startsWith('Rotated "deploy"') ? 'Open .env' : undefined);
      fake.calls = [];
      await run(COMMANDS.rotate, { name: 'deploy', confirm: false });
      await settle();
      await new Promise((res) => setTimeout(res, 50));
      const sel = fake.editors.at(-1)?.selection;
      assert.equal(sel?.start.line, 1);
    });

    it('a failed rotation is logged once (the engine\'s line), not again by the notification', async () => {
      await start();
      await setCredential();
      world.sim.control.addFault({ op: 'rollAccountToken', type: 'status', status: 503 });
      const before = logLines().length;
      await run(COMMANDS.rotate, { name: 'deploy', confirm: false });
      const after = logLines().slice(before).filter((l) => /Rotation of "deploy" failed|"deploy": .*did not rotate/.test(l));
      assert.equal(after.length, 1, after.join('\n'));
    });

    it('History: local times (not ISO), and picking an entry shows it in full with a button that opens the target at its variable', async () => {
      await start();
      await setCredential();
      await run(COMMANDS.rotate, { name: 'deploy', confirm: false });
      fake.calls = [];
      fake.answer = (c) => {
        if (c.kind === 'quickPick') return c.items[0];
        if (c.options?.modal) return c.items.find((i) => i === 'Open .env › CLOUDFLARE_API_TOKEN');
        return undefined;
      };
      const entries = await run<{ at: string }[]>(COMMANDS.showHistory);
      const pick = fake.calls.find((c) => c.kind === 'quickPick');
      const item = pick?.items[0] as { label: string; description: string; detail: string };
      assert.equal(item.label, '$(pass) deploy');
      assert.match(item.description, /^rotated · (now|\d+ seconds? ago)$/);
      assert.ok(item.detail.startsWith(formatDateTime(Date.parse(entries[0]?.at ?? ''), 'en')), item.detail);
      assert.doesNotMatch(item.detail, /\d{4}-\d{2}-\d{2}T/);
      for (let i = 0; i < 20 && fake.editors.length === 0; i++) await new Promise((res) => setTimeout(res, 20));
      const modal = modals()[0];
      assert.equal(modal?.message, '"deploy": rotated');
      assert.match(String(modal?.options?.detail), /^Outcome: rotated\nWhen: .+\nKind: Account API token\nFolder: .+\nTargets:\n {2}• \.env › CLOUDFLARE_API_TOKEN/);
      assert.equal(fake.editors.at(-1)?.selection?.start.line, 1, 'opened at the variable');
    });
  });
});

describe('wording helpers: phases, local times, results, batches', () => {
  const at = Date.parse('2026-11-27T14:02:31Z');

  it('words every engine step; waiting names a local time, probing its attempt', () => {
    assert.equal(stepText('rotating'), 'Rotating at Cloudflare…');
    assert.equal(stepText('writing'), 'Writing the new secret…');
    assert.equal(stepText('verifying'), 'Verifying…');
    assert.equal(stepText('checking'), 'Checking the credential and the target files…');
    assert.match(stepText(`waiting:${new Date(at).toISOString()}`, (t) => formatTime(t, 'en-GB', t)), /^No answer; waiting until \d{2}:\d{2}:31 before checking whether it happened…$/);
    assert.equal(stepText('waiting:2026-11-27T14:02:31.000Z', () => 'LOCAL'), 'No answer; waiting until LOCAL before checking whether it happened…');
    assert.equal(stepText('probing:2/2'), 'Checking whether it happened (2/2)…');
  });

  it('formats times in the given locale with Intl, the date only when not today; bad locales fall back', () => {
    assert.match(formatTime(at, 'en-US', at), /^\d{1,2}:\d{2}:\d{2}\s?[AP]M$/);
    assert.match(formatTime(at, 'de', at + 2 * 86_400_000), /2026/);
    assert.doesNotThrow(() => formatTime(at, 'not a locale!!', at));
    assert.equal(formatRelative(at - 3 * 86_400_000, at, 'en'), '3 days ago');
    assert.equal(formatRelative(at + 2 * 3600_000, at, 'en'), 'in 2 hours');
    assert.equal(formatRelative(at, at, 'en'), 'now');
    assert.match(formatDateTime(at, 'en'), /2026/);
    assert.equal(localiseInstants('until 2026-11-27T14:02:31.000Z.', () => 'LOCAL'), 'until LOCAL.');
  });

  it('results: "unknown" names when to check again in local time; a cancellation before the call says nothing was rotated', () => {
    const base = { name: 'deploy', targets: ['.env › K'] };
    const iso = new Date(at).toISOString();
    const unknown = resultMessage({ ...base, ok: false, state: 'unknown', checkAgainAt: iso, error: { kind: 'ambiguous', message: `No answer. Check again after ${iso}.` } }, () => 'LOCAL');
    assert.equal(unknown, 'Rotation of "deploy" has an unknown outcome: No answer. Check again after LOCAL.');
    assert.equal(resultMessage({ ...base, ok: false, state: 'unknown', checkAgainAt: iso, error: { kind: 'ambiguous', message: 'No answer.' } }, () => 'LOCAL'), 'Rotation of "deploy" has an unknown outcome: No answer. Check again after LOCAL.');
    assert.equal(resultMessage({ ...base, ok: false, state: 'failed', error: { kind: 'cancelled', message: 'x' } }), 'Cancelled: nothing was rotated ("deploy" was not sent to Cloudflare).');
    assert.match(resultMessage({ ...base, ok: true, state: 'rotated', graceUntil: iso }, () => 'LOCAL'), /works until LOCAL\./);
  });

  it('batch summaries tell failures from rotations that never started', () => {
    const c = { kind: 'cancelled' as const, message: 'x' };
    assert.equal(batchSummary([{ name: 'a', ok: true, state: 'rotated' }, { name: 'b', ok: false, state: 'failed', error: c }, { name: 'c', ok: false, state: 'failed', error: c }]), 'Rotated 1 of 3 tokens; cancelled before they started (nothing was rotated for them): b, c.');
    assert.equal(
      batchSummary([{ name: 'a', ok: false, state: 'failed', error: { kind: 'server', message: 'x' } }, { name: 'b', ok: false, state: 'failed', error: c }]),
      'Rotated 0 of 2 tokens; 1 did not: a (failed); cancelled before it started (nothing was rotated for it): b.',
    );
  });
});
