/**
 * Localisation of the core and of the extension's plain-data modules (no vscode import here).
 *
 * Messages are written as `l10n.t` calls (a literal message, then its arguments) with `import * as l10n from '@vscode/l10n'` in the
 * module that words them: @vscode/l10n-dev extracts exactly those calls (its extractor follows an
 * import of `vscode` or `@vscode/l10n`, not a re-export of ours), and `@vscode/l10n` has the
 * semantics of `vscode.l10n.t` (`{0}` and `{name}` placeholders, the same bundle format). Its
 * default is English with the arguments substituted: the CLI and the GitHub Action never configure
 * it. The extension host calls `configureL10n` once at start with `vscode.l10n.bundle` (undefined
 * in English) and `vscode.env.language`, so the core's messages come from the same bundle as the
 * extension's own `vscode.l10n.t` calls.
 *
 * A message must be built when it is shown, not when a module loads: a module-level constant would
 * keep the English text (use a function or a getter).
 *
 * Plurals: vscode.l10n has none, so a counted message is written twice, as whole sentences
 * (`plural(n, <the "one" message>, <the "other" message>)`, both translated), and
 * `Intl.PluralRules` of the display language picks one (`one` → the first; every other category,
 * `few` and `many` included, → the second). Translators get both sentences whole. Where the English
 * "one" sentence does not show the number ("A rotation was interrupted"), the count is still passed
 * as an argument (with a comment for translators): a language whose "one" also covers 21 can name it.
 */
import * as l10n from '@vscode/l10n';

let locale: string | undefined;
let rules: Intl.PluralRules | undefined;

/** The display language the host configured (`vscode.env.language`); undefined in the CLI. */
export function displayLocale(): string | undefined {
  return locale;
}

/** Does the display language read English (or is none configured: the CLI)? */
export function isEnglish(): boolean {
  return locale === undefined || /^en\b/i.test(locale);
}

function supported(l: string | undefined): string | undefined {
  if (l === undefined || l === '') return undefined;
  try {
    return Intl.PluralRules.supportedLocalesOf([l]).length > 0 ? l : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Called once by the extension host. `bundle`: the loaded translations (`vscode.l10n.bundle`,
 * undefined for English); `language`: the display language (`vscode.env.language`).
 */
export function configureL10n(opts: { bundle?: Record<string, string | { message: string; comment: string[] }> | undefined; language?: string | undefined }): void {
  if (opts.bundle !== undefined) l10n.config({ contents: opts.bundle });
  locale = supported(opts.language);
  rules = undefined;
}

/** The plural category of `n` in the display language (English rules when none is configured). */
export function pluralCategory(n: number): Intl.LDMLPluralRule {
  rules ??= new Intl.PluralRules(locale ?? 'en');
  return rules.select(n);
}

/**
 * One of two whole, already translated messages: `one` when the display language's plural rules
 * say `one` for `n`, `other` otherwise.
 */
export function plural(n: number, one: string, other: string): string {
  return pluralCategory(n) === 'one' ? one : other;
}

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * An instant for people: a date and time in the display language (`Intl.DateTimeFormat`), or ISO
 * 8601 when none is configured (the CLI, whose output scripts read).
 */
export function formatInstant(at: number): string {
  if (locale === undefined) return new Date(at).toISOString();
  let f = dateTimeFormats.get(locale);
  if (!f) dateTimeFormats.set(locale, (f = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' })));
  return f.format(at);
}

const relativeFormats = new Map<string, Intl.RelativeTimeFormat>();
const durationFormats = new Map<string, Intl.NumberFormat>();

export type TimeUnit = 'minute' | 'hour' | 'day';

/** "in 3 days" / "3 days ago" (narrow form of the display language) through Intl. */
export function intlRelative(value: number, unit: TimeUnit): string {
  const l = locale ?? 'en';
  let f = relativeFormats.get(l);
  if (!f) relativeFormats.set(l, (f = new Intl.RelativeTimeFormat(l, { style: 'narrow', numeric: 'always' })));
  return f.format(value, unit);
}

/** "3 days" (narrow unit of the display language) through Intl. */
export function intlDuration(value: number, unit: TimeUnit): string {
  const l = locale ?? 'en';
  const key = `${l}\u0000${unit}`;
  let f = durationFormats.get(key);
  if (!f) durationFormats.set(key, (f = new Intl.NumberFormat(l, { style: 'unit', unit, unitDisplay: 'narrow' })));
  return f.format(value);
}

/** For tests: back to the defaults (English, ISO instants, no bundle). */
export function resetL10n(): void {
  l10n.config({ contents: {} });
  locale = undefined;
  rules = undefined;
}
