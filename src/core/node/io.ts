/**
 * File-system steps that one algorithm runs either asynchronously or synchronously.
 *
 * A checked read is a chain of calls (real paths, lstat, open the folder, open the file, fstat,
 * read, close), each deciding on the answer of the one before. Written once as a generator that
 * yields each call (`yield* call('lstat', p)`), the same checks run through `runAsync` (every call
 * a promise: what rotations, commands and the CLI use) or through `runSync` (no turn of the event
 * loop between the calls: the editor's first load, where each turn waits behind every other
 * extension starting in the same process). There is one reader, whichever way it runs.
 *
 * A handle is opaque to the steps: a FileHandle when run asynchronously, a descriptor when run
 * synchronously. `fdOf` gives the descriptor either way (for /proc/self/fd paths).
 */
import { closeSync, fstatSync, fsyncSync, lstatSync, openSync, promises as fs, readFileSync, readSync, realpathSync, type Stats } from 'node:fs';

export type Handle = fs.FileHandle | number;

/** The calls a step may make, with the synchronous answer's type. */
interface Calls {
  realpath(p: string): string;
  lstat(p: string): Stats;
  /** Open with numeric flags (O_* constants): never creates, so no mode. */
  open(p: string, flags: number): Handle;
  fstat(h: Handle): Stats;
  /** Read up to `buf.length` bytes at `position` into `buf` (from its start); returns how many. */
  read(h: Handle, buf: Uint8Array, position: number): number;
  close(h: Handle): void;
  fsync(h: Handle): void;
  readFile(p: string): Buffer;
}
type CallName = keyof Calls;

type Call = { [K in CallName]: { call: K; args: Parameters<Calls[K]> } }[CallName];
/** Steps run together (concurrently when asynchronous), each settled on its own. */
interface Together {
  together: Steps<unknown>[];
}
export type Step = Call | Together;
/** An algorithm over the file system, run by `runAsync` or `runSync`. */
export type Steps<R> = Generator<Step, R, unknown>;

/** One call: `const st = yield* call('lstat', p)`. */
export function* call<K extends CallName>(name: K, ...args: Parameters<Calls[K]>): Steps<ReturnType<Calls[K]>> {
  return (yield { call: name, args } as Call) as ReturnType<Calls[K]>;
}

/** Several steps at once, each settled on its own (as Promise.allSettled). */
export function* allSettled<T>(steps: Steps<T>[]): Steps<PromiseSettledResult<T>[]> {
  return (yield { together: steps }) as PromiseSettledResult<T>[];
}

export function fdOf(h: Handle): number {
  return typeof h === 'number' ? h : h.fd;
}

const asFile = (h: Handle): fs.FileHandle => h as fs.FileHandle;
const asFd = (h: Handle): number => h as number;

const ASYNC: { [K in CallName]: (...args: Parameters<Calls[K]>) => Promise<ReturnType<Calls[K]>> } = {
  realpath: (p) => fs.realpath(p),
  lstat: (p) => fs.lstat(p),
  open: (p, flags) => fs.open(p, flags),
  fstat: (h) => asFile(h).stat(),
  read: async (h, buf, position) => (await asFile(h).read(buf, 0, buf.length, position)).bytesRead,
  close: (h) => asFile(h).close(),
  fsync: (h) => asFile(h).sync(),
  readFile: (p) => fs.readFile(p),
};

const SYNC: { [K in CallName]: (...args: Parameters<Calls[K]>) => ReturnType<Calls[K]> } = {
  // The native realpath, as fs.promises.realpath (realpathSync's own walk can differ from it).
  realpath: (p) => realpathSync.native(p),
  lstat: (p) => lstatSync(p),
  open: (p, flags) => openSync(p, flags),
  fstat: (h) => fstatSync(asFd(h)),
  read: (h, buf, position) => readSync(asFd(h), buf, 0, buf.length, position),
  close: (h) => closeSync(asFd(h)),
  fsync: (h) => fsyncSync(asFd(h)),
  readFile: (p) => readFileSync(p),
};

function settle<T>(run: () => T): PromiseSettledResult<T> {
  try {
    return { status: 'fulfilled', value: run() };
  } catch (reason) {
    return { status: 'rejected', reason };
  }
}

/** Run the steps with promises. */
export async function runAsync<R>(steps: Steps<R>): Promise<R> {
  let next = steps.next();
  while (!next.done) {
    const step = next.value;
    let answer: unknown;
    try {
      answer = 'together' in step ? await Promise.allSettled(step.together.map((s) => runAsync(s))) : await (ASYNC[step.call] as (...a: unknown[]) => Promise<unknown>)(...step.args);
    } catch (e) {
      next = steps.throw(e);
      continue;
    }
    next = steps.next(answer);
  }
  return next.value;
}

/** Run the steps synchronously: no turn of the event loop until they end. */
export function runSync<R>(steps: Steps<R>): R {
  let next = steps.next();
  while (!next.done) {
    const step = next.value;
    let answer: unknown;
    try {
      answer = 'together' in step ? step.together.map((s) => settle(() => runSync(s))) : (SYNC[step.call] as (...a: unknown[]) => unknown)(...step.args);
    } catch (e) {
      next = steps.throw(e);
      continue;
    }
    next = steps.next(answer);
  }
  return next.value;
}
