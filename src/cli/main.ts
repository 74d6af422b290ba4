/**
 * cf-rotate: the CI face of the same core the extension uses.
 * Exit codes: 0 everything rotated, 1 some rotations failed, 2 usage or configuration error.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_API_BASE_URL } from '../core/cloudflare/client';
import { CONFIG_RELATIVE_PATH, parseConfig } from '../core/config/load';
import type { CfRotateConfig, TokenConfig } from '../core/config/schema';
import type { RotationResult } from '../core/engine/engine';
import { CfRotateError, toCfRotateError } from '../core/errors';
import { historyKey, lastRotations } from '../core/history';
import { redactingLogger } from '../core/log';
import { FileHistory } from '../core/node/historyFile';
import { defaultStateDir } from '../core/node/secretFile';
import type { Logger } from '../core/ports';
import { VERSION } from '../core/version';
import { createCliEngine } from './engine';
import { redact, registerSecret } from '../core/redact';
import { dueInfo, isDue, relativeTime } from '../core/schedule';

export const HELP = `cf-rotate ${VERSION}: rotate Cloudflare credentials and write the new secrets into .env files.

Usage:
  cf-rotate list    [--config FILE] [--json]
  cf-rotate rotate  NAME... | --all | --due  [--config FILE] [--dry-run] [--json] [--concurrency N]
  cf-rotate resume  [--config FILE] [--overwrite-conflicts] [--json]
  cf-rotate history [--json] [--limit N]
  cf-rotate validate [--config FILE]

Options:
  --config FILE       cf-rotate.json to use (default: ${CONFIG_RELATIVE_PATH} under the current directory).
                      Target paths resolve against the folder that holds .vscode/.
  --api-base URL      Cloudflare API base URL (default: $CLOUDFLARE_API_BASE_URL or ${DEFAULT_API_BASE_URL}).
                      https only; http is allowed to loopback addresses (tests, the simulator).
  --dry-run           Check configuration, credentials and target files; rotate nothing.
  --json              Machine-readable output on stdout (never contains a secret).
  --concurrency N     Rotations in flight at once (default 8).
  --reminder-days N   With --due: also rotate tokens due within N days (default 7).
  --verbose           Log requests to stderr (secrets are redacted).
  -h, --help          Show this help.   -v, --version   Show the version.

Credentials (the admin credential that performs rotations, as wrangler reads it):
  CLOUDFLARE_API_TOKEN                      API token, for profile "default"
  CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY     email + Global API key, for profile "default"
  CLOUDFLARE_API_TOKEN_<PROFILE>            for a token whose "profile" is <profile> (upper-case, _ for others)

State: interrupted-rotation journals (they may hold a new secret until it is written) and history
live in a 0600 file under $CF_ROTATE_STATE_DIR or $XDG_STATE_HOME/cf-rotate, never in the workspace.
"rotate" first finishes any interrupted rotation of the same folder.

Exit status: 0 all rotated, 1 some failed (reasons on stderr), 2 usage or configuration error.
`;

interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
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

async function loadConfig(file: string): Promise<CfRotateConfig> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new CfRotateError('config', `Cannot read ${file}.`, { hint: 'Create .vscode/cf-rotate.json or pass --config FILE.' });
  }
  return parseConfig(text, file);
}

/** The folder whose .vscode/ holds the config (target paths resolve against it). */
export function folderOf(configFile: string): string {
  const dir = path.dirname(path.resolve(configFile));
  return path.basename(dir) === '.vscode' ? path.dirname(dir) : dir;
}

function formatResult(r: RotationResult): string {
  if (r.ok) {
    const how = r.state === 'planned' ? 'ok (dry run)' : r.state === 'recovered' ? 'recovered' : 'rotated';
    const extra = [r.verified === true ? 'verified' : undefined, r.graceUntil ? `previous secret valid until ${r.graceUntil}` : undefined].filter(Boolean);
    return `✓ ${r.name}: ${how} → ${r.targets.join(', ')}${extra.length ? ` (${extra.join('; ')})` : ''}`;
  }
  return `✗ ${r.name}: ${r.error?.message ?? 'failed'}${r.error?.hint ? ` ${r.error.hint}` : ''}`;
}

export async function main(argv: string[], rawIo: Io): Promise<number> {
  registerEnvCredentials(rawIo.env);
  // Everything printed goes through the redactor when it is printed, whoever registered a secret and when.
  const io: Io = { ...rawIo, stdout: (s) => rawIo.stdout(redact(s)), stderr: (s) => rawIo.stderr(redact(s)) };
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
        'overwrite-conflicts': { type: 'boolean' },
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
  if (o.help) {
    io.stdout(HELP);
    return 0;
  }
  if (o.version) {
    io.stdout(`${VERSION}\n`);
    return 0;
  }
  const [command, ...names] = positionals;
  const logger = stderrLogger(io, o.verbose ?? false);
  try {
    const configFile = path.resolve(io.cwd, o.config ?? CONFIG_RELATIVE_PATH);
    const folder = folderOf(configFile);
    const stateDir = defaultStateDir(io.env);
    const history = new FileHistory(path.join(stateDir, 'history.jsonl'));
    const int = (v: string | undefined, name: string, dflt: number): number => {
      if (v === undefined) return dflt;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UsageError(`--${name} must be a whole number from 1 to 1000`);
      return n;
    };
    const engine = createCliEngine({ env: io.env, stateDir, history, logger, apiBase: o['api-base'] });
    const emit = (results: RotationResult[]): number => {
      if (o.json) io.stdout(`${JSON.stringify(results, null, 2)}\n`);
      for (const r of results) (r.ok ? (s: string) => (o.json ? undefined : io.stdout(s)) : io.stderr)(`${formatResult(r)}\n`);
      for (const r of results) for (const w of r.warnings) io.stderr(`! ${r.name}: ${w}\n`);
      return results.every((r) => r.ok) ? 0 : 1;
    };

    switch (command) {
      case 'validate': {
        const cfg = await loadConfig(configFile);
        io.stdout(`${configFile}: ${cfg.tokens.length} token(s), valid.\n`);
        return 0;
      }
      case 'list': {
        const cfg = await loadConfig(configFile);
        const last = lastRotations(await history.list());
        const now = Date.now();
        const rows = cfg.tokens.map((t) => {
          const h = last.get(historyKey(folder, t.name));
          const at = h ? Date.parse(h.at) : undefined;
          const due = dueInfo(t, at, now, int(o['reminder-days'], 'reminder-days', 7), h?.expiresAt ? Date.parse(h.expiresAt) : undefined);
          return { name: t.name, kind: t.kind, profile: t.profile, lastRotated: h?.at ?? null, expiresAt: h?.expiresAt ?? null, due: due.state, targets: t.targets.map((x) => `${x.file} › ${x.key}`) };
        });
        if (o.json) io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
        else if (rows.length === 0) io.stdout('No tokens configured.\n');
        else
          for (const r of rows) {
            const when = r.lastRotated ? `rotated ${relativeTime(Date.parse(r.lastRotated), now)}` : 'never rotated by cf-rotate';
            io.stdout(`${r.name}  [${r.kind}]  ${when}  ${r.due}  → ${r.targets.join(', ')}\n`);
          }
        return 0;
      }
      case 'rotate': {
        const cfg = await loadConfig(configFile);
        if (!o.all && !o.due && names.length === 0) throw new UsageError('rotate needs token names, --all or --due');
        if ((o.all ? 1 : 0) + (o.due ? 1 : 0) + (names.length > 0 ? 1 : 0) > 1) throw new UsageError('give token names, --all or --due, not several');
        let chosen: TokenConfig[];
        if (o.all) chosen = cfg.tokens;
        else if (o.due) {
          const last = lastRotations(await history.list());
          const reminder = int(o['reminder-days'], 'reminder-days', 7);
          chosen = cfg.tokens.filter((t) => {
            const h = last.get(historyKey(folder, t.name));
            return isDue(dueInfo(t, h ? Date.parse(h.at) : undefined, Date.now(), reminder, h?.expiresAt ? Date.parse(h.expiresAt) : undefined));
          });
        } else {
          const unknown = names.filter((n) => !cfg.tokens.some((t) => t.name === n));
          if (unknown.length) throw new CfRotateError('config', `Unknown token(s): ${unknown.join(', ')}.`, { hint: `Configured: ${cfg.tokens.map((t) => t.name).join(', ') || 'none'}.` });
          chosen = names.map((n) => cfg.tokens.find((t) => t.name === n) as TokenConfig);
        }
        const resumed: RotationResult[] = [];
        if (!o['dry-run']) {
          for (const j of await engine.interrupted()) {
            if (j.folder === folder) resumed.push(await engine.resume(j.id));
          }
        }
        if (chosen.length === 0 && resumed.length === 0) {
          io.stdout(o.json ? '[]\n' : 'Nothing to rotate.\n');
          return 0;
        }
        const results = await engine.rotateMany(chosen.map((token) => ({ folder, token })), { dryRun: o['dry-run'] ?? false, concurrency: int(o.concurrency, 'concurrency', 8) });
        return emit([...resumed, ...results]);
      }
      case 'resume': {
        const pending = (await engine.interrupted()).filter((j) => !o.config || j.folder === folder);
        if (pending.length === 0) {
          io.stdout(o.json ? '[]\n' : 'No interrupted rotations.\n');
          return 0;
        }
        const results: RotationResult[] = [];
        for (const j of pending) results.push(await engine.resume(j.id, { overwriteConflicts: o['overwrite-conflicts'] ?? false }));
        return emit(results);
      }
      case 'history': {
        const entries = await history.list(int(o.limit, 'limit', 50));
        if (o.json) io.stdout(`${JSON.stringify(entries, null, 2)}\n`);
        else if (entries.length === 0) io.stdout('No rotations recorded yet.\n');
        else for (const e of entries) io.stdout(`${e.at}  ${e.name}  ${e.outcome}${e.error ? `: ${e.error}` : ''}  → ${e.targets.join(', ')}\n`);
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
  main(process.argv.slice(2), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    env: process.env,
    cwd: process.cwd(),
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
