/**
 * Argument schemas of every command (zod/mini), so commands can be scripted and tested:
 * `vscode.commands.executeCommand('cfRotate.rotate', { name: 'ci-token', confirm: false })`.
 * Tree nodes are accepted wherever they make sense: they carry the same fields.
 * No vscode import: unit-tested.
 */
import * as z from 'zod/mini';
import * as l10n from '@vscode/l10n';
import { formatJsonPath } from '../core/config/load';
import { tokenSchema } from '../core/config/schema';
import { credentialArgSchema, PROFILE_NAME } from '../core/credentials';
import { CfRotateError } from '../core/errors';

const profileName = z.string().check(z.regex(PROFILE_NAME, { error: () => l10n.t('must be a profile name (letters, digits, space, . _ -)') }));
const nonEmpty = z.string().check(z.minLength(1, { error: () => l10n.t('must not be empty') }));

/** A token, by name (and folder when the workspace has several). Token tree nodes match too. */
export const tokenRefSchema = z.object({
  name: nonEmpty,
  /** Workspace folder: its path, name or URI. */
  folder: z.optional(nonEmpty),
});

const confirmFlags = {
  /** `false` skips the confirmation dialog. */
  confirm: z.optional(z.boolean()),
  /** `true` skips the confirmation dialog. */
  skipConfirm: z.optional(z.boolean()),
};

export const rotateArgsSchema = z.object({ ...tokenRefSchema.shape, ...confirmFlags });
export type RotateArgs = z.infer<typeof rotateArgsSchema>;

export const rotateBatchArgsSchema = z.object({
  ...confirmFlags,
  /** Only tokens of this workspace folder. */
  folder: z.optional(nonEmpty),
  concurrency: z.optional(z.int().check(z.minimum(1), z.maximum(16))),
});
export type RotateBatchArgs = z.infer<typeof rotateBatchArgsSchema>;

export const expireArgsSchema = rotateArgsSchema;
export const removeTokenArgsSchema = rotateArgsSchema;

/** setCredential without a secret: interactive, optionally for a given profile. */
export const credentialPromptArgsSchema = z.object({ profile: z.optional(profileName) });
export const verifyFlagSchema = z.object({ verify: z.optional(z.boolean()) });
export { credentialArgSchema };

/** clearCredential / verifyCredential: a profile; token nodes carry `profile` too. */
export const profileArgsSchema = z.object({
  profile: z.optional(profileName),
  /** clearCredential: `false` skips the confirmation dialog. */
  confirm: z.optional(z.boolean()),
});

/**
 * setGitHubToken: `{ token }` stores it without asking; `{ clear: true }` deletes the stored token;
 * no argument asks (a password box). The token is never echoed in a message.
 */
export const setGitHubTokenArgsSchema = z.union([
  z.strictObject({ token: z.string().check(z.regex(/^[\x21-\x7e]{20,255}$/, { error: () => l10n.t('is not a GitHub token (20-255 printable characters, no spaces)') })) }),
  z.strictObject({ clear: z.literal(true) }),
]);

export const openConfigArgsSchema = z.object({
  folder: z.optional(nonEmpty),
  /** JSON path to reveal, e.g. `tokens[2].accountId`. */
  path: z.optional(z.string()),
});

export const addTokenArgsSchema = z.object({
  folder: z.optional(nonEmpty),
  token: z.optional(tokenSchema),
});
export { tokenSchema };

/** A file target: `{ folder, file, key }` (file target nodes match). */
export const revealFileArgsSchema = z.object({
  folder: nonEmpty,
  file: nonEmpty,
  key: nonEmpty,
});

const HEX32 = /^[0-9a-fA-F]{32}$/;
const hex32 = z.string().check(z.regex(HEX32, { error: () => l10n.t('must be 32 hex characters') }));
/** A destination by its ids (destination target nodes carry it as `destination`); checked like cf-rotate.json checks them. */
export const destinationRefSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('worker'), accountId: hex32, worker: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, { error: () => l10n.t('must be a Worker name') })) }),
  z.object({ type: z.literal('pages'), accountId: hex32, pages: z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{0,57}$/, { error: () => l10n.t('must be a Pages project name') })) }),
  z.object({ type: z.literal('secrets-store'), accountId: hex32, secretsStore: hex32 }),
  z.object({
    type: z.literal('github'),
    github: z.string().check(z.regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/, { error: () => l10n.t('must be owner/repo') })),
    environment: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_.-](?:[A-Za-z0-9_. -]{0,253}[A-Za-z0-9_.-])?$/, { error: () => l10n.t('must be an environment name') }))),
  }),
]);
/** A destination target: `{ folder?, destination }`. */
export const revealDestinationArgsSchema = z.object({ folder: z.optional(nonEmpty), destination: destinationRefSchema });

/** Reveal Target: a file target (opens the file at the variable) or a destination (opens its settings page in the browser). */
export const revealTargetArgsSchema = z.union([revealFileArgsSchema, revealDestinationArgsSchema]);

export const resumeArgsSchema = z.object({
  /** Resume every interrupted rotation without asking. */
  all: z.optional(z.boolean()),
  /** A journal id (`id` of an entry of `engine.interrupted()`). Not `id`: tree nodes have an `id` of their own. */
  journalId: z.optional(nonEmpty),
  /** Or the token's name (and folder). Token tree nodes match. */
  name: z.optional(nonEmpty),
  folder: z.optional(nonEmpty),
  /** Overwrite targets that hold neither the old nor the new value. */
  overwriteConflicts: z.optional(z.boolean()),
  /** Discard the selected journal(s) instead of resuming (loses a new secret they may hold). */
  discard: z.optional(z.boolean()),
  /**
   * A rotation held by a process this machine cannot check (another host, a rebuilt dev
   * container): `true` takes it over without asking (with `all`, such rotations are included),
   * `false` never does (it is answered busy); absent: the user is asked.
   */
  takeOver: z.optional(z.boolean()),
});
export type ResumeArgs = z.infer<typeof resumeArgsSchema>;

export const historyArgsSchema = z.object({
  limit: z.optional(z.int().check(z.minimum(1), z.maximum(1000))),
  /** `false`: only return the entries, show no picker. */
  show: z.optional(z.boolean()),
});

interface IssueLike {
  path: readonly PropertyKey[];
  message: string;
  code?: string;
  /** invalid_union: the issues of each alternative. */
  errors?: readonly (readonly IssueLike[])[];
}

/** Flatten union failures to the alternative that came closest (fewest issues). */
function flatten(issues: readonly IssueLike[], prefix: readonly PropertyKey[] = []): { path: PropertyKey[]; message: string }[] {
  const out: { path: PropertyKey[]; message: string }[] = [];
  for (const i of issues) {
    const here = [...prefix, ...i.path];
    if (i.code === 'invalid_union' && i.errors && i.errors.length > 0) {
      const best = [...i.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      if (best.length > 0) {
        out.push(...flatten(best, here));
        continue;
      }
    }
    out.push({ path: here, message: i.message });
  }
  return out;
}

/** Paths and messages only: an argument may hold a secret, so values are never quoted. */
export function describeIssues(issues: readonly IssueLike[]): string {
  return flatten(issues)
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? formatJsonPath(i.path) : l10n.t('argument')}: ${i.message}`)
    .join('; ');
}

interface SafeParser<T> {
  safeParse(data: unknown): { success: true; data: T } | { success: false; error: { issues: readonly IssueLike[] } };
}

/**
 * Parse a command argument. `undefined`/`null` → `undefined` (interactive use). Anything else
 * must match, or a 'validation' error names the command and the offending paths (never values).
 */
export function parseArg<T>(schema: SafeParser<T>, arg: unknown, command: string): T | undefined {
  if (arg === undefined || arg === null) return undefined;
  const r = schema.safeParse(arg);
  if (r.success) return r.data;
  throw new CfRotateError('validation', l10n.t('Invalid argument for {0}: {1}.', command, describeIssues(r.error.issues)), {
    hint: l10n.t('See the README for the argument format of each command.'),
  });
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
