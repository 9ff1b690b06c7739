import { loadConfig, type Config } from './config/index.js';
import { connectorsFor } from './connectors/index.js';
import { Engine, Inbox } from './engine/index.js';
import { ensureHome, homeLayout, type HomeLayout } from './home.js';
import { acquireHomeLock } from './lock.js';
import { createLogger, type LogFormat } from './log.js';
import { PluginHost } from './plugins/index.js';
import { Outbox } from './replies/index.js';
import { SqliteStore } from './store/index.js';
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
  store: SqliteStore;
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
    const daemon = await startLocked(options, layout, config);
    return { ...daemon, stop: (reason) => daemon.stop(reason).finally(() => lock.release()) };
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function startLocked(options: DaemonOptions, layout: HomeLayout, config: Config): Promise<RunningDaemon> {
  const logger = createLogger({
    logsDir: layout.logs,
    console: options.console ?? true,
    ...(options.logFormat ? { consoleFormat: options.logFormat } : {}),
    maxSizeBytes: config.logs.maxSizeMb * 1024 * 1024,
    maxFiles: config.logs.maxFiles,
  });
  const store = new SqliteStore(layout.db, { repliesMode: config.replies.mode, synchronous: config.storeSync, triggersFor: triggersFor(config.triggers) });
  const plugins = new PluginHost(config, logger);
  const triggers = new TriggerRunner(store, config, logger);
  let engine: Engine;
  const outbox = new Outbox(layout.outbox, store, (err) => logger.error(`outbox: ${err.message}`), () => engine?.wake());
  engine = new Engine({
    store,
    config,
    logger,
    plugins,
    connectorFor: connectorsFor(config, store),
    replies: outbox,
    onEvents: () => triggers.wake(),
  });
  const inbox = new Inbox({
    dir: layout.inbox,
    store,
    logger,
    sweepMs: config.inboxSweepMs,
    onAccepted: () => {
      engine.wake();
      triggers.wake();
    },
  });
  await engine.start();
  await triggers.start();
  inbox.start();
  // Operators' retries and cancels are written by another process, and a rejected file queues
  // trigger runs outside the engine: look for work now and then.
  const poll = setInterval(() => {
    engine.wake();
    triggers.wake();
  }, config.inboxSweepMs);
  logger.info(`tmon daemon started (pid ${process.pid}); home ${layout.root}; plugins ${config.rewritePlugin.length ? config.rewritePlugin.join(' -> ') : 'none'}`);

  let stopping: Promise<void> | undefined;
  const stop = (reason?: string): Promise<void> =>
    (stopping ??= (async () => {
      logger.info(`stopping${reason ? ` (${reason})` : ''}: no new work; waiting for running actions`);
      clearInterval(poll);
      await inbox.stop();
      const drained = await engine.stop(config.shutdownGraceMs);
      await triggers.stop(Math.min(config.shutdownGraceMs, 5000));
      if (!drained) logger.warn(`actions still running after ${config.shutdownGraceMs} ms; they run again at the next start`);
      await plugins.close();
      await store.close();
      logger.info('tmon daemon stopped');
      await new Promise<void>((resolve) => {
        logger.on('finish', resolve);
        logger.end();
      });
    })());
  return { layout, config, engine, inbox, store, stop };
}
