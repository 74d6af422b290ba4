/**
 * Preloaded into the built CLI by the kill-point suite (`node --require <this> dist/cli.js …`):
 * counts every call that changes the file system (an open for writing, a write, an fsync, a
 * close of a written handle, a rename, a link, an unlink, a mkdir, a rmdir, a chmod) and, at the
 * one numbered CF_KILL_STEP, SIGKILLs its own process before the call runs. So a trial per step
 * crashes the CLI between every two changes it makes on disk, whichever file they touch (journal,
 * locks, targets, cf-rotate.json, history, retirements). Nothing of the CLI is changed: the hook
 * wraps Node's `fs` (the bundle reads `fs.promises.x` and `fs.xSync` at each call).
 *
 * CF_KILL_STEP: the 1-based step to die at (absent or 0: never). CF_KILL_TRACE: a file that gets
 * one line per step, `<n> <call> <path>`, appended synchronously before the step runs, so a
 * counting run lists every step and a killed run names the one it died at.
 */
// The module object itself (an `import * as` namespace copy would not reach the CLI's calls).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fs = require('node:fs') as typeof import('node:fs');

const killAt = Number(process.env.CF_KILL_STEP ?? '0');
const trace = process.env.CF_KILL_TRACE;
let steps = 0;
// The hook's own writes (the trace) are not steps: through Node's functions as they were before the hook.
const traceFd = trace ? fs.openSync(trace, 'a') : undefined;
const writeTrace = fs.writeSync;
/** Inside a counted call: Node's own functions call each other (writeFileSync calls openSync, writeSync, closeSync), and those are not steps of their own. */
let depth = 0;

function step(call: string, target: unknown): void {
  steps++;
  if (traceFd !== undefined) writeTrace(traceFd, `${steps} ${call} ${typeof target === 'string' ? target : target instanceof URL ? target.pathname : String(target)}\n`);
  if (steps === killAt) process.kill(process.pid, 'SIGKILL');
}

/** Runs Node's function as a step's call: nested calls it makes are not counted. */
function inside<T>(run: () => T): T {
  depth++;
  try {
    return run();
  } finally {
    depth--;
  }
}

/** Whether open flags ask to write (string flags such as 'wx', 'r+', 'a'; or numeric O_* flags). */
function writes(flags: unknown): boolean {
  if (flags === undefined || flags === null) return false;
  if (typeof flags === 'number') return (flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_APPEND)) !== 0;
  return /[wa+]/.test(String(flags));
}

type AnyFn = (...args: unknown[]) => unknown;

function wrap(obj: Record<string, unknown>, name: string, counts: (args: unknown[]) => unknown | undefined): void {
  const original = obj[name] as AnyFn | undefined;
  if (typeof original !== 'function') return;
  obj[name] = function (this: unknown, ...args: unknown[]): unknown {
    const target = depth === 0 ? counts(args) : undefined;
    if (target !== undefined) step(name, target);
    return inside(() => original.apply(this, args));
  };
}

/** Files opened for writing, by their fd: their writes, fsyncs and close are steps; a read-only file's are not. */
const writtenFds = new Set<number>();
const always = (args: unknown[]): unknown => args[0];

const p = fs.promises as unknown as Record<string, unknown>;
for (const name of ['writeFile', 'appendFile', 'rename', 'link', 'symlink', 'unlink', 'rm', 'rmdir', 'mkdir', 'mkdtemp', 'chmod', 'copyFile', 'truncate']) wrap(p, name, always);

let handleProto: Record<string, unknown> | undefined;
function patchHandles(h: { fd: number }): void {
  if (handleProto !== undefined) return;
  handleProto = Object.getPrototypeOf(h) as Record<string, unknown>;
  const ifWritten = (call: string) =>
    function (this: { fd: number }, original: AnyFn, args: unknown[]): unknown {
      if (depth === 0 && writtenFds.has(this.fd)) step(call, `fd ${this.fd}`);
      return inside(() => original.apply(this, args));
    };
  for (const name of ['write', 'writev', 'writeFile', 'appendFile', 'sync', 'datasync', 'truncate', 'chmod']) {
    const original = handleProto[name] as AnyFn | undefined;
    const counted = ifWritten(`handle.${name}`);
    if (typeof original === 'function') handleProto[name] = function (this: { fd: number }, ...args: unknown[]) {
      return counted.call(this, original, args);
    };
  }
}

/** A written handle's close (an own property of each FileHandle in Node 20, not on its prototype). */
function countClose(h: { fd: number; close: () => Promise<void> }): void {
  const close = h.close;
  const fd = h.fd;
  h.close = () => {
    if (writtenFds.delete(fd) && depth === 0) step('handle.close', `fd ${fd}`);
    return inside(() => close.call(h));
  };
}

const open = p.open as (file: unknown, flags?: unknown, mode?: unknown) => Promise<{ fd: number; close: () => Promise<void> }>;
p.open = async function (file: unknown, flags?: unknown, mode?: unknown) {
  const w = writes(flags);
  if (w && depth === 0) step('open', file);
  const h = await inside(() => open(file, flags, mode));
  patchHandles(h);
  if (w) {
    writtenFds.add(h.fd);
    countClose(h);
  }
  return h;
};

const f = fs as unknown as Record<string, unknown>;
for (const name of ['writeFileSync', 'appendFileSync', 'renameSync', 'linkSync', 'symlinkSync', 'unlinkSync', 'rmSync', 'rmdirSync', 'mkdirSync', 'mkdtempSync', 'chmodSync', 'copyFileSync', 'truncateSync']) wrap(f, name, always);
const openSync = f.openSync as (file: unknown, flags?: unknown, mode?: unknown) => number;
f.openSync = function (file: unknown, flags?: unknown, mode?: unknown): number {
  const w = writes(flags) && depth === 0;
  if (w) step('openSync', file);
  const fd = inside(() => openSync(file, flags, mode));
  if (w) writtenFds.add(fd);
  return fd;
};
for (const name of ['writeSync', 'fsyncSync', 'fdatasyncSync', 'ftruncateSync', 'fchmodSync']) wrap(f, name, (args) => (writtenFds.has(args[0] as number) ? `fd ${String(args[0])}` : undefined));
const closeSync = f.closeSync as (fd: number) => void;
f.closeSync = function (fd: number): void {
  if (writtenFds.delete(fd) && depth === 0) step('closeSync', `fd ${fd}`);
  inside(() => closeSync(fd));
};
