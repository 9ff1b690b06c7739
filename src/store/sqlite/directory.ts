import type { DirectoryAccount, DirectoryDump, DirectoryTx } from '../types.js';
import type { Statements } from './statements.js';

/** One target's simulated directory, inside a transaction of the directory's connection. */
export function directoryTx(s: Statements, hostid: string): DirectoryTx {
  return {
    account: (userid) => {
      const r = s.dirAccount.get(hostid, userid);
      return r ? (JSON.parse(r.data) as DirectoryAccount) : undefined;
    },
    putAccount: (userid, account) => void s.dirPut.run(hostid, userid, JSON.stringify(account)),
    deleteAccount: (userid) => void s.dirDelete.run(hostid, userid),
    hasGroup: (groupid) => s.dirHasGroup.get(hostid, groupid) !== undefined,
    putGroup: (groupid) => void s.dirPutGroup.run(hostid, groupid),
    deleteGroup: (groupid) => void s.dirDeleteGroup.run(hostid, groupid),
    accounts: () => s.dirAccounts.all(hostid).map((r): [string, DirectoryAccount] => [r.userid, JSON.parse(r.data) as DirectoryAccount]),
  };
}

export function directoryDump(s: Statements, hostid?: string): DirectoryDump {
  const rows = hostid ? s.dirHost.all(hostid) : s.dirAll.all();
  const out: DirectoryDump = {};
  for (const r of rows) (out[r.hostid] ??= {})[r.userid] = JSON.parse(r.data) as DirectoryAccount;
  return out;
}
