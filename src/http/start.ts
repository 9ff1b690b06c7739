import type { Config } from '../config/index.js';
import type { Connector, ReplySink } from '../engine/index.js';
import type { Logger } from '../log.js';
import type { Outbox } from '../replies/index.js';
import type { PluginHost } from '../plugins/index.js';
import type { Store, StoreEvent } from '../store/index.js';
import { observeConnectors, observePlugins, observeStore } from './metrics/instrument.js';
import { daemonPort, notifyingSink, type DaemonParts } from './wiring.js';

/*
 * The daemon's side of the HTTP API. The server (fastify, its swagger plugin, prom-client) is
 * imported only when the config turns the API on: loading them cost every daemon start some
 * 35 ms of CPU, with or without `http` in the config.
 */

/** The daemon's handle on the HTTP API: every call does nothing when `http` is not configured. */
export interface HttpHandle {
  observe: {
    store<S extends Store>(store: S): S;
    plugins(host: PluginHost): PluginHost;
    connectors(connectorFor: (hostid: string) => Connector): (hostid: string) => Connector;
    replies(outbox: Outbox): ReplySink;
  };
  events(events: readonly StoreEvent[]): void;
  listen(parts: DaemonParts): Promise<void>;
  ready(): void;
  stopping(): void;
  close(): Promise<void>;
}

export async function startHttp(config: Config, logger: Logger): Promise<HttpHandle> {
  if (!config.http) {
    return {
      observe: { store: (s) => s, plugins: (p) => p, connectors: (c) => c, replies: (o) => o },
      events() {},
      async listen() {},
      ready() {},
      stopping() {},
      async close() {},
    };
  }
  const { HttpApi } = await import('./server.js');
  const api = new HttpApi(config.http, logger);
  return {
    observe: {
      store: (s) => observeStore(s, api.metrics),
      plugins: (p) => observePlugins(p, api.metrics),
      connectors: (c) => observeConnectors(c, api.metrics),
      replies: (o) => notifyingSink(o, (r) => api.repliesCommitted(r)),
    },
    events: (e) => api.observeEvents(e),
    listen: async (parts) => void (await api.listen(daemonPort(parts))),
    ready: () => api.markReady(),
    stopping: () => api.markStopping(),
    close: () => api.close(),
  };
}
