import {
  EmbeddedActionsParser,
  EOF,
  Lexer,
  type IParserErrorMessageProvider,
  type IToken,
  type TokenType,
} from './chevrotain.js';
import type { KvDocument, KvGroup, KvMember } from './document.js';
import { provideParser } from './loaded-parser.js';
import { setPosition } from './positions.js';
import { KvgSyntaxError, positionAt, type KvgSyntaxCode, type SourcePosition } from './syntax-error.js';
import { allTokens, decodeString, Equals, LCurly, RCurly, Str, UnterminatedStr } from './tokens.js';

export interface ParseOptions {
  /** Shown in error messages: a file name, `<stdin>`, … */
  source?: string;
  /** Deepest group nesting accepted; deeper input is refused rather than risking the stack. */
  maxDepth?: number;
  /**
   * Remember where each group and pair starts, for `positionOf`, so that validation can name
   * the line of a problem. Off by default: it costs a map entry per member.
   */
  positions?: boolean;
}

export const DEFAULT_MAX_DEPTH = 256;

/** What the error-message hooks learned about the first error, read back after the parse. */
interface PendingError {
  code: KvgSyntaxCode;
  reason: string;
  offset: number;
}

/** The key whose value is a password: a token near it is never quoted in an error. */
const SECRET_KEY = 'newpw';

/**
 * Whether `token` comes within two tokens after a `newpw` key, where a mistyped line puts the
 * password (`"newpw" : "S3cret"`, `"newpw" "S3cret"`): an error message must not quote it.
 */
function followsSecretKey(token: IToken): boolean {
  const tokens = parser.input;
  let lo = 0;
  let hi = tokens.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const at = tokens[mid]!.startOffset;
    if (at === token.startOffset) {
      for (const back of [mid - 1, mid - 2]) {
        const t = tokens[back];
        if (t && t.tokenType === Str && decodeString(t.image) === SECRET_KEY) return true;
      }
      return false;
    }
    if (at < token.startOffset) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

function describeToken(token: IToken): string {
  if (token.tokenType === EOF) return 'end of input';
  if (token.tokenType === Str) {
    if (followsSecretKey(token)) return 'a string';
    const text = token.image.length > 40 ? `${token.image.slice(0, 37)}...` : token.image;
    return `string ${text.startsWith('"') ? text : JSON.stringify(text)}`;
  }
  return `"${token.image}"`;
}

function describeType(type: TokenType): string {
  return type === Str ? 'a string' : (type.LABEL ?? type.name);
}

/**
 * The parser. Embedded actions build the document while parsing, so no concrete syntax tree
 * is ever allocated; one instance serves every parse (Chevrotain's performance guide).
 * Recovery is off: the first error ends the parse, and the error hooks below record it.
 */
class KvgParser extends EmbeddedActionsParser {
  maxDepth = DEFAULT_MAX_DEPTH;
  pending: PendingError | undefined;
  /** Members and their start offsets, in the order they end, when positions are wanted. */
  starts: Array<[KvMember, number]> | undefined;
  private depth = 0;
  /** The `{` of each open group, innermost last, so an unclosed one can be named. */
  private readonly open: IToken[] = [];

  constructor() {
    super(allTokens, { maxLookahead: 2, recoveryEnabled: false, errorMessageProvider: messages });
    this.performSelfAnalysis();
  }

  override reset(): void {
    super.reset();
    this.depth = 0;
    this.open.length = 0;
    this.pending = undefined;
  }

  /** The `{` of the innermost group still open. */
  innermostOpen(): IToken | undefined {
    return this.open[this.open.length - 1];
  }

  public document = this.RULE('document', (): KvDocument => {
    const groups: KvGroup[] = [];
    this.AT_LEAST_ONE(() => {
      groups.push(this.SUBRULE(this.group));
    });
    return groups;
  });

  public group = this.RULE('group', (): KvGroup => {
    const type = this.CONSUME(Str);
    const name = this.CONSUME2(Str);
    this.CONSUME(Equals);
    const lcurly = this.CONSUME(LCurly);
    this.ACTION(() => {
      if (++this.depth > this.maxDepth) {
        throw new DepthExceeded(lcurly.startOffset);
      }
      this.open.push(lcurly);
    });
    const members: KvMember[] = [];
    this.MANY({
      // Enter on any string, so that a string followed by neither "=" nor a name is reported
      // by the alternation below, which knows both tokens, instead of as a missing "}".
      GATE: () => this.LA(1).tokenType === Str,
      DEF: () => {
        this.OR([
          { ALT: () => members.push(this.SUBRULE(this.pair)) },
          { ALT: () => members.push(this.SUBRULE2(this.group)) },
        ]);
      },
    });
    this.CONSUME(RCurly);
    const group = { type: decodeString(type.image), name: decodeString(name.image), members };
    this.ACTION(() => {
      this.depth--;
      this.open.pop();
      this.starts?.push([group, type.startOffset]);
    });
    return group;
  });

  public pair = this.RULE('pair', (): KvMember => {
    const key = this.CONSUME(Str);
    this.CONSUME(Equals);
    const value = this.CONSUME2(Str);
    const pair = { key: decodeString(key.image), value: decodeString(value.image) };
    // No ACTION closure here, the hottest path: `starts` is unset while the grammar is recorded.
    if (this.starts !== undefined) this.starts.push([pair, key.startOffset]);
    return pair;
  });
}

class DepthExceeded extends Error {
  constructor(readonly offset: number) {
    super('depth exceeded');
  }
}

/** The one parser and lexer, made on the first parse (see `instances`). */
let parser: KvgParser;
let lexer: InstanceType<typeof Lexer> | undefined;

function record(code: KvgSyntaxCode, reason: string, at: IToken): string {
  // EOF's offset is NaN in Chevrotain; it is placed at the end of the text by the caller.
  parser.pending ??= { code, reason, offset: at.tokenType === EOF ? -1 : at.startOffset };
  return reason;
}

const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    if (expected === RCurly && actual.tokenType === EOF) {
      const open = parser.innermostOpen();
      const where = open ? ` opened at ${formatPos(open.startOffset)}` : '';
      return record('KVG_UNBALANCED_BRACE', `unbalanced braces: the group${where} is not closed ("}" expected) before the end of input`, actual);
    }
    if (expected === RCurly) {
      return record('KVG_UNEXPECTED_TOKEN', `expected a pair, a group or "}" but found ${describeToken(actual)}`, actual);
    }
    return record('KVG_UNEXPECTED_TOKEN', `expected ${describeType(expected)} but found ${describeToken(actual)}`, actual);
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    if (firstRedundant.tokenType === RCurly) {
      return record('KVG_UNBALANCED_BRACE', 'unbalanced braces: "}" closes no open group', firstRedundant);
    }
    return record('KVG_UNEXPECTED_TOKEN', `expected a group or the end of input but found ${describeToken(firstRedundant)}`, firstRedundant);
  },
  buildNoViableAltMessage({ actual }) {
    // Only the member alternation can get here: a string was followed by neither "=" nor a name.
    const [first, second] = actual;
    if (!second) return record('KVG_UNEXPECTED_TOKEN', `expected a pair or a group but found ${first ? describeToken(first) : 'nothing'}`, first!);
    return record(
      'KVG_UNEXPECTED_TOKEN',
      `expected "=" (a pair) or a name (a group) after ${describeToken(first!)} but found ${describeToken(second)}`,
      second,
    );
  },
  buildEarlyExitMessage({ actual }) {
    const [first] = actual;
    if (first && first.tokenType === EOF) return record('KVG_EMPTY', 'empty document: expected a group but found end of input', first);
    return record('KVG_UNEXPECTED_TOKEN', `expected a group but found ${first ? describeToken(first) : 'nothing'}`, first!);
  },
};

// The message hooks need positions while parsing; `text` is the input of the parse in progress.
let text = '';
function formatPos(offset: number): string {
  const p = positionAt(text, offset);
  return `${p.line}:${p.column}`;
}

/**
 * Builds the lexer and the parser the first time one is needed. Chevrotain's grammar analysis
 * (performSelfAnalysis) costs some 20 ms of CPU, paid otherwise by every process that merely
 * loads this module without parsing (the daemon before its first file, `tmon status`).
 */
function instances(): InstanceType<typeof Lexer> {
  if (lexer) return lexer;
  parser = new KvgParser();
  return (lexer = new Lexer(allTokens, {
    positionTracking: 'onlyOffset',
    ensureOptimizations: true,
    errorMessageProvider: {
      buildUnexpectedCharactersMessage: (full, start) => `unexpected character ${JSON.stringify(full[start])}`,
      buildUnableToPopLexerModeMessage: () => 'unbalanced lexer mode',
    },
  }));
}

/** The parser instance, for tools that read its grammar (the railroad diagram). */
export function grammarProductions(): ReturnType<KvgParser['getSerializedGastProductions']> {
  instances();
  return parser.getSerializedGastProductions();
}

/**
 * Parses KVGroup text into its groups (a stream: one or more). Throws `KvgSyntaxError` for
 * anything that is not KVGroup; never another error for any input.
 */
export function parseKvg(input: string, options: ParseOptions = {}): KvDocument {
  // A BOM is dropped; positions are computed on the text after it, where it is no column.
  const lexer = instances();
  text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  try {
    parser.starts = options.positions ? [] : undefined;
    const doc = parseText(lexer, options.source ?? '<input>', options.maxDepth ?? DEFAULT_MAX_DEPTH);
    if (parser.starts) recordPositions(parser.starts);
    return doc;
  } finally {
    text = ''; // do not keep a large input alive between parses
    parser.starts = undefined;
  }
}

provideParser(parseKvg);

/** Turns start offsets into line:column in one pass over the text (offsets sorted first). */
function recordPositions(starts: Array<[KvMember, number]>): void {
  starts.sort((a, b) => a[1] - b[1]);
  let line = 1;
  let column = 1;
  let at = 0;
  for (const [member, offset] of starts) {
    for (; at < offset; at++) {
      const c = text.charCodeAt(at);
      if (c === 10 || (c === 13 && text.charCodeAt(at + 1) !== 10)) {
        line++;
        column = 1;
      } else if (c === 13 || (c >= 0xdc00 && c <= 0xdfff)) {
        // The CR of a CRLF and the second half of a surrogate pair are no column of their own.
      } else column++;
    }
    setPosition(member, { line, column });
  }
}

function parseText(lexer: InstanceType<typeof Lexer>, source: string, maxDepth: number): KvDocument {
  const fail = (code: KvgSyntaxCode, reason: string, offset: number): never => {
    const at = offset < 0 ? text.length : offset;
    throw new KvgSyntaxError(code, reason, source, at, positionAt(text, at));
  };

  const lexed = lexer.tokenize(text);
  const lexError = lexed.errors[0];
  if (lexError) fail('KVG_STRAY_CHARACTER', lexError.message, lexError.offset);
  const tokens = lexed.tokens;
  const last = tokens[tokens.length - 1];
  if (last && last.tokenType === UnterminatedStr) {
    const reason = /(^|[^\\])(\\\\)*\\$/.test(last.image)
      ? 'unterminated string: it ends in a backslash at the end of input, which escapes nothing'
      : 'unterminated string: no closing quote before the end of input';
    fail('KVG_UNTERMINATED_STRING', reason, last.startOffset);
  }

  parser.maxDepth = maxDepth;
  parser.input = tokens;
  let result: KvDocument;
  try {
    result = parser.document();
  } catch (err) {
    if (err instanceof DepthExceeded) fail('KVG_TOO_DEEP', `groups nested deeper than ${maxDepth} levels`, err.offset);
    throw err;
  }
  const pending = parser.pending;
  const first = parser.errors[0];
  if (pending) fail(pending.code, pending.reason, pending.offset);
  if (first) fail('KVG_UNEXPECTED_TOKEN', first.message, first.token.startOffset);
  return result;
}
