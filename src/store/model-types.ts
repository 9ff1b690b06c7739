import type { Dependency } from '../batch/index.js';
import type { EventType } from '../events.js';
import type { KvGroup } from '../kvgroup/index.js';

export { EVENT_TYPES, type EventType } from '../events.js';

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
  /**
   * The store may leave the turn uncommitted until `Store.commitDeferred` (or its next ordinary
   * transaction): several turns then share one commit, one disk flush. A hint: a store that
   * commits at once is correct. The caller acts on nothing that must be durable (a reply file, a
   * claim for a target outside the store) before that commit.
   */
  defer?: boolean;
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

/**
 * The accounts and groups `fn` of `withDirectory` will look at, when it knows: a store that must
 * fetch them (PostgreSQL) then reads those rows rather than the target's whole directory. With a
 * scope, `accounts()` is not available; without one, everything is.
 */
export interface DirectoryScope {
  users: readonly string[];
  groups: readonly string[];
}

export type DirectoryDump = Record<string, Record<string, Omit<DirectoryAccount, 'passwordChanges'> & { passwordChanges: number }>>;

