import { isGroup, type KvGroup } from '../kvgroup/document.js';
import { positionOf } from '../kvgroup/positions.js';
import type { SourcePosition } from '../kvgroup/syntax-error.js';
import { didYouMean } from '../suggest.js';

/**
 * Members of a batch or an action group that tmon does not understand. They are refused, not
 * skipped: a `"Depends"` group or a `"depends" = "x"` pair that tmon ignored would let the
 * action run before what it was meant to wait for, and a misspelt `"actoin"` group would drop
 * work without a word.
 */
export interface BadMember {
  /** What is wrong with it, for `<what>` after `action X:` or `batch X:`. */
  what: string;
  position?: SourcePosition;
}

/** The groups an action may hold (contract §2); each at most once. */
export const ACTION_GROUPS = ['attributes', 'depends'] as const;

const at = (m: KvGroup['members'][number]): { position?: SourcePosition } => {
  const position = positionOf(m);
  return position ? { position } : {};
};

const guess = (word: string, known: readonly string[]): string => {
  const g = didYouMean(word, known);
  return g ? ` (did you mean "${g}"?)` : '';
};

/** The members of an action group that are neither a pair nor one of its two groups, once. */
export function badActionMembers(action: KvGroup): BadMember[] {
  const bad: BadMember[] = [];
  const seen = new Set<string>();
  for (const m of action.members) {
    if (!isGroup(m)) {
      if ((ACTION_GROUPS as readonly string[]).includes(m.key)) {
        bad.push({ what: `"${m.key}" is written as a pair; it is a group: "${m.key}" "" = { … }`, ...at(m) });
      }
      continue;
    }
    if (!(ACTION_GROUPS as readonly string[]).includes(m.type)) {
      bad.push({ what: `holds a "${m.type}" group, which an action does not take (only "attributes" and "depends")${guess(m.type, ACTION_GROUPS)}`, ...at(m) });
      continue;
    }
    if (m.name !== '') bad.push({ what: `its "${m.type}" group is named "${m.name}"; write "${m.type}" "" = { … }`, ...at(m) });
    if (seen.has(m.type)) bad.push({ what: `holds a second "${m.type}" group; put everything in one`, ...at(m) });
    seen.add(m.type);
  }
  return bad;
}

/** The members of a batch group that are not action groups. */
export function badBatchMembers(batchGroup: KvGroup): BadMember[] {
  const bad: BadMember[] = [];
  for (const m of batchGroup.members) {
    if (!isGroup(m)) bad.push({ what: `holds a pair ("${m.key}" = "${m.value}"); a batch group holds only "action" groups`, ...at(m) });
    else if (m.type !== 'action') bad.push({ what: `holds a "${m.type}" group "${m.name}", which a batch does not take (only "action" groups)${guess(m.type, ['action'])}`, ...at(m) });
  }
  return bad;
}
