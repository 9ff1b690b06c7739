import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StoreEvent } from '../../store/index.js';
import type { WorkGauges } from '../port.js';

const PENDING = new Set(['waiting', 'ready', 'retrying']);
/** Seconds: from a fast directory call to a slow script, and store commits of a millisecond. */
const ACTION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60];
const FAST_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1];

/**
 * tmon's Prometheus metrics, all named `tmon_…`. Counters move with what the daemon tells
 * (events, timed calls); gauges are read from the daemon when scraped.
 */
export class ApiMetrics {
  readonly registry = new Registry();
  private readonly actions: Gauge;
  private readonly batches: Gauge;
  private readonly pending: Gauge;
  private readonly running: Gauge;
  private readonly inbox: Gauge;
  private readonly replyLag: Gauge;
  private readonly events: Counter;
  private readonly transitions: Counter;
  private readonly repliesTotal: Counter;
  readonly actionDuration: Histogram;
  readonly pluginCalls: Counter;
  readonly pluginErrors: Counter;
  readonly pluginTimeouts: Counter;
  readonly pluginDuration: Histogram;
  readonly triggerRuns: Counter;
  readonly storeCommit: Histogram;
  readonly httpRequests: Counter;
  readonly httpDuration: Histogram;

  /** `readers`: how many long polls and streams wait on the replies feed now. */
  constructor(readers: () => number = () => 0) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'tmon_' });
    const gauge = (name: string, help: string, labelNames: string[] = []): Gauge => new Gauge({ name, help, labelNames, registers });
    const counter = (name: string, help: string, labelNames: string[] = []): Counter => new Counter({ name, help, labelNames, registers });
    const histogram = (name: string, help: string, labelNames: string[], buckets: number[]): Histogram => new Histogram({ name, help, labelNames, buckets, registers });
    this.actions = gauge('tmon_actions', 'Actions held, by state, operation and target', ['state', 'operation', 'target']);
    this.batches = gauge('tmon_batches', 'Batches held, by state', ['state']);
    this.pending = gauge('tmon_actions_pending', 'Actions waiting, ready or waiting to retry');
    this.running = gauge('tmon_actions_running', 'Actions being carried out now');
    this.inbox = gauge('tmon_inbox_backlog', 'Batch files in the inbox folder not yet taken');
    this.replyLag = gauge('tmon_reply_lag', 'Replies committed whose outbox file is not yet written (newest seq minus mirrored)');
    this.events = counter('tmon_events_total', 'Events raised, by type', ['type']);
    this.transitions = counter('tmon_action_events_total', 'Action events (succeeded, failed, retrying, skipped, canceled), by operation and target', ['event', 'operation', 'target']);
    this.repliesTotal = counter('tmon_replies_total', 'Replies committed');
    this.actionDuration = histogram('tmon_action_duration_seconds', 'Time a connector took to carry out one try of an action, by target and outcome', ['target', 'outcome'], ACTION_BUCKETS);
    this.pluginCalls = counter('tmon_plugin_calls_total', 'Actions given to a rewrite plugin', ['plugin']);
    this.pluginErrors = counter('tmon_plugin_errors_total', 'Plugin runs that failed, by plugin and error code', ['plugin', 'code']);
    this.pluginTimeouts = counter('tmon_plugin_timeouts_total', 'Plugin runs stopped at pluginTimeoutMs', ['plugin']);
    this.pluginDuration = histogram('tmon_plugin_duration_seconds', 'Time of one plugin run over the actions of one batch', ['plugin'], ACTION_BUCKETS);
    this.triggerRuns = counter('tmon_trigger_runs_total', 'Trigger runs finished, by outcome (succeeded, retry, failed: the last try failed)', ['outcome']);
    this.storeCommit = histogram('tmon_store_commit_seconds', 'Time of a store transaction that changes state, by operation', ['operation'], FAST_BUCKETS);
    this.httpRequests = counter('tmon_http_requests_total', 'HTTP requests answered, by method, route and status', ['method', 'route', 'status']);
    new Gauge({
      name: 'tmon_http_feed_readers',
      help: 'Long polls and streams waiting for the next reply',
      registers,
      collect() {
        this.set(readers());
      },
    });
    this.httpDuration = histogram('tmon_http_request_duration_seconds', 'Time to answer an HTTP request, by route', ['route'], FAST_BUCKETS);
  }

  /** Counts committed events (the engine's onEvents). */
  observeEvents(events: readonly StoreEvent[]): void {
    for (const e of events) {
      this.events.inc({ type: e.type });
      if (e.type.startsWith('action.') && e.type !== 'action.rewritten') this.transitions.inc({ event: e.type.slice(7), operation: e.operation ?? '', target: e.hostid ?? '' });
    }
  }

  observeReplies(count: number): void {
    this.repliesTotal.inc(count);
  }

  /** Sets the gauges from the daemon's counts, just before a scrape is answered. */
  setGauges(g: WorkGauges): void {
    this.actions.reset();
    let pending = 0;
    for (const a of g.actions) {
      this.actions.set({ state: a.state, operation: a.operation, target: a.hostid }, a.count);
      if (PENDING.has(a.state)) pending += a.count;
    }
    this.batches.reset();
    for (const [state, n] of Object.entries(g.batches)) this.batches.set({ state }, n);
    this.pending.set(pending);
    this.running.set(g.running);
    this.inbox.set(g.inboxFiles);
    this.replyLag.set(g.repliesUnmirrored);
  }
}
