/**
 * Known secrets put through every error and log path on purpose, asserted to come out masked on
 * every channel: the thrown error (message, hint, userMessage, toJSON, String, stack), the
 * redacting logger's lines, rotation results and warnings, and the CLI's stdout and stderr.
 *
 * Each scenario also checks that the path really carried the secret (the channel shows
 * `[redacted]` where the secret would be), so a path that silently drops the text cannot pass.
 * Everything that crosses HTTP goes to the simulator; its `echo-headers` fault answers with error
 * bodies that quote the request's credential headers, and a proxy-like transport (below) wraps
 * the real fetch transport to put the Authorization header into network error messages.
 */
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../../src/cli/main';
import { CloudflareClient } from '../../../src/core/cloudflare/client';
import { FetchTransport, type HttpRequest, type HttpResponse, type HttpTransport } from '../../../src/core/cloudflare/transport';
import type { AdminCredential } from '../../../src/core/cloudflare/types';
import { ConfigError, parseConfig } from '../../../src/core/config/load';
import { patchDotenv } from '../../../src/core/dotenv/patch';
import { CfRotateError, isCfRotateError, toCfRotateError } from '../../../src/core/errors';
import { MemoryLogger, redactingLogger } from '../../../src/core/log';
import { registerSecret } from '../../../src/core/redact';
import { ALL_PERMISSIONS } from '../../simulator/types';
import { addFigure } from '../helpers/figures';
import { makeEngine, startWorld, tempFolder, tokens, write, type World } from '../helpers/world';

const MASK = '[redacted]';

/** Every text channel of an error. */
function errorChannels(e: CfRotateError): Record<string, string> {
  return {
    message: e.message,
    hint: e.hint ?? '',
    userMessage: e.userMessage,
    json: JSON.stringify(e),
    string: String(e),
    stack: e.stack ?? '',
  };
}

/** None of the secrets appears on any channel. */
function assertNoLeak(channels: Record<string, string>, secrets: readonly string[]): void {
  for (const [channel, text] of Object.entries(channels)) {
    for (const s of secrets) {
      assert.ok(!text.includes(s), `${channel} leaks a secret (${s.slice(0, 4)}…, ${s.length} characters): ${text.split(s).join('<SECRET>')}`);
    }
  }
  addFigure('secret leaks: error and log paths checked', Object.keys(channels).length);
}

/** The channel carried the secret and shows the mask where it was. */
function assertMasked(text: string, expected: string | RegExp, channel: string): void {
  if (typeof expected === 'string') assert.ok(text.includes(expected), `${channel} should contain ${JSON.stringify(expected)}: ${text}`);
  else assert.match(text, expected, channel);
}

async function rejection(p: Promise<unknown>): Promise<CfRotateError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isCfRotateError(e), `expected a CfRotateError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the call to fail');
}

/**
 * A transport like an HTTP agent or proxy library that puts the request's headers into its error
 * messages. It forwards every request to the real fetch transport (to the simulator).
 */
class HeaderQuotingTransport implements HttpTransport {
  private readonly inner = new FetchTransport();
  async send(req: HttpRequest): Promise<HttpResponse> {
    try {
      return await this.inner.send(req);
    } catch (e) {
      const quoted = Object.entries(req.headers)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ');
      const err = new Error(`request ${req.method} ${req.url} failed (${quoted}): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      (err as { code?: string }).code = 'UND_ERR_SOCKET';
      throw err;
    }
  }
}

describe('secret leaks: every error and log path masks known secrets', function () {
  this.timeout(30_000);
  let world: World;
  let adminToken: string;
  let globalKey: AdminCredential & { type: 'global-key' };

  before(async () => {
    world = await startWorld();
    adminToken = (world.admin as { token: string }).token;
    const user = world.sim.control.state().user;
    globalKey = { type: 'global-key', email: user.email, key: user.globalApiKey };
  });
  after(() => world.close());
  beforeEach(() => world.sim.control.clearFaults());

  /** An admin token nothing in this process has seen yet: the path under test must register it itself. */
  function freshAdminToken(): string {
    return world.sim.control.addUserToken({ name: 'leak admin', permissions: [...ALL_PERMISSIONS] }).value;
  }

  function client(credential: AdminCredential, logger: MemoryLogger, transport?: HttpTransport): CloudflareClient {
    return new CloudflareClient({ baseUrl: world.sim.url, credential, logger, maxRetries: 0, timeoutMs: 5_000, ...(transport ? { transport } : {}) });
  }

  describe('Cloudflare error bodies that echo request headers', () => {
    it('Authorization: Bearer <admin token> in a 400 body: error and log lines masked', async () => {
      world.sim.control.addFault({ op: 'listAccounts', type: 'echo-headers' });
      const logger = new MemoryLogger();
      const e = await rejection(client(world.admin, logger).listAccounts());
      assert.equal(e.kind, 'auth');
      assertMasked(e.message, `Authorization: Bearer ${MASK}`, 'message');
      assertNoLeak({ ...errorChannels(e), log: logger.lines.join('\n') }, [adminToken]);
    });

    it('X-Auth-Key: <Global API key> in a 502 body: error and log lines masked', async () => {
      world.sim.control.addFault({ op: 'listAccounts', type: 'echo-headers', status: 502 });
      const logger = new MemoryLogger();
      const e = await rejection(client(globalKey, logger).listAccounts());
      assert.equal(e.kind, 'server');
      assertMasked(e.message, `X-Auth-Key: ${MASK}`, 'message');
      assertNoLeak({ ...errorChannels(e), log: logger.lines.join('\n') }, [globalKey.key]);
    });

    it('Authorization: Bearer <a token value being verified> in a 401 body', async () => {
      const t = world.sim.control.addUserToken({ name: 'leak-verify', permissions: [] });
      world.sim.control.addFault({ op: 'verifyUserToken', type: 'echo-headers', status: 401 });
      const logger = new MemoryLogger();
      const e = await rejection(client(world.admin, logger).verifyToken(t.value));
      assertMasked(e.message, `Bearer ${MASK}`, 'message');
      assertNoLeak({ ...errorChannels(e), log: logger.lines.join('\n') }, [t.value, adminToken]);
    });

    it('through a rotation: the echoed admin token is masked in the result, history, log lines and CLI output', async () => {
      const folder = await tempFolder('cf-rotate-leak-echo-');
      const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-leak-state-'));
      try {
        const t = world.sim.control.addAccountToken(world.accountId, { name: 'leak-echo' });
        const entry = { name: 'echo', kind: 'account-api-token', accountId: world.accountId, tokenId: t.id, targets: [{ file: '.env', key: 'TOKEN' }] };
        await write(folder, '.env', `TOKEN=${t.value}\n`);
        await write(folder, '.vscode/cf-rotate.json', JSON.stringify({ tokens: [entry] }));

        world.sim.control.addFault({ op: 'rollAccountToken', type: 'echo-headers', status: 403 });
        const h = makeEngine(world);
        const r = await h.engine.rotate(folder, tokens([entry])[0]!);
        assert.equal(r.ok, false);
        assertMasked(r.error?.message ?? '', `Bearer ${MASK}`, 'result error');

        world.sim.control.addFault({ op: 'rollAccountToken', type: 'echo-headers', status: 500 });
        let stdout = '';
        let stderr = '';
        // A 500 on a roll may have been applied: the CLI settles it once the request can no longer take effect (1 s + 2 s here).
        const io = { stdout: (s: string) => (stdout += s), stderr: (s: string) => (stderr += s), env: { CLOUDFLARE_API_TOKEN: adminToken, CLOUDFLARE_API_BASE_URL: world.sim.url, CF_ROTATE_STATE_DIR: stateDir, CF_ROTATE_TIMEOUT: '1' }, cwd: folder };
        assert.equal(await main(['rotate', 'echo', '--verbose', '--json'], io), 1);
        assertMasked(stderr, `Bearer ${MASK}`, 'CLI stderr');
        assertMasked(stdout, `Bearer ${MASK}`, 'CLI --json stdout');
        await main(['history', '--json'], io);

        assertNoLeak(
          { result: JSON.stringify(r), history: JSON.stringify(h.history.entries), log: h.logger.lines.join('\n'), stdout, stderr },
          [adminToken, t.value],
        );
      } finally {
        await fs.rm(folder, { recursive: true, force: true });
        await fs.rm(stateDir, { recursive: true, force: true });
      }
    });

    it('after a roll: verifying the new secret echoes it; the warning and the CLI output mask it', async () => {
      const folder = await tempFolder('cf-rotate-leak-verify-');
      const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-leak-state-'));
      try {
        const t = world.sim.control.addAccountToken(world.accountId, { name: 'leak-new' });
        const entry = { name: 'fresh', kind: 'account-api-token', accountId: world.accountId, tokenId: t.id, targets: [{ file: '.env', key: 'TOKEN' }] };
        await write(folder, '.env', `TOKEN=${t.value}\n`);
        await write(folder, '.vscode/cf-rotate.json', JSON.stringify({ tokens: [entry] }));
        world.sim.control.addFault({ op: 'verifyAccountToken', type: 'echo-headers', status: 401, times: -1 });
        let stdout = '';
        let stderr = '';
        const io = { stdout: (s: string) => (stdout += s), stderr: (s: string) => (stderr += s), env: { CLOUDFLARE_API_TOKEN: adminToken, CLOUDFLARE_API_BASE_URL: world.sim.url, CF_ROTATE_STATE_DIR: stateDir }, cwd: folder };
        await main(['rotate', 'fresh', '--verbose'], io);
        const fresh = world.sim.control.state().accountTokens.find((x) => x.id === t.id)!.value;
        assert.notEqual(fresh, t.value, 'rotated');
        assertMasked(stderr, `Bearer ${MASK}`, 'CLI stderr (warning)');
        assertNoLeak({ stdout, stderr }, [fresh, t.value, adminToken]);
      } finally {
        await fs.rm(folder, { recursive: true, force: true });
        await fs.rm(stateDir, { recursive: true, force: true });
      }
    });
  });

  describe('network errors whose message contains the secret', () => {
    it('a dropped connection reported with the Authorization header: error and log lines masked', async () => {
      const t = world.sim.control.addAccountToken(world.accountId, { name: 'leak-drop' });
      world.sim.control.addFault({ op: 'rollAccountToken', type: 'drop-after-commit' });
      const logger = new MemoryLogger();
      const e = await rejection(client(world.admin, logger, new HeaderQuotingTransport()).rollAccountToken(world.accountId, t.id));
      assert.equal(e.kind, 'ambiguous');
      assert.match(String((e.cause as Error).message), /authorization: Bearer /, 'the transport error did carry the header');
      assertNoLeak({ ...errorChannels(e), log: logger.lines.join('\n') }, [adminToken]);
    });

    it('a foreign network error with the secret, normalised by toCfRotateError', async () => {
      world.sim.control.addFault({ op: 'listAccounts', type: 'hang' });
      const ac = new AbortController();
      const pending = new HeaderQuotingTransport().send({ method: 'GET', url: `${world.sim.url}/accounts`, headers: { authorization: `Bearer ${adminToken}` }, signal: ac.signal });
      setTimeout(() => ac.abort(new Error('gave up')), 50);
      let foreign: unknown;
      await pending.catch((x: unknown) => (foreign = x));
      assert.ok(foreign instanceof Error && foreign.message.includes(adminToken), 'the raw error carries the secret');
      const e = toCfRotateError(foreign, 'network');
      assert.equal(e.kind, 'network');
      assertMasked(e.message, `Bearer ${MASK}`, 'message');
      assertNoLeak(errorChannels(e), [adminToken]);
    });
  });

  describe('file errors whose path or message contains a secret', () => {
    it('a target folder named like a token: the file error (message and hint) and the CLI output mask it', async () => {
      const folder = await tempFolder('cf-rotate-leak-file-');
      const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-leak-state-'));
      try {
        const t = world.sim.control.addAccountToken(world.accountId, { name: 'leak-file' });
        const tokenDir = `cfut_${'PathSecret0123456789'.repeat(2)}`;
        const entry = (file: string) => ({ name: 'file', kind: 'account-api-token', accountId: world.accountId, tokenId: t.id, targets: [{ file, key: 'TOKEN' }] });
        for (const dir of [tokenDir, adminToken]) {
          const rel = `keys/${dir}/.env`;
          await write(folder, '.vscode/cf-rotate.json', JSON.stringify({ tokens: [entry(rel)] }));
          const h = makeEngine(world);
          const r = await h.engine.rotate(folder, tokens([entry(rel)])[0]!);
          assert.equal(r.ok, false);
          assert.equal(r.error?.kind, 'file');
          assertMasked(`${r.error?.message} ${r.error?.hint}`, `keys/${MASK}`, 'result error');
          let out = '';
          const io = { stdout: (s: string) => (out += s), stderr: (s: string) => (out += s), env: { CLOUDFLARE_API_TOKEN: adminToken, CLOUDFLARE_API_BASE_URL: world.sim.url, CF_ROTATE_STATE_DIR: stateDir }, cwd: folder };
          assert.equal(await main(['rotate', '--all', '--verbose'], io), 1);
          assertMasked(out, `keys/${MASK}`, 'CLI output');
          // (The result's and history's target lists repeat the configured path as given; only errors and logs are checked here.)
          assertNoLeak({ error: JSON.stringify(r.error), warnings: r.warnings.join('\n'), log: h.logger.lines.join('\n'), cli: out }, [dir]);
        }
      } finally {
        await fs.rm(folder, { recursive: true, force: true });
        await fs.rm(stateDir, { recursive: true, force: true });
      }
    });

    it('a .env patch error never carries the values, old or new', () => {
      const old = `cfut_${'OldValueInFile0'.repeat(3)}`;
      const fresh = `cfut_${'NewValueToWrite'.repeat(3)}`;
      let caught: unknown;
      try {
        patchDotenv(`A=1\nTOKEN=${old}\nX:`, { TOKEN: fresh, NEWKEY: fresh });
      } catch (e) {
        caught = e;
      }
      assert.ok(isCfRotateError(caught));
      assert.match(caught.message, /Refusing to patch/);
      assertNoLeak(errorChannels(caught), [old, fresh]);
    });
  });

  describe('config errors quoting a value', () => {
    const known = `known-config-secret-${'x'.repeat(20)}`;
    const pasted = `cfut_${'PastedIntoConfig0'.repeat(3)}`;

    it('ConfigError masks a quoted value in its issues summary, and a secret in the file path', () => {
      registerSecret(known);
      // Today's schema messages name paths, not values; a message that quotes the input must still come out masked.
      const quoting = new ConfigError('.vscode/cf-rotate.json', [
        { path: 'tokens[0].tokenId', message: `"${pasted}" is not a token id` },
        { path: 'tokens[1].name', message: `"${known}" is used twice` },
      ]);
      assertMasked(quoting.message, `tokens[0].tokenId: "${MASK}" is not a token id; tokens[1].name: "${MASK}" is used twice`, 'message');
      assertNoLeak(errorChannels(quoting), [pasted, known]);

      let caught: unknown;
      try {
        parseConfig('{"tokens": [', `/work/${known}/${pasted}/.vscode/cf-rotate.json`);
      } catch (e) {
        caught = e;
      }
      assert.ok(caught instanceof ConfigError, String(caught));
      assertMasked(caught.message, `/work/${MASK}/${MASK}/.vscode/cf-rotate.json has a syntax error at line 1, column 13: a closing bracket (]) is missing`, 'message');
      assertMasked(caught.hint ?? '', `Fix /work/${MASK}/${MASK}/.vscode/cf-rotate.json`, 'hint');
      assertNoLeak(errorChannels(caught), [pasted, known]);
    });

    it('the CLI masks its own credential in config errors and unreadable config paths (before any API call)', async () => {
      const fresh = freshAdminToken();
      const folder = await tempFolder('cf-rotate-leak-config-');
      try {
        await write(folder, `${fresh}/.vscode/cf-rotate.json`, '{"tokens": [{"name": "x"}]}');
        for (const [config, expected] of [
          [`${fresh}/.vscode/cf-rotate.json`, `${MASK}/.vscode/cf-rotate.json is invalid`],
          [`missing-${fresh}.json`, `${folder}/missing-${MASK}.json does not exist.`],
        ] as const) {
          let stdout = '';
          let stderr = '';
          const io = { stdout: (s: string) => (stdout += s), stderr: (s: string) => (stderr += s), env: { CLOUDFLARE_API_TOKEN: fresh }, cwd: folder };
          assert.equal(await main(['validate', '--config', config], io), 2);
          assertMasked(stderr, expected, 'CLI stderr');
          assertNoLeak({ stdout, stderr }, [fresh]);
        }
      } finally {
        await fs.rm(folder, { recursive: true, force: true });
      }
    });
  });

  describe('CfRotateError and toCfRotateError', () => {
    const registered = 'registered-plain-secret-0042';
    const shaped = `cfat_${'ShapedLikeAToken'.repeat(2)}`;

    it('message and hint of every kind are masked on every channel', () => {
      registerSecret(registered);
      for (const kind of ['auth', 'network', 'file', 'config', 'internal'] as const) {
        const e = new CfRotateError(kind, `failed with ${registered} and ${shaped}`, { hint: `retry without ${registered} / token=${shaped}`, status: 400, codes: [1] });
        assert.equal(e.message, `failed with ${MASK} and ${MASK}`);
        assert.equal(e.hint, `retry without ${MASK} / token=${MASK}`);
        assert.deepEqual(e.toJSON(), { kind, message: `failed with ${MASK} and ${MASK}`, hint: `retry without ${MASK} / token=${MASK}`, status: 400, codes: [1] });
        assertNoLeak(errorChannels(e), [registered, shaped]);
      }
    });

    it('foreign errors, strings and objects thrown by anything are masked when normalised', () => {
      registerSecret(registered);
      const foreign: unknown[] = [
        new Error(`EACCES: permission denied, open '/home/me/${registered}/.env'`),
        new TypeError(`Headers.append: "Bearer ${shaped}\n" is an invalid header value.`),
        `thrown string with ${registered}`,
        { toString: () => `an object with x-auth-key: ${'0123456789abcdef'.repeat(2)}` },
      ];
      for (const f of foreign) {
        const e = toCfRotateError(f, 'file');
        assert.equal(e.kind, 'file');
        assert.ok(e.message.includes(MASK), e.message);
        assertNoLeak(errorChannels(e), [registered, shaped, '0123456789abcdef'.repeat(2)]);
      }
    });
  });

  describe('the redacting logger', () => {
    it('masks registered secrets and credential-looking text at every level', () => {
      const registered = 'logger-registered-secret-77';
      const shaped = `eyJ${'a'.repeat(10)}.${'b'.repeat(10)}.${'c'.repeat(10)}`;
      registerSecret(registered);
      const sink = new MemoryLogger();
      const log = redactingLogger(sink);
      log.trace(`trace ${registered}`);
      log.debug(`debug Authorization: Bearer ${'d'.repeat(20)}`);
      log.info(`info ${shaped}`);
      log.warn(`warn "client_secret":"${'e'.repeat(20)}"`);
      log.error(`error ${registered} ${shaped}`);
      assert.deepEqual(sink.lines, [
        `trace trace ${MASK}`,
        `debug debug Authorization: Bearer ${MASK}`,
        `info info ${MASK}`,
        `warn warn "client_secret":"${MASK}"`,
        `error error ${MASK} ${MASK}`,
      ]);
      assertNoLeak({ log: sink.lines.join('\n') }, [registered, shaped, 'd'.repeat(20), 'e'.repeat(20)]);
    });
  });

  describe('the CLI: usage errors and unknown names', () => {
    it('a credential pasted where a command, option or token name goes is masked on stderr', async () => {
      const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-leak-state-'));
      const folder = await tempFolder('cf-rotate-leak-usage-');
      try {
        await write(folder, '.vscode/cf-rotate.json', JSON.stringify({ tokens: [] }));
        const fresh = freshAdminToken();
        const env = { CLOUDFLARE_API_TOKEN: fresh, CLOUDFLARE_API_BASE_URL: world.sim.url, CF_ROTATE_STATE_DIR: stateDir };
        const shaped = `cfut_${'PastedOnTheCommandLine'.repeat(2)}`;
        for (const argv of [[fresh], [shaped], ['rotate', fresh], ['rotate', shaped], [`--${shaped}`], ['list', `--token=${fresh}`], ['history', '--limit', fresh]]) {
          let stdout = '';
          let stderr = '';
          const code = await main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), env, cwd: folder });
          assert.equal(code, 2, `${argv.join(' ')}: ${stderr}`);
          assert.ok(stderr.length > 0);
          assertNoLeak({ stdout, stderr }, [fresh, shaped]);
        }
      } finally {
        await fs.rm(folder, { recursive: true, force: true });
        await fs.rm(stateDir, { recursive: true, force: true });
      }
    });
  });
});
