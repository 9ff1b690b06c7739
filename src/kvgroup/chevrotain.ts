import { createRequire } from 'node:module';
import { join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

/*
 * Chevrotain from its one-file build. The package's entry point loads lodash-es as some 640
 * separate modules, about 0.2 s at every start of `tmon` (every CLI command, the daemon, each
 * plugin worker); `lib/chevrotain.mjs` ships in the same package, the same version with the same
 * code bundled into one file. Its path is found from the entry point's, so it holds wherever
 * npm put the package. The types are the package's own.
 */
const entry = createRequire(import.meta.url).resolve('chevrotain');
const root = entry.slice(0, entry.lastIndexOf(`${sep}lib${sep}`));
const chevrotain = (await import(pathToFileURL(join(root, 'lib', 'chevrotain.mjs')).href)) as typeof import('chevrotain');

export const { createToken, createSyntaxDiagramsCode, EmbeddedActionsParser, EOF, Lexer } = chevrotain;
export type { IParserErrorMessageProvider, IToken, TokenType } from 'chevrotain';
