/**
 * The one checked reader and writer of files under a root folder (a workspace folder for targets,
 * `.gitignore` and the config; the state directory for journals and history).
 *
 * Every call re-checks, at the moment it acts, that the file lies inside the root after every
 * symbolic link is resolved, that it is a regular file (never a FIFO, device, socket or
 * directory), and the caller's extra rules (never under `.git/`, never the config file). It
 * never follows a link it did not check:
 *
 *  - The directory that receives the file is opened once and checked through its handle. On
 *    Linux every later step (temporary file, rename, mode) goes through `/proc/self/fd/<dir>/…`,
 *    which the kernel resolves to the opened directory itself, so swapping a folder on the path
 *    for a symlink after the check cannot redirect the write. Elsewhere the same steps use the
 *    checked real path and re-check it right before the rename (a narrower window).
 *  - Files are opened with O_NOFOLLOW (a link placed at the name after the check fails with
 *    ELOOP) and O_NONBLOCK (a FIFO cannot hang the read), then checked with fstat. Reads go
 *    through the checked folder's handle too: nothing outside the root is opened but a folder
 *    (never a device or FIFO a swapped link leads to).
 *
 * Writes are atomic: the new contents go to a 0600 temporary file, which is fsynced, renamed over
 * the file, then given the previous mode back through its still-open handle, and the directory is
 * fsynced. New files are 0600. In a workspace folder the temporary file is `<name>` itself, inside
 * a private 0700 folder `<name>.cf-rotate-<pid>-<start>-<hex>.tmp/` beside the file that first
 * gets a `.gitignore` of `*`: git ignores everything in that folder whatever the repository's own
 * rules say (an exact `.env` or an anchored `/.env` rule ignores the file, not a sibling name),
 * so a process killed mid-write never leaves a copy of a .env that `git add .` would pick up; and
 * a rule that ignores the file's name ignores the temporary too, even if the `.gitignore` did not
 * reach the disk. The state directory, which no repository holds, keeps the plain temporary
 * file `<name>.cf-rotate-<pid>-<start>-<hex>.tmp` (`tempFolders: false`: one file, no folder). A
 * temporary left by a killed process is swept (`sweep`) once its process is gone.
 *
 * `resolve` and `read` are written once as steps (io.ts) and run asynchronously, or synchronously
 * (`resolveSync`, `readSync`: the editor's first load): the same calls, checks and refusals.
 */
import { foldPathCase } from '../pathCase';
import { randomBytes } from 'node:crypto';
import { closeSync, constants as C, openSync, promises as fs, readlinkSync, writeSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as l10n from '@vscode/l10n';
import { CfRotateError } from '../errors';
import { allSettled, call, fdOf, runAsync, runSync, type Handle, type Steps } from './io';
import { ownerAlive, processStartTime } from './lock';

function errno(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

const O_NOFOLLOW = C.O_NOFOLLOW ?? 0;
const O_NONBLOCK = C.O_NONBLOCK ?? 0;
const O_DIRECTORY = C.O_DIRECTORY ?? 0;

/** The reason of an errno code, in words (built when shown: the display language's). */
const REASONS: Record<string, () => string> = {
  EACCES: () => l10n.t('permission denied'),
  EPERM: () => l10n.t('operation not permitted'),
  EROFS: () => l10n.t('read-only file system'),
  ENOSPC: () => l10n.t('no space left on the device'),
  EDQUOT: () => l10n.t('disk quota exceeded'),
  EISDIR: () => l10n.t('it is a directory'),
  ENOTDIR: () => l10n.t('a parent is not a directory'),
  ENOENT: () => l10n.t('it does not exist'),
  EBUSY: () => l10n.t('it is busy'),
  ELOOP: () => l10n.t('it became a symbolic link'),
  EMFILE: () => l10n.t('too many open files'),
};

/** What failed, as whole sentences per action ({0}: the file, {1}: the reason). */
const COULD_NOT = {
  'open the folder': (file: string, why: string) => l10n.t('Could not open the folder {0}: {1}.', file, why),
  'open the folder of': (file: string, why: string) => l10n.t('Could not open the folder of {0}: {1}.', file, why),
  inspect: (file: string, why: string) => l10n.t('Could not inspect {0}: {1}.', file, why),
  resolve: (file: string, why: string) => l10n.t('Could not resolve {0}: {1}.', file, why),
  'create the folder': (file: string, why: string) => l10n.t('Could not create the folder {0}: {1}.', file, why),
  read: (file: string, why: string) => l10n.t('Could not read {0}: {1}.', file, why),
  write: (file: string, why: string) => l10n.t('Could not write {0}: {1}.', file, why),
  delete: (file: string, why: string) => l10n.t('Could not delete {0}: {1}.', file, why),
} satisfies Record<string, (file: string, why: string) => string>;
export type FileAction = keyof typeof COULD_NOT;

export function fileError(action: FileAction, file: string, e: unknown, hint?: string): CfRotateError {
  if (e instanceof CfRotateError) return e;
  const code = errno(e);
  const why = (code && REASONS[code]?.()) ?? (e instanceof Error ? e.message : String(e));
  return new CfRotateError('file', COULD_NOT[action](file, `${why}${code ? ` (${code})` : ''}`), {
    hint: hint ?? l10n.t('Fix the file or folder permissions (or free disk space), then try again.'),
    cause: e,
  });
}

/** True when `candidate` is `root` itself or lies below it (both real, absolute). */
export function isInsideOrSame(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel !== '' && isInsideOrSame(root, candidate);
}

const fold = foldPathCase;

export interface CheckRules {
  /** Refuse anything whose real path has a `.git` component below the root (default true). */
  denyGitDir?: boolean;
  /** Configuration files, as real paths relative to the root, that must never be touched (`.vscode/cf-rotate.json`, a --config file). */
  deny?: readonly string[];
  /** Largest file read (default 50 MiB). */
  maxBytes?: number;
  /** The file must still be this one (its real path relative to the root's, as judged before): see FileRules.sameAs. */
  sameAs?: string;
}

export interface Resolved {
  /** The path as the caller named it, relative to the root (for messages). */
  rel: string;
  realRoot: string;
  /** The real directory that holds the file, and the file's name in it (after following checked links). */
  realDir: string;
  name: string;
  /** realDir/name */
  real: string;
  exists: boolean;
  mode?: number;
  size?: number;
}

/** Resolve a name relative to the root, refusing anything that is not a plain relative path. */
function relPath(root: string, rel: string): string {
  if (typeof rel !== 'string' || rel === '' || rel.includes('\0')) throw new CfRotateError('config', l10n.t('A file path is empty or contains a NUL character.'));
  if (path.isAbsolute(rel) || path.win32.isAbsolute(rel) || /^[A-Za-z]:/.test(rel)) {
    throw new CfRotateError('config', l10n.t('{0} is an absolute path; cf-rotate only writes inside the folder.', rel), { hint: l10n.t('Use a path relative to the folder that holds .vscode/.') });
  }
  const parts = rel.split(/[\\/]+/);
  if (parts.includes('..')) throw new CfRotateError('config', l10n.t('{0} leaves the folder ("..").', rel), { hint: l10n.t('Use a path relative to the folder that holds .vscode/, without "..".') });
  return path.resolve(root, ...parts.filter((p) => p !== '' && p !== '.'));
}

/** Whether /proc/self/fd resolves to open files (Linux; asked once, the platform at every call). */
let procFdWorks: boolean | undefined;
function procFd(): boolean {
  if (process.platform !== 'linux') return false;
  if (procFdWorks === undefined) {
    try {
      procFdWorks = readlinkSync('/proc/self/fd/0') !== undefined;
    } catch {
      procFdWorks = false;
    }
  }
  return procFdWorks;
}

let startOfSelf: string | undefined;
function selfTag(): string {
  if (startOfSelf === undefined) startOfSelf = processStartTime(process.pid) ?? '0';
  return `${process.pid}-${startOfSelf}`;
}

const TEMP_RE = /^(.+)\.cf-rotate-(\d+)-(\d+)-[0-9a-f]+\.tmp$/;
/** Temporaries of cf-rotate 0.1 (`.<name>.cf-rotate-<hex>.tmp`): no owner recorded; removed once old. */
const LEGACY_TEMP_RE = /^\.(.+)\.cf-rotate-[0-9a-f]{12}\.tmp$/;
const LEGACY_TEMP_AGE_MS = 60 * 60 * 1000;

/** Temporaries this process is writing now, whichever CheckedFiles writes them (never swept). */
const inFlight = new Set<string>();

/**
 * The name of the file a temporary `name` (in the real folder `realDir`) was written for, when the
 * process that wrote it is gone (or is this one, and no write of it is in flight): what `sweep`
 * removes. Undefined for anything else (a live writer's temporary, cf-rotate 0.1's, not one).
 */
export function staleTemporaryOf(realDir: string, name: string): string | undefined {
  const m = TEMP_RE.exec(name);
  if (!m || inFlight.has(path.join(realDir, name))) return undefined;
  const pid = Number(m[2]);
  const start = m[3] === '0' ? null : (m[3] as string);
  const gone = pid === process.pid || !ownerAlive({ pid, start, host: os.hostname(), since: 0, what: '', app: '' });
  return gone ? (m[1] as string) : undefined;
}

/**
 * Real paths of the roots this process has resolved. A root is the folder the user opened (or the
 * state directory), not something a repository controls; remembering its first real path makes
 * the containment check stricter, not weaker: if the root is later replaced by a link to
 * elsewhere, every path under it resolves outside the remembered real root and is refused.
 */
const realRoots = new Map<string, string>();

/** The workspace folder's real path (links resolved); a folder that cannot be opened is a 'file' error. */
function* realRootSteps(root: string): Steps<string> {
  const key = path.resolve(root);
  const known = realRoots.get(key);
  if (known !== undefined) return known;
  let real: string;
  try {
    real = yield* call('realpath', root);
  } catch (e) {
    throw fileError('open the folder', root, e, l10n.t('Open an existing folder.'));
  }
  if (realRoots.size >= 256) realRoots.clear();
  realRoots.set(key, real);
  return real;
}

function realRootOf(root: string): Promise<string> {
  return runAsync(realRootSteps(root));
}

/** What a path is when it is not a regular file. */
export type NonRegularType = 'directory' | 'fifo' | 'socket' | 'symlink' | 'device';

function nonRegularType(st: import('node:fs').Stats): NonRegularType {
  return st.isDirectory() ? 'directory' : st.isFIFO() ? 'fifo' : st.isSocket() ? 'socket' : st.isSymbolicLink() ? 'symlink' : 'device';
}

/** The refusal of a name that is not a regular file, in words ({0}: the file). */
const NOT_REGULAR: Record<NonRegularType, (rel: string) => string> = {
  directory: (rel) => l10n.t('{0} is a directory, not a regular file; cf-rotate only reads and writes regular files.', rel),
  fifo: (rel) => l10n.t('{0} is a FIFO (named pipe), not a regular file; cf-rotate only reads and writes regular files.', rel),
  socket: (rel) => l10n.t('{0} is a socket, not a regular file; cf-rotate only reads and writes regular files.', rel),
  symlink: (rel) => l10n.t('{0} is a symbolic link, not a regular file; cf-rotate only reads and writes regular files.', rel),
  device: (rel) => l10n.t('{0} is a device, not a regular file; cf-rotate only reads and writes regular files.', rel),
};

/**
 * `resolve` found something that is not a regular file at the name (after following a checked
 * link): a 'file' error that says what it is (`validate` and the Tokens view name it by JSON path).
 */
export class NotRegularFileError extends CfRotateError {
  readonly type: NonRegularType;
  constructor(rel: string, type: NonRegularType) {
    super('file', NOT_REGULAR[type](rel), { hint: l10n.t('Point the target at a .env text file.') });
    this.type = type;
  }
}

/** Where the kernel says an open folder is now, through /proc/self/fd (Linux). */
function openedPath(fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/** Open a file to read it (no link followed, no FIFO waited on); undefined when it is gone. */
function* openToRead(at: string, rel: string): Steps<Handle | undefined> {
  try {
    return yield* call('open', at, C.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (e) {
    if (errno(e) === 'ENOENT') return undefined;
    throw fileError('read', rel, e);
  }
}

/** The contents of an open file, after checking it is a regular file within the size limit. */
function* readOpen(h: Handle, r: Resolved, rules: CheckRules): Steps<{ bytes: Uint8Array; resolved: Resolved }> {
  const st = yield* call('fstat', h);
  if (!st.isFile()) throw new CfRotateError('file', l10n.t('{0} is not a regular file; cf-rotate only reads regular files.', r.rel), { hint: l10n.t('Point the target at a .env text file.') });
  const max = rules.maxBytes ?? 50 * 1024 * 1024;
  const tooLarge = (): CfRotateError =>
    new CfRotateError('file', l10n.t('{0} is larger than {1} MB.', r.rel, Math.round(max / 1024 / 1024) || 1), { hint: l10n.t('Point the target at a .env file.') });
  if (st.size > max) throw tooLarge();
  // The size fstat gave, plus one byte to see whether the file grew since: exactly that size read
  // is the whole file (where Node's own readFile stops too); anything else is read on to the end.
  const first = Buffer.alloc(st.size + 1);
  const bytesRead = yield* call('read', h, first, 0);
  if (bytesRead === st.size) return { bytes: first.subarray(0, bytesRead), resolved: { ...r, mode: st.mode & 0o7777, size: st.size } };
  const chunks = [first.subarray(0, bytesRead)];
  let total = bytesRead;
  for (;;) {
    if (total > max) throw tooLarge();
    const chunk = Buffer.alloc(64 * 1024);
    const n = yield* call('read', h, chunk, total);
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
    total += n;
  }
  // (The loop leaves only after a check that held and an empty read: total is within the limit.)
  return { bytes: Buffer.concat(chunks, total), resolved: { ...r, mode: st.mode & 0o7777, size: total } };
}

/** The ignore-all file of a temporary folder: git ignores the folder's every entry, this file too. */
const IGNORE_ALL = '.gitignore';
const TEMP_FOLDER_NOTE = 'cf-rotate: the temporary folder of a write in progress (removed when it ends)';

/**
 * Write `<dir>/.gitignore` = `*` (then `note` as a comment) unless something is there already (it is
 * never replaced, no link is followed). One synchronous open + write: git lists the file only for
 * the instant between the two, empty then. Throws what the open or the write throws but EEXIST.
 */
export function writeIgnoreAll(dir: string, note: string): boolean {
  let fd: number;
  try {
    fd = openSync(path.join(dir, IGNORE_ALL), C.O_WRONLY | C.O_CREAT | C.O_EXCL | O_NOFOLLOW, 0o600);
  } catch (e) {
    if (errno(e) === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, `*\n# ${note}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The temporary file's name inside its folder: the file's own name (the `.gitignore` there is the folder's). */
function tempFileName(name: string): string {
  return name === IGNORE_ALL ? 'gitignore.tmp' : name;
}

export interface CheckedFilesOptions {
  /**
   * Write through a private temporary folder that git ignores (default true: any folder a
   * repository may hold). False for the state directory: a plain temporary file beside the file.
   */
  tempFolders?: boolean;
}

export class CheckedFiles {
  private readonly tempFolders: boolean;

  constructor(opts: CheckedFilesOptions = {}) {
    this.tempFolders = opts.tempFolders ?? true;
  }

  /** Resolve and check `rel` under `root`. Throws a 'file'/'config' CfRotateError when a rule is broken. */
  resolve(root: string, rel: string, rules: CheckRules = {}): Promise<Resolved> {
    return runAsync(this.resolveSteps(root, rel, rules));
  }

  /** `resolve`, synchronously (the same checks; see io.ts). */
  resolveSync(root: string, rel: string, rules: CheckRules = {}): Resolved {
    return runSync(this.resolveSteps(root, rel, rules));
  }

  /** The steps of `resolve`, to run either way or inside other steps. */
  *resolveSteps(root: string, rel: string, rules: CheckRules = {}): Steps<Resolved> {
    const abs = relPath(root, rel);
    if (abs === path.resolve(root)) throw new CfRotateError('file', l10n.t('{0} is the folder itself, not a file inside it.', rel), { hint: l10n.t('Name a file, such as .env.') });
    // Both real paths at once (one round trip); the root's failure is reported first.
    const [rootAnswer, dirAnswer] = (yield* allSettled<string>([realRootSteps(root), call('realpath', path.dirname(abs))])) as [PromiseSettledResult<string>, PromiseSettledResult<string>];
    if (rootAnswer.status === 'rejected') throw rootAnswer.reason;
    const realRoot = rootAnswer.value;
    let realDir: string;
    try {
      if (dirAnswer.status === 'rejected') throw dirAnswer.reason;
      realDir = dirAnswer.value;
    } catch (e) {
      if (errno(e) === 'ENOENT') {
        // The cause (ENOENT) is what `remove` recognises: the words depend on the display language.
        throw new CfRotateError('file', l10n.t('The folder of {0} does not exist.', rel), { hint: l10n.t('Create {0} first.', path.dirname(rel) || '.'), cause: e });
      }
      throw fileError('open the folder of', rel, e);
    }
    if (!isInsideOrSame(realRoot, realDir)) {
      throw new CfRotateError('file', l10n.t('{0} lies in a folder that links outside the workspace folder; cf-rotate refuses to follow it.', rel), {
        hint: l10n.t('Use a real folder inside the workspace.'),
      });
    }
    let name = path.basename(abs);
    let st: import('node:fs').Stats | undefined;
    try {
      st = yield* call('lstat', path.join(realDir, name));
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw fileError('inspect', rel, e);
    }
    if (st?.isSymbolicLink()) {
      let real: string;
      try {
        real = yield* call('realpath', path.join(realDir, name));
      } catch (e) {
        if (errno(e) === 'ENOENT' || errno(e) === 'ELOOP') {
          throw new CfRotateError('file', l10n.t('{0} is a dangling symbolic link.', rel), { hint: l10n.t('Remove the link or create the file it points to inside the folder.') });
        }
        throw fileError('resolve', rel, e);
      }
      if (!isInside(realRoot, real)) {
        throw new CfRotateError('file', l10n.t('{0} is a link that leads outside the workspace folder; cf-rotate refuses to follow it.', rel), {
          hint: l10n.t('Replace the link with a file inside the folder, or point the target at the real file inside the folder.'),
        });
      }
      realDir = path.dirname(real);
      name = path.basename(real);
      try {
        st = yield* call('lstat', real);
      } catch {
        st = undefined;
      }
    }
    const real = path.join(realDir, name);
    if (!isInside(realRoot, real)) {
      throw new CfRotateError('file', l10n.t('{0} is the folder itself, not a file inside it.', rel));
    }
    this.applyRules(realRoot, real, rel, rules);
    if (st && !st.isFile()) throw new NotRegularFileError(rel, nonRegularType(st));
    return { rel, realRoot, realDir, name, real, exists: st !== undefined, ...(st ? { mode: st.mode & 0o7777, size: st.size } : {}) };
  }

  private applyRules(realRoot: string, real: string, rel: string, rules: CheckRules): void {
    const inner = path.relative(realRoot, real);
    const parts = inner.split(path.sep).map(fold);
    if ((rules.denyGitDir ?? true) && parts.slice(0, -1).includes('.git')) {
      throw new CfRotateError('config', l10n.t('{0} lies inside a .git folder; cf-rotate never writes there.', rel), { hint: l10n.t('Point the target at a .env file in the work tree.') });
    }
    if ((rules.denyGitDir ?? true) && parts[parts.length - 1] === '.git') {
      throw new CfRotateError('config', l10n.t('{0} is git\'s own .git file; cf-rotate never writes it.', rel), { hint: l10n.t('Point the target at a .env file in the work tree.') });
    }
    for (const d of rules.deny ?? []) {
      if (fold(path.normalize(d)) === fold(inner)) {
        throw new CfRotateError('config', l10n.t('{0} is the configuration file {1}; cf-rotate does not write a secret into it.', rel, d), { hint: l10n.t('Point the target at a .env file.') });
      }
    }
    if (rules.sameAs !== undefined && fold(path.normalize(rules.sameAs)) !== fold(inner)) {
      throw new CfRotateError('file', l10n.t('{0} now leads to {1}, not to {2} as when it was checked; cf-rotate writes the file it checked or none.', rel, inner, rules.sameAs), {
        hint: l10n.t('Check what changed {0} (a link put in its place?) and put it back.', rel),
      });
    }
  }

  /**
   * Create a folder (and its missing parents) under the root, one segment at a time: an existing
   * segment must be a directory whose real path stays inside the root (a link out is refused),
   * no segment may be `.git` (unless `denyGitDir` is false). Returns the real path.
   */
  async createFolder(root: string, rel: string, rules: CheckRules = {}): Promise<string> {
    const realRoot = await realRootOf(root);
    const abs = relPath(root, rel);
    const parts = path.relative(path.resolve(root), abs).split(path.sep).filter((p) => p !== '');
    let cur = realRoot;
    for (const part of parts) {
      if ((rules.denyGitDir ?? true) && fold(part) === '.git') {
        throw new CfRotateError('config', l10n.t('{0} lies inside a .git folder; cf-rotate never writes there.', rel), { hint: l10n.t('Choose a folder in the work tree.') });
      }
      const next = path.join(cur, part);
      try {
        await fs.mkdir(next, { mode: 0o755 });
      } catch (e) {
        if (errno(e) !== 'EEXIST') throw fileError('create the folder', rel, e);
      }
      let real: string;
      try {
        real = await fs.realpath(next);
      } catch (e) {
        throw fileError('create the folder', rel, e);
      }
      if (!isInside(realRoot, real)) {
        throw new CfRotateError('file', l10n.t('{0} lies in a folder that links outside the workspace folder; cf-rotate refuses to follow it.', rel), { hint: l10n.t('Use a real folder inside the workspace.') });
      }
      const st = await fs.stat(real);
      if (!st.isDirectory()) throw new CfRotateError('file', l10n.t('{0} is a file, not a folder.', path.relative(realRoot, real)), { hint: l10n.t('Choose another path for the new file.') });
      cur = real;
    }
    return cur;
  }

  /** Is the file writable (or creatable)? Throws 'file' with the reason. */
  async assertWritable(root: string, rel: string, rules: CheckRules = {}): Promise<Resolved> {
    const r = await this.resolve(root, rel, rules);
    try {
      if (r.exists) await fs.access(r.real, C.W_OK);
      await fs.access(r.realDir, C.W_OK);
    } catch (e) {
      throw fileError('write', rel, e);
    }
    return r;
  }

  /**
   * Contents, or undefined when the file does not exist. The file is opened through the checked
   * folder's handle (as a write is), so nothing outside the folder is ever opened but a folder, and
   * read in one round trip of the size fstat gave (a file that grew or shrank since is read on to
   * its end, within the limit); the two handles are closed at once.
   */
  read(root: string, rel: string, rules: CheckRules = {}): Promise<{ bytes: Uint8Array; resolved: Resolved } | undefined> {
    return runAsync(this.readSteps(root, rel, rules));
  }

  /** `read`, synchronously (the same checks; see io.ts). */
  readSync(root: string, rel: string, rules: CheckRules = {}): { bytes: Uint8Array; resolved: Resolved } | undefined {
    return runSync(this.readSteps(root, rel, rules));
  }

  /** The steps of `read`, to run either way or inside other steps. */
  *readSteps(root: string, rel: string, rules: CheckRules = {}): Steps<{ bytes: Uint8Array; resolved: Resolved } | undefined> {
    const r = yield* this.resolveSteps(root, rel, rules);
    if (!r.exists) return undefined;
    const dir = yield* this.openDirSteps(r, 'read');
    let h: Handle | undefined;
    try {
      h = yield* openToRead(dir.child(r.name), rel);
      return h === undefined ? undefined : yield* readOpen(h, r, rules);
    } finally {
      // Both handles at once. A read-only file's failed close loses nothing: what was read stands.
      yield* allSettled<void>([...(h === undefined ? [] : [call('close', h)]), dir.close()]);
    }
  }

  /**
   * Replace (or create) the file atomically. The checks run again here, inside the directory
   * handle that the write goes through. `mode` is for new files (default 0600); an existing file
   * keeps its mode. With `createOnly` the file is only created: the finished temporary is
   * hard-linked to the name, which fails when anything (a file, a link, dangling or not) is there
   * by then, so nothing is replaced and no link is followed; that refusal is a 'file' error whose
   * cause is EEXIST.
   */
  async write(root: string, rel: string, data: Uint8Array, opts: CheckRules & { mode?: number; createOnly?: boolean } = {}): Promise<Resolved> {
    const r = await this.resolve(root, rel, opts);
    const dir = await this.openDir(r);
    const tmpName = `${r.name}.cf-rotate-${selfTag()}-${randomBytes(6).toString('hex')}.tmp`;
    const tmpPath = path.join(r.realDir, tmpName);
    inFlight.add(tmpPath);
    let h: fs.FileHandle | undefined;
    let folder: TempFolder | undefined;
    /** Where the temporary file is: beside the file, or inside its temporary folder. */
    let tmpFile = dir.child(tmpName);
    let created = false;
    let renamed = false;
    try {
      await dir.recheck();
      if (this.tempFolders) {
        folder = await openTempFolder(dir, tmpName, r);
        tmpFile = folder.child(tempFileName(r.name));
      }
      h = await fs.open(tmpFile, C.O_WRONLY | C.O_CREAT | C.O_EXCL | O_NOFOLLOW, 0o600);
      created = true;
      // The folder must still be where it was made (inside the checked directory) before any data goes in.
      await folder?.recheck();
      await h.writeFile(data);
      await h.sync();
      let mode = opts.mode ?? 0o600;
      if (opts.createOnly === true) {
        await dir.recheck();
        try {
          await fs.link(tmpFile, dir.child(r.name));
        } catch (e) {
          if (errno(e) !== 'EEXIST') throw e;
          throw new CfRotateError('file', l10n.t('{0} already exists; cf-rotate did not replace it.', rel), { hint: l10n.t('Open the existing file instead.'), cause: e });
        }
        // The file is in place; the temporary name goes (on failure the catch below tries again).
        await fs.unlink(tmpFile);
      } else {
        // The name must still be what was checked: a regular file, or nothing.
        try {
          const st = await fs.lstat(dir.child(r.name));
          if (!st.isFile()) {
            throw new CfRotateError('file', l10n.t('{0} changed while cf-rotate was writing it (it is no longer a regular file); nothing was written to it.', rel), {
              hint: l10n.t('Check what replaced it, then try again.'),
            });
          }
          mode = st.mode & 0o7777;
        } catch (e) {
          if (errno(e) !== 'ENOENT') throw e; // removed meanwhile: created anew, 0600
        }
        await dir.recheck();
        await fs.rename(tmpFile, dir.child(r.name));
      }
      renamed = true;
      if (mode !== 0o600) await h.chmod(mode);
      const closing = h.close();
      h = undefined;
      // The temporary folder (now without the file) goes while the handle closes and the directory syncs.
      await Promise.all([closing, dir.sync(), folder?.remove(true)]);
      folder = undefined;
      return { ...r, exists: true, mode, size: data.length };
    } catch (e) {
      await h?.close().catch(() => undefined);
      // Is the temporary file gone (never made, renamed into place, or unlinked now)?
      const gone = !created || renamed || (await fs.unlink(tmpFile).then(() => true, (u: unknown) => errno(u) === 'ENOENT'));
      await folder?.remove(gone).catch(() => undefined);
      throw fileError('write', rel, e);
    } finally {
      inFlight.delete(tmpPath);
      await dir.close();
    }
  }

  /** Delete a file (e.g. a journal entry). Missing is fine. */
  async remove(root: string, rel: string, rules: CheckRules = {}): Promise<void> {
    let r: Resolved;
    try {
      r = await this.resolve(root, rel, rules);
    } catch (e) {
      // The folder (or the root) does not exist: nothing to delete. Recognised by the cause, not the words.
      if (e instanceof CfRotateError && errno(e.cause) === 'ENOENT') return;
      throw e;
    }
    if (!r.exists) return;
    const dir = await this.openDir(r);
    try {
      await dir.recheck();
      await fs.unlink(dir.child(r.name)).catch((e: unknown) => {
        if (errno(e) !== 'ENOENT') throw fileError('delete', rel, e);
      });
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  /**
   * Remove temporaries left beside `rel` (or, with `name` undefined, every temporary in the
   * folder of `rel`) by processes that are gone, but those named in `keep`. Returns how many were removed.
   */
  async sweep(root: string, relDir: string, onlyFor?: string, keep?: ReadonlySet<string>): Promise<number> {
    let realDir: string;
    try {
      realDir = await fs.realpath(relDir === '' || relDir === '.' ? root : relPath(root, relDir));
      const realRoot = await realRootOf(root);
      if (!isInsideOrSame(realRoot, realDir)) return 0;
    } catch {
      return 0;
    }
    let names: string[];
    try {
      names = await fs.readdir(realDir);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const n of names) {
      const full = path.join(realDir, n);
      if (inFlight.has(full) || keep?.has(n)) continue;
      const m = TEMP_RE.exec(n);
      let stale = false;
      if (m) {
        if (onlyFor !== undefined && m[1] !== onlyFor) continue;
        // Our own pid: every write of this process is in `inFlight`, so anything else is left over.
        stale = staleTemporaryOf(realDir, n) !== undefined;
      } else {
        const legacy = LEGACY_TEMP_RE.exec(n);
        if (!legacy || (onlyFor !== undefined && legacy[1] !== onlyFor)) continue;
        const st = await fs.lstat(full).catch(() => undefined);
        stale = st !== undefined && Date.now() - st.mtimeMs > LEGACY_TEMP_AGE_MS;
      }
      if (!stale) continue;
      const st = await fs.lstat(full).catch(() => undefined);
      if (m && st?.isDirectory()) {
        if (await removeTempFolder(full, m[1] as string)) removed++;
        continue;
      }
      if (!st?.isFile()) continue;
      await fs.unlink(full).then(
        () => removed++,
        () => undefined,
      );
    }
    return removed;
  }

  /** Open the checked directory, for writes and removals; every later step goes through it. */
  private async openDir(r: Resolved): Promise<DirHandle> {
    const dir = await runAsync(this.openDirSteps(r, 'write'));
    return { child: dir.child, recheck: () => runAsync(dir.recheck()), sync: () => runAsync(dir.sync()), close: () => runAsync(dir.close()) };
  }

  /** The steps that open the checked directory and check it through its handle. */
  private *openDirSteps(r: Resolved, purpose: 'read' | 'write'): Steps<DirSteps> {
    let h: Handle | undefined;
    try {
      h = yield* call('open', r.realDir, C.O_RDONLY | O_DIRECTORY);
    } catch (e) {
      // Windows cannot open directories; the path-based steps below still re-check. Elsewhere a
      // folder that cannot be opened now was moved or replaced since it was checked: going on by
      // path would let a link swapped in later redirect the temporary file.
      if (process.platform !== 'win32') throw fileError('open the folder of', r.rel, e);
      h = undefined;
    }
    const viaFd = h !== undefined && procFd();
    // Read at each use: a closed FileHandle's fd is -1, so a stale path never reaches another open file.
    const fd = (): number | undefined => (viaFd && h !== undefined ? fdOf(h) : undefined);
    function* check(): Steps<void> {
      const at = fd();
      let now = at !== undefined ? openedPath(at) : undefined;
      if (now === undefined) {
        try {
          now = yield* call('realpath', r.realDir);
        } catch {
          /* gone or unreadable: refused below */
        }
      }
      if (now === undefined || !isInsideOrSame(r.realRoot, now) || fold(now) !== fold(r.realDir)) {
        const message =
          purpose === 'read'
            ? l10n.t('The folder of {0} changed while cf-rotate was reading it (it was moved or replaced by a link); nothing was read.', r.rel)
            : l10n.t('The folder of {0} changed while cf-rotate was writing (it was moved or replaced by a link); nothing was written there.', r.rel);
        throw new CfRotateError('file', message, {
          hint: l10n.t('Check the folder, then try again.'),
        });
      }
    }
    /** A failed fsync or close of the folder is not the write's failure (the file is in place). */
    function* quietly(name: 'fsync' | 'close'): Steps<void> {
      if (h === undefined) return;
      try {
        yield* call(name, h);
      } catch {
        /* see above */
      }
    }
    try {
      yield* check();
    } catch (e) {
      yield* quietly('close');
      throw e;
    }
    return {
      child: (name: string) => {
        const at = fd();
        return at !== undefined ? `/proc/self/fd/${at}/${name}` : path.join(r.realDir, name);
      },
      recheck: check,
      sync: () => quietly('fsync'),
      close: () => quietly('close'),
    };
  }
}

/**
 * Remove a temporary folder a dead process left (`full`, a real path): only when it holds nothing
 * but its ignore-all file and the temporary file of `name`, both regular files; the temporary
 * file goes first (the ignore-all file hides it from git until then). Read and emptied through
 * its handle on Linux (a link swapped in for it is not followed). True when it was removed.
 */
async function removeTempFolder(full: string, name: string): Promise<boolean> {
  let h: fs.FileHandle | undefined;
  try {
    h = await fs.open(full, C.O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch {
    if (process.platform !== 'win32') return false;
  }
  const viaFd = h !== undefined && procFd();
  const base = viaFd && h ? `/proc/self/fd/${h.fd}` : full;
  const inside = (n: string): string => (viaFd ? `${base}/${n}` : path.join(base, n));
  try {
    const names = await fs.readdir(base);
    if (names.some((n) => n !== IGNORE_ALL && n !== tempFileName(name))) return false; // not what a write leaves: left alone
    for (const n of [tempFileName(name), IGNORE_ALL]) {
      if (!names.includes(n)) continue;
      if (!viaFd && fold(await fs.realpath(full)) !== fold(full)) return false;
      const st = await fs.lstat(inside(n));
      if (!st.isFile()) return false;
      await fs.unlink(inside(n));
    }
  } catch {
    return false;
  } finally {
    await h?.close().catch(() => undefined);
  }
  return fs.rmdir(full).then(
    () => true,
    () => false,
  );
}

/** A write's private temporary folder (see the module comment), opened and holding its ignore-all file. */
interface TempFolder {
  /** A name inside the folder (through its handle on Linux). */
  child(name: string): string;
  /** The folder must still be where it was made (checked before any data goes in). */
  recheck(): Promise<void>;
  /**
   * Close the folder's handle and, when the temporary file is gone (`fileGone`: never made,
   * renamed into place or unlinked), remove its ignore-all file and the folder. Otherwise the
   * folder, and the ignore-all file that hides the file from git, stay for the sweep.
   */
  remove(fileGone: boolean): Promise<void>;
}

/**
 * Make `tmpName` (0700) in the checked directory, open it without following a link (a link swapped
 * in since is refused), and write its ignore-all file before anything else goes in.
 */
async function openTempFolder(dir: DirHandle, tmpName: string, r: Resolved): Promise<TempFolder> {
  const at = dir.child(tmpName);
  const realFolder = path.join(r.realDir, tmpName);
  await fs.mkdir(at, { mode: 0o700 });
  let h: fs.FileHandle | undefined;
  try {
    h = await fs.open(at, C.O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (e) {
    if (process.platform !== 'win32') {
      await fs.rmdir(at).catch(() => undefined);
      throw e;
    }
    h = undefined; // Windows cannot open folders: the path, checked again (recheck)
  }
  const viaFd = h !== undefined && procFd();
  // Fixed once: the folder's handle (kept open until remove) or, off Linux, its path.
  const base = viaFd && h ? `/proc/self/fd/${h.fd}` : realFolder;
  const child = (name: string): string => (viaFd ? `${base}/${name}` : path.join(base, name));
  const folder: TempFolder = {
    child,
    recheck: async () => {
      // Where the folder is now: through its handle on Linux (moved away since it was made, the
      // file would be written outside), else its path (replaced by a link since).
      const now = viaFd && h ? openedPath(h.fd) : await fs.realpath(realFolder).catch(() => undefined);
      if (now === undefined || fold(now) !== fold(realFolder)) {
        throw new CfRotateError('file', l10n.t('The folder of {0} changed while cf-rotate was writing (it was moved or replaced by a link); nothing was written there.', r.rel), {
          hint: l10n.t('Check the folder, then try again.'),
        });
      }
    },
    remove: async (fileGone) => {
      // Off Linux a path that no longer leads to the folder that was made is left alone.
      try {
        if (!fileGone || (!viaFd && (await folder.recheck().then(() => false, () => true)))) return;
        await fs.unlink(child(IGNORE_ALL)).catch(() => undefined);
      } finally {
        await h?.close().catch(() => undefined);
      }
      // Through the checked directory's handle: a link in its place is not removed (ENOTDIR).
      await fs.rmdir(at).catch(() => undefined);
    },
  };
  try {
    await folder.recheck();
    // Before anything else goes in (the folder is new and 0700: nothing can be there yet).
    if (!writeIgnoreAll(base, TEMP_FOLDER_NOTE)) throw Object.assign(new Error(`${IGNORE_ALL} exists already`), { code: 'EEXIST' });
  } catch (e) {
    // Nothing but (perhaps) the ignore-all file is in the folder yet.
    await folder.remove(true).catch(() => undefined);
    throw e;
  }
  return folder;
}

interface DirHandle {
  child(name: string): string;
  recheck(): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** The checked directory as steps (read runs them either way; writes through DirHandle). */
interface DirSteps {
  child(name: string): string;
  recheck(): Steps<void>;
  sync(): Steps<void>;
  close(): Steps<void>;
}

