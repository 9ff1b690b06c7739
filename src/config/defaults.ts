import type { Config, ConnectorKind } from './types.js';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
/** The longest delay a Node timer keeps (2^31 - 1 ms, about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Sized for the heap `npm start` gives (--max-old-space-size=128): a 10,000-action batch
 * (~1.8 MB) peaked at 165 MB resident, a 25,000-action one (4.6 MB) ran out of heap. Plugin
 * output is counted before the daemon parses or receives it.
 */
export const LIMIT_DEFAULTS = Object.freeze({
  batchBytes: 2 * 1024 * 1024,
  actionsPerBatch: 5000,
  fannedPerAction: 1000,
  pluginOutputBytes: 1024 * 1024,
});

export const DEFAULTS: Omit<Config, 'file'> = Object.freeze({
  pluginsDir: './plugins',
  inbox: null,
  rewritePlugin: [],
  pluginOptions: {},
  pluginTimeoutMs: 5 * SECOND,
  pluginMemoryMb: 64,
  pluginThreads: 2,
  // The host holds pluginThreads heaps of pluginMemoryMb plus ~50 MB of its own.
  pluginHostMemoryMb: 256,
  onPluginError: 'primary',
  interpreters: { '.py': 'python3', '.sh': 'sh' },
  targets: {},
  retry: { attempts: 5, firstDelayMs: 1 * SECOND, maxDelayMs: 5 * MINUTE },
  replies: { mode: 'action' as const, files: 'grouped' as const },
  inboxSweepMs: 2 * SECOND,
  shutdownGraceMs: 30 * SECOND,
  maxRunning: 64,
  maxPendingActions: 50_000,
  storeSync: 'FULL',
  storeBusyTimeoutMs: 5 * SECOND,
  pluginHoldMs: 5 * SECOND,
  firstPurgeMs: 2 * SECOND,
  store: { kind: 'sqlite' as const },
  triggers: [],
  triggerConcurrency: 2,
  triggerRetryDelaysMs: [1 * SECOND, 2 * SECOND, 4 * SECOND, 8 * SECOND],
  logs: { maxSizeMb: 50, maxFiles: 5 },
  limits: LIMIT_DEFAULTS,
  retention: { batchesDays: 30, messagesDays: 30 },
  logLevel: 'info',
});

export const TRIGGER_TIMEOUT_MS = 30 * SECOND;

/** Connector settings of a target that names none. */
export const TARGET_DEFAULTS = Object.freeze({ connector: 'directory' as ConnectorKind, concurrency: 4, args: [] as string[], timeoutMs: 30 * SECOND });

/** An ldap target's settings that have a default (docs/ldap.md). */
export const LDAP_DEFAULTS = Object.freeze({
  userRdn: 'uid',
  /** The whole chain, not only the structural class: some servers (389-DS) want every class named. */
  objectClasses: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'] as readonly string[],
  poolSize: 4,
  startTls: false,
});

/** A postgres store's settings when a key of `store` is left out (docs/configuration.md). */
export const POSTGRES_STORE_DEFAULTS = Object.freeze({ poolSize: 10, schema: 'tmon', leaseMs: 15 * SECOND });

/** The HTTP API's settings when a key of `http` is left out. */
export const HTTP_DEFAULTS = Object.freeze({ listen: '127.0.0.1:7070', bodyLimitMb: 10 });
