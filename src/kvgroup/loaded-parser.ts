import type { KvDocument } from './document.js';
import type { ParseOptions } from './parser.js';

/*
 * The parser for synchronous code that parses only now and then and must not load it up front:
 * the SQLite store parses inside its transactions (the context of a batch stored before
 * contexts were, the plain-text passwords of a store from before sealing), while `tmon status`
 * and the other views open the same store and never parse. Chevrotain loads only when the
 * parser module does; whoever may reach such a parse awaits `loadParser()` first (the store
 * does, where it can tell), and any process that has loaded the parser otherwise has it too.
 */

let parse: ((input: string, options?: ParseOptions) => KvDocument) | undefined;

/** The parser module hands its parse function here as it loads. */
export function provideParser(fn: (input: string, options?: ParseOptions) => KvDocument): void {
  parse = fn;
}

export function parserLoaded(): boolean {
  return parse !== undefined;
}

/** Loads the parser module (once), so that `parseLoaded` can run synchronously. */
export async function loadParser(): Promise<void> {
  if (!parse) await import('./parser.js');
}

/** `parseKvg`, from a parser loaded before (see above); an internal error otherwise, never a silent miss. */
export function parseLoaded(input: string, options?: ParseOptions): KvDocument {
  if (!parse) throw new Error('internal: the KVGroup parser was used before loadParser()');
  return parse(input, options);
}
