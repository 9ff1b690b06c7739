import type { Dependency } from '../batch/index.js';
import type { ActionResult, BatchDetail, BatchFilter, BatchSummary, ClaimedAction, DirectoryDump, DirectoryScope, DirectoryTx, Effects, InsertOutcome, Message, NewBatch, NewMessage, Reply, RewriteApplied, RewriteDecision, StoreEvent, TickInput, TickOutput, TriggerPayload, TriggerRun } from './model-types.js';
import type { BoardMessage, CommandOutcome, DaemonPresence, FindQuery, FoundAction, OperatorCommand, OperatorResult, PausedHost, PurgeCut, PurgeReport, QueuedCommand, StuckAction, Tallies } from './operator-types.js';

/*
 * The store's contract: the `Store` interface (below) and the types it speaks, in
 * model-types.ts (batches, actions, replies, events) and operator-types.ts (operators'
 * commands and views).
 */
export * from './model-types.js';
export * from './operator-types.js';

/**
 * Everything the engine keeps. Asynchronous at its edges, so a backend shared by several
 * daemons (PostgreSQL) can implement it without the engine changing; every method that
 * changes state is one transaction.
 */
export interface Store {
  /**
   * Stores a batch, its actions ready or waiting by their dependencies. The same id with the
   * same content is a `duplicate` (a `batch.resubmitted` event), with other content a `conflict`.
   * A replyid another batch holds refuses it: `ReplyidTakenError`.
   */
  insertBatch(batch: NewBatch): Promise<InsertOutcome>;
  /**
   * Several batches in one transaction (one disk flush), each as `insertBatch` would store it;
   * one that is refused (its error returned) leaves the others stored.
   */
  insertBatches(batches: readonly NewBatch[]): Promise<Array<{ ok: true; outcome: InsertOutcome } | { ok: false; error: unknown }>>;
  /** The content digest of a held batch: the same batch submitted again has the same one. */
  batchDigest(id: string): Promise<string | undefined>;
  /** How many actions are not final: what the inbox's budget counts. */
  openActions(): Promise<number>;
  /** Which of these actions tmon holds, as `actionKey`s. */
  knownActions(refs: readonly Dependency[]): Promise<Set<string>>;
  /** Which of these replyids a batch other than `batchId` holds: replyid → that batch. */
  replyidHolders(batchId: string, replyids: readonly string[]): Promise<Map<string, string>>;
  /**
   * Marks up to `max` runnable actions running, interactive ones first, within each target's
   * capacity. With `rewrite`, a submitted action not yet rewritten is claimed for its rewrite
   * (`ClaimedAction.rewrite`; its attempts do not count up); otherwise for its connector.
   */
  claimRunnable(now: number, capacity: (hostid: string, running: number) => number, max: number, rewrite?: boolean): Promise<ClaimedAction[]>;
  /** Records what the rewrite step decided for claimed primaries, in one transaction. */
  applyRewrites(decisions: readonly RewriteDecision[], holdMs?: number): Promise<RewriteApplied>;
  /** Results, rewrite decisions and new claims of one engine turn, in one transaction. */
  tick(input: TickInput): Promise<TickOutput>;
  /**
   * Commits the turns `tick` was allowed to defer (`TickInput.defer`), with the writes
   * `withDirectory` made since; resolves once they are durable. Nothing to do when nothing waits.
   */
  commitDeferred(): Promise<void>;
  /** Puts primaries claimed for a rewrite that could not be carried out back in the queue. */
  releaseRewrites(refs: ReadonlyArray<{ batchId: string; id: string }>): Promise<void>;
  completeAction(batchId: string, actionId: string, result: ActionResult): Promise<Effects>;
  /** Several completions in one transaction (group commit): one disk flush for all of them. */
  completeActions(results: ReadonlyArray<{ batchId: string; actionId: string; result: ActionResult }>): Promise<Effects>;
  /** When the earliest waiting retry is due, or null. */
  nextRetryAt(): Promise<number | null>;
  /** At start: actions left running are made runnable again, flagged as a recovery. */
  recoverRunning(): Promise<number>;
  unmirroredReplies(): Promise<Reply[]>;
  /**
   * Replies a daemon that is no longer alive committed but did not write to its outbox, taken
   * over by this one now, to be written to its own (several daemons on one store: PostgreSQL).
   * Empty where one daemon owns the store: its next start writes what it left.
   */
  adoptOrphanReplies(): Promise<Reply[]>;
  markMirrored(seqs: readonly number[]): Promise<void>;
  replies(after?: number, limit?: number): Promise<Reply[]>;
  /** A message-board entry, with the events it goes with (their trigger runs queued with it). */
  postMessage(message: NewMessage, events?: readonly StoreEvent[]): Promise<void>;
  /** Marks up to `max` due trigger runs running. */
  claimTriggerRuns(now: number, max: number): Promise<TriggerRun[]>;
  finishTriggerRun(id: number, result: { ok: true } | { ok: false; error: string; retryAt: number | null }): Promise<void>;
  nextTriggerAt(): Promise<number | null>;
  /** At start: runs left running are pending again (a finished one is never repeated). */
  recoverTriggerRuns(): Promise<number>;
  triggerRuns(limit?: number): Promise<TriggerRun[]>;
  /** What a trigger script would read for this event: it, and what the store knows of its action and batch. */
  triggerPayload(event: StoreEvent): Promise<TriggerPayload>;
  messages(options?: { since?: number; limit?: number }): Promise<Message[]>;
  /** One batch's board entries, oldest first. */
  batchMessages(batchId: string, limit?: number): Promise<Message[]>;
  listBatches(filter?: BatchFilter): Promise<BatchSummary[]>;
  batchDetail(id: string): Promise<BatchDetail | undefined>;
  /** Runs `fn` on one target's directory in one transaction. */
  withDirectory<T>(hostid: string, fn: (dir: DirectoryTx) => T, scope?: DirectoryScope): Promise<T>;
  /** The batches holding an action with this id (ids are unique only within a batch). */
  findAction(actionId: string): Promise<string[]>;
  /**
   * Puts a failed action back in the queue, and what was skipped because of it back to waiting.
   * Its replyid was already answered with the failure, and is not answered twice.
   */
  retryAction(batchId: string, actionId: string, note: string): Promise<OperatorResult>;
  /** Cancels everything of the batch that is neither running nor final. */
  cancelBatch(batchId: string, note: string): Promise<OperatorResult>;
  directory(hostid?: string): Promise<DirectoryDump>;
  /** Queues an operator's command for the running daemon; returns its id. */
  queueCommand(command: OperatorCommand): Promise<number>;
  /** Commands not yet applied, oldest first. */
  pendingCommands(): Promise<QueuedCommand[]>;
  finishCommand(id: number, outcome: CommandOutcome): Promise<void>;
  command(id: number): Promise<QueuedCommand | undefined>;
  /** The daemon says it is alive (called at start and every second). */
  heartbeat(pid: number, startedAt: number): Promise<void>;
  /** The daemon leaves (a clean stop). */
  leave(pid: number): Promise<void>;
  /** Who runs on this store, if anyone said so. */
  presence(): Promise<DaemonPresence | undefined>;
  close(): Promise<void>;
  /** How many actions are in each state, per operation and target, and batches per state (metrics). */
  tallies(): Promise<Tallies>;
  /**
   * Removes finished batches and old messages, trigger runs and commands (dry: only counts
   * them), never a batch still needed (see PurgeReport.held), and gives the space back.
   */
  purge(cut: PurgeCut, options?: { dryRun?: boolean }): Promise<PurgeReport>;
  /**
   * Cancels one action that is neither running nor final; what waits on it is skipped, with
   * the reason, and their replyids answered.
   */
  cancelAction(batchId: string, actionId: string, note: string): Promise<OperatorResult>;
  /** A paused target starts nothing new (what runs finishes); kept across restarts. */
  pauseHost(hostid: string, note: string): Promise<OperatorResult>;
  resumeHost(hostid: string, note: string): Promise<OperatorResult>;
  pausedHosts(): Promise<PausedHost[]>;
  /** The actions that match, newest batch first (`tmon find`). */
  findActions(query: FindQuery, limit?: number): Promise<FoundAction[]>;
  /** Every unfinished action with why it has not finished (`tmon stuck`), oldest first. */
  stuckActions(now?: number): Promise<StuckAction[]>;
  /** Board messages with their read mark: unread ones only unless `all`. Oldest first. */
  boardMessages(options?: { all?: boolean; since?: number; limit?: number }): Promise<BoardMessage[]>;
  /** Marks read every message up to and including `upTo` (a seq), or all; returns how many. */
  ackMessages(upTo: number | 'all'): Promise<number>;
  /** The newest `limit` replies, in seq order. */
  latestReplies(limit: number): Promise<Reply[]>;
}

