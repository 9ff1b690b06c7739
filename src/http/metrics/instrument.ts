import type { Connector } from '../../engine/connector.js';
import type { PluginHost, PluginRun } from '../../plugins/index.js';
import type { Store } from '../../store/index.js';
import type { ApiMetrics } from './metrics.js';

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

/** Store methods that change state, each one transaction: their time is the commit's. */
const COMMITS = new Set(['tick', 'commitDeferred', 'insertBatch', 'applyRewrite', 'claimRunnable', 'completeActions', 'completeAction', 'markMirrored', 'postMessage', 'retryAction', 'cancelBatch', 'finishTriggerRun', 'claimTriggerRuns']);

/**
 * The store as the daemon's parts see it when metrics are on: the same object, with its
 * writing transactions timed and the trigger runs' outcomes counted. Methods run with the
 * store itself as `this`.
 */
export function observeStore<S extends Store>(store: S, metrics: ApiMetrics): S {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string' || !COMMITS.has(prop)) return typeof value === 'function' ? (value as Function).bind(target) : value;
      return async (...args: unknown[]) => {
        const start = process.hrtime.bigint();
        const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        metrics.storeCommit.observe({ operation: prop }, seconds(start));
        if (prop === 'finishTriggerRun') {
          const r = args[1] as { ok: boolean; retryAt?: number | null };
          metrics.triggerRuns.inc({ outcome: r.ok ? 'succeeded' : r.retryAt != null ? 'retry' : 'failed' });
        }
        return result;
      };
    },
  });
}

/** Connectors whose every try is timed, per target and outcome. */
export function observeConnectors(connectorFor: (hostid: string) => Connector, metrics: ApiMetrics): (hostid: string) => Connector {
  const wrapped = new Map<string, Connector>();
  return (hostid) => {
    const inner = connectorFor(hostid);
    let c = wrapped.get(hostid);
    if (!c || (c as { inner?: Connector }).inner !== inner) {
      c = {
        kind: inner.kind,
        ...(inner.inStore ? { inStore: true } : {}),
        inner,
        async execute(request) {
          const start = process.hrtime.bigint();
          try {
            const r = await inner.execute(request);
            metrics.actionDuration.observe({ target: hostid, outcome: 'success' }, seconds(start));
            return r;
          } catch (err) {
            metrics.actionDuration.observe({ target: hostid, outcome: 'failure' }, seconds(start));
            throw err;
          }
        },
        ...(inner.close ? { close: () => inner.close!() } : {}),
      } as Connector & { inner: Connector };
      wrapped.set(hostid, c);
    }
    return c;
  };
}

/**
 * The plugin host with every plugin run counted and timed. `rewriteBatch` calls
 * `this.runPluginMany` once per plugin of the chain, so the proxy is `this` for the host's own
 * calls, and that one method is the one observed.
 */
export function observePlugins(host: PluginHost, metrics: ApiMetrics): PluginHost {
  const proxy: PluginHost = new Proxy(host, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== 'runPluginMany' || typeof value !== 'function') return value;
      return async (name: string, batchId: string, items: readonly unknown[]): Promise<PluginRun[]> => {
        const start = process.hrtime.bigint();
        const runs = (await (value as Function).call(proxy, name, batchId, items)) as PluginRun[];
        metrics.pluginDuration.observe({ plugin: name }, seconds(start));
        metrics.pluginCalls.inc({ plugin: name }, items.length);
        for (const r of runs) {
          if (r.ok) continue;
          metrics.pluginErrors.inc({ plugin: name, code: r.error.code });
          if (r.error.code === 'PLUGIN_TIMEOUT') metrics.pluginTimeouts.inc({ plugin: name });
        }
        return runs;
      };
    },
  });
  return proxy;
}
