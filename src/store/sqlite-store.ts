import Database, { type Database as Db, type Statement } from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { TmonError } from '../errors.js';
import { dirname } from 'node:path';
import type { Dependency } from '../batch/index.js';
import { migrate } from './migrate.js';
import type {
  ActionDetail,
  ActionRecord,
  ActionResult,
  ActionState,
  BatchDetail,
  BatchFilter,
  BatchState,
  BatchSummary,
  ClaimedAction,
  DirectoryAccount,
  DirectoryDump,
  DirectoryTx,
  Effects,
  InsertResult,
  Message,
  NewBatch,
  NewMessage,
  OperatorResult,
  Reply,
  RewriteDecision,
  Store,
  StoreEvent,
  TriggerRun,
  Tallies,
} from './types.js';
import { actionKey, FINAL_ACTION_STATES } from './types.js';

export type RepliesMode = 'action' | 'tree';

export interface SqliteStoreOptions {
  /** `action`: a replyid is answered when its action is final; `tree`: when it and all it led to are. */
  repliesMode?: RepliesMode;
  /**
   * The triggers an event starts (contract §8), by name. Their runs are queued in the same
   * transaction as the state change that raised the event, so none is lost or repeated.
   */
  triggersFor?: (event: StoreEvent) => string[];
  /** Refuse to create the database: opening a home where the daemon never ran is an error. */
  mustExist?: boolean;
  /** Open for reading only (the CLI's status commands): never blocks or slows the daemon. Implies mustExist. */
  readonly?: boolean;
  /**
   * `FULL` (default): a transaction is on disk when commit returns, so an inbox file is only
   * deleted once its batch would survive a power cut. `NORMAL` survives a killed process but
   * may lose the last transactions to a power cut; faster.
   */
  synchronous?: 'FULL' | 'NORMAL';
}

const FINAL = new Set<ActionState>(FINAL_ACTION_STATES);

interface ActionRow {
  batch_id: string;
  id: string;
  primary_id: string;
  plugin: string | null;
  state: ActionState;
  operation: string;
  hostid: string;
  userid: string;
  replyid: string;
  interactive: number;
  document: string;
  waiting_on: number;
  runnable_at: number | null;
  attempts: number;
  recovery: number;
  retval: string | null;
  last_error: string | null;
  started_at: number | null;
  finished_at: number | null;
  rewritten: number;
  queue_seq: number;
}

interface ReplyRow {
  seq: number;
  replyid: string;
  batch_id: string;
  action_id: string;
  operation: string;
  status: 'success' | 'failure';
  retval: string;
  message: string;
  at: number;
}

interface TriggerRow {
  id: number;
  trigger: string;
  event: string;
  payload: string;
  state: TriggerRun['state'];
  attempts: number;
  next_at: number;
  last_error: string | null;
  created_at: number;
  finished_at: number | null;
}

const toTriggerRun = (r: TriggerRow): TriggerRun => ({
  id: r.id,
  trigger: r.trigger,
  event: r.event as TriggerRun['event'],
  payload: JSON.parse(r.payload) as StoreEvent,
  state: r.state,
  attempts: r.attempts,
  nextAt: r.next_at,
  lastError: r.last_error,
  createdAt: r.created_at,
  finishedAt: r.finished_at,
});

const toReply = (r: ReplyRow): Reply => ({
  seq: r.seq,
  replyid: r.replyid,
  batch: r.batch_id,
  action: r.action_id,
  operation: r.operation,
  status: r.status,
  retval: r.retval,
  message: r.message,
  at: r.at,
});

/** The SQLite store: one file, WAL journal, one writer (the daemon), any number of readers. */
export class SqliteStore implements Store {
  readonly db: Db;
  /**
   * The simulated directory's own connection to the same file, with `synchronous = NORMAL`:
   * it stands in for an external system, so its writes need not each wait for the disk. They
   * are on disk no later than the next FULL commit of an action's result (the WAL is one
   * sequence), and a recovery re-checks the directory anyway.
   */
  private readonly dirDb: Db;
  private readonly repliesMode: RepliesMode;
  private readonly triggersFor: (event: StoreEvent) => string[];
  private queueSeq = 0;
  private readonly hosts = new Set<string>();
  private readonly s: Record<string, Statement>;

  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.repliesMode = options.repliesMode ?? 'action';
    this.triggersFor = options.triggersFor ?? (() => []);
    if (options.readonly || options.mustExist) {
      if (!existsSync(path)) throw new TmonError('STORE_MISSING', `no database at ${path}: the daemon has not run on this home yet`);
    } else mkdirSync(dirname(path), { recursive: true });
    // A reader opens read-write but query-only: SQLite's read-only mode cannot open a WAL
    // database whose shared-memory file is missing, and query_only refuses every write anyway.
    this.db = new Database(path, { fileMustExist: options.readonly ?? false });
    this.db.pragma('busy_timeout = 5000');
    if (options.readonly) this.db.pragma('query_only = ON');
    else {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
      this.db.pragma('foreign_keys = ON');
      migrate(this.db);
      this.queueSeq = (this.db.prepare('SELECT coalesce(max(queue_seq), 0) AS m FROM actions').get() as { m: number }).m;
      for (const r of this.db.prepare('SELECT DISTINCT hostid FROM actions').all() as Array<{ hostid: string }>) this.hosts.add(r.hostid);
    }
    if (options.readonly || path === ':memory:') this.dirDb = this.db;
    else {
      this.dirDb = new Database(path);
      this.dirDb.pragma('busy_timeout = 5000');
      this.dirDb.pragma('synchronous = NORMAL');
    }
    const p = (sql: string): Statement => this.db.prepare(sql);
    const d = (sql: string): Statement => this.dirDb.prepare(sql);
    this.s = {
      batchDigest: p('SELECT digest FROM batches WHERE id = ?'),
      insertBatch: p(`INSERT INTO batches (id, state, document, digest, source, received_at, updated_at) VALUES (?, 'received', ?, ?, ?, ?, ?)`),
      insertAction: p(`INSERT INTO actions (batch_id, id, queue_seq, primary_id, plugin, rewritten, state, operation, hostid, userid, replyid, interactive, document, created_at, updated_at)
        VALUES (@batch_id, @id, @queue_seq, @primary_id, @plugin, @rewritten, 'waiting', @operation, @hostid, @userid, @replyid, @interactive, @document, @now, @now)`),
      insertDep: p('INSERT OR IGNORE INTO dependencies (batch_id, action_id, dep_batch_id, dep_action_id) VALUES (?, ?, ?, ?)'),
      deleteDeps: p('DELETE FROM dependencies WHERE batch_id = ? AND action_id = ?'),
      deleteAction: p('DELETE FROM actions WHERE batch_id = ? AND id = ?'),
      markRewritten: p('UPDATE actions SET rewritten = 1 WHERE batch_id = ? AND id = ?'),
      requeue: p(`UPDATE actions SET state = 'waiting', attempts = 0, retval = NULL, last_error = NULL, finished_at = NULL, runnable_at = NULL, updated_at = ?
        WHERE batch_id = ? AND id = ?`),
      findAction: p('SELECT batch_id FROM actions WHERE id = ? ORDER BY batch_id'),
      queueTrigger: p(`INSERT INTO trigger_runs (trigger, event, payload, state, next_at, created_at) VALUES (?, ?, ?, 'pending', ?, ?)`),
      dueTriggers: p(`SELECT * FROM trigger_runs WHERE state = 'pending' AND next_at <= ? ORDER BY next_at, id LIMIT ?`),
      claimTrigger: p(`UPDATE trigger_runs SET state = 'running', attempts = attempts + 1 WHERE id = ?`),
      triggerDone: p(`UPDATE trigger_runs SET state = 'succeeded', last_error = NULL, finished_at = ? WHERE id = ?`),
      triggerRetry: p(`UPDATE trigger_runs SET state = 'pending', last_error = ?, next_at = ? WHERE id = ?`),
      triggerFailed: p(`UPDATE trigger_runs SET state = 'failed', last_error = ?, finished_at = ? WHERE id = ?`),
      nextTrigger: p(`SELECT min(next_at) AS t FROM trigger_runs WHERE state = 'pending'`),
      recoverTriggers: p(`UPDATE trigger_runs SET state = 'pending' WHERE state = 'running'`),
      triggerRuns: p('SELECT * FROM trigger_runs ORDER BY id DESC LIMIT ?'),
      actionExists: p('SELECT 1 FROM actions WHERE batch_id = ? AND id = ?'),
      action: p('SELECT * FROM actions WHERE batch_id = ? AND id = ?'),
      batchState: p('SELECT state FROM batches WHERE id = ?'),
      setBatchState: p('UPDATE batches SET state = ?, updated_at = ?, finished_at = ? WHERE id = ?'),
      toRewrite: p(`SELECT id, document FROM batches WHERE state = 'received' ORDER BY received_at, id LIMIT ?`),
      rewrittenOpen: p(`SELECT id FROM actions WHERE batch_id = ? AND rewritten = 1 AND state = 'waiting'`),
      depsOf: p('SELECT dep_batch_id, dep_action_id FROM dependencies WHERE batch_id = ? AND action_id = ?'),
      dependents: p('SELECT batch_id, action_id FROM dependencies WHERE dep_batch_id = ? AND dep_action_id = ?'),
      setWaiting: p(`UPDATE actions SET waiting_on = ?, state = CASE WHEN ? = 0 THEN 'ready' ELSE 'waiting' END,
        runnable_at = CASE WHEN ? = 0 THEN 0 ELSE NULL END, updated_at = ? WHERE batch_id = ? AND id = ?`),
      decrementWaiting: p(`UPDATE actions SET waiting_on = waiting_on - 1, updated_at = ? WHERE batch_id = ? AND id = ? AND state = 'waiting' RETURNING waiting_on, rewritten`),
      makeReady: p(`UPDATE actions SET state = 'ready', runnable_at = 0, updated_at = ? WHERE batch_id = ? AND id = ? AND state = 'waiting'`),
      finalize: p(`UPDATE actions SET state = ?, retval = ?, last_error = ?, runnable_at = NULL, recovery = 0, rewritten = 1, finished_at = ?, updated_at = ?
        WHERE batch_id = ? AND id = ?`),
      retrying: p(`UPDATE actions SET state = 'retrying', retval = ?, last_error = ?, runnable_at = ?, recovery = 0, updated_at = ? WHERE batch_id = ? AND id = ?`),
      insertReply: p(`INSERT OR IGNORE INTO replies (replyid, batch_id, action_id, operation, status, retval, message, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`),
      replied: p('SELECT 1 FROM replies WHERE replyid = ?'),
      batchTally: p(`SELECT coalesce(sum(state NOT IN ('succeeded', 'failed', 'skipped', 'canceled')), 0) AS open,
        coalesce(sum(state IN ('failed', 'skipped')), 0) AS bad FROM actions WHERE batch_id = ?`),
      runningByHost: p(`SELECT hostid, count(*) AS n FROM actions WHERE state = 'running' GROUP BY hostid`),
      runnable: p(`SELECT batch_id, id, operation, hostid, interactive, document, attempts, recovery, queue_seq FROM actions
        WHERE hostid = ? AND runnable_at IS NOT NULL AND runnable_at <= ? ORDER BY interactive DESC, queue_seq LIMIT ?`),
      claim: p(`UPDATE actions SET state = 'running', attempts = attempts + 1, runnable_at = NULL, started_at = ?, updated_at = ? WHERE batch_id = ? AND id = ?`),
      nextRetry: p(`SELECT min(runnable_at) AS t FROM actions WHERE state = 'retrying'`),
      recover: p(`UPDATE actions SET state = 'ready', runnable_at = 0, recovery = 1, updated_at = ? WHERE state = 'running'`),
      unmirrored: p('SELECT * FROM replies WHERE mirrored = 0 ORDER BY seq'),
      markMirrored: p('UPDATE replies SET mirrored = 1 WHERE seq = ?'),
      replies: p('SELECT * FROM replies WHERE seq > ? ORDER BY seq LIMIT ?'),
      postMessage: p('INSERT INTO messages (at, level, source, batch_id, action_id, text) VALUES (?, ?, ?, ?, ?, ?)'),
      messages: p('SELECT * FROM messages WHERE at >= ? ORDER BY seq DESC LIMIT ?'),
      primaryRows: p('SELECT * FROM actions WHERE batch_id = ? AND primary_id = ?'),
      batchActions: p('SELECT * FROM actions WHERE batch_id = ? ORDER BY queue_seq, id'),
      batchDeps: p('SELECT action_id, dep_batch_id, dep_action_id FROM dependencies WHERE batch_id = ?'),
      dirAccount: d('SELECT data FROM directory_accounts WHERE hostid = ? AND userid = ?'),
      dirPut: d('INSERT INTO directory_accounts (hostid, userid, data) VALUES (?, ?, ?) ON CONFLICT (hostid, userid) DO UPDATE SET data = excluded.data'),
      dirDelete: d('DELETE FROM directory_accounts WHERE hostid = ? AND userid = ?'),
      dirHasGroup: d('SELECT 1 FROM directory_groups WHERE hostid = ? AND groupid = ?'),
      dirPutGroup: d('INSERT OR IGNORE INTO directory_groups (hostid, groupid) VALUES (?, ?)'),
      dirDeleteGroup: d('DELETE FROM directory_groups WHERE hostid = ? AND groupid = ?'),
      dirAccounts: d('SELECT userid, data FROM directory_accounts WHERE hostid = ? ORDER BY userid'),
      dirAll: p('SELECT hostid, userid, data FROM directory_accounts ORDER BY hostid, userid'),
      dirHost: p('SELECT hostid, userid, data FROM directory_accounts WHERE hostid = ? ORDER BY userid'),
    };
  }

  // ---- batches in -------------------------------------------------------------------------

  private insertActionRow(batchId: string, a: ActionRecord, rewritten: boolean, now: number): void {
    this.s.insertAction!.run({
      batch_id: batchId,
      id: a.id,
      queue_seq: ++this.queueSeq,
      primary_id: a.primaryId,
      plugin: a.plugin,
      rewritten: rewritten ? 1 : 0,
      operation: a.operation,
      hostid: a.hostid,
      userid: a.userid,
      replyid: a.replyid,
      interactive: a.interactive ? 1 : 0,
      document: JSON.stringify(a.document),
      now,
    });
    for (const d of a.depends) this.s.insertDep!.run(batchId, a.id, d.batch, d.action);
    this.hosts.add(a.hostid);
  }

  async insertBatch(batch: NewBatch): Promise<InsertResult> {
    return this.db.transaction((): InsertResult => {
      const existing = this.s.batchDigest!.get(batch.id) as { digest: string } | undefined;
      if (existing) return existing.digest === batch.digest ? 'duplicate' : 'conflict';
      const now = Date.now();
      this.s.insertBatch!.run(batch.id, batch.document, batch.digest, batch.source, now, now);
      for (const a of batch.actions) this.insertActionRow(batch.id, a, false, now);
      this.queueRuns([{ type: 'batch.received', batch: batch.id, state: 'received', source: batch.source, message: `${batch.actions.length} action(s)`, at: now }], now);
      return 'inserted';
    })();
  }

  async knownActions(refs: readonly Dependency[]): Promise<Set<string>> {
    const known = new Set<string>();
    for (const r of refs) if (this.s.actionExists!.get(r.batch, r.action)) known.add(actionKey(r.batch, r.action));
    return known;
  }

  async batchDigest(id: string): Promise<string | undefined> {
    return (this.s.batchDigest!.get(id) as { digest: string } | undefined)?.digest;
  }

  async batchesToRewrite(limit: number): Promise<Array<{ id: string; document: string }>> {
    return this.s.toRewrite!.all(limit) as Array<{ id: string; document: string }>;
  }

  async applyRewrite(batchId: string, decisions: readonly RewriteDecision[]): Promise<Effects> {
    return this.db.transaction((): Effects => {
      const effects: Effects = { replies: [], events: [] };
      const state = (this.s.batchState!.get(batchId) as { state: BatchState } | undefined)?.state;
      if (state !== 'received') return effects;
      const now = Date.now();
      const finals: Array<{ id: string; state: 'failed' | 'succeeded'; message: string }> = [];
      for (const d of decisions) {
        if (d.board) this.s.postMessage!.run(now, d.board, d.source, batchId, d.primaryId, d.message);
        if (d.event) effects.events.push({ type: d.event.type, batch: batchId, action: d.primaryId, plugin: d.event.plugin, message: d.message, at: now });
        if (d.outcome === 'run' && d.actions.length === 1 && d.actions[0]!.id === d.primaryId && d.actions[0]!.plugin === null) {
          // The primary runs as submitted: its row and dependencies are already right.
          this.s.markRewritten!.run(batchId, d.primaryId);
        } else if (d.outcome === 'run') {
          const original = this.s.action!.get(batchId, d.primaryId) as ActionRow | undefined;
          this.s.deleteDeps!.run(batchId, d.primaryId);
          this.s.deleteAction!.run(batchId, d.primaryId);
          for (const a of d.actions) this.insertActionRow(batchId, a, true, now);
          if (original && !d.actions.some((a) => a.id === d.primaryId)) {
            // The plugin dropped the primary but fanned out work: keep the primary's row, done,
            // so that what waits for it can go on and its replyid is answered.
            this.insertActionRow(
              batchId,
              {
                id: d.primaryId,
                primaryId: d.primaryId,
                plugin: d.actions[0]?.plugin ?? null,
                operation: original.operation,
                hostid: original.hostid,
                userid: original.userid,
                replyid: original.replyid,
                interactive: original.interactive === 1,
                document: JSON.parse(original.document),
                depends: [],
              },
              true,
              now,
            );
            finals.push({ id: d.primaryId, state: 'succeeded', message: `${d.message}; the primary action itself was replaced by what the plugin fanned out` });
          }
        } else {
          this.s.markRewritten!.run(batchId, d.primaryId);
          finals.push({ id: d.primaryId, state: d.outcome === 'fail' ? 'failed' : 'succeeded', message: d.message });
        }
      }
      this.s.setBatchState!.run('running', now, null, batchId);
      const affected = new Set<string>([batchId]);
      for (const f of finals) this.finalize(batchId, f.id, f.state, f.state === 'failed' ? '' : '0', f.message, now, effects, affected);
      for (const { id } of this.s.rewrittenOpen!.all(batchId) as Array<{ id: string }>) this.settleWaiting(batchId, id, now, effects, affected);
      this.completeBatches(affected, now, effects);
      this.queueRuns(effects.events, now);
      return effects;
    })();
  }

  /** Counts what a newly rewritten action still waits for; skips it at once if one of those failed. */
  private settleWaiting(batchId: string, id: string, now: number, effects: Effects, affected: Set<string>): void {
    let waiting = 0;
    for (const d of this.s.depsOf!.all(batchId, id) as Array<{ dep_batch_id: string; dep_action_id: string }>) {
      const dep = this.s.action!.get(d.dep_batch_id, d.dep_action_id) as ActionRow | undefined;
      if (dep && dep.state === 'succeeded') continue;
      if (dep && FINAL.has(dep.state)) {
        this.finalize(batchId, id, 'skipped', '', `skipped: it waits for action ${dep.id} of batch ${dep.batch_id}, which ${dep.state === 'canceled' ? 'was canceled' : dep.state}`, now, effects, affected);
        return;
      }
      waiting++;
    }
    this.s.setWaiting!.run(waiting, waiting, waiting, now, batchId, id);
  }

  // ---- running ----------------------------------------------------------------------------

  async claimRunnable(now: number, capacity: (hostid: string, running: number) => number, max: number): Promise<ClaimedAction[]> {
    return this.db.transaction((): ClaimedAction[] => {
      const running = new Map<string, number>();
      for (const r of this.s.runningByHost!.all() as Array<{ hostid: string; n: number }>) running.set(r.hostid, r.n);
      const candidates: Array<ActionRow> = [];
      for (const host of this.hosts) {
        const room = Math.min(max, capacity(host, running.get(host) ?? 0));
        if (room <= 0) continue;
        candidates.push(...(this.s.runnable!.all(host, now, room) as ActionRow[]));
      }
      candidates.sort((a, b) => b.interactive - a.interactive || a.queue_seq - b.queue_seq);
      const claimed: ClaimedAction[] = [];
      for (const r of candidates.slice(0, max)) {
        this.s.claim!.run(now, now, r.batch_id, r.id);
        claimed.push({
          batchId: r.batch_id,
          id: r.id,
          operation: r.operation,
          hostid: r.hostid,
          interactive: r.interactive === 1,
          document: JSON.parse(r.document),
          attempt: r.attempts + 1,
          recovery: r.recovery === 1,
        });
      }
      return claimed;
    })();
  }

  async completeAction(batchId: string, actionId: string, result: ActionResult): Promise<Effects> {
    return this.completeActions([{ batchId, actionId, result }]);
  }

  async completeActions(results: ReadonlyArray<{ batchId: string; actionId: string; result: ActionResult }>): Promise<Effects> {
    return this.db.transaction((): Effects => {
      const effects: Effects = { replies: [], events: [] };
      const now = Date.now();
      const affected = new Set<string>();
      for (const { batchId, actionId, result } of results) {
        const row = this.s.action!.get(batchId, actionId) as ActionRow | undefined;
        if (!row || FINAL.has(row.state)) continue;
        if (result.state === 'retrying') {
          this.s.retrying!.run(result.retval, result.message, result.nextAttemptAt, now, batchId, actionId);
          effects.events.push({ type: 'action.retrying', batch: batchId, action: actionId, operation: row.operation, hostid: row.hostid, state: 'retrying', message: result.message, at: now });
          continue;
        }
        affected.add(batchId);
        this.finalize(batchId, actionId, result.state, result.retval, result.message, now, effects, affected);
      }
      this.completeBatches(affected, now, effects);
      this.queueRuns(effects.events, now);
      return effects;
    })();
  }

  /**
   * Makes an action final, and carries the consequences through in the same transaction:
   * its reply, what now becomes ready, and the skipping of what can now never run.
   */
  private finalize(
    batchId: string,
    actionId: string,
    state: 'succeeded' | 'failed' | 'skipped' | 'canceled',
    retval: string,
    message: string,
    now: number,
    effects: Effects,
    affected: Set<string>,
  ): void {
    const queue: Array<{ batch: string; id: string; state: typeof state; retval: string; message: string }> = [{ batch: batchId, id: actionId, state, retval, message }];
    const treeCandidates: ActionRow[] = [];
    while (queue.length > 0) {
      const f = queue.shift()!;
      const row = this.s.action!.get(f.batch, f.id) as ActionRow | undefined;
      if (!row || FINAL.has(row.state)) continue;
      affected.add(f.batch);
      const error = f.state === 'succeeded' ? null : f.message;
      this.s.finalize!.run(f.state, f.retval, error, now, now, f.batch, f.id);
      effects.events.push({ type: `action.${f.state}`, batch: f.batch, action: f.id, operation: row.operation, hostid: row.hostid, state: f.state, message: f.message, at: now });
      if (this.repliesMode === 'action') {
        if (row.replyid !== '') this.reply(row.replyid, f.batch, f.id, row.operation, f.state === 'succeeded', f.retval, f.message, now, effects);
      } else treeCandidates.push(row);
      for (const d of this.s.dependents!.all(f.batch, f.id) as Array<{ batch_id: string; action_id: string }>) {
        if (f.state === 'succeeded') {
          const left = this.s.decrementWaiting!.get(now, d.batch_id, d.action_id) as { waiting_on: number; rewritten: number } | undefined;
          if (left && left.waiting_on <= 0 && left.rewritten === 1) this.s.makeReady!.run(now, d.batch_id, d.action_id);
        } else if (f.state === 'canceled' && d.batch_id === f.batch) {
          // Canceling a batch cancels its own waiting actions; another batch's are skipped below.
          queue.push({ batch: d.batch_id, id: d.action_id, state: 'canceled', retval: '', message: f.message });
        } else {
          const how = f.state === 'canceled' ? 'was canceled' : f.state;
          queue.push({ batch: d.batch_id, id: d.action_id, state: 'skipped', retval: '', message: `skipped: it waits for action ${f.id} of batch ${f.batch}, which ${how}` });
        }
      }
    }
    for (const row of treeCandidates) this.treeReplies(row, now, effects);
  }

  private reply(replyid: string, batch: string, action: string, operation: string, success: boolean, retval: string, message: string, now: number, effects: Effects): void {
    const r = this.s.insertReply!.get(replyid, batch, action, operation, success ? 'success' : 'failure', retval, message, now) as ReplyRow | undefined;
    if (r) effects.replies.push(toReply(r));
  }

  /**
   * Tree mode: a primary's replyid is answered once the primary, everything fanned out of it
   * and everything that waits on those (transitively) is final; failure if any of it failed.
   * `row` just became final: the trees it may complete are those of its own primary and of
   * the primaries of everything it waited for.
   */
  private treeReplies(row: ActionRow, now: number, effects: Effects): void {
    const primaries = new Map<string, { batch: string; id: string }>();
    const up: Array<{ batch: string; id: string; primary: string }> = [{ batch: row.batch_id, id: row.id, primary: row.primary_id }];
    const seenUp = new Set<string>();
    while (up.length > 0) {
      const n = up.pop()!;
      if (seenUp.has(actionKey(n.batch, n.id))) continue;
      seenUp.add(actionKey(n.batch, n.id));
      primaries.set(actionKey(n.batch, n.primary), { batch: n.batch, id: n.primary });
      for (const d of this.s.depsOf!.all(n.batch, n.id) as Array<{ dep_batch_id: string; dep_action_id: string }>) {
        const dep = this.s.action!.get(d.dep_batch_id, d.dep_action_id) as ActionRow | undefined;
        if (dep) up.push({ batch: dep.batch_id, id: dep.id, primary: dep.primary_id });
      }
    }
    for (const p of primaries.values()) {
      const primary = this.s.action!.get(p.batch, p.id) as ActionRow | undefined;
      if (!primary || primary.replyid === '' || this.s.replied!.get(primary.replyid)) continue;
      const tree = this.treeOf(p.batch, p.id);
      if (tree.some((r) => !FINAL.has(r.state))) continue;
      const bad = tree.filter((r) => r.state !== 'succeeded').sort((a, b) => a.queue_seq - b.queue_seq);
      const message =
        bad.length === 0
          ? `${tree.length} action${tree.length === 1 ? '' : 's'} succeeded`
          : bad.map((r) => `action ${r.id} ${r.state}${r.last_error ? `: ${r.last_error.replace(/^skipped: /, '')}` : ''}`).join('; ');
      this.reply(primary.replyid, p.batch, p.id, primary.operation, bad.length === 0, bad.length === 0 ? (primary.retval ?? '0') : (bad[0]!.retval ?? ''), message, now, effects);
    }
  }

  /** The actions with this primary, and every action that waits on them, transitively. */
  private treeOf(batch: string, primaryId: string): ActionRow[] {
    const out = new Map<string, ActionRow>();
    const stack = this.s.primaryRows!.all(batch, primaryId) as ActionRow[];
    while (stack.length > 0) {
      const r = stack.pop()!;
      const k = actionKey(r.batch_id, r.id);
      if (out.has(k)) continue;
      out.set(k, r);
      for (const d of this.s.dependents!.all(r.batch_id, r.id) as Array<{ batch_id: string; action_id: string }>) {
        const dep = this.s.action!.get(d.batch_id, d.action_id) as ActionRow | undefined;
        if (dep) stack.push(dep);
      }
    }
    return [...out.values()];
  }

  private completeBatches(batches: Set<string>, now: number, effects: Effects): void {
    for (const b of batches) {
      const state = (this.s.batchState!.get(b) as { state: BatchState } | undefined)?.state;
      if (state !== 'running') continue;
      const { open, bad } = this.s.batchTally!.get(b) as { open: number; bad: number };
      if (open > 0) continue;
      const final: BatchState = bad > 0 ? 'failed' : 'succeeded';
      this.s.setBatchState!.run(final, now, now, b);
      effects.events.push({ type: 'batch.completed', batch: b, state: final, at: now });
    }
  }

  async nextRetryAt(): Promise<number | null> {
    return (this.s.nextRetry!.get() as { t: number | null }).t;
  }

  async recoverRunning(): Promise<number> {
    return this.s.recover!.run(Date.now()).changes;
  }

  // ---- replies and messages ---------------------------------------------------------------

  async unmirroredReplies(): Promise<Reply[]> {
    return (this.s.unmirrored!.all() as ReplyRow[]).map(toReply);
  }

  async markMirrored(seqs: readonly number[]): Promise<void> {
    this.db.transaction(() => {
      for (const s of seqs) this.s.markMirrored!.run(s);
    })();
  }

  async replies(after = 0, limit = 1000): Promise<Reply[]> {
    return (this.s.replies!.all(after, limit) as ReplyRow[]).map(toReply);
  }

  async postMessage(m: NewMessage, events: readonly StoreEvent[] = []): Promise<void> {
    this.db.transaction(() => {
      const now = m.at ?? Date.now();
      this.s.postMessage!.run(now, m.level, m.source, m.batch, m.action, m.text);
      this.queueRuns(events, now);
    })();
  }

  /** Queues the trigger runs of these events; called inside the transaction that raised them. */
  private queueRuns(events: readonly StoreEvent[], now: number): void {
    for (const e of events) for (const name of this.triggersFor(e)) this.s.queueTrigger!.run(name, e.type, JSON.stringify(e), now, now);
  }

  // ---- trigger runs -----------------------------------------------------------------------

  async claimTriggerRuns(now: number, max: number): Promise<TriggerRun[]> {
    return this.db.transaction((): TriggerRun[] => {
      const rows = this.s.dueTriggers!.all(now, max) as TriggerRow[];
      for (const r of rows) this.s.claimTrigger!.run(r.id);
      return rows.map((r) => toTriggerRun({ ...r, state: 'running', attempts: r.attempts + 1 }));
    })();
  }

  async finishTriggerRun(id: number, result: { ok: true } | { ok: false; error: string; retryAt: number | null }): Promise<void> {
    const now = Date.now();
    if (result.ok) this.s.triggerDone!.run(now, id);
    else if (result.retryAt !== null) this.s.triggerRetry!.run(result.error, result.retryAt, id);
    else this.s.triggerFailed!.run(result.error, now, id);
  }

  async nextTriggerAt(): Promise<number | null> {
    return (this.s.nextTrigger!.get() as { t: number | null }).t;
  }

  async recoverTriggerRuns(): Promise<number> {
    return this.s.recoverTriggers!.run().changes;
  }

  async triggerRuns(limit = 100): Promise<TriggerRun[]> {
    return (this.s.triggerRuns!.all(limit) as TriggerRow[]).map(toTriggerRun);
  }

  async messages(options: { since?: number; limit?: number } = {}): Promise<Message[]> {
    const rows = this.s.messages!.all(options.since ?? 0, options.limit ?? 1000) as Array<{ seq: number; at: number; level: Message['level']; source: string; batch_id: string | null; action_id: string | null; text: string }>;
    return rows.reverse().map((r) => ({ seq: r.seq, at: r.at, level: r.level, source: r.source, batch: r.batch_id, action: r.action_id, text: r.text }));
  }

  // ---- inspection -------------------------------------------------------------------------

  async listBatches(filter: BatchFilter = {}): Promise<BatchSummary[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.id !== undefined) where.push('b.id = ?'), args.push(filter.id);
    if (filter.state) where.push('b.state = ?'), args.push(filter.state);
    if (filter.since !== undefined) where.push('b.received_at >= ?'), args.push(filter.since);
    const sql = `SELECT b.id, b.state, b.source, b.received_at, b.finished_at,
        count(a.id) AS total,
        coalesce(sum(a.state = 'succeeded'), 0) AS succeeded, coalesce(sum(a.state = 'failed'), 0) AS failed,
        coalesce(sum(a.state = 'skipped'), 0) AS skipped, coalesce(sum(a.state = 'canceled'), 0) AS canceled
      FROM batches b LEFT JOIN actions a ON a.batch_id = b.id
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      GROUP BY b.id ORDER BY b.received_at DESC, b.id DESC LIMIT ?`;
    args.push(filter.limit ?? 1000);
    type Row = { id: string; state: BatchState; source: string; received_at: number; finished_at: number | null; total: number; succeeded: number; failed: number; skipped: number; canceled: number };
    return (this.db.prepare(sql).all(...args) as Row[]).map((r) => ({
      id: r.id,
      state: r.state,
      source: r.source,
      receivedAt: r.received_at,
      finishedAt: r.finished_at,
      counts: {
        total: r.total,
        succeeded: r.succeeded,
        failed: r.failed,
        skipped: r.skipped,
        canceled: r.canceled,
        pending: r.total - r.succeeded - r.failed - r.skipped - r.canceled,
      },
    }));
  }

  async batchDetail(id: string): Promise<BatchDetail | undefined> {
    const [summary] = await this.listBatches({ id, limit: 1 });
    if (!summary) return undefined;
    const deps = new Map<string, Dependency[]>();
    for (const d of this.s.batchDeps!.all(id) as Array<{ action_id: string; dep_batch_id: string; dep_action_id: string }>) {
      deps.set(d.action_id, [...(deps.get(d.action_id) ?? []), { batch: d.dep_batch_id, action: d.dep_action_id }]);
    }
    const actions: ActionDetail[] = (this.s.batchActions!.all(id) as ActionRow[]).map((r) => ({
      id: r.id,
      primaryId: r.primary_id,
      plugin: r.plugin,
      state: r.state,
      operation: r.operation,
      hostid: r.hostid,
      userid: r.userid,
      replyid: r.replyid,
      interactive: r.interactive === 1,
      attempts: r.attempts,
      nextAttemptAt: r.state === 'retrying' ? r.runnable_at : null,
      retval: r.retval,
      lastError: r.last_error,
      depends: deps.get(r.id) ?? [],
      startedAt: r.started_at,
      finishedAt: r.finished_at,
    }));
    return { ...summary, actions };
  }

  // ---- the simulated directory ------------------------------------------------------------

  async withDirectory<T>(hostid: string, fn: (dir: DirectoryTx) => T): Promise<T> {
    const s = this.s;
    const tx: DirectoryTx = {
      account: (userid) => {
        const r = s.dirAccount!.get(hostid, userid) as { data: string } | undefined;
        return r ? (JSON.parse(r.data) as DirectoryAccount) : undefined;
      },
      putAccount: (userid, account) => void s.dirPut!.run(hostid, userid, JSON.stringify(account)),
      deleteAccount: (userid) => void s.dirDelete!.run(hostid, userid),
      hasGroup: (groupid) => s.dirHasGroup!.get(hostid, groupid) !== undefined,
      putGroup: (groupid) => void s.dirPutGroup!.run(hostid, groupid),
      deleteGroup: (groupid) => void s.dirDeleteGroup!.run(hostid, groupid),
      accounts: () => (s.dirAccounts!.all(hostid) as Array<{ userid: string; data: string }>).map((r) => [r.userid, JSON.parse(r.data) as DirectoryAccount]),
    };
    return this.dirDb.transaction(() => fn(tx))();
  }

  async directory(hostid?: string): Promise<DirectoryDump> {
    const rows = (hostid ? this.s.dirHost!.all(hostid) : this.s.dirAll!.all()) as Array<{ hostid: string; userid: string; data: string }>;
    const out: DirectoryDump = {};
    for (const r of rows) (out[r.hostid] ??= {})[r.userid] = JSON.parse(r.data) as DirectoryAccount;
    return out;
  }

  // ---- operators --------------------------------------------------------------------------

  async findAction(actionId: string): Promise<string[]> {
    return (this.s.findAction!.all(actionId) as Array<{ batch_id: string }>).map((r) => r.batch_id);
  }

  async retryAction(batchId: string, actionId: string, note: string): Promise<OperatorResult> {
    return this.db.transaction((): OperatorResult => {
      const row = this.s.action!.get(batchId, actionId) as ActionRow | undefined;
      if (!row) return { ok: false, reason: `no action ${actionId} in batch ${batchId}` };
      if (row.state !== 'failed') return { ok: false, reason: `action ${actionId} of batch ${batchId} is ${row.state}; only a failed action can be retried` };
      const now = Date.now();
      const requeued: Array<{ batch: string; id: string }> = [];
      // The failed action and everything skipped because of it, in the order they wait.
      const stack: ActionRow[] = [row];
      const seen = new Set<string>();
      const affected = new Set<string>();
      while (stack.length > 0) {
        const r = stack.pop()!;
        const k = actionKey(r.batch_id, r.id);
        if (seen.has(k)) continue;
        seen.add(k);
        requeued.push({ batch: r.batch_id, id: r.id });
        affected.add(r.batch_id);
        this.s.requeue!.run(now, r.batch_id, r.id);
        for (const d of this.s.dependents!.all(r.batch_id, r.id) as Array<{ batch_id: string; action_id: string }>) {
          const dep = this.s.action!.get(d.batch_id, d.action_id) as ActionRow | undefined;
          if (dep && dep.state === 'skipped') stack.push(dep);
        }
      }
      const effects: Effects = { replies: [], events: [] };
      for (const b of affected) {
        const st = (this.s.batchState!.get(b) as { state: BatchState }).state;
        if (st === 'failed' || st === 'succeeded') this.s.setBatchState!.run('running', now, null, b);
      }
      for (const r of requeued) this.settleWaiting(r.batch, r.id, now, effects, affected);
      const names = requeued.map((r) => (r.batch === batchId ? r.id : `${r.id} of batch ${r.batch}`));
      this.s.postMessage!.run(now, 'info', 'operator', batchId, actionId, `retry: ${names.join(', ')} queued again${note ? ` (${note})` : ''}`);
      this.queueRuns(effects.events, now);
      return { ok: true, actions: names, effects };
    })();
  }

  async cancelBatch(batchId: string, note: string): Promise<OperatorResult> {
    return this.db.transaction((): OperatorResult => {
      const state = (this.s.batchState!.get(batchId) as { state: BatchState } | undefined)?.state;
      if (!state) return { ok: false, reason: `no batch ${batchId}` };
      if (state !== 'received' && state !== 'running') return { ok: false, reason: `batch ${batchId} is ${state}; nothing is left to cancel` };
      const now = Date.now();
      const effects: Effects = { replies: [], events: [] };
      const affected = new Set<string>();
      const open = (this.s.batchActions!.all(batchId) as ActionRow[]).filter((r) => !FINAL.has(r.state) && r.state !== 'running');
      const message = `canceled by an operator${note ? ` (${note})` : ''}`;
      for (const r of open) this.finalize(batchId, r.id, 'canceled', '', message, now, effects, affected);
      this.s.setBatchState!.run('canceled', now, now, batchId);
      effects.events.push({ type: 'batch.canceled', batch: batchId, state: 'canceled', at: now });
      affected.delete(batchId);
      this.completeBatches(affected, now, effects);
      this.s.postMessage!.run(now, 'info', 'operator', batchId, null, `cancel: ${open.length} action(s) canceled${note ? ` (${note})` : ''}`);
      this.queueRuns(effects.events, now);
      return { ok: true, actions: open.map((r) => r.id), effects };
    })();
  }

  async close(): Promise<void> {
    if (this.dirDb !== this.db) this.dirDb.close();
    this.db.close();
  }

  private tallyStatements: { actions: Statement; batches: Statement } | undefined;

  async tallies(): Promise<Tallies> {
    this.tallyStatements ??= {
      actions: this.db.prepare('SELECT state, operation, hostid, count(*) AS count FROM actions GROUP BY state, operation, hostid ORDER BY state, operation, hostid'),
      batches: this.db.prepare('SELECT state, count(*) AS count FROM batches GROUP BY state ORDER BY state'),
    };
    return {
      actions: this.tallyStatements.actions.all() as Tallies['actions'],
      batches: this.tallyStatements.batches.all() as Tallies['batches'],
    };
  }
}
