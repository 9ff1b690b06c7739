/**
 * A claim reads each target's queue head every turn (with a plugin, its room plus a lookahead
 * of rows). The runnable index ordered the rows but held neither the due time nor the columns
 * the claim decides on, so every row read cost a lookup in the table (~1 µs, ~40 rows per
 * target per turn). The index now holds them: the claim's read never leaves it.
 */
export const name = 'covering-runnable';

export const sql = `
DROP INDEX IF EXISTS actions_runnable;
CREATE INDEX actions_runnable ON actions(hostid, interactive DESC, queue_seq, runnable_at, rewritten, batch_id, id) WHERE runnable_at IS NOT NULL;
`;
