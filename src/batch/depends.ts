import { isGroup, type KvGroup, type KvPair } from '../kvgroup/document.js';
import { positionOf } from '../kvgroup/positions.js';
import type { SourcePosition } from '../kvgroup/syntax-error.js';

/** "This action runs only after action `action` of batch `batch` has succeeded." */
export interface Dependency {
  action: string;
  batch: string;
}

/** A member of a `"depends"` group that is not a dependency: why, and where it starts if known. */
export interface BadDependency {
  /** 1-based, counting every member of the depends group. */
  index: number;
  /** What is wrong with it, for `depends entry N …: <what>`. */
  what: string;
  position?: SourcePosition;
}

const DEPENDENCY_KEYS = ['action', 'batch'];
const SHAPE = '"local" "" = { "action" = … "batch" = … }';

/** The first value of each pair of a group. */
function pairValues(g: KvGroup): Map<string, string> {
  const values = new Map<string, string>();
  for (const m of g.members) if (!isGroup(m) && !values.has(m.key)) values.set(m.key, (m as KvPair).value);
  return values;
}

/** What is wrong with one member of a depends group, or undefined for a dependency. */
function faultOf(m: KvGroup['members'][number]): string | undefined {
  if (!isGroup(m)) return `is a pair ("${m.key}" = "${m.value}"), not a dependency group ${SHAPE}`;
  if (m.type !== 'local') return `is a "${m.type}" group; a dependency is ${SHAPE}`;
  const faults: string[] = [];
  if (m.name !== '') faults.push(`is named "${m.name}" (a dependency group has an empty name)`);
  const counts = new Map<string, number>();
  for (const inner of m.members) {
    if (isGroup(inner)) faults.push(`holds a "${inner.type}" group, which a dependency does not take`);
    else counts.set(inner.key, (counts.get(inner.key) ?? 0) + 1);
  }
  const values = pairValues(m);
  const missing = DEPENDENCY_KEYS.filter((k) => !values.get(k));
  if (missing.length > 0) faults.push(`has no ${missing.map((k) => `"${k}"`).join(' and no ')}`);
  for (const [k, n] of counts) {
    if (!DEPENDENCY_KEYS.includes(k)) faults.push(`has "${k}", which a dependency does not take (only "action" and "batch")`);
    else if (n > 1) faults.push(`gives "${k}" ${n} times`);
  }
  return faults.length ? faults.join('; ') : undefined;
}

/**
 * Reads an action's `"depends"` group. Anything in it that is not exactly a dependency group is
 * returned as bad rather than skipped: a dependency silently dropped would let the action run
 * before what it was meant to wait for.
 */
export function readDepends(group: KvGroup | undefined): { depends: Dependency[]; bad: BadDependency[] } {
  const depends: Dependency[] = [];
  const bad: BadDependency[] = [];
  group?.members.forEach((m, i) => {
    const what = faultOf(m);
    if (what !== undefined) {
      const position = positionOf(m);
      bad.push({ index: i + 1, what, ...(position ? { position } : {}) });
      return;
    }
    const values = pairValues(m as KvGroup);
    depends.push({ action: values.get('action')!, batch: values.get('batch')! });
  });
  return { depends, bad };
}
