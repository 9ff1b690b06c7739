/**
 * Retention (docs/operations.md): the purge finds finished batches by when they finished, their
 * replies by batch, and old messages, trigger runs and commands by time, without scanning the
 * tables. (The switch to `auto_vacuum = INCREMENTAL` cannot run in a migration's transaction:
 * the store does it at open, see sqlite/retention.ts.)
 */
export const name = 'retention';

export const sql = `
CREATE INDEX batches_finished ON batches(finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX replies_batch ON replies(batch_id);
CREATE INDEX messages_at ON messages(at);
CREATE INDEX trigger_runs_finished ON trigger_runs(finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX commands_done ON commands(done_at) WHERE done_at IS NOT NULL;
`;
