/**
 * The one edit cf-rotate makes to cf-rotate.json on its own: after `strategy: "replace"`, the
 * entry's `tokenId` becomes the twin's id. A JSONC edit (jsonc-parser `modify` + `applyEdits`):
 * comments, key order, indentation and line endings stay; only the id's characters change.
 */
import { applyEdits, findNodeAtLocation, modify, parseTree, type Node } from 'jsonc-parser';

export type TokenIdEdit =
  /** The new text. */
  | { state: 'edited'; text: string }
  /** The entry already names the new id (a resumed rotation). */
  | { state: 'already' }
  /** No entry of that name names the previous id: the configuration changed meanwhile. */
  | { state: 'missing'; found?: string | undefined };

function entryIndex(root: Node | undefined, name: string): number | undefined {
  const tokens = root ? findNodeAtLocation(root, ['tokens']) : undefined;
  if (tokens?.type !== 'array') return undefined;
  const items = tokens.children ?? [];
  for (let i = 0; i < items.length; i++) {
    const n = findNodeAtLocation(items[i] as Node, ['name']);
    if (n?.type === 'string' && n.value === name) return i;
  }
  return undefined;
}

/** Indentation and line ending as the file uses them, so the edit looks like the file. */
function formatting(text: string): { insertSpaces: boolean; tabSize: number; eol: string } {
  const indent = /\n([ \t]+)\S/.exec(text)?.[1] ?? '  ';
  return { insertSpaces: !indent.startsWith('\t'), tabSize: indent.startsWith('\t') ? 1 : indent.length, eol: text.includes('\r\n') ? '\r\n' : '\n' };
}

/** Point the entry `name` (whose `tokenId` is `from`) at `to`. */
export function setTokenId(text: string, name: string, from: string, to: string): TokenIdEdit {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  const i = entryIndex(root, name);
  if (i === undefined || !root) return { state: 'missing' };
  const current = findNodeAtLocation(root, ['tokens', i, 'tokenId']);
  const value = current?.type === 'string' ? String(current.value) : undefined;
  if (value !== undefined && value.toLowerCase() === to.toLowerCase()) return { state: 'already' };
  if (value === undefined || value.toLowerCase() !== from.toLowerCase()) return { state: 'missing', found: value };
  const edits = modify(text, ['tokens', i, 'tokenId'], to, { formattingOptions: formatting(text) });
  return { state: 'edited', text: applyEdits(text, edits) };
}

/** The `tokenId` the entry `name` has now, if any. */
export function tokenIdOf(text: string, name: string): string | undefined {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  const i = entryIndex(root, name);
  if (i === undefined || !root) return undefined;
  const n = findNodeAtLocation(root, ['tokens', i, 'tokenId']);
  return n?.type === 'string' ? String(n.value) : undefined;
}

/**
 * The text with the `tokenId` value of every entry blanked: what "the file did not change meanwhile"
 * compares. cf-rotate's own edits of other entries' ids (two `replace` rotations in one run) then do
 * not count as a change; anything else the user changes does.
 */
export function configFingerprint(text: string): string {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  const tokens = root ? findNodeAtLocation(root, ['tokens']) : undefined;
  if (tokens?.type !== 'array') return text;
  const spans: [number, number][] = [];
  for (const item of tokens.children ?? []) {
    const n = findNodeAtLocation(item, ['tokenId']);
    if (n?.type === 'string') spans.push([n.offset, n.offset + n.length]);
  }
  let out = text;
  for (const [a, b] of spans.sort((x, y) => y[0] - x[0])) out = `${out.slice(0, a)}"\u0000"${out.slice(b)}`;
  return out;
}
