import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context.js';

/** Why the daemon does not take work, if it does not: the server's own phase. */
export type Phase = 'starting' | 'ready' | 'stopping';

const READINESS = {
  type: 'object',
  required: ['ready'],
  properties: { ready: { type: 'boolean' }, reasons: { type: 'array', items: { type: 'string' } } },
} as const;

const WHY: Record<Exclude<Phase, 'ready'>, string> = {
  starting: 'starting: recovering what the last run left (the store is open)',
  stopping: 'shutting down: no new work is started',
};

/** Liveness and readiness for a service manager or a load balancer; no token needed. */
export function healthRoutes(app: FastifyInstance, _ctx: RouteContext, phase: () => Phase): void {
  app.get('/healthz', { schema: { summary: 'The process answers', security: [], response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } } } } }, async () => ({ ok: true }));
  app.get(
    '/readyz',
    { schema: { summary: 'Store open, recovery done, not shutting down (503 otherwise)', security: [], response: { 200: READINESS, 503: READINESS } } },
    async (_request, reply) => {
      const p = phase();
      return p === 'ready' ? { ready: true } : reply.code(503).send({ ready: false, reasons: [WHY[p]] });
    },
  );
}
