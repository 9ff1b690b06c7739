import type { Database } from 'better-sqlite3';
import type { ActionRow, BatchRow, CommandRow, DependentRow, DepRow, MessageRow, ReplyRow, RunnableKey, RunnableRow, TriggerRow } from './rows.js';

type Id = [batch: string, id: string];

/** A found action with its batch's arrival time (tmon find). */
export interface FoundRow {
  batch_id: string;
  id: string;
  state: ActionRow['state'];
  operation: string;
  hostid: string;
  userid: string;
  replyid: string;
  received_at: number;
  finished_at: number | null;
}
export interface PausedRow {
  hostid: string;
  paused_at: number;
  note: string;
}
const FOUND = `SELECT a.batch_id, a.id, a.state, a.operation, a.hostid, a.userid, a.replyid, b.received_at, a.finished_at FROM actions a JOIN batches b ON b.id = a.batch_id`;

export interface NewActionParams {
  batch_id: string;
  id: string;
  queue_seq: number;
  primary_id: string;
  plugin: string | null;
  rewritten: number;
  operation: string;
  hostid: string;
  userid: string;
  replyid: string;
  interactive: number;
  document: string;
  /** 1: ready at once (it waits for nothing); 0: waiting, on `waiting_on` or until `settleWaiting` counts it. */
  ready: number;
  /** What it waits for, when the caller knew it as it wrote the row (ingest); 0 otherwise. */
  waiting_on: number;
  now: number;
}

/** A prepared statement typed by its parameters `P` and the row `R` it returns. */
export interface Stmt<P extends unknown[], R> {
  run(...params: P): { changes: number; lastInsertRowid: number | bigint };
  get(...params: P): R | undefined;
  all(...params: P): R[];
}

/**
 * Every statement the store runs, prepared once and typed by its parameters and row, so that
 * no caller casts what SQLite returns. `main` is the store's connection.
 */
export function prepareStatements(main: Database) {
  // The one place a statement gets its types: each is declared with its parameters and row.
  const p = <P extends unknown[], R = unknown>(sql: string): Stmt<P, R> => main.prepare(sql) as unknown as Stmt<P, R>;
  return {
    // ---- batches
    batchDigest: p<[string], { digest: string }>('SELECT digest FROM batches WHERE id = ?'),
    batch: p<[string], BatchRow>('SELECT * FROM batches WHERE id = ?'),
    insertBatch: p<[id: string, document: string, digest: string, source: string, context: string, received: number, updated: number]>(
      `INSERT INTO batches (id, state, document, digest, source, context, received_at, updated_at) VALUES (?, 'received', ?, ?, ?, ?, ?, ?)`,
    ),
    batchState: p<[string], { state: BatchRow['state'] }>('SELECT state FROM batches WHERE id = ?'),
    setBatchState: p<[state: string, now: number, finished: number | null, id: string]>('UPDATE batches SET state = ?, updated_at = ?, finished_at = ? WHERE id = ?'),
    startBatch: p<[now: number, id: string]>(`UPDATE batches SET state = 'running', updated_at = ? WHERE id = ? AND state = 'received'`),
    // Stops at the batch's first unfinished action: most batches a turn touches are not done yet.
    batchHasOpen: p<[string], { one: number }>(`SELECT 1 AS one FROM actions WHERE batch_id = ? AND state NOT IN ('succeeded', 'failed', 'skipped', 'canceled') LIMIT 1`),
    batchTally: p<[string], { open: number; bad: number }>(`SELECT coalesce(sum(state NOT IN ('succeeded', 'failed', 'skipped', 'canceled')), 0) AS open,
        coalesce(sum(state IN ('failed', 'skipped', 'canceled')), 0) AS bad FROM actions WHERE batch_id = ?`),
    // ---- actions
    insertAction: p<[NewActionParams]>(`INSERT INTO actions (batch_id, id, queue_seq, primary_id, plugin, rewritten, state, runnable_at, operation, hostid, userid, replyid, interactive, document, waiting_on, created_at, updated_at)
        VALUES (@batch_id, @id, @queue_seq, @primary_id, @plugin, @rewritten, CASE WHEN @ready = 1 THEN 'ready' ELSE 'waiting' END, CASE WHEN @ready = 1 THEN 0 END,
        @operation, @hostid, @userid, @replyid, @interactive, @document, @waiting_on, @now, @now)`),
    action: p<Id, ActionRow>('SELECT * FROM actions WHERE batch_id = ? AND id = ?'),
    // All ingest needs of another batch's action it depends on (not the whole row, document and all).
    actionState: p<Id, Pick<ActionRow, 'state'>>('SELECT state FROM actions WHERE batch_id = ? AND id = ?'),
    actionExists: p<Id, { one: number }>('SELECT 1 AS one FROM actions WHERE batch_id = ? AND id = ?'),
    deleteAction: p<Id>('DELETE FROM actions WHERE batch_id = ? AND id = ?'),
    primaryRows: p<[batch: string, primary: string], ActionRow>('SELECT * FROM actions WHERE batch_id = ? AND primary_id = ? ORDER BY queue_seq'),
    batchActions: p<[string], ActionRow>('SELECT * FROM actions WHERE batch_id = ? ORDER BY queue_seq, id'),
    replyidHolder: p<[replyid: string, batch: string], { batch_id: string }>(`SELECT batch_id FROM actions WHERE replyid = ? AND replyid <> '' AND batch_id <> ? LIMIT 1`),
    findAction: p<[string], { batch_id: string }>('SELECT batch_id FROM actions WHERE id = ? ORDER BY batch_id'),
    maxQueueSeq: p<[], { m: number }>('SELECT coalesce(max(queue_seq), 0) AS m FROM actions'),
    hosts: p<[], { hostid: string }>('SELECT DISTINCT hostid FROM actions'),
    // ---- dependencies
    insertDep: p<[batch: string, action: string, depBatch: string, depAction: string]>(
      'INSERT OR IGNORE INTO dependencies (batch_id, action_id, dep_batch_id, dep_action_id) VALUES (?, ?, ?, ?)',
    ),
    deleteDeps: p<Id>('DELETE FROM dependencies WHERE batch_id = ? AND action_id = ?'),
    depsOf: p<Id, DepRow>('SELECT dep_batch_id, dep_action_id FROM dependencies WHERE batch_id = ? AND action_id = ?'),
    dependents: p<Id, DependentRow>('SELECT batch_id, action_id FROM dependencies WHERE dep_batch_id = ? AND dep_action_id = ?'),
    batchDeps: p<[string], { action_id: string } & DepRow>('SELECT action_id, dep_batch_id, dep_action_id FROM dependencies WHERE batch_id = ?'),
    // ---- progress
    setWaiting: p<[waiting: number, waiting2: number, waiting3: number, now: number, batch: string, id: string]>(`UPDATE actions SET waiting_on = ?,
        state = CASE WHEN ? = 0 THEN 'ready' ELSE 'waiting' END, runnable_at = CASE WHEN ? = 0 THEN 0 ELSE NULL END, updated_at = ? WHERE batch_id = ? AND id = ?`),
    setPlaceholderWaiting: p<[waiting: number, now: number, batch: string, id: string]>(
      `UPDATE actions SET waiting_on = ?, state = 'waiting', runnable_at = NULL, updated_at = ? WHERE batch_id = ? AND id = ?`,
    ),
    decrementWaiting: p<[now: number, batch: string, id: string], { waiting_on: number; placeholder: number }>(
      `UPDATE actions SET waiting_on = waiting_on - 1, updated_at = ? WHERE batch_id = ? AND id = ? AND state = 'waiting' RETURNING waiting_on, placeholder`,
    ),
    makeReadyFromRunning: p<[now: number, batch: string, id: string]>(
      `UPDATE actions SET state = 'ready', runnable_at = 0, updated_at = ? WHERE batch_id = ? AND id = ? AND state = 'running'`,
    ),
    makeReady: p<[now: number, batch: string, id: string]>(`UPDATE actions SET state = 'ready', runnable_at = 0, updated_at = ? WHERE batch_id = ? AND id = ? AND state = 'waiting'`),
    finalize: p<[state: string, retval: string, error: string | null, finished: number, now: number, batch: string, id: string]>(
      `UPDATE actions SET state = ?, retval = ?, last_error = ?, runnable_at = NULL, recovery = 0, finished_at = ?, updated_at = ? WHERE batch_id = ? AND id = ?`,
    ),
    retrying: p<[retval: string, error: string, at: number, now: number, batch: string, id: string]>(
      `UPDATE actions SET state = 'retrying', retval = ?, last_error = ?, runnable_at = ?, recovery = 0, updated_at = ? WHERE batch_id = ? AND id = ?`,
    ),
    // ---- claiming and running
    // What holds a target's slots: actions carried out now, not primaries at their plugin.
    runningByHost: p<[], { hostid: string; n: number }>(`SELECT hostid, count(*) AS n FROM actions WHERE state = 'running' AND rewritten = 1 GROUP BY hostid`),
    // A target's window of runnable actions, as much of each row as a claim reads (not both
    // documents and the rest: building ~28-column rows cost as much as the claim's UPDATE)…
    runnable: p<[host: string, now: number, limit: number], RunnableRow>(
      `SELECT batch_id, id, primary_id, operation, hostid, interactive, document, attempts, retry_base, recovery, rewritten, queue_seq FROM actions WHERE hostid = ? AND runnable_at IS NOT NULL AND runnable_at <= ? ORDER BY interactive DESC, queue_seq LIMIT ?`,
    ),
    // …or, with a plugin, cut to what the claim decides on: the window is then up to maxRunning
    // rows per target, most of them rewritten and waiting for its room, and reading their
    // documents every turn cost more than the plugin itself.
    runnableKeys: p<[host: string, now: number, limit: number], RunnableKey>(
      `SELECT batch_id, id, hostid, rewritten, interactive, queue_seq FROM actions WHERE hostid = ? AND runnable_at IS NOT NULL AND runnable_at <= ? ORDER BY interactive DESC, queue_seq LIMIT ?`,
    ),
    // What a claim reads of a row it takes: its other columns are not built into an object.
    claimRow: p<Id, RunnableRow>(
      'SELECT batch_id, id, primary_id, operation, hostid, interactive, document, attempts, retry_base, recovery, rewritten, queue_seq FROM actions WHERE batch_id = ? AND id = ?',
    ),
    claimRun: p<[started: number, now: number, batch: string, id: string]>(
      `UPDATE actions SET state = 'running', attempts = attempts + 1, rewritten = 1, runnable_at = NULL, started_at = ?, updated_at = ? WHERE batch_id = ? AND id = ?`,
    ),
    claimRewrite: p<[started: number, now: number, batch: string, id: string]>(
      `UPDATE actions SET state = 'running', runnable_at = NULL, started_at = ?, updated_at = ? WHERE batch_id = ? AND id = ?`,
    ),
    runAfterRewrite: p<[now: number, batch: string, id: string]>(
      `UPDATE actions SET rewritten = 1, state = 'ready', runnable_at = 0, updated_at = ? WHERE batch_id = ? AND id = ? AND state = 'running'`,
    ),
    // The routine decision ("run as submitted") in one statement: applied only to a primary
    // still at its plugin whose batch was not canceled meanwhile; anything else reads the row.
    runAfterRewriteOpen: p<[now: number, batch: string, id: string, batchAgain: string]>(
      `UPDATE actions SET rewritten = 1, state = 'ready', runnable_at = 0, updated_at = ? WHERE batch_id = ? AND id = ? AND state = 'running' AND rewritten = 0
        AND NOT EXISTS (SELECT 1 FROM batches WHERE id = ? AND state = 'canceled')`,
    ),
    // A held action waits like a retry (and is looked at again when due), its reason in last_error.
    hold: p<[at: number, error: string, now: number, batch: string, id: string]>(
      `UPDATE actions SET state = 'retrying', runnable_at = ?, last_error = ?, updated_at = ? WHERE batch_id = ? AND id = ?`,
    ),
    replaceAction: p<[document: string, operation: string, hostid: string, userid: string, interactive: number, plugin: string | null, placeholder: number, now: number, batch: string, id: string]>(
      // `submitted` keeps the first document: SQLite reads the old row on the right-hand side.
      `UPDATE actions SET submitted = coalesce(submitted, document), document = ?, operation = ?, hostid = ?, userid = ?, interactive = ?, plugin = ?,
        placeholder = ?, rewritten = 1, updated_at = ? WHERE batch_id = ? AND id = ?`,
    ),
    restoreSubmitted: p<[operation: string, hostid: string, userid: string, interactive: number, now: number, batch: string, id: string]>(
      `UPDATE actions SET document = coalesce(submitted, document), submitted = NULL, operation = ?, hostid = ?, userid = ?, interactive = ?, plugin = NULL,
        placeholder = 0, rewritten = 0, state = 'waiting', retval = NULL, last_error = NULL, finished_at = NULL, runnable_at = NULL, recovery = 0,
        retry_base = attempts, updated_at = ? WHERE batch_id = ? AND id = ?`,
    ),
    requeue: p<[now: number, batch: string, id: string]>(`UPDATE actions SET state = 'waiting', retval = NULL, last_error = NULL, finished_at = NULL,
        runnable_at = NULL, retry_base = attempts, updated_at = ? WHERE batch_id = ? AND id = ?`),
    // A paused target's retries are not due (the engine would wake for them in vain until resumed).
    nextRetry: p<[], { t: number | null }>(`SELECT min(runnable_at) AS t FROM actions WHERE state = 'retrying' AND hostid NOT IN (SELECT hostid FROM paused_hosts)`),
    runningRows: p<[], ActionRow>(`SELECT * FROM actions WHERE state = 'running'`),
    countCrash: p<[now: number, batch: string, id: string], { crashes: number }>(
      `UPDATE actions SET crashes = crashes + 1, updated_at = ? WHERE batch_id = ? AND id = ? RETURNING crashes`,
    ),
    recoverAsWritten: p<[now: number, batch: string, id: string]>(
      `UPDATE actions SET state = 'ready', runnable_at = 0, recovery = 1, updated_at = ? WHERE batch_id = ? AND id = ?`,
    ),
    restoreForRecovery: p<[operation: string, hostid: string, userid: string, interactive: number, now: number, batch: string, id: string]>(
      `UPDATE actions SET document = coalesce(submitted, document), submitted = NULL, operation = ?, hostid = ?, userid = ?, interactive = ?, plugin = NULL,
        placeholder = 0, rewritten = 0, state = 'waiting', runnable_at = NULL, recovery = 1, updated_at = ? WHERE batch_id = ? AND id = ?`,
    ),
    // ---- replies and messages
    insertReply: p<[replyid: string, batch: string, action: string, operation: string, status: string, retval: string, message: string, at: number], ReplyRow>(
      'INSERT OR IGNORE INTO replies (replyid, batch_id, action_id, operation, status, retval, message, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *',
    ),
    replied: p<[string], { one: number }>('SELECT 1 AS one FROM replies WHERE replyid = ?'),
    unmirrored: p<[], ReplyRow>('SELECT * FROM replies WHERE mirrored = 0 ORDER BY seq'),
    // Every seq of a JSON array in one statement (a round marks thousands).
    markMirrored: p<[seqs: string]>('UPDATE replies SET mirrored = 1 WHERE seq IN (SELECT value FROM json_each(?))'),
    replies: p<[after: number, limit: number], ReplyRow>('SELECT * FROM replies WHERE seq > ? ORDER BY seq LIMIT ?'),
    postMessage: p<[at: number, level: string, source: string, batch: string | null, action: string | null, text: string]>(
      'INSERT INTO messages (at, level, source, batch_id, action_id, text) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    messages: p<[since: number, limit: number], MessageRow>('SELECT * FROM messages WHERE at >= ? ORDER BY seq DESC LIMIT ?'),
    batchMessages: p<[batch: string, limit: number], MessageRow>('SELECT * FROM messages WHERE batch_id = ? ORDER BY seq LIMIT ?'),
    // ---- trigger runs
    queueTrigger: p<[trigger: string, event: string, payload: string, next: number, created: number]>(
      `INSERT INTO trigger_runs (trigger, event, payload, state, next_at, created_at) VALUES (?, ?, ?, 'pending', ?, ?)`,
    ),
    dueTriggers: p<[now: number, limit: number], TriggerRow>(`SELECT * FROM trigger_runs WHERE state = 'pending' AND next_at <= ? ORDER BY next_at, id LIMIT ?`),
    claimTrigger: p<[number]>(`UPDATE trigger_runs SET state = 'running', attempts = attempts + 1 WHERE id = ?`),
    triggerDone: p<[now: number, id: number]>(`UPDATE trigger_runs SET state = 'succeeded', last_error = NULL, finished_at = ? WHERE id = ?`),
    triggerRetry: p<[error: string, next: number, id: number]>(`UPDATE trigger_runs SET state = 'pending', last_error = ?, next_at = ? WHERE id = ?`),
    triggerFailed: p<[error: string, now: number, id: number]>(`UPDATE trigger_runs SET state = 'failed', last_error = ?, finished_at = ? WHERE id = ?`),
    nextTrigger: p<[], { t: number | null }>(`SELECT min(next_at) AS t FROM trigger_runs WHERE state = 'pending'`),
    recoverTriggers: p<[]>(`UPDATE trigger_runs SET state = 'pending' WHERE state = 'running'`),
    triggerRuns: p<[number], TriggerRow>('SELECT * FROM trigger_runs ORDER BY id DESC LIMIT ?'),
    // ---- operators' commands and the daemon's presence
    queueCommand: p<[kind: string, args: string, now: number]>(`INSERT INTO commands (kind, args, state, created_at) VALUES (?, ?, 'pending', ?)`),
    pendingCommands: p<[], CommandRow>(`SELECT * FROM commands WHERE state = 'pending' ORDER BY id`),
    finishCommand: p<[result: string, now: number, id: number]>(`UPDATE commands SET state = 'done', result = ?, done_at = ? WHERE id = ?`),
    command: p<[number], CommandRow>('SELECT * FROM commands WHERE id = ?'),
    heartbeat: p<[pid: number, started: number, now: number]>(
      `INSERT INTO daemon (id, pid, started_at, heartbeat_at) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
    ),
    leave: p<[pid: number]>('DELETE FROM daemon WHERE pid = ?'),
    presence: p<[], { pid: number; started_at: number; heartbeat_at: number }>('SELECT pid, started_at, heartbeat_at FROM daemon WHERE id = 1'),
    // ---- passwords at rest (sealing.ts)
    wipeAction: p<[document: string, submitted: string | null, batch: string, id: string]>('UPDATE actions SET document = ?, submitted = ?, secrets_wiped = 1 WHERE batch_id = ? AND id = ?'),
    wipeBatch: p<[document: string, context: string | null, wiped: number, id: string]>('UPDATE batches SET document = ?, context = ?, secrets_wiped = max(secrets_wiped, ?) WHERE id = ?'),
    openActions: p<[], { n: number }>(`SELECT count(*) AS n FROM actions WHERE state IN ('waiting', 'ready', 'running', 'retrying')`),
    // ---- tallies for metrics
    actionTallies: p<[], { state: ActionRow['state']; operation: string; hostid: string; count: number }>(
      'SELECT state, operation, hostid, count(*) AS count FROM actions GROUP BY state, operation, hostid ORDER BY state, operation, hostid',
    ),
    batchTallies: p<[], { state: BatchRow['state']; count: number }>('SELECT state, count(*) AS count FROM batches GROUP BY state ORDER BY state'),
    // ---- retention (sqlite/retention.ts)
    purgeableBatches: p<[cut: number], { id: string; held: number }>(`SELECT b.id, (
        EXISTS (SELECT 1 FROM replies r WHERE r.batch_id = b.id AND r.mirrored = 0)
        OR EXISTS (SELECT 1 FROM actions a WHERE a.batch_id = b.id AND a.state IN ('waiting', 'ready', 'running', 'retrying'))) AS held
        FROM batches b WHERE b.finished_at IS NOT NULL AND b.finished_at < ? AND b.state IN ('succeeded', 'failed', 'canceled') ORDER BY b.finished_at, b.id`),
    batchRowCounts: p<[batch: string, batch2: string], { actions: number; replies: number }>(`SELECT (SELECT count(*) FROM actions WHERE batch_id = ?) AS actions,
        (SELECT count(*) FROM replies WHERE batch_id = ?) AS replies`),
    dependentBatches: p<[batch: string, self: string], { batch_id: string }>('SELECT DISTINCT batch_id FROM dependencies WHERE dep_batch_id = ? AND batch_id <> ?'),
    purgeBatchDeps: p<[string]>('DELETE FROM dependencies WHERE batch_id = ?'),
    purgeBatchActions: p<[string]>('DELETE FROM actions WHERE batch_id = ?'),
    purgeBatchReplies: p<[string]>('DELETE FROM replies WHERE batch_id = ?'),
    purgeBatch: p<[string]>('DELETE FROM batches WHERE id = ?'),
    oldMessages: p<[cut: number], { n: number }>('SELECT count(*) AS n FROM messages WHERE at < ?'),
    purgeMessages: p<[cut: number]>('DELETE FROM messages WHERE at < ?'),
    oldTriggerRuns: p<[cut: number], { n: number }>(`SELECT count(*) AS n FROM trigger_runs WHERE state IN ('succeeded', 'failed') AND finished_at < ?`),
    purgeTriggerRuns: p<[cut: number]>(`DELETE FROM trigger_runs WHERE state IN ('succeeded', 'failed') AND finished_at < ?`),
    oldCommands: p<[cut: number], { n: number }>(`SELECT count(*) AS n FROM commands WHERE state = 'done' AND done_at < ?`),
    purgeCommands: p<[cut: number]>(`DELETE FROM commands WHERE state = 'done' AND done_at < ?`),
    // ---- operator views (tmon find, stuck, pause, messages --ack, replies --limit)
    pausedHosts: p<[], PausedRow>('SELECT hostid, paused_at, note FROM paused_hosts ORDER BY hostid'),
    pausedHost: p<[string], PausedRow>('SELECT hostid, paused_at, note FROM paused_hosts WHERE hostid = ?'),
    pauseHost: p<[host: string, at: number, note: string]>('INSERT OR IGNORE INTO paused_hosts (hostid, paused_at, note) VALUES (?, ?, ?)'),
    resumeHost: p<[host: string]>('DELETE FROM paused_hosts WHERE hostid = ?'),
    findByUser: p<[user: string, limit: number], FoundRow>(`${FOUND} WHERE a.userid = ? ORDER BY b.received_at DESC, b.rowid DESC, a.queue_seq DESC LIMIT ?`),
    findByReplyid: p<[replyid: string, limit: number], FoundRow>(`${FOUND} WHERE a.replyid = ? AND a.replyid <> '' ORDER BY b.received_at DESC, b.rowid DESC, a.queue_seq DESC LIMIT ?`),
    findByHost: p<[host: string, limit: number], FoundRow>(`${FOUND} WHERE a.hostid = ? ORDER BY b.received_at DESC, b.rowid DESC, a.queue_seq DESC LIMIT ?`),
    findByBatch: p<[batch: string], FoundRow>(`${FOUND} WHERE a.batch_id = ? ORDER BY a.queue_seq DESC`),
    // A rough filter on the stored context; the caller parses each candidate to confirm it.
    batchesMentioning: p<[pattern: string], { id: string; context: string }>(
      `SELECT id, context FROM batches WHERE context IS NOT NULL AND context LIKE ? ESCAPE '\\' ORDER BY received_at DESC, rowid DESC`,
    ),
    openActionRows: p<[], ActionRow>(`SELECT * FROM actions WHERE state IN ('waiting', 'ready', 'running', 'retrying') ORDER BY queue_seq, batch_id, id`),
    boardMessages: p<[since: number, limit: number], MessageRow & { read_at: number | null }>('SELECT * FROM messages WHERE at >= ? ORDER BY seq DESC LIMIT ?'),
    unreadMessages: p<[since: number, limit: number], MessageRow & { read_at: number | null }>(
      'SELECT * FROM messages WHERE read_at IS NULL AND at >= ? ORDER BY seq DESC LIMIT ?',
    ),
    ackMessages: p<[now: number, upTo: number]>('UPDATE messages SET read_at = ? WHERE read_at IS NULL AND seq <= ?'),
    latestReplies: p<[limit: number], ReplyRow>('SELECT * FROM replies ORDER BY seq DESC LIMIT ?'),
    // ---- the simulated directory (its writes commit with the action's result: DeferredCommit)
    dirAccount: p<[host: string, user: string], { data: string }>('SELECT data FROM directory_accounts WHERE hostid = ? AND userid = ?'),
    dirPut: p<[host: string, user: string, data: string]>(
      'INSERT INTO directory_accounts (hostid, userid, data) VALUES (?, ?, ?) ON CONFLICT (hostid, userid) DO UPDATE SET data = excluded.data',
    ),
    dirDelete: p<[host: string, user: string]>('DELETE FROM directory_accounts WHERE hostid = ? AND userid = ?'),
    dirHasGroup: p<[host: string, group: string], { one: number }>('SELECT 1 AS one FROM directory_groups WHERE hostid = ? AND groupid = ?'),
    dirPutGroup: p<[host: string, group: string]>('INSERT OR IGNORE INTO directory_groups (hostid, groupid) VALUES (?, ?)'),
    dirDeleteGroup: p<[host: string, group: string]>('DELETE FROM directory_groups WHERE hostid = ? AND groupid = ?'),
    dirAccounts: p<[host: string], { userid: string; data: string }>('SELECT userid, data FROM directory_accounts WHERE hostid = ? ORDER BY userid'),
    dirAll: p<[], { hostid: string; userid: string; data: string }>('SELECT hostid, userid, data FROM directory_accounts ORDER BY hostid, userid'),
    dirHost: p<[string], { hostid: string; userid: string; data: string }>('SELECT hostid, userid, data FROM directory_accounts WHERE hostid = ? ORDER BY userid'),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
