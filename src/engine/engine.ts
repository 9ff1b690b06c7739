import { targetFor, type Config } from '../config/index.js';
import type { Logger } from '../log.js';
import type { PluginHost } from '../plugins/index.js';
import type { ActionResult, ClaimedAction, Effects, Reply, StoreEvent, Store } from '../store/index.js';
import type { Connector } from './connector.js';
import { Executor } from './executor.js';
import { Rewriter } from './rewriter.js';
import { WorkLoop } from './work-loop.js';

/** Where replies go once they are durable: the outbox (src/replies/). */
export interface ReplySink {
  /** Takes replies that are committed; their files may follow a moment later. */
  mirror(replies: readonly Reply[]): Promise<void>;
  /** At start: writes what a previous run committed but did not mirror. */
  catchUp(): Promise<number>;
  /** Resolves when everything taken is mirrored. */
  drain(): Promise<void>;
  /** True while so many replies wait for their files that no action should start. */
  readonly full?: boolean;
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
  /** Records results and starts runnable actions. */
  private readonly loop: WorkLoop;
  /** Rewrites received batches, beside the execution loop so neither waits for the other. */
  private readonly rewriteLoop: WorkLoop;
  private readonly rewriting = new Set<string>();
  /** Results waiting for the next group commit. */
  private results: Array<{ batchId: string; actionId: string; result: ActionResult; done: () => void }> = [];
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
    this.rewriteLoop = new WorkLoop(
      () => this.rewriteReceived(),
      (err) => this.logger.error(`engine: ${err.message}`, { stack: err.stack }),
      () => this.notifyIfIdle(),
    );
    this.loop = new WorkLoop(
      async () => {
        await this.commitResults();
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
    this.rewriteLoop.wake();
  }

  /**
   * Rewrites received batches, several at once (the plugin pool runs their actions in
   * parallel), each stored as soon as it is done so that its actions can start.
   */
  private async rewriteReceived(): Promise<void> {
    const PARALLEL = 8;
    for (;;) {
      if (this.stopping) return;
      const batches = (await this.store.batchesToRewrite(PARALLEL + this.rewriting.size)).filter((b) => !this.rewriting.has(b.id)).slice(0, PARALLEL);
      if (batches.length === 0) return;
      await Promise.all(
        batches.map(async (b) => {
          this.rewriting.add(b.id);
          try {
            const decisions = await this.rewriter.decide(b.id, b.document);
            if (this.stopping) return;
            await this.handle(await this.store.applyRewrite(b.id, decisions));
            this.loop.wake();
          } catch (err) {
            this.logger.error(`cannot rewrite batch ${b.id}: ${(err as Error).message}`, { batch: b.id });
          } finally {
            this.rewriting.delete(b.id);
          }
        }),
      );
    }
  }

  private async dispatch(): Promise<void> {
    const free = this.config.maxRunning - this.running;
    // Back-pressure: while the outbox is far behind, finish what runs and start nothing.
    if (free <= 0 || this.stopping || this.options.replies.full) return;
    const claims = await this.store.claimRunnable(this.now(), (host, busy) => targetFor(this.config, host).concurrency - busy, free);
    for (const c of claims) this.launch(c);
  }

  private launch(claim: ClaimedAction): void {
    this.running++;
    const p = this.execute(claim).finally(() => {
      this.running--;
      this.inflight.delete(p);
      this.wake();
    });
    this.inflight.add(p);
  }

  private async execute(claim: ClaimedAction): Promise<void> {
    try {
      const result = await this.executor.run(claim);
      // Recorded with the others that finish meanwhile, in one transaction (group commit).
      await new Promise<void>((done) => {
        this.results.push({ batchId: claim.batchId, actionId: claim.id, result, done });
        this.loop.wake();
      });
    } catch (err) {
      this.logger.error(`engine: recording action ${claim.id}: ${(err as Error).message}`, { batch: claim.batchId, action: claim.id });
    }
  }

  private async commitResults(): Promise<void> {
    if (this.results.length === 0) return;
    const taken = this.results;
    this.results = [];
    try {
      await this.handle(await this.store.completeActions(taken));
    } finally {
      for (const t of taken) t.done();
    }
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
    if (this.running > 0 || this.loop.busy || this.rewriteLoop.busy) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when nothing is running or being looked at (tests, benchmarks). */
  idle(): Promise<void> {
    if (this.running === 0 && !this.loop.busy && !this.rewriteLoop.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops taking work and waits up to `graceMs` for running actions to finish. Returns true
   * when everything finished; what did not is run again at the next start.
   */
  async stop(graceMs: number): Promise<boolean> {
    this.stopping = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      Promise.all([...this.inflight]).then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    this.loop.stop();
    this.rewriteLoop.stop();
    // What finished while stopping is recorded before the store closes.
    await this.commitResults();
    await this.options.replies.drain();
    return drained;
  }
}
