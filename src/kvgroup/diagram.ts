import { createSyntaxDiagramsCode } from './chevrotain.js';
import { grammarProductions } from './parser.js';

/** Folder beside the diagram that holds Chevrotain's renderer, so the page works offline. */
export const DIAGRAM_ASSETS = 'diagram-assets';

/** The railroad diagram of the parser's grammar as a self-contained HTML page. */
export function grammarDiagramHtml(): string {
  return createSyntaxDiagramsCode(grammarProductions(), {
    resourceBase: `./${DIAGRAM_ASSETS}/`,
    css: `./${DIAGRAM_ASSETS}/diagrams.css`,
  });
}

/** The names of the parser's rules, which the EBNF in grammar/ must define too. */
export function grammarRuleNames(): string[] {
  return grammarProductions().map((p) => (p as unknown as { name: string }).name);
}
