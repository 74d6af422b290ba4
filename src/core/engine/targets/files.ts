/** The file target: checking target files before anything irreversible happens, and the rules every target write obeys. */
import * as l10n from '@vscode/l10n';
import { createHash } from 'node:crypto';
import { fileTargets, isEnvLikeFile, linkedNotEnvStyle, targetField, targetPathProblem, type FileTargetConfig, type TokenConfig } from '../../config/schema';
import { CONFIG_RELATIVE_PATH, CONFIG_RULES, parseConfig, type ConfigTexts } from '../../config/load';
import { CfRotateError, toCfRotateError } from '../../errors';
import { foldPathCase } from '../../pathCase';
import { errorCodes } from '../../cloudflare/transport';
import type { SecretValues } from '../../cloudflare/types';
import { hostname } from 'node:os';
import { unverifiable, type FileRules, type Files, type Locks } from '../../ports';
import { wording } from '../../wording';
import { patchDotenv, readDotenvValue } from '../../dotenv/patch';
import { journalKey, type JournalEntry, type JournalTarget } from '../journal';
import type { KeyedQueue } from '../queue';

export const MAX_TARGET_BYTES = 50 * 1024 * 1024;
const PROBE_VALUE = 'cfut_PreflightProbeValue0123456789abcdefghijklmnop';

/** What every target read and write obeys: never under `.git/`, never the configuration itself. */
export const TARGET_RULES: FileRules = { denyGitDir: true, deny: [CONFIG_RELATIVE_PATH], maxBytes: MAX_TARGET_BYTES };

export function hashValue(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Does a target's key hold what it held before the rotation (`oldHash`; null: the key was absent)? */
export function holdsOldValue(t: Pick<JournalTarget, 'oldHash'>, value: string | undefined): boolean {
  return t.oldHash === null ? value === undefined : value !== undefined && hashValue(value) === t.oldHash;
}

// ignoreBOM: keep a leading BOM in the text (the default strips it, and the file would lose three bytes).
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decode a target's bytes, refusing binary and non-UTF-8 content. */
export function decodeTarget(bytes: Uint8Array, file: string): string {
  if (bytes.includes(0)) {
    throw new CfRotateError('file', l10n.t('{0} looks binary (it contains NUL bytes); cf-rotate only edits text .env files.', file), {
      hint: l10n.t('Point the target at a .env text file.'),
    });
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw new CfRotateError('file', l10n.t('{0} is not valid UTF-8; cf-rotate will not rewrite it.', file), {
      hint: l10n.t('Convert the file to UTF-8 and try again.'),
    });
  }
}

export function encodeTarget(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

/** Read a target's text (empty when the file does not exist yet), through the checked reader. */
export async function readTargetText(files: Files, folder: string, rel: string): Promise<{ text: string; real: string | undefined }> {
  const r = await files.read(folder, rel, TARGET_RULES);
  return r ? { text: decodeTarget(r.bytes, rel), real: r.file.real } : { text: '', real: undefined };
}

export interface PreparedTarget extends JournalTarget {
  /** Value the key holds now (kept in memory only: needed to prove an API token's old value is dead). */
  current: string | undefined;
  /** The real path the checked writer resolved (editor dirty checks, per-file locks). */
  real: string;
}

/** Preflight of one target: inside the folder, writable, not dirty, text, patchable, consistent. */
export async function prepareTarget(files: Files, folder: string, token: TokenConfig, t: FileTargetConfig, config?: string, configReal?: string): Promise<PreparedTarget> {
  // The entry and the JSON path of the target in it, as validate and the tree name it.
  const index = token.targets.indexOf(t);
  const at = index >= 0 ? l10n.t('"{0}" › targets[{1}].file', token.name, index) : undefined;
  const problem = targetPathProblem(t);
  if (problem) {
    throw new CfRotateError('config', l10n.t('The target file of "{0}" {1}.', token.name, problem), {
      hint: at ? l10n.t('Fix {0} in cf-rotate.json. Nothing was rotated.', at) : l10n.t('Fix the target in cf-rotate.json. Nothing was rotated.'),
    });
  }
  let checked: Awaited<ReturnType<Files['check']>>;
  try {
    // The configuration in use (given with --config) is refused like the default one.
    checked = await files.check(folder, t.file, config === undefined || config === CONFIG_RELATIVE_PATH ? TARGET_RULES : { ...TARGET_RULES, deny: [...(TARGET_RULES.deny ?? []), config] });
  } catch (e) {
    const err = toCfRotateError(e, 'file');
    if (!at || (err.kind !== 'file' && err.kind !== 'config')) throw err;
    throw new CfRotateError(err.kind, l10n.t('{0}: {1}', at, err.message), { ...(err.hint ? { hint: err.hint } : {}), codes: err.codes, cause: err.cause ?? err });
  }
  // The configuration in use however either is named (a link to it, or the config given through a link).
  if (configReal !== undefined && checked.real === configReal) {
    throw new CfRotateError('config', l10n.t('The target file of "{0}" is the configuration file {1}; cf-rotate does not write a secret into it.', token.name, config ?? CONFIG_RELATIVE_PATH), {
      hint: at ? l10n.t('Fix {0} in cf-rotate.json. Nothing was rotated.', at) : l10n.t('Fix the target in cf-rotate.json. Nothing was rotated.'),
    });
  }
  // The name rule holds for the file that is written: a link named .env must not lead to, say, public/index.html.
  if (t.allowAnyFile !== true && !isEnvLikeFile(checked.real)) {
    throw new CfRotateError('config', l10n.t('The target file of "{0}" {1}.', token.name, linkedNotEnvStyle(checked.real)), {
      hint: at ? l10n.t('Fix {0} in cf-rotate.json. Nothing was rotated.', at) : l10n.t('Fix the target in cf-rotate.json. Nothing was rotated.'),
    });
  }
  if (files.isDirty?.(checked.real)) {
    throw new CfRotateError('file', l10n.t('{0} has unsaved changes in an editor.', t.file), {
      hint: l10n.t('Save or revert it, then rotate again. Nothing was rotated.'),
    });
  }
  const { text } = await readTargetText(files, folder, t.file);
  const found = readDotenvValue(text, t.key);
  if (found.distinctValues.length > 1) {
    throw new CfRotateError('conflict', l10n.t('{0} is assigned {1} times with different values in {2}.', t.key, found.occurrences, t.file), {
      hint: l10n.t('Remove the duplicates (or make them equal) so cf-rotate knows which value is live. Nothing was rotated.'),
    });
  }
  if (found.value?.startsWith('encrypted:')) {
    throw new CfRotateError('file', l10n.t('{0} in {1} is encrypted (dotenvx); cf-rotate does not write encrypted values.', t.key, t.file), {
      hint: l10n.t('Decrypt the file or point the target at a plain .env file. Nothing was rotated.'),
    });
  }
  // Prove now, before the API call, that the file can be patched.
  patchDotenv(text, [{ key: t.key, value: PROBE_VALUE }]);
  return {
    rel: t.file,
    key: t.key,
    field: targetField(token, t),
    oldHash: found.value === undefined ? null : hashValue(found.value),
    done: false,
    ...(t.allowTracked === true ? { allowTracked: true as const } : {}),
    ...(checked.inner !== undefined ? { inner: checked.inner } : {}),
    current: found.value,
    real: checked.real,
  };
}

/**
 * The entries of the configuration `config` in `folder` as it is on disk now, or undefined when
 * it cannot be read or is invalid (the hosts read and validate it before they rotate: then there
 * is nothing to compare against).
 */
export async function configuredTokens(files: Files, folder: string, config: string, texts?: ConfigTexts): Promise<readonly TokenConfig[] | undefined> {
  try {
    const r = await files.read(folder, config, CONFIG_RULES);
    if (!r) return undefined;
    const text = new TextDecoder('utf-8', { fatal: true }).decode(r.bytes);
    // The editor's parsed texts (the default configuration of each folder): an unchanged file is not parsed again.
    return (texts && config === CONFIG_RELATIVE_PATH ? texts.parse(folder, text, config) : parseConfig(text, config)).tokens;
  } catch {
    return undefined;
  }
}

/**
 * Two entries must not write one variable of one file: the second rotation would write over the
 * first one's new secret, which would then be nowhere. The configuration refuses two spellings of
 * one path; this compares the files the names lead to (a link such as b.env → a.env, or a folder
 * linked to another), before any call. `others`: the configuration's entries.
 */
export async function assertOwnVariables(files: Files, folder: string, token: TokenConfig, prepared: readonly PreparedTarget[], others: readonly TokenConfig[]): Promise<void> {
  for (const o of others) {
    if (o.name === token.name) continue;
    for (const t of fileTargets(o)) {
      const mine = prepared.filter((p) => p.key === t.key);
      if (mine.length === 0) continue;
      const real = (await files.check(folder, t.file, TARGET_RULES).catch(() => undefined))?.real;
      const same = real === undefined ? undefined : mine.find((p) => foldPathCase(p.real) === foldPathCase(real));
      if (same) {
        throw new CfRotateError('config', l10n.t('"{0}" and "{1}" both write {2} of one file ({3} and {4} lead to the same file): a rotation of one would write over the other\'s secret.', token.name, o.name, t.key, same.rel, t.file), {
          hint: l10n.t('Give each token its own variable (or file) in cf-rotate.json. Nothing was rotated.'),
        });
      }
    }
  }
}

/** Where the configuration `config` (relative to the folder) really is; undefined when it is not a file inside the folder (then it cannot be a target). */
export async function configRealPath(files: Files, folder: string, config: string): Promise<string | undefined> {
  return (await files.check(folder, config, { denyGitDir: false }).catch(() => undefined))?.real;
}

/**
 * `config`: the configuration in use, relative to the folder (never a target). `configReal`: its
 * real path when the caller knows it (a batch resolves it once per folder).
 */
export async function prepareTargets(files: Files, folder: string, token: TokenConfig, config?: string, configReal?: Promise<string | undefined>): Promise<PreparedTarget[]> {
  const out: PreparedTarget[] = [];
  const targets = fileTargets(token);
  const real = config !== undefined && targets.length > 0 ? await (configReal ?? configRealPath(files, folder, config)) : undefined;
  for (const t of targets) out.push(await prepareTarget(files, folder, token, t, config, real));
  return out;
}

export interface FileWriteDeps {
  files: Files;
  locks: Locks;
  /** This process's queue per real path (one writer of a file at a time inside the process). */
  queue: KeyedQueue;
  /** How long to wait for another process's write of the same file. */
  fileLockWaitMs: number;
  /**
   * When each file's folder was last swept of temporaries left by dead processes (real path →
   * epoch ms): a batch writing one file a hundred times sweeps it once a minute, not each time.
   */
  swept?: Map<string, number>;
  /**
   * The new secret is in this process's memory only (its journal write failed): when the state
   * directory cannot hold the file's machine-wide lock either (disk full, read-only, no
   * permission), the file is written without it, inside this process's queue, rather than lose
   * the secret, once no live process holds that lock (reading it needs no space): a writer of
   * the same file is waited for (up to `waitMs`, default 2 minutes), never written past. `warn`
   * says so in the log.
   */
  unjournaled?: { warn(message: string): void; waitMs?: number };
}

const SWEEP_EVERY_MS = 60_000;

/** Errors of a state directory that cannot take a file (not of a lock someone holds). */
const STATE_STORAGE_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO']);

/**
 * Read, compare, patch, write, re-read one target file: inside this process's queue for the file
 * and under the file's machine-wide lock, through the checked writer (which re-resolves the path
 * from the folder and re-checks containment at the moment of writing). Idempotent: a target that
 * already holds the new value is left alone.
 */
export async function writeTargetFile(deps: FileWriteDeps, entry: Pick<JournalEntry, 'folder' | 'token'>, rel: string, group: readonly JournalTarget[], values: SecretValues, overwrite: boolean): Promise<void> {
  const files = deps.files;
  // The file the rotation's checks judged, or none: a link put in its place meanwhile is refused here and at the moment of writing.
  const sameAs = group.find((t) => t.inner !== undefined)?.inner;
  const rules = sameAs !== undefined ? { ...TARGET_RULES, sameAs } : TARGET_RULES;
  const checked = await files.check(entry.folder, rel, rules);
  const lockName = `file-${journalKey(checked.real)}`;
  await deps.queue.run(checked.real, async () => {
    let lease: Awaited<ReturnType<Locks['acquire']>> | undefined;
    try {
      lease = await deps.locks.acquire(lockName, l10n.t('writing {0}', rel), { waitMs: deps.fileLockWaitMs });
    } catch (e) {
      const code = errorCodes(e).find((c) => STATE_STORAGE_ERRORS.has(c));
      if (!deps.unjournaled || code === undefined) throw e;
      // A holder this machine cannot check (another host's, or of unknown start time) may be long
      // gone: it is not waited for. Past the wait the file is written all the same: a write
      // another writer might revert is better than a secret certainly lost.
      const until = Date.now() + (deps.unjournaled.waitMs ?? 120_000);
      let holder = await deps.locks.holder(lockName);
      while (holder && !unverifiable(holder, hostname()) && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 100));
        holder = await deps.locks.holder(lockName);
      }
      deps.unjournaled.warn(
        holder
          ? `"${entry.token}": the lock of ${rel} could not be taken (${code}), like the journal, and pid ${holder.pid} on ${holder.host} still holds it; writing the file without it, so the new secret is not lost. Check ${rel}: that process may write it again.`
          : `"${entry.token}": the lock of ${rel} could not be taken (${code}), like the journal, and no other process holds it; writing the file without it, so the new secret is not lost.`,
      );
    }
    try {
      const last = deps.swept?.get(checked.real);
      if (last === undefined || Date.now() - last >= SWEEP_EVERY_MS) {
        await files.sweep(entry.folder, rel).catch(() => 0);
        deps.swept?.set(checked.real, Date.now());
      }
      const { text, real } = await readTargetText(files, entry.folder, rel);
      const updates: { key: string; value: string }[] = [];
      for (const t of group) {
        const value = values[t.field];
        if (value === undefined) throw new CfRotateError('internal', l10n.t('The journal of "{0}" has no {1} to write into {2}.', entry.token, t.field, rel));
        const now = readDotenvValue(text, t.key);
        if (now.distinctValues.length === 1 && now.value === value) continue; // already written (resume)
        if (!holdsOldValue(t, now.value) && !overwrite) {
          throw new CfRotateError('conflict', l10n.t('{0} in {1} changed during the rotation: it holds neither the old nor the new value.', t.key, rel), {
            hint: l10n.t('Check the file, then {0} to write the new secret over it, or discard the rotation.', wording().resumeOverwrite()),
          });
        }
        updates.push({ key: t.key, value });
      }
      if (updates.length === 0) return;
      if (files.isDirty?.(real ?? checked.real)) {
        throw new CfRotateError('file', l10n.t('{0} has unsaved changes in an editor.', rel), { hint: l10n.t('Save or revert it, then resume the rotation.') });
      }
      const patched = patchDotenv(text, updates);
      await files.write(entry.folder, rel, encodeTarget(patched.text), { ...rules, mode: 0o600 });
      const back = await readTargetText(files, entry.folder, rel);
      for (const u of updates) {
        if (readDotenvValue(back.text, u.key).value !== u.value) {
          throw new CfRotateError('file', l10n.t('{0} did not keep the new value of {1} after writing.', rel, u.key), { hint: l10n.t('Check the disk and resume the rotation.') });
        }
      }
    } finally {
      await lease?.release();
    }
  });
}
