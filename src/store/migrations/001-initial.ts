/**
 * The first schema. Times are milliseconds since the epoch. An action's `document` is its
 * KVGroup group as JSON (the JSON view), the form the executor and plugins read without
 * re-parsing; a batch keeps the text it arrived as.
 */
export const name = 'initial';

export const sql = `
CREATE TABLE batches (
  id            TEXT PRIMARY KEY,
  state         TEXT NOT NULL,          -- received | running | succeeded | failed | canceled
  document      TEXT NOT NULL,          -- the text as submitted
  digest        TEXT NOT NULL,          -- sha256 of the canonical form: same content, same digest
  source        TEXT NOT NULL,
  received_at   INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  finished_at   INTEGER
);
CREATE INDEX batches_state ON batches(state);

CREATE TABLE actions (
  batch_id        TEXT NOT NULL,
  id              TEXT NOT NULL,
  queue_seq       INTEGER NOT NULL,     -- arrival order, for fairness among equals
  primary_id      TEXT NOT NULL,        -- the submitted action it came from (itself, if submitted)
  plugin          TEXT,                 -- the plugin(s) that produced it, if any
  rewritten       INTEGER NOT NULL DEFAULT 0,  -- 0 until the rewrite step has run on it
  state           TEXT NOT NULL,        -- waiting | ready | running | retrying | succeeded | failed | skipped | canceled
  operation       TEXT NOT NULL,
  hostid          TEXT NOT NULL,
  userid          TEXT NOT NULL,
  replyid         TEXT NOT NULL,
  interactive     INTEGER NOT NULL,
  document        TEXT NOT NULL,
  waiting_on      INTEGER NOT NULL DEFAULT 0,  -- dependencies not yet succeeded
  runnable_at     INTEGER,              -- set while ready (0) or retrying (next attempt); NULL otherwise
  attempts        INTEGER NOT NULL DEFAULT 0,
  recovery        INTEGER NOT NULL DEFAULT 0,  -- 1: found running at start; the connector is told
  retval          TEXT,
  last_error      TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  started_at      INTEGER,
  finished_at     INTEGER,
  PRIMARY KEY (batch_id, id)
);
CREATE INDEX actions_runnable ON actions(hostid, interactive DESC, queue_seq) WHERE runnable_at IS NOT NULL;
CREATE INDEX actions_state ON actions(state) WHERE state IN ('running', 'retrying');

CREATE TABLE dependencies (
  batch_id      TEXT NOT NULL,
  action_id     TEXT NOT NULL,
  dep_batch_id  TEXT NOT NULL,
  dep_action_id TEXT NOT NULL,
  PRIMARY KEY (batch_id, action_id, dep_batch_id, dep_action_id)
);
CREATE INDEX dependencies_target ON dependencies(dep_batch_id, dep_action_id);

CREATE TABLE replies (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  replyid    TEXT NOT NULL UNIQUE,
  batch_id   TEXT NOT NULL,
  action_id  TEXT NOT NULL,
  operation  TEXT NOT NULL,
  status     TEXT NOT NULL,             -- success | failure
  retval     TEXT NOT NULL,
  message    TEXT NOT NULL,
  at         INTEGER NOT NULL,
  mirrored   INTEGER NOT NULL DEFAULT 0 -- 1 once its outbox file is written
);
CREATE INDEX replies_unmirrored ON replies(seq) WHERE mirrored = 0;

CREATE TABLE messages (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  at         INTEGER NOT NULL,
  level      TEXT NOT NULL,             -- info | warn | error
  source     TEXT NOT NULL,             -- ingest | plugin | engine | trigger | operator
  batch_id   TEXT,
  action_id  TEXT,
  text       TEXT NOT NULL
);

CREATE TABLE trigger_runs (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  trigger     TEXT NOT NULL,
  event       TEXT NOT NULL,
  payload     TEXT NOT NULL,
  state       TEXT NOT NULL,            -- pending | running | succeeded | failed
  attempts    INTEGER NOT NULL DEFAULT 0,
  next_at     INTEGER NOT NULL,
  last_error  TEXT,
  created_at  INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX trigger_runs_due ON trigger_runs(next_at) WHERE state IN ('pending', 'running');

CREATE TABLE directory_accounts (
  hostid   TEXT NOT NULL,
  userid   TEXT NOT NULL,
  data     TEXT NOT NULL,               -- JSON: accountid, fname, enabled, locked, …
  PRIMARY KEY (hostid, userid)
);

CREATE TABLE directory_groups (
  hostid   TEXT NOT NULL,
  groupid  TEXT NOT NULL,
  PRIMARY KEY (hostid, groupid)
);
`;
