import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KvgSyntaxError, parseKvg } from '../../src/kvgroup/index.js';
import { ROOT, tmon } from '../helpers/cli.js';

const fixture = (name: string): string => `fixtures/syntax-errors/${name}.kvg`;

/** Every syntax-error fixture, with the exact message (and so the exact line:column) it must give. */
const CASES: Array<[string, string, string]> = [
  ['missing-equals', 'KVG_UNEXPECTED_TOKEN', '3:17: expected "=" but found "{"'],
  ['missing-value', 'KVG_UNEXPECTED_TOKEN', '3:1: expected a string but found "}"'],
  ['neither-pair-nor-group', 'KVG_UNEXPECTED_TOKEN', '2:16: expected "=" (a pair) or a name (a group) after string "attributes" but found "{"'],
  ['top-level-pair', 'KVG_UNEXPECTED_TOKEN', '1:10: expected a string but found "="'],
  ['unterminated-string', 'KVG_UNTERMINATED_STRING', '4:18: unterminated string: no closing quote before the end of input'],
  ['trailing-backslash', 'KVG_UNTERMINATED_STRING', '2:12: unterminated string: it ends in a backslash at the end of input, which escapes nothing'],
  ['stray-character', 'KVG_STRAY_CHARACTER', '2:21: unexpected character ","'],
  ['unbalanced-close', 'KVG_UNBALANCED_BRACE', '5:1: unbalanced braces: "}" closes no open group'],
  ['unclosed-group', 'KVG_UNBALANCED_BRACE', '7:1: unbalanced braces: the group opened at 1:9 is not closed ("}" expected) before the end of input'],
  ['empty', 'KVG_EMPTY', '3:1: empty document: expected a group but found end of input'],
  ['too-deep', 'KVG_TOO_DEEP', '258:525: groups nested deeper than 256 levels'],
];

describe('syntax errors name the file, line, column, what was expected and what was found', () => {
  test.each(CASES)('%s.kvg: %s', (name, code, where) => {
    const path = fixture(name);
    let caught: unknown;
    try {
      parseKvg(readFileSync(join(ROOT, path), 'utf8'), { source: path });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(KvgSyntaxError);
    const err = caught as KvgSyntaxError;
    expect(err.code).toBe(code);
    expect(err.message).toBe(`${path}:${where}`);
    const [line, column] = where.split(':').map(Number);
    expect([err.line, err.column]).toEqual([line, column]);
  });

  test('tmon parse prints the same message on stderr and exits 65', () => {
    const r = tmon(['parse', fixture('missing-equals')]);
    expect(r.status).toBe(65);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`tmon: ${fixture('missing-equals')}:3:17: expected "=" but found "{"\n`);
  });

  test('columns count characters, not bytes or UTF-16 units; a BOM is no column', () => {
    expect(() => parseKvg('\uFEFF"" "日本😀" {', { source: 'u.kvg' })).toThrow('u.kvg:1:10: expected "=" but found "{"');
  });

  test('lines end at LF, CRLF or a lone CR', () => {
    expect(() => parseKvg('"" "" = {\r\n\r"a" = }', { source: 'c.kvg' })).toThrow('c.kvg:3:7: expected a string but found "}"');
  });

  test('the source defaults to <input>', () => {
    expect(() => parseKvg('')).toThrow('<input>:1:1: empty document');
  });
});

describe('a syntax error never quotes a password (issue 13 item 9)', () => {
  test.each([
    ['a colon for "="', '"" "" = { "batch" "B" = { "newpw" : "S3cret-1" } }', 'expected "=" but found a string'],
    ['a value with no "=" before a brace', '"" "" = { "newpw" "S3cret-2" "x" }', 'expected "=" but found a string'],
  ])('%s', (_, text, reason) => {
    let caught: unknown;
    try {
      parseKvg(text, { source: 'in.kvg' });
    } catch (err) {
      caught = err;
    }
    expect((caught as KvgSyntaxError).reason).toBe(reason);
    expect((caught as KvgSyntaxError).message).not.toMatch(/S3cret/);
  });

  test('a token that does not follow newpw is still quoted', () => {
    expect(() => parseKvg('"" "" = { "x" : "visible" }')).toThrow('expected "=" but found string "visible"');
  });
});
