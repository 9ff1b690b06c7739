import Database, { type Database as Db } from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Dependency } from '../../batch/index.js';
import { TmonError } from '../../errors.js';
import { loadParser, parserLoaded } from '../../kvgroup/loaded-parser.js';
import type { SecretBox } from '../../secrets/index.js';
import { migrate } from '../migrate.js';
import { MIGRATIONS } from '../migrations/index.js';
import type {
  ActionResult,
  BatchDetail,
  BoardMessage,
  BatchFilter,
  BatchSummary,
  ClaimedAction,
  CommandOutcome,
  DaemonPresence,
  DirectoryDump,
  DirectoryScope,
  DirectoryTx,
  Effects,
  FindQuery,
  FoundAction,
  InsertOutcome,
  Message,
  NewBatch,
  NewMessage,
  OperatorCommand,
  OperatorResult,
  PurgeCut,
  PurgeReport,
  PausedHost,
  QueuedCommand,
  Reply,
  RewriteApplied,
  RewriteDecision,
  Store,
  StoreEvent,
  StuckAction,
  Tallies,
  TickInput,
  TickOutput,
  TriggerPayload,
  TriggerRun,
} from '../types.js';
import { noEffects, type RepliesMode, type StoreCtx } from './context.js';
import { DeferredCommit } from './deferred.js';
import { directoryDump, directoryTx } from './directory.js';
import { claimRunnable, completeActions } from './execution.js';
import { insertBatch, insertBatches, knownActions, replyidHolders } from './ingest.js';
import { batchDetail, listBatches } from './inspection.js';
import { cancelAction, cancelBatch, retryAction } from './operators.js';
import { recoverRunning } from './recovery.js';
import { pausedHosts, pauseHost, resumeHost } from './paused.js';
import { applyRewrites, releaseRewrites } from './rewrites.js';
import { toCommand, toMessage, toReply, toTriggerRun } from './rows.js';
import { ensureIncrementalVacuum, purge, releaseFreePages } from './retention.js';
import { adoptKey, type KeyAdoption } from './sealing.js';
import { prepareStatements, type Statements } from './statements.js';
import { claimTriggerRuns, finishTriggerRun, payloadOf, queueRuns } from './trigger-runs.js';
import { ackMessages, boardMessages, findActions, latestReplies, stuckActions } from './views.js';

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
  /** How long a write waits for another process's write lock (config storeBusyTimeoutMs); default 5000. */
  busyTimeoutMs?: number;
  /**
   * The daemon's secret key (src/secrets): every password the store writes is sealed with it, and
   * opened only in the claims handed to plugins and connectors. Checked against the store's key
   * at open: a store sealed with another key is refused. Without it (tests, CLI readers) nothing
   * is sealed or opened, and a store that holds sealed passwords refuses to write a plain one.
   */
  secrets?: SecretBox;
}

/**
 * A reader cannot migrate: a store an older tmon wrote is refused with what to do, rather than
 * failing on the first table it lacks.
 */
function assertCurrentSchema(db: Db, path: string): void {
  const latest = MIGRATIONS.at(-1)!.version;
  let version = 0;
  try {
    version = db.prepare<[], { v: number | null }>('SELECT max(version) AS v FROM schema_migrations').get()?.v ?? 0;
  } catch {
    // No migrations table: a store from before any was recorded.
  }
  if (version < latest) throw new TmonError('STORE_OLD', `${path} is at schema version ${version}, this tmon needs ${latest}: start the daemon once to upgrade it`);
}

/**
 * The SQLite store: one file, WAL journal, one writer (the daemon), any number of readers. Each
 * concern lives in its own module of this folder; this class holds the connection and answers
 * the `Store` interface with them.
 */
export class SqliteStore implements Store {
  readonly db: Db;
  /**
   * Writes left for the next commit: the simulated directory's, which commit with the result of
   * the action that made them (no transaction of their own), and deferred turns.
   */
  private readonly deferred: DeferredCommit;
  private readonly s: Statements;
  private readonly ctx: StoreCtx;
  /** What opening with `secrets` did with the key (see `KeyAdoption`); undefined without one. */
  readonly keyAdoption: KeyAdoption | undefined;
  /** Why the store could not be vacuumed after its plain-text passwords were sealed, if it could not. */
  readonly vacuumError: string | undefined;

  constructor(path: string, options: SqliteStoreOptions = {}) {
    if (options.readonly || options.mustExist) {
      if (!existsSync(path)) throw new TmonError('STORE_MISSING', `no database at ${path}: the daemon has not run on this home yet`);
    } else mkdirSync(dirname(path), { recursive: true });
    // A reader opens read-write but query-only: SQLite's read-only mode cannot open a WAL
    // database whose shared-memory file is missing, and query_only refuses every write anyway.
    this.db = new Database(path, { fileMustExist: options.readonly ?? false });
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    if (options.readonly) {
      this.db.pragma('query_only = ON');
      assertCurrentSchema(this.db, path);
    } else {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
      this.db.pragma('foreign_keys = ON');
      if (path !== ':memory:') ensureIncrementalVacuum(this.db);
      migrate(this.db);
      if (options.secrets) {
        // Sealing a store from before sealing parses its batches inside this transaction: the
        // parser must be there already, whatever the store holds (openStore loads it).
        if (!parserLoaded()) throw new TmonError('INTERNAL', 'a store opened with a secret key needs the KVGroup parser loaded first (await loadParser(), as openStore does)');
        this.keyAdoption = adoptKey(this.db, options.secrets, path);
        // Passwords a tmon before sealing wrote in plain text are sealed now; VACUUM rewrites the
        // file without the pages that held them, and the checkpoint empties the WAL of them.
        if (this.keyAdoption === 'sealed' && path !== ':memory:') {
          try {
            this.db.exec('VACUUM');
            this.db.pragma('wal_checkpoint(TRUNCATE)');
          } catch (err) {
            this.vacuumError = (err as Error).message;
          }
        }
      }
    }
    this.deferred = new DeferredCommit(this.db);
    this.s = prepareStatements(this.db);
    let queueSeq = options.readonly ? 0 : (this.s.maxQueueSeq.get()?.m ?? 0);
    this.ctx = {
      db: this.db,
      s: this.s,
      repliesMode: options.repliesMode ?? 'action',
      triggersFor: options.triggersFor ?? (() => []),
      nextQueueSeq: () => ++queueSeq,
      hosts: new Set(options.readonly ? [] : this.s.hosts.all().map((r) => r.hostid)),
      box: options.secrets,
      keyed: this.db.prepare('SELECT 1 FROM secret_key_check').get() !== undefined,
    };
  }

  // ---- batches in
  async insertBatch(batch: NewBatch): Promise<InsertOutcome> {
    return insertBatch(this.ctx, batch);
  }
  async insertBatches(batches: readonly NewBatch[]): Promise<Array<{ ok: true; outcome: InsertOutcome } | { ok: false; error: unknown }>> {
    return insertBatches(this.ctx, batches);
  }
  /** The content digest of a held batch (tmon submit tells a duplicate from a conflict by it). */
  async batchDigest(id: string): Promise<string | undefined> {
    return this.s.batchDigest.get(id)?.digest;
  }
  async openActions(): Promise<number> {
    return this.s.openActions.get()?.n ?? 0;
  }
  async knownActions(refs: readonly Dependency[]): Promise<Set<string>> {
    return knownActions(this.ctx, refs);
  }
  async replyidHolders(batchId: string, replyids: readonly string[]): Promise<Map<string, string>> {
    return replyidHolders(this.ctx, batchId, replyids);
  }

  // ---- running
  async claimRunnable(now: number, capacity: (hostid: string, running: number) => number, max: number, rewrite = false): Promise<ClaimedAction[]> {
    // A claim for a rewrite may parse the text of an older batch (contextOf), synchronously.
    if (rewrite && !parserLoaded()) await loadParser();
    return claimRunnable(this.ctx, now, capacity, max, rewrite);
  }
  async applyRewrites(decisions: readonly RewriteDecision[], holdMs = 5000): Promise<RewriteApplied> {
    return applyRewrites(this.ctx, decisions, holdMs);
  }
  async tick(input: TickInput): Promise<TickOutput> {
    if (input.claim?.rewrite && !parserLoaded()) await loadParser();
    return input.defer ? this.deferred.hold(() => this.turn(input)) : this.turn(input);
  }
  async commitDeferred(): Promise<void> {
    this.deferred.commit();
  }
  private turn(input: TickInput): TickOutput {
    return this.db.transaction((): TickOutput => {
      const done = input.results.length > 0 ? completeActions(this.ctx, input.results) : { replies: [], events: [] };
      const applied = input.decisions.length > 0 ? applyRewrites(this.ctx, input.decisions, input.holdMs) : { effects: { replies: [], events: [] } };
      const c = input.claim;
      // An action whose password does not open fails as it is claimed: its effects are the turn's too.
      const failed = noEffects();
      const claims = c ? claimRunnable(this.ctx, c.now, c.capacity, c.max, c.rewrite, failed) : [];
      return {
        effects: { replies: [...done.replies, ...applied.effects.replies, ...failed.replies], events: [...done.events, ...applied.effects.events, ...failed.events] },
        claims,
      };
    })();
  }
  async releaseRewrites(refs: ReadonlyArray<{ batchId: string; id: string }>): Promise<void> {
    releaseRewrites(this.ctx, refs);
  }
  async completeAction(batchId: string, actionId: string, result: ActionResult): Promise<Effects> {
    return completeActions(this.ctx, [{ batchId, actionId, result }]);
  }
  async completeActions(results: ReadonlyArray<{ batchId: string; actionId: string; result: ActionResult }>): Promise<Effects> {
    return completeActions(this.ctx, results);
  }
  async nextRetryAt(): Promise<number | null> {
    return this.s.nextRetry.get()?.t ?? null;
  }
  async recoverRunning(): Promise<number> {
    return recoverRunning(this.ctx);
  }

  // ---- replies and messages
  async unmirroredReplies(): Promise<Reply[]> {
    return this.s.unmirrored.all().map(toReply);
  }
  /** One daemon per home (the lock): no other daemon's replies to adopt. */
  async adoptOrphanReplies(): Promise<Reply[]> {
    return [];
  }
  async markMirrored(seqs: readonly number[]): Promise<void> {
    if (seqs.length > 0) this.db.transaction(() => this.s.markMirrored.run(JSON.stringify(seqs)))();
  }
  async replies(after = 0, limit = 1000): Promise<Reply[]> {
    return this.s.replies.all(after, limit).map(toReply);
  }
  async postMessage(m: NewMessage, events: readonly StoreEvent[] = []): Promise<void> {
    this.db.transaction(() => {
      const now = m.at ?? Date.now();
      this.s.postMessage.run(now, m.level, m.source, m.batch, m.action, m.text);
      queueRuns(this.ctx, events, now);
    })();
  }
  async messages(options: { since?: number; limit?: number } = {}): Promise<Message[]> {
    return this.s.messages
      .all(options.since ?? 0, options.limit ?? 1000)
      .reverse()
      .map(toMessage);
  }

  async batchMessages(batchId: string, limit = 100): Promise<Message[]> {
    return this.s.batchMessages.all(batchId, limit).map(toMessage);
  }

  // ---- trigger runs
  async claimTriggerRuns(now: number, max: number): Promise<TriggerRun[]> {
    return claimTriggerRuns(this.ctx, now, max);
  }
  async finishTriggerRun(id: number, result: { ok: true } | { ok: false; error: string; retryAt: number | null }): Promise<void> {
    finishTriggerRun(this.ctx, id, result);
  }
  async nextTriggerAt(): Promise<number | null> {
    return this.s.nextTrigger.get()?.t ?? null;
  }
  async recoverTriggerRuns(): Promise<number> {
    return this.s.recoverTriggers.run().changes;
  }
  async triggerPayload(event: StoreEvent): Promise<TriggerPayload> {
    return payloadOf(this.ctx, event);
  }
  async triggerRuns(limit = 100): Promise<TriggerRun[]> {
    return this.s.triggerRuns.all(limit).map(toTriggerRun);
  }

  // ---- inspection
  async listBatches(filter: BatchFilter = {}): Promise<BatchSummary[]> {
    return listBatches(this.ctx, filter);
  }
  async batchDetail(id: string): Promise<BatchDetail | undefined> {
    return batchDetail(this.ctx, id);
  }
  async findAction(actionId: string): Promise<string[]> {
    return this.s.findAction.all(actionId).map((r) => r.batch_id);
  }

  // ---- the simulated directory
  // The scope is for stores that fetch rows over a connection; SQLite reads them as asked.
  async withDirectory<T>(hostid: string, fn: (dir: DirectoryTx) => T, _scope?: DirectoryScope): Promise<T> {
    // In the connection's open transaction: committed with the action's result (see DeferredCommit).
    return this.deferred.hold(() => this.db.transaction(() => fn(directoryTx(this.s, hostid)))());
  }
  async directory(hostid?: string): Promise<DirectoryDump> {
    return directoryDump(this.s, hostid);
  }

  // ---- operators
  async retryAction(batchId: string, actionId: string, note: string): Promise<OperatorResult> {
    return retryAction(this.ctx, batchId, actionId, note);
  }
  async cancelBatch(batchId: string, note: string): Promise<OperatorResult> {
    return cancelBatch(this.ctx, batchId, note);
  }

  async tallies(): Promise<Tallies> {
    return { actions: this.s.actionTallies.all(), batches: this.s.batchTallies.all() };
  }

  // ---- commands and presence
  async queueCommand(command: OperatorCommand): Promise<number> {
    const { kind, ...args } = command;
    return Number(this.s.queueCommand.run(kind, JSON.stringify(args), Date.now()).lastInsertRowid);
  }
  async pendingCommands(): Promise<QueuedCommand[]> {
    return this.s.pendingCommands.all().map(toCommand);
  }
  async finishCommand(id: number, outcome: CommandOutcome): Promise<void> {
    this.s.finishCommand.run(JSON.stringify(outcome), Date.now(), id);
  }
  async command(id: number): Promise<QueuedCommand | undefined> {
    const r = this.s.command.get(id);
    return r ? toCommand(r) : undefined;
  }
  async heartbeat(pid: number, startedAt: number): Promise<void> {
    this.s.heartbeat.run(pid, startedAt, Date.now());
  }
  async leave(pid: number): Promise<void> {
    this.s.leave.run(pid);
  }
  async presence(): Promise<DaemonPresence | undefined> {
    const r = this.s.presence.get();
    return r ? { pid: r.pid, startedAt: r.started_at, heartbeatAt: r.heartbeat_at } : undefined;
  }

  async purge(cut: PurgeCut, options: { dryRun?: boolean } = {}): Promise<PurgeReport> {
    const report = purge(this.ctx, cut, options.dryRun ?? false);
    // Only a purge that removed something has pages to give back (and a checkpoint to pay for).
    if (!options.dryRun && (report.batches.length || report.messages || report.triggerRuns || report.commands)) releaseFreePages(this.db);
    return report;
  }
  /** A reloaded config's triggers: events from now on start these (the daemon's reload). */
  setTriggersFor(fn: (event: StoreEvent) => string[]): void {
    this.ctx.triggersFor = fn;
  }
  // ---- operator views and the per-action and per-target operator commands
  async cancelAction(batchId: string, actionId: string, note: string): Promise<OperatorResult> {
    return cancelAction(this.ctx, batchId, actionId, note);
  }
  async pauseHost(hostid: string, note: string): Promise<OperatorResult> {
    return pauseHost(this.ctx, hostid, note);
  }
  async resumeHost(hostid: string, note: string): Promise<OperatorResult> {
    return resumeHost(this.ctx, hostid, note);
  }
  async pausedHosts(): Promise<PausedHost[]> {
    return pausedHosts(this.ctx);
  }
  async findActions(query: FindQuery, limit = 100): Promise<FoundAction[]> {
    return findActions(this.ctx, query, limit);
  }
  async stuckActions(now = Date.now()): Promise<StuckAction[]> {
    return stuckActions(this.ctx, now);
  }
  async boardMessages(options: { all?: boolean; since?: number; limit?: number } = {}): Promise<BoardMessage[]> {
    return boardMessages(this.ctx, options);
  }
  async ackMessages(upTo: number | 'all'): Promise<number> {
    return ackMessages(this.ctx, upTo, Date.now());
  }
  async latestReplies(limit: number): Promise<Reply[]> {
    return latestReplies(this.ctx, limit);
  }

  async close(): Promise<void> {
    if (this.db.open) this.deferred.commit();
    this.db.close();
  }
}
