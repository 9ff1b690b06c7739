import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { SecretBox } from '../../secrets/index.js';
import type { RepliesMode } from '../sqlite/context.js';
import type * as T from '../types.js';

export interface PostgresStoreOptions {
  /** A postgres:// connection URL (its password never appears in tmon's output: src/redact.ts). */
  url: string;
  /** The schema holding the store's tables (made by the first migration); default "tmon". */
  schema?: string;
  /** Connections in the pool; default 10. */
  poolSize?: number;
  /** This store's owner id (the daemon's: `daemonOwner` in ../open.ts); default `hostname:pid:random`. Unique among live daemons. */
  owner?: string;
  /** How long a lease lasts without a heartbeat; default 15000 ms. */
  leaseMs?: number;
  /** How many unleased batches one claim may lease; default 32. */
  leaseBatches?: number;
  repliesMode?: RepliesMode;
  triggersFor?: (event: T.StoreEvent) => string[];
  /** The daemon's secret key: every password written is sealed with it (see SqliteStoreOptions). */
  secrets?: SecretBox;
  /** `false`: do not migrate (CLI readers): a schema the daemon never made, or an older one, is refused. */
  migrate?: boolean;
}

export const defaultOwner = (): string => `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

/** Where a store lives, for messages: the URL without its password. */
export const describeUrl = (url: string, schema: string): string => {
  try {
    const u = new URL(url);
    return `postgres ${u.host}${u.pathname} (schema ${schema})`;
  } catch {
    return `postgres (schema ${schema})`;
  }
};
