import type { DirectoryAccount, DirectoryDump, DirectoryScope, DirectoryTx } from '../types.js';
import type { PoolClient, QueryResult } from 'pg';
import type { Statements } from './statements.js';

/** A text array as SQL text: a simple query (several statements, one round trip) takes no parameters. */
const textArray = (c: PoolClient, xs: readonly string[]): string => (xs.length === 0 ? `'{}'::text[]` : `ARRAY[${xs.map((x) => c.escapeLiteral(x)).join(', ')}]::text[]`);

/**
 * One target's simulated directory for a synchronous `fn`: the rows it looks at are read under
 * locks, `fn` works on them in memory, and what it changed is written back in the same
 * transaction. With a scope (the accounts and groups `fn` looks at), the target's lock is taken
 * shared and each account's and group's own lock exclusive, in the order of their keys (no two
 * transactions wait for each other in a circle): actions on different accounts of one target run
 * side by side. Without one (DELG, accounts()), the whole target is read under its lock taken
 * exclusive. Two round trips: BEGIN, the locks and the read in one (each statement of a simple
 * query reads what was committed before it, so the read sees every change made under the locks),
 * the writes and COMMIT in the other.
 */
export async function withDirectory<T>(client: PoolClient, hostid: string, fn: (dir: DirectoryTx) => T, scope?: DirectoryScope): Promise<T> {
  const host = client.escapeLiteral(hostid);
  const target = `hashtext(current_schema() || '/' || ${host})`;
  let lock: string;
  let read: string;
  if (scope) {
    const keys = [...scope.users.map((u) => `u/${u}`), ...scope.groups.map((g) => `g/${g}`)];
    // The shared lock is taken as the keys are read, before the sort hands any to the exclusive ones.
    lock =
      keys.length === 0
        ? `SELECT pg_advisory_xact_lock_shared(7412, ${target})`
        : `SELECT count(pg_advisory_xact_lock(7413, h)) FROM (SELECT DISTINCT hashtext(current_schema() || '/' || ${host} || '/' || k) AS h
            FROM unnest(${textArray(client, keys)}) AS k WHERE pg_advisory_xact_lock_shared(7412, ${target})::text = '' ORDER BY h) s`;
    read = `SELECT 'a' AS kind, userid AS id, data FROM directory_accounts WHERE hostid = ${host} AND userid = ANY(${textArray(client, scope.users)})
      UNION ALL SELECT 'g', groupid, NULL FROM directory_groups WHERE hostid = ${host} AND groupid = ANY(${textArray(client, scope.groups)})`;
  } else {
    lock = `SELECT pg_advisory_xact_lock(7412, ${target})`;
    read = `SELECT 'a' AS kind, userid AS id, data FROM directory_accounts WHERE hostid = ${host} UNION ALL SELECT 'g', groupid, NULL FROM directory_groups WHERE hostid = ${host}`;
  }
  const results = (await client.query(`BEGIN; ${lock}; ${read}`)) as unknown as QueryResult[];
  const rows = results[2]!.rows as Array<{ kind: 'a' | 'g'; id: string; data: string | null }>;
  const accountRows = rows.filter((r) => r.kind === 'a').map((r) => ({ userid: r.id, data: r.data! }));
  const groupRows = rows.filter((r) => r.kind === 'g').map((r) => ({ groupid: r.id }));
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
  // What it changed, in one statement (the sets deleted and written are disjoint), with the COMMIT.
  const write =
    gone.size + put.size + groupsGone.size + groupsPut.size === 0
      ? ''
      : `WITH da AS (DELETE FROM directory_accounts WHERE hostid = ${host} AND userid = ANY(${textArray(client, [...gone])})),
          pa AS (INSERT INTO directory_accounts (hostid, userid, data) SELECT ${host}, u, d FROM unnest(${textArray(client, [...put.keys()])}, ${textArray(client, [...put.values()])}) AS x(u, d)
            ON CONFLICT (hostid, userid) DO UPDATE SET data = excluded.data),
          dg AS (DELETE FROM directory_groups WHERE hostid = ${host} AND groupid = ANY(${textArray(client, [...groupsGone])})),
          ig AS (INSERT INTO directory_groups (hostid, groupid) SELECT ${host}, unnest(${textArray(client, [...groupsPut])}) ON CONFLICT DO NOTHING)
        SELECT 1; `;
  await client.query(`${write}COMMIT`);
  return out;
}

export async function directoryDump(s: Statements, hostid?: string): Promise<DirectoryDump> {
  const rows = hostid ? await s.dirHost.all(hostid) : await s.dirAll.all();
  const out: DirectoryDump = {};
  for (const r of rows) (out[r.hostid] ??= {})[r.userid] = JSON.parse(r.data) as DirectoryAccount;
  return out;
}
