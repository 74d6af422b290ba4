/**
 * Tree: 1,000 configured tokens → parseConfig of the cf-rotate.json text, the provider's data
 * (history of 1,000 rotations), getChildren over the whole tree and getTreeItem for every node.
 * src/views/tree.ts imports vscode, so it is loaded with the benchmark-only vscode stub
 * (bench/lib/vscodeStub.ts). Cold: the first build in a fresh Node process (what the first
 * paint after activation costs); warm: repeated builds in one process (every refresh).
 * This file is also the cold worker: `node out/bench/benches/tree.js <config.json> <history.json>
 * [loaded|parse|children|items]` (where to stop: the instruction counts take differences of runs).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { HistoryEntry } from '../../src/core/history';
import type { TreeNode } from '../../src/views/model';
import type * as TreeModule from '../../src/views/tree';
import type * as LoadModule from '../../src/core/config/load';
import { countInstructions, findValgrind, inPairs, millions, minus, VALGRIND_MISSING, type Counted } from '../lib/instructions';
import { runProcess } from '../lib/proc';
import { summarize } from '../lib/stats';
import type { Bench, BenchContext, BenchOutcome, Series } from '../lib/types';
import { installVscodeStub } from '../lib/vscodeStub';
import { configText, envKey, type TokenSpec } from '../lib/workspace';

const TOKENS = 1000;
const FOLDER = '/workspace/app';

interface Loaded {
  tree: typeof TreeModule;
  load: typeof LoadModule;
}

function loadModules(): Loaded {
  installVscodeStub();
  const req = createRequire(__filename);
  return { tree: req('../../src/views/tree') as typeof TreeModule, load: req('../../src/core/config/load') as typeof LoadModule };
}

/**
 * Where a job stops, for the instruction counts (whose phases are differences of runs): after
 * parseConfig, after the tree data and getChildren over every node (no getTreeItem), or at the end.
 */
export type JobStop = 'parse' | 'children' | 'items';
/** What the cold worker is told to do: stop before the job (modules loaded, inputs read), or run it up to a point. */
export type WorkerStop = 'loaded' | JobStop;
const WORKER_STOPS: readonly WorkerStop[] = ['loaded', 'parse', 'children', 'items'];

export interface TreeJobResult {
  ms: number;
  /** Phases: parseConfig; setData + getChildren over the tree; getTreeItem (summed over nodes). */
  parseMs: number;
  childrenMs: number;
  itemsMs: number;
  nodes: number;
  items: number;
}

/**
 * One full build, timed: text → config → tree data → every node's children and TreeItem. The text
 * goes through `texts` as the editor's ConfigRegistry passes each folder's file (a text read again
 * unchanged is not parsed again).
 */
export async function treeJob(m: Loaded, texts: LoadModule.ConfigTexts, text: string, history: HistoryEntry[], until: JobStop = 'items'): Promise<TreeJobResult> {
  const t0 = performance.now();
  const cfg = texts.parse(FOLDER, text);
  const t1 = performance.now();
  if (until === 'parse') return { ms: t1 - t0, parseMs: t1 - t0, childrenMs: 0, itemsMs: 0, nodes: 0, items: 0 };
  const provider = new m.tree.TokenTreeProvider();
  provider.setData({
    folders: [{ folder: { path: FOLDER, name: 'app' }, status: 'ok', configPath: path.join(FOLDER, '.vscode', 'cf-rotate.json'), tokens: cfg.tokens }],
    workspaceFolderCount: 1,
    // A new list each time, as the editor's reload after a rotation brings (src/views/controller.ts): its summary is made anew.
    history: [...history],
    reminderDays: 7,
    interrupted: new Set(),
    credentialProfiles: new Set(['default']),
  });
  let nodes = 0;
  let items = 0;
  let itemsMs = 0;
  const walk = async (parent: TreeNode | undefined): Promise<void> => {
    const children = await provider.getChildren(parent);
    for (const c of children) {
      nodes++;
      if (until === 'items') {
        const ti = performance.now();
        if (provider.getTreeItem(c)) items++;
        itemsMs += performance.now() - ti;
      }
      await walk(c);
    }
  };
  await walk(undefined);
  const ms = performance.now() - t0;
  provider.dispose();
  return { ms, parseMs: t1 - t0, childrenMs: ms - (t1 - t0) - itemsMs, itemsMs, nodes, items };
}

/** 32 hex digits derived from `seed`: the same inputs in every run, so instruction counts of two runs (or two commits) compare. */
function hex32(seed: string): string {
  return createHash('md5').update(seed).digest('hex');
}

/** 1,000 account tokens (half on a 30-day schedule) and one "rotated" history entry per token, 0–60 days old. */
export function treeInputs(now = Date.now()): { text: string; history: HistoryEntry[] } {
  const accountId = hex32('account');
  const tokens: TokenSpec[] = Array.from({ length: TOKENS }, (_, i) => ({
    name: `token-${i + 1}`,
    accountId,
    tokenId: hex32(`token-${i}`),
    file: `services/svc-${String(Math.floor(i / 100) + 1).padStart(2, '0')}/.env`,
    key: envKey(i),
    value: '',
    ...(i % 2 === 0 ? { rotateEveryDays: 30 } : {}),
  }));
  const history: HistoryEntry[] = tokens.map((t, i) => ({
    at: new Date(now - ((i * 37) % 60) * 86_400_000).toISOString(),
    folder: FOLDER,
    name: t.name,
    kind: 'account-api-token',
    outcome: 'rotated',
    targets: [`${t.file} › ${t.key}`],
  }));
  return { text: configText(tokens), history };
}

interface ColdCounts {
  /** The job: the full worker less the one that stops before the job. */
  job: Counted;
  /** By phase (full runs only; --quick counts the job alone). */
  phases?: { parse: Counted; children: Counted; items: Counted };
  /** Each worker's own count, by where it stopped. */
  runs: Partial<Record<WorkerStop, Counted>>;
}

/** The cold job's instructions (bench/lib/instructions.ts), or why they were not counted. */
async function countColdInstructions(ctx: BenchContext, cfgFile: string, histFile: string): Promise<ColdCounts | string> {
  const valgrind = await findValgrind();
  if (valgrind === undefined) return VALGRIND_MISSING;
  const stops: WorkerStop[] = ctx.quick ? ['loaded', 'items'] : ['loaded', 'parse', 'children', 'items'];
  const counted = await inPairs(stops.map((stop) => () => countInstructions(valgrind, process.execPath, [__filename, cfgFile, histFile, stop])));
  const runs: Partial<Record<WorkerStop, Counted>> = {};
  stops.forEach((s, i) => (runs[s] = counted[i]));
  const at = (s: WorkerStop): Counted => runs[s] as Counted;
  const job = minus(at('items'), at('loaded'));
  if (ctx.quick) return { job, runs };
  return { job, runs, phases: { parse: minus(at('parse'), at('loaded')), children: minus(at('children'), at('parse')), items: minus(at('items'), at('children')) } };
}

export const treeBench: Bench = {
  name: 'tree',
  title: 'Tree: 1,000 tokens, parseConfig + getChildren + getTreeItem',
  async run(ctx: BenchContext): Promise<BenchOutcome> {
    const started = performance.now();
    const coldRuns = ctx.quick ? 3 : 7;
    const warmRuns = ctx.quick ? 10 : 30;
    const dir = path.join(ctx.tmp, 'tree');
    fs.mkdirSync(dir, { recursive: true });
    const { text, history } = treeInputs();
    const cfgFile = path.join(dir, 'cf-rotate.json');
    const histFile = path.join(dir, 'history.json');
    fs.writeFileSync(cfgFile, text);
    fs.writeFileSync(histFile, JSON.stringify(history));

    const cold: TreeJobResult[] = [];
    for (let i = 0; i < coldRuns; i++) {
      const r = await runProcess(process.execPath, [__filename, cfgFile, histFile], { timeoutMs: 60_000 });
      if (r.code !== 0) throw new Error(`tree worker failed: ${r.stderr.slice(0, 500)}`);
      cold.push(JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as TreeJobResult);
    }
    const counts = await countColdInstructions(ctx, cfgFile, histFile);
    const m = loadModules();
    // One registry's texts for the whole session, as in the editor.
    const texts = new m.load.ConfigTexts();
    for (let i = 0; i < 3; i++) await treeJob(m, texts, text, history);
    const warm: TreeJobResult[] = [];
    for (let i = 0; i < warmRuns; i++) warm.push(await treeJob(m, texts, text, history));
    // The same refresh after the file was edited: a text not seen before (one more space at its end each run).
    const edited: TreeJobResult[] = [];
    for (let i = 0; i < warmRuns; i++) edited.push(await treeJob(m, texts, `${text}${' '.repeat(i + 1)}`, history));
    const med = (rs: TreeJobResult[], k: 'ms' | 'parseMs' | 'childrenMs' | 'itemsMs'): number => summarize(rs.map((r) => r[k])).median;
    const phases = (rs: TreeJobResult[]): string => `parseConfig ${med(rs, 'parseMs').toFixed(1)} ms + tree data/getChildren ${med(rs, 'childrenMs').toFixed(1)} ms + getTreeItem ${med(rs, 'itemsMs').toFixed(1)} ms (medians)`;
    if (typeof counts !== 'string') ctx.log(`  cold job: ${millions(counts.job.total)} instructions (valgrind, node --predictable)`);
    ctx.log(`  cold median ${med(cold, 'ms').toFixed(1)} ms (${phases(cold)}), warm median ${med(warm, 'ms').toFixed(1)} ms (${phases(warm)}), edited ${med(edited, 'ms').toFixed(1)} ms (${phases(edited)}), ${warm[0]?.nodes} nodes`);

    const mk = (label: string, rs: TreeJobResult[]): Series => ({ label, unit: 'ms', samples: rs.map((r) => r.ms), summary: summarize(rs.map((r) => r.ms)) });
    const coldS = mk('first build in a fresh Node process', cold);
    const warmS = mk('repeated build (JIT warm)', warm);
    const editedS = mk('repeated build, the file edited each time (JIT warm)', edited);
    const nodes = warm[0]?.nodes ?? 0;
    const configKiB = (Buffer.byteLength(text) / 1024).toFixed(0);
    return {
      bench: 'tree',
      ranAt: new Date().toISOString(),
      quick: ctx.quick,
      durationMs: performance.now() - started,
      figures: [
        {
          id: 'tree-cold',
          name: 'Tree, 1,000 tokens (cold)',
          measures: `parseConfig of a ${configKiB} KiB cf-rotate.json + tree data with 1,000 history entries + getChildren/getTreeItem for all ${nodes} nodes, first time in a fresh process`,
          cf: coldS,
          target: { text: '≤ 30 ms', met: coldS.summary.median <= 30 },
          notes: `Phases: ${phases(cold)}.`,
        },
        ...(typeof counts === 'string'
          ? []
          : [
              {
                id: 'tree-cold-instructions',
                name: 'Tree, 1,000 tokens (cold), instructions',
                measures: `The cold job above counted in instructions (valgrind callgrind, \`node --predictable\`): the worker that runs it less the same worker stopped before it. Does not move with the machine's speed or load: compare it across commits`,
                cf: { label: 'instructions', unit: 'instructions', samples: [counts.job.total], summary: summarize([counts.job.total]) },
                target: { text: '—', met: null },
                notes: `${counts.phases ? `Phases: parseConfig ${millions(counts.phases.parse.total)} + tree data/getChildren ${millions(counts.phases.children.total)} + getTreeItem ${millions(counts.phases.items.total)}. ` : '(--quick: no phases.) '}Of the job, ${millions(counts.job.turbofan)} are TurboFan compiling (a background thread in a normal run; --predictable runs it on the main thread) and ${millions(counts.job.gc)} the garbage collector. Whole worker ${millions(counts.runs.items?.total ?? 0)}, of which Node's start, module loading and reading the inputs ${millions(counts.runs.loaded?.total ?? 0)}.`,
              },
            ]),
        {
          id: 'tree-warm',
          name: 'Tree, 1,000 tokens (warm)',
          measures: `The same job repeated in one process, the cf-rotate.json unchanged (a refresh: after a rotation, which reads no configuration; Refresh; a save that changed nothing)`,
          cf: warmS,
          target: { text: '≤ 10 ms', met: warmS.summary.median <= 10 },
          notes: `Phases: ${phases(warm)}. The text goes through ConfigTexts, as the editor's ConfigRegistry passes each folder's file: a text read again unchanged gets its (frozen) configuration back without being parsed again; the next figure is the refresh after an edit, which parses. The history is a new list in every run, as after a rotation (the summary of a list is reused only by rebuilds from that same list: relative times, a batch's progress).`,
        },
        {
          id: 'tree-warm-edited',
          name: 'Tree, 1,000 tokens (warm, the file edited)',
          measures: `The same job repeated in one process, each time with a text not seen before (the file saved with a change)`,
          cf: editedS,
          target: { text: '—', met: null },
          notes: `Phases: ${phases(edited)}.`,
        },
      ],
      notMeasured: typeof counts === 'string' ? [{ name: 'Tree, 1,000 tokens (cold), instructions', reason: counts }] : [],
      notes: [
        `Tree: src/views/tree.ts (TokenTreeProvider) and src/core/config/load.ts as compiled by tsc, with \`vscode\` replaced by the benchmark-only stub in bench/lib/vscodeStub.ts (Module._load interception; TreeItem, ThemeIcon, ThemeColor, MarkdownString, EventEmitter are plain data holders, so VS Code's own rendering is not included). 1,000 account API tokens over 10 .env files, half with rotateEveryDays; one history entry per token. Cold: ${coldRuns} fresh Node processes, module loading excluded; warm: ${warmRuns} runs after 3 warm-ups.`,
      ],
      raw: { tokens: TOKENS, nodes, configBytes: Buffer.byteLength(text), cold, warm, edited, instructions: counts },
    };
  },
};

if (require.main === module) {
  const [cfgFile, histFile, stopArg = 'items'] = process.argv.slice(2);
  const stop = WORKER_STOPS.find((s) => s === stopArg);
  if (!cfgFile || !histFile || stop === undefined) {
    process.stderr.write(`usage: node out/bench/benches/tree.js <cf-rotate.json> <history.json> [${WORKER_STOPS.join('|')}]\n`);
    process.exit(2);
  }
  const text = fs.readFileSync(cfgFile, 'utf8');
  const history = JSON.parse(fs.readFileSync(histFile, 'utf8')) as HistoryEntry[];
  const m = loadModules();
  const texts = new m.load.ConfigTexts();
  // 'loaded' ends the same way as a job (one line written, the event loop left to empty), so only the job differs.
  const none: TreeJobResult = { ms: 0, parseMs: 0, childrenMs: 0, itemsMs: 0, nodes: 0, items: 0 };
  (stop === 'loaded' ? Promise.resolve(none) : treeJob(m, texts, text, history, stop)).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
