/**
 * Ports: the only ways the core touches the outside world. The extension implements
 * them over the VS Code API (src/host), the CLI over Node (src/core/node), tests with fakes.
 */
import { readFileSync } from 'node:fs';
import { uptime } from 'node:os';

/** Durable secret storage (VS Code SecretStorage, or a 0600 file for the CLI). */
export interface SecretStore {
  get(key: string): Promise<string | undefined>;
  store(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** Keys currently stored that start with `prefix`. */
  keys(prefix: string): Promise<string[]>;
}

/** Extra refusals for a file under a root (targets: never under `.git/`, never the config file). */
export interface FileRules {
  /** Refuse anything whose real path has a `.git` component (default true). */
  denyGitDir?: boolean;
  /** Real paths relative to the root that must never be touched. */
  deny?: readonly string[];
  /** Largest file read (default 50 MiB). */
  maxBytes?: number;
  /**
   * The file must be this one: its real path relative to the root's real path (`CheckedFile.inner`)
   * as judged before (a rotation's preflight). A name that leads elsewhere now (a link swapped in
   * meanwhile) is refused at the moment of acting.
   */
  sameAs?: string;
}

export interface CheckedFile {
  /** The real path (every checked link resolved). */
  real: string;
  /** The real path relative to the root's real path (what `FileRules.sameAs` names). */
  inner?: string;
  exists: boolean;
  mode?: number;
  size?: number;
}

/**
 * Files under a root folder, through one checked reader/writer: every call re-checks that the
 * file is inside the root after resolving links, is a regular file, and obeys the rules, at the
 * moment it acts; writes are atomic (temp + fsync + rename), keep the mode, create files 0600.
 */
export interface Files {
  /** Resolve and check a file, and that it can be written (or created). Throws 'file'/'config'. */
  check(root: string, rel: string, rules?: FileRules): Promise<CheckedFile>;
  /** Contents, or `undefined` when the file does not exist. */
  read(root: string, rel: string, rules?: FileRules): Promise<{ bytes: Uint8Array; file: CheckedFile } | undefined>;
  /**
   * Replace or create atomically; `mode` for a new file (default 0600). `createOnly`: create the
   * file, never replace one (a 'file' error with an EEXIST cause when the name is taken).
   */
  write(root: string, rel: string, data: Uint8Array, rules?: FileRules & { mode?: number; createOnly?: boolean }): Promise<CheckedFile>;
  /** Create a folder (and missing parents) under the root, checked like a write; returns its real path. */
  createFolder?(root: string, rel: string, rules?: FileRules): Promise<string>;
  /** Remove temporary files beside `rel` that processes which are gone left behind. */
  sweep(root: string, rel: string): Promise<number>;
  /**
   * Optional editor integration: `true` when an editor holds unsaved changes for the real path.
   * Hosts without editors omit it.
   */
  isDirty?(realPath: string): boolean;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Time since this machine booted (suspend included), with the boot's id: a clock no wall-clock
   * step moves (NTP after a suspend, a VM restore, a process with a skewed clock). Undefined where
   * the system does not say (then only the wall clock is used).
   */
  sinceBoot?(): { boot: string; ms: number } | undefined;
}

let bootId: string | null | undefined;
/** Linux: the kernel's boot id and CLOCK_BOOTTIME (os.uptime); elsewhere undefined. */
function sinceBoot(): { boot: string; ms: number } | undefined {
  if (bootId === undefined) {
    try {
      bootId = process.platform === 'linux' ? readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null : null;
    } catch {
      bootId = null;
    }
  }
  return bootId === null ? undefined : { boot: bootId, ms: Math.round(uptime() * 1000) };
}

export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sinceBoot,
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(t);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export const nullLogger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Who holds a lock: enough to tell a live process from a forgotten one, and to say so. */
export interface LockHolder {
  pid: number;
  /** Process start time (Linux: clock ticks since boot), to tell a reused pid; null where unknown. */
  start: string | null;
  host: string;
  /** Epoch ms when the lock was taken. */
  since: number;
  /** What the holder is doing: 'rotating "deploy"'. */
  what: string;
  /** Which program: "cf-rotate CLI", "VS Code". */
  app: string;
}

export interface Lease {
  readonly holder: LockHolder;
  release(): Promise<void>;
  /**
   * Fencing: is the lock still this lease's? False once another process broke it (a take-over,
   * `resume --take-over`, after this process looked dead) or it is gone. Synchronous, so nothing
   * runs between the check and the act it guards. Absent: the lock cannot be taken from its holder.
   */
  stillHeld?(): boolean;
}

/**
 * Machine-wide named locks (every cf-rotate process of the user: CLI runs, VS Code windows). A
 * lock dies with its process: a crashed holder's lock is recognised as stale and taken over.
 */
export interface Locks {
  /** The lease, or the live holder when someone else has it. */
  tryAcquire(name: string, what: string): Promise<Lease | LockHolder>;
  /** The lease; waits up to `waitMs` (default 0), then throws 'busy' naming the holder. */
  acquire(name: string, what: string, opts?: { waitMs?: number; signal?: AbortSignal }): Promise<Lease>;
  /** The live holder, if any. */
  holder(name: string): Promise<LockHolder | undefined>;
  /**
   * Break the lock when its holder cannot be proved alive on this machine (`unverifiable`: another
   * host, or no start time to tell a reused pid); the user asked for it. Returns the holder whose
   * lock was broken, or undefined (no holder, or one this machine sees alive).
   */
  takeOver?(name: string): Promise<LockHolder | undefined>;
}

/** How long a local holder whose start time is unknown (off Linux) holds a lock before it counts as unverifiable. */
export const UNVERIFIED_LOCAL_AFTER_MS = 60 * 60 * 1000;

/**
 * A live-looking holder this machine cannot check: another host's process (a rebuilt dev
 * container, another machine sharing the state directory), or a local process whose start time
 * is unknown (so a reused pid looks alive) and that has held the lock for over an hour, far
 * longer than a rotation takes. Its lock may outlive it; only the user can say (never broken
 * without being asked).
 */
export function unverifiable(h: LockHolder, host: string, now = Date.now()): boolean {
  return h.host !== host || (h.start === null && now - h.since > UNVERIFIED_LOCAL_AFTER_MS);
}

/** What git says about a target file. */
export interface GitStatus {
  /** The file lies in a git work tree (a `.git` at or above its folder). */
  inWorkTree: boolean;
  workTree?: string;
  tracked?: boolean;
  ignored?: boolean;
  /** A `.git` exists but git could not answer (missing, timed out, failed): the reason. */
  problem?: string;
}

/** git, asked about target files (absolute git path outside the workspace; see node/git.ts). */
export interface Git {
  /** Status per relative path (relative to `folder`). */
  status(folder: string, rels: readonly string[]): Promise<Map<string, GitStatus>>;
}
