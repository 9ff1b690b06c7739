import { loadConfig, type Config } from './config/index.js';
import { watchWake } from './command-wake.js';
import { reloadDaemon, swappableConnectors } from './daemon-reload.js';
import { CommandRunner, Engine, Inbox, Retention, type EngineOptions } from './engine/index.js';
import { ensureHome, homeLayout, type HomeLayout } from './home.js';
// From its own module: the HTTP barrel would load the server (fastify) with or without `http`.
import { startHttp } from './http/start.js';
import { acquireHomeLock, type HomeLock } from './lock.js';
import { createLogger, type LogFormat } from './log.js';
import { checkPluginsFolder, PluginHost } from './plugins/index.js';
import { Outbox } from './replies/index.js';
import { KEY_ENV, loadSecretKey } from './secrets/index.js';
import { daemonOwner, holdsSealedPasswords, openStore, SqliteStore, storeWhere, type AnyStore } from './store/index.js';
import { TriggerRunner, triggersFor } from './triggers/index.js';

export interface DaemonOptions {
  home: string;
  /** A config file to use instead of the home's tmon.config.json. */
  configFile?: string;
  /** Log to the console too (the default); tests turn it off. */
  console?: boolean;
  /** The console's log format (the file is always JSON); default: text on a terminal, else JSON. */
  logFormat?: LogFormat;
}

export interface RunningDaemon {
  layout: HomeLayout;
  config: Config;
  engine: Engine;
  inbox: Inbox;
  /** The configured store (SQLite or PostgreSQL), before the HTTP API's metrics wrap it. */
  store: AnyStore;
  /** Operators' commands, applied in the daemon (the CLI's queue, the HTTP API). */
  commands: CommandRunner;
  /** Stops taking work, lets running actions finish (up to the grace period), closes. `reason` is logged. */
  stop(reason?: string): Promise<void>;
}

/**
 * Starts the daemon on a home folder: creates what is missing, validates the config (a bad one
 * stops the start with its errors), recovers what a previous run left, then watches the inbox.
 */
export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const layout = homeLayout(options.home);
  const config = options.configFile ? loadConfig(options.configFile, { required: true }) : loadConfig(layout.config);
  ensureHome(layout);
  // One daemon per home; the lock also tells `tmon plugins` what this one runs.
  const lock = acquireHomeLock(layout.root, { plugins: config.rewritePlugin, pluginsDir: config.pluginsDir, config: config.file ?? null });
  try {
    const daemon = await startLocked(options, layout, config, lock);
    return { ...daemon, stop: (reason) => daemon.stop(reason).finally(() => lock.release()) };
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function startLocked(options: DaemonOptions, layout: HomeLayout, config: Config, lock: HomeLock): Promise<RunningDaemon> {
  // A configured plugin whose folder is missing would leave every action un-rewritten: refuse to start.
  checkPluginsFolder(config);
  const logger = createLogger({
    logsDir: layout.logs,
    console: options.console ?? true,
    ...(options.logFormat ? { consoleFormat: options.logFormat } : {}),
    maxSizeBytes: config.logs.maxSizeMb * 1024 * 1024,
    maxFiles: config.logs.maxFiles,
    level: config.logLevel,
  });
  // Passwords are sealed at rest with the home's key (TMON_SECRET_KEY first); a new key only for a store with nothing sealed.
  const where = await storeWhere(config.store, layout.db);
  const keyed = await holdsSealedPasswords(config.store, layout.db);
  const key = loadSecretKey({ file: layout.secretKey, env: process.env[KEY_ENV], mayCreate: () => !keyed, store: where });
  const opened = await openStore(config.store, layout.db, { owner: daemonOwner(layout.root), repliesMode: config.replies.mode, synchronous: config.storeSync, busyTimeoutMs: config.storeBusyTimeoutMs, triggersFor: triggersFor(config.triggers), secrets: key.box });
  // Said after the start line, which is the first a reader of the console looks for.
  const keyNotes: string[] = [];
  if (key.created) keyNotes.push(`secret key created: ${layout.secretKey} (mode 0600) seals the passwords in the store; back it up with the store, which cannot run the actions holding passwords without it (docs/operations.md, "The secret key")`);
  if (opened instanceof SqliteStore && opened.keyAdoption === 'sealed') keyNotes.push(`the passwords this store held in plain text are sealed now (open actions) or wiped (final ones)${opened.vacuumError ? `; the file could not be vacuumed (${opened.vacuumError}): run VACUUM on it while tmon is stopped to drop the old pages` : ''}`);
  if (opened.keyAdoption === 'rekeyed') keyNotes.push(`the store's previous secret key is not the one from ${key.box.source}; it sealed nothing the store still holds, so this key replaces it`);
  // With the HTTP API on, its metrics observe the store, connectors, plugins and replies.
  const http = await startHttp(config, logger);
  const store = http.observe.store(opened);
  const plugins = http.observe.plugins(new PluginHost(config, logger));
  const triggers = new TriggerRunner(store, config, logger);
  let engine: Engine;
  // Rebuilt by a config reload; the config object itself is changed in place (daemon-reload.ts).
  const connectors = swappableConnectors(config, store);
  const outbox = new Outbox(layout.outbox, store, (err) => logger.error(`outbox: ${err.message}`), () => engine?.wake(), config.replies.files);
  const onEvents = (events: Parameters<NonNullable<EngineOptions['onEvents']>>[0]): void => {
    triggers.wakeFor(events);
    http.events(events);
  };
  engine = new Engine({
    store,
    config,
    logger,
    plugins,
    connectorFor: http.observe.connectors(connectors),
    replies: http.observe.replies(outbox),
    onEvents,
  });
  // Several daemons on PostgreSQL: another daemon's results or batches wake this one's engine
  // at once (a target slot it freed, say), not at the next poll.
  if (!(opened instanceof SqliteStore)) await opened.onWork(() => engine.wake());
  const retention = new Retention(store, config, logger);
  let reloading: Promise<unknown> = Promise.resolve();
  const reload = () => {
    const parts = { file: options.configFile ?? layout.config, required: options.configFile !== undefined, config, logger, store, opened, triggers, connectors, lock };
    const next = reloading.then(() => reloadDaemon(parts));
    reloading = next.catch((err: Error) => logger.error(`config reload: ${err.message}`));
    return next;
  };
  const onHangup = (): void => void reload().catch(() => undefined);
  const commands = new CommandRunner(store, engine, logger, { retention, reload });
  // The home's inbox, or a folder the config names (several daemons may share it).
  const inboxDir = config.inbox ?? layout.inbox;
  await http.listen({ config, store, engine, plugins, replies: outbox, inboxDir, logger, onEvents, commands });
  const inbox = new Inbox({
    dir: inboxDir,
    home: layout.root,
    store,
    logger,
    sweepMs: config.inboxSweepMs,
    maxPendingActions: config.maxPendingActions,
    maxBytes: config.limits.batchBytes,
    maxActions: config.limits.actionsPerBatch,
    onAccepted: (effects) => {
      void engine.absorb(effects);
      engine.wake();
      triggers.wake();
    },
    onInteractive: (actions) => engine.expedite(actions),
  });
  // Alive before the engine's start writes this daemon's leftover replies (catchUp): another
  // daemon adopts only the replies of daemons not alive, so the two do not write the same ones.
  const startedAt = Date.now();
  await store.heartbeat(process.pid, startedAt);
  await engine.start();
  await triggers.start();
  inbox.start();
  commands.start();
  // The CLI rings after queueing a command: it is applied now, not at the next poll.
  const unwatchWake = watchWake(layout.wake, () => commands.wake(), (err) => logger.warn(`${layout.wake}: ${err.message}; operators' commands apply at the next poll`));
  retention.start();
  process.on('SIGHUP', onHangup);
  // The CLI queues operators' commands while this heartbeat is fresh, and applies them itself otherwise.
  // Several daemons on one store: with each beat, the replies of one that died (those of a batch
  // taken over included) are written by this one, not at some daemon's next start.
  const adopt = config.store.kind === 'postgres';
  const beat = async (): Promise<void> => {
    await store.heartbeat(process.pid, startedAt).catch((err: Error) => logger.warn(`heartbeat: ${err.message}`));
    if (!adopt) return;
    const n = await outbox.adoptOrphans().catch((err: Error) => (logger.warn(`adopting replies: ${err.message}`), 0));
    if (n > 0) logger.info(`${n} reply file(s) written for a daemon that stopped before writing them`);
  };
  const heartbeat = setInterval(() => void beat(), 1000);
  http.ready();
  // A rejected file queues trigger runs outside the engine, and retries fall due: look now and then.
  const poll = setInterval(() => {
    engine.wake();
    triggers.wake();
  }, config.inboxSweepMs);
  logger.info(`tmon daemon started (pid ${process.pid}); home ${layout.root}; store ${where}; plugins ${config.rewritePlugin.length ? config.rewritePlugin.join(' -> ') : 'none'}`);
  for (const note of keyNotes) logger.warn(note);

  let stopping: Promise<void> | undefined;
  const stop = (reason?: string): Promise<void> =>
    (stopping ??= (async () => {
      logger.info(`stopping${reason ? ` (${reason})` : ''}: no new work; waiting for running actions`);
      http.stopping();
      clearInterval(poll);
      clearInterval(heartbeat);
      unwatchWake();
      commands.stop();
      retention.stop();
      process.off('SIGHUP', onHangup);
      await inbox.stop();
      const drained = await engine.stop(config.shutdownGraceMs);
      await triggers.stop(Math.min(config.shutdownGraceMs, 5000));
      if (!drained) logger.warn(`actions still running after ${config.shutdownGraceMs} ms; they run again at the next start`);
      await http.close();
      await plugins.close();
      // Unbinds LDAP connections (actions still running after the grace period keep theirs).
      await connectors.close();
      await store.leave(process.pid);
      await opened.close();
      logger.info('tmon daemon stopped');
      await new Promise<void>((resolve) => {
        logger.on('finish', resolve);
        logger.end();
      });
    })());
  return { layout, config, engine, inbox, store: opened, commands, stop };
}
