/** The PostgreSQL store, apart from ../index.ts so that only who uses it loads pg. */
export { PostgresStore } from './store.js';
export { describeUrl, defaultOwner, type PostgresStoreOptions } from './options.js';
export { migratePg } from './migrate.js';
export { PG_MIGRATIONS } from './migrations/index.js';
