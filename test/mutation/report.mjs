/**
 * Prints the mutation score of each module of stryker.config.mjs from Stryker's JSON report, and
 * the survivors that test/mutation/equivalent.md does not explain. Exit code 1 when a module is
 * below its threshold or a survivor is unexplained.
 *
 *   node test/mutation/report.mjs [reports/mutation/mutation.json]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_THRESHOLD, REPORT_DIR, SELECTED } from '../../stryker.config.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const reportFile = path.resolve(root, process.argv[2] ?? `${REPORT_DIR}/mutation.json`);
const equivalentFile = path.join(root, 'test', 'mutation', 'equivalent.md');

/** `**` (any folders), `*` (within one path segment) and `?`; enough for the globs in MODULES. */
function globToRegExp(glob) {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Inline code for a markdown table cell: backtick fence long enough, `|` escaped. */
function code(s) {
  const fence = s.includes('`') ? '``' : '`';
  const pad = s.startsWith('`') || s.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${s}${pad}${fence}`.replace(/\|/g, '\\|');
}

/** Rows of the table in equivalent.md: | file | line | mutator | `original` → `replacement` | why |. */
function readEquivalents() {
  if (!fs.existsSync(equivalentFile)) return [];
  const rows = [];
  for (const line of fs.readFileSync(equivalentFile, 'utf8').split('\n')) {
    if (!line.startsWith('| src/')) continue;
    const cells = line.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
    const change = /^(`+) ?(.*?) ?\1 → (`+) ?(.*?) ?\3$/.exec(cells[3] ?? '');
    if (cells.length < 5 || !change) throw new Error(`equivalent.md: cannot read the row ${line}`);
    rows.push({ file: cells[0], mutator: cells[2], original: change[2], replacement: change[4], used: 0 });
  }
  return rows;
}

function sourceText(file, loc) {
  const lines = fs.readFileSync(path.join(root, file), 'utf8').split('\n');
  const { start, end } = loc;
  if (start.line === end.line) return lines[start.line - 1].slice(start.column - 1, end.column - 1);
  return [lines[start.line - 1].slice(start.column - 1), ...lines.slice(start.line, end.line - 1), lines[end.line - 1].slice(0, end.column - 1)].join('\n');
}

/** One line, short: how a mutant is named in the report and in equivalent.md. */
const oneLine = (s) => {
  const flat = s.replace(/\s*\n\s*/g, ' ');
  return flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
};

if (!fs.existsSync(reportFile)) {
  console.error(`No mutation report at ${path.relative(root, reportFile)}: run \`npm run mutation\` first.`);
  process.exit(1);
}
const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
const equivalents = readEquivalents();
const matchers = SELECTED.map((m) => ({ ...m, res: m.mutate.map(globToRegExp) }));

const UNDETECTED = new Set(['Survived', 'NoCoverage']);
const rows = [];
const unexplained = [];
let failed = false;

for (const m of matchers) {
  const count = { killed: 0, timeout: 0, survived: 0, noCoverage: 0, compileError: 0, equivalent: 0, other: 0 };
  let files = 0;
  for (const [file, data] of Object.entries(report.files)) {
    const rel = path.relative(root, path.resolve(root, file)).split(path.sep).join('/');
    if (!m.res.some((re) => re.test(rel))) continue;
    files++;
    for (const mu of data.mutants) {
      if (mu.status === 'Killed') count.killed++;
      else if (mu.status === 'Timeout') count.timeout++;
      else if (mu.status === 'CompileError') count.compileError++;
      else if (UNDETECTED.has(mu.status)) {
        if (mu.status === 'Survived') count.survived++;
        else count.noCoverage++;
        const original = oneLine(sourceText(rel, mu.location));
        const replacement = oneLine(mu.replacement ?? '');
        const eq = equivalents.find((e) => e.file === rel && e.mutator === mu.mutatorName && e.original === original && e.replacement === replacement);
        if (eq) {
          eq.used++;
          count.equivalent++;
        } else {
          unexplained.push(`| ${rel} | ${mu.location.start.line} | ${mu.mutatorName} | ${code(original)} → ${code(replacement)} | ${mu.status}: why is it equivalent? |`);
        }
      } else count.other++;
    }
  }
  if (files === 0) {
    rows.push({ module: m.name, note: 'not in this report' });
    continue;
  }
  const detected = count.killed + count.timeout;
  const valid = detected + count.survived + count.noCoverage;
  const score = valid === 0 ? 100 : (100 * detected) / valid;
  const threshold = m.threshold ?? DEFAULT_THRESHOLD;
  const ok = score >= threshold;
  if (!ok) failed = true;
  rows.push({
    module: m.name,
    score: score.toFixed(2),
    threshold,
    ok: ok ? 'yes' : 'NO',
    mutants: valid,
    killed: count.killed,
    timeout: count.timeout,
    survived: count.survived,
    'no cov': count.noCoverage,
    equivalent: count.equivalent,
    'compile err': count.compileError,
  });
}

const columns = ['module', 'score', 'threshold', 'ok', 'mutants', 'killed', 'timeout', 'survived', 'no cov', 'equivalent', 'compile err'];
const width = (c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length));
console.log('\nMutation score per module (killed + timeout over killed + timeout + survived + no coverage)');
console.log(`  ${columns.map((c) => c.padEnd(width(c))).join('  ')}`);
for (const r of rows) {
  if (r.note) console.log(`  ${r.module.padEnd(width('module'))}  (${r.note})`);
  else console.log(`  ${columns.map((c) => String(r[c]).padEnd(width(c))).join('  ')}`);
}
for (const e of equivalents.filter((x) => x.used === 0 && matchers.some((m) => m.res.some((re) => re.test(x.file))))) {
  console.log(`  note: equivalent.md lists a mutant that did not survive this run: ${e.file} ${e.mutator} ${code(e.original)} → ${code(e.replacement)}`);
}
if (unexplained.length > 0) {
  failed = true;
  console.log(`\n${unexplained.length} survivor(s) neither killed nor listed in test/mutation/equivalent.md (as rows for it):`);
  console.log(unexplained.join('\n'));
}
if (failed) {
  console.log('\nMutation testing: FAILED (a module below its threshold, or unexplained survivors).');
  process.exitCode = 1;
}
