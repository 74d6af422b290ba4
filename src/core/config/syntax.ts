/**
 * JSON syntax errors of cf-rotate.json in plain words: "has a syntax error at line 4, column 7:
 * a property name is missing" instead of jsonc-parser's "PropertyNameExpected". The first error
 * is the one to fix: the ones after it usually follow from it (a half-typed file).
 */
import { ParseErrorCode, type ParseError } from 'jsonc-parser';

const WORDS: Record<ParseErrorCode, string> = {
  [ParseErrorCode.InvalidSymbol]: 'an unexpected character',
  [ParseErrorCode.InvalidNumberFormat]: 'a number is malformed',
  [ParseErrorCode.PropertyNameExpected]: 'a property name is missing',
  [ParseErrorCode.ValueExpected]: 'a value is missing',
  [ParseErrorCode.ColonExpected]: 'a colon (:) is missing',
  [ParseErrorCode.CommaExpected]: 'a comma is missing',
  [ParseErrorCode.CloseBraceExpected]: 'a closing brace (}) is missing',
  [ParseErrorCode.CloseBracketExpected]: 'a closing bracket (]) is missing',
  [ParseErrorCode.EndOfFileExpected]: 'there is text after the end of the JSON',
  [ParseErrorCode.InvalidCommentToken]: 'a comment is malformed',
  [ParseErrorCode.UnexpectedEndOfComment]: 'a comment is not closed (*/ is missing)',
  [ParseErrorCode.UnexpectedEndOfString]: 'a string is not closed (a quote is missing)',
  [ParseErrorCode.UnexpectedEndOfNumber]: 'a number is cut off',
  [ParseErrorCode.InvalidUnicode]: 'a \\u escape is malformed',
  [ParseErrorCode.InvalidEscapeCharacter]: 'a backslash escape is invalid',
  [ParseErrorCode.InvalidCharacter]: 'a string holds a control character (such as a line break)',
};

/** What a jsonc-parser error code means, in words. */
export function syntaxErrorWords(code: ParseErrorCode): string {
  return WORDS[code] ?? 'the JSON is malformed';
}

/** 1-based line and column of `offset` in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}

/** "has a syntax error at line 4, column 7: a property name is missing" (+ how many errors follow it). */
export function describeSyntaxErrors(text: string, errors: readonly ParseError[]): string {
  const first = errors[0];
  if (!first) return 'has a syntax error';
  const { line, column } = lineAndColumn(text, first.offset);
  const more = errors.length - 1;
  return `has a syntax error at line ${line}, column ${column}: ${syntaxErrorWords(first.error)}${more > 0 ? ` (${more} more after it, which may follow from this one)` : ''}`;
}
