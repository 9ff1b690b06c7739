import type { Dependency } from '../batch/index.js';
import type { KvGroup } from '../kvgroup/index.js';

/*
 * Batch states:  received → running → succeeded | failed | canceled
 * Action states: waiting → ready → running → succeeded | failed | skipped
 *                running → retrying → running;  any non-final → canceled
 * A batch is `received` until its first action starts. A submitted action is rewritten when it
 * is claimed (`ready` → `running` with `rewritten` still 0): the plugin's output then replaces
 * it in the graph (its actions `waiting`/`ready` again), or it runs at once as it is. A primary
 * the plugin removed while fanning out work becomes a placeholder that waits for that work and
 * is final when all of it is.
 */
export type BatchState = 'received' | 'running' | 'succeeded' | 'failed' | 'canceled';
export type ActionState = 'waiting' | 'ready' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'skipped' | 'canceled';

export const FINAL_ACTION_STATES: readonly ActionState[] = ['succeeded', 'failed', 'skipped', 'canceled'];

/** One string per action across batches (ids are unique only within a batch). */
export function actionKey(batch: string, action: string): string {
  return `${batch}\u0000${action}`;
}

/** An action as it is stored. */
export interface ActionRecord {
  id: string;
  /** The submitted action it came from: itself for a submitted (or kept) action. */
  primaryId: string;
  /** The plugin(s) that produced it, comma-separated, or null. */
  plugin: string | null;
  operation: string;
  hostid: string;
  userid: string;
  replyid: string;
  interactive: boolean;
  document: KvGroup;
  depends: Dependency[];
}

export interface NewBatch {
  id: string;
  /** The text as submitted. */
  document: string;
  /** The top-level group without its actions: what a plugin gets around the one action it rewrites. */
  context: KvGroup;
  /** Identifies the content: the same batch submitted again has the same digest. */
  digest: string;
  /** Where it came from: a file name, `submit`, … */
  source: string;
  actions: ActionRecord[];
}

export type InsertResult = 'inserted' | 'duplicate' | 'conflict';

/** What `insertBatch` did, with what it set off (a dependency on a failed action skips at once). */
export interface InsertOutcome {
  result: InsertResult;
  effects: Effects;
}

/**
 * What the rewrite step decided for one claimed primary action:
 *   run      it runs as it is (no plugin, unchanged, or a plugin failure under "primary"): ready
 *            again, claimed for its connector when its target has room
 *   replace  `actions` (the plugin's output) take its place in the graph
 *   removed  the plugin removed it and fanned out nothing: it succeeds, doing nothing
 *   fail     it fails (a broken rule, or a plugin failure under "fail")
 *   hold     the plugin cannot be used now (missing, cannot load): it waits, nothing runs
 */
export interface RewriteDecision {
  batchId: string;
  primaryId: string;
  /** What the plugin did, for the event it raises: action.rewritten or plugin.failed (or none). */
  event?: { type: 'action.rewritten' | 'plugin.failed'; plugin: string };
  outcome: 'run' | 'replace' | 'removed' | 'fail' | 'hold';
  actions: ActionRecord[];
  message: string;
  /** A message-board entry at this level, or none. */
  board: 'info' | 'warn' | 'error' | null;
  source: string;
}

/** One turn of the engine, committed as one transaction (contract: one flush per turn, whatever the load). */
export interface TickInput {
  results: ReadonlyArray<{ batchId: string; actionId: string; result: ActionResult }>;
  decisions: readonly RewriteDecision[];
  holdMs: number;
  /** Claim what is runnable after the above, if given. */
  claim?: { now: number; capacity: (hostid: string, running: number) => number; max: number; rewrite: boolean };
}

export interface TickOutput {
  effects: Effects;
  claims: ClaimedAction[];
}

/** What applying rewrite decisions did. */
export interface RewriteApplied {
  effects: Effects;
}

export interface ClaimedAction {
  batchId: string;
  id: string;
  /** The submitted action it belongs to. */
  primaryId: string;
  /** Claimed for its rewrite (the plugin runs first), not yet for its connector. */
  rewrite: boolean;
  /** For a rewrite: the batch's top-level group without its actions. */
  context?: KvGroup;
  operation: string;
  hostid: string;
  interactive: boolean;
  document: KvGroup;
  /** Counting this one, since the last operator retry. */
  attempt: number;
  /** It was found running at start: the connector is told, so it can check before acting. */
  recovery: boolean;
}

export type ActionResult =
  | { state: 'succeeded'; retval: string; message: string }
  | { state: 'failed'; retval: string; message: string }
  | { state: 'retrying'; retval: string; message: string; nextAttemptAt: number };

export interface Reply {
  seq: number;
  replyid: string;
  batch: string;
  action: string;
  operation: string;
  status: 'success' | 'failure';
  retval: string;
  message: string;
  at: number;
}

export interface Message {
  seq: number;
  at: number;
  level: 'info' | 'warn' | 'error';
  source: string;
  batch: string | null;
  action: string | null;
  text: string;
}

export type NewMessage = Omit<Message, 'seq' | 'at'> & { at?: number };

export { EVENT_TYPES, type EventType } from '../events.js';
import type { EventType } from '../events.js';

/**
 * What happened that others (the outbox, triggers, logs) must hear of. Plain data, never a
 * document, so never a password. Fields that do not apply to an event are absent.
 */
export interface StoreEvent {
  type: EventType;
  batch: string | null;
  action?: string;
  operation?: string;
  hostid?: string;
  /** The action's or batch's state after the event. */
  state?: string;
  plugin?: string;
  /** A file name, for batch.received and batch.rejected. */
  source?: string;
  message?: string;
  /** Who asked, for operator events (action.retried, batch.canceled). */
  who?: string;
  at: number;
}

/**
 * What a trigger script reads: the event, and what the store knows of its action and batch
 * (contract §8). Never a password: only named fields of the action and the pairs of the
 * batch's `request` and `recipient` groups are copied.
 */
export interface TriggerPayload extends StoreEvent {
  userid?: string;
  replyid?: string;
  retval?: string;
  attempt?: number;
  /** When the batch arrived. */
  received?: number;
  request?: Record<string, string>;
  recipient?: Record<string, string>;
}

/** A trigger run queued in the store (contract §8). */
export interface TriggerRun {
  id: number;
  trigger: string;
  event: EventType;
  payload: TriggerPayload;
  state: 'pending' | 'running' | 'succeeded' | 'failed';
  attempts: number;
  nextAt: number;
  lastError: string | null;
  createdAt: number;
  finishedAt: number | null;
}

export interface Effects {
  replies: Reply[];
  events: StoreEvent[];
}

/** What an operator's retry or cancel did, or why it was refused. */
export type OperatorResult = { ok: true; actions: string[]; effects: Effects } | { ok: false; reason: string };

/** An operator's command, queued for the running daemon (contract §7). */
export type OperatorCommand =
  | { kind: 'retry'; batch: string; action: string; note: string }
  | { kind: 'cancel'; batch: string; note: string }
  // Retention and config reload (docs/operations.md): `batch` is empty, kept for the queue's shape.
  | { kind: 'purge'; batch: ''; olderThanMs: number; dryRun: boolean }
  | { kind: 'reload'; batch: '' }
  | { kind: 'cancel-action'; batch: string; action: string; note: string }
  | { kind: 'pause'; host: string; note: string }
  | { kind: 'resume'; host: string; note: string };

/** What a command came to, as the CLI reads it back. */
export type CommandOutcome = { ok: true; actions: string[]; purge?: PurgeReport; reload?: ReloadReport } | { ok: false; reason: string };

/** Where a purge cuts: finished batches (and trigger runs, commands) before one time, messages before another. */
export interface PurgeCut {
  batchesBefore: number;
  messagesBefore: number;
}

/** What a purge removed (or, dry, would remove); `held`: old enough but still needed, kept. */
export interface PurgeReport {
  batches: string[];
  held: string[];
  actions: number;
  replies: number;
  messages: number;
  triggerRuns: number;
  commands: number;
}

/** What a config reload changed, and what it left for a restart. */
export interface ReloadReport {
  applied: string[];
  needRestart: string[];
}

export interface QueuedCommand {
  id: number;
  command: OperatorCommand;
  state: 'pending' | 'done';
  outcome: CommandOutcome | null;
}

/** The daemon working on a store, as it last said. */
export interface DaemonPresence {
  pid: number;
  startedAt: number;
  heartbeatAt: number;
}

export interface BatchSummary {
  id: string;
  state: BatchState;
  source: string;
  receivedAt: number;
  finishedAt: number | null;
  counts: { total: number; succeeded: number; failed: number; skipped: number; canceled: number; pending: number };
}

export interface ActionDetail {
  id: string;
  primaryId: string;
  plugin: string | null;
  state: ActionState;
  operation: string;
  hostid: string;
  userid: string;
  replyid: string;
  interactive: boolean;
  attempts: number;
  nextAttemptAt: number | null;
  retval: string | null;
  lastError: string | null;
  depends: Dependency[];
  startedAt: number | null;
  finishedAt: number | null;
}

export interface BatchDetail extends BatchSummary {
  actions: ActionDetail[];
}

export interface BatchFilter {
  id?: string;
  state?: BatchState;
  since?: number;
  limit?: number;
}

/** One target's simulated directory (contract §5). */
export interface DirectoryAccount {
  accountid: string;
  fname: string;
  enabled: boolean;
  locked: boolean;
  passwordExpired: boolean;
  context: string;
  groups: string[];
  attributes: Record<string, string>;
  passwordChanges: number;
}

/** The directory connector's view of one target, inside one transaction. */
export interface DirectoryTx {
  account(userid: string): DirectoryAccount | undefined;
  putAccount(userid: string, account: DirectoryAccount): void;
  deleteAccount(userid: string): void;
  hasGroup(groupid: string): boolean;
  putGroup(groupid: string): void;
  deleteGroup(groupid: string): void;
  accounts(): Array<[string, DirectoryAccount]>;
}

export type DirectoryDump = Record<string, Record<string, Omit<DirectoryAccount, 'passwordChanges'> & { passwordChanges: number }>>;

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
  withDirectory<T>(hostid: string, fn: (dir: DirectoryTx) => T): Promise<T>;
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

/** A paused target (`tmon pause HOST`). */
export interface PausedHost {
  hostid: string;
  pausedAt: number;
  note: string;
}

export type FindQuery = { user: string } | { replyid: string } | { host: string } | { request: string };

/** What the operator views say of any action. */
export interface ActionSummary {
  batch: string;
  action: string;
  state: ActionState;
  operation: string;
  hostid: string;
  userid: string;
  replyid: string;
}

/** An action `tmon find` found. */
export interface FoundAction extends ActionSummary {
  /** When its batch arrived. */
  receivedAt: number;
  finishedAt: number | null;
}

/**
 * Why an unfinished action has not finished:
 *   dependency  it waits on actions not yet succeeded (`waitingOn`)
 *   fanned      a primary its plugin removed, waiting for the actions it fanned out
 *   retry       a try failed and the next is due at `nextAttemptAt`
 *   held        its plugin cannot be used now: it waits for its rewrite (`lastError`)
 *   paused      its target is paused
 *   rewrite     claimed for its rewrite: the plugin is working on it
 *   running     its connector is working on it since `startedAt`
 *   ready       runnable, waiting for room on its target
 */
export type StuckReason = 'dependency' | 'fanned' | 'retry' | 'held' | 'paused' | 'rewrite' | 'running' | 'ready';

export interface StuckAction extends ActionSummary {
  reason: StuckReason;
  /** The reason in words. */
  text: string;
  waitingOn: Array<{ batch: string; action: string; state: ActionState }>;
  /** Tries since the last operator retry. */
  attempt: number;
  nextAttemptAt: number | null;
  lastError: string | null;
  startedAt: number | null;
  paused: boolean;
}

/** A board message with its read mark. */
export interface BoardMessage extends Message {
  read: boolean;
}

/** Counts by state, for metrics: only combinations that occur are listed. */
export interface Tallies {
  actions: Array<{ state: ActionState; operation: string; hostid: string; count: number }>;
  batches: Array<{ state: BatchState; count: number }>;
}
