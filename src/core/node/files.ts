/** The Files port over Node's fs: atomic replace (temp + fsync + rename), modes kept, symlinks followed and kept. */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CfRotateError } from '../errors';
import type { FileStat, Files } from '../ports';

function errno(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

export function fileError(action: string, file: string, e: unknown): CfRotateError {
  const code = errno(e);
  const reason: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    EISDIR: 'it is a directory',
    ENOTDIR: 'a parent is not a directory',
    ENOENT: 'it does not exist',
    EBUSY: 'it is busy',
  };
  const why = (code && reason[code]) ?? (e instanceof Error ? e.message : String(e));
  return new CfRotateError('file', `Could not ${action} ${file}: ${why}${code ? ` (${code})` : ''}.`, {
    hint: 'Fix the file or folder permissions (or free disk space) and run "Resume interrupted rotation"; the new secret is kept in the journal until then.',
    cause: e,
  });
}

export class NodeFiles implements Files {
  async read(file: string): Promise<Uint8Array | undefined> {
    try {
      return await fs.readFile(file);
    } catch (e) {
      if (errno(e) === 'ENOENT') return undefined;
      throw fileError('read', file, e);
    }
  }

  async lstat(file: string): Promise<FileStat | undefined> {
    try {
      const s = await fs.lstat(file);
      return { mode: s.mode & 0o7777, size: s.size, isFile: s.isFile(), isDirectory: s.isDirectory(), isSymbolicLink: s.isSymbolicLink() };
    } catch (e) {
      if (errno(e) === 'ENOENT') return undefined;
      throw fileError('inspect', file, e);
    }
  }

  async realpath(file: string): Promise<string | undefined> {
    try {
      return await fs.realpath(file);
    } catch (e) {
      if (errno(e) === 'ENOENT') return undefined;
      throw fileError('resolve', file, e);
    }
  }

  async assertWritable(file: string): Promise<void> {
    const real = (await this.realpath(file)) ?? file;
    try {
      const exists = (await this.lstat(real)) !== undefined;
      // Replacing a file needs write access to the file's directory (temp + rename) and, to keep
      // faith with the user's intent, to the file itself.
      if (exists) await fs.access(real, constants.W_OK);
      await fs.access(path.dirname(real), constants.W_OK);
    } catch (e) {
      throw fileError('write', file, e);
    }
  }

  async writeAtomic(file: string, data: Uint8Array, options: { mode?: number } = {}): Promise<void> {
    const target = (await this.realpath(file)) ?? file;
    const dir = path.dirname(target);
    const existing = await this.lstat(target);
    const mode = existing ? existing.mode : (options.mode ?? 0o600);
    const tmp = path.join(dir, `.${path.basename(target)}.cf-rotate-${randomBytes(6).toString('hex')}.tmp`);
    let handle: fs.FileHandle | undefined;
    try {
      handle = await fs.open(tmp, 'wx', 0o600);
      await handle.writeFile(data);
      await handle.chmod(mode);
      await handle.sync();
      await handle.close();
      handle = undefined;
      await fs.rename(tmp, target);
    } catch (e) {
      await handle?.close().catch(() => undefined);
      await fs.unlink(tmp).catch(() => undefined);
      throw fileError('write', file, e);
    }
    // Make the rename itself durable where the platform allows it.
    try {
      const d = await fs.open(dir, 'r');
      await d.sync().catch(() => undefined);
      await d.close();
    } catch {
      /* directories cannot be opened on every platform */
    }
  }
}
