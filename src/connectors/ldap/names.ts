/**
 * How tmon's names become LDAP names: an account's default DN, a group's DN from a DN or a
 * bare name, a context (OU) from a DN or a bare name. Values are escaped as RFC 4514 asks, so
 * a userid with a comma or a plus names one entry instead of breaking the DN.
 */

/** Escapes one RDN value (RFC 4514 §2.4). */
export function escapeRdnValue(value: string): string {
  let out = value.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`).replace(/\0/g, '\\00');
  if (/^[ #]/.test(out)) out = `\\${out}`;
  if (out.endsWith(' ') && !out.endsWith('\\ ')) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** A string already written as a DN (it has an attribute=value part) rather than a bare name. */
export function isDn(name: string): boolean {
  return /^\s*[A-Za-z][A-Za-z0-9-]*\s*=/.test(name) || /^\s*\d+(\.\d+)+\s*=/.test(name);
}

export function rdn(attribute: string, value: string): string {
  return `${attribute}=${escapeRdnValue(value)}`;
}

/** The DN under `parent` of the entry named `attribute=value`. */
export function childDn(attribute: string, value: string, parent: string): string {
  return parent ? `${rdn(attribute, value)},${parent}` : rdn(attribute, value);
}

/** The DN of everything after the first RDN (the entry's parent), honouring escaped commas. */
export function parentOf(dn: string): string {
  for (let i = 0; i < dn.length; i++) {
    if (dn[i] === '\\') i++;
    else if (dn[i] === ',') return dn.slice(i + 1).trim();
  }
  return '';
}

/** The first RDN as written (`uid=jdoe,ou=People,…` → `uid=jdoe`). */
export function firstRdn(dn: string): string {
  return dn.slice(0, dn.length - parentOf(dn).length).replace(/,\s*$/, '').trim();
}

/** The first RDN's value, unescaped (`cn=Staff\, all,ou=…` → `Staff, all`). */
export function firstRdnValue(dn: string): string {
  const first = firstRdn(dn);
  const value = first.slice(first.indexOf('=') + 1);
  // A run of hex escapes is UTF-8 bytes (`caf\C3\A9` is café); any other escaped character stands for itself.
  return value.replace(/(?:\\[0-9a-fA-F]{2})+|\\(.)/g, (run: string, c?: string) => c ?? Buffer.from(run.replace(/\\/g, ''), 'hex').toString('utf8'));
}

const normal = (dn: string): string => dn.replace(/\s*([,=+])\s*/g, '$1').trim().toLowerCase();

/** The same DN, ignoring case and the spaces around separators (good enough for the DNs tmon builds and reads back). */
export function sameDn(a: string, b: string): boolean {
  return normal(a) === normal(b);
}

/** `dn` is `ancestor` or below it. */
export function isUnder(dn: string, ancestor: string): boolean {
  const d = normal(dn);
  const a = normal(ancestor);
  return d === a || d.endsWith(`,${a}`);
}

/** Where an action's names point on one target. */
export interface Naming {
  userRdn: string;
  usersDn: string;
  groupsDn?: string;
}

export function defaultAccountDn(n: Naming, userid: string): string {
  return childDn(n.userRdn, userid, n.usersDn);
}

/** `groupid` as a DN: given as one, or a bare name taken as `cn=NAME,<groupsDn>`; undefined if that needs a groupsDn there is not. */
export function groupDn(n: Naming, groupid: string): string | undefined {
  if (isDn(groupid)) return groupid.trim();
  return n.groupsDn ? childDn('cn', groupid, n.groupsDn) : undefined;
}

/** A context (MVCU's `attributes.context`) as a DN: given as one, or a bare OU name under `base`. */
export function contextDn(context: string, base: string): string {
  return isDn(context) ? context.trim() : childDn('ou', context, base);
}
