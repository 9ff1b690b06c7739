import { targetFor, type Config } from '../config/index.js';
import type { Logger } from '../log.js';
import type { PluginHost } from '../plugins/index.js';
import { actionKey, type ActionResult, type ClaimedAction, type Effects, type Reply, type RewriteDecision, type StoreEvent, type Store, type TickOutput } from '../store/index.js';
import type { Connector } from './connector.js';
import { Executor } from './executor.js';
import { Rewriter } from './rewriter.js';
import { DueTimer, InFlight } from '../in-flight.js';
import { WorkLoop } from '../work-loop.js';

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

/** Waits between tries of a turn the store could not commit (busy, locked): doubling, capped. */
const COMMIT_RETRY_FIRST_MS = 100;
const COMMIT_RETRY_MAX_MS = 5000;

/**
 * Turns share a commit while work keeps coming: the first uncommitted turn waits at most this
 * long for its disk flush (and its replies for their files), or until this many replies and
 * events wait. Idle, or before a claim for a target outside the store runs, it commits at once.
 */
const COMMIT_EVERY_MS = 10;
const COMMIT_EFFECTS_MAX = 4096;

/** How long the inbox holds its backlog for interactive work it just stored (`expedite`), at most. */
const EXPEDITE_MAX_MS = 50;

/**
 * The engine: claims what is runnable, interactive work first, within each target's concurrency
 * and the global `maxRunning`; a submitted action is first rewritten (the plugin runs just
 * before the action would, contract §3), then it or what replaced it runs. Results and rewrite
 * decisions are committed in groups, one transaction per turn of the loop. All state lives in
 * the store, so the engine can be killed at any moment and started again.
 */
export class Engine {
  private readonly store: Store;
  private readonly config: Config;
  private readonly logger: Logger;
  private readonly rewriter: Rewriter;
  private readonly executor: Executor;
  private readonly now: () => number;
  /** Actions being rewritten or carried out, and the slots they hold. */
  private readonly inflight = new InFlight();
  /** Runs turns: records results and decisions, then starts what is runnable. */
  private readonly loop: WorkLoop;
  /** Results waiting for the next group commit. */
  private results: Array<{ batchId: string; actionId: string; primaryId: string; result: ActionResult; done: () => void }> = [];
  /** Rewrite decisions waiting for the next group commit, with the slots they hold. */
  private decided: Array<{ decisions: RewriteDecision[]; done: () => void }> = [];
  private stopping = false;
  /** Nothing runs before `start` has recovered what a previous run left. */
  private started = false;
  private readonly retryTimer: DueTimer;
  /** Turns in a row the store could not commit, and the timer of the next try. */
  private commitFailures = 0;
  private commitRetry: NodeJS.Timeout | undefined;
  private idleWaiters: Array<() => void> = [];
  /** What deferred turns set off, taken on once they are committed; since when they wait. */
  private uncommitted: Effects[] = [];
  private uncommittedCount = 0;
  private uncommittedSince = 0;
  /** An interactive action's result waits: its turn commits at once, not with later ones. */
  private urgent = false;
  private commitTimer: NodeJS.Timeout | undefined;
  /** Actions someone waits to see committed (`expedite`), and the results recorded but not yet committed. */
  private expedited: Array<{ keys: Set<string>; done: () => void }> = [];
  private recordedKeys: string[] = [];

  constructor(private readonly options: EngineOptions) {
    this.store = options.store;
    this.config = options.config;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.rewriter = new Rewriter(options.store, options.plugins, options.config, options.logger);
    this.executor = new Executor(options.config, options.connectorFor, options.logger, this.now, options.random);
    this.retryTimer = new DueTimer(() => this.wake());
    this.loop = new WorkLoop(
      () => this.turn(),
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
    if (recovered > 0) this.logger.warn(`${recovered} action(s) were running or being rewritten when tmon stopped; they run again (a rewritten one flagged as a recovery, one not yet rewritten through its plugin)`);
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

  /**
   * One turn: what finished and what was decided since the last turn is committed together with
   * the claims of what can start now, in one transaction (one disk flush per turn, however much
   * happened). Claimed actions start; claimed primaries go to their plugin first.
   */
  private async turn(): Promise<void> {
    const results = this.results;
    const decided = this.decided;
    this.results = [];
    this.decided = [];
    const urgent = this.urgent;
    this.urgent = false;
    // What finishes in this turn frees its slot for the claims of the same turn.
    const free = this.config.maxRunning - this.inflight.count + results.length;
    // Back-pressure: while the outbox is far behind, finish what runs and start nothing.
    const claiming = free > 0 && !this.stopping && !this.options.replies.full;
    if (results.length === 0 && decided.length === 0 && !claiming) {
      await this.commit(true);
      return;
    }
    const rewrite = this.config.rewritePlugin.length > 0;
    let out: TickOutput;
    try {
      out = await this.store.tick({
        results,
        decisions: decided.flatMap((d) => d.decisions),
        // Read at each turn: a reload's new value holds the next actions that wait.
        holdMs: this.config.pluginHoldMs,
        defer: true,
        ...(claiming ? { claim: { now: this.now(), capacity: (host: string, busy: number) => targetFor(this.config, host).concurrency - busy, max: free, rewrite } } : {}),
      });
    } catch (err) {
      // The store could not commit (another process holds its lock, say): nothing of the turn
      // is lost or answered as a failure. It goes back, and the turn is tried again later.
      this.results = [...results, ...this.results];
      this.urgent ||= urgent;
      this.decided = [...decided, ...this.decided];
      this.commitFailures++;
      const wait = Math.min(COMMIT_RETRY_MAX_MS, COMMIT_RETRY_FIRST_MS * 2 ** Math.min(this.commitFailures - 1, 10));
      this.logger.warn(`engine: the store could not commit (${(err as Error).message}); ${results.length} result(s) kept, trying again in ${wait} ms`);
      if (this.commitRetry) clearTimeout(this.commitRetry);
      this.commitRetry = setTimeout(() => this.loop.wake(), wait);
      return;
    }
    this.commitFailures = 0;
    // An action a plugin replaced is answered for by what it fanned out: its primary's key counts.
    if (this.expedited.length > 0) for (const r of results) this.recordedKeys.push(actionKey(r.batchId, r.actionId), actionKey(r.batchId, r.primaryId));
    for (const r of results) r.done();
    for (const d of decided) d.done();
    this.defer(out.effects);
    // A claim for a target outside the store is on disk before it runs (a restart then knows
    // it may have run); otherwise the turn waits for the next commit, shared with later turns.
    const durable = out.claims.some((c) => !c.rewrite && !this.options.connectorFor(c.hostid).inStore);
    await this.commit(durable || urgent || (out.claims.length === 0 && this.inflight.count === 0));
    const toRewrite: ClaimedAction[] = [];
    for (const c of out.claims) {
      if (!c.rewrite) this.launch(c);
      else toRewrite.push(c);
    }
    // One plugin task for every primary claimed in this turn, whatever its batch.
    if (toRewrite.length > 0) this.track(this.rewrite(toRewrite), toRewrite.length);
  }

  /** Keeps what a deferred turn set off until it is committed. */
  private defer(effects: Effects): void {
    if (this.uncommittedSince === 0) this.uncommittedSince = performance.now();
    const n = effects.replies.length + effects.events.length;
    if (n === 0) return;
    this.uncommitted.push(effects);
    this.uncommittedCount += n;
  }

  /**
   * Commits the deferred turns when it is time (`now`, or they waited long enough, or much
   * waits), then takes on what they set off; otherwise makes sure a turn comes to do it.
   */
  private async commit(now: boolean): Promise<void> {
    if (this.uncommittedSince === 0) return;
    const waited = performance.now() - this.uncommittedSince;
    if (!now && waited < COMMIT_EVERY_MS && this.uncommittedCount < COMMIT_EFFECTS_MAX) {
      this.commitTimer ??= setTimeout(() => {
        this.commitTimer = undefined;
        this.loop.wake();
      }, COMMIT_EVERY_MS - waited);
      return;
    }
    if (this.commitTimer) clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    try {
      await this.store.commitDeferred();
    } catch (err) {
      // Kept uncommitted (the store holds the writes): tried again at the next turn.
      this.logger.warn(`engine: the store could not commit (${(err as Error).message}); trying again`);
      this.commitTimer = setTimeout(() => {
        this.commitTimer = undefined;
        this.loop.wake();
      }, COMMIT_RETRY_FIRST_MS);
      return;
    }
    if (this.recordedKeys.length > 0) this.settleExpedited(this.recordedKeys.splice(0));
    const effects = this.uncommitted;
    this.uncommitted = [];
    this.uncommittedCount = 0;
    this.uncommittedSince = 0;
    if (effects.length === 1) await this.absorb(effects[0]!);
    else if (effects.length > 1) await this.absorb({ replies: effects.flatMap((e) => e.replies), events: effects.flatMap((e) => e.events) });
  }

  /**
   * Resolves once these actions' results are committed (for one a plugin replaced, the first
   * result of what it fanned out), or after `maxMs`, whichever is first.
   * The inbox waits on it after storing interactive work, so that the backlog's next group does
   * not hold the main thread while that work is claimed, run and answered (interactive first).
   */
  expedite(refs: ReadonlyArray<{ batchId: string; actionId: string }>, maxMs = EXPEDITE_MAX_MS): Promise<void> {
    if (this.stopping || refs.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = { keys: new Set(refs.map((r) => actionKey(r.batchId, r.actionId))), done: () => undefined as void };
      const timer = setTimeout(() => entry.done(), maxMs);
      entry.done = () => {
        clearTimeout(timer);
        this.expedited = this.expedited.filter((e) => e !== entry);
        resolve();
      };
      this.expedited.push(entry);
      this.wake();
    });
  }

  private settleExpedited(committed: readonly string[]): void {
    for (const e of [...this.expedited]) {
      for (const k of committed) e.keys.delete(k);
      if (e.keys.size === 0) e.done();
    }
  }

  /** Holds `slots` until `work` is done, so that `stop` and `idle` wait for it. */
  private track(work: Promise<void>, slots: number): void {
    this.inflight.track(work, slots, () => this.wake());
  }

  private launch(claim: ClaimedAction): void {
    this.track(this.execute(claim), 1);
  }

  /** Runs the plugin for claimed primaries; what they came to is committed with the next turn. */
  private async rewrite(claims: ClaimedAction[]): Promise<void> {
    let decisions: RewriteDecision[];
    try {
      decisions = await this.rewriter.decide(claims);
    } catch (err) {
      this.logger.error(`engine: rewriting ${claims.length} action(s): ${(err as Error).message}; they wait for the next turn`);
      await this.store.releaseRewrites(claims.map((c) => ({ batchId: c.batchId, id: c.id }))).catch(() => undefined);
      return;
    }
    await new Promise<void>((done) => {
      this.decided.push({ decisions, done });
      this.loop.wake();
    });
  }

  private async execute(claim: ClaimedAction): Promise<void> {
    try {
      const result = await this.executor.run(claim);
      // Recorded with the others that finish meanwhile, in one transaction (group commit).
      await new Promise<void>((done) => {
        this.results.push({ batchId: claim.batchId, actionId: claim.id, primaryId: claim.primaryId, result, done });
        if (claim.interactive) this.urgent = true;
        this.loop.wake();
      });
    } catch (err) {
      this.logger.error(`engine: recording action ${claim.id}: ${(err as Error).message}`, { batch: claim.batchId, action: claim.id });
    }
  }

  /**
   * Takes what a committed change set off: reply files, logs, triggers. It does not wake the
   * engine: a turn already claims what its own results made runnable, in the same transaction
   * (the slots they freed wake it through `track`), and whoever changes the store from outside
   * (the inbox, an operator's command, the HTTP API) wakes it.
   */
  async absorb(effects: Effects): Promise<void> {
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
    this.retryTimer.arm(await this.store.nextRetryAt(), this.now());
  }

  /** Actions being rewritten or carried out now. */
  get busy(): number {
    return this.inflight.count;
  }

  private notifyIfIdle(): void {
    if (this.inflight.count > 0 || this.loop.busy || this.uncommittedSince !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when nothing is running or being looked at (tests, benchmarks). */
  idle(): Promise<void> {
    if (this.inflight.count === 0 && !this.loop.busy && this.uncommittedSince === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops taking work and waits up to `graceMs` for running actions to finish. Returns true
   * when everything finished; what did not is run again at the next start.
   */
  async stop(graceMs: number): Promise<boolean> {
    this.stopping = true;
    for (const e of [...this.expedited]) e.done();
    this.retryTimer.clear();
    if (this.commitRetry) clearTimeout(this.commitRetry);
    // What finishes while stopping is still committed by the loop as it comes (`loop.wake`).
    const drained = await this.inflight.drain(graceMs);
    // What finished last is recorded before the store closes.
    await this.turn();
    await this.commit(true);
    if (this.commitTimer) clearTimeout(this.commitTimer);
    this.loop.stop();
    await this.options.replies.drain();
    return drained;
  }
}
