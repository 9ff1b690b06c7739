import type { Database } from 'better-sqlite3';
import type { SecretBox } from '../../secrets/index.js';
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
  /** Seals the passwords the store writes and opens those it hands out (the daemon's); none in tests and CLI readers. */
  box: SecretBox | undefined;
  /**
   * The store was keyed (it holds a key check): its passwords are sealed. Without a box, a store
   * like that refuses to write a password or to hand out a sealed one, rather than mix in plain text.
   */
  keyed: boolean;
}

export const noEffects = (): Effects => ({ replies: [], events: [] });
