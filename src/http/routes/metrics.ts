import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context.js';

export function metricsRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get(
    '/metrics',
    {
      config: { role: 'metrics' },
      schema: {
        summary: 'Prometheus metrics (text format); a token with role read unless http.metricsAuth is false',
        ...(ctx.config.metricsAuth ? {} : { security: [] }),
        response: { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
    async (_request, reply) => {
      ctx.metrics.setGauges(await ctx.port.gauges());
      return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
    },
  );
}
