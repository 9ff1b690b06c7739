import type { DirectoryAccount, DirectoryDump, DirectoryTx } from '../types.js';
import type { Statements } from './statements.js';

/**
 * One target's simulated directory for a synchronous `fn`: its accounts and groups are read
 * whole (under a per-target advisory lock, so daemons working on one target take turns), `fn`
 * works on them in memory, and what it changed is written back in the same transaction.
 */
export async function withDirectory<T>(s: Statements, hostid: string, fn: (dir: DirectoryTx) => T): Promise<T> {
  await s.dirLock.run(hostid);
  const accounts = new Map((await s.dirAccounts.all(hostid)).map((r) => [r.userid, r.data]));
  const groups = new Set((await s.dirGroups.all(hostid)).map((r) => r.groupid));
  const put = new Map<string, string>();
  const gone = new Set<string>();
  const groupsPut = new Set<string>();
  const groupsGone = new Set<string>();
  const tx: DirectoryTx = {
    account: (userid) => {
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
    hasGroup: (groupid) => groups.has(groupid),
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
    accounts: () => [...accounts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([u, d]): [string, DirectoryAccount] => [u, JSON.parse(d) as DirectoryAccount]),
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
