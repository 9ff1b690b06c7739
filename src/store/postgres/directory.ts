import type { DirectoryAccount, DirectoryDump, DirectoryScope, DirectoryTx } from '../types.js';
import type { Statements } from './statements.js';

/**
 * One target's simulated directory for a synchronous `fn`: its accounts and groups are read
 * whole (under a per-target advisory lock, so daemons working on one target take turns), `fn`
 * works on them in memory, and what it changed is written back in the same transaction.
 */
export async function withDirectory<T>(s: Statements, hostid: string, fn: (dir: DirectoryTx) => T, scope?: DirectoryScope): Promise<T> {
  await s.dirLock.run(hostid);
  // With a scope, only the rows the action looks at: reading a target's whole directory for
  // each action would cost more with every account it holds.
  const accountRows = scope ? await s.dirAccountsIn.all(hostid, JSON.stringify(scope.users)) : await s.dirAccounts.all(hostid);
  const groupRows = scope ? await s.dirGroupsIn.all(hostid, JSON.stringify(scope.groups)) : await s.dirGroups.all(hostid);
  const accounts = new Map(accountRows.map((r) => [r.userid, r.data]));
  const groups = new Set(groupRows.map((r) => r.groupid));
  const seen = (what: string, key: string, list: readonly string[] | undefined): void => {
    if (list && !list.includes(key)) throw new Error(`withDirectory: ${what} ${key} is outside the scope the caller gave`);
  };
  const put = new Map<string, string>();
  const gone = new Set<string>();
  const groupsPut = new Set<string>();
  const groupsGone = new Set<string>();
  const tx: DirectoryTx = {
    account: (userid) => {
      seen('account', userid, scope?.users);
      const data = accounts.get(userid);
      return data === undefined ? undefined : (JSON.parse(data) as DirectoryAccount);
    },
    putAccount: (userid, account) => {
      const data = JSON.stringify(account);
      accounts.set(userid, data);
      put.set(userid, data);
      gone.delete(userid);
    },
    deleteAccount: (userid) => {
      accounts.delete(userid);
      put.delete(userid);
      gone.add(userid);
    },
    hasGroup: (groupid) => (seen('group', groupid, scope?.groups), groups.has(groupid)),
    putGroup: (groupid) => {
      groups.add(groupid);
      groupsPut.add(groupid);
      groupsGone.delete(groupid);
    },
    deleteGroup: (groupid) => {
      groups.delete(groupid);
      groupsGone.add(groupid);
      groupsPut.delete(groupid);
    },
    accounts: () => {
      if (scope) throw new Error('withDirectory: accounts() needs the whole directory: give no scope');
      return [...accounts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([u, d]): [string, DirectoryAccount] => [u, JSON.parse(d) as DirectoryAccount]);
    },
  };
  const out = fn(tx);
  for (const u of gone) await s.dirDelete.run(hostid, u);
  for (const [u, d] of put) await s.dirPut.run(hostid, u, d);
  for (const g of groupsGone) await s.dirDeleteGroup.run(hostid, g);
  for (const g of groupsPut) await s.dirPutGroup.run(hostid, g);
  return out;
}

export async function directoryDump(s: Statements, hostid?: string): Promise<DirectoryDump> {
  const rows = hostid ? await s.dirHost.all(hostid) : await s.dirAll.all();
  const out: DirectoryDump = {};
  for (const r of rows) (out[r.hostid] ??= {})[r.userid] = JSON.parse(r.data) as DirectoryAccount;
  return out;
}
