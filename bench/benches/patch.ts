/**
 * .env patch: 100 keys of a generated 10,000-line .env, cf-rotate (read once, patchDotenv,
 * atomic write through NodeFiles) against @dotenvx/dotenvx `set` in plain mode (100 calls, as
 * its API has no batch form), each on its own identical copy, file I/O included on both sides.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { parse as parseDotenv } from 'dotenv';
import { patchDotenv } from '../../src/core/dotenv/patch';
import { decodeTarget, encodeTarget, TARGET_RULES } from '../../src/core/engine/targets';
import { NodeFiles } from '../../src/core/node/files';
import { summarize } from '../lib/stats';
import type { Bench, BenchContext, BenchOutcome, Series } from '../lib/types';

/** Small deterministic PRNG (mulberry32), so every run patches the same file. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['api', 'db', 'cache', 'queue', 'mail', 'auth', 'cdn', 'search', 'billing', 'metrics', 'storage', 'worker', 'edge', 'dns'];
const FIELDS = ['URL', 'HOST', 'PORT', 'USER', 'PASSWORD', 'TOKEN', 'SECRET', 'TIMEOUT', 'REGION', 'BUCKET', 'KEY', 'ENABLED', 'NAME', 'ID'];
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)] as T;
}

function word(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALNUM[Math.floor(r() * ALNUM.length)];
  return s;
}

/** A Cloudflare-style secret: prefix + 40 alphanumerics + 8 hex. */
export function fakeToken(r: () => number): string {
  let hex = '';
  for (let i = 0; i < 8; i++) hex += '0123456789abcdef'[Math.floor(r() * 16)];
  return `cfat_${word(r, 40)}${hex}`;
}

export interface GeneratedEnv {
  text: string;
  keys: string[];
  lines: number;
}

/** A realistic .env: section comments, blank lines, export, double/single quotes, inline comments, empty values. */
export function generateEnv(lineCount: number, seed = 42): GeneratedEnv {
  const r = prng(seed);
  const lines: string[] = [];
  const keys: string[] = [];
  let n = 0;
  while (lines.length < lineCount) {
    const x = r();
    if (x < 0.04) {
      lines.push(`# ---- ${pick(r, WORDS)} service ${lines.length} ----`);
      continue;
    }
    if (x < 0.1) {
      lines.push(`# ${pick(r, WORDS)} ${pick(r, FIELDS).toLowerCase()} (set by ops, see runbook ${word(r, 6)})`);
      continue;
    }
    if (x < 0.18) {
      lines.push('');
      continue;
    }
    const key = `${pick(r, WORDS).toUpperCase()}_${pick(r, FIELDS)}_${++n}`;
    keys.push(key);
    const y = r();
    if (y < 0.08) lines.push(`export ${key}=${word(r, 24)}`);
    else if (y < 0.28) lines.push(`${key}="${word(r, 8)} ${word(r, 12)} ${word(r, 5)}"`);
    else if (y < 0.35) lines.push(`${key}='${word(r, 30)}'`);
    else if (y < 0.4) lines.push(`${key}=${word(r, 16)} # ${pick(r, WORDS)} default`);
    else if (y < 0.42) lines.push(`${key}=`);
    else if (y < 0.47) lines.push(`${key}=https://${pick(r, WORDS)}.example.com:${1000 + Math.floor(r() * 9000)}/v1`);
    else lines.push(`${key}=${word(r, 10 + Math.floor(r() * 40))}`);
  }
  return { text: `${lines.join('\n')}\n`, keys, lines: lines.length };
}

type SetFn = (key: string, value: string, options: { path: string; plain: true; quiet: true }) => Promise<unknown>;

interface CfPhases {
  ms: number;
  readMs: number;
  patchMs: number;
  writeMs: number;
}

async function cfRotateJob(file: string, updates: { key: string; value: string }[]): Promise<CfPhases> {
  const files = new NodeFiles();
  const root = path.dirname(file);
  const rel = path.basename(file);
  const t0 = performance.now();
  const read = await files.read(root, rel, TARGET_RULES);
  const text = read === undefined ? '' : decodeTarget(read.bytes, '.env');
  const t1 = performance.now();
  const patched = patchDotenv(text, updates);
  const t2 = performance.now();
  await files.write(root, rel, encodeTarget(patched.text), TARGET_RULES);
  const t3 = performance.now();
  return { ms: t3 - t0, readMs: t1 - t0, patchMs: t2 - t1, writeMs: t3 - t2 };
}

async function dotenvxJob(set: SetFn, file: string, updates: { key: string; value: string }[]): Promise<number> {
  const t0 = performance.now();
  for (const u of updates) await set(u.key, u.value, { path: file, plain: true, quiet: true });
  return performance.now() - t0;
}

export const patchBench: Bench = {
  name: 'patch',
  title: '.env patch: 100 keys in a 10,000-line .env, cf-rotate vs dotenvx set',
  async run(ctx: BenchContext): Promise<BenchOutcome> {
    const started = performance.now();
    const runs = ctx.quick ? 2 : 5;
    const dir = path.join(ctx.tmp, 'patch');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const env = generateEnv(10_000);
    const r = prng(7);
    const step = Math.floor(env.keys.length / 100);
    const updates = Array.from({ length: 100 }, (_, i) => ({ key: env.keys[i * step + Math.floor(step / 2)] as string, value: fakeToken(r) }));
    const original = parseDotenv(env.text);
    const expected = { ...original, ...Object.fromEntries(updates.map((u) => [u.key, u.value])) };

    // The library is loaded (and its first call made) before any timing, like the cf-rotate side.
    const dotenvx = (await import('@dotenvx/dotenvx')) as unknown as { set: SetFn };
    const dotenvxVersion = (JSON.parse(fs.readFileSync(path.join(ctx.root, 'node_modules', '@dotenvx', 'dotenvx', 'package.json'), 'utf8')) as { version: string }).version;
    const set = dotenvx.set;
    const copy = (name: string): string => {
      const f = path.join(dir, name, '.env');
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, env.text);
      return f;
    };
    await cfRotateJob(copy('warm-cf'), updates);
    await dotenvxJob(set, copy('warm-dotenvx'), updates.slice(0, 5));

    const cf: number[] = [];
    const cfPhases: CfPhases[] = [];
    const dx: number[] = [];
    const checks: { run: number; cfParseOk: boolean; dotenvxParseOk: boolean; sameParse: boolean; identicalText: boolean; cfLinesChanged: number; dotenvxLinesChanged: number }[] = [];
    const lineDiff = (a: string, b: string): number => {
      const x = a.split('\n');
      const y = b.split('\n');
      let d = Math.abs(x.length - y.length);
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) d++;
      return d;
    };
    for (let i = 0; i < runs; i++) {
      const fc = copy(`run${i}-cf`);
      const fd = copy(`run${i}-dotenvx`);
      // Alternate which side goes first.
      if (i % 2 === 0) {
        cfPhases.push(await cfRotateJob(fc, updates));
        dx.push(await dotenvxJob(set, fd, updates));
      } else {
        dx.push(await dotenvxJob(set, fd, updates));
        cfPhases.push(await cfRotateJob(fc, updates));
      }
      cf.push(cfPhases.at(-1)?.ms ?? Number.NaN);
      const tc = fs.readFileSync(fc, 'utf8');
      const td = fs.readFileSync(fd, 'utf8');
      const pc = parseDotenv(tc);
      const pd = parseDotenv(td);
      checks.push({
        run: i,
        cfParseOk: isDeepStrictEqual(pc, expected),
        dotenvxParseOk: isDeepStrictEqual(pd, expected),
        sameParse: isDeepStrictEqual(pc, pd),
        identicalText: tc === td,
        cfLinesChanged: lineDiff(env.text, tc),
        dotenvxLinesChanged: lineDiff(env.text, td),
      });
      ctx.log(`  run ${i + 1}: cf-rotate ${cf.at(-1)?.toFixed(1)} ms, dotenvx ${dx.at(-1)?.toFixed(0)} ms`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    const cfSeries: Series = { label: 'cf-rotate: read + patchDotenv + atomic write', unit: 'ms', samples: cf, summary: summarize(cf) };
    const dxSeries: Series = { label: 'dotenvx set ×100 (plain)', unit: 'ms', samples: dx, summary: summarize(dx) };
    const ratio = dxSeries.summary.median / cfSeries.summary.median;
    const ph = (k: keyof CfPhases): string => summarize(cfPhases.map((p) => p[k])).median.toFixed(1);
    const allSame = checks.every((c) => c.sameParse && c.cfParseOk && c.dotenvxParseOk);
    const first = checks[0];
    return {
      bench: 'patch',
      ranAt: new Date().toISOString(),
      quick: ctx.quick,
      durationMs: performance.now() - started,
      figures: [
        {
          id: 'env-patch',
          name: '.env patch, 100 keys',
          measures: `Update 100 keys in a ${env.lines.toLocaleString('en-US')}-line .env (${(env.text.length / 1024).toFixed(0)} KiB, ${env.keys.length.toLocaleString('en-US')} keys), file I/O included; outputs dotenv.parse the same: ${allSame ? 'yes' : 'NO'}`,
          cf: cfSeries,
          baseline: dxSeries,
          ratio: { value: ratio, text: `${ratio.toFixed(0)}× faster` },
          target: { text: '≥ 100× faster', met: ratio >= 100 && allSame },
          notes: `Both outputs parse (dotenv.parse) to the original plus the 100 new values: cf-rotate ${checks.every((c) => c.cfParseOk) ? 'yes' : 'NO'}, dotenvx ${checks.every((c) => c.dotenvxParseOk) ? 'yes' : 'NO'}; byte-identical texts: ${first?.identicalText ? 'yes' : 'no'} (lines that differ from the original: cf-rotate ${first?.cfLinesChanged}, dotenvx ${first?.dotenvxLinesChanged}). cf-rotate phases (medians): read + decode ${ph('readMs')} ms, patchDotenv ${ph('patchMs')} ms, atomic write + fsync ${ph('writeMs')} ms; dotenvx per set() call: ${(dxSeries.summary.median / 100).toFixed(1)} ms.`,
        },
      ],
      notMeasured: [],
      notes: [
        `.env patch: a generated (seeded) .env of ${env.lines} lines: section and note comments, blank lines, \`export\`, double- and single-quoted values, inline comments, empty values, URLs. 100 keys spread evenly over the file get new 53-character Cloudflare-style values. cf-rotate: NodeFiles.read, strict UTF-8 decode, patchDotenv (one scan for all 100 keys, plus its own dotenv.parse check), NodeFiles.writeAtomic (temp file, fsync, rename). dotenvx ${dotenvxVersion}: \`await set(key, value, {path, plain: true, quiet: true})\` 100 times (its API has no batch form; each call reads, rewrites and writes the whole file). Each side on its own fresh copy; both libraries loaded and warmed once before timing; ${runs} runs, order alternated.`,
      ],
      raw: { dotenvxVersion, lines: env.lines, bytes: env.text.length, keys: env.keys.length, updatedKeys: updates.map((u) => u.key), checks, cfPhases },
    };
  },
};
