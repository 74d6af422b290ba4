/**
 * Is a target protected from git? Inside a git work tree, a target that git tracks or does not
 * ignore could carry the new secret into a commit: the engine refuses it (unless the target says
 * `"allowTracked": true`). Outside a work tree there is nothing to leak through git.
 *
 * git is run by an absolute path found outside the workspace (a `git`/`git.exe` committed to a
 * repository never runs), with the repository's fsmonitor hook switched off, a timeout, and no
 * shell. When a `.git` exists but git cannot answer (missing, hangs, fails), the answer carries a
 * `problem` and the target is refused with that reason: never passed silently.
 */
import { execFile } from 'node:child_process';
import { constants as C, promises as fs, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import type { Git, GitStatus } from '../ports';
import { isInsideOrSame } from './checked';

interface ExecOutcome {
  code: number | undefined;
  stdout: string;
  error?: string;
}

function run(git: string, cwd: string, args: string[], timeoutMs: number, input?: string): Promise<ExecOutcome> {
  return new Promise((resolve) => {
    const child = execFile(
      git,
      ['-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=', ...args],
      { cwd, timeout: timeoutMs, windowsHide: true, maxBuffer: 4 * 1024 * 1024, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0' } },
      (err, stdout) => {
        if (!err) return resolve({ code: 0, stdout });
        const e = err as NodeJS.ErrnoException & { code?: string | number; killed?: boolean; signal?: string };
        if (e.killed || e.signal === 'SIGTERM') return resolve({ code: undefined, stdout, error: l10n.t('git did not answer within {0} s', timeoutMs / 1000) });
        if (typeof e.code === 'number') return resolve({ code: e.code, stdout });
        resolve({ code: undefined, stdout, error: e.code === 'ENOENT' ? l10n.t('git is not installed') : l10n.t('git failed ({0})', String(e.code ?? e.message)) });
      },
    );
    if (input !== undefined) {
      // A git that exits without reading its input (failing, or not git at all) closes the pipe:
      // the EPIPE is an answer of the run (its exit code says what happened), not an uncaught error.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(input);
    }
  });
}

/** A path as given and with its links resolved (when it exists). */
function bothForms(p: string): string[] {
  const abs = path.resolve(p);
  try {
    const real = realpathSync(abs);
    return real === abs ? [abs] : [abs, real];
  } catch {
    return [abs];
  }
}

/**
 * Whether `p` lies in one of `roots`, comparing each as given and with its links resolved: a
 * workspace reached through a link (or a link into it) is still the workspace.
 */
function insideAny(roots: readonly string[], p: string): boolean {
  const rs = roots.flatMap(bothForms);
  return bothForms(p).some((c) => rs.some((r) => isInsideOrSame(r, c)));
}

/**
 * An absolute path to git from PATH, skipping relative entries and every entry inside one of
 * `exclude` (the workspace folders), and a git that is a link into one of them, so a git planted
 * in a repository is never found.
 */
export function findGit(env: NodeJS.ProcessEnv, exclude: readonly string[]): string | undefined {
  const names = process.platform === 'win32' ? ['git.exe', 'git.cmd', 'git.bat'] : ['git'];
  const pathVar = env.PATH ?? env.Path ?? '';
  for (const dir of pathVar.split(path.delimiter)) {
    if (dir === '' || !path.isAbsolute(dir)) continue;
    if (insideAny(exclude, dir)) continue;
    for (const n of names) {
      const p = path.join(dir, n);
      try {
        const st = statSync(p);
        if (st.isFile() && (process.platform === 'win32' || (st.mode & 0o111) !== 0) && !insideAny(exclude, p)) return p;
      } catch {
        /* not here */
      }
    }
  }
  return undefined;
}

/** The nearest directory at or above `dir` that holds a `.git` (directory or file), if any. */
async function workTreeOf(dir: string): Promise<string | undefined> {
  let d = dir;
  for (;;) {
    try {
      await fs.access(path.join(d, '.git'), C.F_OK);
      return d;
    } catch {
      /* keep looking */
    }
    const up = path.dirname(d);
    if (up === d) return undefined;
    d = up;
  }
}

export interface NodeGitOptions {
  /** Where to look for git (default process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * An absolute git path configured by the user (VS Code's git.path, user level only), or a
   * function read at each run (a changed setting counts without a reload). Never used when it
   * lies inside the folder asked about.
   */
  configured?: string | undefined | (() => string | undefined);
  timeoutMs?: number;
}

interface Waiter {
  rels: readonly string[];
  resolve(m: Map<string, GitStatus>): void;
  reject(e: unknown): void;
}

export class NodeGit implements Git {
  /** Per folder: requests that arrived while git ran for that folder, answered together by the next run. */
  private readonly queued = new Map<string, Waiter[]>();
  private readonly busy = new Set<string>();

  constructor(private readonly opts: NodeGitOptions = {}) {}

  /**
   * Coalesced per folder ("group commit"): a request made while git runs for the same folder waits
   * for the next run, which asks about every waiting path at once (a batch of rotations spawned two
   * git processes per credential). Each answer comes from a git run that started after the request.
   * When a shared run reports a problem, each request is asked again on its own (all at once, as
   * before), so one path git cannot answer for never decides another's.
   */
  status(folder: string, rels: readonly string[]): Promise<Map<string, GitStatus>> {
    return new Promise((resolve, reject) => {
      const q = this.queued.get(folder) ?? [];
      q.push({ rels, resolve, reject });
      this.queued.set(folder, q);
      this.pump(folder);
    });
  }

  private pump(folder: string): void {
    if (this.busy.has(folder)) return;
    const waiters = this.queued.get(folder);
    if (!waiters?.length) return;
    this.queued.delete(folder);
    this.busy.add(folder);
    void this.answer(folder, waiters).finally(() => {
      this.busy.delete(folder);
      this.pump(folder);
    });
  }

  private async answer(folder: string, waiters: readonly Waiter[]): Promise<void> {
    const pick = (all: Map<string, GitStatus>, rels: readonly string[]): Map<string, GitStatus> =>
      new Map(rels.flatMap((r) => (all.has(r) ? [[r, all.get(r) as GitStatus] as const] : [])));
    if (waiters.length > 1) {
      try {
        const all = await this.statusNow(folder, [...new Set(waiters.flatMap((w) => w.rels))]);
        if (![...all.values()].some((s) => s.problem !== undefined)) {
          for (const w of waiters) w.resolve(pick(all, w.rels));
          return;
        }
      } catch {
        /* asked again one by one below */
      }
    }
    await Promise.all(waiters.map((w) => this.statusNow(folder, w.rels).then(w.resolve, w.reject)));
  }

  /** `roots`: the folder asked about, as given and as its real path. */
  private gitFor(roots: readonly string[]): string | undefined {
    const c = typeof this.opts.configured === 'function' ? this.opts.configured() : this.opts.configured;
    if (c && path.isAbsolute(c) && !insideAny(roots, c)) return c;
    return findGit(this.opts.env ?? process.env, roots);
  }

  private async statusNow(folder: string, rels: readonly string[]): Promise<Map<string, GitStatus>> {
    const out = new Map<string, GitStatus>();
    const realFolder = await fs.realpath(folder).catch(() => folder);
    // Per work tree: each target as git must see it. That is the file cf-rotate writes (the name
    // split on / and \ as the checked writer splits it, without "." or empty parts), relative to
    // the repository that holds it (a nested repository answers for its own files), passed
    // literally: ls-files with --literal-pathspecs (a name like ":x.env" or "a*.env" is a file, not
    // a pattern); check-ignore refuses that option and reads a leading ":" on stdin as pathspec
    // magic (":.env" was answered as ".env", ignored), so each path goes to it as "./<path>", which
    // no magic starts with, and its answer (the paths as given) is read back the same way.
    const byTree = new Map<string, { rel: string; path: string }[]>();
    for (const rel of rels) {
      const parts = rel.split(/[\\/]+/).filter((x) => x !== '' && x !== '.');
      const named = path.resolve(realFolder, ...parts);
      // A target that is a link (inside the folder: the writer refuses others) is written through
      // to the file it names: git is asked about that file.
      const real = await fs.realpath(named).catch(() => undefined);
      const abs = real ?? named;
      const dir = real !== undefined ? path.dirname(real) : await fs.realpath(path.dirname(named)).catch(() => path.dirname(named));
      const tree = await workTreeOf(dir);
      if (tree === undefined) out.set(rel, { inWorkTree: false });
      else byTree.set(tree, [...(byTree.get(tree) ?? []), { rel, path: path.relative(tree, path.join(dir, path.basename(abs))).split(path.sep).join('/') }]);
    }
    if (byTree.size === 0) return out;
    const git = this.gitFor([folder, realFolder]);
    const timeoutMs = this.opts.timeoutMs ?? 5_000;
    for (const [tree, list] of byTree) {
      if (git === undefined) {
        for (const { rel } of list) out.set(rel, { inWorkTree: true, workTree: tree, problem: l10n.t('git is not installed (or not on PATH outside the workspace)') });
        continue;
      }
      const paths = list.map((x) => x.path);
      const ls = await run(git, tree, ['--literal-pathspecs', 'ls-files', '-z', '--', ...paths], timeoutMs);
      // Once ls-files failed (or did not answer) the answer is a problem: check-ignore is not asked (a hung git costs one timeout, not two).
      const ig = ls.error !== undefined || ls.code !== 0 ? { code: 0, stdout: '' } : await run(git, tree, ['check-ignore', '-z', '--stdin'], timeoutMs, paths.map((r) => `./${r}\0`).join(''));
      const problem = ls.error ?? ig.error ?? (ls.code !== 0 ? l10n.t('git ls-files failed (exit {0})', String(ls.code)) : ig.code !== 0 && ig.code !== 1 ? l10n.t('git check-ignore failed (exit {0})', String(ig.code)) : undefined);
      const tracked = new Set(ls.stdout.split('\0').filter(Boolean));
      const ignored = new Set(ig.stdout.split('\0').flatMap((x) => (x.startsWith('./') ? [x.slice(2)] : [])));
      for (const { rel, path: p } of list) {
        out.set(rel, problem ? { inWorkTree: true, workTree: tree, problem } : { inWorkTree: true, workTree: tree, tracked: tracked.has(p), ignored: ignored.has(p) });
      }
    }
    return out;
  }
}
