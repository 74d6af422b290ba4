/**
 * Interrupted rotations: the new secret waits in the journal (SecretStorage) until
 * resumeInterrupted writes it into the files.
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CommandRotationResult } from '../../src/commands/rotate';
import { COMMANDS } from '../../src/constants';
import { journalKey, type JournalEntry } from '../../src/core/engine/journal';
import { defaultStateDir } from '../../src/core/node/stateDir';
import type { CfRotateApi } from '../../src/extension';
import { idsFromState, TOKENS, type Secrets } from './fixture';
import {
  ADMIN_TOKEN,
  assertFilesHold,
  closeEditors,
  exec,
  file,
  FOLDER,
  resetWorld,
  rotate,
  rotatingRequests,
  seenSecrets,
  shown,
  shownSince,
  sim,
  SIM_URL,
  tokenNode,
  waitFor,
} from './helpers';

const sha256 = (v: string): string => createHash('sha256').update(v, 'utf8').digest('hex');

describe('interrupted rotations', () => {
  let api: CfRotateApi;
  let secrets: Secrets;

  beforeEach(async () => {
    ({ api, secrets } = await resetWorld());
  });

  afterEach(closeEditors);

  it('a file write that fails after Cloudflare rolled keeps the secret in the journal; resume writes it', async () => {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file('.env')));
    const editor = await vscode.window.showTextDocument(doc, { preview: false });
    await sim.addFault({ op: 'rollAccountToken', type: 'latency', ms: 2500 });
    await sim.clearRequests();
    const mark = shown.length;
    const running = rotate(TOKENS.account);
    // The preflight passed (the document was clean), the admin credential was checked, and the roll is
    // on its way (held 2.5 s by the latency fault): now make the file dirty.
    // The roll itself is in flight (whether the admin credential was checked again depends on what the suites before did).
    await waitFor(async () => ((await sim.stats()).inFlightByOperation?.rollAccountToken ?? 0) > 0, 'the roll request to reach the simulator');
    // An edit can be refused while VS Code reconciles the document with the disk: try again until it lands.
    await waitFor(() => Promise.resolve(editor.edit((b) => b.insert(new vscode.Position(0, 0), '# edited while rotating\n'))), 'the edit to be applied');
    assert.ok(editor.document.isDirty);
    const r = await running;
    assert.equal(r?.ok, false);
    assert.equal(r?.state, 'pending');
    assert.match(r?.error?.message ?? '', /Cloudflare rotated "deploy" and the new secret is kept safely in the journal, but a target could not be written: \.env has unsaved changes/);
    const err = shownSince(mark).find((s) => s.level === 'error');
    assert.ok(err && err.items.includes('Resume') && err.items.includes('Show Log'), `notification: ${JSON.stringify(err)}`);

    const live = await sim.secrets();
    assert.notEqual(live.deploy, secrets.deploy, 'Cloudflare rolled the token');
    assertFilesHold(secrets, 'still holds the old value on disk');
    const journals = await api.engine.interrupted();
    assert.deepEqual(journals.map((j) => [j.token, j.state]), [[TOKENS.account, 'rotated']]);
    assert.equal(journals[0]?.values?.token, live.deploy, 'the journal holds the value Cloudflare now accepts');

    const node = await tokenNode(api, TOKENS.account);
    assert.equal(node.state, 'interrupted');
    assert.equal(node.description, 'interrupted rotation · resume it');
    assert.equal(api.tree.getTreeItem(node).contextValue, 'token.account-api-token.interrupted');

    await closeEditors(); // revert the unsaved edit
    await sim.clearRequests();
    const busy = await rotate(TOKENS.account);
    assert.equal(busy?.error?.kind, 'busy', 'a new rotation is refused while the journal waits');
    assert.deepEqual(await rotatingRequests(), [], 'and it never reaches Cloudflare');
    assertFilesHold(secrets, 'still holds the old value');

    const resumed = await exec<CommandRotationResult[]>(COMMANDS.resumeInterrupted, { all: true });
    assert.deepEqual(resumed.map((x) => [x.name, x.ok, x.state]), [[TOKENS.account, true, 'recovered']]);
    assertFilesHold(live, 'holds the journaled value');
    assert.deepEqual(await api.engine.interrupted(), [], 'the journal is gone');
    assert.equal((await tokenNode(api, TOKENS.account)).state, 'unscheduled', 'no longer interrupted');
  });

  /**
   * What a window that crashed (or a process elsewhere) left: the service token rotated at
   * Cloudflare, its answer journaled, the journal's lock let go. Returns the new secret.
   */
  async function journalRotatedServiceToken(): Promise<{ entry: JournalEntry; newSecret: string }> {
    const state = await sim.state();
    const ids = idsFromState(state);
    const before = state.serviceTokens.find((t) => t.name === 'ci-access');
    assert.ok(before);
    const graceUntil = new Date(Date.now() + 3600_000).toISOString();
    const res = await fetch(`${SIM_URL}/accounts/${ids.accountId}/access/service_tokens/${ids.ciServiceTokenId}/rotate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ previous_client_secret_expires_at: graceUntil }),
    });
    const body = (await res.json()) as { success: boolean; result: { client_id: string; client_secret: string } };
    assert.equal(body.success, true, 'the simulator rotated the service token');
    const newSecret = body.result.client_secret;
    seenSecrets.add(newSecret);
    const now = Date.now();
    const entry: JournalEntry = {
      v: 2,
      id: `access-service-token:a:${ids.accountId}:${ids.ciServiceTokenId}`.toLowerCase(),
      owner: 'crashed-window',
      folder: FOLDER,
      token: TOKENS.access,
      kind: 'access-service-token',
      profile: 'default',
      state: 'rotated',
      resource: { accountId: ids.accountId, serviceTokenId: ids.ciServiceTokenId },
      startedAt: now - 5000,
      updatedAt: now - 4000,
      targets: [
        { rel: '.env', key: 'CF_ACCESS_CLIENT_ID', field: 'clientId', oldHash: sha256(secrets.ciClientId), done: false },
        { rel: '.env', key: 'CF_ACCESS_CLIENT_SECRET', field: 'clientSecret', oldHash: sha256(secrets.ciClientSecret), done: false },
      ],
      pre: { clientId: before.clientId },
      graceUntil,
      values: { clientId: body.result.client_id, clientSecret: newSecret },
    };
    // Its entry, and a lock whose process is gone (taken and released here).
    await api.engine.journal.lock(entry.id, 'test');
    await api.engine.journal.write(entry);
    await api.engine.journal.unlock(entry.id);
    return { entry, newSecret };
  }

  it('a journal left by a crashed window is finished by resumeInterrupted', async () => {
    const { newSecret } = await journalRotatedServiceToken();
    await api.refresh();
    assert.equal((await tokenNode(api, TOKENS.access)).state, 'interrupted', 'the tree offers to resume it');

    const mark = shown.length;
    const resumed = await exec<CommandRotationResult[]>(COMMANDS.resumeInterrupted, { all: true });
    assert.deepEqual(resumed.map((x) => [x.name, x.ok, x.state]), [[TOKENS.access, true, 'recovered']]);
    const info = shownSince(mark).find((s) => s.level === 'info');
    assert.match(info?.message ?? '', /^Finished the interrupted rotation of "ci-access" → \.env › CF_ACCESS_CLIENT_ID, \.env › CF_ACCESS_CLIENT_SECRET\./);
    const live = await sim.secrets();
    assert.equal(live.ciClientSecret, newSecret);
    assertFilesHold(live, 'holds the journaled secret');
    const check = await sim.accessCheck(live.ciClientId, newSecret);
    assert.deepEqual([check.allowed, check.matched], [true, 'current'], check.reason);
    assert.deepEqual(await api.engine.interrupted(), []);
    assert.equal((await tokenNode(api, TOKENS.access)).state, 'unscheduled');
  });

  it('a journal held by a process on another host: answered busy unless taken over; takeOver finishes it and breaks that process\'s lock of .env too', async () => {
    const { entry, newSecret } = await journalRotatedServiceToken();
    // A process of a dev container since rebuilt holds the rotation and was writing .env when it died.
    const locks = path.join(defaultStateDir(process.env), 'locks');
    const owner = { pid: 4242, start: '77', host: 'devcontainer-before-rebuild', since: Date.now() - 5 * 60_000, app: 'cf-rotate CLI' };
    const rotLock = path.join(locks, `rot-${journalKey(entry.id)}.lock`);
    const envLock = path.join(locks, `file-${journalKey(await fs.realpath(path.join(FOLDER, '.env')))}.lock`);
    await fs.mkdir(locks, { recursive: true });
    await fs.writeFile(rotLock, JSON.stringify({ ...owner, nonce: 'ab'.repeat(12), what: 'rotating "ci-access"' }), { mode: 0o600 });
    await fs.writeFile(envLock, JSON.stringify({ ...owner, nonce: 'cd'.repeat(12), what: 'writing .env' }), { mode: 0o600 });
    try {
      await api.refresh();
      assert.equal((await tokenNode(api, TOKENS.access)).state, 'interrupted', 'the tree offers to resume it');
      const mark = shown.length;
      const no = await exec<CommandRotationResult[]>(COMMANDS.resumeInterrupted, { name: TOKENS.access, takeOver: false });
      assert.deepEqual(no.map((x) => [x.name, x.ok, x.state, x.error?.kind]), [[TOKENS.access, false, 'busy', 'busy']]);
      assert.match(no[0]?.error?.message ?? '', /is held by cf-rotate CLI \(pid 4242 on devcontainer-before-rebuild\), rotating "ci-access", since /);
      assert.ok(shownSince(mark).some((s) => s.level === 'warning' && /cannot tell whether that process still runs/.test(s.message)), 'the user is told');
      // How to take it over, in the editor's words (not the CLI's flag).
      assert.match(no[0]?.error?.hint ?? '', /run "Cloudflare Rotate: Resume Interrupted Rotation…" and choose Take Over to finish the rotation here/);
      assert.doesNotMatch(no[0]?.error?.hint ?? '', /cf-rotate resume/);
      assert.doesNotMatch(await fs.readFile(path.join(FOLDER, '.env'), 'utf8'), new RegExp(newSecret), 'nothing written');
      // "All" finishes only what nobody may be working on.
      assert.deepEqual(await exec<CommandRotationResult[]>(COMMANDS.resumeInterrupted, { all: true }), []);

      const yes = await exec<CommandRotationResult[]>(COMMANDS.resumeInterrupted, { name: TOKENS.access, takeOver: true });
      assert.deepEqual(yes.map((x) => [x.name, x.ok, x.state]), [[TOKENS.access, true, 'recovered']]);
      assert.ok(yes[0]?.warnings.some((w) => /^Took over the lock of pid 4242 on devcontainer-before-rebuild \(writing \.env, since /.test(w)), JSON.stringify(yes[0]?.warnings));
      assertFilesHold(await sim.secrets(), 'holds the journaled secret');
      assert.deepEqual(await api.engine.interrupted(), []);
      assert.deepEqual(await api.engine.journal.heldUnverifiably(), []);
      assert.equal((await tokenNode(api, TOKENS.access)).state, 'unscheduled');
    } finally {
      await fs.rm(rotLock, { force: true });
      await fs.rm(envLock, { force: true });
    }
  });
});
