import type { HttpConfig, HttpRole } from '../config/index.js';
import type { Logger } from '../log.js';
import type { ReplyFeed } from './feed.js';
import type { IdempotencyCache } from './idempotency.js';
import type { ApiMetrics } from './metrics/metrics.js';
import type { DaemonPort } from './port.js';

/** What every route module is given. */
export interface RouteContext {
  config: HttpConfig;
  port: DaemonPort;
  feed: ReplyFeed;
  idempotency: IdempotencyCache;
  metrics: ApiMetrics;
  logger: Logger;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The role a token needs; `metrics` follows `http.metricsAuth`; none: open (health). */
    role?: HttpRole | 'metrics';
  }
  interface FastifyRequest {
    /** The name of the token that was presented, for logs and the batch's source. */
    tokenName?: string;
  }
}
