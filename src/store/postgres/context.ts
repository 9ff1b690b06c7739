import type { SecretBox } from '../../secrets/index.js';
import type { RepliesMode } from '../sqlite/context.js';
import type { StoreEvent } from '../types.js';
import type { Statements } from './statements.js';

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
}

/** One transaction: the settings, with the statements bound to its client. */
export interface PgCtx extends PgSettings {
  s: Statements;
  /** A statement whose shape is built at run time (a filtered list), or a savepoint. */
  query<R>(sql: string, args?: unknown[]): Promise<R[]>;
}

export { noEffects } from '../sqlite/context.js';
