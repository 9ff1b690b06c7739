import { createToken, Lexer, type TokenType } from './chevrotain.js';

/*
 * KVGroup tokens. A quoted string and a bare word are one token type, so the parser never
 * branches on which one it got; `decodeString` tells them apart by the first character.
 * The string pattern is the "unrolled loop" form, which V8's regex engine runs without
 * backtracking per character.
 */
export const WhiteSpace = createToken({
  name: 'WhiteSpace',
  pattern: /[ \t\r\n\f\v]+/,
  group: Lexer.SKIPPED,
  line_breaks: true,
});

export const Comment = createToken({
  name: 'Comment',
  pattern: /#[^\r\n]*/,
  group: Lexer.SKIPPED,
});

export const Str = createToken({
  name: 'Str',
  pattern: /"[^"\\]*(?:\\[\s\S][^"\\]*)*"|[A-Za-z0-9_\-.:/@]+/,
  line_breaks: true,
});

/** An opening quote that is never closed: only matches where `Str` did not, so it is always the last token. */
export const UnterminatedStr = createToken({
  name: 'UnterminatedStr',
  pattern: /"[^"\\]*(?:\\[\s\S][^"\\]*)*\\?/,
  line_breaks: true,
});

export const LCurly = createToken({ name: 'LCurly', pattern: /{/, label: '"{"' });
export const RCurly = createToken({ name: 'RCurly', pattern: /}/, label: '"}"' });
export const Equals = createToken({ name: 'Equals', pattern: /=/, label: '"="' });

export const allTokens: TokenType[] = [WhiteSpace, Comment, Str, UnterminatedStr, LCurly, RCurly, Equals];

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r' };
const ESCAPE_RE = /\\([\s\S])/g;
const unescapeOne = (_: string, c: string): string => ESCAPES[c] ?? c;

/** The text a `Str` token stands for: a quoted string unescaped, or a bare word as written. */
export function decodeString(image: string): string {
  if (image.charCodeAt(0) !== 34 /* " */) return image;
  const inner = image.slice(1, -1);
  return inner.indexOf('\\') === -1 ? inner : inner.replace(ESCAPE_RE, unescapeOne);
}
