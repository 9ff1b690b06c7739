import type { ActionRow, BatchRow, ReplyRow } from '../sqlite/rows.js';
import { q, type Prepared, type Query } from './db.js';

type ParamsOf<S> = S extends Query<infer P, unknown> ? P : never;

/*
 * The statements of a turn (execution.ts, progress.ts). A turn runs under the graph lock, which
 * every daemon's next turn waits for, so each of these does in one round trip what took one
 * per row or per step, and reads through indexes whatever the planner knows of the tables (a
 * fresh schema has no statistics: a join it misjudges walks every action under the lock).
 */

const OPEN = `('waiting', 'ready', 'running', 'retrying')`;

/*
 * A claim's lease upkeep (leases.ts), as the first parts of a statement: this daemon's ($1)
 * batches with nothing open are let go (those final or gone: a transaction that leaves a batch
 * with nothing open makes it final before it commits, and a batch's state is one row to read
 * where its open actions were an index walk per leased batch at every claim); expired leases of other daemons ($2: the clock), then
 * batches with work due ($3) that nobody leases, interactive work first, then by arrival, are
 * taken ($4 of each at most, for $5 ms). `taken` holds their ids. Their unwritten replies stay
 * with the daemon that made them: its next start writes them, or, once it is no longer alive,
 * `adoptOrphanReplies` hands them to a live daemon with their rows, to be written at once
 * (re-owning them here wrote them nowhere until the taker's next start).
 */
const LEASE_UPKEEP = `
      dropped AS (
        DELETE FROM leases l WHERE l.owner = $1 AND NOT EXISTS (SELECT 1 FROM batches b WHERE b.id = l.batch_id AND b.state IN ('received', 'running'))),
      expired AS (SELECT batch_id FROM leases WHERE owner <> $1 AND expires_at < $2 ORDER BY expires_at LIMIT $4 FOR UPDATE SKIP LOCKED),
      free AS (SELECT b.id FROM batches b WHERE b.state IN ('received', 'running')
        AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.batch_id = b.id)
        AND EXISTS (SELECT 1 FROM actions a WHERE a.batch_id = b.id AND a.runnable_at IS NOT NULL AND a.runnable_at <= $3)
        ORDER BY EXISTS (SELECT 1 FROM actions a WHERE a.batch_id = b.id AND a.runnable_at IS NOT NULL AND a.runnable_at <= $3 AND a.interactive = 1) DESC, b.received_at, b.seq
        LIMIT $4 FOR UPDATE OF b SKIP LOCKED),
      taken AS (
        INSERT INTO leases (batch_id, owner, expires_at) SELECT batch_id, $1, $2 + $5 FROM expired UNION ALL SELECT id, $1, $2 + $5 FROM free
        ON CONFLICT (batch_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at RETURNING batch_id)`;

/** What a claim knows of one target: across every daemon, and in this daemon's leased batches. */
export interface ClaimHost {
  hostid: string;
  /** Runnable actions of this daemon's leased batches for it. */
  due: number;
  /** Its running actions, whoever runs them. */
  running: number;
  /** Interactive actions any daemon could run on it now (a batch action leaves them the slot). */
  interactive: number;
  /** How many of the `due` rows came back (the first, interactive first, then by arrival). */
  fetched: number;
}

/** What `claimScan` finds. */
export interface ClaimScan {
  hosts: ClaimHost[];
  rows: ActionRow[];
  stray: string[];
  next_due: number | null;
  next_expiry: number | null;
}

/** What `succeedMany` did. */
export interface Succeeded {
  done: ActionRow[];
  ready: Array<{ batch_id: string; id: string; waiting_on: number; placeholder: number }>;
  replies: ReplyRow[];
  completed: BatchRow[];
}

export const TURN_STATEMENTS = {
  // The lease upkeep alone (at start): the taken batches that hold another daemon's running actions.
  leaseUpkeep: q<[owner: string, clock: number, now: number, leaseBatches: number, leaseMs: number], { batch_id: string }>(
    `WITH ${LEASE_UPKEEP}
    SELECT t.batch_id FROM taken t WHERE EXISTS (SELECT 1 FROM actions a WHERE a.batch_id = t.batch_id AND a.state = 'running' AND a.owner IS DISTINCT FROM $1)`,
  ),
  /*
   * A claim's reading in one statement: the lease upkeep, then per target the counts the claim needs and the first
   * runnable rows of the leased batches, as many per target as the caller's hint says it may
   * start ($8/$9: a target's free slots with nothing running; an unknown target gets `max`).
   * `stray`: taken batches that hold another daemon's running actions (recovered by the caller,
   * which then reads again). `next_due`, `next_expiry`: when time alone will make more work
   * claimable (a retry due, another daemon's lease expired). Rows come back as JSON arrays of the tables' columns; only the
   * rows returned are read whole (a daemon may lease hundreds of batches).
   */
  claimScan: q<
    [owner: string, clock: number, now: number, leaseBatches: number, leaseMs: number, rewrite: boolean, max: number, hintHosts: string[], hintCaps: number[]],
    ClaimScan
  >(
    `WITH ${LEASE_UPKEEP}, paused AS (SELECT hostid FROM paused_hosts),
      due AS (
        SELECT a.batch_id, a.id, a.hostid, row_number() OVER (PARTITION BY a.hostid ORDER BY a.interactive DESC, a.queue_seq) AS rank FROM actions a
        WHERE a.batch_id = ANY(ARRAY(SELECT batch_id FROM leases WHERE owner = $1 UNION ALL SELECT batch_id FROM taken))
          AND a.runnable_at IS NOT NULL AND a.runnable_at <= $3 AND a.hostid NOT IN (SELECT hostid FROM paused)),
      targets AS (SELECT hostid, count(*)::int AS due FROM due GROUP BY hostid),
      hosts AS (
        SELECT t.hostid, t.due,
          (SELECT count(*)::int FROM actions a WHERE a.hostid = t.hostid AND a.state = 'running' AND a.rewritten = 1) AS running,
          (SELECT count(*)::int FROM actions a WHERE a.hostid = t.hostid AND a.runnable_at IS NOT NULL AND a.runnable_at <= $3 AND a.interactive = 1
            AND (a.rewritten = 1 OR NOT $6)) AS interactive,
          h.cap FROM targets t LEFT JOIN unnest($8::text[], $9::int[]) AS h(hostid, cap) ON h.hostid = t.hostid),
      limits AS (SELECT hostid, due, running, interactive,
          CASE WHEN $6 OR cap IS NULL THEN $7 ELSE least($7, greatest(cap - running, 0)) END AS lim FROM hosts)
    SELECT
      (SELECT coalesce(json_agg(json_build_object('hostid', hostid, 'due', due, 'running', running, 'interactive', interactive, 'fetched', least(due, lim))), '[]')
        FROM limits) AS hosts,
      (SELECT coalesce(json_agg(to_jsonb(a) - 'owner' - 'crashes'), '[]') FROM due d JOIN limits l ON l.hostid = d.hostid
        JOIN actions a ON a.batch_id = d.batch_id AND a.id = d.id WHERE d.rank <= l.lim) AS rows,
      (SELECT coalesce(json_agg(t.batch_id), '[]') FROM taken t
        WHERE EXISTS (SELECT 1 FROM actions a WHERE a.batch_id = t.batch_id AND a.state = 'running' AND a.owner IS DISTINCT FROM $1)) AS stray,
      (SELECT min(runnable_at) FROM actions WHERE state = 'retrying' AND runnable_at > $3) AS next_due,
      (SELECT min(expires_at) FROM leases WHERE owner <> $1) AS next_expiry`,
  ),
  // The runnable actions of this daemon's leased batches for some targets, up to a limit each
  // (when the hint of `claimScan` fetched fewer than a target may start).
  runnable: q<[owner: string, hosts: string[], limits: number[], now: number], ActionRow>(
    `SELECT a.* FROM unnest($2::text[], $3::int[]) AS h(hostid, lim), LATERAL (
      SELECT a.* FROM actions a WHERE a.batch_id = ANY(ARRAY(SELECT batch_id FROM leases WHERE owner = $1))
        AND a.hostid = h.hostid AND a.runnable_at IS NOT NULL AND a.runnable_at <= $4 ORDER BY a.interactive DESC, a.queue_seq LIMIT h.lim) a`,
  ),
  /*
   * Actions that succeeded, in one round trip whatever their number: made final (those not
   * final already), their waiting dependents counted down by how many of them they wait for and
   * made ready at none (a placeholder's verdict is the caller's), a reply recorded for each with
   * a replyid when replies are per action, in the order given, and their batches made final
   * when nothing in them is left open (`completed`, in the order given: a batch is complete when
   * the actions open before the statement are those it made final; it failed if any had ended
   * badly before, as successes add none). An action of the list is not also counted down as a
   * dependent of another (it could not be waiting on it and running).
   */
  succeedMany: q<
    [batches: string[], ids: string[], retvals: string[], messages: string[], now: number, withReply: boolean, owner: string],
    Succeeded
  >(
    `WITH u AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS u(batch_id, id, retval, message, n)),
      f AS (
        UPDATE actions a SET state = 'succeeded', retval = u.retval, last_error = NULL, runnable_at = NULL, recovery = 0, owner = NULL, finished_at = $5, updated_at = $5
        FROM u WHERE a.batch_id = u.batch_id AND a.id = u.id AND a.state NOT IN ('succeeded', 'failed', 'skipped', 'canceled')
        RETURNING a.*, u.n, u.message),
      c AS (
        SELECT dd.batch_id, dd.action_id, count(*)::int AS n FROM dependencies dd JOIN f ON dd.dep_batch_id = f.batch_id AND dd.dep_action_id = f.id
        WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.batch_id = dd.batch_id AND u.id = dd.action_id) GROUP BY dd.batch_id, dd.action_id),
      d AS (
        UPDATE actions a SET waiting_on = a.waiting_on - c.n,
          state = CASE WHEN a.waiting_on - c.n <= 0 AND a.placeholder = 0 THEN 'ready' ELSE a.state END,
          runnable_at = CASE WHEN a.waiting_on - c.n <= 0 AND a.placeholder = 0 THEN 0 ELSE a.runnable_at END, updated_at = $5
        FROM c WHERE a.batch_id = c.batch_id AND a.id = c.action_id AND a.state = 'waiting'
        RETURNING a.batch_id, a.id, a.waiting_on, a.placeholder),
      r AS (
        INSERT INTO replies (replyid, batch_id, action_id, operation, status, retval, message, at, owner)
        SELECT f.replyid, f.batch_id, f.id, f.operation, 'success', f.retval, f.message, $5, $7 FROM f WHERE $6 AND f.replyid <> '' ORDER BY f.n
        ON CONFLICT (replyid) DO NOTHING RETURNING *),
      fin AS (SELECT batch_id, count(*) AS finished, min(n) AS first FROM f GROUP BY batch_id),
      -- Counted for these batches only (MATERIALIZED: not for every open batch of the join below).
      ended AS MATERIALIZED (
        SELECT fin.batch_id, fin.first FROM fin WHERE (SELECT count(*) FROM actions a WHERE a.batch_id = fin.batch_id AND a.state IN ${OPEN}) = fin.finished),
      whole AS (
        UPDATE batches b SET state = CASE WHEN EXISTS (SELECT 1 FROM actions a WHERE a.batch_id = b.id AND a.state IN ('failed', 'skipped', 'canceled'))
            THEN 'failed' ELSE 'succeeded' END, updated_at = $5, finished_at = $5
        FROM ended e WHERE b.id = e.batch_id AND b.state IN ('running', 'received')
        RETURNING b.*, e.first)
    SELECT (SELECT coalesce(json_agg(to_jsonb(f) - 'n' - 'message' - 'owner' - 'crashes' ORDER BY f.n), '[]') FROM f) AS done,
      (SELECT coalesce(json_agg(d), '[]') FROM d) AS ready,
      (SELECT coalesce(json_agg(to_jsonb(r) - 'owner' ORDER BY r.seq), '[]') FROM r) AS replies,
      (SELECT coalesce(json_agg(to_jsonb(w) - 'first' ORDER BY w.first), '[]') FROM whole w) AS completed`,
  ),
  // The affected batches with nothing left open made final (failed if any action ended badly),
  // in one statement, returning them in the order given (for their events and passwords' wipe).
  completeBatches: q<[ids: string[], now: number], BatchRow>(
    `WITH u AS (SELECT * FROM unnest($1::text[]) WITH ORDINALITY AS u(id, n)),
      -- Looked at for these batches only (MATERIALIZED: not for every open batch of the join below).
      ended AS MATERIALIZED (SELECT u.id, u.n FROM u WHERE NOT EXISTS (SELECT 1 FROM actions a WHERE a.batch_id = u.id AND a.state IN ${OPEN})),
      done AS (
        UPDATE batches b SET state = CASE WHEN EXISTS (SELECT 1 FROM actions a WHERE a.batch_id = b.id AND a.state IN ('failed', 'skipped', 'canceled'))
            THEN 'failed' ELSE 'succeeded' END, updated_at = $2, finished_at = $2
        FROM ended e WHERE b.id = e.id AND b.state IN ('running', 'received')
        RETURNING b.*, e.n)
    SELECT * FROM done ORDER BY n`,
  ),
};

/** Text values as an SQL array, each an SQL literal (see `claimWrites`). */
const textArray = (literal: (v: string) => string, xs: readonly string[]): string => (xs.length === 0 ? `'{}'::text[]` : `ARRAY[${xs.map(literal).join(', ')}]::text[]`);

/**
 * A turn's claims as one statement without parameters, so that it can go with COMMIT in one
 * round trip (db.ts `CommitTail`): the batches they start, the actions claimed to run and those
 * claimed for their rewrite (batch ids and action ids as parallel arrays). `literal` quotes a
 * value (the client's `escapeLiteral`).
 */
export function claimWrites(
  literal: (v: string) => string,
  owner: string,
  now: number,
  started: readonly string[],
  runs: { batches: readonly string[]; ids: readonly string[] },
  rewrites: { batches: readonly string[]; ids: readonly string[] },
): string {
  if (!Number.isSafeInteger(now)) throw new Error(`claimWrites: ${now} is not a time in milliseconds`);
  const who = literal(owner);
  const list = (xs: readonly string[]) => textArray(literal, xs);
  return `WITH started AS (UPDATE batches SET state = 'running', updated_at = ${now} WHERE id = ANY(${list(started)}) AND state = 'received'),
      runs AS (
        UPDATE actions a SET state = 'running', owner = ${who}, attempts = attempts + 1, rewritten = 1, runnable_at = NULL, started_at = ${now}, updated_at = ${now}
        FROM unnest(${list(runs.batches)}, ${list(runs.ids)}) AS u(batch_id, id) WHERE a.batch_id = u.batch_id AND a.id = u.id),
      rewrites AS (
        UPDATE actions a SET state = 'running', owner = ${who}, runnable_at = NULL, started_at = ${now}, updated_at = ${now}
        FROM unnest(${list(rewrites.batches)}, ${list(rewrites.ids)}) AS u(batch_id, id) WHERE a.batch_id = u.batch_id AND a.id = u.id)
    SELECT 1`;
}

/**
 * The statements a turn runs in its first round trip (execution.ts `turnHead`), prepared in the
 * session by SQL so that their plans are kept as those of the bound statements are.
 */
export const HEAD_STATEMENTS: {
  succeedMany: Prepared<ParamsOf<typeof TURN_STATEMENTS.succeedMany>, Succeeded>;
  claimScan: Prepared<ParamsOf<typeof TURN_STATEMENTS.claimScan>, ClaimScan>;
} = {
  succeedMany: { name: 'tmon_succeed_many', types: ['text[]', 'text[]', 'text[]', 'text[]', 'bigint', 'boolean', 'text'], query: TURN_STATEMENTS.succeedMany },
  claimScan: { name: 'tmon_claim_scan', types: ['text', 'bigint', 'bigint', 'integer', 'bigint', 'boolean', 'integer', 'text[]', 'integer[]'], query: TURN_STATEMENTS.claimScan },
};
