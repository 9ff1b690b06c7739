import type { ActionRow, BatchRow, CommandRow, MessageRow, ReplyRow, TriggerRow } from '../sqlite/rows.js';
import type { FoundRow, PausedRow } from '../sqlite/statements.js';
import { q } from './db.js';

/*
 * The statements around the graph: replies and the board, trigger runs, operators' commands
 * and the daemons' presence, the views, retention and the simulated directory.
 */

const FOUND = `SELECT a.batch_id, a.id, a.state, a.operation, a.hostid, a.userid, a.replyid, b.received_at, a.finished_at FROM actions a JOIN batches b ON b.id = a.batch_id`;
const NEWEST = 'ORDER BY b.received_at DESC, b.seq DESC, a.queue_seq DESC';

export const OPS_STATEMENTS = {
  // ---- replies and messages
  unmirrored: q<[owner: string], ReplyRow>('SELECT * FROM replies WHERE mirrored = 0 AND owner = $1 ORDER BY seq'),
  // Replies whose owner is no live daemon (one that died, or a CLI applying a command): a live daemon adopts them.
  adoptOrphanReplies: q<[owner: string, aliveSince: number], ReplyRow>(
    `UPDATE replies SET owner = $1 WHERE mirrored = 0 AND owner <> $1 AND owner NOT IN (SELECT owner FROM daemons WHERE heartbeat_at >= $2)
      AND EXISTS (SELECT 1 FROM daemons WHERE owner = $1) RETURNING *`,
  ),
  markMirrored: q<[seqs: number[]]>('UPDATE replies SET mirrored = 1 WHERE seq = ANY($1::bigint[])'),
  replies: q<[after: number, limit: number], ReplyRow>('SELECT * FROM replies WHERE seq > $1 ORDER BY seq LIMIT $2'),
  latestReplies: q<[limit: number], ReplyRow>('SELECT * FROM replies ORDER BY seq DESC LIMIT $1'),
  messages: q<[since: number, limit: number], MessageRow>('SELECT * FROM messages WHERE at >= $1 ORDER BY seq DESC LIMIT $2'),
  batchMessages: q<[batch: string, limit: number], MessageRow>('SELECT * FROM messages WHERE batch_id = $1 ORDER BY seq LIMIT $2'),
  boardMessages: q<[since: number, limit: number], MessageRow & { read_at: number | null }>('SELECT * FROM messages WHERE at >= $1 ORDER BY seq DESC LIMIT $2'),
  unreadMessages: q<[since: number, limit: number], MessageRow & { read_at: number | null }>(
    'SELECT * FROM messages WHERE read_at IS NULL AND at >= $1 ORDER BY seq DESC LIMIT $2',
  ),
  ackMessages: q<[now: number, upTo: number]>('UPDATE messages SET read_at = $1 WHERE read_at IS NULL AND seq <= $2'),
  // ---- trigger runs: each claimed by one daemon (SKIP LOCKED: another daemon's claim is not waited for)
  claimTriggers: q<[owner: string, now: number, limit: number], TriggerRow>(
    `UPDATE trigger_runs SET state = 'running', attempts = attempts + 1, owner = $1 WHERE id IN (
      SELECT id FROM trigger_runs WHERE state = 'pending' AND next_at <= $2 ORDER BY next_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING *`,
  ),
  triggerDone: q<[now: number, id: number]>(`UPDATE trigger_runs SET state = 'succeeded', last_error = NULL, owner = NULL, finished_at = $1 WHERE id = $2`),
  triggerRetry: q<[error: string, next: number, id: number]>(`UPDATE trigger_runs SET state = 'pending', last_error = $1, owner = NULL, next_at = $2 WHERE id = $3`),
  triggerFailed: q<[error: string, now: number, id: number]>(`UPDATE trigger_runs SET state = 'failed', last_error = $1, owner = NULL, finished_at = $2 WHERE id = $3`),
  nextTrigger: q<[], { t: number | null }>(`SELECT min(next_at) AS t FROM trigger_runs WHERE state = 'pending'`),
  recoverTriggers: q<[owner: string, aliveSince: number]>(
    `UPDATE trigger_runs SET state = 'pending', owner = NULL WHERE state = 'running'
      AND (owner IS NULL OR owner = $1 OR owner NOT IN (SELECT owner FROM daemons WHERE heartbeat_at >= $2))`,
  ),
  triggerRuns: q<[number], TriggerRow>('SELECT * FROM trigger_runs ORDER BY id DESC LIMIT $1'),
  // ---- operators' commands (each taken by one daemon) and the daemons' presence
  queueCommand: q<[kind: string, args: string, now: number], { id: number }>(`INSERT INTO commands (kind, args, state, created_at) VALUES ($1, $2, 'pending', $3) RETURNING id`),
  takeCommands: q<[owner: string, aliveSince: number], CommandRow>(
    `UPDATE commands SET owner = $1 WHERE id IN (SELECT id FROM commands WHERE state = 'pending'
      AND (owner IS NULL OR owner = $1 OR owner NOT IN (SELECT owner FROM daemons WHERE heartbeat_at >= $2)) ORDER BY id FOR UPDATE SKIP LOCKED) RETURNING *`,
  ),
  finishCommand: q<[result: string, now: number, id: number]>(`UPDATE commands SET state = 'done', result = $1, done_at = $2 WHERE id = $3`),
  command: q<[number], CommandRow>('SELECT * FROM commands WHERE id = $1'),
  heartbeat: q<[owner: string, pid: number, started: number, now: number]>(
    `INSERT INTO daemons (owner, pid, started_at, heartbeat_at) VALUES ($1, $2, $3, $4)
      ON CONFLICT (owner) DO UPDATE SET pid = excluded.pid, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
  ),
  leave: q<[owner: string, pid: number]>('DELETE FROM daemons WHERE owner = $1 AND pid = $2'),
  presence: q<[], { pid: number; started_at: number; heartbeat_at: number }>('SELECT pid, started_at, heartbeat_at FROM daemons ORDER BY heartbeat_at DESC LIMIT 1'),
  // ---- tallies and views
  actionTallies: q<[], { state: ActionRow['state']; operation: string; hostid: string; count: number }>(
    'SELECT state, operation, hostid, count(*) AS count FROM actions GROUP BY state, operation, hostid ORDER BY state, operation, hostid',
  ),
  batchTallies: q<[], { state: BatchRow['state']; count: number }>('SELECT state, count(*) AS count FROM batches GROUP BY state ORDER BY state'),
  findAction: q<[string], { batch_id: string }>('SELECT batch_id FROM actions WHERE id = $1 ORDER BY batch_id'),
  pausedHost: q<[string], PausedRow>('SELECT hostid, paused_at, note FROM paused_hosts WHERE hostid = $1'),
  pauseHost: q<[host: string, at: number, note: string]>('INSERT INTO paused_hosts (hostid, paused_at, note) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING'),
  resumeHost: q<[host: string]>('DELETE FROM paused_hosts WHERE hostid = $1'),
  findByUser: q<[user: string, limit: number], FoundRow>(`${FOUND} WHERE a.userid = $1 ${NEWEST} LIMIT $2`),
  findByReplyid: q<[replyid: string, limit: number], FoundRow>(`${FOUND} WHERE a.replyid = $1 AND a.replyid <> '' ${NEWEST} LIMIT $2`),
  findByHost: q<[host: string, limit: number], FoundRow>(`${FOUND} WHERE a.hostid = $1 ${NEWEST} LIMIT $2`),
  findByBatch: q<[batch: string], FoundRow>(`${FOUND} WHERE a.batch_id = $1 ORDER BY a.queue_seq DESC`),
  batchesMentioning: q<[pattern: string], { id: string; context: string }>(
    `SELECT id, context FROM batches WHERE context IS NOT NULL AND context LIKE $1 ESCAPE '\\' ORDER BY received_at DESC, seq DESC`,
  ),
  openActionRows: q<[], ActionRow>(`SELECT * FROM actions WHERE state IN ('waiting', 'ready', 'running', 'retrying') ORDER BY queue_seq, batch_id, id`),
  // ---- retention (retention.ts)
  purgeableBatches: q<[cut: number], { id: string; held: boolean }>(`SELECT b.id, (
      EXISTS (SELECT 1 FROM replies r WHERE r.batch_id = b.id AND r.mirrored = 0)
      OR EXISTS (SELECT 1 FROM actions a WHERE a.batch_id = b.id AND a.state IN ('waiting', 'ready', 'running', 'retrying'))) AS held
      FROM batches b WHERE b.finished_at IS NOT NULL AND b.finished_at < $1 AND b.state IN ('succeeded', 'failed', 'canceled') ORDER BY b.finished_at, b.id`),
  batchRowCounts: q<[batch: string], { actions: number; replies: number }>(`SELECT (SELECT count(*) FROM actions WHERE batch_id = $1) AS actions,
      (SELECT count(*) FROM replies WHERE batch_id = $1) AS replies`),
  dependentBatches: q<[batch: string], { batch_id: string }>('SELECT DISTINCT batch_id FROM dependencies WHERE dep_batch_id = $1 AND batch_id <> $1'),
  purgeBatchDeps: q<[string]>('DELETE FROM dependencies WHERE batch_id = $1'),
  purgeBatchActions: q<[string]>('DELETE FROM actions WHERE batch_id = $1'),
  purgeBatchReplies: q<[string]>('DELETE FROM replies WHERE batch_id = $1'),
  purgeBatchLease: q<[string]>('DELETE FROM leases WHERE batch_id = $1'),
  purgeBatch: q<[string]>('DELETE FROM batches WHERE id = $1'),
  oldMessages: q<[cut: number], { n: number }>('SELECT count(*) AS n FROM messages WHERE at < $1'),
  purgeMessages: q<[cut: number]>('DELETE FROM messages WHERE at < $1'),
  oldTriggerRuns: q<[cut: number], { n: number }>(`SELECT count(*) AS n FROM trigger_runs WHERE state IN ('succeeded', 'failed') AND finished_at < $1`),
  purgeTriggerRuns: q<[cut: number]>(`DELETE FROM trigger_runs WHERE state IN ('succeeded', 'failed') AND finished_at < $1`),
  oldCommands: q<[cut: number], { n: number }>(`SELECT count(*) AS n FROM commands WHERE state = 'done' AND done_at < $1`),
  purgeCommands: q<[cut: number]>(`DELETE FROM commands WHERE state = 'done' AND done_at < $1`),
  // ---- the simulated directory (directory.ts writes its own statements: locks, read and write in two round trips)
  dirAll: q<[], { hostid: string; userid: string; data: string }>('SELECT hostid, userid, data FROM directory_accounts ORDER BY hostid, userid'),
  dirHost: q<[string], { hostid: string; userid: string; data: string }>('SELECT hostid, userid, data FROM directory_accounts WHERE hostid = $1 ORDER BY userid'),
  // ---- the key check (sealing.ts)
  keyCheck: q<[], { sealed: string }>('SELECT sealed FROM secret_key_check WHERE id = 1'),
  putKeyCheck: q<[sealed: string, now: number]>(
    'INSERT INTO secret_key_check (id, sealed, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET sealed = excluded.sealed, created_at = excluded.created_at',
  ),
  sealedCount: q<[pattern: string, prefix: string], { n: number }>(`SELECT (SELECT count(*) FROM actions WHERE document LIKE $1 OR submitted LIKE $1)
      + (SELECT count(*) FROM batches WHERE left(document, length($2)) = $2 OR context LIKE $1) AS n`),
};
