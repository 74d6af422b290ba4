/**
 * Typed errors a user can act on. Every error carries:
 *  - `kind`: a stable machine-readable class (drives UI wording, CLI exit codes, tests);
 *  - `message`: what failed, in one sentence, never containing a secret;
 *  - `hint`: what to do next.
 * Messages are passed through the redactor when constructed, so even a careless caller
 * cannot smuggle a registered secret into an error.
 */
import { redact } from './redact';

export type ErrorKind =
  | 'auth' // 401 / code 10000 / 9106 / 6003: the admin credential is wrong or expired
  | 'permission' // 403 / 9109: the credential lacks a permission
  | 'not-found' // 404 / 7003 / 7000: the resource or route does not exist
  | 'rate-limited' // 429
  | 'server' // 5xx
  | 'contract' // response did not match Cloudflare's documented shape (includes: success without the secret)
  | 'ambiguous' // request was (maybe) sent but no answer: the rotation may have happened
  | 'network' // request never reached Cloudflare (DNS, refused): nothing happened
  | 'validation' // 400 / 1000-series: Cloudflare rejected the input
  | 'config' // cf-rotate.json or a setting is invalid
  | 'credential-missing' // no admin credential for the profile
  | 'file' // a target file cannot be read or written
  | 'conflict' // a target holds a value that is neither the old nor the new secret
  | 'busy' // another rotation of the same token holds the journal
  | 'untrusted' // workspace not trusted
  | 'cancelled'
  | 'internal';

export interface ErrorDetails {
  hint?: string;
  status?: number;
  codes?: number[];
  retryAfterMs?: number;
  /** Permission the failed operation needs, e.g. "Account API Tokens Write". */
  permission?: string;
  cause?: unknown;
}

export class CfRotateError extends Error {
  readonly kind: ErrorKind;
  readonly hint: string | undefined;
  readonly status: number | undefined;
  readonly codes: number[];
  readonly retryAfterMs: number | undefined;
  readonly permission: string | undefined;

  constructor(kind: ErrorKind, message: string, details: ErrorDetails = {}) {
    super(redact(message), details.cause !== undefined ? { cause: details.cause } : undefined);
    this.name = 'CfRotateError';
    this.kind = kind;
    this.hint = details.hint !== undefined ? redact(details.hint) : undefined;
    this.status = details.status;
    this.codes = details.codes ?? [];
    this.retryAfterMs = details.retryAfterMs;
    this.permission = details.permission;
  }

  /** Message plus hint, for notifications and CLI stderr. */
  get userMessage(): string {
    return this.hint ? `${this.message} ${this.hint}` : this.message;
  }

  toJSON(): { kind: ErrorKind; message: string; hint?: string; status?: number; codes?: number[] } {
    return {
      kind: this.kind,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.status ? { status: this.status } : {}),
      ...(this.codes.length ? { codes: this.codes } : {}),
    };
  }
}

export function isCfRotateError(e: unknown): e is CfRotateError {
  return e instanceof CfRotateError;
}

/** Normalise anything thrown into a CfRotateError without leaking secrets from foreign messages. */
export function toCfRotateError(e: unknown, fallbackKind: ErrorKind = 'internal'): CfRotateError {
  if (e instanceof CfRotateError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new CfRotateError(fallbackKind, msg, { cause: e });
}
