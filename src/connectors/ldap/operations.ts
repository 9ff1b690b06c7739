import { BerWriter, type Entry } from 'ldapts';
import type { Action } from '../../batch/index.js';
import { ConnectorError, type ConnectorResult } from '../../engine/connector.js';
import { RESULT } from './errors.js';
import { DISABLED_LOCK, lockTimeNow, mappedAttributes, newAccountEntry } from './mapping.js';
import { childDn, contextDn, firstRdn, firstRdnValue, groupDn, parentOf, rdn, sameDn } from './names.js';
import { change, NO_MEMBER, PASSWORD_MODIFY_OID, type LdapSession, type ServerInfo } from './session.js';
import type { LdapSettings } from './settings.js';

/** What an operation gets: the action, a session on a bound connection, and what is known of the server. */
export interface OperationContext {
  session: LdapSession;
  action: Action;
  settings: LdapSettings;
  info: ServerInfo;
  userid: string;
  groupid: string;
  /**
   * The action may have been carried out already (a recovery, or a retry after a lost
   * connection or a timeout, when the server may have applied it before the answer was lost):
   * finding its effect in place counts as done rather than as a conflict.
   */
  mayBeDone: boolean;
}

type Operation = (x: OperationContext) => Promise<ConnectorResult>;

const done = (message: string): ConnectorResult => ({ retval: '0', message });
const LOCK = 'pwdAccountLockedTime';

/** The group `groupid` names, read for its object classes; a missing group is the server's noSuchObject. */
async function needGroup(x: OperationContext): Promise<Entry> {
  const dn = groupDnOf(x);
  const group = await x.session.call(`read group ${dn}`, async (c) => (await c.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: ['objectClass'] })).searchEntries[0]);
  if (!group) throw new ConnectorError('NO_SUCH_GROUP', `no such group ${dn}`);
  return group;
}

function groupDnOf(x: OperationContext): string {
  const dn = groupDn(x.settings, x.groupid);
  if (!dn) throw new ConnectorError('LDAP_NO_GROUPS_DN', `group "${x.groupid}" is not a DN, and target ${x.settings.hostid} has no groupsDn to put a bare name under`);
  return dn;
}

/** Moves or renames an account's entry, then has every group that named it name the new DN. */
async function moveEntry(x: OperationContext, from: string, to: string, doing: string): Promise<number> {
  await x.session.call(`${doing} ${from} to ${to}`, (c) => c.modifyDN(from, to));
  return x.session.followMove(from, to);
}

/** DNAU/ENAU/LOCK/ULCK: ppolicy's pwdAccountLockedTime, permanent (disabled) or timed (locked). A disable is never downgraded to a lock. */
function lockOperation(verb: string, next: (current: string | undefined) => string | null | undefined): Operation {
  return async (x) => {
    const e = await x.session.needAccount(x.userid, [LOCK]);
    const current = [e[LOCK] ?? []].flat()[0]?.toString();
    const value = next(current);
    if (value === undefined) return done(`account ${x.userid} ${verb} (nothing to change)`);
    await x.session.call(`${verb} ${e.dn}`, (c) => c.modify(e.dn, change(value === null ? 'delete' : 'replace', LOCK, value === null ? [] : [value])));
    return done(`account ${x.userid} ${verb}`);
  };
}

/** Contract §2's operations on an LDAP directory (docs/ldap.md has the table). */
export const OPERATIONS: Record<string, Operation> = {
  async ACUA(x) {
    const a = x.action;
    const context = a.attributes.context;
    const parent = context ? contextDn(context, x.session.base) : x.settings.usersDn;
    const dn = childDn(x.settings.userRdn, x.userid, parent);
    let model: Entry | undefined;
    if (a.pairs.modelid) model = await x.session.needAccount(a.pairs.modelid, ['1.1'], 'NO_SUCH_TEMPLATE', 'template account');
    const code = await x.session.tolerate(`add ${dn}`, x.mayBeDone ? [RESULT.ALREADY_EXISTS] : [], (c) => c.add(dn, newAccountEntry(a, x.settings)));
    let copied = 0;
    if (model) for (const g of await x.session.groupsOf(model.dn)) if (await x.session.addMember(g, dn)) copied++;
    if (code === RESULT.ALREADY_EXISTS) return done(`account ${x.userid} already created`);
    return done(`account ${x.userid} created as ${dn}${model ? ` with the ${copied} group(s) of ${a.pairs.modelid}` : ''}`);
  },

  async DELU(x) {
    const e = await x.session.findAccount(x.userid);
    if (!e && x.mayBeDone) return done(`account ${x.userid} already deleted`);
    const { dn } = e ?? (await x.session.needAccount(x.userid));
    // A directory without referential integrity would keep member values naming a deleted entry.
    const groups = await x.session.groupsOf(dn);
    for (const g of groups) await x.session.removeMember(g, dn);
    await x.session.call(`delete ${dn}`, (c) => c.del(dn));
    return done(`account ${x.userid} deleted (${dn}${groups.length ? `, and from ${groups.length} group(s)` : ''})`);
  },

  DNAU: lockOperation('disabled', (cur) => (cur === DISABLED_LOCK ? undefined : DISABLED_LOCK)),
  ENAU: lockOperation('enabled', (cur) => (cur === DISABLED_LOCK ? null : undefined)),
  LOCK: lockOperation('locked', (cur) => (cur === undefined ? lockTimeNow() : undefined)),
  ULCK: lockOperation('unlocked', (cur) => (cur !== undefined && cur !== DISABLED_LOCK ? null : undefined)),

  async GRUA(x) {
    const group = await needGroup(x);
    const { dn } = await x.session.needAccount(x.userid);
    return done((await x.session.addMember(group, dn)) ? `${x.userid} added to ${group.dn}` : `${x.userid} is already in ${group.dn}`);
  },

  async GRUD(x) {
    const group = await needGroup(x);
    const { dn } = await x.session.needAccount(x.userid);
    return done((await x.session.removeMember(group, dn)) ? `${x.userid} removed from ${group.dn}` : `${x.userid} was not in ${group.dn}`);
  },

  async UPDT(x) {
    const { dn } = await x.session.needAccount(x.userid);
    const attrs = mappedAttributes(x.action, x.settings);
    if (attrs.length === 0) return done(`account ${x.userid}: no attributes to set`);
    // An empty value removes the attribute (a replace with no values).
    await x.session.call(`modify ${dn}`, (c) => c.modify(dn, attrs.map(([k, v]) => change('replace', k, v === '' ? [] : [v]))));
    return done(`account ${x.userid} updated (${attrs.map(([k]) => k).sort().join(', ')})`);
  },

  async MVCU(x) {
    const { dn } = await x.session.needAccount(x.userid);
    const to = contextDn(x.action.attributes.context ?? '', x.session.base);
    if (sameDn(parentOf(dn), to)) return done(`account ${x.userid} is already in ${to}`);
    const moved = await moveEntry(x, dn, `${firstRdn(dn)},${to}`, 'move');
    return done(`account ${x.userid} moved to ${to}${moved ? ` (${moved} group membership(s) follow it)` : ''}`);
  },

  async RENU(x) {
    const to = x.action.attributes.newuserid ?? '';
    const e = await x.session.findAccount(x.userid);
    if (!e && x.mayBeDone && (await x.session.findAccount(to))) return done(`account ${x.userid} already renamed to ${to}`);
    const { dn } = e ?? (await x.session.needAccount(x.userid));
    const parent = parentOf(dn);
    const moved = await moveEntry(x, dn, parent ? `${rdn(x.settings.userRdn, to)},${parent}` : rdn(x.settings.userRdn, to), 'rename');
    return done(`account ${x.userid} renamed to ${to}${moved ? ` (${moved} group membership(s) follow it)` : ''}`);
  },

  async ACHG(x) {
    const { dn } = await x.session.needAccount(x.userid);
    const pw = x.action.pairs.newpw ?? '';
    if (x.info.passwordModify) {
      // RFC 3062 PasswdModifyRequestValue: userIdentity [0], newPasswd [2]. The server hashes it by its own policy.
      const w = new BerWriter();
      w.startSequence();
      w.writeString(dn, 0x80);
      w.writeString(pw, 0x82);
      w.endSequence();
      await x.session.call(`password modify for ${dn}`, (c) => c.exop(PASSWORD_MODIFY_OID, w.buffer));
    } else {
      await x.session.call(`set userPassword of ${dn}`, (c) => c.modify(dn, change('replace', 'userPassword', [pw])));
    }
    return done(`password of ${x.userid} set`);
  },

  async AEXP(x) {
    const { dn } = await x.session.needAccount(x.userid);
    await x.session.call(`expire the password of ${dn}`, (c) => c.modify(dn, change('replace', 'pwdReset', ['TRUE'])));
    return done(`password of ${x.userid} expired`);
  },

  async CRTG(x) {
    const dn = groupDnOf(x);
    const entry = { objectClass: ['top', 'groupOfNames'], cn: [firstRdnValue(dn)], member: [NO_MEMBER] };
    const code = await x.session.tolerate(`add group ${dn}`, x.mayBeDone ? [RESULT.ALREADY_EXISTS] : [], (c) => c.add(dn, entry));
    return done(code ? `group ${dn} already created` : `group ${dn} created`);
  },

  async DELG(x) {
    const dn = groupDnOf(x);
    const code = await x.session.tolerate(`delete group ${dn}`, x.mayBeDone ? [RESULT.NO_SUCH_OBJECT] : [], (c) => c.del(dn));
    return done(code ? `group ${dn} already deleted` : `group ${dn} deleted`);
  },

  async NOOP() {
    return done('nothing to do');
  },
};
