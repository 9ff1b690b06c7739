import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { grammarDiagramHtml, grammarRuleNames } from '../src/kvgroup/diagram.js';
import { ROOT } from './helpers/cli.js';

describe('grammar/ is kept in sync with the parser', () => {
  test('the committed railroad diagram is the one the parser generates (else run npm run grammar)', () => {
    expect(readFileSync(join(ROOT, 'grammar', 'diagram.html'), 'utf8')).toBe(grammarDiagramHtml());
  });

  test('the EBNF defines exactly the parser rules', () => {
    const ebnf = readFileSync(join(ROOT, 'grammar', 'kvgroup.ebnf'), 'utf8');
    const defined = [...ebnf.matchAll(/^([a-z]+)\s*=/gm)].map((m) => m[1]);
    const lexical = ['string', 'quoted', 'bareword', 'comment'];
    expect(defined.filter((n) => !lexical.includes(n!)).sort()).toEqual(grammarRuleNames().sort());
  });
});
