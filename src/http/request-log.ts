import type { FastifyRequest } from 'fastify';
import type { Logger } from '../log.js';

/** Routes whose every answer would only be noise at info level in the log. */
const QUIET = new Set(['/healthz', '/readyz', '/metrics']);

/** When the request came in, for its log line. */
const STARTED = new WeakMap<FastifyRequest, bigint>();

export function markStart(request: FastifyRequest): void {
  STARTED.set(request, process.hrtime.bigint());
}

/** Milliseconds since the request came in. */
export function elapsedMs(request: FastifyRequest): number {
  const start = STARTED.get(request);
  return start === undefined ? 0 : Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * One line per request: method, path, status, time and token name. Never a body, a query (it
 * could hold anything) or a token.
 */
export function logRequest(logger: Logger, request: FastifyRequest, status: number): void {
  const path = request.url.split('?')[0]!;
  const ms = Math.round(elapsedMs(request) * 10) / 10;
  const line = `http ${request.method} ${path} ${status} ${ms.toFixed(1)} ms${request.tokenName ? ` token ${request.tokenName}` : ''}`;
  const meta = { method: request.method, path, status, ms, ...(request.tokenName ? { token: request.tokenName } : {}) };
  if (QUIET.has(request.routeOptions.url ?? '') && status < 400) logger.debug(line, meta);
  else logger.info(line, meta);
}
