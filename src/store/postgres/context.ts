import type { SecretBox } from '../../secrets/index.js';
import type { RepliesMode } from '../sqlite/context.js';
import type { BatchRow } from '../sqlite/rows.js';
import type { StoreEvent } from '../types.js';
import type { CommitTail } from './db.js';
import type { PoolClient } from 'pg';
import { bindStatements, type Statements } from './statements.js';

/** What a PostgreSQL store instance is set up with; shared by all its transactions. */
export interface PgSettings {
  /** This store's (daemon's) owner id: on its leases, running actions, replies, trigger runs, commands. */
  owner: string;
  repliesMode: RepliesMode;
  triggersFor: (event: StoreEvent) => string[];
  box: SecretBox | undefined;
  /** The store holds a key check: its passwords are sealed (see ../sqlite/context.ts). */
  keyed: boolean;
  /** How long a lease lasts without a heartbeat: a daemon silent this long is taken for dead. */
  leaseMs: number;
  /** How many unleased batches one claim may lease. */
  leaseBatches: number;
  /**
   * Each target's capacity with nothing running, as the last claim found it: how many of its
   * runnable rows a claim reads at first (execution.ts `scan`), never what it may claim.
   */
  capacityHints: Map<string, number>;
}

/** One transaction: the settings, with the statements bound to its client. */
export interface PgCtx extends PgSettings {
  s: Statements;
  /**
   * Batches this transaction made final with the successes that completed them (progress.ts
   * `succeed`): their events and wipe are the transaction's tail's, as for the others.
   */
  completed: BatchRow[];
  /** What goes with COMMIT (db.ts): statements that can wait for it, and whether to notify. */
  tail: CommitTail;
  /** A string as an SQL literal (for the tail's statements, which take no parameters). */
  literal(value: string): string;
  /** What a turn learnt, for the wake-ups (wakeups.ts). */
  turn: TurnNotes;
  /** A statement whose shape is built at run time (a filtered list), or a savepoint. */
  query<R>(sql: string, args?: unknown[]): Promise<R[]>;
}

export { noEffects } from '../sqlite/context.js';

/** What a turn's transaction learnt that decides who wakes next (wakeups.ts). */
export interface TurnNotes {
  /** The targets whose slots its results freed. */
  freed: Set<string>;
  /** Its results may have made work ready that only another daemon can see (or did more than succeed). */
  others: boolean;
  /** The room its claim left on each target it looked at; undefined: it did not claim. */
  room: Map<string, number> | undefined;
  /** It made final more than the successes it was given (a placeholder's verdict, a cascade): a claim read before that is stale. */
  moved: boolean;
  /** When its claim looked: the earliest retry due later (any daemon's), and the earliest other daemon's lease expiry. */
  nextDue: number | null;
  nextExpiry: number | null;
}

/** A transaction's context on `client`: the settings, its statements, what goes with its COMMIT. */
export function contextOn(settings: PgSettings, client: PoolClient, tail: CommitTail): PgCtx {
  return {
    ...settings,
    s: bindStatements(client),
    completed: [],
    tail,
    literal: (value) => client.escapeLiteral(value),
    turn: { freed: new Set(), others: false, room: undefined, moved: false, nextDue: null, nextExpiry: null },
    query: async <R>(sql: string, args: unknown[] = []) => (await client.query(sql, args)).rows as R[],
  };
}
