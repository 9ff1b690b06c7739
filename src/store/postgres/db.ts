import pg from 'pg';
import type { PoolClient, QueryResult } from 'pg';

/*
 * The connection side of the PostgreSQL store: a pool whose sessions live in the store's schema
 * and read int8 as numbers, and typed statements bound to one transaction's client.
 */

/** int8 (count(*), BIGINT times and sequences): ms timestamps and counts fit a double exactly. */
const INT8_OID = 20;

/**
 * Type parsers for this pool only (`pg.types` is process-wide, and an application embedding
 * tmon may want its int8 as strings).
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser,
};

/** A schema name the store accepts: it goes into SQL as an identifier, so only plain ones. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function createPool(url: string, schema: string, size: number): pg.Pool {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`schema "${schema}" is not a plain lower-case identifier`);
  // Every session resolves the store's tables in its schema; a fresh schema is made by migrate.
  return new pg.Pool({ connectionString: url, max: size, types, options: `-c search_path=${schema}` });
}

/** A statement typed by its parameters `P` and the row `R` it returns; prepared per session by name. */
export interface Query<P extends unknown[], R> {
  readonly text: string;
  /** Phantom: carries the types only. */
  readonly _types?: [P, R];
}

export const q = <P extends unknown[], R = unknown>(text: string): Query<P, R> => ({ text });

export interface Bound<P extends unknown[], R> {
  get(...params: P): Promise<R | undefined>;
  all(...params: P): Promise<R[]>;
  /** Runs it; returns how many rows it changed. */
  run(...params: P): Promise<number>;
}

type BoundAll<S> = { [K in keyof S]: S[K] extends Query<infer P, infer R> ? Bound<P, R> : never };

/** The statements of `defs` bound to `client`: each runs as a named (session-prepared) statement. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any parameter list: each entry keeps its own
export function bind<S extends Record<string, Query<any[], unknown>>>(client: PoolClient, defs: S): BoundAll<S> {
  const out: Record<string, Bound<unknown[], unknown>> = {};
  for (const [name, def] of Object.entries(defs)) {
    const exec = (values: unknown[]) => client.query({ name, text: (def as Query<unknown[], unknown>).text, values });
    out[name] = {
      get: async (...p) => (await exec(p)).rows[0],
      all: async (...p) => (await exec(p)).rows,
      run: async (...p) => (await exec(p)).rowCount ?? 0,
    };
  }
  return out as BoundAll<S>;
}

/**
 * Graph-changing transactions run one at a time across every daemon on the database: the
 * claim's per-target count, the interactive-first rule and dependency counters stay exact
 * without row-level races (docs/postgres.md, "Global limits"). The key is the schema's, so
 * stores in other schemas of the same server do not wait for each other.
 */
const GRAPH_LOCK = `SELECT pg_advisory_xact_lock(7411, hashtext(current_schema()))`;

/** A statement with its values inlined as literals: it may share a simple query (one round trip) with others. */
export interface Inlined<R> {
  readonly sql: string;
  /** The session's prepared statement it executes. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any parameter list
  readonly prepared?: Prepared<any[], unknown>;
  /** Phantom: carries the row type only. */
  readonly _row?: R;
}

/** A value as SQL text: strings quoted, arrays as ARRAY[…] (the statements cast their arrays). */
function literalOf(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`inline: ${v} is not a number SQL takes`);
    return String(v);
  }
  if (typeof v === 'string') return pg.escapeLiteral(v);
  if (Array.isArray(v)) return v.length === 0 ? `'{}'` : `ARRAY[${v.map(literalOf).join(', ')}]`;
  throw new Error(`inline: a value of type ${typeof v} cannot be inlined`);
}

/**
 * A statement prepared in the session by SQL (`PREPARE name (types) AS …`), so that a simple
 * query can run it with its plan kept (`EXECUTE name(values)`) in one round trip with others.
 */
export interface Prepared<P extends unknown[], R> {
  readonly name: string;
  /** Its parameters' SQL types, in order (PREPARE infers none it is not told). */
  readonly types: readonly string[];
  readonly query: Query<P, R>;
}

/** The statement as a simple query runs it: `EXECUTE` with its values as literals. */
export function execute<P extends unknown[], R>(statement: Prepared<P, R>, ...params: P): Inlined<R> {
  return { sql: `EXECUTE ${statement.name}(${params.map(literalOf).join(', ')})`, prepared: statement };
}

/** The prepared statements each pooled session has made (a session keeps them until it ends). */
const preparedIn = new WeakMap<PoolClient, Set<string>>();

/** Prepares in `client`'s session what `head` executes and the session has not prepared yet. */
async function prepare(client: PoolClient, head: ReadonlyArray<Inlined<unknown>>): Promise<void> {
  const done = preparedIn.get(client) ?? new Set<string>();
  preparedIn.set(client, done);
  for (const { prepared: p } of head) {
    if (!p || done.has(p.name)) continue;
    try {
      await client.query(`PREPARE ${p.name} (${p.types.join(', ')}) AS ${p.query.text}`);
    } catch (err) {
      // 42P05: made already in this session (by a try whose answer was lost): it is there.
      if ((err as { code?: string }).code !== '42P05') throw err;
    }
    done.add(p.name);
  }
}

/** The rows of an inlined statement's result. */
export const rowsOf = <R>(_statement: Inlined<R>, result: QueryResult): R[] => result.rows;

/**
 * What a transaction sends with its COMMIT, in the same round trip (a simple query of several
 * statements): a graph transaction holds the graph lock until then, so what can wait for the
 * end goes there instead of a round trip of its own.
 */
export interface CommitTail {
  /** Statements without parameters (values inlined as literals), run in order before COMMIT. */
  sql: string[];
  /** The committing daemon's owner id, to notify WORK_CHANNEL with at COMMIT; undefined: no notification. */
  notify: string | undefined;
}

/**
 * Runs `fn` in one transaction on one pooled client: BEGIN … COMMIT, ROLLBACK on a throw. With
 * `graph`, it first takes the graph lock above; `notify` (an owner id) starts the tail's notify.
 */
export function transaction<T>(
  pool: pg.Pool,
  graph: boolean,
  fn: (client: PoolClient, tail: CommitTail, head: QueryResult[]) => Promise<T>,
  notify?: string,
  head: ReadonlyArray<Inlined<unknown>> = [],
): Promise<T> {
  return session(pool, async (client) => {
    // BEGIN, the lock and the `head` statements in one round trip (a simple query of several
    // statements, each seeing what the ones before it did); `fn` gets the head's results.
    await prepare(client, head);
    const opening = [graph ? `BEGIN; ${GRAPH_LOCK}` : 'BEGIN', ...head.map((h) => h.sql)].join('; ');
    const results = head.length === 0 ? [] : ((await client.query(opening)) as unknown as QueryResult[]).slice(graph ? 2 : 1);
    if (head.length === 0) await client.query(opening);
    const tail: CommitTail = { sql: [], notify };
    const out = await fn(client, tail, results);
    // With `notify` (the committing daemon's owner id), the other daemons hear of it at COMMIT.
    const notice = tail.notify === undefined ? [] : [`SELECT pg_notify('${WORK_CHANNEL}', current_schema() || ' ' || ${client.escapeLiteral(tail.notify)})`];
    await client.query([...tail.sql, ...notice, 'COMMIT'].join('; '));
    return out;
  });
}

/**
 * The channel on which a transaction that may let another daemon start something (results: slots
 * freed, dependents ready; batches taken in; leases let go) says so at COMMIT, its payload the
 * schema and the owner id: the other daemons of the schema take a turn at once instead of at
 * their next poll (`PostgresStore.onWork`).
 */
export const WORK_CHANNEL = 'tmon_work';

/**
 * `fn` on one pooled client, opening and committing its own transaction in the same round trips
 * as its statements (simple queries of several statements); ROLLBACK if it throws.
 */
export async function session<T>(pool: pg.Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await fn(client);
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackErr) {
      broken = rollbackErr as Error;
    }
    throw err;
  } finally {
    client.release(broken);
  }
}
