import { isPair, type KvGroup, type KvMember } from '../kvgroup/document.js';

/** The key whose value is a password (contract §2). */
export const PASSWORD_KEY = 'newpw';

/**
 * A cheap first look at a document's JSON: a `newpw` pair is written `"key":"newpw"`, so JSON
 * without the quoted word holds none (with it, parse and look: it may be a value).
 */
export function mayHoldPasswords(json: string): boolean {
  return json.includes(`"${PASSWORD_KEY}"`);
}

/** The group holds a `newpw` pair with a non-empty value, at any depth. */
export function holdsPasswords(g: KvGroup): boolean {
  const stack: KvMember[] = [g];
  while (stack.length > 0) {
    const m = stack.pop()!;
    if (isPair(m)) {
      if (m.key === PASSWORD_KEY && m.value !== '') return true;
    } else if (Array.isArray(m.members)) {
      for (const c of m.members) stack.push(c);
    }
  }
  return false;
}

/**
 * `g` with every non-empty `newpw` value (at any depth) replaced by `f(value)`. Copy on write:
 * only the groups on the way to a changed pair are copied, the rest is shared, and a group
 * without one comes back as it was (the same object). `g` itself is never changed.
 */
export function mapPasswords(g: KvGroup, f: (value: string) => string): KvGroup {
  let members: KvMember[] | undefined;
  for (let i = 0; i < g.members.length; i++) {
    const m = g.members[i]!;
    let next: KvMember = m;
    if (isPair(m)) {
      if (m.key === PASSWORD_KEY && m.value !== '') {
        const value = f(m.value);
        if (value !== m.value) next = { ...m, value };
      }
    } else if (Array.isArray(m.members)) {
      next = mapPasswords(m, f);
    }
    if (next !== m) (members ??= g.members.slice())[i] = next;
  }
  return members ? { ...g, members } : g;
}

/** `g` with every password emptied, and whether there was one. */
export function wipePasswords(g: KvGroup): { group: KvGroup; wiped: boolean } {
  let wiped = false;
  const group = mapPasswords(g, () => ((wiped = true), ''));
  return { group, wiped };
}
