import type { FastifyInstance } from 'fastify';
import type { OperatorResult } from '../../store/index.js';
import type { RouteContext } from '../context.js';
import { HttpError } from '../errors.js';
import { ref, WRITE_ERRORS } from '../schemas.js';

const params = { type: 'object', properties: { id: { type: 'string' } } } as const;
const note = { type: 'string', maxLength: 2000, description: 'why, for the message board' } as const;

/** A refused operation is a 409: the batch is not in a state that allows it. */
function answer(result: OperatorResult, what: 'requeued' | 'canceled'): Record<string, string[]> {
  if (!result.ok) throw new HttpError(/^no (batch|action)/.test(result.reason) ? 404 : 409, 'HTTP_REFUSED', result.reason);
  return { [what]: result.actions };
}

/** Operators' retries and cancels, through the running daemon (they wake it at once). */
export function operateRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const who = (token: string | undefined, text: string | undefined): string => `${text ?? ''}${text ? ' ' : ''}(by token ${token ?? '?'} over HTTP)`;

  app.post<{ Params: { id: string }; Body: { action: string; note?: string } }>(
    '/v1/batches/:id/retry',
    {
      config: { role: 'operate' },
      schema: {
        summary: 'Queue a failed action again, with what was skipped because of it',
        description: 'Its replyid was already answered with the failure and is not answered again.',
        params,
        body: { type: 'object', required: ['action'], additionalProperties: false, properties: { action: { type: 'string', minLength: 1 }, note } },
        response: { 200: { type: 'object', required: ['requeued'], properties: { requeued: { type: 'array', items: { type: 'string' } } } }, 404: ref('Error'), 409: ref('Error'), ...WRITE_ERRORS },
      },
    },
    async (request) => answer(await ctx.port.retry(request.params.id, request.body.action, who(request.tokenName, request.body.note)), 'requeued'),
  );

  app.post<{ Params: { id: string }; Body: { note?: string } }>(
    '/v1/batches/:id/cancel',
    {
      config: { role: 'operate' },
      // A bare `POST …/cancel` (no body at all) is a cancel without a note.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        summary: 'Cancel every action of the batch that has not started; running ones finish',
        params,
        body: { type: 'object', additionalProperties: false, properties: { note } },
        response: { 200: { type: 'object', required: ['canceled'], properties: { canceled: { type: 'array', items: { type: 'string' } } } }, 404: ref('Error'), 409: ref('Error'), ...WRITE_ERRORS },
      },
    },
    async (request) => answer(await ctx.port.cancel(request.params.id, who(request.tokenName, request.body.note)), 'canceled'),
  );
}
