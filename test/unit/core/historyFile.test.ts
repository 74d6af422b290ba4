/**
 * The history file of the state directory (core/node/historyFile.ts): list and listSync (the
 * editor's first load) give the same entries, newest first, torn lines skipped, a missing file empty.
 */
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileHistory } from '../../../src/core/node/historyFile';

describe('FileHistory: list and listSync', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-rotate-history-'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('the same entries either way: newest first, a torn or foreign line skipped, the limit kept; a missing file is empty', async () => {
    const history = new FileHistory(path.join(dir, 'history.jsonl'));
    assert.deepEqual(history.listSync(), []);
    assert.deepEqual(await history.list(), []);
    const entry = (name: string, at: string) => ({ at, folder: dir, name, kind: 'account-api-token' as const, outcome: 'rotated' as const, targets: ['.env › K'] });
    await history.append(entry('b', '2026-01-02T00:00:00.000Z'));
    await history.append(entry('c', '2026-01-03T00:00:00.000Z'));
    await history.append(entry('a', '2026-01-01T00:00:00.000Z'));
    await fs.appendFile(path.join(dir, 'history.jsonl'), '{"at":"2026-01-04T00:00:00.000Z","na\n{"no":"name"}\n');
    assert.deepEqual(history.listSync().map((e) => e.name), ['c', 'b', 'a']);
    assert.deepEqual(history.listSync(), await history.list());
    assert.deepEqual(history.listSync(2).map((e) => e.name), ['c', 'b']);
    assert.deepEqual(await history.list(2), history.listSync(2));
  });

  it('a history that cannot be read throws either way (not read as empty)', async () => {
    await fs.mkdir(path.join(dir, 'history.jsonl'));
    const history = new FileHistory(path.join(dir, 'history.jsonl'));
    assert.throws(() => history.listSync(), { code: 'EISDIR' });
    await assert.rejects(history.list(), { code: 'EISDIR' });
  });
});
