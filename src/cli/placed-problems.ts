import { validateDocument, type Problem } from '../batch/index.js';
import { parseKvg } from '../kvgroup/index.js';

/**
 * The problems of a refused batch with their line:column where the check can tell one (a bad
 * depends entry). Parsing with positions costs a third more, so it is done only here, once a
 * batch has already been refused; the other problems are kept as found.
 */
export function placedProblems(problems: readonly Problem[], text: string, source: string): Problem[] {
  if (!problems.some((p) => p.code === 'BATCH_BAD_DEPENDS')) return [...problems];
  const placed = validateDocument(parseKvg(text, { source, positions: true }), { lookup: () => true }).problems.filter((p) => p.code === 'BATCH_BAD_DEPENDS');
  let next = 0;
  return problems.map((p) => (p.code === 'BATCH_BAD_DEPENDS' ? (placed[next++] ?? p) : p));
}
