import * as m001 from './001-initial.js';
import * as m002 from './002-running-indexes.js';
import * as m003 from './003-received-index.js';
import * as m004 from './004-rewrite-at-dispatch.js';
import * as m005 from './005-operator-commands.js';
import * as m006 from './006-open-actions.js';
import * as m007 from './007-sealed-secrets.js';
import * as m008 from './008-operator-views.js';
import * as m009 from './009-retention.js';
import * as m010 from './010-board-by-batch.js';
import * as m011 from './011-rewrite-crashes.js';
import * as m012 from './012-covering-runnable.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Every migration, in order. A new one is a new numbered file added here; none is ever edited. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, ...m001 },
  { version: 2, ...m002 },
  { version: 3, ...m003 },
  { version: 4, ...m004 },
  { version: 5, ...m005 },
  { version: 6, ...m006 },
  { version: 7, ...m007 },
  { version: 8, ...m008 },
  { version: 9, ...m009 },
  { version: 10, ...m010 },
  { version: 11, ...m011 },
  { version: 12, ...m012 },
];
