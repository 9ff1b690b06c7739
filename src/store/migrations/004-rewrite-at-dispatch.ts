/**
 * Actions are rewritten when they are about to run, not when their batch arrives (contract §3),
 * and a retried action goes through the plugin again from what was submitted. So the store
 * keeps, per batch, the context a plugin is given around one action, and per primary action
 * the document as submitted once a plugin has replaced it. A primary the plugin removed while
 * fanning out work stays as a placeholder that is final when that work is. `retry_base` counts
 * the tries before an operator's retry, so a retry gets a fresh set of tries while `attempts`
 * keeps counting them all. A replyid is looked up across batches at ingest (one per store).
 */
export const name = 'rewrite-at-dispatch';

export const sql = `
ALTER TABLE batches ADD COLUMN context TEXT;             -- JSON: the top-level group without its actions
ALTER TABLE actions ADD COLUMN submitted TEXT;           -- JSON: the action as submitted, once a plugin replaced it
ALTER TABLE actions ADD COLUMN placeholder INTEGER NOT NULL DEFAULT 0;  -- 1: removed by its plugin, waits for what it fanned out
ALTER TABLE actions ADD COLUMN retry_base INTEGER NOT NULL DEFAULT 0;   -- attempts made before the last operator retry
CREATE INDEX actions_replyid ON actions(replyid) WHERE replyid <> '';
CREATE INDEX actions_primary ON actions(batch_id, primary_id);
`;
