/**
 * The inbox admits batches while the actions not yet final stay under a budget, and asks the
 * store how many there are at each sweep: a partial index answers without reading the table.
 */
export const name = 'open-actions';

export const sql = `
CREATE INDEX actions_open ON actions(state) WHERE state IN ('waiting', 'ready', 'running', 'retrying');
`;
