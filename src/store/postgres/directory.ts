import type { DirectoryAccount, DirectoryDump, DirectoryScope, DirectoryTx } from '../types.js';
import type { Statements } from './statements.js';

/**
 * One target's simulated directory for a synchronous `fn`: its accounts and groups are read
 * whole (under a per-target advisory lock, so daemons working on one target take turns), `fn`
 * works on them in memory, and what it changed is written back in the same transaction.
 */
export async function withDirectory<T>(s: Statements, hostid: string, fn: (dir: DirectoryTx) => T, scope?: DirectoryScope): Promise<T> {
  let accountRows: Array<{ userid: string; data: string }>;
  let groupRows: Array<{ groupid: string }>;
  if (scope) {
    // Only the rows the action looks at, under their own locks: reading a target's whole
    // directory for each action would cost more with every account it holds, and one lock per
    // target would make every action on it wait for the one before (its commit included).
    const keys = [...scope.users.map((u) => `u/${u}`), ...scope.groups.map((g) => `g/${g}`)];
    if (keys.length > 0) await s.dirLockScope.run(hostid, keys);
    else await s.dirLockShared.run(hostid);
    const rows = await s.dirScoped.all(hostid, [...scope.users], [...scope.groups]);
    accountRows = rows.filter((r) => r.kind === 'a').map((r) => ({ userid: r.id, data: r.data! }));
    groupRows = rows.filter((r) => r.kind === 'g').map((r) => ({ groupid: r.id }));
  } else {
    await s.dirLock.run(hostid);
    accountRows = await s.dirAccounts.all(hostid);
    groupRows = await s.dirGroups.all(hostid);
  }
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
  if (gone.size + put.size + groupsGone.size + groupsPut.size > 0) {
    await s.dirWrite.run(hostid, [...gone], [...put.keys()], [...put.values()], [...groupsGone], [...groupsPut]);
  }
  return out;
}

export async function directoryDump(s: Statements, hostid?: string): Promise<DirectoryDump> {
  const rows = hostid ? await s.dirHost.all(hostid) : await s.dirAll.all();
  const out: DirectoryDump = {};
  for (const r of rows) (out[r.hostid] ??= {})[r.userid] = JSON.parse(r.data) as DirectoryAccount;
  return out;
}
