/**
 * SQLite uses a partial index only when the query's WHERE implies the index's, and it does not
 * see `state = 'running'` as implying `state IN ('running', 'retrying')`: counting running
 * actions per target scanned the whole table on every claim. One partial index per question.
 */
export const name = 'running-indexes';

export const sql = `
DROP INDEX IF EXISTS actions_state;
CREATE INDEX actions_running ON actions(hostid) WHERE state = 'running';
CREATE INDEX actions_retrying ON actions(runnable_at) WHERE state = 'retrying';
CREATE INDEX actions_id ON actions(id);
`;
