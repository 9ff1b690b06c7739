import type pg from 'pg';
import type { Migration } from '../migrations/index.js';
import { SCHEMA_NAME } from './db.js';
import { PG_MIGRATIONS } from './migrations/index.js';

/**
 * Applies the PostgreSQL migrations not yet recorded in `schema_migrations` of `schema`, each in
 * its own transaction with its record. An advisory lock makes daemons starting together take
 * turns: the second finds the work done. Returns the versions applied.
 */
export async function migratePg(pool: pg.Pool, schema: string, migrations: readonly Migration[] = PG_MIGRATIONS): Promise<number[]> {
  // The schema goes into the SQL below as an identifier: only a plain one.
  if (!SCHEMA_NAME.test(schema)) throw new Error(`schema "${schema}" is not a plain lower-case identifier`);
  const client = await pool.connect();
  try {
    await client.query(`SELECT pg_advisory_lock(7410, hashtext($1))`, [schema]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
      const applied = new Set((await client.query<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations`)).rows.map((r) => r.version));
      const done: number[] = [];
      for (const m of migrations) {
        if (applied.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query(`INSERT INTO ${schema}.schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, [m.version, m.name, Date.now()]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
        done.push(m.version);
      }
      return done;
    } finally {
      await client.query(`SELECT pg_advisory_unlock(7410, hashtext($1))`, [schema]);
    }
  } finally {
    client.release();
  }
}
