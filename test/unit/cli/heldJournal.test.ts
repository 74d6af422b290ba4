/**
 * An interrupted rotation whose lock a process this machine cannot check still holds (another
 * host: a rebuilt dev container, a second machine; or a local process of unknown start time that
 * has held it for hours) must not vanish from `resume`: it is listed as busy (exit 1), named, and
 * finished here with --take-over. A live local holder this machine can check is left alone.
 */
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateConfig } from '../../../src/core/config/load';
import { resourceId } from '../../../src/core/engine/engine';
import { journalKey, type JournalEntry } from '../../../src/core/engine/journal';
import { hashValue } from '../../../src/core/engine/targets';
import { NodeJournalStore } from '../../../src/core/node/journalStore';
import { processStartTime } from '../../../src/core/node/lock';
import { runMain, type CliRun } from '../helpers/cli';

describe('the CLI: interrupted rotations held by a process this machine cannot check', function () {
  this.timeout(20_000);
  let base: string;
  let folder: string;
  let stateDir: string;
  const token = { name: 'deploy', kind: 'account-api-token', accountId: 'a'.repeat(32), tokenId: 'b'.repeat(32), targets: [{ file: '.env', key: 'DEPLOY' }] };
  const fresh = `cfat_${'n'.repeat(40)}`;
  const old = `cfat_${'o'.repeat(40)}`;
  const id = resourceId(validateConfig({ tokens: [token] }).tokens[0]!);
  const lockFile = (): string => path.join(stateDir, 'locks', `rot-${journalKey(id)}.lock`);

  beforeEach(async () => {
    base = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-held-')));
    folder = path.join(base, 'ws');
    stateDir = path.join(base, 'state');
    await fs.mkdir(path.join(folder, '.vscode'), { recursive: true });
    await fs.writeFile(path.join(folder, '.vscode', 'cf-rotate.json'), JSON.stringify({ tokens: [token] }));
    await fs.writeFile(path.join(folder, '.env'), `DEPLOY=${old}\n`);
    const entry: JournalEntry = {
      v: 2,
      id,
      owner: 'o1',
      folder,
      token: 'deploy',
      kind: 'account-api-token',
      profile: 'default',
      state: 'rotated',
      resource: { accountId: token.accountId, tokenId: token.tokenId },
      startedAt: Date.now() - 60_000,
      updatedAt: Date.now() - 60_000,
      targets: [{ rel: '.env', key: 'DEPLOY', field: 'token', oldHash: hashValue(old), done: false }],
      values: { token: fresh },
    };
    await new NodeJournalStore(stateDir).put(id, JSON.stringify(entry));
    await fs.mkdir(path.join(stateDir, 'locks'), { recursive: true });
  });
  afterEach(() => fs.rm(base, { recursive: true, force: true }));

  const hold = (owner: { pid: number; start: string | null; host: string; since: number }): Promise<void> =>
    fs.writeFile(lockFile(), JSON.stringify({ ...owner, nonce: 'ab'.repeat(12), what: 'rotating "deploy"', app: 'cf-rotate CLI' }), { mode: 0o600 });

  const cli = (...args: string[]): Promise<CliRun> =>
    runMain(args, { CF_ROTATE_STATE_DIR: stateDir, CLOUDFLARE_API_TOKEN: `cfut_${'x'.repeat(40)}`, CLOUDFLARE_API_BASE_URL: 'http://127.0.0.1:9/client/v4', CF_ROTATE_TIMEOUT: '0.5' }, folder);
  const env = (): Promise<string> => fs.readFile(path.join(folder, '.env'), 'utf8');

  for (const [what, owner] of [
    ['a process on another host', { pid: 4242, start: '77', host: 'devcontainer-before-rebuild', since: Date.now() - 5 * 60_000 }],
    ['a local process of unknown start time, for hours', { pid: process.pid, start: null, host: os.hostname(), since: Date.now() - 3 * 3600_000 }],
  ] as const) {
    it(`held by ${what}: resume lists it as busy (exit 1) and changes nothing; --take-over finishes it here`, async () => {
      await hold(owner);
      const r = await cli('resume');
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const said = r.stdout + r.stderr;
      assert.match(said, new RegExp(`deploy.*with its new secret journaled, is held by cf-rotate CLI \\(pid ${owner.pid} on ${owner.host}\\)`));
      assert.match(said, /cf-rotate resume --take-over/);
      assert.doesNotMatch(said, /No interrupted rotations/);
      assert.doesNotMatch(said, new RegExp(fresh), 'no secret printed');
      assert.equal(await env(), `DEPLOY=${old}\n`);
      const json = await cli('resume', '--json');
      assert.deepEqual(JSON.parse(json.stdout).map((x: { name: string; state: string; error: { kind: string } }) => [x.name, x.state, x.error.kind]), [['deploy', 'busy', 'busy']]);

      const rot = await cli('rotate', 'deploy');
      assert.equal(rot.code, 1);
      assert.match(rot.stdout + rot.stderr, /resume --take-over/, 'rotate says how to take it over');

      const t = await cli('resume', '--take-over');
      assert.equal(t.code, 0, t.stdout + t.stderr);
      assert.match(t.stdout, /deploy: recovered/);
      assert.equal(await env(), `DEPLOY=${fresh}\n`);
      assert.deepEqual((await fs.readdir(path.join(stateDir, 'journal'))).filter((n) => n.endsWith('.json')), []);
      await assert.rejects(fs.access(lockFile()), 'the lock went with the rotation');
    });
  }

  it('the .env\'s lock held by a process on another host (it died writing it): resume --take-over breaks it, writes the journaled secret and says whose lock it broke', async () => {
    const envReal = await fs.realpath(path.join(folder, '.env'));
    const fileLock = path.join(stateDir, 'locks', `file-${journalKey(envReal)}.lock`);
    await fs.writeFile(fileLock, JSON.stringify({ pid: 4242, start: '77', host: 'devcontainer-before-rebuild', since: Date.now() - 5 * 60_000, nonce: 'cd'.repeat(12), what: 'writing .env', app: 'cf-rotate CLI' }), { mode: 0o600 });
    const t = await cli('resume', '--take-over');
    assert.equal(t.code, 0, t.stdout + t.stderr);
    assert.match(t.stdout, /deploy: recovered/);
    assert.match(t.stderr, /! deploy: Took over the lock of pid 4242 on devcontainer-before-rebuild \(writing \.env, since [0-9T:.-]+Z\), as asked\./);
    assert.doesNotMatch(t.stdout + t.stderr, new RegExp(fresh), 'no secret printed');
    assert.equal(await env(), `DEPLOY=${fresh}\n`);
    assert.deepEqual((await fs.readdir(path.join(stateDir, 'journal'))).filter((n) => n.endsWith('.json')), []);
    await assert.rejects(fs.access(fileLock), 'the broken lock is gone with the write');
  });

  it('held by a live local process this machine can check: still being worked on, not listed, never taken over', async function () {
    const start = processStartTime(process.pid);
    if (start === null) this.skip(); // off Linux no start time can be read
    await hold({ pid: process.ppid, start: processStartTime(process.ppid), host: os.hostname(), since: Date.now() - 3 * 3600_000 });
    for (const args of [['resume'], ['resume', '--take-over']]) {
      const r = await cli(...args);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(r.stdout, 'No interrupted rotations.\n');
    }
    assert.equal(await env(), `DEPLOY=${old}\n`);
    await fs.access(lockFile());
  });

  it('an entry whose newest state (with the secret) is in a killed process\'s temporary: discard explains that state, not the older file; resume writes the secret', async () => {
    const dir = path.join(stateDir, 'journal');
    const file = `${journalKey(id)}.json`;
    const rotated = JSON.parse(await fs.readFile(path.join(dir, file), 'utf8')) as JournalEntry;
    // The file as the killed process left it: the call sent, no secret yet; its last write only in a temporary.
    await fs.writeFile(path.join(dir, file), JSON.stringify({ ...rotated, state: 'intent', values: undefined, sentAt: Date.now() - 120_000, deadline: Date.now() - 60_000, updatedAt: Date.now() - 120_000 }));
    await fs.writeFile(path.join(dir, `${file}.cf-rotate-4194303999-77-abcdef012345.tmp`), JSON.stringify({ ...rotated, updatedAt: Date.now() - 100_000 }));
    const d = await cli('discard', 'deploy');
    assert.equal(d.code, 1);
    assert.match(d.stdout, /Cloudflare already issued a new secret for "deploy" and it waits in the journal/);
    assert.doesNotMatch(d.stdout, /cannot tell whether/);
    const r = await cli('resume');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /deploy: recovered/);
    assert.equal(await env(), `DEPLOY=${fresh}\n`);
    assert.deepEqual(await fs.readdir(dir), [], 'put back, written, cleared');
  });
});
