import type { ActionState, BatchState, Effects, Message, Reply } from './model-types.js';

/*
 * What operators ask of the store and what it answers: their commands (retry, cancel, pause,
 * purge, reload …), the daemon's presence, and the views a help desk reads (find, stuck, the
 * board with read marks, tallies). Apart from types.ts so that neither grows past one concept.
 */

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
