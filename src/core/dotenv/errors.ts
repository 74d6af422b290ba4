/**
 * Errors raised by the .env scanner/patcher.
 *
 * Messages name keys, never values: every value in a .env file is treated as a secret,
 * including the values of keys we are not touching.
 */
import * as l10n from '@vscode/l10n';
import { CfRotateError, type ErrorKind } from '../errors';

export type PatchErrorCode =
  /** The new value cannot be written so that dotenv reads it back unchanged (or is not allowed at all). */
  | 'unsafe-value'
  /** A key is not a dotenv key (`[\w.-]+`) or cannot be represented by dotenv.parse. */
  | 'invalid-key'
  /** The update list itself is inconsistent (the same key twice with different values, not a string, ...). */
  | 'invalid-update'
  /** The text contains NUL characters: it is not a text .env file. */
  | 'binary'
  /** The in-memory check of the patched text failed; nothing must be written. */
  | 'verify-failed';

const KIND_BY_CODE: Record<PatchErrorCode, ErrorKind> = {
  'unsafe-value': 'file',
  'invalid-key': 'config',
  'invalid-update': 'internal',
  binary: 'file',
  'verify-failed': 'file',
};

/** Built when the error is made (the display language's words). */
const HINT_BY_CODE: Record<PatchErrorCode, () => string> = {
  'unsafe-value': () => l10n.t('The file was not changed.'),
  'invalid-key': () => l10n.t('Use a key made of letters, digits, "_", "." or "-".'),
  'invalid-update': () => l10n.t('The file was not changed.'),
  binary: () => l10n.t('Point the target at a text .env file.'),
  'verify-failed': () => l10n.t('The file was not changed. Edit the surrounding lines (for example an unclosed quote) and try again.'),
};

export class PatchError extends CfRotateError {
  readonly code: PatchErrorCode;
  /** Keys involved, if any (never values). */
  readonly keys: readonly string[];

  constructor(code: PatchErrorCode, message: string, keys: readonly string[] = []) {
    super(KIND_BY_CODE[code], message, { hint: HINT_BY_CODE[code]() });
    this.name = 'PatchError';
    this.code = code;
    this.keys = [...keys];
  }
}

export function isPatchError(e: unknown): e is PatchError {
  return e instanceof PatchError;
}
