/**
 * The operator views a help desk asks for (issue 15 items 5-6, contract §7):
 * - paused targets, a table so that a pause outlives a restart (claims skip these hosts);
 * - read marks on the message board (`tmon messages` shows unread ones by default);
 * - indexes for `tmon find --user` / `--host` (replyid already has one).
 * `find --request` has no table of its own: it is a rare help-desk lookup that scans the
 * batches' stored context (LIKE, then a parse to confirm), which keeps ingest untouched.
 */
export const name = 'operator-views';

export const sql = `
CREATE TABLE paused_hosts (
  hostid     TEXT PRIMARY KEY,
  paused_at  INTEGER NOT NULL,
  note       TEXT NOT NULL
);
ALTER TABLE messages ADD COLUMN read_at INTEGER;
CREATE INDEX messages_unread ON messages(seq) WHERE read_at IS NULL;
CREATE INDEX actions_userid ON actions(userid);
CREATE INDEX actions_hostid ON actions(hostid, created_at);
`;
