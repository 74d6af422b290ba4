/**
 * A cf-rotate.json being typed (auto-save): the registry keeps the last valid tokens beside the
 * problem, logs a change of state once (not every save), and refuses to rotate a token of the
 * invalid file with the reason.
 */
import { fake, Uri } from './fakeVscode';
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ParseErrorCode, printParseErrorCode } from 'jsonc-parser';
import { parseConfig } from '../../../src/core/config/load';
import { describeSyntaxErrors, syntaxErrorWords } from '../../../src/core/config/syntax';
import type { Logger } from '../../../src/core/ports';
import { ConfigRegistry } from '../../../src/host/configs';
import { buildTree } from '../../../src/views/model';

const A = '0123456789abcdef0123456789abcdef';
const VALID = JSON.stringify({ tokens: [{ name: 'deploy', kind: 'account-api-token', accountId: A, tokenId: A, targets: [{ file: '.env', key: 'K' }] }] }, null, 2);
/** The file being typed (auto-save): a new entry whose first key is not a string yet. */
const HALF_TYPED = '{\n  "tokens": [\n    {\n      1\n';

function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (m: string): void => void lines.push(`${level} ${m}`);
  return { logger: { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

describe('cf-rotate.json syntax errors in plain words', () => {
  it('every jsonc-parser error code has words, none is the code name', () => {
    for (let n = 1; printParseErrorCode(n as ParseErrorCode) !== '<unknown ParseErrorCode>'; n++) {
      const words = syntaxErrorWords(n as ParseErrorCode);
      assert.ok(words !== 'the JSON is malformed' && !/[A-Z][a-z]+[A-Z]/.test(words), `${printParseErrorCode(n as ParseErrorCode)}: ${words}`);
    }
  });

  it('names the first error with its line and column, and how many follow it', () => {
    assert.equal(describeSyntaxErrors('{\n  "tokens": [\n    {\n      "a",\n', [{ error: ParseErrorCode.ColonExpected, offset: 29, length: 1 }]), 'has a syntax error at line 4, column 8: a colon (:) is missing');
    assert.throws(() => parseConfig('{\n  "tokens": [\n   { 5: 1 }]}'), /\.vscode\/cf-rotate\.json has a syntax error at line 3, column 6: a property name is missing/);
    assert.throws(() => parseConfig(HALF_TYPED), /cf-rotate\.json has a syntax error at line 4, column 7: a property name is missing \(\d more after it, which may follow from this one\)/);
  });
});

describe('ConfigRegistry while cf-rotate.json is being edited', () => {
  let dir: string;
  let file: string;
  let registry: ConfigRegistry;
  let log: ReturnType<typeof recordingLogger>;

  beforeEach(() => {
    fake.reset();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-rotate-configs-'));
    file = path.join(dir, '.vscode', 'cf-rotate.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fake.folders = [{ uri: Uri.file(dir), name: 'app', index: 0 }];
    log = recordingLogger();
    registry = new ConfigRegistry(log.logger);
  });

  afterEach(() => {
    registry.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const save = async (text: string): Promise<void> => {
    fs.writeFileSync(file, text);
    await registry.reload(dir);
  };

  it('keeps the last valid tokens under the problem, logs the change of state once, and refuses to rotate with the reason', async () => {
    await save(VALID);
    assert.equal(registry.tokens().length, 1);
    for (const text of [HALF_TYPED, HALF_TYPED.replace('1', '"n'), HALF_TYPED.replace('1', '"na'), HALF_TYPED]) await save(text);
    const state = registry.state(dir);
    assert.ok(state?.status === 'error');
    assert.deepEqual(state.lastValid?.map((t) => t.name), ['deploy']);
    assert.match(state.issues[0]?.message ?? '', /^has a syntax error at line 4, column \d+: /);
    assert.deepEqual(registry.tokens(), [], 'nothing from an invalid file is rotatable');
    assert.equal(log.lines.filter((l) => l.startsWith('warn')).length, 1, `one warning for four saves:\n${log.lines.join('\n')}`);
    assert.match(log.lines.find((l) => l.startsWith('warn')) ?? '', /keeps the 1 token\(s\) of the last valid version; none can be rotated until the file is fixed/);

    assert.throws(
      () => registry.find('deploy'),
      (e: Error & { kind?: string; hint?: string }) =>
        e.kind === 'config' &&
        /^"deploy" cannot be rotated now: .*cf-rotate\.json is invalid \(it has a syntax error at line 4, column \d+: .*\)\. Nothing was rotated\.$/.test(e.message) &&
        /Open Configuration/.test(e.hint ?? ''),
    );
    assert.throws(() => registry.find('other'), /No token named "other" is configured/);

    await save(VALID);
    assert.equal(registry.state(dir)?.status, 'ok');
    assert.deepEqual(log.lines.filter((l) => l.startsWith('info')), ['info app: .vscode/cf-rotate.json is valid again (1 token).']);
    await save(VALID);
    assert.equal(log.lines.length, 2, 'a valid save of a valid file logs nothing');
  });

  it("reads the file through the checked reader: a link out of the folder, a FIFO or a file over 1 MiB is refused, a missing .vscode is 'missing'", async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-rotate-outside-'));
    try {
      fs.writeFileSync(path.join(outside, 'cf-rotate.json'), VALID);
      fs.symlinkSync(path.join(outside, 'cf-rotate.json'), file);
      await registry.reload(dir);
      assert.equal(registry.state(dir)?.status, 'error', 'a cf-rotate.json that links out of the folder is not read');
      assert.deepEqual(registry.tokens(), []);
      fs.rmSync(file);
      fs.rmSync(path.join(dir, '.vscode'), { recursive: true });
      fs.symlinkSync(outside, path.join(dir, '.vscode'));
      await registry.reload(dir);
      assert.equal(registry.state(dir)?.status, 'error', 'a .vscode folder that links out of the folder is not followed');
      assert.deepEqual(registry.tokens(), []);
      fs.rmSync(path.join(dir, '.vscode'));
      fs.mkdirSync(path.join(dir, '.vscode'));
      fs.writeFileSync(file, `${VALID}${' '.repeat(1024 * 1024)}`);
      await registry.reload(dir);
      assert.equal(registry.state(dir)?.status, 'error', 'a file over 1 MiB is not read whole');
      fs.rmSync(file);
      if (process.platform !== 'win32') {
        require('node:child_process').execFileSync('mkfifo', [file]); // eslint-disable-line @typescript-eslint/no-require-imports
        await registry.reload(dir); // returns: a FIFO is refused, not waited on
        assert.equal(registry.state(dir)?.status, 'error');
        fs.rmSync(file);
      }
      fs.rmSync(path.join(dir, '.vscode'), { recursive: true });
      await registry.reload(dir);
      assert.equal(registry.state(dir)?.status, 'missing');
      fs.mkdirSync(path.join(dir, '.vscode'));
      fs.writeFileSync(file, VALID);
      await registry.reload(dir);
      assert.equal(registry.state(dir)?.status, 'ok');
      assert.equal(registry.tokens().length, 1);
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('a target that is no regular file (FIFO, socket, directory, device, a link inside to a FIFO) is a problem of the file by JSON path: the tree shows it, nothing is rotatable; a regular or missing file is fine', async function () {
    if (process.platform === 'win32') this.skip();
    const { execFileSync } = require('node:child_process') as typeof import('node:child_process'); // eslint-disable-line @typescript-eslint/no-require-imports
    execFileSync('mkfifo', [path.join(dir, 'pipe.env')]);
    fs.symlinkSync('pipe.env', path.join(dir, 'via-link.env'));
    fs.mkdirSync(path.join(dir, 'dir.env'));
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(path.join(dir, 'sock.env'), resolve));
    let device = true;
    try {
      execFileSync('mknod', [path.join(dir, 'dev.env'), 'c', '1', '3'], { stdio: 'ignore' });
    } catch {
      device = false; // not allowed here (no CAP_MKNOD): the other types still run
    }
    fs.writeFileSync(path.join(dir, '.env'), 'K=1\n');
    const entry = (name: string, id: string, files: string[]): Record<string, unknown> => ({ name, kind: 'account-api-token', accountId: A, tokenId: id, targets: files.map((f) => ({ file: f, key: name.toUpperCase() })) });
    const B = 'b'.repeat(32);
    const C = 'c'.repeat(32);
    try {
      await save(VALID); // a valid version first: its tokens stay visible under the problems
      await save(JSON.stringify({ tokens: [entry('deploy', A, ['.env', 'pipe.env', 'missing.env']), entry('other', B, ['sock.env', 'dir.env', ...(device ? ['dev.env'] : [])]), entry('third', C, ['via-link.env', 'pipe.env'])] }));
      const state = registry.state(dir);
      assert.ok(state?.status === 'error', JSON.stringify(state));
      const regular = 'not a regular file: cf-rotate writes a secret only into a regular file';
      assert.deepEqual(state.issues, [
        { path: 'tokens[0].targets[1].file', message: `is a FIFO (named pipe), ${regular}` },
        { path: 'tokens[1].targets[0].file', message: `is a socket, ${regular}` },
        { path: 'tokens[1].targets[1].file', message: `is a directory, ${regular}` },
        ...(device ? [{ path: 'tokens[1].targets[2].file', message: `is a device, ${regular}` }] : []),
        { path: 'tokens[2].targets[0].file', message: `is a FIFO (named pipe), ${regular}` },
        { path: 'tokens[2].targets[1].file', message: `is a FIFO (named pipe), ${regular}` },
      ]);
      assert.match(state.message, /^\.vscode\/cf-rotate\.json is invalid: tokens\[0\]\.targets\[1\]\.file: is a FIFO \(named pipe\), not a regular file/);
      assert.deepEqual(registry.tokens(), [], 'nothing of the file is rotatable');
      assert.deepEqual(state.lastValid?.map((t) => t.name), ['deploy'], 'the last valid version stays visible');
      assert.throws(() => registry.find('deploy'), /"deploy" cannot be rotated now: .*cf-rotate\.json is invalid \(tokens\[0\]\.targets\[1\]\.file is a FIFO \(named pipe\)/);
      // The tree: one problem node per target, named by its JSON path, opening the config there.
      const roots = buildTree({ folders: registry.all(), workspaceFolderCount: 1, history: [], now: Date.now(), reminderDays: 7, rotating: new Set(), interrupted: new Set() });
      const problems = roots.filter((n) => n.type === 'message' && n.contextValue === 'message.configError');
      assert.deepEqual(problems.map((n) => [n.label, n.description]), state.issues.map((i) => [i.path, i.message]));
      assert.deepEqual(problems[0]?.command?.arguments, [{ folder: dir, path: 'tokens[0].targets[1].file' }]);
      // Replaced by regular files (and a Refresh): valid again.
      for (const f of ['pipe.env', 'sock.env', 'dev.env']) fs.rmSync(path.join(dir, f), { force: true });
      fs.rmSync(path.join(dir, 'dir.env'), { recursive: true });
      for (const f of ['pipe.env', 'sock.env', 'dir.env', 'dev.env']) fs.writeFileSync(path.join(dir, f), 'K=1\n');
      await registry.reload(dir);
      assert.equal(registry.state(dir)?.status, 'ok');
      assert.deepEqual(registry.tokens().map((t) => t.token.name), ['deploy', 'other', 'third']);
    } finally {
      server.close();
    }
  });

  it('the first read (ready, as the editor starts) is synchronous and finds what an asynchronous reload finds, layout by layout', async function () {
    if (process.platform === 'win32') this.skip();
    const { execFileSync } = require('node:child_process') as typeof import('node:child_process'); // eslint-disable-line @typescript-eslint/no-require-imports
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-rotate-outside-'));
    const vscodeDir = path.join(dir, '.vscode');
    const fresh = (): void => {
      fs.rmSync(vscodeDir, { recursive: true, force: true });
      for (const f of ['pipe.env', '.env']) fs.rmSync(path.join(dir, f), { force: true });
      fs.mkdirSync(vscodeDir);
    };
    const layouts: [string, () => void, string][] = [
      ['valid', () => fs.writeFileSync(file, VALID), 'ok'],
      ['a target that is a FIFO', () => (fs.writeFileSync(file, VALID.replace('".env"', '"pipe.env"')), execFileSync('mkfifo', [path.join(dir, 'pipe.env')])), 'error'],
      ['a link out of the folder', () => (fs.writeFileSync(path.join(outside, 'cf-rotate.json'), VALID), fs.symlinkSync(path.join(outside, 'cf-rotate.json'), file)), 'error'],
      ['.vscode linked out of the folder', () => (fs.rmSync(vscodeDir, { recursive: true }), fs.symlinkSync(outside, vscodeDir)), 'error'],
      ['a FIFO', () => execFileSync('mkfifo', [file]), 'error'],
      ['over 1 MiB', () => fs.writeFileSync(file, `${VALID}${' '.repeat(1024 * 1024)}`), 'error'],
      ['invalid JSON', () => fs.writeFileSync(file, HALF_TYPED), 'error'],
      ['no cf-rotate.json', () => undefined, 'missing'],
      ['no .vscode', () => fs.rmSync(vscodeDir, { recursive: true }), 'missing'],
    ];
    try {
      for (const [name, make, status] of layouts) {
        fresh();
        make();
        const first = new ConfigRegistry(recordingLogger().logger);
        const later = new ConfigRegistry(recordingLogger().logger);
        try {
          let turned = false;
          setImmediate(() => (turned = true));
          await first.ready();
          assert.equal(turned, false, `${name}: read without a turn of the event loop`);
          await later.reload(dir);
          assert.equal(first.state(dir)?.status, status, name);
          assert.deepEqual(first.state(dir), later.state(dir), name);
        } finally {
          first.dispose();
          later.dispose();
        }
      }
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('a file read again unchanged is not parsed again (the same frozen tokens), but its targets are checked again on every read', async () => {
    await save(VALID);
    const first = registry.tokens()[0]?.token;
    assert.ok(first && Object.isFrozen(first));
    await save(VALID);
    assert.equal(registry.tokens()[0]?.token, first, 'the same text: the same configuration');
    await save(`${VALID}\n`);
    const edited = registry.tokens()[0]?.token;
    assert.notEqual(edited, first, 'an edited text is parsed again');
    assert.deepEqual(edited, first);
    if (process.platform !== 'win32') {
      // Unchanged text, but a target became a FIFO: the read is refused all the same.
      require('node:child_process').execFileSync('mkfifo', [path.join(dir, '.env')]); // eslint-disable-line @typescript-eslint/no-require-imports
      await save(`${VALID}\n`);
      const state = registry.state(dir);
      assert.ok(state?.status === 'error', 'a FIFO target is a problem even when the text did not change');
      assert.deepEqual(registry.tokens(), []);
    }
  });

  it('forgets the last valid tokens when the file is deleted', async () => {
    await save(VALID);
    fs.rmSync(file);
    await registry.reload(dir);
    await save('{');
    const state = registry.state(dir);
    assert.ok(state?.status === 'error');
    assert.equal(state.lastValid, undefined);
  });
});
