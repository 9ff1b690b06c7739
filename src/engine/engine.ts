import { targetFor, type Config } from '../config.js';
import type { Logger } from '../log.js';
import type { PluginHost } from '../plugins/index.js';
import type { ClaimedAction, Effects, Reply, StoreEvent, Store } from '../store/index.js';
import type { Connector } from './connector.js';
import { Executor } from './executor.js';
import { Rewriter } from './rewriter.js';
import { WorkLoop } from './work-loop.js';

/** Where replies go once they are durable: the outbox (src/replies/). */
export interface ReplySink {
  mirror(replies: readonly Reply[]): Promise<void>;
  catchUp(): Promise<number>;
}

export interface EngineOptions {
  store: Store;
  config: Config;
  logger: Logger;
  plugins: PluginHost;
  connectorFor: (hostid: string) => Connector;
  replies: ReplySink;
  /** Told of every state change, after it is committed (triggers, metrics). */
  onEvents?: (events: readonly StoreEvent[]) => void;
  now?: () => number;
  random?: () => number;
}

/**
 * The engine: rewrites received batches, then runs what is runnable, interactive work first,
 * within each target's concurrency and the global `maxRunning`, until told to stop. All state
 * lives in the store, so the engine can be killed at any moment and started again.
 */
export class Engine {
  private readonly store: Store;
  private readonly config: Config;
  private readonly logger: Logger;
  private readonly rewriter: Rewriter;
  private readonly executor: Executor;
  private readonly now: () => number;
  private running = 0;
  private readonly loop: WorkLoop;
  private stopping = false;
  /** Nothing runs before `start` has recovered what a previous run left. */
  private started = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly inflight = new Set<Promise<void>>();
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: EngineOptions) {
    this.store = options.store;
    this.config = options.config;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.rewriter = new Rewriter(options.store, options.plugins, options.config, options.logger);
    this.executor = new Executor(options.config, options.connectorFor, options.logger, this.now, options.random);
    this.loop = new WorkLoop(
      async () => {
        await this.rewriteReceived();
        await this.dispatch();
      },
      (err) => this.logger.error(`engine: ${err.message}`, { stack: err.stack }),
      async () => {
        await this.armRetryTimer();
        this.notifyIfIdle();
      },
    );
  }

  /** Recovers what a previous run left behind, then starts working. */
  async start(): Promise<void> {
    const recovered = await this.store.recoverRunning();
    if (recovered > 0) this.logger.warn(`${recovered} action(s) were running when tmon stopped; they run again, flagged as a recovery`);
    const mirrored = await this.options.replies.catchUp();
    if (mirrored > 0) this.logger.info(`${mirrored} reply file(s) written again to the outbox after a restart`);
    this.started = true;
    this.wake();
  }

  /** Something may have become runnable: look soon. Cheap to call often. */
  wake(): void {
    if (this.stopping || !this.started) return;
    this.loop.wake();
  }

  private async rewriteReceived(): Promise<void> {
    for (const b of await this.store.batchesToRewrite(16)) {
      if (this.stopping) return;
      let decisions;
      try {
        decisions = await this.rewriter.decide(b.id, b.document);
      } catch (err) {
        this.logger.error(`cannot rewrite batch ${b.id}: ${(err as Error).message}`, { batch: b.id });
        continue;
      }
      await this.handle(await this.store.applyRewrite(b.id, decisions));
      // Rewritten batches may have made work runnable, and more batches may be waiting.
      this.loop.wake();
    }
  }

  private async dispatch(): Promise<void> {
    const free = this.config.maxRunning - this.running;
    if (free <= 0 || this.stopping) return;
    const claims = await this.store.claimRunnable(this.now(), (host, busy) => targetFor(this.config, host).concurrency - busy, free);
    for (const c of claims) this.launch(c);
  }

  private launch(claim: ClaimedAction): void {
    this.running++;
    // The promise removes itself from `inflight` when done; it is assigned before its first await ends.
    let p: Promise<void> | undefined = undefined;
    p = (async () => {
      try {
        const result = await this.executor.run(claim);
        await this.handle(await this.store.completeAction(claim.batchId, claim.id, result));
      } catch (err) {
        this.logger.error(`engine: recording action ${claim.id}: ${(err as Error).message}`, { batch: claim.batchId, action: claim.id });
      } finally {
        this.running--;
        this.inflight.delete(p!);
        this.wake();
      }
    })();
    this.inflight.add(p);
  }

  private async handle(effects: Effects): Promise<void> {
    if (effects.replies.length > 0) {
      try {
        await this.options.replies.mirror(effects.replies);
      } catch (err) {
        // The replies are durable in the store; the files are written again at the next start.
        this.logger.error(`outbox: ${(err as Error).message}`);
      }
    }
    for (const e of effects.events) {
      if (e.type === 'batch.completed') this.logger.info(`batch ${e.state}`, { batch: e.batch });
      else if (e.type === 'action.skipped' || e.type === 'action.canceled') this.logger.warn(e.message ?? e.type, { batch: e.batch, action: e.action });
    }
    if (effects.events.length > 0) this.options.onEvents?.(effects.events);
  }

  private async armRetryTimer(): Promise<void> {
    if (this.stopping) return;
    const next = await this.store.nextRetryAt();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (next === null) return;
    this.retryTimer = setTimeout(() => this.wake(), Math.max(0, next - this.now()) + 5);
  }

  /** Actions being carried out now. */
  get busy(): number {
    return this.running;
  }

  private notifyIfIdle(): void {
    if (this.running > 0 || this.loop.busy) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when nothing is running or being looked at (tests, benchmarks). */
  idle(): Promise<void> {
    if (this.running === 0 && !this.loop.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops taking work and waits up to `graceMs` for running actions to finish. Returns true
   * when everything finished; what did not is run again at the next start.
   */
  async stop(graceMs: number): Promise<boolean> {
    this.stopping = true;
    this.loop.stop();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.inflight.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      Promise.all([...this.inflight]).then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    return drained;
  }
}
