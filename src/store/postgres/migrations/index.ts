import type { Migration } from '../../migrations/index.js';
import * as m001 from './001-initial.js';
import * as m002 from './002-claim-indexes.js';

/** The PostgreSQL store's migrations, in order; its own numbering (see ../../migrations for SQLite's). */
export const PG_MIGRATIONS: readonly Migration[] = [
  { version: 1, ...m001 },
  { version: 2, ...m002 },
];
