import { join } from 'node:path';
import { normaliseConfig, type Config } from '../../src/config/index.js';
import { connectorsFor } from '../../src/connectors/index.js';
import { ConnectorError, Engine, prepareBatch, type Connector, type ConnectorRequest, type ConnectorResult } from '../../src/engine/index.js';
import { PluginHost } from '../../src/plugins/index.js';
import { Outbox } from '../../src/replies/index.js';
import { SqliteStore, type StoreEvent } from '../../src/store/index.js';
import { TriggerRunner, triggersFor } from '../../src/triggers/index.js';
import { tempDir } from './home.js';
import { recordingLogger } from './logger.js';

export interface Execution {
  batch: string;
  id: string;
  hostid: string;
  attempt: number;
  recovery: boolean;
  start: number;
  end: number;
}

/**
 * A test target that keeps real state: what ran, when, how many at once per host; each
 * action's fate is scripted by `behave` (default: succeed).
 */
export class RecordingConnector implements Connector {
  readonly kind = 'recording';
  readonly executions: Execution[] = [];
  readonly running = new Map<string, number>();
  readonly maxRunning = new Map<string, number>();

  constructor(
    private readonly behave: (req: ConnectorRequest) => 'ok' | 'transient' | 'permanent' = () => 'ok',
    private readonly delayMs = 5,
  ) {}

  async execute(req: ConnectorRequest): Promise<ConnectorResult> {
    const host = req.action.pairs.hostid ?? '';
    const now = this.running.get(host) ?? 0;
    this.running.set(host, now + 1);
    this.maxRunning.set(host, Math.max(this.maxRunning.get(host) ?? 0, now + 1));
    const start = Date.now();
    await new Promise((r) => setTimeout(r, this.delayMs));
    this.running.set(host, (this.running.get(host) ?? 1) - 1);
    this.executions.push({ batch: req.batchId, id: req.action.id, hostid: host, attempt: req.attempt, recovery: req.recovery, start, end: Date.now() });
    const fate = this.behave(req);
    if (fate === 'transient') throw new ConnectorError('TARGET_BUSY', `${req.action.id}: target busy`, '75');
    if (fate === 'permanent') throw new ConnectorError('NO_SUCH_ACCOUNT', `${req.action.id}: no such account`, '32');
    return { retval: '0', message: `${req.action.id} done` };
  }

  /** The ids in the order they finished. */
  order(): string[] {
    return this.executions.map((e) => e.id);
  }
}

export interface Harness {
  home: string;
  store: SqliteStore;
  engine: Engine;
  config: Config;
  events: StoreEvent[];
  logger: ReturnType<typeof recordingLogger>;
  submit(text: string, source?: string): Promise<string>;
  /** Starts a held engine (see `hold`). */
  start(): Promise<void>;
  /** Resolves when every batch held is final and its reply files are written. */
  settle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** An in-process engine on a fresh temporary home. */
export async function engineHarness(options: { config?: Record<string, unknown>; connector?: Connector; random?: () => number; hold?: boolean } = {}): Promise<Harness> {
  const dir = tempDir();
  const config = normaliseConfig({ pluginThreads: 1, ...options.config }, dir.path);
  const store = new SqliteStore(join(dir.path, 'tmon.db'), { repliesMode: config.replies.mode, synchronous: 'NORMAL', triggersFor: triggersFor(config.triggers) });
  const logger = recordingLogger();
  const plugins = new PluginHost(config, logger);
  const events: StoreEvent[] = [];
  const triggers = new TriggerRunner(store, config, logger);
  const connectorFor = options.connector ? () => options.connector! : connectorsFor(config, store);
  const outbox = new Outbox(join(dir.path, 'outbox'), store, undefined, undefined, config.replies.files);
  const engine = new Engine({
    store,
    config,
    logger,
    plugins,
    connectorFor,
    replies: outbox,
    onEvents: (e) => {
      events.push(...e);
      triggers.wakeFor(e);
    },
    ...(options.random ? { random: options.random } : {}),
  });
  if (!options.hold) await engine.start();
  await triggers.start();
  return {
    home: dir.path,
    store,
    engine,
    config,
    events,
    logger,
    start: () => engine.start(),
    async submit(text, source = 'test.kvg') {
      const batch = await prepareBatch(text, source, store);
      const { effects } = await store.insertBatch(batch);
      await engine.absorb(effects);
      engine.wake();
      triggers.wake();
      return batch.id;
    },
    async settle(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const open = (await store.listBatches()).filter((b) => b.state === 'received' || b.state === 'running');
        // Reply files follow their commit a moment later: wait for them too. A commit may also
        // come from the store's own safety timer before the engine's turn takes on what it set
        // off (under load): the engine's idle waits for that turn.
        if (open.length === 0) {
          await engine.idle();
          return outbox.drain();
        }
        if (Date.now() > deadline) throw new Error(`batches still open: ${open.map((b) => `${b.id} ${b.state}`).join(', ')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() {
      await engine.stop(5000);
      await triggers.stop(5000);
      await plugins.close();
      await store.close();
      dir.cleanup();
    },
  };
}
