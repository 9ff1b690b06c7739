import { migratePg, PG_MIGRATIONS, PostgresStore, type PostgresStoreOptions } from '../../src/store/postgres/index.js';
import { SecretBox } from '../../src/secrets/index.js';
import { createPool } from '../../src/store/postgres/db.js';
import { newBatch } from '../helpers/batches.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';
import { storeArrivalConformance } from './conformance-arrival.js';
import { storeConformance } from './conformance.js';
import { storeOpsConformance } from './conformance-ops.js';
import { storeViewsConformance } from './conformance-views.js';
import { postgresOwnersSuite } from './postgres-owners.js';

let server: Postgres;
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(() => server.stop());

/** A fresh PostgreSQL store: a schema of its own on this file's server, dropped with the server. */
const openPostgres = async (options: Partial<PostgresStoreOptions> = {}) => {
  const store = await PostgresStore.open({ url: server.url, schema: server.freshSchema(), poolSize: 4, ...options });
  return { store, close: () => store.close() };
};

storeConformance('PostgreSQL', openPostgres);
storeOpsConformance('PostgreSQL', openPostgres);
storeViewsConformance('PostgreSQL', () => openPostgres());
storeArrivalConformance('PostgreSQL', () => openPostgres());
postgresOwnersSuite(() => server);

describe('PostgreSQL specifics', () => {
  test('migrations are recorded and applied once, each in a transaction; a second store on the schema migrates nothing', async () => {
    const schema = server.freshSchema();
    const pool = createPool(server.url, schema, 2);
    try {
      expect(await migratePg(pool, schema)).toEqual(PG_MIGRATIONS.map((m) => m.version));
      expect(await migratePg(pool, schema)).toEqual([]);
      expect((await pool.query('SELECT version, name FROM schema_migrations ORDER BY version')).rows).toEqual([
        { version: 1, name: 'initial' },
        { version: 2, name: 'claim-indexes' },
      ]);
      const broken = [...PG_MIGRATIONS, { version: 99, name: 'broken', sql: 'CREATE TABLE half (x int); THIS IS NOT SQL;' }];
      await expect(migratePg(pool, schema, broken)).rejects.toThrow(/syntax error/);
      expect((await pool.query(`SELECT to_regclass('half') AS t`)).rows).toEqual([{ t: null }]);
      const { store } = await openPostgres({ schema });
      await store.close();
      expect((await pool.query('SELECT count(*) AS n FROM schema_migrations')).rows).toEqual([{ n: PG_MIGRATIONS.length }]);
    } finally {
      await pool.end();
    }
  });

  test('a reader (migrate: false) refuses a schema the daemon never made', async () => {
    await expect(PostgresStore.open({ url: server.url, schema: server.freshSchema(), migrate: false })).rejects.toMatchObject({ code: 'STORE_MISSING' });
  });

  test('passwords are sealed at rest: never plain in a row, opened in the claim, emptied when final; another key is refused', async () => {
    const schema = server.freshSchema();
    const box = new SecretBox(Buffer.alloc(32, 7));
    const { store, close } = await openPostgres({ schema, secrets: box });
    const pool = createPool(server.url, schema, 1);
    const rows = async () => JSON.stringify((await pool.query('SELECT b.document AS b, b.context, a.document AS a, a.submitted FROM batches b JOIN actions a ON a.batch_id = b.id')).rows);
    try {
      await store.insertBatch(newBatch('S', [{ id: 'a', op: 'SETPW', extra: { newpw: 'Plain-Secret-1' } }]));
      expect(await rows()).not.toContain('Plain-Secret-1');
      expect(await rows()).toContain('tmon:v1:');
      const [claim] = await store.claimRunnable(Date.now(), () => 1, 1);
      expect(JSON.stringify(claim!.document)).toContain('Plain-Secret-1');
      await store.completeAction('S', 'a', { state: 'succeeded', retval: '0', message: 'ok' });
      expect(await rows()).not.toMatch(/Plain-Secret-1|tmon:v1:/);
      await expect(PostgresStore.open({ url: server.url, schema, secrets: new SecretBox(Buffer.alloc(32, 8)) })).rejects.toMatchObject({ code: 'SECRET_KEY_WRONG' });
    } finally {
      await pool.end();
      await close();
    }
  });

  test('timestamps and counts come back as numbers, not strings', async () => {
    const { store, close } = await openPostgres();
    try {
      await store.postMessage({ level: 'info', source: 'test', batch: null, action: null, text: 'x', at: 1_790_000_000_123 });
      const [m] = await store.messages();
      expect(m).toMatchObject({ seq: 1, at: 1_790_000_000_123 });
      expect(await store.openActions()).toBe(0);
    } finally {
      await close();
    }
  });
});
