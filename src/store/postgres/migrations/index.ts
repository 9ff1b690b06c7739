import type { Migration } from '../../migrations/index.js';
import * as m001 from './001-initial.js';

/** The PostgreSQL store's migrations, in order; its own numbering (see ../../migrations for SQLite's). */
export const PG_MIGRATIONS: readonly Migration[] = [{ version: 1, ...m001 }];
