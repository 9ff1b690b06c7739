/**
 * Indexes for the claim of a turn (../statements-turn.ts), which runs under the graph lock and
 * so sets the pace of every daemon of the schema:
 *  - the interactive actions runnable on a target, counted at every claim across all daemons
 *    (a batch action leaves them the slot): a small partial index instead of a walk of every
 *    runnable action;
 *  - a leased batch's runnable actions, looked up by batch and target.
 */
export const name = 'claim-indexes';

export const sql = `
CREATE INDEX actions_runnable_interactive ON actions(hostid) WHERE runnable_at IS NOT NULL AND interactive = 1;
DROP INDEX actions_runnable_batch;
CREATE INDEX actions_runnable_batch ON actions(batch_id, hostid) WHERE runnable_at IS NOT NULL;
`;
