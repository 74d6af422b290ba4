/**
 * The GitHub Action's step (action.yml → packages/cli/dist/action.js): runs the bundled CLI next
 * to it (nothing is installed, no install script runs in the job that holds the admin token),
 * masks every secret it handles, writes a Markdown table to $GITHUB_STEP_SUMMARY, sets the
 * outputs `results` (JSON), `rotated`, `failed` and `state-dir`, and fails the step when a
 * rotation failed; `cli` is the bundled CLI's path, for a later step's `node <cli> resume`. The journal lives in $RUNNER_TEMP (emptied by the runner after the job): no
 * cache holds a secret, and "due" is judged by Cloudflare's own timestamps (--due-from cloudflare).
 *
 * Inputs arrive as INPUT_<NAME> (upper case, `-` as `_`), mapped by action.yml's step `env`.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConfig } from '../core/config/load';
import { DEFAULT_OVERLAP, parseDuration, strategyOf, type TokenConfig } from '../core/config/schema';
import { readDotenvValue } from '../core/dotenv/patch';
import { TARGET_RULES } from '../core/engine/targets/files';
import { CheckedFiles } from '../core/node/checked';

export interface ActionIo {
  env: NodeJS.ProcessEnv;
  /** Workflow commands and plain log lines (the runner reads stdout). */
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Where cli.js is (default: beside this file). */
  cliPath?: string;
}

const MODES = ['due', 'all', 'names'] as const;
type Mode = (typeof MODES)[number];

/** The part of the CLI's --json result the action reads (it never holds a secret). */
interface Result {
  name: string;
  folder: string;
  kind: string;
  ok: boolean;
  state: string;
  targets: string[];
  error?: { kind: string; message: string; hint?: string };
  warnings?: string[];
  verified?: boolean;
  graceUntil?: string;
  /** What writes beside the files did (a Worker deployed a new version, …). */
  notes?: string[];
}

class InputError extends Error {}

/** Workflow-command data escaping (%, CR, LF), as the runner expects. */
function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/**
 * The runner empties RUNNER_TEMP, cf-rotate's state directory here, when the job ends: what a
 * rotation leaves to a later run is forgotten there. A "replace" token's previous token would stay
 * live for good (its retirement is never carried out) and cf-rotate.json's edit to the twin's id is
 * not committed, so every run would twin the original again; an OAuth client's previous secret
 * would never be deleted, and Cloudflare refuses its next rotation while it exists. Those entries
 * (of `names`, or every entry) are refused, with what to do. A file that cannot be read or parsed
 * is left to the CLI, which says why.
 */
export function needsLastingState(configFile: string, names: readonly string[] | undefined): string | undefined {
  let tokens: TokenConfig[];
  try {
    tokens = parseConfig(fs.readFileSync(configFile, 'utf8')).tokens;
  } catch {
    return undefined;
  }
  for (const t of tokens.filter((x) => names === undefined || names.includes(x.name))) {
    if (strategyOf(t) === 'replace') {
      return `"${t.name}" uses "strategy": "replace", which this action cannot finish: its previous token is deleted after the overlap by a later run, and cf-rotate.json is pointed at the new token's id, but the runner empties cf-rotate's state (RUNNER_TEMP) when the job ends and the edit is not committed. Use "strategy": "roll" for tokens this action rotates, or rotate this one where cf-rotate's state directory is kept. Nothing was rotated.`;
    }
    const overlap = t.kind === 'oauth-client-secret' ? (t.overlap ?? DEFAULT_OVERLAP) : undefined;
    if (overlap !== undefined && parseDuration(overlap) > 0) {
      return `OAuth client "${t.name}" keeps its previous secret for its overlap (${overlap}) and a later run deletes it, which this action cannot do: the runner empties cf-rotate's state (RUNNER_TEMP) when the job ends, and Cloudflare refuses the next rotation while a previous secret exists. Set "overlap": "0s" for it (the previous secret is deleted once the new one is in every target), or rotate it where cf-rotate's state directory is kept. Nothing was rotated.`;
    }
  }
  return undefined;
}

function input(env: NodeJS.ProcessEnv, name: string): string {
  return (env[`INPUT_${name.toUpperCase().replace(/-/g, '_')}`] ?? '').trim();
}

function bool(env: NodeJS.ProcessEnv, name: string): boolean {
  const v = input(env, name).toLowerCase();
  if (v === '' || v === 'false') return false;
  if (v === 'true') return true;
  throw new InputError(`Input "${name}" must be true or false, not "${v}".`);
}

/** `file › KEY` (the CLI's target description) → file and key. */
function splitTarget(t: string): { file: string; key: string } | undefined {
  const i = t.lastIndexOf(' › ');
  return i < 0 ? undefined : { file: t.slice(0, i), key: t.slice(i + 3) };
}

/** A Markdown table cell: one line, no pipe that ends the cell. */
function cell(s: string): string {
  return s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

const STATE_TEXT: Record<string, string> = {
  rotated: '✅ rotated',
  recovered: '✅ recovered',
  planned: '✅ ok (dry run)',
  failed: '❌ failed',
  pending: '⚠️ pending',
  lost: '❌ lost',
  unknown: '⚠️ unknown',
};

export function summaryMarkdown(results: Result[], o: { mode: Mode; dryRun: boolean; note?: string }): string {
  const ok = results.filter((r) => r.ok).length;
  const failed = results.length - ok;
  const verb = o.dryRun ? 'checked' : 'rotated';
  const lines = [`### cf-rotate: ${ok} ${verb}, ${failed} failed (${o.mode}${o.dryRun ? ', dry run' : ''})`, ''];
  if (o.note) lines.push(o.note, '');
  if (results.length === 0) {
    lines.push(o.mode === 'due' ? 'Nothing was due.' : 'Nothing to rotate.', '');
    return lines.join('\n');
  }
  lines.push('| token | kind | result | targets | notes |', '| --- | --- | --- | --- | --- |');
  for (const r of results) {
    const notes = [
      r.verified === true ? 'verified by Cloudflare' : '',
      r.graceUntil ? `previous secret valid until ${r.graceUntil}` : '',
      ...(r.notes ?? []),
      r.error ? `${r.error.message}${r.error.hint ? ` ${r.error.hint}` : ''}` : '',
      ...(r.warnings ?? []),
    ].filter(Boolean);
    const targets = r.targets.map((t) => {
      const s = splitTarget(t);
      return s ? `\`${s.file}\` › \`${s.key}\`` : t;
    });
    lines.push(`| ${cell(r.name)} | ${cell(r.kind)} | ${STATE_TEXT[r.state] ?? cell(r.state)} | ${cell(targets.join(', '))} | ${cell(notes.join('; '))} |`);
  }
  lines.push('');
  return lines.join('\n');
}

/** Appends `name<<DELIMITER … DELIMITER` to $GITHUB_OUTPUT: safe for multi-line values. */
function setOutput(file: string | undefined, name: string, value: string): void {
  if (!file) return;
  let delimiter = `ghadelimiter_${randomUUID()}`;
  while (value.includes(delimiter)) delimiter = `ghadelimiter_${randomUUID()}`;
  fs.appendFileSync(file, `${name}<<${delimiter}\n${value}\n${delimiter}\n`);
}

function runCli(cli: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, stderr: (s: string) => void): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => stderr(d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), stdout }));
  });
}

/** Runs the action; resolves with the step's exit code. */
export async function runAction(io: ActionIo): Promise<number> {
  const { env } = io;
  const mask = (value: string): void => {
    if (!value) return;
    io.stdout(`::add-mask::${escapeData(value)}\n`);
    // The runner masks line by line: a multi-line secret is masked per line too.
    for (const line of value.split(/\r?\n/)) if (line.trim() && line !== value) io.stdout(`::add-mask::${escapeData(line)}\n`);
  };
  const fail = (message: string, code = 1): number => {
    io.stdout(`::error title=cf-rotate::${escapeData(message)}\n`);
    return code;
  };

  // Secrets first: nothing below may print before they are masked.
  const apiToken = input(env, 'api-token');
  const githubToken = input(env, 'github-token');
  mask(apiToken);
  mask(githubToken);

  const summaryFile = env.GITHUB_STEP_SUMMARY;
  const outputFile = env.GITHUB_OUTPUT;
  let mode: Mode;
  let dryRun: boolean;
  let args: string[];
  let stateDir: string;
  try {
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
    if (major < 20 || (major === 20 && minor < 18)) {
      throw new InputError(`cf-rotate needs Node.js 20.18 or newer; this runner's node is ${process.versions.node}. Add actions/setup-node (node-version: 24) before this step. Nothing was rotated.`);
    }
    if (!apiToken) throw new InputError('Input "api-token" is empty: pass the admin API token, e.g. api-token: ${{ secrets.CLOUDFLARE_API_TOKEN }}. Nothing was rotated.');
    const m = input(env, 'mode') || 'due';
    if (!(MODES as readonly string[]).includes(m)) throw new InputError(`Input "mode" must be due, all or names, not "${m}". Nothing was rotated.`);
    mode = m as Mode;
    const names = input(env, 'names').split(/[\s,]+/).filter(Boolean);
    if (mode === 'names' && names.length === 0) throw new InputError('mode: names needs the input "names" (token names, separated by spaces, commas or new lines). Nothing was rotated.');
    if (mode !== 'names' && names.length > 0) throw new InputError(`Input "names" is only used with mode: names (mode is ${mode}). Nothing was rotated.`);
    dryRun = bool(env, 'dry-run');
    const runnerTemp = env.RUNNER_TEMP;
    if (!runnerTemp) throw new InputError('RUNNER_TEMP is not set: this step must run on a GitHub Actions runner. Nothing was rotated.');
    stateDir = path.join(runnerTemp, 'cf-rotate');
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const config = input(env, 'config') || '.vscode/cf-rotate.json';
    const reminderDays = input(env, 'reminder-days');
    const apiBase = input(env, 'api-base');
    args = [
      'rotate',
      ...(mode === 'due' ? ['--due', '--due-from', 'cloudflare'] : mode === 'all' ? ['--all'] : names),
      '--config',
      config,
      '--json',
      ...(dryRun ? ['--dry-run'] : []),
      ...(reminderDays && mode === 'due' ? ['--reminder-days', reminderDays] : []),
      ...(apiBase ? ['--api-base', apiBase] : []),
    ];
    // What needs cf-rotate's state after this job is refused before anything is rotated (the cwd is the workspace, as the CLI's).
    const problem = needsLastingState(path.resolve(env.GITHUB_WORKSPACE || process.cwd(), config), mode === 'names' ? names : undefined);
    if (problem) throw new InputError(problem);
  } catch (e) {
    if (e instanceof InputError) return fail(e.message, 2);
    throw e;
  }

  const cli = io.cliPath ?? path.join(__dirname, 'cli.js');
  if (!fs.existsSync(cli)) {
    return fail(`The bundled CLI is missing (${cli}): use a release of the action (a tag such as @v0.1.0, which carries packages/cli/dist), or build it with "npm run build:cli" in a job that holds no secret. Nothing was rotated.`);
  }

  // The CLI gets the credential as wrangler reads it; no INPUT_* (they hold the same secrets).
  const childEnv: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!k.startsWith('INPUT_')) childEnv[k] = v;
  childEnv.CLOUDFLARE_API_TOKEN = apiToken;
  childEnv.CF_ROTATE_STATE_DIR = stateDir;
  const accountId = input(env, 'account-id');
  if (accountId) childEnv.CLOUDFLARE_ACCOUNT_ID = accountId;
  if (githubToken) {
    childEnv.GH_TOKEN = githubToken;
    childEnv.GITHUB_TOKEN = githubToken;
  }
  const cwd = env.GITHUB_WORKSPACE || process.cwd();

  io.stdout(`cf-rotate: ${mode === 'due' ? 'rotating the due credentials (judged by Cloudflare\'s timestamps)' : mode === 'all' ? 'rotating every credential' : `rotating ${args.slice(1, args.indexOf('--config')).join(', ')}`}${dryRun ? ' (dry run: nothing changes)' : ''}; state in ${stateDir}.\n`);
  const ran = await runCli(cli, args, childEnv, cwd, io.stderr);

  let results: Result[];
  try {
    results = JSON.parse(ran.stdout) as Result[];
    if (!Array.isArray(results)) throw new Error('not an array');
  } catch {
    // Usage or configuration errors (exit 2) print no JSON; the reason is on stderr above.
    const note = `cf-rotate stopped before rotating anything (exit ${ran.code}); the reason is in the step's log.`;
    if (summaryFile) fs.appendFileSync(summaryFile, summaryMarkdown([], { mode, dryRun, note }));
    setOutput(outputFile, 'results', '[]');
    setOutput(outputFile, 'rotated', '0');
    setOutput(outputFile, 'failed', '0');
    setOutput(outputFile, 'state-dir', stateDir);
    setOutput(outputFile, 'cli', cli);
    return fail(`${note} Nothing was rotated.`, ran.code || 1);
  }

  // Every value now in a target file is a secret (new, or old where a rotation failed): mask them
  // before anything else of this job can print them.
  for (const r of results) {
    for (const t of r.targets) {
      // Every label is read as a file target, destinations' too (worker:…, pages:…, secrets-store:…,
      // github:…): a file can be named like one ("github:x.env"), and a destination's label names
      // no file in the folder, so reading it finds nothing to mask.
      const s = splitTarget(t);
      if (!s) continue;
      try {
        // Through the checked reader, as the CLI wrote it: the same file however the target is
        // spelled, and never a FIFO, a device or a link out of the folder (a hostile repository
        // could otherwise hang the job, or feed it /dev/zero).
        const got = await new CheckedFiles().read(r.folder, s.file, TARGET_RULES);
        const value = got ? readDotenvValue(Buffer.from(got.bytes).toString('utf8'), s.key).value : undefined;
        if (value) mask(value);
      } catch {
        // Unreadable, missing or refused file: nothing to mask (the CLI did not write a secret there).
      }
    }
  }

  const failed = results.filter((r) => !r.ok);
  const changed = results.filter((r) => r.ok && (r.state === 'rotated' || r.state === 'recovered'));
  if (summaryFile) fs.appendFileSync(summaryFile, summaryMarkdown(results, { mode, dryRun }));
  setOutput(outputFile, 'results', JSON.stringify(results));
  setOutput(outputFile, 'rotated', String(changed.length));
  setOutput(outputFile, 'failed', String(failed.length));
  setOutput(outputFile, 'state-dir', stateDir);
  setOutput(outputFile, 'cli', cli);
  for (const r of failed) {
    io.stdout(`::error title=cf-rotate: ${escapeData(r.name)}::${escapeData(`${r.state}: ${r.error?.message ?? 'failed'}${r.error?.hint ? ` ${r.error.hint}` : ''}`)}\n`);
  }
  io.stdout(`cf-rotate: ${changed.length} rotated, ${failed.length} failed${dryRun ? ' (dry run)' : ''}.\n`);
  return failed.length > 0 ? 1 : ran.code;
}

if (require.main === module) {
  runAction({ env: process.env, stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stdout.write(`::error title=cf-rotate::${escapeData(`unexpected error: ${e instanceof Error ? e.message : String(e)}`)}\n`);
      process.exitCode = 1;
    },
  );
}
