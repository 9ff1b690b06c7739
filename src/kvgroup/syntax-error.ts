import { TmonError } from '../errors.js';

/** Why a text is not KVGroup; each reason has its own message shape. */
export type KvgSyntaxCode =
  | 'KVG_UNEXPECTED_TOKEN'
  | 'KVG_UNTERMINATED_STRING'
  | 'KVG_STRAY_CHARACTER'
  | 'KVG_UNBALANCED_BRACE'
  | 'KVG_EMPTY'
  | 'KVG_TOO_DEEP';

export interface SourcePosition {
  /** 1-based. */
  line: number;
  /** 1-based, counted in characters (code points), a tab being one. */
  column: number;
}

/**
 * A KVGroup syntax error. Its message is `SOURCE:LINE:COLUMN: what`, the form compilers and
 * editors understand, so an operator can jump straight to the place.
 */
export class KvgSyntaxError extends TmonError {
  declare readonly code: KvgSyntaxCode;
  readonly source: string;
  readonly line: number;
  readonly column: number;
  readonly offset: number;
  /** The message without its position prefix. */
  readonly reason: string;

  constructor(code: KvgSyntaxCode, reason: string, source: string, offset: number, position: SourcePosition) {
    super(code, `${source}:${position.line}:${position.column}: ${reason}`);
    this.source = source;
    this.offset = offset;
    this.line = position.line;
    this.column = position.column;
    this.reason = reason;
  }
}

/**
 * Line and column of a UTF-16 offset. Computed only when an error is raised, which is why the
 * lexer can skip line tracking altogether. A line ends at LF, CRLF or a lone CR.
 */
export function positionAt(text: string, offset: number): SourcePosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
      line++;
      lineStart = i + 1;
    }
  }
  let column = 1;
  for (const _ of text.slice(lineStart, offset)) column++;
  return { line, column };
}
