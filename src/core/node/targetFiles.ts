/**
 * What the file system says about a configuration's file targets before any rotation: a target
 * that exists and is not a regular file (a FIFO, a device, a socket, a directory; also when a
 * link inside the folder leads to one) is a problem of the configuration, named by its JSON path
 * (`tokens[0].targets[1].file`), as `validate` (CLI) and the Tokens view report every other
 * problem. Preflight refuses the same targets at rotation time (the checked writer).
 *
 * Also a link inside the folder, named env-style, that leads to a file whose name is not (the name
 * rule holds for the file written).
 *
 * Only the file type and that name are judged here. A target that does not exist yet is fine (the first rotation
 * creates it), and whatever else the checked writer refuses (a link out of the folder, a folder
 * that cannot be read) is left to preflight, which says why.
 */
import { promises as fs } from 'node:fs';
import * as l10n from '@vscode/l10n';
import { CONFIG_RELATIVE_PATH, type ConfigIssue } from '../config/load';
import { isEnvLikeFile, isFileTarget, linkedNotEnvStyle, type FileTargetConfig, type TokenConfig } from '../config/schema';
import { CheckedFiles, NotRegularFileError, type NonRegularType } from './checked';

/** The problem of each non-regular type, as a config issue says it (after the JSON path). */
const ISSUE: Record<NonRegularType, () => string> = {
  directory: () => l10n.t('is a directory, not a regular file: cf-rotate writes a secret only into a regular file'),
  fifo: () => l10n.t('is a FIFO (named pipe), not a regular file: cf-rotate writes a secret only into a regular file'),
  socket: () => l10n.t('is a socket, not a regular file: cf-rotate writes a secret only into a regular file'),
  symlink: () => l10n.t('is a symbolic link, not a regular file: cf-rotate writes a secret only into a regular file'),
  device: () => l10n.t('is a device, not a regular file: cf-rotate writes a secret only into a regular file'),
};

/**
 * Every file target of `tokens` (in `folder`) that is there and is not a regular file, by JSON path;
 * also one that is the configuration file in use (`configFile`, given with --config: the default
 * path is refused by the schema), through a link or not.
 */
export async function targetFileIssues(folder: string, tokens: readonly TokenConfig[], files: CheckedFiles = new CheckedFiles(), configFile?: string): Promise<ConfigIssue[]> {
  const realConfig = configFile === undefined ? undefined : await fs.realpath(configFile).catch(() => undefined);
  // One look per file, however many targets name it.
  const looks = new Map<string, Promise<{ type?: NonRegularType; real?: string }>>();
  const look = (file: string): Promise<{ type?: NonRegularType; real?: string }> => {
    let p = looks.get(file);
    if (p === undefined) {
      p = files.resolve(folder, file, { denyGitDir: true, deny: [CONFIG_RELATIVE_PATH] }).then(
        (r) => ({ real: r.real }),
        (e: unknown) => (e instanceof NotRegularFileError ? { type: e.type } : {}),
      );
      looks.set(file, p);
    }
    return p;
  };
  const issue = (tg: FileTargetConfig, found: { type?: NonRegularType; real?: string }): string | undefined => {
    if (found.type) return ISSUE[found.type]();
    if (realConfig !== undefined && found.real === realConfig) return l10n.t('is the configuration file in use: cf-rotate does not write a secret into it');
    // A link inside the folder: the name rule holds for the file it leads to.
    if (found.real !== undefined && tg.allowAnyFile !== true && isEnvLikeFile(tg.file) && !isEnvLikeFile(found.real)) return linkedNotEnvStyle(found.real);
    return undefined;
  };
  const found = tokens.flatMap((t, i) =>
    t.targets.map((tg, j) => {
      if (!isFileTarget(tg)) return Promise.resolve([]);
      return look(tg.file).then((f) => {
        const message = issue(tg, f);
        return message ? [{ path: `tokens[${i}].targets[${j}].file`, message }] : [];
      });
    }),
  );
  return (await Promise.all(found)).flat();
}
