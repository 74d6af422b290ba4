/**
 * package.json as VS Code shows it: every `%key%` string replaced by its English text from
 * package.nls.json (the manifest's user-visible strings live there, for localisation).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './util';

/** The English strings of the manifest (package.nls.json). */
export function manifestStrings(root = repoRoot()): Record<string, string> {
  return JSON.parse(fs.readFileSync(path.join(root, 'package.nls.json'), 'utf8')) as Record<string, string>;
}

/** Replaces every `%key%` string (anywhere in `value`) with its text; an unknown key throws. */
export function localiseManifest<T>(value: T, strings: Record<string, string>): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const m = /^%([^%\s]+)%$/.exec(v);
      if (!m) return v;
      const text = strings[m[1] as string];
      if (text === undefined) throw new Error(`package.json names ${v}, which package.nls.json does not define`);
      return text;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** package.json with its `%key%` strings resolved. */
export function readManifest<T = Record<string, unknown>>(root = repoRoot()): T {
  const raw = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as unknown;
  return localiseManifest(raw, manifestStrings(root)) as T;
}
