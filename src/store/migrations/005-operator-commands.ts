/**
 * Operators' commands go through the running daemon, so that their replies reach the outbox and
 * their events start triggers at once, with the daemon's own settings (contract §7). The CLI
 * queues a command; the daemon applies it and records the result. The daemon's row says it is
 * alive (its pid and a heartbeat), so the CLI knows whether to queue or to apply directly.
 */
export const name = 'operator-commands';

export const sql = `
CREATE TABLE commands (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  kind        TEXT NOT NULL,            -- retry | cancel
  args        TEXT NOT NULL,            -- JSON
  state       TEXT NOT NULL,            -- pending | done
  result      TEXT,                     -- JSON: {ok, actions} or {ok: false, reason}
  created_at  INTEGER NOT NULL,
  done_at     INTEGER
);
CREATE INDEX commands_pending ON commands(id) WHERE state = 'pending';

CREATE TABLE daemon (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  pid           INTEGER NOT NULL,
  started_at    INTEGER NOT NULL,
  heartbeat_at  INTEGER NOT NULL
);
`;
