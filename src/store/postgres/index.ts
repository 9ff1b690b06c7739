/** The PostgreSQL store, apart from ../index.ts so that only who uses it loads pg. */
export { PostgresStore, describeUrl, defaultOwner, type PostgresStoreOptions } from './store.js';
export { migratePg } from './migrate.js';
export { PG_MIGRATIONS } from './migrations/index.js';
