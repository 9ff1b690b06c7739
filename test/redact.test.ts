import { parseKvg, printKvg } from '../src/kvgroup/index.js';
import { MASK, passwordsOf, redact, redactDeep } from '../src/redact.js';

const DOC = parseKvg(`"" "" = {
  "batch" "B" = {
    "action" "B_0" = { "attributes" "" = { "newpw" = "Alpha-1" "mail" = "a@b" } }
    "action" "B_1" = { "attributes" "" = { "newpw" = "Be\\"ta\\\\2" } }
    "action" "B_2" = { "attributes" "" = { "newpw" = "" } }
  }
}`)[0]!;

describe('redaction by value', () => {
  test('passwordsOf collects every non-empty newpw, however deep', () => {
    expect(passwordsOf(DOC)).toEqual(new Set(['Alpha-1', 'Be"ta\\2']));
    expect(passwordsOf(undefined, DOC.members)).toEqual(new Set(['Alpha-1', 'Be"ta\\2']));
  });

  test('redact masks each password as written, JSON-escaped (once and twice) and KVGroup-escaped', () => {
    const secrets = passwordsOf(DOC);
    const raw = 'Alpha-1 and Be"ta\\2';
    const json = JSON.stringify({ m: raw });
    const twice = JSON.stringify({ payload: json });
    for (const text of [raw, json, twice, printKvg(DOC)]) {
      const out = redact(text, secrets);
      for (const s of ['Alpha-1', 'Be"ta\\2', 'Be\\"ta\\\\2', 'Beta', 'ta\\']) expect(out).not.toContain(s);
      expect(out).toContain(MASK);
    }
    expect(redact(raw, secrets)).toBe(`${MASK} and ${MASK}`);
  });

  test('a password whose escapes a shell undid on the way (echo turns \\\\ into \\) is masked too', () => {
    const secrets = passwordsOf([{ key: 'newpw', value: 'Bob-"K9z\\\\pw' }]);
    // What `echo "Bob-\"K9z\\\\pw"` prints: each escaped character once.
    expect(redact('target said: Bob-"K9z\\pw refused', secrets)).toBe(`target said: ${MASK} refused`);
  });

  test('nothing to hide leaves the text alone; regex characters in a password are literal', () => {
    expect(redact('no secrets (here)', new Set())).toBe('no secrets (here)');
    expect(redact('a.b and axb', ['a.b'])).toBe(`${MASK} and axb`);
  });

  test('redactDeep masks every string of plain data', () => {
    expect(redactDeep({ a: ['x Alpha-1'], n: 3, b: { c: 'Alpha-1' } }, new Set(['Alpha-1']))).toEqual({ a: [`x ${MASK}`], n: 3, b: { c: MASK } });
  });
});
