/**
 * The built CLI (dist/cli.js), run as a separate process against the simulator, where "never lose
 * a secret" meets a script: `discard` end to end (explains and changes nothing without --yes;
 * with it, the entry goes and the history says so; the JSON shapes), a verify after the roll that
 * Cloudflare answers 401 (a failure: exit 1) or cannot answer (500, a dropped connection: a
 * warning, exit 0), and answers that carry the new secret but break the documented schema in the
 * rest (notes A9: the secret is taken out and journaled first, so it is written, never "lost").
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'dotenv';
import { resumeIfThere } from '../../../src/cli/main';
import { CfRotateError } from '../../../src/core/errors';
import { resourceId, type RotationEngine } from '../../../src/core/engine/engine';
import { hashValue } from '../../../src/core/engine/targets';
import { NodeJournalStore } from '../../../src/core/node/journalStore';
import { repoRoot } from '../../harness/util';
import type { Fault } from '../../simulator/types';
import { read, startWorld, tempFolder, tokens, write, type World } from '../helpers/world';

const CLI = path.join(repoRoot(), 'dist', 'cli.js');

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Result {
  name: string;
  ok: boolean;
  state: string;
  verified?: boolean;
  warnings: string[];
  error?: { kind: string; message: string; hint?: string };
}

interface History {
  name: string;
  outcome: string;
  error?: string;
  errorKind?: string;
  journal?: string;
}

describe('the built CLI: discard, a verify that rejects the new value, answers off the schema (A9)', function () {
  this.timeout(60_000);
  let world: World;
  let folder: string;
  let stateDir: string;
  let env: NodeJS.ProcessEnv;
  const outputs: string[] = [];
  let ids: { deploy: { id: string; value: string }; me: { id: string; value: string }; ci: { id: string; clientId: string; clientSecret: string } };

  async function cli(...args: string[]): Promise<Ran> {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: folder, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    outputs.push(stdout, stderr);
    return { code, stdout, stderr };
  }

  const live = {
    deploy: (): string => world.sim.control.state().accountTokens.find((t) => t.id === ids.deploy.id)!.value,
    me: (): string => world.sim.control.state().userTokens.find((t) => t.id === ids.me.id)!.value,
    ci: (): string => world.sim.control.state().serviceTokens.find((t) => t.id === ids.ci.id)!.clientSecret,
  };
  const dotenv = async (): Promise<Record<string, string>> => parse(await read(folder, '.env'));
  const journalFiles = async (): Promise<string[]> => (await fs.readdir(path.join(stateDir, 'journal')).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));
  async function history(): Promise<History[]> {
    const r = await cli('history', '--json');
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as History[];
  }
  function results(r: Ran): Result[] {
    return JSON.parse(r.stdout) as Result[];
  }

  before(async () => {
    await fs.access(CLI).catch(() => assert.fail(`${CLI} is missing: run \`npm run build\` before the unit tests`));
    world = await startWorld();
  });
  after(async () => {
    const st = world.sim.control.state();
    const secrets = [
      world.admin.token,
      st.user.globalApiKey,
      ...[...st.userTokens, ...st.accountTokens].flatMap((t) => [t.value, t.previousValue ?? '']),
      ...st.serviceTokens.flatMap((s) => [s.clientSecret, s.previousClientSecret ?? '']),
    ].filter((s) => s.length > 0);
    for (const out of outputs) for (const s of secrets) assert.ok(!out.includes(s), 'a secret appeared in CLI output');
    await world.close();
  });

  beforeEach(async () => {
    folder = await tempFolder('cf-rotate-outcomes-');
    stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-outcomes-state-'));
    env = { PATH: process.env.PATH, ...world.adminEnv, CLOUDFLARE_API_BASE_URL: world.sim.url, CF_ROTATE_STATE_DIR: stateDir, CF_ROTATE_TIMEOUT: '1' };
    const c = world.sim.control;
    c.clearRequests();
    const deploy = c.addAccountToken(world.accountId, { name: 'deploy' });
    const me = c.addUserToken({ name: 'me', permissions: [] });
    const ci = c.addServiceToken({ accountId: world.accountId, name: 'ci' });
    ids = { deploy, me, ci };
    await write(folder, '.vscode/cf-rotate.json', JSON.stringify({
      tokens: [
        { name: 'deploy', kind: 'account-api-token', accountId: world.accountId, tokenId: deploy.id, targets: [{ file: '.env', key: 'CLOUDFLARE_API_TOKEN' }] },
        { name: 'me', kind: 'user-api-token', tokenId: me.id, targets: [{ file: '.env', key: 'CF_USER_TOKEN' }] },
        { name: 'ci-access', kind: 'access-service-token', accountId: world.accountId, serviceTokenId: ci.id, gracePeriod: '0s', targets: [{ file: '.env', key: 'CF_ACCESS_CLIENT_ID', field: 'clientId' }, { file: '.env', key: 'CF_ACCESS_CLIENT_SECRET', field: 'clientSecret' }] },
      ],
    }, null, 2));
    await write(folder, '.env', `# app\nCLOUDFLARE_API_TOKEN=${deploy.value}\nCF_USER_TOKEN=${me.value}\nCF_ACCESS_CLIENT_ID=${ci.clientId}\nCF_ACCESS_CLIENT_SECRET=${ci.clientSecret}\nOTHER=keep\n`);
  });

  afterEach(async () => {
    world.sim.control.clearFaults();
    await fs.rm(folder, { recursive: true, force: true });
    await fs.rm(stateDir, { recursive: true, force: true });
  });

  // ---------------------------------------------------------------------------- discard

  /** The journal entry a rotation leaves when its target write failed after Cloudflare rolled: the new secret waits in it. */
  async function interruptedWithSecret(): Promise<{ id: string; secret: string }> {
    const [token] = tokens([{ name: 'deploy', kind: 'account-api-token', accountId: world.accountId, tokenId: ids.deploy.id, targets: [{ file: '.env', key: 'CLOUDFLARE_API_TOKEN' }] }]);
    const rolled = await fetch(`${world.sim.url}/accounts/${world.accountId}/tokens/${ids.deploy.id}/value`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${world.admin.token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const secret = ((await rolled.json()) as { result: string }).result;
    const id = resourceId(token!);
    const now = Date.now() - 60_000;
    await new NodeJournalStore(stateDir).put(id, JSON.stringify({
      v: 2, id, owner: 'crashed-with-secret', folder, token: 'deploy', kind: 'account-api-token', profile: 'default', state: 'rotated',
      resource: { accountId: world.accountId, tokenId: ids.deploy.id }, startedAt: now, updatedAt: now, sentAt: now, deadline: now + 3_000,
      targets: [{ rel: '.env', key: 'CLOUDFLARE_API_TOKEN', field: 'token', oldHash: hashValue(ids.deploy.value), done: false }],
      values: { token: secret },
    }));
    return { id, secret };
  }

  /** The entry a process killed with its roll unanswered leaves when it is not known (yet) whether Cloudflare rolled. */
  /** `deadlineIn`: ms from now until the call can no longer take effect (default: it passed a second ago). */
  async function interruptedUnknown(deadlineIn = -1_000): Promise<string> {
    const [token] = tokens([{ name: 'me', kind: 'user-api-token', tokenId: ids.me.id, targets: [{ file: '.env', key: 'CF_USER_TOKEN' }] }]);
    const id = resourceId(token!);
    const now = Date.now();
    await new NodeJournalStore(stateDir).put(id, JSON.stringify({
      v: 2, id, owner: 'crashed-unknown', folder, token: 'me', kind: 'user-api-token', profile: 'default', state: 'unknown', lastError: 'The connection was reset.',
      resource: { tokenId: ids.me.id }, startedAt: now - 60_000, updatedAt: now, sentAt: now - 60_000, deadline: now + deadlineIn,
      targets: [{ rel: '.env', key: 'CF_USER_TOKEN', field: 'token', oldHash: hashValue(ids.me.value), done: false }],
    }));
    return id;
  }

  it('discard NAME without --yes explains what would be lost and changes nothing (exit 1); --json says the same as JSON', async () => {
    await interruptedWithSecret();
    const envBefore = await read(folder, '.env');
    const [file] = await journalFiles();
    const entryBefore = await fs.readFile(path.join(stateDir, 'journal', file!), 'utf8');

    const r = await cli('discard', 'deploy');
    assert.equal(r.code, 1, r.stderr);
    assert.equal(
      r.stdout,
      'deploy: Cloudflare already issued a new secret for "deploy" and it waits in the journal to be written to .env › CLOUDFLARE_API_TOKEN. ' +
        'Discarding deletes that secret for good. The credential in your files may no longer work, and you will have to rotate it again. ' +
        'Before discarding, fix what stops the write and resume instead, if you can.\n' +
        'Nothing was discarded. Run the same command with --yes to discard.\n',
    );
    assert.equal(r.stderr, '');

    const j = await cli('discard', 'deploy', '--json');
    assert.equal(j.code, 1);
    const shown = JSON.parse(j.stdout) as { name: string; discarded: boolean; explanation: string }[];
    assert.deepEqual(shown.map((x) => [x.name, x.discarded]), [['deploy', false]]);
    assert.match(shown[0]!.explanation, /^Cloudflare already issued a new secret for "deploy".*Discarding deletes that secret for good\./);
    assert.equal(j.stderr, 'Nothing was discarded. Run the same command with --yes to discard.\n', 'stdout carries the JSON only');

    // Nothing changed: the entry (byte for byte), the file, the history.
    assert.deepEqual(await journalFiles(), [file]);
    assert.equal(await fs.readFile(path.join(stateDir, 'journal', file!), 'utf8'), entryBefore);
    assert.equal(await read(folder, '.env'), envBefore);
    assert.deepEqual(await history(), []);
  });

  it('discard NAME --yes removes the entry and records the discard; history shows it; rotate then works again', async () => {
    const { secret } = await interruptedWithSecret();
    const envBefore = await read(folder, '.env');
    const r = await cli('discard', 'deploy', '--yes');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '• deploy: discarded. Cloudflare already issued a new secret for "deploy" and it waits in the journal to be written to .env › CLOUDFLARE_API_TOKEN.\n');
    assert.deepEqual(await journalFiles(), [], 'the entry is gone');
    assert.equal(await read(folder, '.env'), envBefore, 'discard writes no target');

    const h = await history();
    assert.equal(h.length, 1);
    assert.equal(h[0]!.name, 'deploy');
    assert.equal(h[0]!.outcome, 'discarded');
    assert.equal(h[0]!.journal, 'crashed-with-secret');
    assert.equal(h[0]!.error, 'The interrupted rotation of "deploy" was discarded (cf-rotate discard). The new secret it held is gone.');
    const text = await cli('history');
    assert.match(text.stdout, /^\S+ {2}deploy {2}discarded: The interrupted rotation of "deploy" was discarded \(cf-rotate discard\)\. The new secret it held is gone\. {2}→ \.env › CLOUDFLARE_API_TOKEN\n$/);
    assert.ok(!JSON.stringify(h).includes(secret) && !text.stdout.includes(secret));

    assert.match((await cli('resume')).stdout, /^No interrupted rotations\.\n$/);
    const again = await cli('discard', 'deploy', '--yes');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^cf-rotate: No interrupted rotation of "deploy" in .*\. Run "cf-rotate resume" to see and finish interrupted rotations\.\n$/);

    // The way out: rotating again works, and the file holds the value Cloudflare accepts now.
    const rotated = await cli('rotate', 'deploy');
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.equal((await dotenv()).CLOUDFLARE_API_TOKEN, live.deploy());
  });

  it('discard of an unknown outcome before its deadline is refused: the call may still take effect, nothing is changed (exit 1)', async () => {
    const id = await interruptedUnknown(600_000);
    const explained = await cli('discard', 'me');
    assert.equal(explained.code, 1);
    assert.match(explained.stdout, /^me: Its call to Cloudflare can still take effect until \S+Z, so the value in \.env › CF_USER_TOKEN working now proves nothing yet, and it cannot be discarded before then\. Resume it after that time instead/);
    const r = await cli('discard', 'me', '--yes', '--json');
    assert.equal(r.code, 1);
    assert.deepEqual((JSON.parse(r.stdout) as { name: string; discarded: boolean }[]).map((x) => [x.name, x.discarded]), [['me', false]]);
    assert.match(r.stderr, /cannot be discarded yet: its call to Cloudflare can still take effect until .*Nothing was changed\./);
    assert.equal((await journalFiles()).length, 1, 'the entry stays');
    assert.equal((await history()).length, 0, 'nothing recorded');
    await new NodeJournalStore(stateDir).delete(id);
  });

  it('discard --yes --json: [{name, discarded}] for each; an entry of unknown outcome is discarded without "secret gone"', async () => {
    await interruptedUnknown();
    const explained = await cli('discard', 'me');
    assert.equal(explained.code, 1);
    assert.match(explained.stdout, /^me: cf-rotate cannot tell whether Cloudflare rotated "me"\. First check in the Cloudflare dashboard whether the value in \.env › CF_USER_TOKEN still works\. If it does, discarding is safe\./);

    const r = await cli('discard', 'me', '--yes', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [{ name: 'me', discarded: true }]);
    assert.equal(r.stderr, '');
    assert.deepEqual(await journalFiles(), []);
    const h = await history();
    assert.deepEqual(h.map((x) => [x.name, x.outcome, x.error]), [['me', 'discarded', 'The interrupted rotation of "me" was discarded (cf-rotate discard).']]);
    assert.equal((await dotenv()).CF_USER_TOKEN, ids.me.value, 'nothing written');
  });

  it('discard: no name is a usage error (exit 2); an unknown one is refused (exit 1) and nothing is discarded', async () => {
    await interruptedUnknown();
    const none = await cli('discard');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /discard needs the name of the token/);
    const unknown = await cli('discard', 'me', 'deploy', '--yes');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /No interrupted rotation of "deploy"/);
    assert.equal((await journalFiles()).length, 1, 'the entry of "me" is kept');
    assert.deepEqual(await history(), []);
  });

  // ---------------------------------------------------------------------------- verify after the roll

  it('a verify that answers 401 after the roll is a failure: exit 1, the reason on stderr, the rotation recorded with the error', async () => {
    world.sim.control.addFault({ op: 'verifyAccountToken', type: 'error-text', status: 401, code: 1000, message: 'Invalid API Token', pathIncludes: world.accountId });
    const r = await cli('rotate', 'deploy');
    assert.equal(r.code, 1, `${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^✗ deploy: Cloudflare does not accept the new value of "deploy" that was written: Verifying an account API token value \(account [0-9a-f]{32}\) failed: Cloudflare rejected the token value \(HTTP 401, code 1000: Invalid API Token\)\. Check the token in the Cloudflare dashboard \(is it disabled, expired, or limited to other IP addresses\?\)\.\n$/);
    assert.deepEqual(world.sim.control.requests({ op: 'verifyAccountToken' }).map((q) => [q.status, q.fault]), [[401, 'error-text']], 'the verify after the roll met the 401');
    // The value Cloudflare returned is what the file holds, and the journal is done with it.
    assert.equal((await dotenv()).CLOUDFLARE_API_TOKEN, live.deploy());
    assert.deepEqual(await journalFiles(), []);
    const [h] = await history();
    assert.deepEqual([h?.name, h?.outcome, h?.errorKind], ['deploy', 'rotated', 'auth']);

    // The same with --json: not ok, verified false, an auth error.
    world.sim.control.addFault({ op: 'verifyAccountToken', type: 'error-text', status: 401, code: 1000, message: 'Invalid API Token', pathIncludes: world.accountId });
    const j = await cli('rotate', 'deploy', '--json');
    assert.equal(j.code, 1);
    const [res] = results(j);
    assert.deepEqual([res?.ok, res?.state, res?.verified, res?.error?.kind], [false, 'rotated', false, 'auth']);
  });

  const warnOnly: { name: string; fault: () => Fault; said: RegExp }[] = [
    { name: 'HTTP 500 (every retry)', fault: () => ({ op: 'verifyAccountToken', type: 'status', status: 500, body: 'envelope', retryAfterSec: 0, times: -1 }), said: /verifying an account API token value .*\b500\b/i },
    { name: 'a dropped connection (every retry)', fault: () => ({ op: 'verifyAccountToken', type: 'drop-after-commit', times: -1 }), said: /^No answer from Cloudflare while verifying an account API token value .* after 4 attempt\(s\)/ },
  ];
  for (const w of warnOnly) {
    it(`a verify that cannot be answered after the roll (${w.name}) only warns: exit 0, the new value written`, async () => {
      world.sim.control.addFault(w.fault());
      const r = await cli('rotate', 'deploy');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '✓ deploy: rotated → .env › CLOUDFLARE_API_TOKEN\n', 'not "verified"');
      const warning = /^! deploy: Could not verify the new secret of "deploy": (.*)\n$/.exec(r.stderr);
      assert.ok(warning, r.stderr);
      assert.match(warning[1]!, w.said);
      assert.ok(world.sim.control.requests({ op: 'verifyAccountToken' }).length >= 2, 'the verify was retried');
      assert.equal((await dotenv()).CLOUDFLARE_API_TOKEN, live.deploy());
      assert.notEqual(live.deploy(), ids.deploy.value);
      assert.deepEqual(await journalFiles(), []);
      const [h] = await history();
      assert.deepEqual([h?.outcome, h?.errorKind], ['rotated', undefined]);
    });
  }

  // ---------------------------------------------------------------------------- A9: the secret first

  const offContract: { name: string; token: 'deploy' | 'me' | 'ci-access'; fault: () => Fault }[] = [
    { name: 'user API token roll, "success" missing from the envelope', token: 'me', fault: () => ({ op: 'rollUserToken', type: 'off-contract', remove: ['success'] }) },
    { name: 'account API token roll, "success" of another type', token: 'deploy', fault: () => ({ op: 'rollAccountToken', type: 'off-contract', set: { success: 'yes' } }) },
    // "id" and "client_id" may be left out (every field of the answer is optional: no warning, see the client's tests); of another type they are off the schema.
    { name: 'Access service-token rotate, "id" of another type', token: 'ci-access', fault: () => ({ op: 'rotateServiceToken', type: 'off-contract', set: { 'result.id': 7 } }) },
    { name: 'Access service-token rotate, "client_id" of another type', token: 'ci-access', fault: () => ({ op: 'rotateServiceToken', type: 'off-contract', set: { 'result.client_id': false } }) },
    // A declared field (client_secret_version is not one: the answer is not read for it).
    { name: 'Access service-token rotate, "expires_at" of another type', token: 'ci-access', fault: () => ({ op: 'rotateServiceToken', type: 'off-contract', set: { 'result.expires_at': 7 } }) },
  ];
  for (const c of offContract) {
    it(`A9: ${c.name}: the secret it carried is written and live (exit 0, a warning), never "lost"`, async () => {
      world.sim.control.addFault(c.fault());
      const r = await cli('rotate', c.token, '--json');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(world.sim.control.faults().length, 0, 'the fault fired');
      const [res] = results(r);
      assert.deepEqual([res?.ok, res?.state], [true, 'rotated'], JSON.stringify(res));
      assert.match(res!.warnings.join(' '), /Cloudflare's answer did not match its documentation \(.+\); the new secret it carried was written\./);
      assert.match(r.stderr, new RegExp(`^! ${c.token}: Cloudflare's answer did not match its documentation`, 'm'));
      const now = await dotenv();
      if (c.token === 'me') {
        assert.notEqual(live.me(), ids.me.value, 'Cloudflare rolled');
        assert.equal(now.CF_USER_TOKEN, live.me());
      } else if (c.token === 'deploy') {
        assert.notEqual(live.deploy(), ids.deploy.value, 'Cloudflare rolled');
        assert.equal(now.CLOUDFLARE_API_TOKEN, live.deploy());
      } else {
        assert.notEqual(live.ci(), ids.ci.clientSecret, 'Cloudflare rotated');
        assert.equal(now.CF_ACCESS_CLIENT_SECRET, live.ci());
        assert.equal(now.CF_ACCESS_CLIENT_ID, ids.ci.clientId);
        assert.equal(world.sim.control.accessCheck(ids.ci.clientId, now.CF_ACCESS_CLIENT_SECRET!).allowed, true);
      }
      assert.equal(now.OTHER, 'keep');
      assert.deepEqual(await journalFiles(), []);
      const h = await history();
      assert.deepEqual(h.map((x) => [x.name, x.outcome]), [[c.token, 'rotated']], 'recorded as rotated, not lost');
    });
  }
});

describe('cf-rotate rotate / resume: an interrupted rotation another process finishes meanwhile', () => {
  it('is skipped (nothing to do), whether it was gone before the resume began or once its lock was taken; other errors, and a not-found of something else while the entry stays, still count', async () => {
    const stored: { entry?: unknown } = {};
    const journal = { get: async () => stored.entry } as unknown as RotationEngine['journal'];
    const gone = { journal, resume: async () => Promise.reject(new CfRotateError('not-found', 'There is no interrupted rotation x.')) };
    assert.equal(await resumeIfThere(gone, 'x'), undefined);
    const result = { name: 'n', folder: '/w', kind: 'account-api-token' as const, ok: false, state: 'pending' as const, targets: [], warnings: [], durationMs: 0, error: { kind: 'not-found' as const, message: 'finished meanwhile' } };
    const finished = { journal, resume: async () => result };
    assert.equal(await resumeIfThere(finished, 'x'), undefined);
    stored.entry = { id: 'x' }; // still journaled: the 404 was a destination's (a Worker that is gone), the secret waits
    assert.equal((await resumeIfThere(finished, 'x'))?.state, 'pending');
    stored.entry = undefined;
    const settled = { journal, resume: async () => ({ ...result, state: 'failed' as const, verdict: 'not-rotated' as const }) };
    assert.equal((await resumeIfThere(settled, 'x'))?.verdict, 'not-rotated', 'a verdict this resume reached (its entry then cleared) is reported');
    const failed = { journal, resume: async () => ({ ...result, error: { kind: 'file' as const, message: 'no space' } }) };
    assert.equal((await resumeIfThere(failed, 'x'))?.error?.kind, 'file');
    await assert.rejects(resumeIfThere({ journal, resume: async () => Promise.reject(new CfRotateError('internal', 'boom')) }, 'x'), /boom/);
  });
});
