/** rotateAll: every token in one batch, one progress notification, every file right. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { CommandRotationResult } from '../../src/commands/rotate';
import { COMMANDS } from '../../src/constants';
import { CONFIG_FILE, configObject, idsFromState, TOKENS, type Secrets } from './fixture';
import { assertFilesHold, exec, file, onModal, progressTitles, resetWorld, rotatingRequests, shown, shownSince, sim, type Shown } from './helpers';

describe('rotateAll', () => {
  let before: Secrets;

  beforeEach(async () => {
    ({ secrets: before } = await resetWorld());
  });

  it('rotates every token in one batch with one progress notification; every file holds the live values', async () => {
    const progressMark = progressTitles.length;
    const mark = shown.length;
    const results = await exec<CommandRotationResult[]>(COMMANDS.rotateAll, { skipConfirm: true, concurrency: 3 });
    assert.deepEqual(
      results.map((r) => [r.name, r.ok, r.state]),
      [TOKENS.account, TOKENS.user, TOKENS.access, TOKENS.zoneAccess, TOKENS.moq].map((n) => [n, true, 'rotated']),
      JSON.stringify(results.filter((r) => !r.ok).map((r) => r.error)),
    );
    assert.deepEqual(progressTitles.slice(progressMark), ['Rotating 5 Cloudflare credentials'], 'exactly one progress notification');
    const summary = shownSince(mark).filter((s) => s.level === 'info');
    assert.deepEqual(summary.map((s) => s.message), ['Rotated 5 tokens.'], 'one summary notification, not one per token');
    assert.ok(summary[0]?.items.includes('Show Log'));

    const after = await sim.secrets();
    for (const k of ['deploy', 'me', 'ciClientSecret', 'zoneClientSecret', 'moq'] as const) assert.notEqual(after[k], before[k], `${k} changed`);
    assertFilesHold(after, 'holds every new value (two tokens share .env, two share .dev.vars)');
    assert.equal((await sim.accessCheck(after.ciClientId, after.ciClientSecret)).allowed, true);
    assert.equal((await sim.accessCheck(after.zoneClientId, after.zoneClientSecret)).allowed, true);
    assert.equal((await sim.moqCheck(after.moq)).allowed, true);
    const ops = (await rotatingRequests()).map((r) => r.op).sort();
    // MoQ: create the new token, then delete the old one (the rotate route is gone upstream, A4).
    // The zone token (grace 0s): its version bump keeps the previous secret a few minutes, a second PUT expires it once the new one is written.
    assert.deepEqual(ops, ['createMoqToken', 'deleteMoqToken', 'rollAccountToken', 'rollUserToken', 'rotateServiceToken', 'updateServiceToken', 'updateServiceToken'], 'one rotation call per token (plus the MoQ delete and the zone secret\'s expiry)');
    // Each with the scheme Cloudflare accepts for it (A5): the Global API key for the zone-level service token only.
    const schemes = (await rotatingRequests()).map((r) => `${r.op}:${r.credential.split(':')[0]}`).sort();
    assert.deepEqual(schemes, ['createMoqToken:token', 'deleteMoqToken:token', 'rollAccountToken:token', 'rollUserToken:token', 'rotateServiceToken:token', 'updateServiceToken:global-key', 'updateServiceToken:global-key']);
  });

  it('reports a partial failure per token and leaves the failed token\'s file value alone', async () => {
    await sim.addFault({ op: 'rollUserToken', type: 'status', status: 503 });
    const mark = shown.length;
    const results = await exec<CommandRotationResult[]>(COMMANDS.rotateAll, { skipConfirm: true });
    const failed = results.filter((r) => !r.ok);
    assert.deepEqual(failed.map((r) => [r.name, r.state, r.error?.kind]), [[TOKENS.user, 'failed', 'server']]);
    assert.equal(results.filter((r) => r.ok).length, 4);
    const after = await sim.secrets();
    assert.equal(after.me, before.me, 'the user token was not rotated');
    assertFilesHold(after, 'holds the four new values and the unchanged user token');
    const err = shownSince(mark).find((s) => s.level === 'error');
    assert.ok(err, 'the failure is notified');
    assert.match(err.message, /Rotation of "me" failed/);
    assert.ok(err.items.includes('Show Log'));
  });

  it('the confirmation names a target\'s opt-outs and a destination\'s account and profile, as the single one does', async () => {
    const other = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    const cfg = configObject(idsFromState(await sim.state()));
    (cfg.tokens[0] as { targets: unknown[] }).targets = [
      { file: 'public.env', key: 'CLOUDFLARE_API_TOKEN', allowTracked: true },
      { worker: 'api-gateway', key: 'CF_API_TOKEN', accountId: other, profile: 'other' },
    ];
    fs.writeFileSync(file(CONFIG_FILE), JSON.stringify(cfg, null, 2));
    await exec(COMMANDS.refresh);
    const dialogs: Shown[] = [];
    onModal((s) => {
      dialogs.push(s);
      return undefined; // Cancel
    });
    try {
      assert.deepEqual(await exec(COMMANDS.rotateAll, {}), []);
    } finally {
      onModal(undefined);
    }
    assert.equal(dialogs.length, 1);
    const lines = (dialogs[0]?.detail ?? '').split('\n');
    const at = lines.findIndex((l) => l.startsWith('  • deploy ('));
    assert.match(lines[at] ?? '', /→ public\.env › CLOUDFLARE_API_TOKEN \(may be a file git tracks: "allowTracked" in cf-rotate\.json\)$/);
    assert.match(lines[at + 1] ?? '', new RegExp(`↳ Worker "api-gateway" in account ${other} \\(profile other\\), secret CF_API_TOKEN: Cloudflare deploys a new version`));
    assert.deepEqual(await rotatingRequests(), []);
    assert.equal(fs.existsSync(file('public.env')), false);
  });
});
