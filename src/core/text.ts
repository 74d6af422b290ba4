/**
 * Text that came from a cloned repository (names, paths, keys, descriptions) or from Cloudflare
 * (error messages) is neutralised for the medium it is shown in:
 *
 *  - `plain`: control characters (C0, DEL, C1: ESC/CSI/OSC sequences for terminals, OSC 52
 *    clipboard writes), bidirectional overrides and isolates (Trojan Source), zero-width and
 *    line/paragraph separators are replaced, so what is shown is what is there;
 *  - `notification`: VS Code renders `[text](command:…)` in notification messages as a link (and
 *    nothing else of Markdown, so backslash escapes would show): the link syntax is broken up;
 *  - `markdown`: for MarkdownString (tree tooltips), every Markdown special character is escaped.
 * A crafted path or a Cloudflare error text can then never become a `command:` link.
 */
/* eslint-disable no-control-regex -- matching control characters is what this module is for */

/** C0 controls except tab and newline, DEL, and C1 controls. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
/** Bidi embeddings, overrides, isolates and marks; zero-width characters; line and paragraph separators; BOM. */
const INVISIBLE = /[\u061c\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2069\ufeff]/g;
/** An ANSI escape sequence: CSI … final byte, OSC … BEL/ST, or a single ESC + one character. */
const ANSI = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-_])|\u009b[0-?]*[ -/]*[@-~]|\u009d[^\u0007\u009c]*(?:\u0007|\u009c)?/g;

/** Every character `plain` (with or without `newlines`) may replace: C0 and C1 controls, DEL, and INVISIBLE's. ANSI sequences start with one of them. */
const REPLACED = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2069\ufeff]/;

/** Is there anything `plain` would change? (Validation of names, paths and keys.) */
export function hasUnsafeCharacters(s: string): boolean {
  return /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2069\ufeff]/.test(s);
}

/** For terminals, logs and plain dialogs: escapes removed, other invisible or control characters shown as U+FFFD. */
export function plain(s: string, opts: { newlines?: boolean } = {}): string {
  // Almost every label has none of them: one scan instead of four replacements.
  if (!REPLACED.test(s)) return s;
  let out = s.replace(ANSI, '\ufffd').replace(CONTROL, '\ufffd').replace(INVISIBLE, '\ufffd');
  if (!opts.newlines) out = out.replace(/[\r\n\t]+/g, ' ');
  return out;
}

/** For notification messages and dialogs: `plain`, and no `](` (the link syntax VS Code renders there). */
export function notification(s: string): string {
  return plain(s).replace(/\]\s*\(/g, '] (');
}

const MARKDOWN_SPECIAL = /[\\`*_[\]()<>!#|~{}]/g;

/** For VS Code notifications, tree tooltips and other Markdown: `plain`, then Markdown syntax escaped. */
export function markdown(s: string): string {
  return plain(s).replace(MARKDOWN_SPECIAL, (c) => `\\${c}`);
}

/** Markdown link syntax (`[text](target)`, `<scheme:…>`) anywhere in the text. */
export function hasMarkdownLink(s: string): boolean {
  return /\[[^\]]*\]\s*\(/.test(s) || /<[a-z][a-z0-9+.-]*:[^>]*>/i.test(s);
}

/**
 * For everything the CLI prints (text and --json): each control character except tab and newline,
 * each bidi/invisible character, becomes the escape `\uXXXX`. Nothing can move the cursor, set
 * the title, write the clipboard (OSC 52) or reorder what is shown; JSON output stays valid JSON
 * (inside strings that is the JSON escape of the same character).
 */
export function terminal(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2069\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
