import type { PoolClient } from 'pg';
import type { ActionRow, BatchRow, DependentRow, DepRow, ReplyRow } from '../sqlite/rows.js';
import { bind, q } from './db.js';
import { OPS_STATEMENTS } from './statements-ops.js';
import { TURN_STATEMENTS } from './statements-turn.js';

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
  // ---- actions
  insertAction: q<NewActionParams>(`INSERT INTO actions (batch_id, id, primary_id, plugin, rewritten, state, operation, hostid, userid, replyid, interactive, document, created_at, updated_at)
      VALUES ($1, $2, $3, $4, $5, 'waiting', $6, $7, $8, $9, $10, $11, $12, $12)`),
  action: q<Id, ActionRow>('SELECT * FROM actions WHERE batch_id = $1 AND id = $2'),
  actionExists: q<Id, { one: number }>('SELECT 1 AS one FROM actions WHERE batch_id = $1 AND id = $2'),
  deleteAction: q<Id>('DELETE FROM actions WHERE batch_id = $1 AND id = $2'),
  primaryRows: q<[batch: string, primary: string], ActionRow>('SELECT * FROM actions WHERE batch_id = $1 AND primary_id = $2 ORDER BY queue_seq'),
  batchActions: q<[string], ActionRow>('SELECT * FROM actions WHERE batch_id = $1 ORDER BY queue_seq, id'),
  // Ingest in a few statements per batch, whatever its size (ingest.ts): the rows in array order
  // (so `queue_seq` follows the batch), the edges, and who already holds the batch's replyids.
  insertActions: q<[batch: string, ids: string[], primaries: string[], plugins: Array<string | null>, rewritten: number[], operations: string[], hostids: string[], userids: string[], replyids: string[], interactive: number[], documents: string[], now: number]>(
    `INSERT INTO actions (batch_id, id, primary_id, plugin, rewritten, state, operation, hostid, userid, replyid, interactive, document, created_at, updated_at)
      SELECT $1, id, primary_id, plugin, rewritten, 'waiting', operation, hostid, userid, replyid, interactive, document, $12, $12
      FROM unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[], $10::int[], $11::text[]) WITH ORDINALITY
        AS u(id, primary_id, plugin, rewritten, operation, hostid, userid, replyid, interactive, document, n) ORDER BY n`,
  ),
  insertDeps: q<[batch: string, actions: string[], depBatches: string[], depActions: string[]]>(
    `INSERT INTO dependencies (batch_id, action_id, dep_batch_id, dep_action_id) SELECT $1, a, db, da FROM unnest($2::text[], $3::text[], $4::text[]) AS u(a, db, da)
      ON CONFLICT DO NOTHING`,
  ),
  replyidHolders: q<[replyids: string[], batch: string], { replyid: string; batch_id: string }>(
    `SELECT DISTINCT ON (replyid) replyid, batch_id FROM actions WHERE replyid = ANY($1::text[]) AND replyid <> '' AND batch_id <> $2 ORDER BY replyid, batch_id`,
  ),
  // Each dependency of a batch's actions with its state (NULL: not in the store).
  batchDepStates: q<[batch: string], { action_id: string; state: ActionRow['state'] | null }>(
    `SELECT d.action_id, a.state FROM dependencies d LEFT JOIN actions a ON a.batch_id = d.dep_batch_id AND a.id = d.dep_action_id WHERE d.batch_id = $1`,
  ),
  // `setWaiting` for many actions of one batch.
  setWaitingMany: q<[now: number, batch: string, ids: string[], waiting: number[]]>(
    `UPDATE actions a SET waiting_on = u.w, state = CASE WHEN u.w = 0 THEN 'ready' ELSE 'waiting' END, runnable_at = CASE WHEN u.w = 0 THEN 0 ELSE NULL END, updated_at = $1
      FROM unnest($3::text[], $4::int[]) AS u(id, w) WHERE a.batch_id = $2 AND a.id = u.id`,
  ),
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
  finalize: q<[state: string, retval: string, error: string | null, now: number, batch: string, id: string]>(
    `UPDATE actions SET state = $1, retval = $2, last_error = $3, runnable_at = NULL, recovery = 0, owner = NULL, finished_at = $4, updated_at = $4 WHERE batch_id = $5 AND id = $6`,
  ),
  // `finalize` for a row not yet final, returning it (one round trip instead of a read and a write).
  finalizeOpen: q<[state: string, retval: string, error: string | null, now: number, batch: string, id: string], ActionRow>(
    `UPDATE actions SET state = $1, retval = $2, last_error = $3, runnable_at = NULL, recovery = 0, owner = NULL, finished_at = $4, updated_at = $4
      WHERE batch_id = $5 AND id = $6 AND state NOT IN ('succeeded', 'failed', 'skipped', 'canceled') RETURNING *`,
  ),
  // A dependency succeeded: every waiting dependent counts one fewer, and one with none left is
  // ready (a placeholder's verdict is the caller's): `decrementWaiting` and `makeReady` for all of them at once.
  dependencySucceeded: q<[now: number, batch: string, id: string], { batch_id: string; id: string; waiting_on: number; placeholder: number }>(
    `UPDATE actions a SET waiting_on = a.waiting_on - 1,
        state = CASE WHEN a.waiting_on - 1 <= 0 AND a.placeholder = 0 THEN 'ready' ELSE a.state END,
        runnable_at = CASE WHEN a.waiting_on - 1 <= 0 AND a.placeholder = 0 THEN 0 ELSE a.runnable_at END, updated_at = $1
      FROM dependencies d WHERE d.dep_batch_id = $2 AND d.dep_action_id = $3 AND a.batch_id = d.batch_id AND a.id = d.action_id AND a.state = 'waiting'
      RETURNING a.batch_id, a.id, a.waiting_on, a.placeholder`,
  ),
  retrying: q<[retval: string, error: string, at: number, now: number, batch: string, id: string]>(
    `UPDATE actions SET state = 'retrying', retval = $1, last_error = $2, runnable_at = $3, recovery = 0, owner = NULL, updated_at = $4 WHERE batch_id = $5 AND id = $6`,
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
  strayRunning: q<[batches: string[], owner: string], ActionRow>(
    `SELECT * FROM actions WHERE batch_id = ANY($1::text[]) AND state = 'running' AND owner IS DISTINCT FROM $2 ORDER BY queue_seq`,
  ),
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
  renewLeases: q<[expires: number, owner: string]>('UPDATE leases SET expires_at = $1 WHERE owner = $2'),
  dropLeases: q<[owner: string]>('DELETE FROM leases WHERE owner = $1'),
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

export const STATEMENTS = { ...GRAPH_STATEMENTS, ...TURN_STATEMENTS, ...OPS_STATEMENTS };

export const bindStatements = (client: PoolClient) => bind(client, STATEMENTS);
export type Statements = ReturnType<typeof bindStatements>;
