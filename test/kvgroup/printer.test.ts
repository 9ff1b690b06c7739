import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonView, parseKvg, printKvg } from '../../src/kvgroup/index.js';
import { ROOT } from '../helpers/cli.js';

describe('canonical form (contract §1)', () => {
  test('two-space indent, one member per line, everything quoted, no comments, a final newline', () => {
    const text = printKvg(parseKvg(`# comment
"" "" = { a = b # trailing
  "g" "n" = { "k" = "v" "e" "" = { } } }`));
    expect(text).toBe(['"" "" = {', '  "a" = "b"', '  "g" "n" = {', '    "k" = "v"', '    "e" "" = {', '    }', '  }', '}', ''].join('\n'));
  });

  test('quotes and backslashes are escaped, and line breaks and tabs written as escapes', () => {
    const g = { type: 't', name: 'q"b\\', members: [{ key: 'multi\nline', value: 'a\tb\r\nc' }] };
    expect(printKvg(g)).toBe('"t" "q\\"b\\\\" = {\n  "multi\\nline" = "a\\tb\\r\\nc"\n}\n');
  });

  test('a stream prints its groups one after another', () => {
    expect(printKvg(parseKvg('a "" = {} b "" = {}'))).toBe('"a" "" = {\n}\n"b" "" = {\n}\n');
  });

  const reference = readdirSync(join(ROOT, 'fixtures', 'reference')).filter((f) => f.endsWith('.kvg'));
  test('all 25 reference examples are present', () => {
    expect(reference).toHaveLength(25);
  });
  test.each(reference)('reference/%s parses, and its canonical form parses back to the same document', (file) => {
    const doc = parseKvg(readFileSync(join(ROOT, 'fixtures', 'reference', file), 'utf8'), { source: file });
    const canonical = printKvg(doc);
    expect(parseKvg(canonical)).toEqual(doc);
    expect(printKvg(parseKvg(canonical))).toBe(canonical);
  });

  test('the JSON view is the group for one group and an array for a stream', () => {
    const single = parseKvg('"a" "b" = { "k" = "v" }');
    expect(JSON.parse(JSON.stringify(jsonView(single)))).toEqual({ type: 'a', name: 'b', members: [{ key: 'k', value: 'v' }] });
    const stream = parseKvg('"a" "1" = { } "a" "2" = { }');
    expect(jsonView(stream)).toEqual([
      { type: 'a', name: '1', members: [] },
      { type: 'a', name: '2', members: [] },
    ]);
  });
});
