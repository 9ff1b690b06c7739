import type { ActionState, BatchState, CommandOutcome, Message, OperatorCommand, QueuedCommand, Reply, TriggerPayload, TriggerRun } from '../types.js';

/** An `actions` row as SQLite returns it (snake_case, integers for booleans). */
export interface ActionRow {
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
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
  rewritten: number;
  queue_seq: number;
  submitted: string | null;
  placeholder: number;
  retry_base: number;
  /** 1: its newpw values were emptied when it became final (a retry cannot run it). */
  secrets_wiped: number;
}

/** A runnable action as the claim first sees it: enough to order it and decide on it (statements.ts: `runnable`). */
export type RunnableKey = Pick<ActionRow, 'batch_id' | 'id' | 'hostid' | 'rewritten' | 'interactive' | 'queue_seq'>;

/** What claiming an action reads of its row once it takes it (statements.ts: `claimRow`). */
export type RunnableRow = Pick<ActionRow, 'batch_id' | 'id' | 'primary_id' | 'operation' | 'hostid' | 'interactive' | 'document' | 'attempts' | 'retry_base' | 'recovery' | 'rewritten' | 'queue_seq'>;

export interface BatchRow {
  id: string;
  state: BatchState;
  document: string;
  digest: string;
  source: string;
  received_at: number;
  updated_at: number;
  finished_at: number | null;
  context: string | null;
  /** 1: its context's newpw values were emptied when it became final. */
  secrets_wiped: number;
}

export interface ReplyRow {
  seq: number;
  replyid: string;
  batch_id: string;
  action_id: string;
  operation: string;
  status: 'success' | 'failure';
  retval: string;
  message: string;
  at: number;
  mirrored: number;
}

export interface TriggerRow {
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

export interface MessageRow {
  seq: number;
  at: number;
  level: Message['level'];
  source: string;
  batch_id: string | null;
  action_id: string | null;
  text: string;
}

export interface DepRow {
  dep_batch_id: string;
  dep_action_id: string;
}

export interface DependentRow {
  batch_id: string;
  action_id: string;
}

export const toTriggerRun = (r: TriggerRow): TriggerRun => ({
  id: r.id,
  trigger: r.trigger,
  event: r.event as TriggerRun['event'],
  payload: JSON.parse(r.payload) as TriggerPayload,
  state: r.state,
  attempts: r.attempts,
  nextAt: r.next_at,
  lastError: r.last_error,
  createdAt: r.created_at,
  finishedAt: r.finished_at,
});

export const toReply = (r: ReplyRow): Reply => ({
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

export const toMessage = (r: MessageRow): Message => ({ seq: r.seq, at: r.at, level: r.level, source: r.source, batch: r.batch_id, action: r.action_id, text: r.text });

export interface CommandRow {
  id: number;
  kind: string;
  args: string;
  state: 'pending' | 'done';
  result: string | null;
  created_at: number;
  done_at: number | null;
}

export const toCommand = (r: CommandRow): QueuedCommand => ({
  id: r.id,
  command: { kind: r.kind, ...(JSON.parse(r.args) as object) } as OperatorCommand,
  state: r.state,
  outcome: r.result === null ? null : (JSON.parse(r.result) as CommandOutcome),
});
