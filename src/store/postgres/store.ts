import { loadParser, parserLoaded } from '../../kvgroup/loaded-parser.js';
import pg from 'pg';
import type { PoolClient } from 'pg';
import type { Dependency } from '../../batch/index.js';
import { TmonError } from '../../errors.js';
import { toCommand, toMessage, toReply, toTriggerRun } from '../sqlite/rows.js';
import type { KeyAdoption } from '../sqlite/sealing.js';
import type * as T from '../types.js';
import { contextOn, noEffects, type PgCtx, type PgSettings } from './context.js';
import { createPool, session, transaction, type CommitTail } from './db.js';
import { listenForWork } from './listener.js';
import { ClaimGate, mayHelpOthers } from './wakeups.js';
import { defaultOwner, describeUrl, type PostgresStoreOptions } from './options.js';
import { directoryDump, withDirectory } from './directory.js';
import { claimRunnable, completeActions, turn, turnHead } from './execution.js';
import { insertBatch, knownActions, replyidHolders } from './ingest.js';
import { refreshLeases } from './leases.js';
import { migratePg } from './migrate.js';
import { PG_MIGRATIONS } from './migrations/index.js';
import { cancelAction, cancelBatch, pauseHost, Refused, resumeHost, retryAction } from './operators.js';
import { recoverRows } from './recovery.js';
import { purge } from './retention.js';
import { applyRewrites, releaseRewrites } from './rewrites.js';
import { adoptKey, sealedCount } from './sealing.js';
import { payloadOf, queueRuns } from './trigger-runs.js';
import { batchDetail, boardMessages, findActions, latestReplies, listBatches, stuckActions } from './views.js';

/**
 * The PostgreSQL store: several daemons share one database, each running the batches it leases
 * (docs/postgres.md). Every method that changes state is one transaction on one pooled client;
 * those that change the batch graph take the graph lock (db.ts). Open with `PostgresStore.open`.
 */
export class PostgresStore implements T.Store {
  readonly owner: string;
  keyAdoption: KeyAdoption | undefined;

  /** The connection that hears other daemons' work (onWork), if listening. */
  private listener: pg.Client | undefined;
  /** Whether a turn with nothing to record needs a claim under the graph lock (wakeups.ts). */
  private readonly gate = new ClaimGate();

  private constructor(
    private readonly pool: pg.Pool,
    private readonly settings: PgSettings,
    readonly where: string,
    private readonly conn: { url: string; schema: string },
  ) {
    this.owner = settings.owner;
  }

  /** Connects, migrates (unless told not to), and checks the key; the pool is closed on failure. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const schema = options.schema ?? 'tmon';
    const pool = createPool(options.url, schema, options.poolSize ?? 10);
    // An idle client's error (the server went away) must not crash the process; the next query says so.
    pool.on('error', () => undefined);
    const where = describeUrl(options.url, schema);
    const settings: PgSettings = {
      owner: options.owner ?? defaultOwner(),
      repliesMode: options.repliesMode ?? 'action',
      triggersFor: options.triggersFor ?? (() => []),
      box: options.secrets,
      keyed: false,
      leaseMs: options.leaseMs ?? 15_000,
      leaseBatches: options.leaseBatches ?? 32,
      capacityHints: new Map(),
    };
    const store = new PostgresStore(pool, settings, where, { url: options.url, schema });
    try {
      if (options.migrate === false) await store.assertCurrentSchema();
      else await migratePg(pool, schema);
      if (options.secrets) store.keyAdoption = await store.tx(false, (c) => adoptKey(c.s, options.secrets!, where));
      settings.keyed = (await store.read((c) => c.s.keyCheck.get())) !== undefined;
    } catch (err) {
      await pool.end();
      throw err;
    }
    return store;
  }

  private async assertCurrentSchema(): Promise<void> {
    const latest = PG_MIGRATIONS.at(-1)!.version;
    const rows = await this.pool.query<{ v: number | null }>(`SELECT max(version) AS v FROM schema_migrations`).catch(() => undefined);
    if (!rows) throw new TmonError('STORE_MISSING', `no tmon store at ${this.where}: the daemon has not run on it yet (or run tmon migrate)`);
    const version = rows.rows[0]?.v ?? 0;
    if (version < latest) throw new TmonError('STORE_OLD', `${this.where} is at schema version ${version}, this tmon needs ${latest}: run tmon migrate, or start the daemon once`);
  }

  private ctx(client: PoolClient, tail: CommitTail): PgCtx {
    return contextOn(this.settings, client, tail);
  }
  /**
   * One transaction; `graph`: it changes the batch graph, so it takes the graph lock; `notify`:
   * it may let another daemon start something, which hears of it at COMMIT (onWork).
   */
  private tx<R>(graph: boolean, fn: (ctx: PgCtx) => Promise<R>, notify = false): Promise<R> {
    // This store's own change to the graph may make something claimable (a turn's is its claim's).
    if (graph) this.gate.stirred();
    return transaction(this.pool, graph, (client, tail) => fn(this.ctx(client, tail)), notify ? this.owner : undefined);
  }
  /**
   * Calls `fn` when another daemon of this schema commits what may let this one start something
   * (listener.ts): a wake-up only, never the only way work is found.
   */
  async onWork(fn: () => void): Promise<void> {
    const heard = (): void => {
      this.gate.stirred();
      fn();
    };
    const lost = (): void => {
      this.listener = undefined;
      this.gate.reset();
    };
    this.listener = await listenForWork(this.conn.url, this.conn.schema, this.owner, heard, lost);
  }
  /** A read: one client, no transaction (each statement sees committed data). */
  private async read<R>(fn: (ctx: PgCtx) => Promise<R>): Promise<R> {
    const client = await this.pool.connect();
    try {
      // Outside a transaction nothing waits for a COMMIT: a read has no tail.
      return await fn(this.ctx(client, { sql: [], notify: undefined }));
    } finally {
      client.release();
    }
  }
  private get aliveSince(): number {
    return Date.now() - this.settings.leaseMs;
  }

  // ---- batches in
  insertBatch(batch: T.NewBatch): Promise<T.InsertOutcome> {
    return this.tx(true, (c) => insertBatch(c, batch), true);
  }
  /** Several batches in one transaction, each in a savepoint, so one refused leaves the others. */
  insertBatches(batches: readonly T.NewBatch[]): Promise<Array<{ ok: true; outcome: T.InsertOutcome } | { ok: false; error: unknown }>> {
    return this.tx(true, async (c) => {
      const out: Array<{ ok: true; outcome: T.InsertOutcome } | { ok: false; error: unknown }> = [];
      for (const b of batches) {
        await c.query('SAVEPOINT one_batch');
        try {
          out.push({ ok: true, outcome: await insertBatch(c, b) });
          await c.query('RELEASE SAVEPOINT one_batch');
        } catch (error) {
          await c.query('ROLLBACK TO SAVEPOINT one_batch');
          out.push({ ok: false, error });
        }
      }
      return out;
    }, true);
  }
  async batchDigest(id: string): Promise<string | undefined> {
    return (await this.read((c) => c.s.batchDigest.get(id)))?.digest;
  }
  async openActions(): Promise<number> {
    return (await this.read((c) => c.s.openActions.get()))?.n ?? 0;
  }
  knownActions(refs: readonly Dependency[]): Promise<Set<string>> {
    return this.read((c) => knownActions(c, refs));
  }
  replyidHolders(batchId: string, replyids: readonly string[]): Promise<Map<string, string>> {
    return this.read((c) => replyidHolders(c, batchId, replyids));
  }

  // ---- running
  async claimRunnable(now: number, capacity: (hostid: string, running: number) => number, max: number, rewrite = false): Promise<T.ClaimedAction[]> {
    // A claim for a rewrite may parse an older batch's text for its context (execution.ts `contextOf`).
    if (rewrite && !parserLoaded()) await loadParser();
    return this.tx(true, (c) => claimRunnable(c, now, capacity, max, rewrite));
  }
  applyRewrites(decisions: readonly T.RewriteDecision[], holdMs = 5000): Promise<T.RewriteApplied> {
    return this.tx(true, (c) => applyRewrites(c, decisions, holdMs));
  }
  async tick(input: T.TickInput): Promise<T.TickOutput> {
    const k = input.claim;
    if (k?.rewrite && !parserLoaded()) await loadParser();
    if (k && input.results.length === 0 && input.decisions.length === 0 && this.gate.quiet(k, this.listener !== undefined)) return { effects: noEffects(), claims: [] };
    const mark = this.gate.mark;
    const at = Date.now();
    // The turn's first statements go with BEGIN and the lock (execution.ts `turnHead`).
    const head = turnHead(this.settings, input, at);
    let notes: PgCtx | undefined;
    try {
      const out = await transaction(
        this.pool,
        true,
        async (client, tail, results) => {
          const c = (notes = this.ctx(client, tail));
          const out = await turn(c, input, at, head.read(results));
          c.tail.notify = mayHelpOthers(c) ? this.owner : undefined;
          return out;
        },
        undefined,
        head.statements,
      );
      if (k) this.gate.claimed(mark, at, k, out.claims.length, notes!);
      return out;
    } catch (err) {
      this.gate.reset();
      throw err;
    }
  }
  releaseRewrites(refs: ReadonlyArray<{ batchId: string; id: string }>): Promise<void> {
    return this.tx(true, (c) => releaseRewrites(c, refs));
  }
  completeAction(batchId: string, actionId: string, result: T.ActionResult): Promise<T.Effects> {
    return this.completeActions([{ batchId, actionId, result }]);
  }
  completeActions(results: ReadonlyArray<{ batchId: string; actionId: string; result: T.ActionResult }>): Promise<T.Effects> {
    return this.tx(true, (c) => completeActions(c, results), true);
  }
  async nextRetryAt(): Promise<number | null> {
    return (await this.read((c) => c.s.nextRetry.get()))?.t ?? null;
  }
  /**
   * At start: this daemon's own leftovers run again, flagged as a recovery, and batches whose
   * lease expired are taken over (their running actions recovered likewise). A live daemon's
   * running actions are never touched: its leases are fresh.
   */
  recoverRunning(): Promise<number> {
    return this.tx(true, async (c) => (await recoverRows(c, await c.s.ownRunning.all(c.owner))) + (await refreshLeases(c, Date.now())));
  }

  // ---- replies and messages
  /** This daemon's replies not yet in its outbox, with those no live daemon owns (adopted now). */
  unmirroredReplies(): Promise<T.Reply[]> {
    return this.tx(false, async (c) => {
      await c.s.adoptOrphanReplies.all(c.owner, this.aliveSince);
      return (await c.s.unmirrored.all(c.owner)).map(toReply);
    });
  }
  async adoptOrphanReplies(): Promise<T.Reply[]> {
    return (await this.tx(false, (c) => c.s.adoptOrphanReplies.all(c.owner, this.aliveSince))).map(toReply);
  }
  async markMirrored(seqs: readonly number[]): Promise<void> {
    if (seqs.length > 0) await this.tx(false, (c) => c.s.markMirrored.run([...seqs]));
  }
  async replies(after = 0, limit = 1000): Promise<T.Reply[]> {
    return (await this.read((c) => c.s.replies.all(after, limit))).map(toReply);
  }
  postMessage(m: T.NewMessage, events: readonly T.StoreEvent[] = []): Promise<void> {
    return this.tx(false, async (c) => {
      const now = m.at ?? Date.now();
      await c.s.postMessage.run(now, m.level, m.source, m.batch, m.action, m.text);
      await queueRuns(c, events, now);
    });
  }
  async messages(options: { since?: number; limit?: number } = {}): Promise<T.Message[]> {
    return (await this.read((c) => c.s.messages.all(options.since ?? 0, options.limit ?? 1000))).reverse().map(toMessage);
  }
  async batchMessages(batchId: string, limit = 100): Promise<T.Message[]> {
    return (await this.read((c) => c.s.batchMessages.all(batchId, limit))).map(toMessage);
  }

  // ---- trigger runs: each claimed by one daemon
  async claimTriggerRuns(now: number, max: number): Promise<T.TriggerRun[]> {
    const rows = await this.tx(false, (c) => c.s.claimTriggers.all(c.owner, now, max));
    return rows.sort((a, b) => a.next_at - b.next_at || a.id - b.id).map(toTriggerRun);
  }
  async finishTriggerRun(id: number, result: { ok: true } | { ok: false; error: string; retryAt: number | null }): Promise<void> {
    const now = Date.now();
    await this.tx(false, (c) =>
      result.ok ? c.s.triggerDone.run(now, id) : result.retryAt !== null ? c.s.triggerRetry.run(result.error, result.retryAt, id) : c.s.triggerFailed.run(result.error, now, id),
    );
  }
  async nextTriggerAt(): Promise<number | null> {
    return (await this.read((c) => c.s.nextTrigger.get()))?.t ?? null;
  }
  /** Runs this daemon, or a daemon no longer alive, left running are pending again. */
  recoverTriggerRuns(): Promise<number> {
    return this.tx(false, (c) => c.s.recoverTriggers.run(c.owner, this.aliveSince));
  }
  triggerPayload(event: T.StoreEvent): Promise<T.TriggerPayload> {
    return this.read((c) => payloadOf(c, event));
  }
  async triggerRuns(limit = 100): Promise<T.TriggerRun[]> {
    return (await this.read((c) => c.s.triggerRuns.all(limit))).map(toTriggerRun);
  }

  // ---- inspection and the simulated directory
  listBatches(filter: T.BatchFilter = {}): Promise<T.BatchSummary[]> {
    return this.read((c) => listBatches(c, filter));
  }
  batchDetail(id: string): Promise<T.BatchDetail | undefined> {
    return this.read((c) => batchDetail(c, id));
  }
  async findAction(actionId: string): Promise<string[]> {
    return (await this.read((c) => c.s.findAction.all(actionId))).map((r) => r.batch_id);
  }
  withDirectory<R>(hostid: string, fn: (dir: T.DirectoryTx) => R, scope?: T.DirectoryScope): Promise<R> {
    return session(this.pool, (client) => withDirectory(client, hostid, fn, scope));
  }
  directory(hostid?: string): Promise<T.DirectoryDump> {
    return this.read((c) => directoryDump(c.s, hostid));
  }

  // ---- operators
  async retryAction(batchId: string, actionId: string, note: string): Promise<T.OperatorResult> {
    try {
      return await this.tx(true, (c) => retryAction(c, batchId, actionId, note), true);
    } catch (err) {
      // Refused once under way: the transaction was rolled back, nothing changed.
      if (err instanceof Refused) return { ok: false, reason: err.message };
      throw err;
    }
  }
  cancelBatch(batchId: string, note: string): Promise<T.OperatorResult> {
    return this.tx(true, (c) => cancelBatch(c, batchId, note), true);
  }
  cancelAction(batchId: string, actionId: string, note: string): Promise<T.OperatorResult> {
    return this.tx(true, (c) => cancelAction(c, batchId, actionId, note), true);
  }
  pauseHost(hostid: string, note: string): Promise<T.OperatorResult> {
    return this.tx(true, (c) => pauseHost(c, hostid, note));
  }
  resumeHost(hostid: string, note: string): Promise<T.OperatorResult> {
    return this.tx(true, (c) => resumeHost(c, hostid, note), true);
  }
  async pausedHosts(): Promise<T.PausedHost[]> {
    return (await this.read((c) => c.s.pausedHosts.all())).map((r) => ({ hostid: r.hostid, pausedAt: r.paused_at, note: r.note }));
  }
  async tallies(): Promise<T.Tallies> {
    return this.read(async (c) => ({ actions: await c.s.actionTallies.all(), batches: await c.s.batchTallies.all() }));
  }
  purge(cut: T.PurgeCut, options: { dryRun?: boolean } = {}): Promise<T.PurgeReport> {
    return this.tx(true, (c) => purge(c, cut, options.dryRun ?? false));
  }
  findActions(query: T.FindQuery, limit = 100): Promise<T.FoundAction[]> {
    return this.read((c) => findActions(c, query, limit));
  }
  stuckActions(now = Date.now()): Promise<T.StuckAction[]> {
    return this.read((c) => stuckActions(c, now));
  }
  boardMessages(options: { all?: boolean; since?: number; limit?: number } = {}): Promise<T.BoardMessage[]> {
    return this.read((c) => boardMessages(c, options));
  }
  ackMessages(upTo: number | 'all'): Promise<number> {
    return this.tx(false, (c) => c.s.ackMessages.run(Date.now(), upTo === 'all' ? Number.MAX_SAFE_INTEGER : upTo));
  }
  latestReplies(limit: number): Promise<T.Reply[]> {
    return this.read((c) => latestReplies(c, limit));
  }

  // ---- commands (each applied by one daemon) and presence
  async queueCommand(command: T.OperatorCommand): Promise<number> {
    const { kind, ...args } = command;
    return (await this.tx(false, (c) => c.s.queueCommand.get(kind, JSON.stringify(args), Date.now())))!.id;
  }
  /** Pending commands this daemon takes to apply: none is handed to two live daemons. */
  async pendingCommands(): Promise<T.QueuedCommand[]> {
    const rows = await this.tx(false, (c) => c.s.takeCommands.all(c.owner, this.aliveSince));
    return rows.sort((a, b) => a.id - b.id).map(toCommand);
  }
  async finishCommand(id: number, outcome: T.CommandOutcome): Promise<void> {
    await this.tx(false, (c) => c.s.finishCommand.run(JSON.stringify(outcome), Date.now(), id));
  }
  async command(id: number): Promise<T.QueuedCommand | undefined> {
    const r = await this.read((c) => c.s.command.get(id));
    return r ? toCommand(r) : undefined;
  }
  /** This daemon is alive: its row is fresh and its leases last another `leaseMs`. */
  async heartbeat(pid: number, startedAt: number): Promise<void> {
    const now = Date.now();
    await this.tx(false, async (c) => {
      await c.s.heartbeat.run(c.owner, pid, startedAt, now);
      await c.s.renewLeases.run(now + c.leaseMs, c.owner);
    });
  }
  /** A clean stop (of this daemon, `pid`): its row goes, and its leases with it (another daemon takes the batches at once). */
  async leave(pid: number): Promise<void> {
    await this.tx(false, async (c) => {
      if ((await c.s.leave.run(c.owner, pid)) > 0) await c.s.dropLeases.run(c.owner);
    }, true);
  }
  /** The daemon that said it was alive last, if any did. */
  async presence(): Promise<T.DaemonPresence | undefined> {
    const r = await this.read((c) => c.s.presence.get());
    return r ? { pid: r.pid, startedAt: r.started_at, heartbeatAt: r.heartbeat_at } : undefined;
  }
  /**
   * Whether a new key must not be made for this store: it holds passwords sealed with a key, or
   * has a key at all (another daemon of the database runs with it, and will seal with it).
   */
  async hasKey(): Promise<boolean> {
    return this.read(async (c) => (await c.s.keyCheck.get()) !== undefined || (await sealedCount(c.s)) > 0);
  }
  /** A reloaded config's triggers: events from now on start these. */
  setTriggersFor(fn: (event: T.StoreEvent) => string[]): void {
    this.settings.triggersFor = fn;
  }
  /** Every transaction commits as it ends here (`TickInput.defer` is a hint this store does not take): nothing waits. */
  async commitDeferred(): Promise<void> {}

  async close(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.pool.end();
  }
}
