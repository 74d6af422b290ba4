/**
 * The batch path's shortcuts keep their answers exact: the host's credential cache forgets on every
 * change, and NodeGit's coalesced runs answer each request from a git run that started after it.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NodeGit } from '../../../src/core/node/git';
import { MemorySecretStore } from '../../../src/core/node/secretFile';
import { CachedCredentialStore } from '../../../src/host/credentialCache';

const CFAT = 'cfat_n1WGn0X0xTw9EFHPXnhzQx90jzT8vszpG9Y9nyCB12428f03';
const CFUT = 'cfut_5zKGImLXBC2zuWWji86AKBiBuNA26K0XT0wKz4jc8c8d12ba';

describe('batch path: credential cache (host)', () => {
  it('reads SecretStorage once per profile, and again after set, delete or a change from another window', async () => {
    const store = new MemorySecretStore();
    let gets = 0;
    const counting = { get: (k: string) => (gets++, store.get(k)), store: (k: string, v: string) => store.store(k, v), delete: (k: string) => store.delete(k), keys: (p: string) => store.keys(p) };
    const creds = new CachedCredentialStore(counting);
    await creds.set('default', { type: 'api-token', token: CFAT });
    const a = await Promise.all([creds.get('default'), creds.get('default'), creds.get('default')]);
    assert.equal(gets, 1);
    assert.ok(a.every((c) => c?.type === 'api-token' && c.token === CFAT));
    await creds.set('default', { type: 'api-token', token: CFUT });
    const now = await creds.get('default');
    assert.ok(now?.type === 'api-token' && now.token === CFUT);
    // Another window changed it: SecretStorage.onDidChange → noteChanged.
    await store.store('cfRotate.credential.default', JSON.stringify({ type: 'api-token', token: CFAT }));
    creds.noteChanged('cfRotate.credential.default');
    const again = await creds.get('default');
    assert.ok(again?.type === 'api-token' && again.token === CFAT);
    await creds.delete('default');
    assert.equal(await creds.get('default'), undefined);
  });

  it('does not keep a read that a change overtook', async () => {
    const store = new MemorySecretStore();
    await store.store('cfRotate.credential.default', JSON.stringify({ type: 'api-token', token: CFAT }));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = { get: async (k: string) => (await gate, store.get(k)), store: (k: string, v: string) => store.store(k, v), delete: (k: string) => store.delete(k), keys: (p: string) => store.keys(p) };
    const creds = new CachedCredentialStore(slow);
    const first = creds.get('default');
    creds.noteChanged('cfRotate.credential.default');
    await store.store('cfRotate.credential.default', JSON.stringify({ type: 'api-token', token: CFUT }));
    release();
    await first;
    const next = await creds.get('default');
    assert.ok(next?.type === 'api-token' && next.token === CFUT);
  });
});

describe('batch path: NodeGit coalesces concurrent status requests', () => {
  let dir: string;
  before(function () {
    try {
      execFileSync('git', ['--version']);
    } catch {
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfr-git-'));
    execFileSync('git', ['init', '-q'], { cwd: dir });
    fs.writeFileSync(path.join(dir, '.gitignore'), '/ignored.env\n');
    for (const f of ['ignored.env', 'tracked.env', 'loose.env']) fs.writeFileSync(path.join(dir, f), 'A=1\n');
    execFileSync('git', ['add', 'tracked.env'], { cwd: dir });
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  it('answers each request with the same statuses as one request alone', async () => {
    const git = new NodeGit();
    const alone = await new NodeGit().status(dir, ['ignored.env', 'tracked.env', 'loose.env']);
    const asks = [['ignored.env'], ['tracked.env'], ['loose.env'], ['ignored.env', 'loose.env'], ['tracked.env'], ['ignored.env']];
    const answers = await Promise.all(asks.map((a) => git.status(dir, a)));
    answers.forEach((m, i) => {
      assert.deepEqual([...m.keys()].sort(), [...(asks[i] as string[])].sort());
      for (const rel of asks[i] as string[]) assert.deepEqual(m.get(rel), alone.get(rel), rel);
    });
    assert.equal(alone.get('tracked.env')?.tracked, true);
    assert.equal(alone.get('ignored.env')?.ignored, true);
    assert.equal(alone.get('loose.env')?.ignored, false);
  });

  it('a request made after a change sees it (no answer predates its request)', async () => {
    const git = new NodeGit();
    const before = git.status(dir, ['loose.env']);
    fs.appendFileSync(path.join(dir, '.gitignore'), '/loose.env\n');
    const after = await git.status(dir, ['loose.env']);
    await before;
    assert.equal(after.get('loose.env')?.ignored, true);
  });
});
