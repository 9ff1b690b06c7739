import type { KvGroup, KvMember, KvPair } from './document.js';
import { isGroup, isPair } from './document.js';

/*
 * Small helpers for plugin authors and for tmon itself. They work on the plain document
 * model, so a plugin can use them or ignore them: nothing here is needed to write a plugin.
 */

/** The value of the first pair named `key`, or undefined. */
export function getValue(g: KvGroup, key: string): string | undefined {
  for (const m of g.members) if (isPair(m) && m.key === key) return m.value;
  return undefined;
}

/** Every value of the pairs named `key`, in order (multi-valued attributes repeat their key). */
export function getValues(g: KvGroup, key: string): string[] {
  const out: string[] = [];
  for (const m of g.members) if (isPair(m) && m.key === key) out.push(m.value);
  return out;
}

/** The pairs of a group, in order. */
export function pairsOf(g: KvGroup): KvPair[] {
  return g.members.filter(isPair);
}

/** The first child group of `type` (and `name`, when given), or undefined. */
export function findGroup(g: KvGroup, type: string, name?: string): KvGroup | undefined {
  for (const m of g.members) if (isGroup(m) && m.type === type && (name === undefined || m.name === name)) return m;
  return undefined;
}

/** Every child group of `type`, in order. */
export function findGroups(g: KvGroup, type: string): KvGroup[] {
  const out: KvGroup[] = [];
  for (const m of g.members) if (isGroup(m) && m.type === type) out.push(m);
  return out;
}

/** Sets the first pair named `key` to `value`, or appends the pair when there is none. */
export function setValue(g: KvGroup, key: string, value: string): KvGroup {
  for (const m of g.members) {
    if (isPair(m) && m.key === key) {
      m.value = value;
      return g;
    }
  }
  g.members.push({ key, value });
  return g;
}

/** Appends a member (a pair or a group) and returns the parent, for chaining. */
export function addMember(g: KvGroup, member: KvMember): KvGroup {
  g.members.push(member);
  return g;
}

/** Appends a new child group and returns it. */
export function addGroup(g: KvGroup, type: string, name: string, members: KvMember[] = []): KvGroup {
  const child: KvGroup = { type, name, members };
  g.members.push(child);
  return child;
}

/** Removes the members for which `test` holds; returns how many went. */
export function removeMembers(g: KvGroup, test: (m: KvMember) => boolean): number {
  const before = g.members.length;
  g.members = g.members.filter((m) => !test(m));
  return before - g.members.length;
}

/** A deep copy, so a plugin can change one without touching its input. */
export function cloneGroup(g: KvGroup): KvGroup {
  return { type: g.type, name: g.name, members: g.members.map((m) => (isGroup(m) ? cloneGroup(m) : { key: m.key, value: m.value })) };
}
