/**
 * The editor side of "a hostile repository cannot steer a secret", and cancelling, phases and
 * Save and Rotate, in the real VS Code: links never reach a notification as links, workspace
 * settings cannot weaken a rotation, the exported API outside test mode, the confirmation that
 * names the credential as Cloudflare knows it, git before the question.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CommandRotationResult } from '../../src/commands/rotate';
import { COMMANDS } from '../../src/constants';
import type { CfRotateApi } from '../../src/extension';
import { CONFIG_FILE, configObject, idsFromState, TOKENS, type Secrets } from './fixture';
import {
  assertFilesHold,
  closeEditors,
  EXTENSION_ID,
  exec,
  file,
  FOLDER,
  onModal,
  progressRuns,
  read,
  resetWorld,
  rotate,
  rotatingRequests,
  sim,
  shown,
  shownSince,
  treeRoots,
  waitFor,
  type ProgressRun,
  type Shown,
} from './helpers';

/** A Markdown command link, as a hostile repository or a Cloudflare error text could carry it. */
const LINK = '[Open a terminal](command:workbench.action.terminal.new)';

function git(...args: string[]): string {
  return execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: FOLDER, encoding: 'utf8' });
}

/** The progress notification titled `title` that started after `mark`. */
function progressSince(mark: number, title: string): Promise<ProgressRun> {
  return waitFor(() => progressRuns.slice(mark).find((p) => p.title === title), `the progress notification "${title}"`);
}

describe('editor safety', () => {
  let api: CfRotateApi;
  let secrets: Secrets;

  beforeEach(async () => {
    ({ api, secrets } = await resetWorld());
  });

  afterEach(async () => {
    onModal(undefined);
    await sim.clearFaults();
    await closeEditors();
  });

  describe('no Markdown command link reaches a notification as a link', () => {
    it('a target path from a script argument: the notification text VS Code received has no "](" ', async () => {
      const mark = shown.length;
      await exec(COMMANDS.revealTarget, { folder: FOLDER, file: `${LINK}.env`, key: 'KEY' });
      const info = await waitFor(() => shownSince(mark).find((s) => s.message.includes('Open a terminal')), 'the notification about the path');
      assert.ok(!info.message.includes(']('), info.message);
      assert.match(info.message, /\[Open a terminal\] \(command:workbench\.action\.terminal\.new\)\.env does not exist yet/);
    });

    it('a Cloudflare error text with a command link: the error notification has no "]("', async () => {
      await sim.addFault({ op: 'rollAccountToken', type: 'error-text', status: 400, message: `Request rejected, see ${LINK}` });
      const mark = shown.length;
      const r = await rotate(TOKENS.account);
      assert.equal(r?.ok, false);
      const err = shownSince(mark).find((s) => s.level === 'error');
      assert.ok(err && err.message.includes('Request rejected, see [Open a terminal] (command:'), JSON.stringify(shownSince(mark)));
      assert.ok(!err.message.includes(']('), err.message);
      assertFilesHold(secrets, 'is unchanged');
    });

    it('a name Cloudflare gives the credential: the confirmation dialog has no "]("', async () => {
      const ids = idsFromState(await sim.state());
      const seeded = await sim.seed({ accountTokens: [{ accountId: ids.accountId, name: `prod ${LINK}` }] });
      const created = seeded.accountTokens[0];
      assert.ok(created);
      await exec(COMMANDS.addToken, { folder: FOLDER, token: { name: 'staging', kind: 'account-api-token', accountId: ids.accountId, tokenId: created.id, targets: [{ file: '.env', key: 'STAGING_TOKEN' }] } });
      const dialogs: Shown[] = [];
      onModal((s) => {
        dialogs.push(s);
        return undefined;
      });
      const r = await exec<CommandRotationResult>(COMMANDS.rotate, { name: 'staging' });
      assert.equal(r.state, 'cancelled');
      assert.equal(dialogs.length, 1);
      assert.match(dialogs[0]?.detail ?? '', /Cloudflare: 'prod \[Open a terminal\] \(command:workbench\.action\.terminal\.new\)' · token /);
      assert.ok(!(dialogs[0]?.detail ?? '').includes(']('));
      assert.deepEqual(await rotatingRequests(), []);
    });
  });

  it('workspace settings cannot turn the confirmation off or shorten the grace period', async () => {
    // ci-access without a gracePeriod of its own: the setting decides.
    const cfg = configObject(idsFromState(await sim.state()));
    delete (cfg.tokens[2] as Record<string, unknown>).gracePeriod;
    fs.writeFileSync(file(CONFIG_FILE), JSON.stringify(cfg, null, 2));
    await api.refresh();
    const settingsFile = file(path.join('.vscode', 'settings.json'));
    fs.writeFileSync(settingsFile, JSON.stringify({ 'cfRotate.confirmBeforeRotate': false, 'cfRotate.defaultGracePeriod': '0s', 'cfRotate.reminderDays': 9 }, null, 2));
    try {
      // reminderDays (window scope) proves VS Code has read the file.
      await waitFor(() => vscode.workspace.getConfiguration('cfRotate').get('reminderDays') === 9, 'VS Code to read .vscode/settings.json');
      assert.equal(api.settings.confirmBeforeRotate(), true);
      assert.equal(api.settings.defaultGracePeriod(), '1h');
      const dialogs: Shown[] = [];
      onModal((s) => {
        dialogs.push(s);
        return s.items.includes('Rotate') ? 'Rotate' : undefined;
      });
      const r = await exec<CommandRotationResult>(COMMANDS.rotate, { name: TOKENS.access });
      assert.ok(r.ok, JSON.stringify(r.error));
      assert.equal(dialogs.length, 1, 'the confirmation was shown');
      assert.match(dialogs[0]?.detail ?? '', /grace period 1h/);
      const graceMs = Date.parse(r.graceUntil ?? '') - Date.now();
      assert.ok(graceMs > 50 * 60_000 && graceMs <= 3600_000, `the previous secret works for about an hour (${graceMs} ms)`);
      const check = await sim.accessCheck(secrets.ciClientId, secrets.ciClientSecret);
      assert.deepEqual([check.allowed, check.matched], [true, 'previous'], 'the previous secret still works');
    } finally {
      fs.rmSync(settingsFile, { force: true });
      await waitFor(() => vscode.workspace.getConfiguration('cfRotate').get('reminderDays') === 7, 'the workspace settings to be gone');
    }
  });

  it('the exported API outside test mode holds no credentials, no engine, no history (the built shell, the real vscode module)', async () => {
    const ext = vscode.extensions.getExtension<Record<string, unknown>>(EXTENSION_ID);
    assert.ok(ext);
    // In this test-mode window the extension's own tests get the full object.
    assert.ok((ext.exports as Record<string, unknown>).credentials !== undefined && (ext.exports as Record<string, unknown>).engine !== undefined);
    // The built activation shell next to a stand-in runtime that holds everything, under the real
    // vscode module (only command and view registration stubbed: the real ones are taken).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfr-shell-'));
    fs.copyFileSync(path.join(ext.extensionPath, 'dist', 'extension.js'), path.join(dir, 'extension.js'));
    fs.writeFileSync(path.join(dir, 'runtime.js'), "exports.start = () => ({ ready: Promise.resolve(), refresh: async () => undefined, engine: 'ENGINE', credentials: 'CREDENTIALS', history: 'HISTORY', configs: 'CONFIGS', tree: 'TREE', settings: 'SETTINGS' });\n");
    const stub = {
      ...vscode,
      commands: { ...vscode.commands, registerCommand: () => new vscode.Disposable(() => undefined) },
      window: { ...vscode.window, createTreeView: () => ({ dispose: () => undefined }) },
    };
    const mod = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
    const original = mod._load;
    mod._load = function (request, parent, isMain) {
      return request === 'vscode' ? stub : original.call(this, request, parent, isMain);
    };
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const shell = require(path.join(dir, 'extension.js')) as { activate(ctx: unknown): Record<string, unknown> };
      for (const extensionMode of [vscode.ExtensionMode.Production, vscode.ExtensionMode.Development]) {
        const exported = shell.activate({ subscriptions: [], extensionMode });
        await exported.ready;
        assert.deepEqual(Object.keys(exported).sort(), ['ready', 'refresh'], `ExtensionMode ${extensionMode}`);
        for (const k of ['credentials', 'engine', 'history', 'configs', 'tree', 'settings']) assert.equal(exported[k], undefined, k);
      }
      const full = shell.activate({ subscriptions: [], extensionMode: vscode.ExtensionMode.Test });
      await full.ready;
      assert.equal(full.credentials, 'CREDENTIALS');
    } finally {
      mod._load = original;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the confirmation names the token as Cloudflare knows it, beside the entry's name", async () => {
    const ids = idsFromState(await sim.state());
    const dialogs: Shown[] = [];
    onModal((s) => {
      dialogs.push(s);
      return undefined;
    });
    const r = await exec<CommandRotationResult>(COMMANDS.rotate, { name: TOKENS.account });
    assert.equal(r.state, 'cancelled');
    assert.equal(dialogs[0]?.message, `Rotate "${TOKENS.account}" now?`);
    assert.match(dialogs[0]?.detail ?? '', new RegExp(`^Account API token "deploy" \\(folder [^)]+, profile default\\)\\.\\nCloudflare: 'deploy' · token ${ids.deployTokenId.slice(0, 4)}…\\n`));
    assert.equal((await sim.requests('getAccountToken')).length, 1, 'read once at Cloudflare');
    assert.deepEqual(await rotatingRequests(), [], 'declined: nothing rotated');
  });

  describe('git before the question', () => {
    let outside: string | undefined;

    afterEach(async () => {
      fs.rmSync(file('.git'), { recursive: true, force: true });
      fs.rmSync(file('.gitignore'), { force: true });
      if (outside) fs.rmSync(outside, { recursive: true, force: true });
      outside = undefined;
    });

    it('a target git does not ignore: "Add to .gitignore and Rotate" writes the entry, then rotates', async () => {
      git('init', '-q');
      const dialogs: Shown[] = [];
      onModal((s) => {
        dialogs.push(s);
        return s.items.find((i) => i === 'Add to .gitignore and Rotate');
      });
      const r = await exec<CommandRotationResult>(COMMANDS.rotate, { name: TOKENS.account });
      assert.ok(r.ok, JSON.stringify(r.error));
      assert.deepEqual(dialogs.map((d) => d.items), [['Add to .gitignore and Rotate']], 'one dialog: the confirmation with the extra step');
      assert.match(dialogs[0]?.detail ?? '', /Before rotating:\n {2}• add \/\.env to .*\.gitignore: git does not ignore it/);
      assert.equal(read('.gitignore'), '/.env\n');
      assert.equal(git('check-ignore', '.env').trim(), '.env');
      assert.notEqual((await sim.secrets()).deploy, secrets.deploy, 'rotated');
    });

    it('a .gitignore that is a link out of the folder is refused: nothing rotated, the file outside unchanged', async () => {
      git('init', '-q');
      outside = fs.mkdtempSync(path.join(os.tmpdir(), 'cfr-outside-'));
      fs.writeFileSync(path.join(outside, 'victim'), 'keep\n');
      fs.symlinkSync(path.join(outside, 'victim'), file('.gitignore'));
      onModal((s) => s.items.find((i) => i === 'Add to .gitignore and Rotate'));
      const mark = shown.length;
      const r = await exec<CommandRotationResult>(COMMANDS.rotate, { name: TOKENS.account });
      assert.equal(r.ok, false);
      assert.match(r.error?.message ?? '', /Could not add \.env to .*\.gitignore: .*outside the workspace folder/);
      assert.match(r.error?.hint ?? '', /Nothing was rotated\./);
      const err = shownSince(mark).find((s) => s.level === 'error');
      assert.ok(err?.items.includes('Show Log'), JSON.stringify(err));
      assert.equal(fs.readFileSync(path.join(outside, 'victim'), 'utf8'), 'keep\n');
      assert.deepEqual(await rotatingRequests(), []);
      assertFilesHold(secrets, 'is unchanged');
    });
  });

  describe('a cloned repository\'s links and git (the editor-only cases of the attack suite)', () => {
    let outside: string;
    const savedPath = process.env.PATH;
    /** Put back whatever a case linked out, before the next resetWorld writes the fixture (it would write through a link). */
    let restore: (() => void) | undefined;

    beforeEach(() => {
      outside = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cfr-outside-')));
    });
    afterEach(async () => {
      process.env.PATH = savedPath;
      restore?.();
      restore = undefined;
      // VS Code's own git extension is off in this window (test/integration/run.ts): nothing else runs git
      // in this folder, so the repository and the planted gits go at once.
      fs.rmSync(file('.git'), { recursive: true, force: true });
      fs.rmSync(file('.gitignore'), { force: true });
      for (const planted of ['git', 'tools', path.join('.vscode', 'settings.json')]) fs.rmSync(file(planted), { recursive: true, force: true });
      fs.rmSync(outside, { recursive: true, force: true });
      await exec(COMMANDS.refresh);
    });

    const outsideFiles = (): string[] => fs.readdirSync(outside, { recursive: true }) as string[];

    it('a cf-rotate.json that links to a file outside is not read: the tree says why, rotation and Open Configuration refuse, the file outside is unchanged', async () => {
      const text = read(CONFIG_FILE);
      fs.writeFileSync(path.join(outside, 'cf-rotate.json'), text);
      fs.rmSync(file(CONFIG_FILE));
      fs.symlinkSync(path.join(outside, 'cf-rotate.json'), file(CONFIG_FILE));
      restore = () => {
        fs.rmSync(file(CONFIG_FILE), { force: true });
        fs.writeFileSync(file(CONFIG_FILE), text);
      };
      await exec(COMMANDS.refresh);
      const roots = await treeRoots(api);
      const problem = roots.find((n) => n.type === 'message' && n.contextValue === 'message.configError');
      assert.match(String(problem?.description), /^Cannot read the file: \.vscode\/cf-rotate\.json is a link that leads outside the workspace folder; cf-rotate refuses to follow it\./, JSON.stringify(roots.map((n) => [n.label, n.description])));
      await assert.rejects(Promise.resolve(rotate(TOKENS.account)), /"deploy" cannot be rotated now: .*cf-rotate\.json is invalid .*Nothing was rotated\./);
      const mark = shown.length;
      assert.equal(await exec(COMMANDS.openConfig), undefined);
      const err = await waitFor(() => shownSince(mark).find((s) => s.level === 'error'), 'the error notification of Open Configuration');
      assert.match(err.message, /^Open configuration failed: \.vscode\/cf-rotate\.json is a link that leads outside the workspace folder/);
      assert.deepEqual(await rotatingRequests(), []);
      assert.equal(fs.readFileSync(path.join(outside, 'cf-rotate.json'), 'utf8'), text, 'the file outside is unchanged');
      assert.deepEqual(outsideFiles(), ['cf-rotate.json']);
      assertFilesHold(secrets, 'is unchanged');
    });

    it('a .vscode that links to a folder outside (existing or not): Open Configuration refuses and writes nothing outside', async () => {
      fs.renameSync(file('.vscode'), file('.vscode.real'));
      restore = () => {
        fs.rmSync(file('.vscode'), { force: true });
        fs.renameSync(file('.vscode.real'), file('.vscode'));
      };
      for (const [target, why] of [
        [outside, /^Open configuration failed: \.vscode\/cf-rotate\.json lies in a folder that links outside the workspace folder; cf-rotate refuses to follow it\./],
        [path.join(outside, 'new'), /^Open configuration failed: Could not create the folder \.vscode: it does not exist \(ENOENT\)\./],
      ] as const) {
        fs.rmSync(file('.vscode'), { force: true });
        fs.symlinkSync(target, file('.vscode'));
        await exec(COMMANDS.refresh);
        const mark = shown.length;
        assert.equal(await exec(COMMANDS.openConfig), undefined, target);
        const err = await waitFor(() => shownSince(mark).find((s) => s.level === 'error'), 'the error notification of Open Configuration');
        assert.match(err.message, why);
        assert.deepEqual(outsideFiles(), [], 'nothing was written outside');
        assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath === path.join(target, 'cf-rotate.json'), false, 'no editor on a file outside');
      }
    });

    it('Reveal Target does not open a target that links to a file outside (a click in the Tokens view): it says why', async () => {
      const secret = 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
      fs.writeFileSync(path.join(outside, 'credentials'), `[default]\n${secret}\n`);
      fs.symlinkSync(path.join(outside, 'credentials'), file('x.env'));
      restore = () => fs.rmSync(file('x.env'), { force: true });
      const mark = shown.length;
      assert.equal(await exec(COMMANDS.revealTarget, { folder: FOLDER, file: 'x.env', key: 'AWS_SECRET_ACCESS_KEY' }), undefined);
      const err = await waitFor(() => shownSince(mark).find((s) => s.level === 'error'), 'the error notification of Reveal Target');
      assert.match(err.message, /^Reveal target failed: x\.env is a link that leads outside the workspace folder; cf-rotate refuses to follow it\./);
      assert.ok(!vscode.workspace.textDocuments.some((d) => d.getText().includes(secret)), 'no document holds the file outside');
      assert.equal(vscode.window.activeTextEditor, undefined);
    });

    it('a git planted at the root (on PATH as the folder and "."), and a git.path in the workspace settings, never run: the rotation asks the git outside', async () => {
      git('init', '-q');
      fs.writeFileSync(file('.gitignore'), '.env\n.dev.vars\n');
      const marker = path.join(outside, 'pwned');
      for (const planted of ['git', path.join('tools', 'git')]) {
        fs.mkdirSync(path.dirname(file(planted)), { recursive: true });
        // It reads what it is given on --stdin (as a real git would for `check-ignore --stdin`), so a caller's pipe never breaks.
        fs.writeFileSync(file(planted), `#!/bin/sh\necho "$0 $* (run by: $(ps -o args= -p $PPID 2>/dev/null | cut -c1-200))" >> "${marker}"\ncase " $* " in *" --stdin "*) cat >/dev/null ;; esac\nexit 0\n`, { mode: 0o755 });
      }
      // cf-rotate's runs say `-c core.fsmonitor=false -c core.hooksPath=`. Another extension in this extension host
      // shares its PATH (which the test put the folder on) and could run the planted git too: not cf-rotate's doing.
      const ran = (): string => {
        const ours = fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8').split('\n').filter((l) => l.includes('core.fsmonitor=false')) : [];
        return ours.length > 0 ? `cf-rotate ran a git of the repository:\n${ours.join('\n')}` : '';
      };
      fs.writeFileSync(file(path.join('.vscode', 'settings.json')), JSON.stringify({ 'git.path': file(path.join('tools', 'git')) }, null, 2));
      process.env.PATH = [FOLDER, '.', savedPath ?? ''].join(path.delimiter);
      const r = await rotate(TOKENS.account);
      assert.ok(r?.ok, JSON.stringify(r?.error));
      assert.equal(ran(), '');
      // Asked interactively, git is asked before the question too: the same git.
      onModal((m) => (m.items.includes('Rotate') ? 'Rotate' : undefined));
      const asked = await exec<CommandRotationResult>(COMMANDS.rotate, { name: TOKENS.account });
      assert.ok(asked.ok, JSON.stringify(asked.error));
      assert.equal(ran(), '');
      // The gate did ask git (the one outside): a target it does not ignore is refused.
      fs.writeFileSync(file('.gitignore'), '.dev.vars\n');
      const refused = await rotate(TOKENS.account);
      assert.equal(refused?.ok, false);
      assert.match(refused?.error?.message ?? '', /\.env is not ignored by git/);
      assert.equal(ran(), '');
    });
  });

  describe('cancelling, phases, unsaved edits', () => {
    it('a hung call: the phases say "waiting until <local time>", then "checking (1/2)"; a verdict in seconds', async () => {
      await sim.addFault({ op: 'rollAccountToken', type: 'hang' });
      const mark = progressRuns.length;
      const t0 = Date.now();
      const r = await rotate(TOKENS.account);
      assert.ok(Date.now() - t0 < 20_000, `${Date.now() - t0} ms (CF_ROTATE_TIMEOUT=3: 3 s + a 2 s margin + short probes)`);
      const run = await progressSince(mark, `Rotating "${TOKENS.account}"`);
      assert.equal(run.cancellable, true);
      assert.ok(run.messages.includes('Rotating at Cloudflare…'), run.messages.join('\n'));
      const waiting = run.messages.find((m) => m.startsWith('No answer; waiting until '));
      assert.ok(waiting, run.messages.join('\n'));
      assert.match(waiting, /^No answer; waiting until .*\d{1,2}:\d{2}:\d{2}.* before checking whether it happened…$/);
      assert.doesNotMatch(waiting, /\d{4}-\d{2}-\d{2}T/, 'a local time, not ISO');
      assert.ok(run.messages.includes('Checking whether it happened (1/2)…'), run.messages.join('\n'));
      assert.deepEqual([r?.ok, r?.state, r?.verdict], [false, 'failed', 'not-rotated']);
      assertFilesHold(secrets, 'is unchanged');
    });

    it('cancelling a hung rotation hands over to Resume; Resume then finds out it did not happen', async () => {
      await sim.addFault({ op: 'rollAccountToken', type: 'hang' });
      const mark = progressRuns.length;
      const shownMark = shown.length;
      const running = rotate(TOKENS.account);
      const run = await progressSince(mark, `Rotating "${TOKENS.account}"`);
      await waitFor(async () => (await sim.requests('rollAccountToken')).length > 0, 'the roll to reach the simulator (and hang)');
      const cancelledAt = Date.now();
      run.cancel();
      const r = await running;
      assert.ok(Date.now() - cancelledAt < 2_000, `settled ${Date.now() - cancelledAt} ms after Cancel`);
      assert.equal(r?.state, 'unknown');
      assert.ok(r?.checkAgainAt);
      const err = shownSince(shownMark).find((s) => s.level === 'error');
      assert.match(err?.message ?? '', /^Cancelled after the request was sent: Rotation of "deploy" has an unknown outcome/);
      assert.ok(!(err?.message ?? '').includes(r.checkAgainAt), 'the time is in the user\'s locale, not ISO');
      assert.deepEqual(err?.items, ['Resume', 'Show Log']);
      assert.deepEqual((await api.engine.interrupted()).map((j) => j.token), [TOKENS.account], 'the journal keeps it');

      const resumed = await exec<CommandRotationResult[]>(COMMANDS.resumeInterrupted, { all: true });
      assert.deepEqual(resumed.map((x) => [x.name, x.state, x.verdict]), [[TOKENS.account, 'failed', 'not-rotated']]);
      assert.deepEqual(await api.engine.interrupted(), []);
      assert.equal((await sim.secrets()).deploy, secrets.deploy, 'the old value still works');
      assertFilesHold(secrets, 'is unchanged');
    });

    it('cancelling before anything was sent (the service token is still being read): "nothing was rotated"', async () => {
      // The engine reads the service token before rotating it; hold that read so Cancel lands before the call.
      await sim.addFault({ op: 'getServiceToken', type: 'latency', ms: 1500 });
      const mark = progressRuns.length;
      const shownMark = shown.length;
      const running = rotate(TOKENS.access);
      const run = await progressSince(mark, `Rotating "${TOKENS.access}"`);
      await waitFor(async () => (await sim.stats()).inFlight > 0, 'the read to be on its way');
      run.cancel();
      const r = await running;
      assert.deepEqual([r?.ok, r?.state, r?.error?.kind], [false, 'cancelled', 'cancelled'], JSON.stringify(r));
      assert.ok(
        shownSince(shownMark).some((s) => s.level === 'info' && s.message === `Cancelled: nothing was rotated ("${TOKENS.access}" was not sent to Cloudflare).`),
        JSON.stringify(shownSince(shownMark)),
      );
      assert.deepEqual(await rotatingRequests(), []);
      assert.deepEqual(await api.engine.interrupted(), [], 'no journal: nothing to resume');
    });

    it('Rotate All cancelled mid-batch: the rotation whose call went out finishes, no new one starts', async () => {
      // concurrency 1: one Cloudflare call out at a time; the batch prepares the next rotation
      // meanwhile (it journals its intent and waits for the call slot). Either of the first two
      // may take the slot first; both rolls are slow, so the cancel finds one out and one waiting.
      await sim.addFault({ op: 'rollAccountToken', type: 'latency', ms: 1500 });
      await sim.addFault({ op: 'rollUserToken', type: 'latency', ms: 1500 });
      const mark = progressRuns.length;
      const shownMark = shown.length;
      const running = exec<CommandRotationResult[]>(COMMANDS.rotateAll, { skipConfirm: true, concurrency: 1 });
      const run = await progressSince(mark, 'Rotating 5 Cloudflare credentials');
      await waitFor(async () => {
        const f = (await sim.stats()).inFlightByOperation;
        return (f.rollAccountToken ?? 0) + (f.rollUserToken ?? 0) > 0;
      }, 'the first roll to be on its way');
      run.cancel();
      const results = await running;
      const rotated = results.filter((x) => x.state === 'rotated').map((x) => x.name);
      assert.equal(rotated.length, 1, JSON.stringify(results.map((x) => [x.name, x.state])));
      assert.ok(rotated[0] === TOKENS.account || rotated[0] === TOKENS.user, `one of the first two: ${rotated[0]}`);
      const others = results.filter((x) => x.state !== 'rotated');
      assert.deepEqual(others.map((x) => x.state), ['cancelled', 'cancelled', 'cancelled', 'cancelled']);
      assert.ok(run.messages.some((m) => m.includes('cancelling: no new rotation starts')), run.messages.join('\n'));
      assert.equal((await rotatingRequests()).length, 1, 'only the one that rotated reached Cloudflare');
      const summary = shownSince(shownMark).find((s) => s.message.startsWith('Rotated 1 of 5'));
      assert.equal(summary?.message, `Rotated 1 of 5 tokens; cancelled before they started (nothing was rotated for them): ${others.map((x) => x.name).join(', ')}.`);
      assert.equal(summary?.level, 'info');
      assert.deepEqual(await api.engine.interrupted(), [], 'the one that waited for the slot left no journal');
      const live = await sim.secrets();
      assert.equal(live.deploy !== secrets.deploy, rotated[0] === TOKENS.account);
      assert.equal(live.me !== secrets.me, rotated[0] === TOKENS.user);
      assertFilesHold(live, 'holds the one new value');
    });

    it('unsaved edits in a target: "Save and Rotate" saves them, then rotates', async () => {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file('.env')));
      const editor = await vscode.window.showTextDocument(doc, { preview: false });
      // The document shows the file this test's world wrote (not one VS Code kept from an earlier test) before it is edited.
      await waitFor(() => doc.getText() === read('.env'), 'the editor to show the .env of this test');
      await waitFor(() => Promise.resolve(editor.edit((b) => b.insert(new vscode.Position(0, 0), '# saved by Save and Rotate\n'))), 'the edit to be applied');
      assert.equal(editor.document.isDirty, true);
      const dialogs: Shown[] = [];
      onModal((s) => {
        dialogs.push(s);
        return s.items.find((i) => i === 'Save and Rotate');
      });
      const r = await exec<CommandRotationResult>(COMMANDS.rotate, { name: TOKENS.account });
      assert.ok(r.ok, JSON.stringify(r.error));
      assert.deepEqual(dialogs.map((d) => d.items), [['Save and Rotate']]);
      assert.match(dialogs[0]?.detail ?? '', /• save \.env: it has unsaved changes in an editor/);
      const live = await sim.secrets();
      assert.notEqual(live.deploy, secrets.deploy);
      const text = read('.env');
      assert.ok(text.startsWith('# saved by Save and Rotate\n'), 'the edit was saved');
      if (!text.includes(`CLOUDFLARE_API_TOKEN="${live.deploy}"`)) {
        const which = (t: string): string => (t.includes(live.deploy) ? 'live' : t.includes(secrets.deploy) ? 'old' : 'other');
        await new Promise((res) => setTimeout(res, 1000));
        const later = read('.env');
        // The file's lines with every value masked (never a secret): which key holds what, in which quotes.
        const shape = (t: string): string =>
          t
            .split('\n')
            .map((l) => l.split(live.deploy).join('<live>').split(secrets.deploy).join('<old>').replace(/[A-Za-z0-9_.-]{16,}/g, '<value>'))
            .join(' | ');
        // Which value the file holds (never the value itself): tells a late save by the editor from a write that did not happen.
        assert.fail(`the new value was not written: .env holds the ${which(text)} value (a second later: the ${which(later)} one, comment kept: ${later.startsWith('# saved')}); the editor is ${editor.document.isDirty ? 'dirty' : 'clean'} and shows the ${which(editor.document.getText())} value; the file read: ${shape(text)}`);
      }
      await waitFor(() => !editor.document.isDirty && editor.document.getText() === text, 'the editor to show the saved file with the new value');
    });
  });
});
