import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseKvg, positionOf, printKvg, type KvGroup, type KvPair } from '../../src/kvgroup/index.js';
import { ROOT } from '../helpers/cli.js';

const one = (text: string): KvGroup => {
  const doc = parseKvg(text);
  expect(doc).toHaveLength(1);
  return doc[0]!;
};

describe('KVGroup parsing (contract §1)', () => {
  test('a group holds pairs and nested groups, in order, with repeated keys and types kept', () => {
    const g = one(`"" "" = {
      "operation" = ""
      "operation" = "DELU"
      "action" "a1" = { "k" = "1" }
      "x" = "y"
      "action" "a1" = { }
    }`);
    expect(g).toEqual({
      type: '',
      name: '',
      members: [
        { key: 'operation', value: '' },
        { key: 'operation', value: 'DELU' },
        { type: 'action', name: 'a1', members: [{ key: 'k', value: '1' }] },
        { key: 'x', value: 'y' },
        { type: 'action', name: 'a1', members: [] },
      ],
    });
  });

  test('a stream holds several top-level groups', () => {
    const doc = parseKvg('"item" "1" = { }\n"item" "2" = { "a" = "b" }\n');
    expect(doc.map((g) => g.name)).toEqual(['1', '2']);
  });

  test('bare words are accepted where a string is expected, and printed quoted', () => {
    const g = one('root "" = { retval = "0" key.with-all_the:chars/ok@x = v2 }');
    expect(g.type).toBe('root');
    expect(g.members).toEqual([
      { key: 'retval', value: '0' },
      { key: 'key.with-all_the:chars/ok@x', value: 'v2' },
    ]);
    expect(printKvg(g)).toBe('"root" "" = {\n  "retval" = "0"\n  "key.with-all_the:chars/ok@x" = "v2"\n}\n');
  });

  test.each([
    ['\\"', '"'],
    ['\\\\', '\\'],
    ['\\n', '\n'],
    ['\\t', '\t'],
    ['\\r', '\r'],
    ['CN=Doe\\, John', 'CN=Doe, John'],
    ['\\q\\{\\#', 'q{#'],
    ['E:\\\\dir\\\\file', 'E:\\dir\\file'],
    ['ends in backslash\\\\', 'ends in backslash\\'],
  ])('the escape in "%s" reads as %j', (written, read) => {
    expect(one(`"" "" = { "v" = "${written}" }`).members[0]).toEqual({ key: 'v', value: read });
  });

  test('raw line breaks inside a string are kept', () => {
    expect(one('"" "" = { "v" = "line one\nline two\r\nline three" }').members[0]).toEqual({
      key: 'v',
      value: 'line one\nline two\r\nline three',
    });
  });

  test('# starts a comment to the end of the line, outside strings only', () => {
    const g = one(`# KVGROUP-V1.0
      "" "" = {# right after the brace
        "a" = "x # not a comment" # after a pair, with "quotes" and \\ and ->
        ## a double hash line
        "b" "" = { # only a comment inside
        }
      }`);
    expect(g.members).toEqual([
      { key: 'a', value: 'x # not a comment' },
      { type: 'b', name: '', members: [] },
    ]);
  });

  test('white space is free: none around "=" and braces, any indent, CRLF line ends', () => {
    const g = one('"S" ""={"CA"="California"\r\n\t\t"x"   =   "y""g" "n"={}}');
    expect(g.members).toEqual([
      { key: 'CA', value: 'California' },
      { key: 'x', value: 'y' },
      { type: 'g', name: 'n', members: [] },
    ]);
  });

  test('a leading byte-order mark is ignored, and text is UTF-8', () => {
    const g = one('\uFEFF"" "" = { "name" = "Zoë ⋆/⋆ 日本" }');
    expect(g.members[0]).toEqual({ key: 'name', value: 'Zoë ⋆/⋆ 日本' });
  });

  test('empty keys, names and values are strings like any other', () => {
    expect(one('"" "" = { "" = "" "" "" = { } }').members).toEqual([
      { key: '', value: '' },
      { type: '', name: '', members: [] },
    ]);
  });

  test('nesting up to the limit parses; the limit is configurable', () => {
    const nested = (n: number): string => '"g" "" = {'.repeat(n) + '}'.repeat(n);
    expect(() => parseKvg(nested(256))).not.toThrow();
    expect(() => parseKvg(nested(10), { maxDepth: 9 })).toThrow(/nested deeper than 9 levels/);
  });

  test('far deeper nesting than the stack allows is refused with the limit error, not a stack overflow', () => {
    const n = 200_000;
    expect(() => parseKvg('"g" "" = {'.repeat(n) + '}'.repeat(n))).toThrow(expect.objectContaining({ code: 'KVG_TOO_DEEP' }));
  });

  describe('the shared fixtures', () => {
    test.each(['delu-input', 'delu-output'])('%s.kvg parses into the expected structure', (name) => {
      const doc = parseKvg(readFileSync(join(ROOT, 'fixtures', `${name}.kvg`), 'utf8'));
      const expected = JSON.parse(readFileSync(join(ROOT, 'test', 'golden', `${name}.json`), 'utf8'));
      expect(doc).toEqual([expected]);
    });
  });
});

describe('positions', () => {
  test('with positions: true each group and pair knows its line:column (CRLF one line end, an emoji one column)', () => {
    const doc = parseKvg('"" "" = {\r\n  "a" = "😀" "g" "" = {\n\t"k" = "v" }\r}', { positions: true });
    const root = doc[0]!;
    const [a, g] = root.members as [KvPair, KvGroup];
    expect([positionOf(root), positionOf(a), positionOf(g), positionOf(g.members[0]!)]).toEqual([
      { line: 1, column: 1 },
      { line: 2, column: 3 },
      { line: 2, column: 13 },
      { line: 3, column: 2 },
    ]);
  });

  test('without it nothing is recorded', () => {
    expect(positionOf(parseKvg('"" "" = { }')[0]!)).toBeUndefined();
  });
});
