import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { VERSION } from '../../../src/core/version';
import { repoRoot } from '../../harness/util';

describe('version', () => {
  it('src/core/version.ts matches package.json (CLI --version, User-Agent headers)', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as { version: string };
    assert.equal(VERSION, pkg.version);
  });
});
