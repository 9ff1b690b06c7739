import { readdirSync } from 'node:fs';
import type { Config } from '../config/index.js';
import { prepareBatch, type CommandRunner, type Engine, type ReplySink } from '../engine/index.js';
import type { Logger } from '../log.js';
import { listPlugins, type PluginHost } from '../plugins/index.js';
import type { Effects, OperatorResult, Store } from '../store/index.js';
import type { DaemonPort, WorkGauges } from './port.js';

/** What the daemon hands the HTTP API: its running parts. */
export interface DaemonParts {
  config: Config;
  store: Store;
  engine: Engine;
  plugins: PluginHost;
  /** The reply sink the engine uses: replies of operators' actions go the same way. */
  replies: ReplySink & { readonly backlog: number };
  inboxDir: string;
  logger: Logger;
  /** Operators' commands, applied in the daemon as the CLI's are. */
  commands: CommandRunner;
  /** Told of events committed outside the engine (operators' actions), as the engine's onEvents is. */
  onEvents: (events: Effects['events']) => void;
}

/** The DaemonPort over the engine and store: the one place the HTTP API meets them. */
export function daemonPort(parts: DaemonParts): DaemonPort {
  const { store, engine, logger } = parts;
  return {
    store,
    async submit(text, source) {
      const batch = await prepareBatch(text, source, store);
      const { result, effects } = await store.insertBatch(batch);
      const meta = { batch: batch.id, source };
      // What storing it set off (a resubmission event, actions skipped at arrival) goes where the engine's own does.
      await engine.absorb(effects);
      if (result === 'inserted') {
        logger.info(`received batch ${batch.id} (${batch.actions.length} action${batch.actions.length === 1 ? '' : 's'}) from ${source}`, meta);
        engine.wake();
        // batch.received was queued with the batch: its trigger runs wait for the runner.
        parts.onEvents([]);
      } else if (result === 'conflict') logger.warn(`${source}: batch ${batch.id} is already held with other content; refused`, meta);
      return { result, batch: batch.id, actions: batch.actions.map((a) => a.id) };
    },
    retry: async (batchId, actionId, who): Promise<OperatorResult> => parts.commands.apply({ kind: 'retry', batch: batchId, action: actionId, note: who }),
    cancel: async (batchId, who): Promise<OperatorResult> => parts.commands.apply({ kind: 'cancel', batch: batchId, note: who }),
    plugins: () => listPlugins(parts.plugins, parts.config.rewritePlugin, parts.config.pluginsDir),
    async gauges(): Promise<WorkGauges> {
      let inboxFiles = 0;
      try {
        inboxFiles = readdirSync(parts.inboxDir).filter((n) => n.endsWith('.kvg') && !n.startsWith('.')).length;
      } catch {
        // No inbox folder: nothing waits in it.
      }
      const tallies = await store.tallies();
      return { inboxFiles, running: engine.busy, repliesUnmirrored: parts.replies.backlog, actions: tallies.actions, batches: Object.fromEntries(tallies.batches.map((b) => [b.state, b.count])) };
    },
  };
}

/** The engine's reply sink, also telling `listener` of every reply it takes (they are committed by then). */
export function notifyingSink<S extends ReplySink>(sink: S, listener: (replies: Parameters<ReplySink['mirror']>[0]) => void): ReplySink {
  return {
    async mirror(replies) {
      await sink.mirror(replies);
      listener(replies);
    },
    async catchUp() {
      return sink.catchUp();
    },
    drain: () => sink.drain(),
    get full() {
      return sink.full ?? false;
    },
  };
}
