import { Attribute, Change, EqualityFilter, OrFilter, type Client, type Entry, type Filter } from 'ldapts';
import { ConnectorError } from '../../engine/connector.js';
import { ldapError, resultCode, RESULT } from './errors.js';
import { defaultAccountDn, type Naming } from './names.js';

export const PASSWORD_MODIFY_OID = '1.3.6.1.4.1.4203.1.11.1';

/** What the server says about itself in its root DSE, read once per target. */
export interface ServerInfo {
  namingContexts: string[];
  passwordModify: boolean;
  vendor: string;
}

/** An empty DN: the placeholder member that keeps a groupOfNames valid while it has no real member. */
export const NO_MEMBER = '';

const first = (v: Entry[string] | undefined): string | undefined => (Array.isArray(v) ? v[0]?.toString() : v?.toString());

export async function readServerInfo(client: Client): Promise<ServerInfo> {
  const { searchEntries } = await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['namingContexts', 'supportedExtension', 'vendorName', 'vendorVersion'] });
  const root = searchEntries[0] ?? ({} as Entry);
  const list = (v: Entry[string] | undefined): string[] => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).map((x) => x.toString()));
  return {
    namingContexts: list(root.namingContexts),
    passwordModify: list(root.supportedExtension).includes(PASSWORD_MODIFY_OID),
    vendor: [first(root.vendorName), first(root.vendorVersion)].filter(Boolean).join(' '),
  };
}

/**
 * One action's conversation with the server, on one pooled connection: every call maps
 * ldapts's errors to a classified `ConnectorError` that says what was being done.
 */
export class LdapSession {
  constructor(
    readonly client: Client,
    readonly naming: Naming & { hostid: string; url: string },
    /** Where accounts are searched for once moved, and groups for their members: the naming context holding usersDn. */
    readonly base: string,
  ) {}

  /** Runs one LDAP request; a connection that dropped since the last one fails rather than reconnecting unbound. */
  async call<T>(doing: string, fn: (c: Client) => Promise<T>): Promise<T> {
    return this.attempt(doing, [], fn) as Promise<T>;
  }

  /** Like `call`, but an answer with one of the result `codes` is returned as that code instead of thrown (0: success). */
  async tolerate(doing: string, codes: number[], fn: (c: Client) => Promise<unknown>): Promise<number> {
    const r = await this.attempt(doing, codes, fn);
    return r instanceof Tolerated ? r.code : 0;
  }

  private async attempt<T>(doing: string, codes: number[], fn: (c: Client) => Promise<T>): Promise<T | Tolerated> {
    if (!this.client.isConnected) throw new ConnectorError('TARGET_UNAVAILABLE', `${doing}: the connection to ${this.naming.url} was lost`);
    try {
      return await fn(this.client);
    } catch (err) {
      const code = resultCode(err);
      if (code !== undefined && codes.includes(code)) return new Tolerated(code);
      throw ldapError(err, doing, this.naming.url);
    }
  }

  async read(dn: string, attributes: string[]): Promise<Entry | undefined> {
    try {
      const r = await this.client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes });
      return r.searchEntries[0];
    } catch (err) {
      if (resultCode(err) === RESULT.NO_SUCH_OBJECT) return undefined;
      throw ldapError(err, `read ${dn}`, this.naming.url);
    }
  }

  async search(base: string, filter: Filter, attributes: string[], sizeLimit = 0): Promise<Entry[]> {
    return (await this.call(`search ${base} for ${filter.toString()}`, (c) => c.search(base, { scope: 'sub', filter, attributes, sizeLimit }))).searchEntries;
  }

  /**
   * An account's entry: at its default DN, or, once moved, the one entry under the base whose
   * naming attribute is the userid.
   */
  async findAccount(userid: string, attributes: string[] = ['1.1']): Promise<Entry | undefined> {
    const atDefault = await this.read(defaultAccountDn(this.naming, userid), attributes);
    if (atDefault) return atDefault;
    const found = await this.search(this.base, new EqualityFilter({ attribute: this.naming.userRdn, value: userid }), attributes, 2);
    if (found.length > 1) throw new ConnectorError('LDAP_AMBIGUOUS_ACCOUNT', `more than one entry under ${this.base} has ${this.naming.userRdn}=${userid}: ${found.map((e) => e.dn).join('; ')}`);
    return found[0];
  }

  async needAccount(userid: string, attributes?: string[], code = 'NO_SUCH_ACCOUNT', what = 'account'): Promise<Entry> {
    const e = await this.findAccount(userid, attributes);
    if (!e) {
      throw new ConnectorError(code, `no such ${what} ${userid} on ${this.naming.hostid}: no entry ${defaultAccountDn(this.naming, userid)}, nor any with ${this.naming.userRdn}=${userid} under ${this.base}`);
    }
    return e;
  }

  /** The groups (groupOfNames or groupOfUniqueNames) under the base that name `dn` as a member. */
  async groupsOf(dn: string): Promise<Entry[]> {
    const filter = new OrFilter({ filters: [new EqualityFilter({ attribute: 'member', value: dn }), new EqualityFilter({ attribute: 'uniqueMember', value: dn })] });
    return this.search(this.base, filter, ['objectClass']);
  }

  /** The member attribute of a group entry: uniqueMember for groupOfUniqueNames, member otherwise. */
  memberAttribute(group: Entry): string {
    const classes = [group.objectClass ?? []].flat().map((c) => c.toString().toLowerCase());
    return classes.includes('groupofuniquenames') ? 'uniqueMember' : 'member';
  }

  /** Adds `dn` to a group; false when it was a member already. The empty placeholder goes once a real member is there. */
  async addMember(group: Entry, dn: string): Promise<boolean> {
    const attr = this.memberAttribute(group);
    const code = await this.tolerate(`add ${dn} to ${group.dn}`, [RESULT.VALUE_EXISTS], (c) => c.modify(group.dn, change('add', attr, [dn])));
    await this.tolerate(`drop the placeholder member of ${group.dn}`, [RESULT.NO_SUCH_ATTRIBUTE, RESULT.OBJECT_CLASS_VIOLATION], (c) => c.modify(group.dn, change('delete', attr, [NO_MEMBER])));
    return code === 0;
  }

  /**
   * Removes `dn` from a group; false when it was not a member. The last member of a group whose
   * schema demands one is replaced by the empty placeholder, so the group stays.
   */
  async removeMember(group: Entry, dn: string): Promise<boolean> {
    const attr = this.memberAttribute(group);
    const doing = `remove ${dn} from ${group.dn}`;
    const code = await this.tolerate(doing, [RESULT.NO_SUCH_ATTRIBUTE, RESULT.OBJECT_CLASS_VIOLATION], (c) => c.modify(group.dn, change('delete', attr, [dn])));
    if (code === RESULT.OBJECT_CLASS_VIOLATION) await this.call(doing, (c) => c.modify(group.dn, [change('delete', attr, [dn]), change('add', attr, [NO_MEMBER])]));
    return code !== RESULT.NO_SUCH_ATTRIBUTE;
  }

  /** After a move or rename: every group that named `from` names `to` instead. Returns how many changed. */
  async followMove(from: string, to: string): Promise<number> {
    const groups = await this.groupsOf(from);
    for (const g of groups) {
      const attr = this.memberAttribute(g);
      const code = await this.tolerate(`rename member ${from} of ${g.dn}`, [RESULT.VALUE_EXISTS], (c) => c.modify(g.dn, [change('delete', attr, [from]), change('add', attr, [to])]));
      if (code === RESULT.VALUE_EXISTS) await this.removeMember(g, from);
    }
    return groups.length;
  }
}

class Tolerated {
  constructor(readonly code: number) {}
}

export function change(operation: 'add' | 'delete' | 'replace', type: string, values: string[]): Change {
  return new Change({ operation, modification: new Attribute({ type, values }) });
}
