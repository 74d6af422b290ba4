/**
 * Is a target file protected from git? `git check-ignore -q` (0 = ignored) and
 * `git ls-files --error-unmatch` (0 = tracked), run in the workspace folder. A missing git or a
 * folder outside a repository yields `undefined`: the check is advisory and never blocks.
 * No vscode import.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export interface GitFileStatus {
  ignored: boolean;
  tracked: boolean;
}

interface ExecOutcome {
  code: number | undefined;
  missing: boolean;
}

function run(cwd: string, args: string[], timeoutMs: number): Promise<ExecOutcome> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, timeout: timeoutMs, windowsHide: true, maxBuffer: 64 * 1024 }, (err) => {
      if (!err) return resolve({ code: 0, missing: false });
      const e = err as NodeJS.ErrnoException & { code?: string | number };
      if (e.code === 'ENOENT') return resolve({ code: undefined, missing: true });
      resolve({ code: typeof e.code === 'number' ? e.code : undefined, missing: false });
    });
  });
}

export async function gitFileStatus(folder: string, rel: string, timeoutMs = 3000): Promise<GitFileStatus | undefined> {
  const ignore = await run(folder, ['check-ignore', '-q', '--', rel], timeoutMs);
  if (ignore.missing || (ignore.code !== 0 && ignore.code !== 1)) return undefined; // no git, not a repo, timeout
  const tracked = await run(folder, ['ls-files', '--error-unmatch', '--', rel], timeoutMs);
  if (tracked.missing || tracked.code === undefined) return undefined;
  return { ignored: ignore.code === 0, tracked: tracked.code === 0 };
}

/** Human warning for a target, or undefined when git protects it. */
export function gitWarning(rel: string, s: GitFileStatus | undefined): string | undefined {
  if (!s) return undefined;
  if (s.tracked) return `${rel} is tracked by git: the new secret would be committed with it. Remove it from the index (git rm --cached ${rel}) and ignore it.`;
  if (!s.ignored) return `${rel} is not ignored by git: it could be committed with the new secret.`;
  return undefined;
}

/** `.gitignore` text with an entry for `rel` appended, or undefined if an identical line exists. */
export function gitignoreWithEntry(text: string | undefined, rel: string): string | undefined {
  const entry = `/${rel.replace(/\\/g, '/').replace(/^\.\//, '')}`;
  const current = text ?? '';
  const lines = current.split(/\r?\n/).map((l) => l.trim());
  if (lines.includes(entry) || lines.includes(entry.slice(1))) return undefined;
  const eol = current.includes('\r\n') ? '\r\n' : '\n';
  const sep = current === '' || current.endsWith('\n') ? '' : eol;
  return `${current}${sep}${entry}${eol}`;
}

/** Append `rel` to `<folder>/.gitignore`. Returns false if it was already listed. */
export async function addToGitignore(folder: string, rel: string): Promise<boolean> {
  const file = path.join(folder, '.gitignore');
  let text: string | undefined;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const next = gitignoreWithEntry(text, rel);
  if (next === undefined) return false;
  await fs.writeFile(file, next, 'utf8');
  return true;
}
