import type { PoolClient } from 'pg';
import type { ActionRow, BatchRow, DependentRow, DepRow, ReplyRow } from '../sqlite/rows.js';
import { bind, q } from './db.js';
import { OPS_STATEMENTS } from './statements-ops.js';

/*
 * The statements of the batch graph (ingest, claims, progress, rewrites, recovery, leases),
 * typed by parameters and row. Rows have the SQLite store's shape (same columns, 0/1 flags),
 * so both stores share row types and converters (../sqlite/rows.ts).
 */

type Id = [batch: string, id: string];

export type NewActionParams = [batch: string, id: string, primary: string, plugin: string | null, rewritten: number, operation: string, hostid: string, userid: string, replyid: string, interactive: number, document: string, now: number];

const GRAPH_STATEMENTS = {
  // ---- batches
  batchDigest: q<[string], { digest: string }>('SELECT digest FROM batches WHERE id = $1'),
  batch: q<[string], BatchRow>('SELECT * FROM batches WHERE id = $1'),
  insertBatch: q<[id: string, document: string, digest: string, source: string, context: string, now: number]>(
    `INSERT INTO batches (id, state, document, digest, source, context, received_at, updated_at) VALUES ($1, 'received', $2, $3, $4, $5, $6, $6)`,
  ),
  batchState: q<[string], { state: BatchRow['state'] }>('SELECT state FROM batches WHERE id = $1'),
  setBatchState: q<[state: string, now: number, finished: number | null, id: string]>('UPDATE batches SET state = $1, updated_at = $2, finished_at = $3 WHERE id = $4'),
  startBatch: q<[now: number, id: string]>(`UPDATE batches SET state = 'running', updated_at = $1 WHERE id = $2 AND state = 'received'`),
  batchTally: q<[string], { open: number; bad: number }>(`SELECT count(*) FILTER (WHERE state NOT IN ('succeeded', 'failed', 'skipped', 'canceled')) AS open,
      count(*) FILTER (WHERE state IN ('failed', 'skipped', 'canceled')) AS bad FROM actions WHERE batch_id = $1`),
  // ---- actions
  insertAction: q<NewActionParams>(`INSERT INTO actions (batch_id, id, primary_id, plugin, rewritten, state, operation, hostid, userid, replyid, interactive, document, created_at, updated_at)
      VALUES ($1, $2, $3, $4, $5, 'waiting', $6, $7, $8, $9, $10, $11, $12, $12)`),
  action: q<Id, ActionRow>('SELECT * FROM actions WHERE batch_id = $1 AND id = $2'),
  actionExists: q<Id, { one: number }>('SELECT 1 AS one FROM actions WHERE batch_id = $1 AND id = $2'),
  deleteAction: q<Id>('DELETE FROM actions WHERE batch_id = $1 AND id = $2'),
  primaryRows: q<[batch: string, primary: string], ActionRow>('SELECT * FROM actions WHERE batch_id = $1 AND primary_id = $2 ORDER BY queue_seq'),
  batchActions: q<[string], ActionRow>('SELECT * FROM actions WHERE batch_id = $1 ORDER BY queue_seq, id'),
  replyidHolder: q<[replyid: string, batch: string], { batch_id: string }>(`SELECT batch_id FROM actions WHERE replyid = $1 AND replyid <> '' AND batch_id <> $2 LIMIT 1`),
  // ---- dependencies
  insertDep: q<[batch: string, action: string, depBatch: string, depAction: string]>(
    'INSERT INTO dependencies (batch_id, action_id, dep_batch_id, dep_action_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
  ),
  deleteDeps: q<Id>('DELETE FROM dependencies WHERE batch_id = $1 AND action_id = $2'),
  depsOf: q<Id, DepRow>('SELECT dep_batch_id, dep_action_id FROM dependencies WHERE batch_id = $1 AND action_id = $2'),
  dependents: q<Id, DependentRow>('SELECT batch_id, action_id FROM dependencies WHERE dep_batch_id = $1 AND dep_action_id = $2'),
  batchDeps: q<[string], { action_id: string } & DepRow>('SELECT action_id, dep_batch_id, dep_action_id FROM dependencies WHERE batch_id = $1'),
  // ---- progress
  setWaiting: q<[waiting: number, now: number, batch: string, id: string]>(`UPDATE actions SET waiting_on = $1,
      state = CASE WHEN $1 = 0 THEN 'ready' ELSE 'waiting' END, runnable_at = CASE WHEN $1 = 0 THEN 0 ELSE NULL END, updated_at = $2 WHERE batch_id = $3 AND id = $4`),
  setPlaceholderWaiting: q<[waiting: number, now: number, batch: string, id: string]>(
    `UPDATE actions SET waiting_on = $1, state = 'waiting', runnable_at = NULL, updated_at = $2 WHERE batch_id = $3 AND id = $4`,
  ),
  decrementWaiting: q<[now: number, batch: string, id: string], { waiting_on: number; placeholder: number }>(
    `UPDATE actions SET waiting_on = waiting_on - 1, updated_at = $1 WHERE batch_id = $2 AND id = $3 AND state = 'waiting' RETURNING waiting_on, placeholder`,
  ),
  makeReadyFromRunning: q<[now: number, batch: string, id: string]>(
    `UPDATE actions SET state = 'ready', runnable_at = 0, owner = NULL, updated_at = $1 WHERE batch_id = $2 AND id = $3 AND state = 'running'`,
  ),
  makeReady: q<[now: number, batch: string, id: string]>(`UPDATE actions SET state = 'ready', runnable_at = 0, updated_at = $1 WHERE batch_id = $2 AND id = $3 AND state = 'waiting'`),
  finalize: q<[state: string, retval: string, error: string | null, now: number, batch: string, id: string]>(
    `UPDATE actions SET state = $1, retval = $2, last_error = $3, runnable_at = NULL, recovery = 0, owner = NULL, finished_at = $4, updated_at = $4 WHERE batch_id = $5 AND id = $6`,
  ),
  retrying: q<[retval: string, error: string, at: number, now: number, batch: string, id: string]>(
    `UPDATE actions SET state = 'retrying', retval = $1, last_error = $2, runnable_at = $3, recovery = 0, owner = NULL, updated_at = $4 WHERE batch_id = $5 AND id = $6`,
  ),
  // ---- claiming and running: slots are counted across every daemon
  runningByHost: q<[], { hostid: string; n: number }>(`SELECT hostid, count(*) AS n FROM actions WHERE state = 'running' AND rewritten = 1 GROUP BY hostid`),
  // Interactive actions any daemon could run now, per target: a batch action may not take their slot.
  interactiveWaiting: q<[now: number, rewrite: boolean], { hostid: string; n: number }>(
    `SELECT hostid, count(*) AS n FROM actions WHERE runnable_at IS NOT NULL AND runnable_at <= $1 AND interactive = 1 AND (rewritten = 1 OR NOT $2)
      AND hostid NOT IN (SELECT hostid FROM paused_hosts) GROUP BY hostid`,
  ),
  leasedHosts: q<[owner: string, now: number], { hostid: string }>(
    `SELECT DISTINCT a.hostid FROM actions a JOIN leases l ON l.batch_id = a.batch_id AND l.owner = $1 WHERE a.runnable_at IS NOT NULL AND a.runnable_at <= $2`,
  ),
  runnable: q<[owner: string, host: string, now: number, limit: number], ActionRow>(
    `SELECT a.* FROM actions a JOIN leases l ON l.batch_id = a.batch_id AND l.owner = $1
      WHERE a.hostid = $2 AND a.runnable_at IS NOT NULL AND a.runnable_at <= $3 ORDER BY a.interactive DESC, a.queue_seq LIMIT $4`,
  ),
  claimRun: q<[owner: string, now: number, batch: string, id: string]>(
    `UPDATE actions SET state = 'running', owner = $1, attempts = attempts + 1, rewritten = 1, runnable_at = NULL, started_at = $2, updated_at = $2 WHERE batch_id = $3 AND id = $4`,
  ),
  claimRewrite: q<[owner: string, now: number, batch: string, id: string]>(
    `UPDATE actions SET state = 'running', owner = $1, runnable_at = NULL, started_at = $2, updated_at = $2 WHERE batch_id = $3 AND id = $4`,
  ),
  runAfterRewrite: q<[now: number, batch: string, id: string]>(
    `UPDATE actions SET rewritten = 1, state = 'ready', runnable_at = 0, owner = NULL, updated_at = $1 WHERE batch_id = $2 AND id = $3 AND state = 'running'`,
  ),
  hold: q<[at: number, error: string, now: number, batch: string, id: string]>(
    `UPDATE actions SET state = 'retrying', runnable_at = $1, last_error = $2, owner = NULL, updated_at = $3 WHERE batch_id = $4 AND id = $5`,
  ),
  replaceAction: q<[document: string, operation: string, hostid: string, userid: string, interactive: number, plugin: string | null, placeholder: number, now: number, batch: string, id: string]>(
    `UPDATE actions SET submitted = coalesce(submitted, document), document = $1, operation = $2, hostid = $3, userid = $4, interactive = $5, plugin = $6,
      placeholder = $7, rewritten = 1, updated_at = $8 WHERE batch_id = $9 AND id = $10`,
  ),
  restoreSubmitted: q<[operation: string, hostid: string, userid: string, interactive: number, now: number, batch: string, id: string]>(
    `UPDATE actions SET document = coalesce(submitted, document), submitted = NULL, operation = $1, hostid = $2, userid = $3, interactive = $4, plugin = NULL,
      placeholder = 0, rewritten = 0, state = 'waiting', retval = NULL, last_error = NULL, finished_at = NULL, runnable_at = NULL, recovery = 0, owner = NULL,
      retry_base = attempts, updated_at = $5 WHERE batch_id = $6 AND id = $7`,
  ),
  requeue: q<[now: number, batch: string, id: string]>(`UPDATE actions SET state = 'waiting', retval = NULL, last_error = NULL, finished_at = NULL,
      runnable_at = NULL, owner = NULL, retry_base = attempts, updated_at = $1 WHERE batch_id = $2 AND id = $3`),
  nextRetry: q<[], { t: number | null }>(`SELECT min(runnable_at) AS t FROM actions WHERE state = 'retrying' AND hostid NOT IN (SELECT hostid FROM paused_hosts)`),
  openActions: q<[], { n: number }>(`SELECT count(*) AS n FROM actions WHERE state IN ('waiting', 'ready', 'running', 'retrying')`),
  // ---- recovery: what a daemon left running
  ownRunning: q<[owner: string], ActionRow>(`SELECT * FROM actions WHERE state = 'running' AND (owner = $1 OR owner IS NULL) ORDER BY queue_seq`),
  strayRunning: q<[batch: string, owner: string], ActionRow>(`SELECT * FROM actions WHERE batch_id = $1 AND state = 'running' AND owner IS DISTINCT FROM $2 ORDER BY queue_seq`),
  countCrash: q<[now: number, batch: string, id: string], { crashes: number }>(
    `UPDATE actions SET crashes = crashes + 1, updated_at = $1 WHERE batch_id = $2 AND id = $3 RETURNING crashes`,
  ),
  recoverAsWritten: q<[now: number, batch: string, id: string]>(
    `UPDATE actions SET state = 'ready', runnable_at = 0, recovery = 1, owner = NULL, updated_at = $1 WHERE batch_id = $2 AND id = $3`,
  ),
  restoreForRecovery: q<[operation: string, hostid: string, userid: string, interactive: number, now: number, batch: string, id: string]>(
    `UPDATE actions SET document = coalesce(submitted, document), submitted = NULL, operation = $1, hostid = $2, userid = $3, interactive = $4, plugin = NULL,
      placeholder = 0, rewritten = 0, state = 'waiting', runnable_at = NULL, recovery = 1, owner = NULL, updated_at = $5 WHERE batch_id = $6 AND id = $7`,
  ),
  // ---- leases (leases.ts)
  dropFinishedLeases: q<[owner: string]>(
    `DELETE FROM leases l WHERE l.owner = $1 AND NOT EXISTS (SELECT 1 FROM actions a WHERE a.batch_id = l.batch_id AND a.state IN ('waiting', 'ready', 'running', 'retrying'))`,
  ),
  expiredLeases: q<[owner: string, now: number, limit: number], { batch_id: string }>(
    `SELECT batch_id FROM leases WHERE owner <> $1 AND expires_at < $2 ORDER BY expires_at LIMIT $3 FOR UPDATE SKIP LOCKED`,
  ),
  // Batches with work due and nobody leasing them; interactive work first, then by arrival.
  leasable: q<[now: number, limit: number], { id: string }>(
    `SELECT b.id FROM batches b WHERE b.state IN ('received', 'running')
      AND EXISTS (SELECT 1 FROM actions a WHERE a.batch_id = b.id AND a.runnable_at IS NOT NULL AND a.runnable_at <= $1)
      AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.batch_id = b.id)
      ORDER BY EXISTS (SELECT 1 FROM actions a WHERE a.batch_id = b.id AND a.runnable_at IS NOT NULL AND a.runnable_at <= $1 AND a.interactive = 1) DESC, b.received_at, b.seq
      LIMIT $2 FOR UPDATE OF b SKIP LOCKED`,
  ),
  takeLease: q<[batch: string, owner: string, expires: number]>(
    `INSERT INTO leases (batch_id, owner, expires_at) VALUES ($1, $2, $3) ON CONFLICT (batch_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at`,
  ),
  renewLeases: q<[expires: number, owner: string]>('UPDATE leases SET expires_at = $1 WHERE owner = $2'),
  dropLeases: q<[owner: string]>('DELETE FROM leases WHERE owner = $1'),
  // A batch's unmirrored replies go with its lease: the new owner writes them to its outbox.
  adoptBatchReplies: q<[owner: string, batch: string]>('UPDATE replies SET owner = $1 WHERE batch_id = $2 AND mirrored = 0 AND owner <> $1'),
  // ---- replies
  insertReply: q<[replyid: string, batch: string, action: string, operation: string, status: string, retval: string, message: string, at: number, owner: string], ReplyRow>(
    'INSERT INTO replies (replyid, batch_id, action_id, operation, status, retval, message, at, owner) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (replyid) DO NOTHING RETURNING *',
  ),
  replied: q<[string], { one: number }>('SELECT 1 AS one FROM replies WHERE replyid = $1'),
  postMessage: q<[at: number, level: string, source: string, batch: string | null, action: string | null, text: string]>(
    'INSERT INTO messages (at, level, source, batch_id, action_id, text) VALUES ($1, $2, $3, $4, $5, $6)',
  ),
  queueTrigger: q<[trigger: string, event: string, payload: string, now: number]>(
    `INSERT INTO trigger_runs (trigger, event, payload, state, next_at, created_at) VALUES ($1, $2, $3, 'pending', $4, $4)`,
  ),
  // ---- passwords at rest (sealing.ts)
  wipeAction: q<[document: string, submitted: string | null, batch: string, id: string]>('UPDATE actions SET document = $1, submitted = $2, secrets_wiped = 1 WHERE batch_id = $3 AND id = $4'),
  wipeBatch: q<[document: string, context: string | null, wiped: number, id: string]>('UPDATE batches SET document = $1, context = $2, secrets_wiped = greatest(secrets_wiped, $3) WHERE id = $4'),
  pausedHosts: q<[], { hostid: string; paused_at: number; note: string }>('SELECT hostid, paused_at, note FROM paused_hosts ORDER BY hostid'),
};

export const STATEMENTS = { ...GRAPH_STATEMENTS, ...OPS_STATEMENTS };

export const bindStatements = (client: PoolClient) => bind(client, STATEMENTS);
export type Statements = ReturnType<typeof bindStatements>;
