/**
 * git for the editor: the same status the engine's git gate uses (core/node/git.ts: git by an
 * absolute path outside the workspace, fsmonitor off, a timeout), wording for notices, and the
 * ".gitignore" entry the extension offers, written through the checked writer (never through a
 * link, never a line other than the one path, which the config rules keep free of line breaks).
 * No vscode import.
 */
import * as l10n from '@vscode/l10n';
import { CheckedFiles } from '../core/node/checked';
import { NodeGit } from '../core/node/git';
import { hasUnsafeCharacters } from '../core/text';
import { CfRotateError } from '../core/errors';

export interface GitFileStatus {
  ignored: boolean;
  tracked: boolean;
}

/** Status of one target; undefined outside a git work tree or when git cannot answer. */
export async function gitFileStatus(folder: string, rel: string, git: NodeGit = new NodeGit()): Promise<GitFileStatus | undefined> {
  const s = (await git.status(folder, [rel])).get(rel);
  if (!s?.inWorkTree || s.problem !== undefined) return undefined;
  return { ignored: s.ignored === true, tracked: s.tracked === true };
}

/** Human warning for a target, or undefined when git protects it. */
export function gitWarning(rel: string, s: GitFileStatus | undefined): string | undefined {
  if (!s) return undefined;
  if (s.tracked) return l10n.t('{0} is tracked by git: the new secret would be committed with it. Remove it from the index (git rm --cached {0}) and ignore it.', rel);
  if (!s.ignored) return l10n.t('{0} is not ignored by git: it could be committed with the new secret.', rel);
  return undefined;
}

/** `.gitignore` text with an entry for `rel` appended, or undefined if an identical line exists. */
export function gitignoreWithEntry(text: string | undefined, rel: string): string | undefined {
  if (hasUnsafeCharacters(rel) || /[\r\n]/.test(rel)) {
    throw new CfRotateError('config', l10n.t('A target path with control characters cannot go into .gitignore.'), { hint: l10n.t('Fix the target path in cf-rotate.json.') });
  }
  const entry = `/${rel.replace(/\\/g, '/').replace(/^\.\//, '')}`;
  const current = text ?? '';
  const lines = current.split(/\r?\n/).map((l) => l.trim());
  if (lines.includes(entry) || lines.includes(entry.slice(1))) return undefined;
  const eol = current.includes('\r\n') ? '\r\n' : '\n';
  const sep = current === '' || current.endsWith('\n') ? '' : eol;
  return `${current}${sep}${entry}${eol}`;
}

/** Append `rel` to `<folder>/.gitignore` through the checked writer. Returns false if it was already listed. */
export async function addToGitignore(folder: string, rel: string, files: CheckedFiles = new CheckedFiles()): Promise<boolean> {
  const rules = { denyGitDir: true, maxBytes: 1024 * 1024 };
  const current = await files.read(folder, '.gitignore', rules);
  const next = gitignoreWithEntry(current && Buffer.from(current.bytes).toString('utf8'), rel);
  if (next === undefined) return false;
  await files.write(folder, '.gitignore', Buffer.from(next, 'utf8'), { ...rules, mode: 0o644 });
  return true;
}
