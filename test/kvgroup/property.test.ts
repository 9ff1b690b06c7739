import fc from 'fast-check';
import { KvgSyntaxError, parseKvg, printKvg, type KvGroup, type KvMember } from '../../src/kvgroup/index.js';

// Any text at all, including quotes, backslashes, line breaks, braces and non-BMP characters.
const anyText = fc.string({ unit: 'binary', maxLength: 12 });
const text = fc.oneof(anyText, fc.constantFrom('', '"', '\\', '\n', '#', '{', '}', '=', '\\n', 'CN=Doe\\, John'));

const { group } = fc.letrec<{ group: KvGroup; member: KvMember }>((tie) => ({
  group: fc.record({
    type: text,
    name: text,
    members: fc.array(tie('member'), { maxLength: 5, depthIdentifier: 'kvg' }),
  }),
  member: fc.oneof({ depthSize: 'small', depthIdentifier: 'kvg' }, fc.record({ key: text, value: text }), tie('group')),
}));

describe('KVGroup properties', () => {
  test('printing then parsing any document gives it back', () => {
    fc.assert(
      fc.property(fc.array(group, { minLength: 1, maxLength: 3 }), (doc) => {
        expect(parseKvg(printKvg(doc))).toEqual(doc);
      }),
      { numRuns: 500 },
    );
  });

  const isSyntaxError = (input: string): boolean => {
    try {
      parseKvg(input);
      return true;
    } catch (err) {
      return err instanceof KvgSyntaxError && /^<input>:\d+:\d+: /.test(err.message);
    }
  };

  test('arbitrary text either parses or raises KvgSyntaxError with a position, never anything else', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), isSyntaxError), { numRuns: 1000 });
  });

  test('a valid document with random damage either parses or raises KvgSyntaxError', () => {
    const damaged = fc
      .tuple(fc.array(group, { minLength: 1, maxLength: 2 }), fc.nat(), fc.nat({ max: 5 }), fc.constantFrom('', '"', '\\', '{', '}', '=', '#', '!', 'x'))
      .map(([doc, at, cut, insert]) => {
        const s = printKvg(doc);
        const i = at % (s.length + 1);
        return s.slice(0, i) + insert + s.slice(i + cut);
      });
    fc.assert(fc.property(damaged, isSyntaxError), { numRuns: 1000 });
  });
});
