/**
 * JSON syntax errors of cf-rotate.json in plain words: "has a syntax error at line 4, column 7:
 * a property name is missing" instead of jsonc-parser's "PropertyNameExpected". The first error
 * is the one to fix: the ones after it usually follow from it (a half-typed file).
 */
import { ParseErrorCode, type ParseError } from 'jsonc-parser';
import * as l10n from '@vscode/l10n';

/** Built when shown (the display language's words). */
const WORDS: Record<ParseErrorCode, () => string> = {
  [ParseErrorCode.InvalidSymbol]: () => l10n.t('an unexpected character'),
  [ParseErrorCode.InvalidNumberFormat]: () => l10n.t('a number is malformed'),
  [ParseErrorCode.PropertyNameExpected]: () => l10n.t('a property name is missing'),
  [ParseErrorCode.ValueExpected]: () => l10n.t('a value is missing'),
  [ParseErrorCode.ColonExpected]: () => l10n.t('a colon (:) is missing'),
  [ParseErrorCode.CommaExpected]: () => l10n.t('a comma is missing'),
  [ParseErrorCode.CloseBraceExpected]: () => l10n.t('a closing brace (}) is missing'),
  [ParseErrorCode.CloseBracketExpected]: () => l10n.t('a closing bracket (]) is missing'),
  [ParseErrorCode.EndOfFileExpected]: () => l10n.t('there is text after the end of the JSON'),
  [ParseErrorCode.InvalidCommentToken]: () => l10n.t('a comment is malformed'),
  [ParseErrorCode.UnexpectedEndOfComment]: () => l10n.t('a comment is not closed (*/ is missing)'),
  [ParseErrorCode.UnexpectedEndOfString]: () => l10n.t('a string is not closed (a quote is missing)'),
  [ParseErrorCode.UnexpectedEndOfNumber]: () => l10n.t('a number is cut off'),
  [ParseErrorCode.InvalidUnicode]: () => l10n.t('a \\u escape is malformed'),
  [ParseErrorCode.InvalidEscapeCharacter]: () => l10n.t('a backslash escape is invalid'),
  [ParseErrorCode.InvalidCharacter]: () => l10n.t('a string holds a control character (such as a line break)'),
};

/** What a jsonc-parser error code means, in words. */
export function syntaxErrorWords(code: ParseErrorCode): string {
  return WORDS[code]?.() ?? l10n.t('the JSON is malformed');
}

/** 1-based line and column of `offset` in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}

/** "has a syntax error at line 4, column 7: a property name is missing" (+ how many errors follow it). */
export function describeSyntaxErrors(text: string, errors: readonly ParseError[]): string {
  const first = errors[0];
  if (!first) return l10n.t('has a syntax error');
  const { line, column } = lineAndColumn(text, first.offset);
  const more = errors.length - 1;
  return more > 0
    ? l10n.t('has a syntax error at line {0}, column {1}: {2} ({3} more after it, which may follow from this one)', line, column, syntaxErrorWords(first.error), more)
    : l10n.t('has a syntax error at line {0}, column {1}: {2}', line, column, syntaxErrorWords(first.error));
}
