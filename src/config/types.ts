import type { EventType } from '../events.js';

export type OnPluginError = 'primary' | 'fail';

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
}

export type ConnectorKind = 'directory' | 'script' | 'ldap';

/** One target (hostid) as the engine sees it, with `"*"` and the defaults filled in. */
export interface TargetConfig extends Partial<LdapTargetConfig> {
  connector: ConnectorKind;
  concurrency: number;
  retry: RetryPolicy;
  /** Script connector: the program, its arguments and its time limit. */
  script?: string;
  args: string[];
  timeoutMs: number;
}

/** An ldap target's settings (docs/ldap.md), beside the others in its target entry; paths made absolute. */
export interface LdapTargetConfig {
  /** ldap://host:port or ldaps://host:port */
  url: string;
  startTls?: boolean;
  bindDn: string;
  /** The bind password: the first line of this file, or this environment variable. */
  passwordFile?: string;
  passwordEnv?: string;
  usersDn: string;
  /** Where bare group names live (`cn=NAME,<groupsDn>`). */
  groupsDn?: string;
  userRdn?: string;
  objectClasses?: string[];
  /** tmon key (an action pair or attribute) → LDAP attribute. */
  attributes?: Record<string, string>;
  tls?: { ca?: string; rejectUnauthorized?: boolean };
  poolSize?: number;
}

export type TargetOverrides = Partial<Omit<TargetConfig, 'retry'>> & { retry?: Partial<RetryPolicy> };

export type PayloadFormat = 'kvgroup' | 'json' | 'xml';

/** A script run when an event happens (contract §8). */
export interface TriggerConfig {
  /** What `tmon triggers test NAME` calls it: given, or the script's file name without extension. */
  name: string;
  /** The events it runs on: one name or several in the config file. */
  events: EventType[];
  script: string;
  args: string[];
  format: PayloadFormat;
  /** Only events about these targets or operations (an event without the field does not match). */
  filter: { hostid?: string[]; operation?: string[] };
  timeoutMs: number;
}

export type HttpRole = 'submit' | 'read' | 'operate';

/** A bearer token of the HTTP API and what it may do. */
export interface HttpToken {
  /** Shown in request logs instead of the token. */
  name: string;
  token: string;
  roles: HttpRole[];
}

/** The HTTP API (contract §9); absent from `Config` unless configured. */
export interface HttpConfig {
  host: string;
  port: number;
  tokens: HttpToken[];
  /** Absolute paths of the PEM files; none: plain HTTP. */
  tls?: { cert: string; key: string };
  /** Allows plain HTTP on an address other than loopback. */
  insecure: boolean;
  bodyLimitMb: number;
  /** Whether GET /metrics wants a token with role `read`; default: only when not on loopback. */
  metricsAuth: boolean;
}

export interface LogsConfig {
  maxSizeMb: number;
  maxFiles: number;
}

/** Sizes past which input is refused rather than held in memory. */
export interface Limits {
  /** An inbox file larger than this is rejected unread. */
  batchBytes: number;
  /** A batch with more actions is rejected. */
  actionsPerBatch: number;
  /** A plugin output with more actions than the primary plus this many is a plugin failure. */
  fannedPerAction: number;
  /** A plugin output larger than this (KVGroup text, or JSON once serialised) is a plugin failure. */
  pluginOutputBytes: number;
}

export interface Config {
  /** Absolute path of the plugins folder. */
  pluginsDir: string;
  /**
   * Absolute path of the inbox folder; null: the home's `inbox/`. Several daemons may share one:
   * each file is claimed by an atomic rename before it is read.
   */
  inbox: string | null;
  /** The plugins applied to every action, in order; empty: actions run as submitted. */
  rewritePlugin: string[];
  /** `pluginOptions.<name>` reaches plugin `<name>` as `context.options`. */
  pluginOptions: Record<string, unknown>;
  pluginTimeoutMs: number;
  pluginMemoryMb: number;
  /** Worker threads for JS plugins. */
  pluginThreads: number;
  /** Resident memory of the plugin-host process (all JS plugin workers together); past it the host is killed and restarted. */
  pluginHostMemoryMb: number;
  onPluginError: OnPluginError;
  /** File extension (with its dot) → the program that runs such a plugin. */
  interpreters: Record<string, string>;
  /** Per hostid (or `"*"` for all) connector settings; see `targetFor`. */
  targets: Record<string, TargetOverrides>;
  retry: RetryPolicy;
  /**
   * mode: `action` answers a replyid when its action is final, `tree` when it and all it led to
   * are. files: `grouped` writes one outbox file per commit, `each` one per reply.
   */
  replies: { mode: 'action' | 'tree'; files: 'grouped' | 'each' };
  /** How often the inbox is swept besides watching it (a watcher can miss events). */
  inboxSweepMs: number;
  /** How long SIGTERM waits for running actions before closing. */
  shutdownGraceMs: number;
  /** Most actions running at once, all targets together. */
  maxRunning: number;
  /**
   * The inbox takes batches in while fewer actions than this are unfinished; the rest wait on
   * disk until room frees (a batch with interactive work is always taken).
   */
  maxPendingActions: number;
  /** SQLite `synchronous`: FULL (every commit on disk) or NORMAL (faster; a power cut may lose the last commits). */
  storeSync: 'FULL' | 'NORMAL';
  /**
   * SQLite `busy_timeout`: how long a commit waits for another process holding the store's
   * write lock before it gives up; the engine then keeps the turn's results and tries again.
   */
  storeBusyTimeoutMs: number;
  /** How long an action waits before its plugin is tried again, when the plugin cannot be used (missing, say). */
  pluginHoldMs: number;
  /** How long after start the first purge by `retention` runs (recovery comes first); then hourly. */
  firstPurgeMs: number;
  /** Where the store lives: the home's SQLite file (default), or a PostgreSQL database several daemons share (docs/postgres.md). */
  store: StoreConfig;
  triggers: TriggerConfig[];
  /** Trigger scripts running at once. */
  triggerConcurrency: number;
  /** Waits between a trigger's tries; one more try than waits (default: 5 tries). */
  triggerRetryDelaysMs: number[];
  /** The HTTP API; off when absent. */
  http?: HttpConfig;
  /** logs/tmon.log rotates once it reaches `maxSizeMb`; `maxFiles` files are kept in all. */
  logs: LogsConfig;
  limits: Limits;
  /** Finished batches and board messages older than this many days are purged (docs/operations.md). */
  retention: RetentionConfig;
  /** The daemon's log level: error, warn, info or debug (changes on reload). */
  logLevel: LogLevel;
  /** The config file read, if any. */
  file?: string;
}


/** `sqlite`: the home's tmon.db. `postgres`: a schema of a PostgreSQL database, shared by every daemon configured with it. */
export type StoreConfig = { kind: 'sqlite' } | PostgresStoreConfig;

export interface PostgresStoreConfig {
  kind: 'postgres';
  /** postgres://user:password@host:port/database; the password never appears in tmon's output. */
  url: string;
  /** Connections this daemon keeps open. */
  poolSize: number;
  /** The schema holding tmon's tables (created by the first migration). */
  schema: string;
  /** A daemon silent this long is taken for dead: another takes over its batches. */
  leaseMs: number;
}

/** How long finished work is kept, in days (fractions allowed; 0 purges at the next purge). */
export interface RetentionConfig {
  batchesDays: number;
  messagesDays: number;
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
