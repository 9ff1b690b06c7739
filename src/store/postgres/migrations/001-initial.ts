/**
 * The PostgreSQL schema: the SQLite store's tables as its eleven migrations left them (same
 * column names and 0/1 flags, so both stores share row types), plus what several daemons on one
 * database need (docs/postgres.md):
 *  - `daemons`: one row per live daemon (its owner id and heartbeat), so presence and dead
 *    owners are decidable;
 *  - `leases`: which daemon runs which batch, until when;
 *  - an `owner` on running actions, replies, trigger runs and commands: who ran it, who mirrors
 *    it, who carries it out.
 * Times are milliseconds since the epoch as BIGINT (the store parses int8 to a number).
 */
export const name = 'initial';

export const sql = `
CREATE TABLE batches (
  id            TEXT PRIMARY KEY,
  seq           BIGSERIAL NOT NULL,     -- arrival order (SQLite's rowid), a tie-breaker for views
  state         TEXT NOT NULL,          -- received | running | succeeded | failed | canceled
  document      TEXT NOT NULL,
  digest        TEXT NOT NULL,
  source        TEXT NOT NULL,
  context       TEXT,
  received_at   BIGINT NOT NULL,
  updated_at    BIGINT NOT NULL,
  finished_at   BIGINT,
  secrets_wiped INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX batches_state_received ON batches(state, received_at, id);
CREATE INDEX batches_finished ON batches(finished_at) WHERE finished_at IS NOT NULL;

CREATE SEQUENCE action_queue_seq;
CREATE TABLE actions (
  batch_id        TEXT NOT NULL,
  id              TEXT NOT NULL,
  queue_seq       BIGINT NOT NULL DEFAULT nextval('action_queue_seq'),
  primary_id      TEXT NOT NULL,
  plugin          TEXT,
  rewritten       INTEGER NOT NULL DEFAULT 0,
  state           TEXT NOT NULL,
  operation       TEXT NOT NULL,
  hostid          TEXT NOT NULL,
  userid          TEXT NOT NULL,
  replyid         TEXT NOT NULL,
  interactive     INTEGER NOT NULL,
  document        TEXT NOT NULL,
  submitted       TEXT,
  placeholder     INTEGER NOT NULL DEFAULT 0,
  waiting_on      INTEGER NOT NULL DEFAULT 0,
  runnable_at     BIGINT,
  attempts        INTEGER NOT NULL DEFAULT 0,
  retry_base      INTEGER NOT NULL DEFAULT 0,
  recovery        INTEGER NOT NULL DEFAULT 0,
  crashes         INTEGER NOT NULL DEFAULT 0,
  secrets_wiped   INTEGER NOT NULL DEFAULT 0,
  owner           TEXT,                 -- the daemon that claimed it (while running)
  retval          TEXT,
  last_error      TEXT,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  started_at      BIGINT,
  finished_at     BIGINT,
  PRIMARY KEY (batch_id, id)
);
CREATE INDEX actions_runnable ON actions(hostid, interactive DESC, queue_seq) WHERE runnable_at IS NOT NULL;
CREATE INDEX actions_runnable_batch ON actions(batch_id) WHERE runnable_at IS NOT NULL;
CREATE INDEX actions_running ON actions(hostid) WHERE state = 'running';
CREATE INDEX actions_retrying ON actions(runnable_at) WHERE state = 'retrying';
CREATE INDEX actions_open ON actions(batch_id) WHERE state IN ('waiting', 'ready', 'running', 'retrying');
CREATE INDEX actions_id ON actions(id);
CREATE INDEX actions_replyid ON actions(replyid) WHERE replyid <> '';
CREATE INDEX actions_primary ON actions(batch_id, primary_id);
CREATE INDEX actions_userid ON actions(userid);
CREATE INDEX actions_hostid ON actions(hostid, created_at);

CREATE TABLE dependencies (
  batch_id      TEXT NOT NULL,
  action_id     TEXT NOT NULL,
  dep_batch_id  TEXT NOT NULL,
  dep_action_id TEXT NOT NULL,
  PRIMARY KEY (batch_id, action_id, dep_batch_id, dep_action_id)
);
CREATE INDEX dependencies_target ON dependencies(dep_batch_id, dep_action_id);

CREATE TABLE replies (
  seq        BIGSERIAL PRIMARY KEY,
  replyid    TEXT NOT NULL UNIQUE,
  batch_id   TEXT NOT NULL,
  action_id  TEXT NOT NULL,
  operation  TEXT NOT NULL,
  status     TEXT NOT NULL,
  retval     TEXT NOT NULL,
  message    TEXT NOT NULL,
  at         BIGINT NOT NULL,
  mirrored   INTEGER NOT NULL DEFAULT 0,
  owner      TEXT NOT NULL              -- the daemon that mirrors it into its outbox
);
CREATE INDEX replies_unmirrored ON replies(owner, seq) WHERE mirrored = 0;
CREATE INDEX replies_batch ON replies(batch_id);

CREATE TABLE messages (
  seq        BIGSERIAL PRIMARY KEY,
  at         BIGINT NOT NULL,
  level      TEXT NOT NULL,
  source     TEXT NOT NULL,
  batch_id   TEXT,
  action_id  TEXT,
  text       TEXT NOT NULL,
  read_at    BIGINT
);
CREATE INDEX messages_unread ON messages(seq) WHERE read_at IS NULL;
CREATE INDEX messages_at ON messages(at);
CREATE INDEX messages_batch ON messages(batch_id, seq) WHERE batch_id IS NOT NULL;

CREATE TABLE trigger_runs (
  id          BIGSERIAL PRIMARY KEY,
  trigger     TEXT NOT NULL,
  event       TEXT NOT NULL,
  payload     TEXT NOT NULL,
  state       TEXT NOT NULL,
  attempts    INTEGER NOT NULL DEFAULT 0,
  next_at     BIGINT NOT NULL,
  last_error  TEXT,
  created_at  BIGINT NOT NULL,
  finished_at BIGINT,
  owner       TEXT                      -- the daemon running it (while running)
);
CREATE INDEX trigger_runs_due ON trigger_runs(next_at) WHERE state IN ('pending', 'running');
CREATE INDEX trigger_runs_finished ON trigger_runs(finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE directory_accounts (
  hostid   TEXT NOT NULL,
  userid   TEXT NOT NULL,
  data     TEXT NOT NULL,
  PRIMARY KEY (hostid, userid)
);
CREATE TABLE directory_groups (
  hostid   TEXT NOT NULL,
  groupid  TEXT NOT NULL,
  PRIMARY KEY (hostid, groupid)
);

CREATE TABLE commands (
  id          BIGSERIAL PRIMARY KEY,
  kind        TEXT NOT NULL,
  args        TEXT NOT NULL,
  state       TEXT NOT NULL,
  result      TEXT,
  created_at  BIGINT NOT NULL,
  done_at     BIGINT,
  owner       TEXT                      -- the daemon that took it to apply
);
CREATE INDEX commands_pending ON commands(id) WHERE state = 'pending';
CREATE INDEX commands_done ON commands(done_at) WHERE done_at IS NOT NULL;

CREATE TABLE daemons (
  owner         TEXT PRIMARY KEY,
  pid           INTEGER NOT NULL,
  started_at    BIGINT NOT NULL,
  heartbeat_at  BIGINT NOT NULL
);

CREATE TABLE leases (
  batch_id    TEXT PRIMARY KEY,
  owner       TEXT NOT NULL,
  expires_at  BIGINT NOT NULL
);
CREATE INDEX leases_owner ON leases(owner);

CREATE TABLE secret_key_check (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  sealed      TEXT NOT NULL,
  created_at  BIGINT NOT NULL
);

CREATE TABLE paused_hosts (
  hostid     TEXT PRIMARY KEY,
  paused_at  BIGINT NOT NULL,
  note       TEXT NOT NULL
);
`;
