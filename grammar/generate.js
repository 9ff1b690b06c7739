// `npm run grammar`: writes grammar/diagram.html from the parser itself (after a build), and
// copies Chevrotain's diagram renderer beside it so the page opens without a network.
// test/grammar.test.ts fails when the committed diagram no longer matches the parser.
import { cpSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIAGRAM_ASSETS, grammarDiagramHtml } from '../dist/kvgroup/diagram.js';

const here = dirname(fileURLToPath(import.meta.url));
// chevrotain exports no package.json; its entry point is lib/src/api.js inside the package.
const chevrotainRoot = join(dirname(fileURLToPath(import.meta.resolve('chevrotain'))), '..', '..');
cpSync(join(chevrotainRoot, 'diagrams'), join(here, DIAGRAM_ASSETS), { recursive: true });
writeFileSync(join(here, 'diagram.html'), grammarDiagramHtml());
console.log(`wrote ${join(here, 'diagram.html')}`);
