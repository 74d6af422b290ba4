/**
 * Crash injection: the engine runs in a child process against the simulator and is SIGKILLed at
 * every step of the journal, for every kind of token. Then the CLI recovers ("resume", and where
 * Cloudflare rotated but the secret never arrived, the safe way out it tells the user: rotate
 * again). Pass = every target holds a secret the simulator accepts now, no file is corrupted, and
 * no secret that reached cf-rotate is lost.
 */
import { strict as assert } from 'node:assert';
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'dotenv';
import { main } from '../../../src/cli/main';
import { startWorld, tempFolder, write, type World } from '../helpers/world';
import type { Fault, OperationName } from '../../simulator/types';
import { setFigure } from '../helpers/figures';
import { tokenIdOf } from '../../../src/core/config/edit';
import { parseJournal, type JournalEntry } from '../../../src/core/engine/journal';
import { NodeJournalStore } from '../../../src/core/node/journalStore';

const CHILD = path.join(__dirname, 'child.js');

type KillPoint = 'before-call' | 'applied-before-response' | 'response-received' | 'target-written' | 'files-written' | 'config-written' | 'retirement-recorded';
const KILL_POINTS: KillPoint[] = ['before-call', 'applied-before-response', 'response-received', 'target-written', 'files-written'];

interface Target {
  file: string;
  key: string;
  field?: 'clientId' | 'clientSecret' | 'r2AccessKeyId' | 'r2SecretAccessKey';
}
interface Case {
  kind: string;
  op: OperationName;
  /** Kill points beyond the common ones (the steps after the targets: replace, OAuth clients). */
  extraPoints?: KillPoint[];
  /** A lost answer leaves the previous secret working (OAuth clients): "lost" is then told, and no second rotation is possible yet. */
  lostKeepsWorking?: boolean;
  /** Creates the resource, returns the config entry (without name/targets) and the initial values per target. */
  setup(w: World, folder: string): { entry: Record<string, unknown>; targets: Target[]; values: string[]; accepted: (t: Target, value: string) => boolean; replaceAccount?: string };
}

const sha = (v: string): string => createHash('sha256').update(v, 'utf8').digest('hex');

const CASES: Case[] = [
  {
    kind: 'account-api-token',
    op: 'rollAccountToken',
    setup: (w) => {
      const t = w.sim.control.addAccountToken(w.accountId, { name: 'crash' });
      const targets = [{ file: '.env', key: 'TOKEN' }, { file: '.dev.vars', key: 'TOKEN' }];
      return { entry: { kind: 'account-api-token', accountId: w.accountId, tokenId: t.id }, targets, values: [t.value, t.value], accepted: (_t, v) => w.sim.control.state().accountTokens.find((x) => x.id === t.id)?.value === v };
    },
  },
  {
    kind: 'user-api-token',
    op: 'rollUserToken',
    setup: (w) => {
      const t = w.sim.control.addUserToken({ name: 'crash', permissions: [] });
      const targets = [{ file: '.env', key: 'TOKEN' }, { file: '.dev.vars', key: 'TOKEN' }];
      return { entry: { kind: 'user-api-token', tokenId: t.id }, targets, values: [t.value, t.value], accepted: (_t, v) => w.sim.control.state().userTokens.find((x) => x.id === t.id)?.value === v };
    },
  },
  {
    kind: 'access-service-token (account, rotate + grace)',
    op: 'rotateServiceToken',
    setup: (w) => {
      const s = w.sim.control.addServiceToken({ accountId: w.accountId, name: 'crash' });
      const targets: Target[] = [{ file: '.env', key: 'CID', field: 'clientId' }, { file: '.env', key: 'CSECRET', field: 'clientSecret' }, { file: '.dev.vars', key: 'CSECRET', field: 'clientSecret' }];
      return {
        entry: { kind: 'access-service-token', accountId: w.accountId, serviceTokenId: s.id, gracePeriod: '1h' },
        targets,
        values: [s.clientId, s.clientSecret, s.clientSecret],
        accepted: (t, v) => (t.field === 'clientId' ? v === s.clientId : w.sim.control.accessCheck(s.clientId, v).allowed),
      };
    },
  },
  {
    kind: 'access-service-token (zone, version bump)',
    op: 'updateServiceToken',
    setup: (w) => {
      const s = w.sim.control.addServiceToken({ zoneId: w.zoneId, name: 'crash' });
      const targets: Target[] = [{ file: '.env', key: 'CSECRET' }, { file: '.dev.vars', key: 'CSECRET' }];
      return {
        entry: { kind: 'access-service-token', zoneId: w.zoneId, serviceTokenId: s.id, gracePeriod: '1h', clientSecretVersion: 1 },
        targets,
        values: [s.clientSecret, s.clientSecret],
        accepted: (_t, v) => w.sim.control.accessCheck(s.clientId, v).allowed,
      };
    },
  },
  {
    kind: 'moq-relay-token (create → write → delete)',
    op: 'createMoqToken',
    setup: (w) => {
      const r = w.sim.control.addMoqRelay({ accountId: w.accountId, name: 'crash', tokens: [{ operations: ['publish', 'subscribe'] }, { operations: ['subscribe'] }] });
      const pub = r.tokens.find((t) => t.type === 'publish_subscribe')!;
      const targets = [{ file: '.env', key: 'MOQ' }, { file: '.dev.vars', key: 'MOQ' }];
      return { entry: { kind: 'moq-relay-token', accountId: w.accountId, relayId: r.uid, tokenType: 'publish_subscribe' }, targets, values: [pub.secret, pub.secret], accepted: (_t, v) => w.sim.control.moqCheck(v).allowed };
    },
  },
  {
    kind: 'account-api-token (strategy replace: twin, config, retirement)',
    op: 'createAccountToken',
    extraPoints: ['config-written', 'retirement-recorded'],
    setup: (w, folder) => {
      // An account of its own: after recovery it must hold exactly the token cf-rotate.json names.
      const acct = w.sim.control.addAccount({ name: 'crash replace' }).id;
      const t = w.sim.control.addAccountToken(acct, { name: 'crash replace', permissions: ['Zone Read'] });
      const targets: Target[] = [{ file: '.env', key: 'TOKEN' }, { file: '.dev.vars', key: 'TOKEN' }, { file: '.env', key: 'R2_ID', field: 'r2AccessKeyId' }, { file: '.env', key: 'R2_SECRET', field: 'r2SecretAccessKey' }];
      const named = () => {
        const id = tokenIdOf(readFileSync(path.join(folder, '.vscode', 'cf-rotate.json'), 'utf8'), 'victim');
        return w.sim.control.state().accountTokens.find((x) => x.id === id && x.accountId === acct && x.status === 'active');
      };
      return {
        entry: { kind: 'account-api-token', accountId: acct, tokenId: t.id, strategy: 'replace', overlap: '1h' },
        targets,
        values: [t.value, t.value, t.id, sha(t.value)],
        accepted: (x, v) => {
          const now = named();
          if (!now) return false;
          return x.field === 'r2AccessKeyId' ? v === now.id : x.field === 'r2SecretAccessKey' ? v === sha(now.value) : v === now.value;
        },
        replaceAccount: acct,
      };
    },
  },
  {
    kind: 'turnstile-secret',
    op: 'rotateTurnstileSecret',
    setup: (w) => {
      const widget = w.sim.control.addTurnstileWidget({ accountId: w.accountId, name: 'crash' });
      const targets = [{ file: '.env', key: 'TS' }, { file: '.dev.vars', key: 'TS' }];
      return { entry: { kind: 'turnstile-secret', accountId: w.accountId, sitekey: widget.sitekey }, targets, values: [widget.secret, widget.secret], accepted: (_t, v) => w.sim.control.state().turnstileWidgets.find((x) => x.sitekey === widget.sitekey)?.secret === v };
    },
  },
  {
    kind: 'oauth-client-secret (rotate → write → retire)',
    op: 'rotateOAuthClientSecret',
    extraPoints: ['retirement-recorded'],
    lostKeepsWorking: true,
    setup: (w) => {
      const c = w.sim.control.addOAuthClient({ accountId: w.accountId, name: 'crash' });
      const targets: Target[] = [{ file: '.env', key: 'OID', field: 'clientId' }, { file: '.env', key: 'OSECRET' }];
      return {
        entry: { kind: 'oauth-client-secret', accountId: w.accountId, clientId: c.clientId, overlap: '1h' },
        targets,
        values: [c.clientId, c.secret],
        accepted: (t, v) => {
          if (t.field === 'clientId') return v === c.clientId;
          const now = w.sim.control.state().oauthClients.find((x) => x.clientId === c.clientId);
          return now?.secret === v || now?.previousSecret === v;
        },
      };
    },
  },
];

const figures = { retirementsCarriedOut: 0, runs: 0, killed: 0, secretsLost: 0, filesCorrupted: 0, reRotated: 0, recoveredFromJournal: 0, nothingHappened: 0 };

describe('crash injection: SIGKILL at every journal step × every kind, then recovery', function () {
  this.timeout(60_000);
  let world: World;

  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world.close();
    setFigure('crash: kill points × kinds (runs)', figures.runs);
    setFigure('crash: processes killed', figures.killed);
    setFigure('crash: secrets lost', figures.secretsLost);
    setFigure('crash: files corrupted', figures.filesCorrupted);
    console.log(
      `      crash figures: kill points ${KILL_POINTS.length} × kinds ${CASES.length} + ${CASES.reduce((n, c) => n + (c.extraPoints?.length ?? 0), 0)} after-target points = ${figures.runs} runs, retirements carried out after recovery ${figures.retirementsCarriedOut}, killed ${figures.killed}, ` +
        `completed from the journal ${figures.recoveredFromJournal}, nothing had happened ${figures.nothingHappened}, ` +
        `secret never received → told + rotated again ${figures.reRotated}, secrets lost ${figures.secretsLost}, files corrupted ${figures.filesCorrupted}`,
    );
  });

  for (const c of CASES) {
    for (const point of [...KILL_POINTS, ...(c.extraPoints ?? [])]) {
      it(`${c.kind}: killed at ${point}`, async () => {
        figures.runs++;
        world.sim.control.clearFaults();
        const folder = await tempFolder('cf-rotate-crash-');
        const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-crash-state-'));
        try {
          const { entry, targets, values, accepted, replaceAccount } = c.setup(world, folder);
          await write(folder, '.vscode/cf-rotate.json', JSON.stringify({ tokens: [{ name: 'victim', ...entry, targets }] }));
          const originals = new Map<string, string>();
          const files = [...new Set(targets.map((t) => t.file))];
          for (const f of files) {
            const lines = targets.map((t, i) => (t.file === f ? `${t.key}="${values[i]}" # managed` : undefined)).filter(Boolean);
            const text = `# ${f}\r\nBEFORE=1\r\n${lines.join('\r\n')}\r\nAFTER=2`;
            originals.set(f, text);
            await write(folder, f, text);
          }
          const env = {
            ...process.env,
            ...world.adminEnv,
            CLOUDFLARE_API_BASE_URL: world.sim.url,
            CF_ROTATE_STATE_DIR: stateDir,
            // Short requests: an unanswered call can take effect only until 1 s + 2 s after it was sent.
            CF_ROTATE_TIMEOUT: '1',
            CRASH_AT: point,
          };
          if (point === 'applied-before-response') world.sim.control.addFault({ op: c.op, type: 'hang-after-commit' });

          // 1. run and kill
          const before = world.sim.control.requests({ op: c.op }).length;
          const child = fork(CHILD, [folder, 'victim'], { env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
          let stderr = '';
          child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
          const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
          if (point === 'applied-before-response') {
            // Kill once Cloudflare has applied the change but before it answers.
            const deadline = Date.now() + 10_000;
            while (world.sim.control.requests({ op: c.op }).length === before && !world.sim.control.faults().some((f) => f.fired > 0) && Date.now() < deadline) {
              await new Promise((r) => setTimeout(r, 10));
            }
            await new Promise((r) => setTimeout(r, 20));
            child.kill('SIGKILL');
          }
          const exit = await exited;
          assert.equal(exit.signal, 'SIGKILL', `child was not killed at ${point} (exit ${exit.code}): ${stderr}`);
          figures.killed++;
          world.sim.control.clearFaults();

          // 2. recover as a user would: the next CLI run resumes
          const out: string[] = [];
          const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => out.push(s), env: { ...env, CRASH_AT: '' }, cwd: folder };
          type Resumed = { state: string; checkAgainAt?: string; error?: { message: string; hint?: string } };
          await main(['resume', '--json'], io);
          let resumed = (JSON.parse(out.find((s) => s.trim().startsWith('[')) ?? '[]') as Resumed[])[0];
          if (resumed?.state === 'unknown' && resumed.checkAgainAt) {
            // The old value still works, but the request could still take effect: not yet a verdict. Ask again after the deadline.
            await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(resumed!.checkAgainAt!) - Date.now()) + 50));
            out.length = 0;
            await main(['resume', '--json'], io);
            resumed = (JSON.parse(out.find((s) => s.trim().startsWith('[')) ?? '[]') as Resumed[])[0];
          }

          const read = async (): Promise<Map<string, string>> => new Map(await Promise.all(files.map(async (f) => [f, await fs.readFile(path.join(folder, f), 'utf8')] as const)));
          const allAccepted = async (): Promise<boolean> => {
            const now = await read();
            return targets.every((t) => {
              const v = parse(now.get(t.file)!)[t.key];
              return v !== undefined && accepted(t, v);
            });
          };

          if (resumed?.state === 'recovered') figures.recoveredFromJournal++;
          else if (resumed?.state === 'failed' || resumed === undefined) figures.nothingHappened++;
          if (!(await allAccepted()) || resumed?.state === 'lost') {
            // The only acceptable reason: Cloudflare rotated and the secret never reached cf-rotate.
            assert.equal(resumed?.state, 'lost', `targets hold rejected values after resume (${JSON.stringify(resumed)})`);
            assert.match(resumed!.error!.message, /never arrived/);
            if (c.lostKeepsWorking) {
              // The secret in the files still works (both do until the previous one is deleted): told, nothing to rotate now.
              assert.match(resumed!.error!.message, /still works/);
            } else {
              assert.match(resumed!.error!.hint ?? '', /again/);
              const again = await main(['rotate', 'victim', '--json'], io);
              assert.equal(again, 0, out.join(''));
              figures.reRotated++;
            }
          }
          if (!(await allAccepted())) {
            figures.secretsLost++;
            assert.fail('a target holds a secret Cloudflare no longer accepts');
          }

          // 3. no file corrupted: every byte outside the values is the original
          const now = await read();
          for (const f of files) {
            let expected = originals.get(f)!;
            for (const t of targets.filter((x) => x.file === f)) {
              const oldValue = values[targets.indexOf(t)]!;
              const newValue = parse(now.get(f)!)[t.key]!;
              expected = expected.split(`${t.key}="${oldValue}"`).join(`${t.key}="${newValue}"`);
            }
            if (now.get(f) !== expected) figures.filesCorrupted++;
            assert.equal(now.get(f), expected, `${f} changed outside the values`);
          }
          // 4. nothing left behind
          const left: string[] = [];
          await main(['resume', '--json'], { ...io, stdout: (s) => left.push(s) });
          assert.deepEqual(JSON.parse(left.join('')), []);
          // 5. pending retirements carried out now: nothing in use is deleted, nothing stays pending, no twin is left over
          const retired: string[] = [];
          const said: string[] = [];
          const code = await main(['retire', '--now', '--json'], { ...io, stdout: (s) => retired.push(s), stderr: (s) => said.push(s) });
          assert.equal(code, 0, retired.join('') + said.join(''));
          figures.retirementsCarriedOut += (JSON.parse(retired.join('').slice(retired.join('').indexOf('['))) as unknown[]).length;
          assert.ok(await allAccepted(), 'after retire --now a target holds a value Cloudflare no longer accepts');
          if (replaceAccount) {
            const named = tokenIdOf(await fs.readFile(path.join(folder, '.vscode', 'cf-rotate.json'), 'utf8'), 'victim');
            const ids = world.sim.control.state().accountTokens.filter((x) => x.accountId === replaceAccount).map((x) => x.id);
            assert.deepEqual(ids, [named], 'the account holds exactly the token cf-rotate.json names (no twin left, the previous one deleted)');
          }
        } finally {
          await fs.rm(folder, { recursive: true, force: true });
          await fs.rm(stateDir, { recursive: true, force: true });
        }
      });
    }
  }

  it('figures: 0 secrets lost, 0 files corrupted', () => {
    assert.equal(figures.secretsLost, 0);
    assert.equal(figures.filesCorrupted, 0);
  });
});

/**
 * A verdict is journaled, then recorded in the history, then its journal entry is removed. A
 * resume killed between those steps leaves the entry (settled, with its verdict) and perhaps the
 * record; the next resume must tell the user that verdict exactly once, the history must hold it
 * exactly once, and the entry must end removed. Deterministic: the resume runs in a child that
 * SIGKILLs itself at the engine's checkpoint.
 */
describe('crash injection: resume killed after its verdict is durable, before the entry is removed', function () {
  this.timeout(60_000);
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(async () => world.close());

  type Outcome = 'not-rotated' | 'lost';
  type Resumed = { name: string; ok: boolean; state: string; verdict?: string; error?: { message: string; hint?: string } };
  type Recorded = { name: string; outcome: string; journal?: string; error?: string };

  /** Run the crash child; resolves with how it ended. `killWhen`: the parent kills it once this holds (polled). */
  async function child(args: string[], env: NodeJS.ProcessEnv, killWhen?: () => boolean): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
    const c = fork(CHILD, args, { env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    c.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => c.on('exit', (code, signal) => resolve({ code, signal })));
    if (killWhen) {
      const deadline = Date.now() + 10_000;
      while (!killWhen() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 20));
      c.kill('SIGKILL');
    }
    return { ...(await exited), stderr };
  }

  /**
   * An account API token whose rotation was killed with its roll unanswered: never sent
   * (`not-rotated`: killed at before-call), or applied by Cloudflare and never answered (`lost`).
   */
  async function interrupted(outcome: Outcome): Promise<{ folder: string; stateDir: string; env: NodeJS.ProcessEnv; token: { id: string; value: string }; io: (out: string[]) => Parameters<typeof main>[1] }> {
    const folder = await tempFolder('cf-rotate-verdict-');
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-verdict-state-'));
    const token = world.sim.control.addAccountToken(world.accountId, { name: 'verdict' });
    await write(folder, '.vscode/cf-rotate.json', JSON.stringify({ tokens: [{ name: 'victim', kind: 'account-api-token', accountId: world.accountId, tokenId: token.id, targets: [{ file: '.env', key: 'TOKEN' }] }] }));
    await write(folder, '.env', `TOKEN="${token.value}" # managed\nAFTER=2\n`);
    const env: NodeJS.ProcessEnv = { ...process.env, ...world.adminEnv, CLOUDFLARE_API_BASE_URL: world.sim.url, CF_ROTATE_STATE_DIR: stateDir, CF_ROTATE_TIMEOUT: '1', CRASH_AT: '' };
    if (outcome === 'lost') {
      world.sim.control.addFault({ op: 'rollAccountToken', type: 'hang-after-commit', pathIncludes: token.id });
      const killed = await child([folder, 'victim'], env, () => world.sim.control.faults().every((f) => f.fired > 0));
      assert.equal(killed.signal, 'SIGKILL', killed.stderr);
      world.sim.control.clearFaults();
      assert.notEqual(world.sim.control.state().accountTokens.find((t) => t.id === token.id)?.value, token.value, 'Cloudflare rolled');
    } else {
      const killed = await child([folder, 'victim'], { ...env, CRASH_AT: 'before-call' });
      assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    }
    const io = (out: string[]): Parameters<typeof main>[1] => ({ stdout: (s) => out.push(s), stderr: (s) => out.push(s), env, cwd: folder });
    return { folder, stateDir, env, token, io };
  }

  async function journalEntries(stateDir: string): Promise<JournalEntry[]> {
    return (await new NodeJournalStore(stateDir).list()).map((raw) => {
      if (typeof raw !== 'string') throw new Error(`unreadable journal entry ${raw.unreadable.file}: ${raw.unreadable.reason}`);
      return parseJournal(raw);
    });
  }
  async function recorded(io: Parameters<typeof main>[1]): Promise<Recorded[]> {
    const out: string[] = [];
    assert.equal(await main(['history', '--json'], { ...io, stdout: (s) => out.push(s) }), 0);
    return (JSON.parse(out.join('')) as Recorded[]).filter((h) => h.name === 'victim');
  }

  for (const outcome of ['not-rotated', 'lost'] as const) {
    for (const point of ['verdict-journaled', 'verdict-recorded'] as const) {
      it(`"${outcome}": resume killed at ${point}; the next resume reports it once, the history holds it once, the entry ends removed`, async () => {
        const w = await interrupted(outcome);
        try {
          const [left] = await journalEntries(w.stateDir);
          assert.ok(left && left.state !== 'settled', 'the rotation left an unsettled entry');
          const owner = left.owner;

          // The resume reaches its verdict and is killed at the checkpoint.
          const killed = await child([w.folder, 'victim', 'resume'], { ...w.env, CRASH_AT: point });
          assert.equal(killed.signal, 'SIGKILL', `resume was not killed at ${point} (exit ${killed.code}): ${killed.stderr}`);
          const [settled, ...more] = await journalEntries(w.stateDir);
          assert.equal(more.length, 0);
          assert.equal(settled?.state, 'settled', 'the entry is still there, with its verdict');
          assert.equal(settled?.verdict?.outcome, outcome);
          assert.equal(settled?.owner, owner);
          assert.equal((await recorded(w.io([]))).length, point === 'verdict-recorded' ? 1 : 0, 'the history holds the verdict once it is recorded');

          // The next resume tells the user, once.
          const out: string[] = [];
          const code = await main(['resume', '--json'], w.io(out));
          const results = JSON.parse(out.find((s) => s.trim().startsWith('[')) ?? '[]') as Resumed[];
          assert.equal(results.length, 1, out.join(''));
          const [r] = results;
          assert.equal(r?.verdict, outcome);
          assert.equal(r?.state, outcome === 'lost' ? 'lost' : 'failed');
          assert.equal(code, outcome === 'lost' ? 1 : 0, '"not rotated, safe to retry" counts as done; a loss needs attention');
          assert.match(r!.error!.message, outcome === 'lost' ? /rolled the API token "victim" but the new value never arrived/ : /Cloudflare did not rotate "victim"/);

          // No entry is left. "Not rotated" is not told again; a loss is, until the token is rotated
          // again: its targets hold a value Cloudflare no longer accepts, so resume cannot exit 0.
          assert.deepEqual(await journalEntries(w.stateDir), []);
          const again: string[] = [];
          const againCode = await main(['resume', '--json'], w.io(again));
          const told = JSON.parse(again.find((s) => s.trim().startsWith('[')) ?? '[]') as Resumed[];
          if (outcome === 'lost') {
            assert.equal(againCode, 1, again.join(''));
            assert.deepEqual(told.map((x) => [x.name, x.state, x.verdict]), [['victim', 'lost', 'lost']]);
            assert.match(told[0]!.error!.message, /^The last rotation of "victim" \(\S+Z\) lost its new secret: \.env › TOKEN still holds the previous value, which Cloudflare no longer accepts\.$/);
            assert.equal(told[0]!.error!.hint, 'Rotate it again: cf-rotate rotate victim');
            // list says so too (JSON: lostAt; text: the reason after the due state).
            const listed: string[] = [];
            assert.equal(await main(['list', '--json'], w.io(listed)), 0);
            const row = (JSON.parse(listed.join('')) as { name: string; lostAt?: string }[]).find((x) => x.name === 'victim');
            assert.match(row?.lostAt ?? '', /Z$/);
            const text: string[] = [];
            await main(['list'], w.io(text));
            assert.match(text.join(''), /^victim {2}\[account-api-token\] .*\(last rotation lost its secret .*: rotate it again\)/m);
          } else {
            assert.equal(againCode, 0);
            assert.deepEqual(told, []);
          }

          // The history holds this rotation's verdict exactly once.
          const h = await recorded(w.io([]));
          assert.deepEqual(h.map((x) => [x.outcome, x.journal]), [[outcome === 'lost' ? 'lost' : 'failed', owner]]);

          // The files: untouched; the value in them works ("not rotated"), or rotating again gives a working one ("lost").
          const value = (): string | undefined => world.sim.control.state().accountTokens.find((t) => t.id === w.token.id)?.value;
          if (outcome === 'not-rotated') {
            assert.equal(parse(await fs.readFile(path.join(w.folder, '.env'), 'utf8')).TOKEN, w.token.value);
            assert.equal(value(), w.token.value);
          } else {
            // "rotate --due" picks it although it has no schedule; then resume has nothing to tell.
            const due: string[] = [];
            assert.equal(await main(['rotate', '--due', '--json'], w.io(due)), 0, due.join(''));
            assert.deepEqual((JSON.parse(due.find((s) => s.trim().startsWith('[')) ?? '[]') as Resumed[]).map((x) => [x.name, x.state]), [['victim', 'rotated']]);
            assert.equal(parse(await fs.readFile(path.join(w.folder, '.env'), 'utf8')).TOKEN, value());
            const after: string[] = [];
            assert.equal(await main(['resume'], w.io(after)), 0, after.join(''));
            assert.deepEqual(after, ['No interrupted rotations.\n']);
            const relisted: string[] = [];
            await main(['list', '--json'], w.io(relisted));
            assert.equal((JSON.parse(relisted.join('')) as { name: string; lostAt?: string }[]).find((x) => x.name === 'victim')?.lostAt, undefined);
          }
        } finally {
          await fs.rm(w.folder, { recursive: true, force: true });
          await fs.rm(w.stateDir, { recursive: true, force: true });
        }
      });
    }
  }

  it('a roll Cloudflare applies after the process died, later than half a timeout past it: resume waits long enough to say "lost", not "safe to retry"', async function () {
    this.timeout(40_000);
    const folder = await tempFolder('cf-rotate-late-');
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-late-state-'));
    try {
      const token = world.sim.control.addAccountToken(world.accountId, { name: 'late' });
      await write(folder, '.vscode/cf-rotate.json', JSON.stringify({ tokens: [{ name: 'victim', kind: 'account-api-token', accountId: world.accountId, tokenId: token.id, targets: [{ file: '.env', key: 'TOKEN' }] }] }));
      await write(folder, '.env', `TOKEN=${token.value}\n`);
      // Timeout 4 s: the call can take effect until sent + 4 s + the margin. Killed at once, the
      // request is applied 6.5 s after the process died: past half a timeout (the margin before),
      // within a whole one (the margin now).
      const env: NodeJS.ProcessEnv = { ...process.env, ...world.adminEnv, CLOUDFLARE_API_BASE_URL: world.sim.url, CF_ROTATE_STATE_DIR: stateDir, CF_ROTATE_TIMEOUT: '4', CRASH_AT: '' };
      world.sim.control.addFault({ op: 'rollAccountToken', type: 'late-commit', delayMs: 6_500, fixed: true, pathIncludes: token.id });
      const killed = await child([folder, 'victim'], env, () => world.sim.control.requests({ op: 'rollAccountToken' }).some((q) => q.path.includes(token.id)));
      assert.equal(killed.signal, 'SIGKILL', killed.stderr);
      const out: string[] = [];
      const code = await main(['resume', '--json', '--wait', '20'], { stdout: (x) => out.push(x), stderr: (x) => out.push(x), env: { ...env, CRASH_AT: '' }, cwd: folder });
      await world.sim.control.settle();
      const [rec] = world.sim.control.requests({ op: 'rollAccountToken' }).filter((q) => q.path.includes(token.id));
      assert.equal(rec?.commitStatus, 200, 'Cloudflare applied the roll, late');
      const results = JSON.parse(out.find((x) => x.trim().startsWith('[')) ?? '[]') as Resumed[];
      assert.deepEqual(results.map((r) => [r.state, r.verdict]), [['lost', 'lost']], out.join(''));
      assert.equal(code, 1);
      assert.notEqual(world.sim.control.state().accountTokens.find((t) => t.id === token.id)?.value, token.value);
    } finally {
      world.sim.control.clearFaults();
      await fs.rm(folder, { recursive: true, force: true });
      await fs.rm(stateDir, { recursive: true, force: true });
    }
  });

  it('"lost": resume killed once the verdict is journaled, then discarded by hand: the history keeps the verdict once, not a discard', async () => {
    const w = await interrupted('lost');
    try {
      const owner = (await journalEntries(w.stateDir))[0]!.owner;
      const killed = await child([w.folder, 'victim', 'resume'], { ...w.env, CRASH_AT: 'verdict-journaled' });
      assert.equal(killed.signal, 'SIGKILL', killed.stderr);
      const explained: string[] = [];
      assert.equal(await main(['discard', 'victim'], w.io(explained)), 1);
      assert.match(explained.join(''), /^victim: Its outcome is already known \(Cloudflare rolled the API token "victim" but the new value never arrived; the old value no longer works\.\); discarding only removes the entry\.\n/);
      const out: string[] = [];
      assert.equal(await main(['discard', 'victim', '--yes', '--json'], w.io(out)), 0);
      assert.deepEqual(JSON.parse(out.join('')), [{ name: 'victim', discarded: true }]);
      assert.deepEqual(await journalEntries(w.stateDir), []);
      assert.deepEqual((await recorded(w.io([]))).map((x) => [x.outcome, x.journal]), [['lost', owner]]);
    } finally {
      await fs.rm(w.folder, { recursive: true, force: true });
      await fs.rm(w.stateDir, { recursive: true, force: true });
    }
  });
});

/**
 * Notes A9: an answer that carries the new secret but breaks the documented schema in the rest is
 * handled as an answer: the secret is journaled first, so a process killed afterwards leaves it
 * resumable. The resume writes it; Cloudflare accepts what the files hold; nothing is "lost".
 */
describe('crash injection: an answer off the schema (A9), the process killed once the secret it carried is journaled or partly written', function () {
  this.timeout(60_000);
  let world: World;
  before(async () => {
    world = await startWorld();
  });
  after(async () => world.close());

  const cases: { name: string; op: OperationName; fault: Record<string, unknown>; setup(): { entry: Record<string, unknown>; targets: Target[]; values: string[]; accepted: (t: Target, v: string | undefined) => boolean } }[] = [
    {
      name: 'account API token roll without "success"',
      op: 'rollAccountToken',
      fault: { remove: ['success'] },
      setup: () => {
        const t = world.sim.control.addAccountToken(world.accountId, { name: 'a9' });
        return { entry: { kind: 'account-api-token', accountId: world.accountId, tokenId: t.id }, targets: [{ file: '.env', key: 'TOKEN' }, { file: '.dev.vars', key: 'TOKEN' }], values: [t.value, t.value], accepted: (_t, v) => world.sim.control.state().accountTokens.find((x) => x.id === t.id)?.value === v };
      },
    },
    {
      name: 'Access service-token rotate without the required "id"',
      op: 'rotateServiceToken',
      fault: { remove: ['result.id'] },
      setup: () => {
        const s = world.sim.control.addServiceToken({ accountId: world.accountId, name: 'a9' });
        return {
          entry: { kind: 'access-service-token', accountId: world.accountId, serviceTokenId: s.id, gracePeriod: '0s' },
          targets: [{ file: '.env', key: 'CID', field: 'clientId' }, { file: '.env', key: 'CSECRET', field: 'clientSecret' }, { file: '.dev.vars', key: 'CSECRET', field: 'clientSecret' }],
          values: [s.clientId, s.clientSecret, s.clientSecret],
          accepted: (t, v) => (t.field === 'clientId' ? v === s.clientId : v !== undefined && world.sim.control.accessCheck(s.clientId, v).allowed),
        };
      },
    },
  ];

  for (const c of cases) {
    for (const point of ['secret-journaled', 'target-written'] as const) {
      it(`${c.name}: killed at ${point}; resume writes the secret it carried, nothing is lost`, async () => {
        const folder = await tempFolder('cf-rotate-a9-');
        const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-a9-state-'));
        try {
          const { entry, targets, values, accepted } = c.setup();
          await write(folder, '.vscode/cf-rotate.json', JSON.stringify({ tokens: [{ name: 'victim', ...entry, targets }] }));
          for (const f of new Set(targets.map((t) => t.file))) {
            await write(folder, f, targets.map((t, i) => (t.file === f ? `${t.key}=${values[i]}\n` : '')).join(''));
          }
          const env = { ...process.env, ...world.adminEnv, CLOUDFLARE_API_BASE_URL: world.sim.url, CF_ROTATE_STATE_DIR: stateDir, CF_ROTATE_TIMEOUT: '1', CRASH_AT: point };
          world.sim.control.addFault({ op: c.op, type: 'off-contract', ...c.fault } as Fault);
          const c2 = fork(CHILD, [folder, 'victim'], { env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
          let stderr = '';
          c2.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
          const exit = await new Promise<{ signal: NodeJS.Signals | null }>((resolve) => c2.on('exit', (_code, signal) => resolve({ signal })));
          assert.equal(exit.signal, 'SIGKILL', stderr);
          assert.equal(world.sim.control.faults().length, 0, 'the answer was off the schema');

          const out: string[] = [];
          const code = await main(['resume', '--json'], { stdout: (s) => out.push(s), stderr: (s) => out.push(s), env: { ...env, CRASH_AT: '' }, cwd: folder });
          const [r] = JSON.parse(out.find((s) => s.trim().startsWith('[')) ?? '[]') as { ok: boolean; state: string }[];
          assert.equal(code, 0, out.join(''));
          assert.deepEqual([r?.ok, r?.state], [true, 'recovered']);
          for (const t of targets) {
            const v = parse(await fs.readFile(path.join(folder, t.file), 'utf8'))[t.key];
            assert.ok(accepted(t, v), `${t.file} › ${t.key} holds a value Cloudflare accepts`);
          }
          assert.deepEqual(await new NodeJournalStore(stateDir).list(), []);
        } finally {
          world.sim.control.clearFaults();
          await fs.rm(folder, { recursive: true, force: true });
          await fs.rm(stateDir, { recursive: true, force: true });
        }
      });
    }
  }
});
