import swagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import type { HttpConfig } from '../config/index.js';
import { isLoopback } from '../config/http.js';
import { TmonError } from '../errors.js';
import { redact, type Logger } from '../log.js';
import type { Reply, StoreEvent } from '../store/index.js';
import { TokenBook } from './auth.js';
import type { RouteContext } from './context.js';
import { errorBody, HttpError } from './errors.js';
import { ReplyFeed } from './feed.js';
import { elapsedMs, logRequest, markStart } from './request-log.js';
import { IdempotencyCache } from './idempotency.js';
import { ApiMetrics } from './metrics/metrics.js';
import type { DaemonPort } from './port.js';
import { batchRoutes } from './routes/batches.js';
import { boardRoutes } from './routes/board.js';
import { healthRoutes, type Phase } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { operateRoutes } from './routes/operate.js';
import { replyRoutes } from './routes/replies.js';
import { SHARED_SCHEMAS } from './schemas.js';
import { SilentConnections } from './silent-connections.js';

function readPem(key: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new TmonError('HTTP_TLS', `${key}: cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The HTTP API (contract §9). Created before the daemon's parts, so that its metrics can
 * observe them; listening before recovery, so that /readyz can say the daemon is starting.
 */
export class HttpApi {
  readonly feed = new ReplyFeed();
  readonly metrics = new ApiMetrics(() => this.feed.readers);
  private phase: Phase = 'starting';
  private app: FastifyInstance | undefined;
  private silent: SilentConnections | undefined;

  constructor(
    readonly config: HttpConfig,
    private readonly logger: Logger,
  ) {}

  /** Committed events, for the metrics. */
  observeEvents(events: readonly StoreEvent[]): void {
    this.metrics.observeEvents(events);
  }

  /** Committed replies: counted, and the feed's readers woken. */
  repliesCommitted(replies: readonly Reply[]): void {
    this.metrics.observeReplies(replies.length);
    this.feed.notify(replies);
  }

  /** Starts listening; resolves with the address once it does. */
  async listen(port: DaemonPort): Promise<string> {
    const app = await this.build(port);
    this.app = app;
    this.silent = new SilentConnections(app.server, this.config.tls !== undefined);
    let address: string;
    try {
      address = await app.listen({ host: this.config.host, port: this.config.port });
    } catch (err) {
      // Said in the config's terms, so the operator knows which setting to change.
      throw new TmonError('HTTP_LISTEN', `http.listen: cannot listen on ${this.config.host}:${this.config.port}: ${(err as Error).message}`, { cause: err });
    }
    this.logger.info(`http api listening on ${address}`);
    if (!this.config.tls && !isLoopback(this.config.host)) this.logger.warn(`http api: plain HTTP on ${this.config.host} (http.insecure): tokens and passwords cross the network unencrypted`);
    return address;
  }

  /** Recovery is done: the daemon takes work. */
  markReady(): void {
    if (this.phase === 'starting') this.phase = 'ready';
  }

  /** Shutting down: /readyz answers 503 from now on. */
  markStopping(): void {
    this.phase = 'stopping';
  }

  /** Releases long polls and streams, answers what is in flight, stops listening. */
  async close(): Promise<void> {
    this.phase = 'stopping';
    this.feed.close();
    const closed = this.app?.close();
    this.silent?.drop();
    await closed;
  }

  /** The server, not listening (tests use `inject` on it). */
  async build(port: DaemonPort): Promise<FastifyInstance> {
    const { config } = this;
    const tokens = new TokenBook(config.tokens);
    const app = Fastify({
      logger: false,
      bodyLimit: Math.floor(config.bodyLimitMb * 1024 * 1024),
      ...(config.tls ? { https: { cert: readPem('http.tls.cert', config.tls.cert), key: readPem('http.tls.key', config.tls.key) } } : {}),
      // Keep-alive connections that sit idle do not hold the daemon's stop.
      forceCloseConnections: 'idle',
      ajv: { customOptions: { removeAdditional: false } },
    });
    for (const s of SHARED_SCHEMAS) app.addSchema(s);
    await app.register(swagger, {
      // Components keep their own names (KvGroup, Reply, …) rather than def-0, def-1.
      refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
      openapi: {
        openapi: '3.1.0',
        info: { title: 'tmon', version: '1', description: 'Transaction monitor: submit batches, follow replies, operate (contract §9).' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
    });

    app.addHook('onRequest', async (request) => {
      markStart(request);
      // Once stopping, nothing new is taken: the engine is draining and the store about to close.
      if (this.phase === 'stopping' && request.method === 'POST') throw new HttpError(503, 'HTTP_STOPPING', 'tmon is shutting down; send again once it is back');
      const role = request.routeOptions.config.role;
      if (!role || (role === 'metrics' && !config.metricsAuth)) return;
      const token = tokens.authenticate(request.headers.authorization);
      // Named before the role is checked, so that a 403 in the log says whose it was.
      request.tokenName = token.name;
      TokenBook.authorise(token, role === 'metrics' ? 'read' : role);
    });
    // Whatever an answer holds, a password in it is replaced (belt and braces: no route reads documents).
    app.addHook('preSerialization', async (_request, _reply, payload) => redact(payload));
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unknown';
      this.metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
      this.metrics.httpDuration.observe({ route }, elapsedMs(request) / 1000);
      logRequest(this.logger, request, reply.statusCode);
    });

    app.setErrorHandler((err: FastifyError, request, reply) => {
      if (err instanceof HttpError) {
        if (err.status === 401) reply.header('www-authenticate', 'Bearer');
        return reply.code(err.status).send(errorBody(err.code, err.message, err.problems));
      }
      if (err.validation) {
        const problems = err.validation.map((v) => ({ code: 'HTTP_SCHEMA', message: `${err.validationContext ?? 'request'}${v.instancePath ? v.instancePath : ''}: ${v.message ?? 'is not valid'}` }));
        return reply.code(400).send(errorBody('HTTP_BAD_REQUEST', `the request is not valid: ${problems.map((p) => p.message).join('; ')}`, problems));
      }
      const status = err.statusCode ?? 500;
      if (status === 413) return reply.code(413).send(errorBody('HTTP_BODY_TOO_LARGE', `the body is over http.bodyLimitMb (${config.bodyLimitMb} MB)`));
      if (status === 415) return reply.code(415).send(errorBody('HTTP_UNSUPPORTED_MEDIA_TYPE', 'send text/plain (KVGroup) or application/json (its JSON view)'));
      if (status >= 400 && status < 500) return reply.code(status).send(errorBody(err.code ?? 'HTTP_BAD_REQUEST', err.message));
      this.logger.error(`http ${request.method} ${request.url.split('?')[0]}: ${err.message}`, { stack: err.stack });
      return reply.code(500).send(errorBody('HTTP_INTERNAL', 'tmon failed to answer; see its log'));
    });
    app.setNotFoundHandler((request, reply) => reply.code(404).send(errorBody('HTTP_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)));

    const ctx: RouteContext = { config, port, feed: this.feed, idempotency: new IdempotencyCache(), metrics: this.metrics, logger: this.logger };
    batchRoutes(app, ctx);
    operateRoutes(app, ctx);
    replyRoutes(app, ctx);
    boardRoutes(app, ctx);
    metricsRoutes(app, ctx);
    healthRoutes(app, ctx, () => this.phase);
    app.get('/v1/openapi.json', { schema: { summary: 'This document (OpenAPI 3.1)', security: [] } }, async () => app.swagger());
    await app.ready();
    return app;
  }
}
