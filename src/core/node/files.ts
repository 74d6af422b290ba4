/** The Files port over Node: the one checked reader/writer (checked.ts). */
import * as path from 'node:path';
import type { CheckedFile, FileRules, Files } from '../ports';
import { CheckedFiles, type Resolved } from './checked';

export { fileError } from './checked';

function info(r: Resolved): CheckedFile {
  return { real: r.real, inner: path.relative(r.realRoot, r.real), exists: r.exists, ...(r.mode !== undefined ? { mode: r.mode } : {}), ...(r.size !== undefined ? { size: r.size } : {}) };
}

export class NodeFiles implements Files {
  protected readonly checked = new CheckedFiles();

  async check(root: string, rel: string, rules?: FileRules): Promise<CheckedFile> {
    return info(await this.checked.assertWritable(root, rel, rules));
  }

  async read(root: string, rel: string, rules?: FileRules): Promise<{ bytes: Uint8Array; file: CheckedFile } | undefined> {
    const r = await this.checked.read(root, rel, rules);
    return r && { bytes: r.bytes, file: info(r.resolved) };
  }

  async write(root: string, rel: string, data: Uint8Array, rules?: FileRules & { mode?: number; createOnly?: boolean }): Promise<CheckedFile> {
    return info(await this.checked.write(root, rel, data, rules));
  }

  sweep(root: string, rel: string): Promise<number> {
    const dir = path.dirname(rel);
    return this.checked.sweep(root, dir === '.' ? '' : dir, path.basename(rel));
  }

  /** Create a folder (and missing parents) under the root, checked like a write; returns its real path. */
  createFolder(root: string, rel: string, rules?: FileRules): Promise<string> {
    return this.checked.createFolder(root, rel, rules);
  }

  /** Delete a file under the root (journal entries). */
  remove(root: string, rel: string, rules?: FileRules): Promise<void> {
    return this.checked.remove(root, rel, rules);
  }
}
