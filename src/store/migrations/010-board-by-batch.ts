/**
 * `tmon status BATCH` and the HTTP API's batch detail show that batch's board entries (a plugin
 * that failed while the action ran as submitted leaves no other trace on the action): look them
 * up by batch instead of reading the whole board.
 */
export const name = 'board-by-batch';

export const sql = `
CREATE INDEX messages_batch ON messages(batch_id, seq) WHERE batch_id IS NOT NULL;
`;
