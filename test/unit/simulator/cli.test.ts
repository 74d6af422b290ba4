import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { DEMO } from '../../simulator';

const CLI = path.join(__dirname, '..', '..', 'simulator', 'cli.js');

describe('simulator: CLI', () => {
  it('--help prints usage and exits 0', () => {
    const r = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /--rate-limit <n>\/<sec>/);
    const bad = spawnSync(process.execPath, [CLI, '--bogus'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown option --bogus/);
  });

  it('prints the base URL and the demo admin token, serves, stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [CLI, '--port', '0', '--scenario', 'demo', '--latency', '1', '--rate-limit', '100/60'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 5000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /API base URL : (http:\/\/\S+)/.exec(out);
          if (m !== null && out.includes('rate limit')) {
            clearTimeout(timer);
            resolve(m[1] as string);
          }
        });
        child.on('exit', (c) => reject(new Error(`exited ${c}: ${out}`)));
      });
      assert.match(url, /\/client\/v4$/);
      assert.ok(out.includes(DEMO.admin.value));
      assert.match(out, /rate limit: 100 per 60 s/);
      const res = await fetch(`${url}/user/tokens/verify`, { headers: { authorization: `Bearer ${DEMO.admin.value}` } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('ratelimit-policy'), '"default";q=100;w=60');
      const exit = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      child.kill('SIGTERM');
      assert.equal(await exit, 0);
      assert.match(out, /GET \/client\/v4\/user\/tokens\/verify -> 200 verifyUserToken/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
