export * from './types.js';
export { SqliteStore, type SqliteStoreOptions, type RepliesMode } from './sqlite-store.js';
export { migrate } from './migrate.js';
export { MIGRATIONS, type Migration } from './migrations/index.js';
