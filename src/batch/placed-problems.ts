import { parseKvg } from '../kvgroup/index.js';
import type { Problem, ProblemCode } from './problem.js';
import { validateDocument } from './validate.js';

/** The problems whose place in the file validation can tell, when the text is parsed with positions. */
const PLACEABLE: ReadonlySet<ProblemCode> = new Set(['BATCH_BAD_DEPENDS', 'BATCH_BAD_MEMBER']);

/**
 * The problems of a refused batch with their line:column where the check can tell one (a bad
 * depends entry, a member tmon does not take). Parsing with positions costs a third more, so it
 * is done only here, once a batch has already been refused; the other problems are kept as found.
 */
export function placedProblems(problems: readonly Problem[], text: string, source: string): Problem[] {
  if (!problems.some((p) => PLACEABLE.has(p.code) && p.line === undefined)) return [...problems];
  const placed = validateDocument(parseKvg(text, { source, positions: true }), { lookup: () => true }).problems.filter((p) => PLACEABLE.has(p.code));
  let next = 0;
  return problems.map((p) => (PLACEABLE.has(p.code) ? (placed[next++] ?? p) : p));
}

/** A problem as one line: `file:line:column: …` when its place is known, `file: …` otherwise. */
export function problemLine(p: Problem, source: string): string {
  return p.line !== undefined ? `${source}:${p.line}:${p.column ?? 1}: ${p.message}` : `${source}: ${p.message}`;
}
