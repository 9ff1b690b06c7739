import type { Database } from 'better-sqlite3';
import type { Effects, StoreEvent } from '../types.js';
import type { Statements } from './statements.js';

export type RepliesMode = 'action' | 'tree';

/** What the store's parts share: the connection, its statements and the settings. */
export interface StoreCtx {
  db: Database;
  s: Statements;
  repliesMode: RepliesMode;
  triggersFor: (event: StoreEvent) => string[];
  /** Arrival order of actions, for fairness among equals. */
  nextQueueSeq(): number;
  /** Every hostid with actions, so claiming asks each target's queue. */
  hosts: Set<string>;
}

export const noEffects = (): Effects => ({ replies: [], events: [] });
