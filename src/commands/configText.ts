/**
 * Edits of `.vscode/cf-rotate.json` text that keep everything else (comments, order, formatting):
 * jsonc-parser `modify` + `applyEdits`. No vscode import: unit-tested.
 */
import * as l10n from '@vscode/l10n';
import { applyEdits, findNodeAtLocation, modify, parseTree, type FormattingOptions, type JSONPath, type ParseError } from 'jsonc-parser';
import { parseConfig, parseJsoncValue, starterConfig } from '../core/config/load';
import { configSchema } from '../core/config/schema';
import { CfRotateError } from '../core/errors';

export function formattingOf(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const indent = /^([ \t]+)"/m.exec(text)?.[1];
  if (indent?.startsWith('\t')) return { insertSpaces: false, tabSize: 1, eol };
  return { insertSpaces: true, tabSize: indent ? indent.length : 2, eol };
}

function parseRaw(text: string, file: string): unknown {
  const errors: ParseError[] = [];
  const data: unknown = parseJsoncValue(text.replace(/^\uFEFF/, ''), errors);
  if (errors.length > 0) {
    throw new CfRotateError('config', l10n.t('{0} has JSON syntax errors; cf-rotate will not edit it.', file), {
      hint: l10n.t('Fix the syntax (run "Cloudflare Rotate: Open Configuration"), then try again.'),
    });
  }
  return data;
}

function rawTokens(data: unknown): unknown[] | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const tokens = (data as { tokens?: unknown }).tokens;
  return Array.isArray(tokens) ? tokens : undefined;
}

function nameOf(t: unknown): string | undefined {
  return typeof t === 'object' && t !== null && typeof (t as { name?: unknown }).name === 'string' ? (t as { name: string }).name : undefined;
}

/**
 * Append a token entry. `text` undefined = the file does not exist (starts from the starter
 * config). Refuses a duplicate name, and a result that the schema rejects when the file was
 * valid before (a file that was already invalid only gets the name check).
 */
export function insertToken(text: string | undefined, token: Record<string, unknown>, file = '.vscode/cf-rotate.json'): string {
  const base = text === undefined || text.trim() === '' ? starterConfig() : text;
  const data = parseRaw(base, file);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new CfRotateError('config', l10n.t('{0} does not hold a JSON object.', file), { hint: l10n.t('Fix the file (it must look like { "tokens": [ … ] }), then try again.') });
  }
  const tokens = rawTokens(data);
  const name = nameOf(token);
  if (name !== undefined && tokens?.some((t) => nameOf(t) === name)) {
    throw new CfRotateError('config', l10n.t('{0} already has a token named "{1}".', file, name), { hint: l10n.t('Choose another name.') });
  }
  const wasValid = configSchema.safeParse(data).success;
  const options = { formattingOptions: formattingOf(base) };
  const edits = tokens ? modify(base, ['tokens', -1], token, options) : modify(base, ['tokens'], [token], options);
  let out = applyEdits(base, edits);
  if (!out.endsWith('\n')) out += options.formattingOptions.eol ?? '\n';
  if (wasValid) parseConfig(out, file); // throws ConfigError naming the JSON path
  return out;
}

/**
 * Append targets to the token named `name` (the add-token wizard, when the picked credential is
 * already configured). The result must still validate when the file was valid before.
 */
export function addTargetsText(text: string, name: string, targets: readonly Record<string, unknown>[], file = '.vscode/cf-rotate.json'): string {
  const data = parseRaw(text, file);
  const tokens = rawTokens(data);
  const index = tokens?.findIndex((t) => nameOf(t) === name) ?? -1;
  if (index < 0) throw new CfRotateError('not-found', l10n.t('{0} has no token named "{1}".', file, name), { hint: l10n.t('Refresh the view; the file may have changed.') });
  const wasValid = configSchema.safeParse(data).success;
  const options = { formattingOptions: formattingOf(text) };
  let out = text;
  for (const t of targets) out = applyEdits(out, modify(out, ['tokens', index, 'targets', -1], t, options));
  if (wasValid) parseConfig(out, file);
  return out;
}

/** Remove the token named `name`. Throws 'not-found' when absent. */
export function removeTokenText(text: string, name: string, file = '.vscode/cf-rotate.json'): string {
  const tokens = rawTokens(parseRaw(text, file));
  const index = tokens?.findIndex((t) => nameOf(t) === name) ?? -1;
  if (index < 0) throw new CfRotateError('not-found', l10n.t('{0} has no token named "{1}".', file, name), { hint: l10n.t('Refresh the view; the file may have changed.') });
  return applyEdits(text, modify(text, ['tokens', index], undefined, { formattingOptions: formattingOf(text) }));
}

/** `tokens[2].targets[0].key` → `['tokens', 2, 'targets', 0, 'key']`. Unknown forms → `[]`. */
export function parseJsonPathString(p: string): JSONPath {
  if (p === '' || p.startsWith('(')) return [];
  const out: JSONPath = [];
  const re = /([^.[\]]+)|\[(\d+)\]/g;
  for (const m of p.matchAll(re)) {
    if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[1] !== undefined) out.push(m[1]);
  }
  return out;
}

/** Text range of the deepest existing node on a JSON path (for revealing a config error). */
export function locateJsonPath(text: string, p: string): { offset: number; length: number } | undefined {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  if (!root) return undefined;
  const segments = parseJsonPathString(p);
  for (let n = segments.length; n > 0; n--) {
    const node = findNodeAtLocation(root, segments.slice(0, n));
    if (node) {
      const shown = node.parent?.type === 'property' ? node.parent : node;
      return { offset: shown.offset, length: shown.length };
    }
  }
  return undefined;
}

/** Token names of a config text, tolerant of invalid content (for uniqueness checks in the wizard). */
export function tokenNamesOf(text: string | undefined): string[] {
  if (text === undefined) return [];
  try {
    return (rawTokens(parseRaw(text, 'cf-rotate.json')) ?? []).map(nameOf).filter((n): n is string => n !== undefined);
  } catch {
    return [];
  }
}
