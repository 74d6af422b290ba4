/**
 * What the file system says about a configuration's file targets before any rotation: a target
 * that exists and is not a regular file (a FIFO, a device, a socket, a directory; also when a
 * link inside the folder leads to one) is a problem of the configuration, named by its JSON path
 * (`tokens[0].targets[1].file`), as `validate` (CLI) and the Tokens view report every other
 * problem. Preflight refuses the same targets at rotation time (the checked writer).
 *
 * Only the file type is judged here. A target that does not exist yet is fine (the first rotation
 * creates it), and whatever else the checked writer refuses (a link out of the folder, a folder
 * that cannot be read) is left to preflight, which says why.
 */
import * as l10n from '@vscode/l10n';
import { CONFIG_RELATIVE_PATH, type ConfigIssue } from '../config/load';
import { isFileTarget, type TokenConfig } from '../config/schema';
import { CheckedFiles, NotRegularFileError, type NonRegularType } from './checked';

/** The problem of each non-regular type, as a config issue says it (after the JSON path). */
const ISSUE: Record<NonRegularType, () => string> = {
  directory: () => l10n.t('is a directory, not a regular file: cf-rotate writes a secret only into a regular file'),
  fifo: () => l10n.t('is a FIFO (named pipe), not a regular file: cf-rotate writes a secret only into a regular file'),
  socket: () => l10n.t('is a socket, not a regular file: cf-rotate writes a secret only into a regular file'),
  symlink: () => l10n.t('is a symbolic link, not a regular file: cf-rotate writes a secret only into a regular file'),
  device: () => l10n.t('is a device, not a regular file: cf-rotate writes a secret only into a regular file'),
};

/** Every file target of `tokens` (in `folder`) that is there and is not a regular file, by JSON path. */
export async function targetFileIssues(folder: string, tokens: readonly TokenConfig[], files: CheckedFiles = new CheckedFiles()): Promise<ConfigIssue[]> {
  // One look per file, however many targets name it.
  const looks = new Map<string, Promise<NonRegularType | undefined>>();
  const look = (file: string): Promise<NonRegularType | undefined> => {
    let p = looks.get(file);
    if (p === undefined) {
      p = files.resolve(folder, file, { denyGitDir: true, deny: [CONFIG_RELATIVE_PATH] }).then(
        () => undefined,
        (e: unknown) => (e instanceof NotRegularFileError ? e.type : undefined),
      );
      looks.set(file, p);
    }
    return p;
  };
  const found = tokens.flatMap((t, i) => t.targets.map((tg, j) => (isFileTarget(tg) ? look(tg.file).then((type) => (type ? [{ path: `tokens[${i}].targets[${j}].file`, message: ISSUE[type]() }] : [])) : Promise.resolve([]))));
  return (await Promise.all(found)).flat();
}
