import { parseTree, type Node, type ParseError } from 'jsonc-parser';
import * as l10n from '@vscode/l10n';
import { wording } from '../wording';
import type * as Codegen from './codegen';
import { CfRotateError } from '../errors';
import { configSchema, crossEntryIssues, MAX_TOKENS, TARGET_DISCRIMINATORS, TOKEN_KINDS, TOKEN_SCHEMAS, type CfRotateConfig, type TokenConfig, type TokenKind } from './schema';
import { describeSyntaxErrors } from './syntax';

export const CONFIG_RELATIVE_PATH = '.vscode/cf-rotate.json';
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** How cf-rotate.json is read and written through the checked files: inside the folder, never under .git, at most 1 MiB. */
export const CONFIG_RULES = { denyGitDir: true, maxBytes: MAX_CONFIG_BYTES } as const;

export interface ConfigIssue {
  /** JSON path such as `tokens[2].accountId`, or `(file)` for syntax errors. */
  path: string;
  message: string;
}

export class ConfigError extends CfRotateError {
  readonly issues: ConfigIssue[];
  constructor(file: string, issues: ConfigIssue[]) {
    const shown = issues.slice(0, 5).map((i) => `${i.path}: ${i.message}`).join('; ');
    // A problem of the whole file (syntax, size) reads as a sentence: "<file> has a syntax error at line 4, …".
    const whole = issues.length > 0 && issues.every((i) => i.path === '(file)');
    super(
      'config',
      whole
        ? `${file} ${issues.map((i) => i.message).join('; ')}`
        : issues.length > 5
          ? l10n.t('{0} is invalid: {1} (+{2} more)', file, shown, issues.length - 5)
          : l10n.t('{0} is invalid: {1}', file, shown),
      {
        hint: l10n.t('Fix {0} ({1}), then try again.', file, wording().openConfig()),
      },
    );
    this.issues = issues;
  }
}

/** `['tokens', 2, 'accountId']` → `tokens[2].accountId`. */
export function formatJsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out || '(root)';
}

/** Makes a parsed configuration read-only all the way down, so one handed out again cannot have been changed by an earlier caller. */
function deepFreeze<T>(v: T): T {
  if (typeof v !== 'object' || v === null || Object.isFrozen(v)) return v;
  for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  return Object.freeze(v);
}

/**
 * The last configuration of each folder, given back while the folder's cf-rotate.json still has
 * the same text: the editor reads the file again on every save, on Refresh, when the file
 * watcher fires, and most of those texts are unchanged; a 1,000-token file takes ~10 ms to parse
 * again (~30 ms in a fresh process). The configuration depends on the text alone. One text per
 * folder is kept (an edited file replaces it); a text with problems is parsed every time (its
 * messages are in the display language of the moment) and keeps nothing. What it hands out is
 * frozen all the way down: every caller shares it.
 */
export class ConfigTexts {
  private readonly last = new Map<string, { text: string; config: CfRotateConfig }>();

  /** `folder`: whose file this is (a key: one text is kept per folder). */
  parse(folder: string, text: string, file = CONFIG_RELATIVE_PATH): CfRotateConfig {
    const known = this.last.get(folder);
    if (known !== undefined && known.text === text) return known.config;
    this.last.delete(folder);
    const config = deepFreeze(parseConfig(text, file));
    this.last.set(folder, { text, config });
    return config;
  }

  /** A folder that left the workspace (or whose file is gone): its text is not kept. */
  forget(folder: string): void {
    this.last.delete(folder);
  }
}

/**
 * Parse and validate the text of a cf-rotate.json. Comments and trailing commas are accepted
 * (it lives in .vscode/, where VS Code treats JSON as JSONC). Throws ConfigError naming JSON paths.
 */
export function parseConfig(text: string, file = CONFIG_RELATIVE_PATH): CfRotateConfig {
  if (text.length > MAX_CONFIG_BYTES) {
    throw new ConfigError(file, [{ path: '(file)', message: l10n.t('is larger than {0} bytes', MAX_CONFIG_BYTES) }]);
  }
  const body = text.replace(/^\uFEFF/, '');
  let data: unknown;
  try {
    data = JSON.parse(body); // fast path: most files are plain JSON
  } catch {
    data = undefined;
  }
  const errors: ParseError[] = [];
  if (data === undefined) data = parseJsoncValue(body, errors);
  if (errors.length > 0) {
    throw new ConfigError(file, [{ path: '(file)', message: describeSyntaxErrors(body, errors) }]);
  }
  return validateConfig(data, file);
}

/**
 * The value of a JSONC text (comments and trailing commas allowed), with every key an own property
 * as JSON.parse makes it. jsonc-parser's `parse` assigns keys (`obj[key] = value`), so a
 * `"__proto__"` key there set the object's prototype: the keys inside it were read as the
 * object's own by the schema, yet not refused as unknown keys, only when the file had a comment
 * or a trailing comma. Syntax errors go to `errors`.
 */
export function parseJsoncValue(text: string, errors: ParseError[]): unknown {
  const tree = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  return tree === undefined ? undefined : valueOf(tree);
}

function valueOf(n: Node): unknown {
  if (n.type === 'array') return (n.children ?? []).map(valueOf);
  if (n.type !== 'object') return n.value;
  const out: Record<string, unknown> = {};
  for (const p of n.children ?? []) {
    const [k, v] = p.children ?? [];
    if (k && v) Object.defineProperty(out, String(k.value), { value: valueOf(v), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** From this many tokens on, the generated parsers pay for their one-off code generation. */
export const COMPILE_FROM_TOKENS = 200;

/** Per kind: zod's generated parser of that kind's entry schema (null: zod could not compile it). */
const kindParsers = new Map<TokenKind, ((input: unknown) => unknown) | null>();
/** How many entries `data.tokens` lists (0 when it is no list). */
function tokenCount(data: unknown): number {
  const tokens = typeof data === 'object' && data !== null ? (data as { tokens?: unknown }).tokens : undefined;
  return Array.isArray(tokens) ? tokens.length : 0;
}

let codegen: typeof Codegen | null | undefined;
/** zod's code generator, loaded the first time the fast path runs (./codegen); null if it cannot be loaded. */
function loadCodegen(): typeof Codegen | null {
  if (codegen === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      codegen = require('./codegen') as typeof Codegen;
    } catch {
      codegen = null;
    }
  }
  return codegen;
}

function kindParser(cg: typeof Codegen, kind: TokenKind): ((input: unknown) => unknown) | null {
  let p = kindParsers.get(kind);
  if (p === undefined) {
    try {
      p = cg.compileFn(TOKEN_SCHEMAS[kind]) as (input: unknown) => unknown;
    } catch {
      p = null;
    }
    kindParsers.set(kind, p);
  }
  return p;
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/**
 * The fast path for large configurations, with zod's generated parsers: each entry is parsed by the
 * parser that zod's own code generator (`compileFn` of zod/v4/core, what `z.compile` uses) writes
 * for its kind's schema, generated the first time a kind is met; the rules across entries are
 * configSchema's own (`crossEntryIssues`). It is the same zod schema: a valid configuration parses
 * to the same value (a unit test compares them on valid and broken configurations), and anything
 * the fast path does not accept at once (undefined here) is parsed again by configSchema's runtime
 * parser, which reports the issues (same messages and paths). Only the kinds a configuration uses
 * are generated: 1,000 API tokens, first parseConfig in a fresh process, about 16 ms instead of 25 for
 * the whole schema generated (11 ms of code generation) or 33 for the runtime parser. A
 * configuration of a few dozen tokens (the usual one, read while the editor starts) is parsed by
 * the runtime parser alone: there the code generation would cost more than it saves. If zod cannot
 * compile a kind (no `new Function`, or a future zod refuses it), or the generator's bundle cannot
 * be loaded (dist/codegen.js, which the runtime requires on demand), that kind goes to the runtime parser; a
 * unit test checks that every kind compiles.
 */
export function fastParse(data: unknown): CfRotateConfig | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const record = data as Record<string, unknown>;
  const tokensIn = record.tokens;
  if (!Array.isArray(tokensIn)) return undefined;
  for (const k of Object.keys(record)) if (k !== 'tokens' && k !== '$schema') return undefined;
  const schemaRef = record.$schema;
  if (hasOwn(record, '$schema') && typeof schemaRef !== 'string') return undefined;
  if (tokensIn.length > MAX_TOKENS) return undefined;
  const cg = loadCodegen();
  if (cg === null) return undefined;
  const tokens = new Array<TokenConfig>(tokensIn.length);
  for (let i = 0; i < tokensIn.length; i++) {
    const entry: unknown = tokensIn[i];
    if (typeof entry !== 'object' || entry === null) return undefined;
    const kind = (entry as { kind?: unknown }).kind;
    if (typeof kind !== 'string' || !hasOwn(TOKEN_SCHEMAS, kind)) return undefined;
    const parse = kindParser(cg, kind as TokenKind);
    if (parse === null) return undefined;
    const out = parse(entry);
    if (out === cg.INVALID) return undefined;
    tokens[i] = out as TokenConfig;
  }
  let problems = 0;
  crossEntryIssues(tokens, () => problems++);
  if (problems > 0) return undefined;
  return typeof schemaRef === 'string' ? { $schema: schemaRef, tokens } : { tokens };
}

export function validateConfig(data: unknown, file = CONFIG_RELATIVE_PATH): CfRotateConfig {
  // From the first configuration of COMPILE_FROM_TOKENS entries on (a kind compiled), every configuration takes the fast path.
  const fast = tokenCount(data) >= COMPILE_FROM_TOKENS || kindParsers.size > 0 ? fastParse(data) : undefined;
  if (fast !== undefined) return fast;
  const result = configSchema.safeParse(data, { reportInput: true });
  if (!result.success) {
    throw new ConfigError(
      file,
      expandTargetUnions(result.error.issues as unknown as UnionIssue[]).map((i) => ({ path: formatJsonPath(i.path), message: friendlyMessage(i) })),
    );
  }
  return result.data;
}

interface UnionIssue extends IssueLike {
  path: PropertyKey[];
  errors?: UnionIssue[][];
}

/**
 * A target that matches none of the target shapes fails as a whole union; report the problems of
 * the shape it names (its "file", "worker", "pages", "secretsStore" or "github" key) instead; a
 * target that names none is read as a file target (the shape every target had before destinations).
 */
export function expandTargetUnions(issues: readonly UnionIssue[]): UnionIssue[] {
  const out: UnionIssue[] = [];
  for (const i of issues) {
    const isTarget = i.code === 'invalid_union' && i.path.length >= 2 && i.path[i.path.length - 2] === 'targets';
    if (!isTarget) {
      out.push(i);
      continue;
    }
    const input = i.input;
    const record = typeof input === 'object' && input !== null && !Array.isArray(input);
    const named = record ? TARGET_DISCRIMINATORS.findIndex((k) => k in input) : -1;
    const present = record && named < 0 ? 0 : named;
    const branch = present >= 0 ? i.errors?.[present] : undefined;
    if (!branch || branch.length === 0) {
      out.push({ ...i, code: 'custom', message: l10n.t('must be a target: { "file", "key" }, { "worker", "key" }, { "pages", "environment", "key" }, { "secretsStore", "secretId" } or { "github", "key" }') });
      continue;
    }
    out.push(...expandTargetUnions(branch.map((b) => ({ ...b, path: [...i.path, ...b.path] }))));
  }
  return out;
}

interface IssueLike {
  code?: string;
  message: string;
  expected?: unknown;
  options?: unknown;
  values?: unknown;
  keys?: unknown;
  input?: unknown;
}

/** A type as the messages name it ("a string", "an array"): the JSON types in the display language. */
function aType(t: string): string {
  switch (t) {
    case 'string':
      return l10n.t('a string');
    case 'number':
      return l10n.t('a number');
    case 'int':
      return l10n.t('an int');
    case 'boolean':
      return l10n.t('a boolean');
    case 'object':
      return l10n.t('an object');
    case 'array':
      return l10n.t('an array');
    default:
      // Only code can pass these (a function, a symbol, a bigint): JSON has no such values.
      return l10n.t('a value of type {0}', t);
  }
}

function describeInput(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return l10n.t('an array');
  return aType(typeof v);
}

function friendlyMessage(i: IssueLike): string {
  switch (i.code) {
    case 'invalid_type':
      return i.input === undefined ? l10n.t('is required') : l10n.t('must be {0}, not {1}', aType(String(i.expected)), describeInput(i.input));
    case 'invalid_union':
      return l10n.t('has an unknown "kind": use {0} or {1}', TOKEN_KINDS.slice(0, -1).join(', '), TOKEN_KINDS[TOKEN_KINDS.length - 1] as string);
    case 'unrecognized_keys': {
      const keys = Array.isArray(i.keys) ? i.keys.map((k) => JSON.stringify(k)).join(', ') : l10n.t('a key');
      return l10n.t('has an unknown key {0}: cf-rotate.json allows only the documented keys (a misspelt key would otherwise be ignored silently)', keys);
    }
    case 'invalid_value': {
      const options = Array.isArray(i.options) ? i.options : Array.isArray(i.values) ? i.values : undefined;
      if (i.input === undefined && (i as { path?: unknown[] }).path !== undefined && options) return l10n.t('is required: one of {0}', options.map((o) => JSON.stringify(o)).join(', '));
      return options ? l10n.t('must be one of {0}', options.map((o) => JSON.stringify(o)).join(', ')) : i.message;
    }
    default:
      return i.message;
  }
}

/** A starter config for "Create cf-rotate.json". */
export function starterConfig(): string {
  return '{\n  "tokens": []\n}\n';
}
