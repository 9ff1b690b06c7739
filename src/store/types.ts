import type { Dependency } from '../batch/index.js';
import type { KvGroup } from '../kvgroup/index.js';

/*
 * Batch states:  received → running → succeeded | failed | canceled
 * Action states: waiting → ready → running → succeeded | failed | skipped
 *                running → retrying → running;  any non-final → canceled
 * A batch is `received` until its actions have been through the rewrite step; its actions
 * cannot run before that, whatever their dependencies.
 */
export type BatchState = 'received' | 'running' | 'succeeded' | 'failed' | 'canceled';
export type ActionState = 'waiting' | 'ready' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'skipped' | 'canceled';

export const FINAL_ACTION_STATES: readonly ActionState[] = ['succeeded', 'failed', 'skipped', 'canceled'];

/** One string per action across batches (ids are unique only within a batch). */
export function actionKey(batch: string, action: string): string {
  return `${batch}\u0000${action}`;
}
export const FINAL_BATCH_STATES: readonly BatchState[] = ['succeeded', 'failed', 'canceled'];

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
  /** Identifies the content: the same batch submitted again has the same digest. */
  digest: string;
  /** Where it came from: a file name, `submit`, … */
  source: string;
  actions: ActionRecord[];
}

export type InsertResult = 'inserted' | 'duplicate' | 'conflict';

/** What the rewrite step decided for one submitted action. */
export interface RewriteDecision {
  primaryId: string;
  /** What the plugin did, for the event it raises: action.rewritten or plugin.failed (or none). */
  event?: { type: 'action.rewritten' | 'plugin.failed'; plugin: string };
  /** run: `actions` replace the primary; fail: the primary fails; removed: it succeeds doing nothing. */
  outcome: 'run' | 'fail' | 'removed';
  actions: ActionRecord[];
  message: string;
  /** A message-board entry at this level, or none. */
  board: 'info' | 'warn' | 'error' | null;
  source: string;
}

export interface ClaimedAction {
  batchId: string;
  id: string;
  operation: string;
  hostid: string;
  interactive: boolean;
  document: KvGroup;
  /** Counting this one. */
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
  at: number;
}

/** A trigger run queued in the store (contract §8). */
export interface TriggerRun {
  id: number;
  trigger: string;
  event: EventType;
  payload: StoreEvent;
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
  insertBatch(batch: NewBatch): Promise<InsertResult>;
  /** Which of these actions tmon holds, as `actionKey`s. */
  knownActions(refs: readonly Dependency[]): Promise<Set<string>>;
  batchesToRewrite(limit: number): Promise<Array<{ id: string; document: string }>>;
  /** Replaces a received batch's submitted actions by what the rewrite step decided; the batch starts running. */
  applyRewrite(batchId: string, decisions: readonly RewriteDecision[]): Promise<Effects>;
  /** Marks up to `max` runnable actions running, interactive ones first, within each target's capacity. */
  claimRunnable(now: number, capacity: (hostid: string, running: number) => number, max: number): Promise<ClaimedAction[]>;
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
  messages(options?: { since?: number; limit?: number }): Promise<Message[]>;
  listBatches(filter?: BatchFilter): Promise<BatchSummary[]>;
  batchDetail(id: string): Promise<BatchDetail | undefined>;
  batchDigest(id: string): Promise<string | undefined>;
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
  close(): Promise<void>;
  /** How many actions are in each state, per operation and target, and batches per state (metrics). */
  tallies(): Promise<Tallies>;
}

/** Counts by state, for metrics: only combinations that occur are listed. */
export interface Tallies {
  actions: Array<{ state: ActionState; operation: string; hostid: string; count: number }>;
  batches: Array<{ state: BatchState; count: number }>;
}
