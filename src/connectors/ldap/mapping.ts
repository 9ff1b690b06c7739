import type { Action } from '../../batch/index.js';
import type { LdapSettings } from './settings.js';

/**
 * What tmon's keys become in an LDAP entry. `attributes` in the target config maps a tmon key
 * (an action pair such as `accountid`, or a name in the action's `attributes` group) to an
 * LDAP attribute; an attributes-group name without a mapping is used as it is.
 */

/** Keys of an action's `attributes` group that steer the operation rather than set an attribute. */
const STEERING = new Set(['context', 'newuserid']);

/** The `attributes` group's settable values, under their LDAP names (empty means "remove"). */
export function mappedAttributes(a: Action, s: LdapSettings): Array<[string, string]> {
  return Object.entries(a.attributes)
    .filter(([k]) => !STEERING.has(k))
    .map(([k, v]) => [s.attributes[k] ?? k, v]);
}

/**
 * The entry ACUA adds: the configured object classes (inetOrgPerson by default), the naming
 * attribute, `cn` from `fname` or the userid, `sn` from the last word of `fname` or the userid,
 * `userPassword` from `newpw`, then the mapped action pairs and the `attributes` group.
 */
export function newAccountEntry(a: Action, s: LdapSettings): Record<string, string[]> {
  const userid = a.pairs.userid ?? '';
  const fname = (a.pairs.fname ?? '').trim();
  const entry: Record<string, string[]> = {
    objectClass: [...s.objectClasses],
    cn: [fname || userid],
    sn: [fname.split(/\s+/).at(-1) || userid],
  };
  for (const [key, attr] of Object.entries(s.attributes)) {
    const v = a.pairs[key];
    if (v && key !== 'newpw') entry[attr] = [v];
  }
  for (const [attr, v] of mappedAttributes(a, s)) if (v !== '') entry[attr] = [v];
  // The RDN's value must be in the entry: the userid, whatever else the mapping said.
  const rdnKey = Object.keys(entry).find((k) => k.toLowerCase() === s.userRdn.toLowerCase());
  const others = rdnKey ? entry[rdnKey]! : [];
  if (rdnKey) delete entry[rdnKey];
  entry[s.userRdn] = [...new Set([userid, ...others])];
  if (a.pairs.newpw) entry.userPassword = [a.pairs.newpw];
  return entry;
}

/** ppolicy's value for an account locked until an administrator unlocks it: tmon's "disabled". */
export const DISABLED_LOCK = '000001010000Z';

/** A timed lock: locked now, for the policy's `pwdLockoutDuration`. */
export function lockTimeNow(now = new Date()): string {
  return `${now.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}
