import { actionValue } from '../batch/model.js';
import type { DirectoryAccount, DirectoryTx, Store } from '../store/index.js';
import { ConnectorError, type Connector, type ConnectorRequest, type ConnectorResult } from '../engine/connector.js';

/**
 * The built-in directory connector: a simulated directory per target, kept in the store,
 * applying the operation table of contract §2 with the failures a real directory gives (no
 * such account, account exists, group exists: permanent; adding a member twice or removing a
 * non-member: success, nothing changes). On a recovery, an operation whose effect is already
 * there counts as done rather than as a conflict, since tmon may have applied it just before
 * it was stopped.
 */
export class DirectoryConnector implements Connector {
  readonly kind = 'directory';
  /** Its writes are the store's (`Store.withDirectory`): they commit with the action's result. */
  readonly inStore = true;

  constructor(private readonly store: Store) {}

  async execute(req: ConnectorRequest): Promise<ConnectorResult> {
    const a = req.action;
    const host = actionValue(a, 'hostid');
    const userid = actionValue(a, 'userid');
    const groupid = actionValue(a, 'groupid');
    const op = actionValue(a, 'operation');
    // What the operation looks at (DELG looks at every account): a store fetching rows reads only those.
    const scope = op === 'DELG' ? undefined : { users: [userid, actionValue(a, 'modelid'), a.attributes.newuserid ?? ''].filter(Boolean), groups: [groupid].filter(Boolean) };
    return this.store.withDirectory(host, (dir) => apply(dir, op, userid, groupid, req), scope);
  }
}

const done = (message: string): ConnectorResult => ({ retval: '0', message });

function apply(dir: DirectoryTx, op: string, userid: string, groupid: string, req: ConnectorRequest): ConnectorResult {
  const a = req.action;
  const existing = dir.account(userid);
  const need = (): DirectoryAccount => {
    if (!existing) throw new ConnectorError('NO_SUCH_ACCOUNT', `no such account ${userid} on ${actionValue(a, 'hostid')}`);
    return existing;
  };
  const update = (change: Partial<DirectoryAccount>, message: string): ConnectorResult => {
    dir.putAccount(userid, { ...need(), ...change });
    return done(message);
  };
  switch (op) {
    case 'ACUA': {
      if (existing) {
        if (req.recovery) return done(`account ${userid} already created`);
        throw new ConnectorError('ACCOUNT_EXISTS', `account ${userid} already exists`);
      }
      const modelid = actionValue(a, 'modelid');
      let groups: string[] = [];
      if (modelid) {
        const model = dir.account(modelid);
        if (!model) throw new ConnectorError('NO_SUCH_TEMPLATE', `template account ${modelid} does not exist`);
        groups = [...model.groups];
      }
      const { context = '', ...attributes } = a.attributes;
      dir.putAccount(userid, {
        accountid: actionValue(a, 'accountid') || userid,
        fname: actionValue(a, 'fname'),
        enabled: true,
        locked: false,
        passwordExpired: false,
        context,
        groups,
        attributes,
        passwordChanges: 0,
      });
      return done(`account ${userid} created${modelid ? ` with the groups of ${modelid}` : ''}`);
    }
    case 'DELU':
      if (!existing && req.recovery) return done(`account ${userid} already deleted`);
      need();
      dir.deleteAccount(userid);
      return done(`account ${userid} deleted`);
    case 'DNAU':
      return update({ enabled: false }, `account ${userid} disabled`);
    case 'ENAU':
      return update({ enabled: true }, `account ${userid} enabled`);
    case 'LOCK':
      return update({ locked: true }, `account ${userid} locked`);
    case 'ULCK':
      return update({ locked: false }, `account ${userid} unlocked`);
    case 'GRUA': {
      const acct = need();
      if (acct.groups.includes(groupid)) return done(`${userid} is already in ${groupid}`);
      return update({ groups: [...acct.groups, groupid].sort() }, `${userid} added to ${groupid}`);
    }
    case 'GRUD': {
      const acct = need();
      if (!acct.groups.includes(groupid)) return done(`${userid} was not in ${groupid}`);
      return update({ groups: acct.groups.filter((g) => g !== groupid) }, `${userid} removed from ${groupid}`);
    }
    case 'UPDT':
      return update({ attributes: { ...need().attributes, ...a.attributes } }, `account ${userid} updated (${Object.keys(a.attributes).sort().join(', ')})`);
    case 'MVCU':
      return update({ context: a.attributes.context ?? '' }, `account ${userid} moved to ${a.attributes.context}`);
    case 'RENU': {
      const to = a.attributes.newuserid ?? '';
      if (!existing && req.recovery && dir.account(to)) return done(`account ${userid} already renamed to ${to}`);
      const acct = need();
      if (dir.account(to)) throw new ConnectorError('ACCOUNT_EXISTS', `cannot rename ${userid}: account ${to} already exists`);
      dir.deleteAccount(userid);
      dir.putAccount(to, acct);
      return done(`account ${userid} renamed to ${to}`);
    }
    case 'ACHG': {
      const acct = need();
      return update({ passwordChanges: acct.passwordChanges + 1, passwordExpired: false }, `password of ${userid} set`);
    }
    case 'AEXP':
      return update({ passwordExpired: true }, `password of ${userid} expired`);
    case 'CRTG':
      if (dir.hasGroup(groupid)) {
        if (req.recovery) return done(`group ${groupid} already created`);
        throw new ConnectorError('GROUP_EXISTS', `group ${groupid} already exists`);
      }
      dir.putGroup(groupid);
      return done(`group ${groupid} created`);
    case 'DELG': {
      const members = dir.accounts().filter(([, acct]) => acct.groups.includes(groupid));
      if (!dir.hasGroup(groupid) && members.length === 0) {
        if (req.recovery) return done(`group ${groupid} already deleted`);
        throw new ConnectorError('NO_SUCH_GROUP', `no such group ${groupid}`);
      }
      for (const [uid, acct] of members) dir.putAccount(uid, { ...acct, groups: acct.groups.filter((g) => g !== groupid) });
      dir.deleteGroup(groupid);
      return done(`group ${groupid} deleted (and removed from ${members.length} account${members.length === 1 ? '' : 's'})`);
    }
    case 'NOOP':
      return done('nothing to do');
    default:
      throw new ConnectorError('UNSUPPORTED_OPERATION', `the directory connector does not implement ${op}`);
  }
}
