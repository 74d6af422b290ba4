/** Resolving and checking target files before anything irreversible happens. */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { targetField, type TokenConfig } from '../config/schema';
import { CfRotateError } from '../errors';
import type { Files } from '../ports';
import { patchDotenv, readDotenvValue } from '../dotenv/patch';
import type { JournalTarget } from './journal';

export const MAX_TARGET_BYTES = 50 * 1024 * 1024;
const PROBE_VALUE = 'cfut_PreflightProbeValue0123456789abcdefghijklmnop';

export function hashValue(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' ? false : !rel.startsWith('..') && !path.isAbsolute(rel);
}

// ignoreBOM: keep a leading BOM in the text (the default strips it, and the file would lose three bytes).
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decode a target's bytes, refusing binary and non-UTF-8 content. */
export function decodeTarget(bytes: Uint8Array, file: string): string {
  if (bytes.includes(0)) {
    throw new CfRotateError('file', `${file} looks binary (it contains NUL bytes); cf-rotate only edits text .env files.`, {
      hint: 'Point the target at a .env text file.',
    });
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw new CfRotateError('file', `${file} is not valid UTF-8; cf-rotate will not rewrite it.`, {
      hint: 'Convert the file to UTF-8 and try again.',
    });
  }
}

export function encodeTarget(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

/** Absolute path of a target, refusing anything that leaves the folder (also through symlinks). */
export async function resolveTarget(files: Files, folder: string, rel: string): Promise<string> {
  const root = (await files.realpath(folder)) ?? folder;
  const abs = path.resolve(folder, rel);
  if (!isInside(path.resolve(folder), abs)) {
    throw new CfRotateError('config', `Target ${rel} is outside the workspace folder.`, { hint: 'Use a path relative to the folder that holds .vscode/.' });
  }
  const real = await files.realpath(abs);
  if (real !== undefined) {
    if (!isInside(root, real)) {
      throw new CfRotateError('file', `Target ${rel} is a link that leads outside the workspace folder; cf-rotate refuses to follow it.`, {
        hint: 'Replace the link with a file inside the folder, or point the target at the real file inside the folder.',
      });
    }
    return abs;
  }
  const st = await files.lstat(abs);
  if (st?.isSymbolicLink) {
    throw new CfRotateError('file', `Target ${rel} is a dangling symbolic link.`, { hint: 'Remove the link or create the file it points to.' });
  }
  const parent = await files.realpath(path.dirname(abs));
  if (parent === undefined) {
    throw new CfRotateError('file', `The folder of target ${rel} does not exist.`, { hint: `Create ${path.dirname(rel) || '.'} first.` });
  }
  if (parent !== root && !isInside(root, parent)) {
    throw new CfRotateError('file', `Target ${rel} lies in a folder that links outside the workspace folder.`, { hint: 'Use a real folder inside the workspace.' });
  }
  return abs;
}

export interface PreparedTarget extends JournalTarget {
  /** Value the key holds now (kept in memory only: needed to prove an API token's old value is dead). */
  current: string | undefined;
}

/** Preflight for every target of a token: inside the folder, writable, not dirty, text, patchable, consistent. */
export async function prepareTargets(files: Files, folder: string, token: TokenConfig): Promise<PreparedTarget[]> {
  const out: PreparedTarget[] = [];
  for (const t of token.targets) {
    const abs = await resolveTarget(files, folder, t.file);
    if (files.isDirty?.(abs)) {
      throw new CfRotateError('file', `${t.file} has unsaved changes in an editor.`, {
        hint: 'Save or revert it, then rotate again. Nothing was rotated.',
      });
    }
    const st = await files.lstat(abs);
    if (st?.isDirectory) throw new CfRotateError('file', `Target ${t.file} is a directory.`, { hint: 'Point the target at a .env file.' });
    if (st && st.size > MAX_TARGET_BYTES) {
      throw new CfRotateError('file', `${t.file} is larger than ${MAX_TARGET_BYTES / 1024 / 1024} MB.`, { hint: 'Point the target at a .env file.' });
    }
    await files.assertWritable(abs);
    const bytes = await files.read(abs);
    const text = bytes === undefined ? '' : decodeTarget(bytes, t.file);
    const found = readDotenvValue(text, t.key);
    if (found.distinctValues.length > 1) {
      throw new CfRotateError('conflict', `${t.key} is assigned ${found.occurrences} times with different values in ${t.file}.`, {
        hint: 'Remove the duplicates (or make them equal) so cf-rotate knows which value is live. Nothing was rotated.',
      });
    }
    if (found.value?.startsWith('encrypted:')) {
      throw new CfRotateError('file', `${t.key} in ${t.file} is encrypted (dotenvx); cf-rotate does not write encrypted values.`, {
        hint: 'Decrypt the file or point the target at a plain .env file.',
      });
    }
    // Prove now, before the API call, that the file can be patched.
    patchDotenv(text, [{ key: t.key, value: PROBE_VALUE }]);
    out.push({
      file: abs,
      rel: t.file,
      key: t.key,
      field: targetField(token, t),
      oldHash: found.value === undefined ? null : hashValue(found.value),
      done: false,
      current: found.value,
    });
  }
  return out;
}
