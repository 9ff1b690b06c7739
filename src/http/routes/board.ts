import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context.js';
import { ERRORS, ref } from '../schemas.js';

const PLUGIN = {
  type: 'object',
  required: ['name', 'kind', 'path', 'interpreter', 'inUse', 'error'],
  properties: {
    name: { type: 'string' },
    kind: { type: ['string', 'null'], enum: ['js', 'executable', null] },
    path: { type: ['string', 'null'] },
    interpreter: { type: ['string', 'null'] },
    inUse: { type: ['integer', 'null'], description: 'position in the configured chain (1 = first), or null' },
    error: { type: ['string', 'null'] },
  },
} as const;

/** What an operator reads besides batches: the message board and the plugins. */
export function boardRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get<{ Querystring: { since?: string; limit: number } }>(
    '/v1/messages',
    {
      config: { role: 'read' },
      schema: {
        summary: 'The message board, oldest first (the newest `limit`)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { since: { type: 'string', format: 'date-time' }, limit: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 } },
        },
        response: { 200: { type: 'object', required: ['messages'], properties: { messages: { type: 'array', items: ref('Message') } } }, ...ERRORS },
      },
    },
    async (request) => {
      const { since, limit } = request.query;
      const messages = await ctx.port.store.messages({ ...(since ? { since: Date.parse(since) } : {}), limit });
      return { messages: messages.map((m) => ({ ...m, at: new Date(m.at).toISOString() })) };
    },
  );

  app.get(
    '/v1/plugins',
    {
      config: { role: 'read' },
      schema: {
        summary: 'The plugins in the plugins folder, which are in use, and any load error',
        response: { 200: { type: 'object', required: ['plugins'], properties: { plugins: { type: 'array', items: PLUGIN } } }, ...ERRORS },
      },
    },
    async () => ({ plugins: await ctx.port.plugins() }),
  );
}
