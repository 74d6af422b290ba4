/**
 * Every API fault × every token kind through the engine and the CLI: each failure names its cause
 * and next step, files change only when a secret was received, and no secret value (old, new,
 * admin) appears in any log line, result, error, history entry or CLI output.
 */
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import type { AdminCredential } from '../../../src/core/cloudflare/types';
import { CfRotateError } from '../../../src/core/errors';
import { GitHubClient } from '../../../src/core/github/client';
import { knownSecrets } from '../../../src/core/redact';
import type { Fault, OperationName } from '../../simulator/types';
import { addFigure, setFigure } from '../helpers/figures';
import { makeEngine, read, startWorld, tempFolder, tokens, write, type World } from '../helpers/world';

type Scenario = {
  name: string;
  fault?: (op: OperationName) => Fault;
  credential?: (w: World) => AdminCredential;
  badId?: boolean;
  timeoutMs?: number;
  expect: { ok: boolean; kind?: string; state: string; filesChange: boolean; message?: RegExp };
  /** MoQ is create → write → delete: an answer lost after the create leaves the previous token working. */
  moq?: { kind: string; state: string; message: RegExp };
  /**
   * Zone-level Access service tokens accept only email + Global API key (A5): the credential the
   * scenario uses for them (default: the world's, which holds both), its expectation, or 'skip'.
   */
  zone?: 'skip' | { credential?: (w: World) => AdminCredential; expect: Scenario['expect'] };
};
const moqNotRotated = (kind: string) => ({ kind, state: 'failed', message: /previous token still works/ });

const SCENARIOS: Scenario[] = [
  { name: 'success', expect: { ok: true, state: 'rotated', filesChange: true } },
  ...([500, 502, 503] as const).map((status): Scenario => ({ name: `HTTP ${status}`, fault: (op) => ({ op, type: 'status', status }), expect: { ok: false, kind: 'server', state: 'failed', filesChange: false, message: /did not rotate|previous token still works/ } })),
  { name: '429 + retry-after', fault: (op) => ({ op, type: 'rate-limit', retryAfterSec: 1 }), expect: { ok: true, state: 'rotated', filesChange: true } },
  { name: 'malformed JSON', moq: moqNotRotated('contract'), fault: (op) => ({ op, type: 'malformed-json' }), expect: { ok: false, kind: 'ambiguous', state: 'lost', filesChange: false, message: /never arrived/ } },
  // Notes A9: the secret is taken out (and journaled) before the rest is validated: it is written, never "lost".
  { name: 'the secret, the rest off the schema (A9)', fault: (op) => ({ op, type: 'off-contract', remove: ['success'] }), expect: { ok: true, state: 'rotated', filesChange: true } },
  { name: 'success without the secret', moq: moqNotRotated('contract'), fault: (op) => ({ op, type: 'missing-secret' }), expect: { ok: false, kind: 'ambiguous', state: 'lost', filesChange: false, message: /never arrived/ } },
  { name: 'reset after commit', moq: moqNotRotated('ambiguous'), fault: (op) => ({ op, type: 'drop-after-commit' }), expect: { ok: false, kind: 'ambiguous', state: 'lost', filesChange: false, message: /never arrived/ } },
  { name: 'timeout (hang)', fault: (op) => ({ op, type: 'hang' }), timeoutMs: 300, expect: { ok: false, kind: 'ambiguous', state: 'failed', filesChange: false, message: /did not rotate|previous token still works/ } },
  {
    name: '401 bad admin credential',
    credential: () => ({ type: 'api-token', token: `cfut_${'Z'.repeat(40)}` }),
    expect: { ok: false, kind: 'auth', state: 'failed', filesChange: false, message: /rejected|authenticat/i },
    zone: { credential: (w) => ({ type: 'global-key', email: w.sim.control.state().user.email, key: `cfk_${'Z'.repeat(48)}` }), expect: { ok: false, kind: 'auth', state: 'failed', filesChange: false, message: /rejected \(email \+ Global API key, HTTP 401/ } },
  },
  // The Global API key has every permission: there is no "missing permission" for zone-level tokens.
  { name: '403 missing permission', credential: (w) => ({ type: 'api-token', token: w.sim.control.addUserToken({ name: 'weak', permissions: [] }).value }), expect: { ok: false, kind: 'permission', state: 'failed', filesChange: false, message: /Write|Read/ }, zone: 'skip' },
  {
    name: 'API token alone (no Global API key)',
    credential: (w) => ({ type: 'api-token', token: w.admin.token }),
    expect: { ok: true, state: 'rotated', filesChange: true },
    zone: { expect: { ok: false, kind: 'credential-missing', state: 'failed', filesChange: false, message: /needs email \+ Global API key.*Nothing was sent.*CLOUDFLARE_EMAIL \+ CLOUDFLARE_API_KEY/ } },
  },
  {
    name: 'Global API key alone',
    credential: (w) => ({ type: 'global-key', ...w.admin.globalKey! }),
    expect: { ok: false, kind: 'credential-missing', state: 'failed', filesChange: false, message: /needs an API token.*Nothing was sent.*CLOUDFLARE_API_TOKEN/ },
    zone: { expect: { ok: true, state: 'rotated', filesChange: true } },
  },
  { name: '404 / 7003 unknown id', badId: true, expect: { ok: false, kind: 'not-found', state: 'failed', filesChange: false } },
];

interface Kind {
  name: string;
  op: OperationName;
  make(w: World, badId: boolean): { entry: Record<string, unknown>; value: string };
  /** Writes its entry to .vscode/cf-rotate.json too (`strategy: "replace"` edits its tokenId there). */
  config?: boolean;
  /** What differs from the API token kinds' expectation, per scenario. */
  expect?: Record<string, Partial<Scenario['expect']>>;
}
/** A lost answer of a call that creates something new: found again (or deleted) by the probe, the previous value still works. */
const twinNotRotated = { kind: 'contract', state: 'failed', filesChange: false, message: /previous token still works/ };
const hex = (): string => randomUUID().replace(/-/g, '');
const KINDS: Kind[] = [
  { name: 'account-api-token', op: 'rollAccountToken', make: (w, bad) => { const t = w.sim.control.addAccountToken(w.accountId, { name: 'leak' }); return { entry: { kind: 'account-api-token', accountId: w.accountId, tokenId: bad ? hex() : t.id }, value: t.value }; } },
  { name: 'user-api-token', op: 'rollUserToken', make: (w, bad) => { const t = w.sim.control.addUserToken({ name: 'leak', permissions: [] }); return { entry: { kind: 'user-api-token', tokenId: bad ? hex() : t.id }, value: t.value }; } },
  { name: 'access (account)', op: 'rotateServiceToken', make: (w, bad) => { const s = w.sim.control.addServiceToken({ accountId: w.accountId, name: 'leak' }); return { entry: { kind: 'access-service-token', accountId: w.accountId, serviceTokenId: bad ? randomUUID() : s.id }, value: s.clientSecret }; } },
  { name: 'access (zone)', op: 'updateServiceToken', make: (w, bad) => { const s = w.sim.control.addServiceToken({ zoneId: w.zoneId, name: 'leak' }); return { entry: { kind: 'access-service-token', zoneId: w.zoneId, serviceTokenId: bad ? randomUUID() : s.id, clientSecretVersion: 1 }, value: s.clientSecret }; } },
  { name: 'moq-relay-token', op: 'createMoqToken', make: (w, bad) => { const r = w.sim.control.addMoqRelay({ accountId: w.accountId, name: 'leak', tokens: [{ operations: ['publish', 'subscribe'] }] }); return { entry: { kind: 'moq-relay-token', accountId: w.accountId, relayId: bad ? hex() : r.uid }, value: r.tokens[0]!.secret }; } },
  {
    name: 'account-api-token (replace)',
    op: 'createAccountToken',
    config: true,
    make: (w, bad) => {
      const t = w.sim.control.addAccountToken(w.accountId, { name: 'leak replace', permissions: ['Zone Read'] });
      return { entry: { kind: 'account-api-token', accountId: w.accountId, tokenId: bad ? hex() : t.id, strategy: 'replace', overlap: '0s' }, value: t.value };
    },
    expect: {
      'malformed JSON': { ...twinNotRotated },
      'success without the secret': { ...twinNotRotated },
      'reset after commit': { ...twinNotRotated, kind: 'ambiguous' },
    },
  },
  {
    name: 'user-api-token (replace)',
    op: 'createUserToken',
    config: true,
    make: (w, bad) => {
      const t = w.sim.control.addUserToken({ name: 'leak replace', permissions: ['Zone Read'] });
      return { entry: { kind: 'user-api-token', tokenId: bad ? hex() : t.id, strategy: 'replace', overlap: '1h' }, value: t.value };
    },
    expect: {
      'malformed JSON': { ...twinNotRotated },
      'success without the secret': { ...twinNotRotated },
      'reset after commit': { ...twinNotRotated, kind: 'ambiguous' },
    },
  },
  {
    name: 'turnstile-secret',
    op: 'rotateTurnstileSecret',
    make: (w, bad) => {
      const x = w.sim.control.addTurnstileWidget({ accountId: w.accountId, name: 'leak' });
      return { entry: { kind: 'turnstile-secret', accountId: w.accountId, sitekey: bad ? `0x4AAAAAAA${hex().slice(0, 14)}` : x.sitekey }, value: x.secret };
    },
    expect: {
      // The widget's GET reports its current secret: a lost answer is recovered and written.
      'malformed JSON': { ok: true, state: 'recovered', filesChange: true },
      'success without the secret': { ok: true, state: 'recovered', filesChange: true },
      'reset after commit': { ok: true, state: 'recovered', filesChange: true },
      // Turnstile takes either scheme.
      'Global API key alone': { ok: true, state: 'rotated', filesChange: true },
    },
  },
  {
    name: 'oauth-client-secret',
    op: 'rotateOAuthClientSecret',
    make: (w, bad) => {
      const c = w.sim.control.addOAuthClient({ accountId: w.accountId, name: 'leak' });
      return { entry: { kind: 'oauth-client-secret', accountId: w.accountId, clientId: bad ? hex() : c.clientId, overlap: '0s' }, value: c.secret };
    },
    expect: {
      'malformed JSON': { message: /never arrived.*still works/ },
      'success without the secret': { message: /never arrived.*still works/ },
      'reset after commit': { message: /never arrived.*still works/ },
      'Global API key alone': { ok: true, state: 'rotated', filesChange: true },
      'HTTP 500': { message: /did not create a second secret.*current secret still works/ },
      'HTTP 502': { message: /did not create a second secret.*current secret still works/ },
      'HTTP 503': { message: /did not create a second secret.*current secret still works/ },
      'timeout (hang)': { message: /did not create a second secret.*current secret still works/ },
    },
  },
];

describe('API faults × kinds: specific messages, untouched files, no secret leaks', function () {
  this.timeout(60_000);
  let world: World;
  const texts: string[] = [];
  const seen = new Set<string>();

  /** Every secret the simulator has ever issued (current and previous values), plus admin credentials. */
  function harvest(): void {
    const st = world.sim.control.state();
    for (const t of [...st.userTokens, ...st.accountTokens]) [t.value, t.previousValue].forEach((v) => v && seen.add(v));
    for (const s of st.serviceTokens) [s.clientSecret, s.previousClientSecret].forEach((v) => v && seen.add(v));
    for (const r of st.moqRelays) r.tokens.forEach((t) => seen.add(t.secret));
    for (const x of st.turnstileWidgets) [x.secret, x.previousSecret].forEach((v) => v && seen.add(v));
    for (const c of st.oauthClients) [c.secret, c.previousSecret].forEach((v) => v && seen.add(v));
    seen.add(st.user.globalApiKey);
    // Destinations: what they hold (GitHub: what the simulator decrypted) and the GitHub tokens.
    for (const w of st.workers) w.secrets.forEach((s) => seen.add(s.value));
    for (const p of st.pagesProjects) for (const env of [p.envVars.production, p.envVars.preview]) for (const v of Object.values(env)) if (v.type === 'secret_text') seen.add(v.value);
    for (const s of st.secretsStores) s.secrets.forEach((x) => seen.add(x.value));
    for (const r of st.githubRepos) for (const scope of [r, ...r.environments]) scope.secrets.forEach((x) => seen.add(x.value));
    for (const t of st.githubTokens) seen.add(t.value);
  }

  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    harvest();
    let leaks = 0;
    for (const t of texts) for (const s of seen) if (t.includes(s)) leaks++;
    setFigure('secret leaks found', leaks);
    setFigure('secret leaks: texts checked (logs, results, errors, history, CLI output)', texts.length);
    setFigure('secret leaks: distinct secrets checked', seen.size);
    await world.close();
    assert.equal(leaks, 0, 'a secret value appeared in a log, result, error, history entry or CLI output');
  });

  for (const kind of KINDS) {
    for (const base of SCENARIOS) {
      const zone = kind.name === 'access (zone)';
      if (zone && base.zone === 'skip') continue;
      const account = kind.name === 'access (account)';
      const sc: Scenario =
        zone && base.zone && base.zone !== 'skip'
          ? { ...base, credential: base.zone.credential ?? base.credential, expect: base.zone.expect }
          : account && base.name === 'Global API key alone'
            ? { ...base, expect: { ok: true, state: 'rotated', filesChange: true } } // account-level Access accepts either scheme
            : kind.expect?.[base.name]
              ? { ...base, expect: { ...base.expect, ...kind.expect[base.name] } as Scenario['expect'] }
              : base;
      it(`${kind.name}: ${sc.name}`, async () => {
        world.sim.control.clearFaults();
        const folder = await tempFolder('cf-rotate-fault-');
        try {
          const { entry, value } = kind.make(world, sc.badId ?? false);
          const before = `# top\nSECRET='${value}' # comment\nOTHER=1\n`;
          await write(folder, '.env', before);
          const [token] = tokens([{ name: 'leak', ...entry, targets: [{ file: '.env', key: 'SECRET' }] }]);
          if (kind.config) await write(folder, '.vscode/cf-rotate.json', JSON.stringify({ tokens: [{ name: 'leak', ...entry, targets: [{ file: '.env', key: 'SECRET' }] }] }, null, 2));
          if (sc.fault) world.sim.control.addFault(sc.fault(kind.op));
          const credential = sc.credential?.(world);
          world.sim.control.clearRequests();
          const h = makeEngine(world, {
            // A roll that fails with a 5xx or loses its answer is settled at its deadline (timeout +
            // margin): a short timeout keeps each such case under a second (the simulator answers at once).
            timeoutMs: sc.timeoutMs ?? 600,
            ...(credential ? { credentials: { get: async () => credential } } : {}),
          });
          let thrown: unknown;
          const r = await h.engine.rotate(folder, token!).catch((e: unknown) => {
            thrown = e;
            return undefined;
          });
          assert.equal(thrown, undefined, 'rotate() reports failures in its result, it does not throw');
          assert.ok(r);
          const expect = kind.op === 'createMoqToken' && sc.moq ? { ...sc.expect, ...sc.moq } : sc.expect;
          assert.equal(r.ok, expect.ok, JSON.stringify(r.error));
          assert.equal(r.state, expect.state, JSON.stringify(r));
          if (!expect.ok) {
            assert.equal(r.error?.kind, expect.kind, JSON.stringify(r.error));
            assert.ok(r.error!.message.length > 20, 'says what failed');
            assert.ok((r.error!.hint ?? '').length > 10, 'says what to do');
            if (expect.message) assert.match(`${r.error!.message} ${r.error!.hint ?? ''}`, expect.message);
            addFigure('API faults: failures with a specific cause and next step');
          }
          const after = await read(folder, '.env');
          if (r.ok) {
            const written = /SECRET='([^']*)'/.exec(after)?.[1] ?? '';
            assert.ok(knownSecrets().has(written), 'the received secret was registered for redaction');
          }
          if (r.error?.kind === 'credential-missing') assert.equal(world.sim.control.requests().length, 0, 'refused before any request');
          if (expect.filesChange) assert.notEqual(after, before);
          else assert.equal(after, before, 'files untouched without a received secret');
          texts.push(...h.logger.lines, JSON.stringify(r), JSON.stringify(h.history.entries), JSON.stringify(await h.engine.interrupted().catch(() => [])).replace(/"values":\{[^}]*\}/g, ''));
          if (r.error) texts.push(new CfRotateError(r.error.kind as 'internal', r.error.message, r.error.hint ? { hint: r.error.hint } : {}).stack ?? '');
          addFigure('API faults × kinds exercised');
          harvest();
        } finally {
          await fs.rm(folder, { recursive: true, force: true });
        }
      });
    }
  }

  // ------------------------------------------------------------------ destinations × faults

  interface Dest {
    name: string;
    read: OperationName;
    write: OperationName;
    /** The Cloudflare permission that reads the destination (and not write it); GitHub: none, a user role instead. */
    readPermission?: string;
    target(w: World, tag: string): { config: Record<string, unknown>; held: () => string | undefined };
  }
  const DESTS: Dest[] = [
    {
      name: 'Worker',
      read: 'getWorkerSettings', // the preflight reads every binding (…/settings); the confirm lists the secrets
      write: 'putWorkerSecret',
      readPermission: 'Workers Scripts Read',
      target: (w, tag) => {
        w.sim.control.seed({ workers: [{ accountId: w.accountId, name: `leak-${tag}` }] });
        return { config: { worker: `leak-${tag}`, key: 'SECRET' }, held: () => w.sim.control.state().workers.find((x) => x.name === `leak-${tag}`)?.secrets[0]?.value };
      },
    },
    {
      name: 'Pages',
      read: 'getPagesProject',
      write: 'editPagesProject',
      readPermission: 'Pages Read',
      target: (w, tag) => {
        w.sim.control.seed({ pagesProjects: [{ accountId: w.accountId, name: `leak-${tag}` }] });
        return { config: { pages: `leak-${tag}`, environment: 'preview', key: 'SECRET' }, held: () => w.sim.control.state().pagesProjects.find((x) => x.name === `leak-${tag}`)?.envVars.preview.SECRET?.value };
      },
    },
    {
      name: 'Secrets Store',
      read: 'getStoreSecret',
      write: 'editStoreSecret',
      readPermission: 'Secrets Store Read',
      target: (w, tag) => {
        const id = tag.padStart(32, 'a');
        w.sim.control.seed({ secretsStores: [{ accountId: w.accountId, id, secrets: [{ id, name: 'S', value: 'initial-store-value' }] }] });
        return { config: { secretsStore: id, secretId: id }, held: () => w.sim.control.state().secretsStores.find((x) => x.id === id)?.secrets[0]?.value };
      },
    },
    {
      name: 'GitHub repository',
      read: 'githubGetPublicKey',
      write: 'githubPutSecret',
      target: (w, tag) => {
        w.sim.control.seed({ githubRepos: [{ name: `leak/r-${tag}`, secrets: [{ name: 'SECRET', value: `initial-repo-value-${tag}` }] }] });
        return { config: { github: `leak/r-${tag}`, key: 'SECRET' }, held: () => w.sim.control.state().githubRepos.find((x) => x.name === `leak/r-${tag}`)?.secrets[0]?.value };
      },
    },
    {
      name: 'GitHub environment',
      read: 'githubGetPublicKey',
      write: 'githubPutSecret',
      target: (w, tag) => {
        w.sim.control.seed({ githubRepos: [{ name: `leak/r-${tag}`, environments: ['prod'] }] });
        return { config: { github: `leak/r-${tag}`, environment: 'prod', key: 'SECRET' }, held: () => w.sim.control.state().githubRepos.find((x) => x.name === `leak/r-${tag}`)?.environments[0]?.secrets[0]?.value };
      },
    },
  ];
  /**
   * `weak`: credentials without the destination's permission at all (nothing can be read); `readOnly`:
   * credentials that read it but may not write it (Cloudflare: the Read permission, the token's own
   * policies readable; GitHub: a user with the "write" role, not admin), refused in preflight all the same.
   */
  type DestScenario = { name: string; fault?: (d: Dest, tag: string) => Fault; weak?: boolean; readOnly?: boolean; expect: { ok: boolean; state: string; kind?: string; rotated: boolean; message?: RegExp } };
  const DEST_SCENARIOS: DestScenario[] = [
    { name: 'success', expect: { ok: true, state: 'rotated', rotated: true } },
    { name: '5xx on every write', fault: (d, tag) => ({ op: d.write, type: 'status', status: 502, times: -1, pathIncludes: tag, retryAfterSec: 0 }), expect: { ok: false, state: 'pending', kind: 'server', rotated: true } },
    { name: 'connection dropped after the write committed (idempotent: sent again)', fault: (d, tag) => ({ op: d.write, type: 'drop-after-commit', pathIncludes: tag }), expect: { ok: true, state: 'rotated', rotated: true } },
    { name: 'no answer to the write', fault: (d, tag) => ({ op: d.write, type: 'hang', times: -1, pathIncludes: tag }), expect: { ok: false, state: 'pending', kind: 'ambiguous', rotated: true } },
    { name: '5xx at preflight', fault: (d, tag) => ({ op: d.read, type: 'status', status: 500, times: -1, pathIncludes: tag, retryAfterSec: 0 }), expect: { ok: false, state: 'failed', kind: 'server', rotated: false } },
    { name: 'credential without the destination permission', weak: true, expect: { ok: false, state: 'failed', kind: 'permission', rotated: false } },
    { name: 'credential that may read the destination but not write it', readOnly: true, expect: { ok: false, state: 'failed', kind: 'permission', rotated: false, message: /Write" in account|write access/ } },
  ];
  let destSeq = 0;
  for (const d of DESTS) {
    for (const sc of DEST_SCENARIOS) {
      it(`destination ${d.name}: ${sc.name}`, async () => {
        world.sim.control.clearFaults();
        const folder = await tempFolder('cf-rotate-dest-fault-');
        try {
          const tag = `${Date.now().toString(16)}${(destSeq++).toString(16)}`.slice(-10);
          const tok = world.sim.control.addAccountToken(world.accountId, { name: 'leak-dest' });
          const t = d.target(world, tag);
          const held0 = t.held();
          await write(folder, '.env', `SECRET=${tok.value}\n`);
          const [token] = tokens([{ name: 'leak-dest', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ file: '.env', key: 'SECRET' }, t.config] }]);
          if (sc.fault) world.sim.control.addFault(sc.fault(d, tag));
          const ghToken = world.sim.control.seed({ githubTokens: [sc.weak ? { secrets: 'none', environments: 'none' } : sc.readOnly ? { role: 'read' } : {}] }).githubTokens[0]!.value;
          const weak = sc.weak
            ? world.sim.control.addUserToken({ name: 'weak', permissions: ['Account API Tokens Read', 'Account API Tokens Write'] }).value
            : sc.readOnly && d.readPermission
              ? world.sim.control.addUserToken({ name: 'read only', permissions: ['API Tokens Read', 'Account API Tokens Read', 'Account API Tokens Write', d.readPermission] }).value
              : undefined;
          const h = makeEngine(world, {
            timeoutMs: 300,
            ...(weak ? { credentials: { get: async () => ({ type: 'api-token' as const, token: weak }) } } : {}),
            github: { client: async () => new GitHubClient({ baseUrl: world.sim.githubUrl, token: ghToken, source: 'GH_TOKEN', timeoutMs: 300, maxRetries: 1 }) },
          });
          const r = await h.engine.rotate(folder, token!);
          assert.equal(r.ok, sc.expect.ok, JSON.stringify(r));
          assert.equal(r.state, sc.expect.state, JSON.stringify(r));
          const live = world.sim.control.state().accountTokens.find((x) => x.id === tok.id)!.value;
          assert.equal(live !== tok.value, sc.expect.rotated, 'rotated only when every destination passed its preflight');
          if (!sc.expect.ok) {
            assert.equal(r.error?.kind, sc.expect.kind, JSON.stringify(r.error));
            assert.ok((r.error?.hint ?? '').length > 10, 'says what to do');
            if (sc.expect.message) assert.match(`${r.error?.message} ${r.error?.hint}`, sc.expect.message);
            addFigure('API faults: failures with a specific cause and next step');
          }
          if (!sc.expect.rotated) assert.deepEqual(world.sim.control.requests({ op: d.write }).filter((x) => x.path.includes(tag)), [], 'nothing written to the destination');
          texts.push(...h.logger.lines, JSON.stringify(r), JSON.stringify(h.history.entries), JSON.stringify(await h.engine.interrupted()).replace(/"values":\{[^}]*\}/g, ''));
          if (sc.expect.state === 'pending') {
            // The secret is in the journal and in the file; resume (the fault gone) sends it.
            world.sim.control.clearFaults();
            const [j] = await h.engine.interrupted();
            const rr = await h.engine.resume(j!.id);
            assert.equal(rr.ok, true, JSON.stringify(rr));
            texts.push(...h.logger.lines, JSON.stringify(rr));
          }
          assert.equal(t.held(), sc.expect.rotated ? live : held0, 'the destination holds the live value (or is untouched)');
          addFigure('destination faults × destinations exercised');
          harvest();
        } finally {
          await fs.rm(folder, { recursive: true, force: true });
        }
      });
    }
  }

  it('the CLI with a GitHub target and --verbose prints neither the GitHub token nor a secret', async () => {
    const folder = await tempFolder('cf-rotate-cli-gh-leak-');
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-cli-gh-state-'));
    try {
      const tok = world.sim.control.addAccountToken(world.accountId, { name: 'gh' });
      world.sim.control.seed({ githubRepos: [{ name: 'leak/cli' }], workers: [{ accountId: world.accountId, name: 'leak-cli' }] });
      const gh = world.sim.control.seed({ githubTokens: [{}] }).githubTokens[0]!.value;
      await write(folder, '.vscode/cf-rotate.json', JSON.stringify({ tokens: [{ name: 'gh', kind: 'account-api-token', accountId: world.accountId, tokenId: tok.id, targets: [{ github: 'leak/cli', key: 'CF' }, { worker: 'leak-cli', key: 'CF' }] }] }));
      let out = '';
      const env = { CLOUDFLARE_API_TOKEN: (world.admin as { token: string }).token, CLOUDFLARE_API_BASE_URL: world.sim.url, CF_ROTATE_STATE_DIR: stateDir, CF_ROTATE_TIMEOUT: '2', GH_TOKEN: gh, GITHUB_API_URL: world.sim.githubUrl };
      const io = { stdout: (s: string) => (out += s), stderr: (s: string) => (out += s), env, cwd: folder };
      assert.equal(await main(['rotate', 'gh', '--verbose'], io), 0, out);
      assert.match(out, /github:leak\/cli › CF/);
      assert.match(out, /new version of the Worker/);
      const live = world.sim.control.state().accountTokens.find((x) => x.id === tok.id)!.value;
      assert.equal(world.sim.control.state().githubRepos.find((r) => r.name === 'leak/cli')!.secrets[0]!.value, live);
      // Without a GitHub token: refused before anything is rotated, saying which variable to set.
      let out2 = '';
      const code = await main(['rotate', 'gh'], { ...io, stdout: (s: string) => (out2 += s), stderr: (s: string) => (out2 += s), env: { ...env, GH_TOKEN: '' } });
      assert.equal(code, 1);
      assert.match(out2, /GH_TOKEN/);
      assert.match(out2, /Nothing was rotated/);
      texts.push(out, out2);
      harvest();
    } finally {
      await fs.rm(folder, { recursive: true, force: true });
      await fs.rm(stateDir, { recursive: true, force: true });
    }
  });

  it('the CLI with --verbose logging prints no secret on success or failure', async () => {
    const folder = await tempFolder('cf-rotate-cli-leak-');
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-cli-leak-state-'));
    try {
      const list: unknown[] = [];
      let env = '';
      for (const [i, kind] of KINDS.entries()) {
        const { entry, value } = kind.make(world, false);
        list.push({ name: `k${i}`, ...entry, targets: [{ file: '.env', key: `K${i}` }] });
        env += `K${i}=${value}\n`;
      }
      await write(folder, '.vscode/cf-rotate.json', JSON.stringify({ tokens: list }));
      await write(folder, '.env', env);
      world.sim.control.addFault({ op: 'rollUserToken', type: 'status', status: 502 });
      world.sim.control.addFault({ op: 'createMoqToken', type: 'drop-after-commit' });
      let out = '';
      const io = { stdout: (s: string) => (out += s), stderr: (s: string) => (out += s), env: { ...world.adminEnv, CLOUDFLARE_API_BASE_URL: world.sim.url, CF_ROTATE_STATE_DIR: stateDir, CF_ROTATE_TIMEOUT: '1' }, cwd: folder };
      const code = await main(['rotate', '--all', '--verbose'], io);
      assert.equal(code, 1);
      assert.match(out, /✓ k0/);
      assert.match(out, /[✗•] k1/);
      assert.match(out, /[✗•] k4/);
      await main(['history', '--json'], io);
      await main(['list', '--json'], io);
      texts.push(out);
      harvest();
    } finally {
      await fs.rm(folder, { recursive: true, force: true });
      await fs.rm(stateDir, { recursive: true, force: true });
    }
  });
});
