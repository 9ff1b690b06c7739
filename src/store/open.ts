import type { StoreConfig } from '../config/types.js';
import { hasCode } from '../errors.js';
import { loadParser } from '../kvgroup/loaded-parser.js';
import type { SecretBox } from '../secrets/index.js';
import type { PostgresStore } from './postgres/store.js';
import type { RepliesMode } from './sqlite/context.js';
import { storeHoldsSealedPasswords } from './sqlite/sealing.js';
import { SqliteStore } from './sqlite/store.js';
import type { StoreEvent } from './types.js';
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';

/*
 * One way to open the configured store, sqlite or postgres, for the daemon and every CLI
 * command: the home's config says which (`store.kind`), and `dbPath` is the home's tmon.db.
 * The PostgreSQL modules (and pg) load only for a postgres store: a CLI command on a SQLite
 * home does not pay for them.
 */
const postgres = () => import('./postgres/index.js');
const postgresMigrate = () => Promise.all([import('./postgres/migrate.js'), import('./postgres/db.js')]);

export type AnyStore = SqliteStore | PostgresStore;

export interface OpenStoreOptions {
  repliesMode?: RepliesMode;
  triggersFor?: (event: StoreEvent) => string[];
  secrets?: SecretBox;
  /** SQLite's `synchronous` (config storeSync); PostgreSQL's durability is the server's. */
  synchronous?: 'FULL' | 'NORMAL';
  /** SQLite's `busy_timeout` (config storeBusyTimeoutMs); PostgreSQL waits for its locks as the server says. */
  busyTimeoutMs?: number;
  /** A reader (status commands): never creates, migrates or writes. */
  readonly?: boolean;
  /** Refuse a store the daemon never made (a CLI command that writes). */
  mustExist?: boolean;
  /** PostgreSQL: the owner id of this daemon's leases and claims (see `daemonOwner`); a CLI's is random. */
  owner?: string;
}

/**
 * A daemon's owner id on a shared store: its machine and home. One daemon runs per home (the
 * home lock), so it is unique among live daemons, and the same after a restart: a daemon that
 * crashed finds its running actions and leases as its own at once, as on SQLite, instead of
 * waiting for them to expire.
 */
export const daemonOwner = (home: string): string => `${hostname()}:${home}`;

/** Opens the store `store` configures. A reader or `mustExist` refuses one that is not there (`STORE_MISSING`). */
export async function openStore(store: StoreConfig, dbPath: string, options: OpenStoreOptions = {}): Promise<AnyStore> {
  const common = {
    ...(options.repliesMode ? { repliesMode: options.repliesMode } : {}),
    ...(options.triggersFor ? { triggersFor: options.triggersFor } : {}),
    ...(options.secrets ? { secrets: options.secrets } : {}),
  };
  if (store.kind === 'sqlite') {
    // With a key, opening may seal the plain-text passwords of an older store, which parses its
    // batches inside the constructor's transaction (the daemon's open; no CLI command's).
    if (options.secrets) await loadParser();
    return new SqliteStore(dbPath, { ...common, ...(options.synchronous ? { synchronous: options.synchronous } : {}), ...(options.busyTimeoutMs !== undefined ? { busyTimeoutMs: options.busyTimeoutMs } : {}), ...(options.readonly ? { readonly: true } : {}), ...(options.mustExist ? { mustExist: true } : {}) });
  }
  const { PostgresStore } = await postgres();
  return PostgresStore.open({
    ...common,
    url: store.url,
    schema: store.schema,
    poolSize: store.poolSize,
    leaseMs: store.leaseMs,
    ...(options.owner ? { owner: options.owner } : {}),
    migrate: !(options.readonly || options.mustExist),
  });
}

/** Where the configured store lives, for messages (a URL without its password). */
export async function storeWhere(store: StoreConfig, dbPath: string): Promise<string> {
  return store.kind === 'sqlite' ? dbPath : (await postgres()).describeUrl(store.url, store.schema);
}

/**
 * Whether a new secret key must not be made for the configured store: it holds passwords sealed
 * with some key (a new key could not open them), or, on PostgreSQL, it has a key (the other
 * daemons'). False for a store that does not exist yet.
 */
export async function holdsSealedPasswords(store: StoreConfig, dbPath: string): Promise<boolean> {
  if (store.kind === 'sqlite') return storeHoldsSealedPasswords(dbPath);
  const { PostgresStore } = await postgres();
  let s: PostgresStore;
  try {
    s = await PostgresStore.open({ url: store.url, schema: store.schema, poolSize: 1, migrate: false });
  } catch (err) {
    // Not made yet, or being made right now by a daemon that started at the same moment (its
    // migration, under its lock, has the schema but not yet its version): no key there yet.
    if (hasCode(err, 'STORE_MISSING') || hasCode(err, 'STORE_OLD')) return false;
    throw err;
  }
  try {
    return await s.hasKey();
  } finally {
    await s.close();
  }
}

/** Applies the configured store's pending migrations (`tmon migrate`); returns where, and the versions applied. */
export async function migrateStore(store: StoreConfig, dbPath: string): Promise<{ where: string; applied: number[] }> {
  const where = await storeWhere(store, dbPath);
  if (store.kind === 'sqlite') {
    // The store migrates as it opens (with its file settings, WAL and incremental vacuum, made
    // first): what it applied is what it holds now that it did not before.
    const before = new Set(existsSync(dbPath) ? sqliteVersions(new Database(dbPath, { fileMustExist: true })) : []);
    const opened = new SqliteStore(dbPath);
    const after = sqliteVersions(opened.db, false);
    await opened.close();
    return { where, applied: after.filter((v) => !before.has(v)) };
  }
  const [{ migratePg }, { createPool }] = await postgresMigrate();
  const pool = createPool(store.url, store.schema, 1);
  try {
    return { where, applied: await migratePg(pool, store.schema) };
  } finally {
    await pool.end();
  }
}

/** The migrations a SQLite store recorded (none for a file without the table); closes `db` unless told. */
function sqliteVersions(db: Database.Database, close = true): number[] {
  try {
    const table = db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM sqlite_master WHERE name = 'schema_migrations'`).get()!.n;
    return table ? db.prepare<[], { version: number }>('SELECT version FROM schema_migrations ORDER BY version').all().map((r) => r.version) : [];
  } finally {
    if (close) db.close();
  }
}
