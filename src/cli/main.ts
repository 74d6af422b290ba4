/**
 * cf-rotate: the CI face of the same core the extension uses.
 * Exit codes: 0 everything rotated, 1 some rotations failed, 2 usage or configuration error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_API_BASE_URL } from '../core/cloudflare/client';
import { CONFIG_RELATIVE_PATH, ConfigError, MAX_CONFIG_BYTES, parseConfig } from '../core/config/load';
import { targetLabel, type CfRotateConfig, type TokenConfig } from '../core/config/schema';
import { discardExplanation, resourceId, type RotationEngine, type RotationResult } from '../core/engine/engine';
import { unreadableJournalText, type JournalEntry } from '../core/engine/journal';
import { heldResult, takeOverJournal } from '../core/engine/housekeeping';
import { CfRotateError, toCfRotateError } from '../core/errors';
import { historyKey, lastRotations, unsettledLosses, type HistoryEntry } from '../core/history';
import { redactingLogger } from '../core/log';
import { CheckedFiles } from '../core/node/checked';
import { NodeJournalStore } from '../core/node/journalStore';
import { targetFileIssues } from '../core/node/targetFiles';
import { defaultStateDir, ensureStateDir, migrateLegacyJournalFile, sweepStateDir } from '../core/node/stateDir';
import type { Logger } from '../core/ports';
import { VERSION } from '../core/version';
import { cliHistory, cliLocks, createCliEngine } from './engine';
import { redact, registerSecret } from '../core/redact';
import { terminal } from '../core/text';
import { cliWording, useWording, wording } from '../core/wording';
import { dueInfo, relativeTime } from '../core/schedule';
import { cliApiBase } from './api';
import { parseDueFrom, selectDue } from './due';
import type { Retirement, RetirementResult } from '../core/retire';
import { retirementText, unreadableRetirementText } from '../core/retire';
import { proxyTransportFromEnv } from './proxyEnv';
import { cliGitHubAccess } from './github';

export const HELP = `cf-rotate ${VERSION}: rotate Cloudflare credentials and write the new secrets into .env files.

Usage:
  cf-rotate list    [--config FILE] [--json]
  cf-rotate rotate  NAME... | --all | --due [--due-from SOURCE]  [--config FILE] [--dry-run] [--json] [--concurrency N]
  cf-rotate resume  [--config FILE] [--overwrite-conflicts] [--wait SECONDS] [--take-over] [--json]
  cf-rotate discard NAME... [--config FILE] [--yes] [--json]
  cf-rotate retire  [NAME...] [--now] [--config FILE] [--json]
  cf-rotate history [--json] [--limit N]
  cf-rotate validate [--config FILE]

Options:
  --config FILE       cf-rotate.json to use (default: ${CONFIG_RELATIVE_PATH} under the current directory).
                      Target paths resolve against the folder that holds .vscode/.
  --api-base URL      Cloudflare API base URL (default: $CLOUDFLARE_API_BASE_URL or ${DEFAULT_API_BASE_URL}).
                      https only; http is allowed to loopback addresses (tests, the simulator).
  --dry-run           Check configuration, credentials and target files; rotate nothing.
  --json              Machine-readable output on stdout (never contains a secret).
  --concurrency N     Cloudflare calls of the batch in flight at once (default 8); up to twice as
                      many rotations are under way, doing their local steps meanwhile.
  --timeout SECONDS   Per-request timeout (default 20; $CF_ROTATE_TIMEOUT). A rotation request that gets
                      no answer is settled by asking Cloudflare once it can no longer take effect.
  --yes               discard: really discard (without it, discard explains what would be lost).
  --now               retire: delete the previous credentials now, even before their overlap ends.
  --take-over         resume: also finish interrupted rotations whose lock a process this machine cannot
                      check still holds (on another host, a rebuilt dev container, a reused pid), and
                      break such a process's lock of a target file: only once you know it is gone.
  --wait SECONDS      resume: wait up to this long for an unanswered request to stop being able to take
                      effect before asking Cloudflare (default 20); further away, it answers "unknown,
                      check again after HH:MM" at once and keeps the rotation.
  --reminder-days N   With --due: also rotate tokens due within N days (default 7).
  --due-from SOURCE   With --due: when was a token last rotated? history (default: the local history;
                      no entry = due), cloudflare (Cloudflare's own timestamps: API token modified_on,
                      service token updated_at, newest MoQ token's created; for CI without kept state),
                      auto (the history, else Cloudflare's timestamp).
  --verbose           Log requests to stderr (secrets are redacted).
  -h, --help          Show this help.   -v, --version   Show the version.

Credentials (the admin credential that performs rotations, as wrangler reads it):
  CLOUDFLARE_API_TOKEN                      API token (user-owned cfut_… or account-owned cfat_…), profile "default"
  CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY     email + Global API key, profile "default"
  CLOUDFLARE_ACCOUNT_ID                     the account that owns an account-owned API token (else the one it sees)
  CLOUDFLARE_API_TOKEN_<PROFILE>, CLOUDFLARE_EMAIL_<PROFILE> + CLOUDFLARE_API_KEY_<PROFILE>,
  CLOUDFLARE_ACCOUNT_ID_<PROFILE>           the same for a token whose "profile" is <profile>
                                            (upper case, other characters as _)
  Set both an API token and email + Global API key to let each operation use the scheme Cloudflare
  accepts for it: API tokens, MoQ and account tokens need the API token; zone-level Access service
  tokens need email + Global API key; account-level Access service tokens take either (the token
  is used). A rotation whose profile lacks the scheme it needs is refused before any request.

GitHub Actions targets ("github" in cf-rotate.json):
  GH_TOKEN (or GITHUB_TOKEN)                a token that may write the repository's (environment's) Actions secrets
  GITHUB_API_URL                            GitHub API base (default https://api.github.com; https only)

Proxies: HTTPS_PROXY / HTTP_PROXY / NO_PROXY (or lower case) are honoured; NODE_EXTRA_CA_CERTS adds a CA.

State: interrupted-rotation journals (one 0600 file per credential; they may hold a new secret until
it is written), machine-wide locks and the history live under $CF_ROTATE_STATE_DIR or
$XDG_STATE_HOME/cf-rotate (0700), never in the workspace. The VS Code extension shares them: one
rotation of a credential at a time on this machine. "rotate" first finishes any interrupted
rotation of the same folder. "resume" finishes a rotation whose new secret was not written yet,
or finds out whether an unanswered request took effect (only once it can no longer take effect);
"discard" forgets one you have dealt with by hand, after explaining what that loses.

Zero-downtime rotation: an API token with "strategy": "replace" gets a twin (same permissions;
its name ends with "(cf-rotate <label>)"), cf-rotate.json is pointed at the twin, and the previous
token stays valid for its "overlap" (default 24h). An OAuth client gets a second secret and the
previous one is deleted after its overlap. These pending retirements live in the state directory
(retire/); "rotate" and "retire" carry out the due ones of the folder ("retire --now": all of
them now). A retirement that fails stays pending and is tried again.

Exit status: 0 all rotated (every target holds a value Cloudflare accepts; resume: every
interrupted rotation finished or settled as "not rotated", no token of the folder whose last
rotation lost its secret, no journal entry it cannot read), 1 some failed or need attention
(reasons on stderr), 2 usage or configuration error.
`;

/** Per command: its synopsis, what it does, and the options that apply (others are a usage error). */
const COMMAND_HELP: Record<string, { usage: string; about: string; options: readonly string[] }> = {
  list: { usage: 'cf-rotate list [--config FILE] [--json] [--reminder-days N]', about: 'Lists the configured tokens: kind, last rotation, due state, targets.', options: ['config', 'json', 'reminder-days', 'verbose'] },
  rotate: {
    usage: 'cf-rotate rotate NAME... | --all | --due [--due-from SOURCE] [--reminder-days N] [--config FILE] [--dry-run] [--json] [--concurrency N] [--timeout SECONDS] [--api-base URL]',
    about:
      'Rotates the named tokens (or all, or the due ones) and writes the new secrets into their targets. Interrupted rotations of the same folder are finished first.\n--dry-run checks the configuration, the credential (it is verified at Cloudflare) and every token (read, not changed) and every target file; it rotates nothing.\nCtrl-C once (or SIGTERM, SIGHUP) stops starting new rotations and lets those in flight finish; twice quits at once: every new secret that arrived is in the journal (cf-rotate resume), but a call still out when cf-rotate quits can be applied by Cloudflare without its answer being read, and that secret is lost.',
    options: ['config', 'api-base', 'all', 'due', 'due-from', 'dry-run', 'json', 'concurrency', 'reminder-days', 'timeout', 'verbose'],
  },
  resume: {
    usage: 'cf-rotate resume [--config FILE] [--overwrite-conflicts] [--wait SECONDS] [--take-over] [--json] [--timeout SECONDS] [--api-base URL]',
    about:
      'Finishes interrupted rotations: writes a new secret that waits in the journal, or finds out whether an unanswered request took effect (once it can no longer take effect). "Not rotated, safe to retry" counts as done (exit 0).\nA rotation whose lock is held by a process this machine cannot check (on another host, or whose start time is unknown) is listed as busy (exit 1); --take-over breaks that lock (and such a process\'s lock of a target file) and finishes it here, once you know the process is gone.',
    options: ['config', 'api-base', 'overwrite-conflicts', 'wait', 'take-over', 'json', 'timeout', 'verbose'],
  },
  discard: { usage: 'cf-rotate discard NAME... [--config FILE] [--yes] [--json]', about: 'Forgets an interrupted rotation you have dealt with by hand. Without --yes it explains what would be lost and changes nothing.', options: ['config', 'yes', 'json', 'verbose'] },
  retire: {
    usage: 'cf-rotate retire [NAME...] [--now] [--config FILE] [--json] [--timeout SECONDS] [--api-base URL]',
    about:
      'Carries out the due retirements of the folder: the previous API token after "strategy": "replace", the previous secret of an OAuth client, once their overlap has passed. Lists the others with the time they are due. --now deletes them now. Deleting what is already gone counts as done; a failure stays pending and is tried again. Exit 1 when one failed.',
    options: ['config', 'api-base', 'now', 'json', 'timeout', 'verbose'],
  },
  history: { usage: 'cf-rotate history [--json] [--limit N]', about: 'Past rotations, newest first (no secret is ever kept).', options: ['json', 'limit', 'verbose'] },
  validate: { usage: 'cf-rotate validate [--config FILE]', about: 'Checks cf-rotate.json and names every problem by its JSON path.', options: ['config', 'verbose'] },
};

function commandHelp(command: string): string {
  const c = COMMAND_HELP[command] as (typeof COMMAND_HELP)[string];
  return `${c.usage}\n\n${c.about}\n\nRun "cf-rotate --help" for every option, the credential variables and the exit status.\n`;
}

interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Aborted on the first Ctrl-C: batches stop starting new rotations. */
  signal?: AbortSignal;
}

class UsageError extends Error {}

/**
 * The CLI's credentials are known from the start: register them with the redactor before anything
 * can be printed (a token pasted as a command, a token name or into cf-rotate.json is then masked).
 */
function registerEnvCredentials(env: NodeJS.ProcessEnv): void {
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !/^CLOUDFLARE_API_(?:TOKEN|KEY)(?:_|$)/.test(name)) continue;
    registerSecret(value);
    registerSecret(value.trim());
  }
}

function stderrLogger(io: Io, verbose: boolean): Logger {
  const w = (level: string) => (m: string) => {
    if (verbose || level === 'error') io.stderr(`[${level}] ${m}\n`);
  };
  return redactingLogger({ trace: w('trace'), debug: w('debug'), info: w('info'), warn: w('warn'), error: w('error') });
}

/** Read the config through the checked reader: a regular file inside its folder (no link out, no FIFO), at most 1 MiB. */
async function loadConfig(file: string): Promise<CfRotateConfig> {
  const folder = folderOf(file);
  let read: { bytes: Uint8Array } | undefined;
  try {
    read = await new CheckedFiles().read(folder, path.relative(folder, file), { denyGitDir: true, maxBytes: MAX_CONFIG_BYTES });
  } catch (e) {
    const err = toCfRotateError(e);
    throw new CfRotateError('config', `Cannot read ${file}: ${err.message}`, { hint: 'Pass --config with a regular cf-rotate.json file inside the project folder.' });
  }
  if (!read) {
    throw new CfRotateError('config', `${file} does not exist.`, {
      hint: path.basename(file) === 'cf-rotate.json' && path.basename(path.dirname(file)) === '.vscode' ? 'Create .vscode/cf-rotate.json (see the README), or pass --config FILE.' : 'Check the path given to --config.',
    });
  }
  return parseConfig(Buffer.from(read.bytes).toString('utf8'), file);
}

/**
 * Whether a journal's or retirement's folder is `folder`: the same string, or the same folder on
 * disk (a path through a link, as a rotation started in a linked checkout or by VS Code records
 * it). Each folder's real path is asked once.
 */
export function sameFolderAs(folder: string): (other: string) => boolean {
  const real = new Map<string, string | undefined>();
  const realOf = (p: string): string | undefined => {
    if (!real.has(p)) {
      try {
        real.set(p, fs.realpathSync(p));
      } catch {
        real.set(p, undefined);
      }
    }
    return real.get(p);
  };
  return (other) => {
    if (other === folder) return true;
    const a = realOf(folder);
    return a !== undefined && realOf(other) === a;
  };
}

/** The folder whose .vscode/ holds the config (target paths resolve against it). */
export function folderOf(configFile: string): string {
  const dir = path.dirname(path.resolve(configFile));
  return path.basename(dir) === '.vscode' ? path.dirname(dir) : dir;
}

/** Resume an interrupted rotation listed a moment ago; undefined when another process finished it meanwhile (nothing to do). */
export async function resumeIfThere(engine: Pick<RotationEngine, 'resume' | 'journal'>, id: string, opts?: Parameters<RotationEngine['resume']>[1]): Promise<RotationResult | undefined> {
  const gone = async (): Promise<boolean> => (await engine.journal.get(id).catch(() => 'unreadable' as const)) === undefined;
  try {
    const r = await engine.resume(id, opts);
    // Gone by the time its lock was taken (finished by the process that held it). A 'not-found'
    // of anything else leaves the entry (a destination that answered 404), or is a verdict this
    // resume reached and recorded (the token is gone at Cloudflare): that result counts.
    return !r.ok && r.error?.kind === 'not-found' && r.verdict === undefined && (r.state === 'pending' || r.state === 'unknown') && (await gone()) ? undefined : r;
  } catch (e) {
    if (toCfRotateError(e).kind === 'not-found' && (await gone())) return undefined;
    throw e;
  }
}

/** A resume that found "not rotated, safe to retry" settled the rotation: nothing is lost or pending. */
function settledSafely(r: RotationResult): boolean {
  return !r.ok && r.verdict === 'not-rotated';
}

function formatResult(r: RotationResult, settledOk = false): string {
  if (r.ok) {
    const how = r.state === 'planned' ? 'ok (dry run)' : r.state === 'recovered' ? 'recovered' : 'rotated';
    const extra = [
      r.verified === true ? 'verified' : undefined,
      r.graceUntil ? `previous secret valid until ${r.graceUntil}` : undefined,
      r.tokenId ? `now token ${r.tokenId}; cf-rotate.json updated` : undefined,
      r.retired ? 'previous one deleted' : r.retiresAt ? `previous one deleted after ${r.retiresAt}` : undefined,
    ].filter(Boolean);
    return `✓ ${r.name}: ${how} → ${r.targets.join(', ')}${extra.length ? ` (${extra.join('; ')})` : ''}${(r.notes ?? []).map((n) => `\n    ${n}`).join('')}`;
  }
  const mark = settledOk && settledSafely(r) ? '•' : '✗';
  return `${mark} ${r.name}: ${r.error?.message ?? 'failed'}${r.error?.hint ? ` ${r.error.hint}` : ''}`;
}

/**
 * Tokens of the folder (still configured, when the configuration can be read) whose last rotation
 * lost its secret and that were not rotated since, as failed results; `except`: those reported now.
 */
function lossesOf(entries: readonly HistoryEntry[], inFolder: (f: string) => boolean, cfg: CfRotateConfig | undefined, except: readonly RotationResult[]): RotationResult[] {
  const out: RotationResult[] = [];
  for (const e of unsettledLosses(entries).values()) {
    if (!inFolder(e.folder) || except.some((r) => r.name === e.name) || (cfg && !cfg.tokens.some((t) => t.name === e.name))) continue;
    const grace = e.graceUntil && Date.parse(e.graceUntil) > Date.now() ? ` until ${e.graceUntil}, when Cloudflare stops accepting it` : ', which Cloudflare no longer accepts';
    out.push({
      name: e.name,
      folder: e.folder,
      kind: e.kind,
      ok: false,
      state: 'lost',
      verdict: 'lost',
      targets: e.targets,
      error: {
        kind: e.errorKind ?? 'ambiguous',
        message: `The last rotation of "${e.name}" (${e.at}) lost its new secret: ${e.targets.length ? e.targets.join(', ') : 'its targets'} still ${e.targets.length === 1 ? 'holds' : 'hold'} the previous value${grace}.`,
        hint: `Rotate it again: cf-rotate rotate ${e.name}`,
      },
      warnings: [],
      durationMs: 0,
    });
  }
  return out;
}

/** Journal entries of `folder` whose token is one of `names` (by config name, or by the credential the config names). */
function journalsFor(journals: readonly JournalEntry[], folder: string, names: readonly string[], cfg: CfRotateConfig | undefined): JournalEntry[] {
  const inFolder = sameFolderAs(folder);
  return journals.filter((j) => {
    if (!inFolder(j.folder)) return false;
    if (names.includes(j.token)) return true;
    const t = cfg?.tokens.find((x) => names.includes(x.name));
    return t !== undefined && resourceId(t) === j.id;
  });
}

/**
 * A pending retirement must not delete a token that cf-rotate.json names again (the user pointed
 * an entry back at it): it is refused and kept.
 */
function inUseBy(cfg: CfRotateConfig | undefined): (r: Retirement) => string | undefined {
  return (r) => {
    const id = r.resource.tokenId?.toLowerCase();
    if (!cfg || id === undefined || r.admin) return undefined;
    const t = cfg.tokens.find((x) => (x.kind === 'account-api-token' || x.kind === 'user-api-token') && x.tokenId.toLowerCase() === id);
    return t ? `cf-rotate.json names it again ("tokenId" of "${t.name}").` : undefined;
  };
}

/**
 * Print retirement results (stdout for done / waiting when `all`, stderr for failures). With
 * `--json` stdout carries the JSON only: the lines about what was done go to stderr. True when one failed.
 */
function reportRetirements(io: Io, results: readonly RetirementResult[], all: boolean, json = false): boolean {
  let failed = false;
  const done = json ? io.stderr : io.stdout;
  for (const r of results) {
    if (r.state === 'retired' || r.state === 'already-gone') done(`✓ ${r.name}: deleted ${r.label}${r.state === 'already-gone' ? ' (it was already gone)' : ''}.\n`);
    else if (r.state === 'waiting') {
      if (all) done(`• ${r.name}: ${r.label} keeps working until ${r.dueAt}; "cf-rotate retire ${r.name} --now" deletes it now.\n`);
    } else if (r.state === 'busy') io.stderr(`• ${r.name}: another cf-rotate process is deleting ${r.label} right now.\n`);
    else {
      failed = true;
      io.stderr(`✗ ${r.name}: ${r.error?.message ?? `could not delete ${r.label}`}${r.error?.hint ? ` ${r.error.hint}` : ''}\n`);
    }
  }
  return failed;
}

/**
 * Start-of-run housekeeping: move 0.1 journals into the per-entry store, sweep temporaries left by
 * killed processes; beside the targets too when the configuration could be read (`cfg`; resume,
 * retire and discard run without one: a kill during a replace's edit of it).
 */
async function housekeeping(stateDir: string, engine: RotationEngine, folder: string, cfg: CfRotateConfig | undefined, logger: Logger, configFile: string): Promise<void> {
  await ensureStateDir(stateDir);
  await migrateLegacyJournalFile(path.join(stateDir, 'journal.json'), new NodeJournalStore(stateDir), logger);
  await sweepStateDir(stateDir);
  if (cfg) await engine.sweep(folder, cfg.tokens, path.relative(folder, configFile));
}

export async function main(argv: string[], rawIo: Io): Promise<number> {
  // Messages name CLI steps (cf-rotate resume, CLOUDFLARE_API_TOKEN), not editor commands.
  const before = wording();
  useWording(cliWording);
  try {
    return await run(argv, rawIo);
  } finally {
    useWording(before);
  }
}

async function run(argv: string[], rawIo: Io): Promise<number> {
  registerEnvCredentials(rawIo.env);
  // Everything printed is redacted (whoever registered a secret, and when) and made inert for the
  // terminal: names, paths and Cloudflare's own text come from outside.
  const io: Io = { ...rawIo, stdout: (s) => rawIo.stdout(terminal(redact(s))), stderr: (s) => rawIo.stderr(terminal(redact(s))) };
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        'api-base': { type: 'string' },
        all: { type: 'boolean' },
        due: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        json: { type: 'boolean' },
        concurrency: { type: 'string' },
        'reminder-days': { type: 'string' },
        'due-from': { type: 'string' },
        'overwrite-conflicts': { type: 'boolean' },
        'take-over': { type: 'boolean' },
        timeout: { type: 'string' },
        wait: { type: 'string' },
        yes: { type: 'boolean' },
        now: { type: 'boolean' },
        limit: { type: 'string' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (e) {
    io.stderr(`cf-rotate: ${e instanceof Error ? e.message : String(e)}\nRun cf-rotate --help for usage.\n`);
    return 2;
  }
  const { values: o, positionals } = parsed;
  const [command, ...names] = positionals;
  if (o.help) {
    io.stdout(command !== undefined && command in COMMAND_HELP ? commandHelp(command) : HELP);
    return 0;
  }
  if (o.version) {
    io.stdout(`${VERSION}\n`);
    return 0;
  }
  if (command !== undefined && command in COMMAND_HELP) {
    const allowed = new Set((COMMAND_HELP[command] as (typeof COMMAND_HELP)[string]).options);
    const extra = Object.keys(o).filter((k) => o[k as keyof typeof o] !== undefined && !allowed.has(k));
    if (extra.length > 0) {
      io.stderr(`cf-rotate: ${extra.map((k) => `--${k}`).join(', ')} does not apply to "${command}"; nothing was done.\nUsage: ${(COMMAND_HELP[command] as (typeof COMMAND_HELP)[string]).usage}\n`);
      return 2;
    }
  }
  const logger = stderrLogger(io, o.verbose ?? false);
  try {
    const configFile = path.resolve(io.cwd, o.config ?? CONFIG_RELATIVE_PATH);
    const folder = folderOf(configFile);
    const inFolder = sameFolderAs(folder);
    const stateDir = defaultStateDir(io.env);
    const locks = cliLocks(stateDir);
    const history = cliHistory(stateDir, locks);
    const int = (v: string | undefined, name: string, dflt: number, max = 1000): number => {
      if (v === undefined) return dflt;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`--${name} must be a whole number from 1 to ${max}`);
      return n;
    };
    // Proxy (src/cli/proxyEnv.ts): only commands that call Cloudflare load and announce it.
    const transport = command === 'rotate' || command === 'resume' || command === 'retire' ? proxyTransportFromEnv(io.env, cliApiBase({ env: io.env, apiBase: o['api-base'] }), io.stderr) : undefined;
    const timeoutText = o.timeout ?? io.env.CF_ROTATE_TIMEOUT;
    const timeoutMs = timeoutText === undefined ? undefined : Math.round(Number(timeoutText) * 1000);
    if (timeoutMs !== undefined && (!Number.isFinite(timeoutMs) || timeoutMs < 100 || timeoutMs > 600_000)) {
      throw new UsageError(`${o.timeout !== undefined ? '--timeout' : 'CF_ROTATE_TIMEOUT'} must be a number of seconds from 0.1 to 600`);
    }
    const github = cliGitHubAccess({ env: io.env, logger, timeoutMs, say: io.stderr });
    const engine = createCliEngine({ env: io.env, stateDir, history, locks, logger, apiBase: o['api-base'], timeoutMs, transport, github });
    /** `settledOk`: results that need no action count as success (resume's "not rotated, safe to retry"). */
    const emit = (results: RotationResult[], settledOk = false): number => {
      const good = (r: RotationResult): boolean => r.ok || (settledOk && settledSafely(r));
      if (o.json) io.stdout(`${JSON.stringify(results, null, 2)}\n`);
      // The same cause for several tokens (no credential, a rejected credential: the same words) is said once, naming them all.
      const shared = new Map<string, RotationResult[]>();
      for (const r of results) {
        if (!good(r) && r.error && (r.error.kind === 'credential-missing' || r.error.kind === 'auth') && r.state === 'failed') {
          const k = `${r.error.kind}\u0000${r.error.message}\u0000${r.error.hint ?? ''}`;
          shared.set(k, [...(shared.get(k) ?? []), r]);
        }
      }
      const once = new Set<RotationResult>();
      for (const group of shared.values()) {
        if (group.length < 2) continue;
        for (const r of group) once.add(r);
        const first = group[0] as RotationResult;
        io.stderr(`✗ ${group.map((r) => r.name).join(', ')}: ${first.error?.message ?? 'failed'}${first.error?.hint ? ` ${first.error.hint}` : ''}\n`);
      }
      for (const r of results) if (!once.has(r)) (good(r) ? (s: string) => (o.json ? undefined : io.stdout(s)) : io.stderr)(`${formatResult(r, settledOk)}\n`);
      for (const r of results) for (const w of r.warnings) io.stderr(`! ${r.name}: ${w}\n`);
      return results.every(good) ? 0 : 1;
    };

    switch (command) {
      case 'validate': {
        const cfg = await loadConfig(configFile);
        // A target that is there and is no regular file (FIFO, device, socket, directory) is refused here too, by its JSON path.
        const issues = await targetFileIssues(folder, cfg.tokens, undefined, configFile);
        if (issues.length > 0) throw new ConfigError(configFile, issues);
        io.stdout(`${configFile}: ${cfg.tokens.length} token(s), valid.\n`);
        return 0;
      }
      case 'list': {
        const cfg = await loadConfig(configFile);
        const entries = await history.list();
        const last = lastRotations(entries);
        const lost = unsettledLosses(entries);
        const retiring = (await engine.retirements.list().catch(() => [] as Retirement[])).filter((r) => inFolder(r.folder));
        const now = Date.now();
        const rows = cfg.tokens.map((t) => {
          const h = last.get(historyKey(folder, t.name));
          const lostAt = lost.get(historyKey(folder, t.name))?.at;
          const at = h ? Date.parse(h.at) : undefined;
          const due = dueInfo(t, at, now, int(o['reminder-days'], 'reminder-days', 7), h?.expiresAt ? Date.parse(h.expiresAt) : undefined);
          const r = retiring.find((x) => x.name === t.name);
          return {
            name: t.name,
            kind: t.kind,
            profile: t.profile,
            lastRotated: h?.at ?? null,
            expiresAt: h?.expiresAt ?? null,
            due: due.state,
            targets: t.targets.map(targetLabel),
            ...(lostAt ? { lostAt } : {}),
            ...(r ? { retirement: { dueAt: new Date(r.dueAt).toISOString(), attempts: r.attempts, ...(r.lastError ? { lastError: r.lastError } : {}), text: retirementText(r, now) } } : {}),
          };
        });
        if (o.json) io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
        else if (rows.length === 0) io.stdout('No tokens configured.\n');
        else
          for (const r of rows) {
            const when = r.lastRotated ? `rotated ${relativeTime(Date.parse(r.lastRotated), now)}` : 'never rotated by cf-rotate';
            const lostText = r.lostAt ? `  (last rotation lost its secret ${relativeTime(Date.parse(r.lostAt), now)}: rotate it again)` : '';
            io.stdout(`${r.name}  [${r.kind}]  ${when}  ${r.due}${lostText}${r.retirement ? `  (${r.retirement.text})` : ''}  → ${r.targets.join(', ')}\n`);
          }
        return 0;
      }
      case 'rotate': {
        const cfg = await loadConfig(configFile);
        if (!o.all && !o.due && names.length === 0) throw new UsageError('rotate needs token names, --all or --due');
        if ((o.all ? 1 : 0) + (o.due ? 1 : 0) + (names.length > 0 ? 1 : 0) > 1) throw new UsageError('give token names, --all or --due, not several');
        let chosen: TokenConfig[];
        const unreadable: RotationResult[] = []; // --due-from cloudflare|auto: last rotation unknown (src/cli/due.ts)
        const dueFrom = parseDueFrom(o['due-from'], o.due ?? false);
        if (o.all) chosen = cfg.tokens;
        else if (o.due) {
          const picked = await selectDue(cfg.tokens, { folder, history, from: dueFrom, reminderDays: int(o['reminder-days'], 'reminder-days', 7), env: io.env, logger, apiBase: o['api-base'], transport });
          chosen = picked.due;
          unreadable.push(...picked.failed);
        } else {
          const unknown = names.filter((n) => !cfg.tokens.some((t) => t.name === n));
          if (unknown.length) throw new CfRotateError('config', `Unknown token(s): ${unknown.join(', ')}.`, { hint: `Configured: ${cfg.tokens.map((t) => t.name).join(', ') || 'none'}.` });
          chosen = names.map((n) => cfg.tokens.find((t) => t.name === n) as TokenConfig);
        }
        const resumed: RotationResult[] = [];
        let retireFailed = false;
        if (!o['dry-run']) {
          await housekeeping(stateDir, engine, folder, cfg, logger, configFile);
          for (const j of await engine.interrupted()) {
            const r = inFolder(j.folder) ? await resumeIfThere(engine, j.id) : undefined;
            if (r) resumed.push(r);
          }
          // Due retirements of this folder (previous tokens after "replace", previous OAuth secrets).
          retireFailed = reportRetirements(io, await engine.retirements.carryOut((r) => inFolder(r.folder), { inUse: inUseBy(cfg) }), false, o.json === true);
        }
        if (chosen.length === 0 && resumed.length === 0 && unreadable.length === 0) {
          io.stdout(o.json ? '[]\n' : 'Nothing to rotate.\n');
          return retireFailed ? 1 : 0;
        }
        const results = await engine.rotateMany(chosen.map((token) => ({ folder, token })), {
          dryRun: o['dry-run'] ?? false,
          concurrency: int(o.concurrency, 'concurrency', 8),
          config: path.relative(folder, configFile),
          ...(io.signal ? { signal: io.signal } : {}),
        });
        return Math.max(emit([...resumed, ...unreadable, ...results]), retireFailed ? 1 : 0);
      }
      case 'retire': {
        const cfg = await loadConfig(configFile).catch(() => undefined);
        await housekeeping(stateDir, engine, folder, cfg, logger, configFile);
        const scanned = await engine.retirements.scan();
        const pending = scanned.pending.filter((r) => inFolder(r.folder));
        const missing = names.filter((n) => !pending.some((r) => r.name === n));
        if (missing.length > 0) {
          throw new CfRotateError('not-found', `No pending retirement of ${missing.map((n) => `"${n}"`).join(', ')} in ${folder}.`, {
            hint: pending.length ? `Pending: ${[...new Set(pending.map((r) => r.name))].join(', ')}.` : 'Nothing is pending in this folder.',
          });
        }
        // A record that cannot be read (another user's file, a newer format) may be the only note of a live previous credential: named, exit 1.
        const unreadable = scanned.unreadable;
        for (const u of unreadable) io.stderr(`✗ ${terminal(redact(unreadableRetirementText(u)))}\n`);
        if (pending.length === 0) {
          io.stdout(o.json ? '[]\n' : 'No pending retirements.\n');
          return unreadable.length > 0 ? 1 : 0;
        }
        const results = await engine.retirements.carryOut((r) => inFolder(r.folder) && (names.length === 0 || names.includes(r.name)), {
          now: o.now ?? false,
          inUse: inUseBy(cfg),
          ...(io.signal ? { signal: io.signal } : {}),
        });
        if (o.json) io.stdout(`${JSON.stringify(results, null, 2)}\n`);
        return reportRetirements(io, results, !o.json, o.json === true) || unreadable.length > 0 ? 1 : 0;
      }
      case 'resume': {
        const waitS = o.wait === undefined ? 20 : Number(o.wait);
        if (!Number.isFinite(waitS) || waitS < 0 || waitS > 600) throw new UsageError('--wait must be a number of seconds from 0 to 600');
        const cfg = await loadConfig(configFile).catch(() => undefined);
        await housekeeping(stateDir, engine, folder, cfg, logger, configFile);
        const pending = (await engine.interrupted()).filter((j) => !o.config || inFolder(j.folder));
        const results: RotationResult[] = [];
        // A stop signal (Ctrl-C, SIGTERM) ends a wait for a deadline: the rotation is then answered with what is known (it stays journaled).
        const resumeOpts = { overwriteConflicts: o['overwrite-conflicts'] ?? false, waitForDeadlineMs: waitS * 1000, takeOver: o['take-over'] === true, ...(io.signal ? { signal: io.signal } : {}) };
        for (const j of pending) {
          const r = await resumeIfThere(engine, j.id, resumeOpts);
          if (r) results.push(r);
        }
        // Held by a process this machine cannot check: listed (never silently skipped: one may hold
        // a new secret whose process is gone), and finished here with --take-over.
        const held = (await engine.journal.heldUnverifiably()).filter(({ entry }) => !o.config || inFolder(entry.folder));
        for (const { entry, holder } of held) {
          // Taken over, or let go meanwhile by its holder: finished here.
          if (o['take-over'] && (await takeOverJournal(engine.journal, entry, logger))) {
            const r = await resumeIfThere(engine, entry.id, resumeOpts);
            if (r) results.push(r);
          } else results.push(heldResult(entry, holder, { triedTakeOver: o['take-over'] === true }));
        }
        // Nothing left to resume does not mean every target works: a rotation that lost its secret
        // (reported once, when it was found) left its targets with a dead value until it is rotated again.
        const lost = lossesOf(await history.list(), inFolder, cfg, results);
        const unreadable = (await engine.journal.unreadable()).filter((u) => !o.config || u.folder === undefined || inFolder(u.folder));
        if (pending.length === 0 && held.length === 0 && lost.length === 0 && unreadable.length === 0) {
          io.stdout(o.json ? '[]\n' : 'No interrupted rotations.\n');
          return 0;
        }
        if (pending.length === 0 && held.length === 0 && !o.json) io.stdout('No interrupted rotations.\n');
        for (const u of unreadable) io.stderr(`✗ ${unreadableJournalText(u, stateDir)}\n`);
        return Math.max(emit([...results, ...lost], true), unreadable.length > 0 ? 1 : 0);
      }
      case 'discard': {
        if (names.length === 0) throw new UsageError('discard needs the name of the token whose interrupted rotation to discard');
        const cfg = await loadConfig(configFile).catch(() => undefined);
        await housekeeping(stateDir, engine, folder, cfg, logger, configFile);
        const all = await engine.journal.list();
        const hits = journalsFor(all, folder, names, cfg);
        const missing = names.filter((n) => !hits.some((j) => j.token === n || (cfg?.tokens.find((t) => t.name === n) && resourceId(cfg.tokens.find((t) => t.name === n) as TokenConfig) === j.id)));
        if (missing.length > 0) {
          throw new CfRotateError('not-found', `No interrupted rotation of ${missing.map((n) => `"${n}"`).join(', ')} in ${folder}.`, { hint: 'Run "cf-rotate resume" to see and finish interrupted rotations.' });
        }
        if (!o.yes) {
          // --json: stdout carries the JSON only (what discarding each would mean); the advice goes to stderr.
          if (o.json) io.stdout(`${JSON.stringify(hits.map((j) => ({ name: j.token, discarded: false, explanation: discardExplanation(j) })), null, 2)}\n`);
          else for (const j of hits) io.stdout(`${j.token}: ${discardExplanation(j)}\n`);
          (o.json ? io.stderr : io.stdout)('Nothing was discarded. Run the same command with --yes to discard.\n');
          return 1;
        }
        const out: { name: string; discarded: boolean; error?: string }[] = [];
        for (const j of hits) {
          try {
            await engine.discard(j.id, 'cf-rotate discard');
            out.push({ name: j.token, discarded: true });
            if (!o.json) io.stdout(`• ${j.token}: discarded. ${discardExplanation(j).split('. ')[0]}.\n`);
          } catch (e) {
            const err = toCfRotateError(e);
            out.push({ name: j.token, discarded: false, error: err.message });
            io.stderr(`✗ ${j.token}: ${redact(err.userMessage)}\n`);
          }
        }
        if (o.json) io.stdout(`${JSON.stringify(out, null, 2)}\n`);
        return out.every((x) => x.discarded) ? 0 : 1;
      }
      case 'history': {
        const entries = await history.list(int(o.limit, 'limit', 50));
        if (o.json) io.stdout(`${JSON.stringify(entries, null, 2)}\n`);
        else if (entries.length === 0) io.stdout('No rotations recorded yet.\n');
        else for (const e of entries) io.stdout(`${e.at}  ${e.name}  ${e.outcome}${e.error ? `: ${e.error}` : ''}${e.retired ? `: ${e.retired}` : ''}  → ${e.targets.join(', ') || '-'}\n`);
        return 0;
      }
      case undefined:
        throw new UsageError('missing command');
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`cf-rotate: ${e.message}\nRun cf-rotate --help for usage.\n`);
      return 2;
    }
    const err = toCfRotateError(e);
    io.stderr(`cf-rotate: ${redact(err.userMessage)}\n`);
    return err.kind === 'config' || err.kind === 'validation' ? 2 : 1;
  }
}

if (require.main === module) {
  // Ctrl-C once, or SIGTERM / SIGHUP (a CI job cancelled, a terminal closed): stop starting new
  // rotations, let the ones in flight finish (never cut a rotation in half). A second signal quits
  // now: a secret that arrived is in the journal, but one whose answer is still out can be lost
  // (Cloudflare may apply the call after cf-rotate is gone; cf-rotate resume says so).
  const stop = new AbortController();
  // A closed terminal (SIGHUP) makes every later write to it fail with EIO, reported as an 'error'
  // event: without a listener that event would end the process in the middle of a rotation.
  for (const s of [process.stdout, process.stderr]) s.on('error', () => undefined);
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.on(sig, () => {
      if (!stop.signal.aborted) {
        stop.abort();
        if (sig !== 'SIGHUP') process.stderr.write(`\ncf-rotate: ${sig === 'SIGINT' ? '' : `${sig}: `}stopping after the rotations in flight. A second Ctrl-C (or signal) quits now, but a rotation whose call is still out could then lose its new secret; "cf-rotate resume" finishes anything interrupted.\n`);
      } else process.exit(code);
    });
  }
  main(process.argv.slice(2), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    env: process.env,
    cwd: process.cwd(),
    signal: stop.signal,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`cf-rotate: unexpected error: ${redact(e instanceof Error ? e.message : String(e))}\n`);
      process.exitCode = 1;
    },
  );
}
