/**
 * The rewrite step asks for the oldest received batches again and again; with thousands of
 * batches received at once, sorting them all each time showed in the 100k-action profile.
 * One index on (state, received_at, id) answers it in order, and `tmon status --state` too.
 */
export const name = 'received-index';

export const sql = `
DROP INDEX IF EXISTS batches_state;
CREATE INDEX batches_state_received ON batches(state, received_at, id);
`;
