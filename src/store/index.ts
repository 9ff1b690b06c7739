export * from './types.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite/store.js';
export type { RepliesMode } from './sqlite/context.js';
export { migrate } from './migrate.js';
export { MIGRATIONS, type Migration } from './migrations/index.js';
export { applyCommand, commandMeta, type StoreCommand } from './apply-command.js';
export { storeHoldsSealedPasswords, type KeyAdoption } from './sqlite/sealing.js';
export { daemonOwner, openStore, storeWhere, holdsSealedPasswords, migrateStore, type AnyStore, type OpenStoreOptions } from './open.js';
