/**
 * Ports: the only ways the core touches the outside world. The extension implements
 * them over the VS Code API (src/host), the CLI over Node (src/core/node), tests with fakes.
 */

/** Durable secret storage (VS Code SecretStorage, or a 0600 file for the CLI). */
export interface SecretStore {
  get(key: string): Promise<string | undefined>;
  store(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** Keys currently stored that start with `prefix`. */
  keys(prefix: string): Promise<string[]>;
}

export interface FileStat {
  /** POSIX permission bits (e.g. 0o600). */
  mode: number;
  size: number;
  isFile: boolean;
  isDirectory: boolean;
  isSymbolicLink: boolean;
}

/** File access. Paths are absolute, platform-native. */
export interface Files {
  /** File content, or `undefined` if the file does not exist. */
  read(path: string): Promise<Uint8Array | undefined>;
  /**
   * Replace (or create) a file atomically: temp file in the same directory, write, fsync,
   * keep the existing mode (new files: `mode`, default 0o600), rename over the target.
   * A symbolic link is followed and kept (the link's target is replaced).
   */
  writeAtomic(path: string, data: Uint8Array, options?: { mode?: number }): Promise<void>;
  /** lstat: information about the path itself (does not follow a final symlink). */
  lstat(path: string): Promise<FileStat | undefined>;
  /** Canonical path with every symlink resolved, or `undefined` if it does not exist. */
  realpath(path: string): Promise<string | undefined>;
  /** Throws a CfRotateError('file') if `path` (or, when missing, its directory) cannot be written. */
  assertWritable(path: string): Promise<void>;
  /**
   * Optional editor integration: `true` when an editor holds unsaved changes for `path`.
   * Hosts without editors omit it.
   */
  isDirty?(path: string): boolean;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
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
