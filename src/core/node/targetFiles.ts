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
import * as l10n from '@vscode/l10n';
import { CONFIG_RELATIVE_PATH, type ConfigIssue } from '../config/load';
import { isEnvLikeFile, isFileTarget, linkedNotEnvStyle, type FileTargetConfig, type TokenConfig } from '../config/schema';
import { CheckedFiles, NotRegularFileError, type NonRegularType } from './checked';
import { allSettled, call, runAsync, type Steps } from './io';
import { foldPathCase } from '../pathCase';

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
export function targetFileIssues(folder: string, tokens: readonly TokenConfig[], files: CheckedFiles = new CheckedFiles(), configFile?: string): Promise<ConfigIssue[]> {
  return runAsync(targetFileIssueSteps(folder, tokens, files, configFile));
}

/** The steps of `targetFileIssues`, to run either way (see io.ts: the editor's first load runs them synchronously). */
export function* targetFileIssueSteps(folder: string, tokens: readonly TokenConfig[], files: CheckedFiles = new CheckedFiles(), configFile?: string): Steps<ConfigIssue[]> {
  let realConfig: string | undefined;
  if (configFile !== undefined) {
    try {
      realConfig = yield* call('realpath', configFile);
    } catch {
      /* no such file: nothing to compare with */
    }
  }
  // One look per file, however many targets name it, all at once.
  const names = [...new Set(tokens.flatMap((t) => t.targets.filter(isFileTarget).map((tg) => tg.file)))];
  const answers = yield* allSettled(names.map((file) => files.resolveSteps(folder, file, { denyGitDir: true, deny: [CONFIG_RELATIVE_PATH] })));
  const looks = new Map<string, { type?: NonRegularType; real?: string }>();
  names.forEach((file, i) => {
    const a = answers[i] as PromiseSettledResult<{ real: string }>;
    looks.set(file, a.status === 'fulfilled' ? { real: a.value.real } : a.reason instanceof NotRegularFileError ? { type: a.reason.type } : {});
  });
  const issue = (tg: FileTargetConfig, found: { type?: NonRegularType; real?: string }): string | undefined => {
    if (found.type) return ISSUE[found.type]();
    if (realConfig !== undefined && found.real === realConfig) return l10n.t('is the configuration file in use: cf-rotate does not write a secret into it');
    // A link inside the folder: the name rule holds for the file it leads to.
    if (found.real !== undefined && tg.allowAnyFile !== true && isEnvLikeFile(tg.file) && !isEnvLikeFile(found.real)) return linkedNotEnvStyle(found.real);
    return undefined;
  };
  // Two entries writing one variable of one file under two names (a link): the first one's new secret would be written over.
  const writers = new Map<string, number>();
  const shared = (i: number, tg: FileTargetConfig, real: string | undefined): string | undefined => {
    if (real === undefined) return undefined;
    const k = `${foldPathCase(real)}\u0000${tg.key}`;
    const first = writers.get(k);
    if (first === undefined) writers.set(k, i);
    return first !== undefined && first !== i ? l10n.t('leads to the same file as a target of tokens[{0}], which writes {1} too: two tokens cannot share one variable', first, tg.key) : undefined;
  };
  return tokens.flatMap((t, i) =>
    t.targets.flatMap((tg, j) => {
      if (!isFileTarget(tg)) return [];
      const found = looks.get(tg.file) ?? {};
      const message = issue(tg, found) ?? shared(i, tg, found.real);
      return message ? [{ path: `tokens[${i}].targets[${j}].file`, message }] : [];
    }),
  );
}
