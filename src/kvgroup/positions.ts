import type { KvMember } from './document.js';
import type { SourcePosition } from './syntax-error.js';

/*
 * Where each member of a document parsed with `positions` starts. Apart from the parser so that
 * the batch model (which names the line of a problem) does not load Chevrotain with it: the
 * store and the read-only commands use the model without ever parsing.
 */

/** Weak: an entry dies with its document. */
const POSITIONS = new WeakMap<KvMember, SourcePosition>();

/** The line:column a member starts at, when its document was parsed with `positions: true`. */
export function positionOf(member: KvMember): SourcePosition | undefined {
  return POSITIONS.get(member);
}

/** Records where `member` starts (the parser, for a parse with `positions`). */
export function setPosition(member: KvMember, position: SourcePosition): void {
  POSITIONS.set(member, position);
}
