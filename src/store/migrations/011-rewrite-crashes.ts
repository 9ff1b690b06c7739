/**
 * The rewrite's poison breaker: how many times the daemon died while this action was at its
 * plugin. Found running and unrewritten at start, it is counted; twice, it fails instead of
 * going to the plugin a third time, so a restart always makes progress.
 */
export const name = 'rewrite-crashes';

export const sql = `
ALTER TABLE actions ADD COLUMN crashes INTEGER NOT NULL DEFAULT 0;
`;
