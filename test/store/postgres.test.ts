import { PostgresStore, type PostgresStoreOptions } from '../../src/store/index.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';
import { storeConformance } from './conformance.js';
import { storeOpsConformance } from './conformance-ops.js';
import { storeViewsConformance } from './conformance-views.js';

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
