import type { FastifyInstance } from 'fastify';
import { BatchInvalidError } from '../../batch/index.js';
import { KvgSyntaxError, type KvGroup } from '../../kvgroup/index.js';
import type { BatchState, BatchSummary } from '../../store/index.js';
import type { RouteContext } from '../context.js';
import { HttpError, type ProblemView } from '../errors.js';
import { IdempotencyCache } from '../idempotency.js';
import { textOfJsonView } from '../json-view.js';
import { ACTION_DETAIL, ERRORS, ref, WRITE_ERRORS } from '../schemas.js';

const ACCEPTED = {
  type: 'object',
  required: ['batch', 'actions', 'location'],
  properties: { batch: { type: 'string' }, actions: { type: 'array', items: { type: 'string' } }, location: { type: 'string' } },
} as const;

/** A refused text's problems, each with its position when it has one. */
function problemsOf(err: unknown): ProblemView[] | undefined {
  if (err instanceof KvgSyntaxError) return [{ code: err.code, message: err.message, line: err.line, column: err.column }];
  if (err instanceof BatchInvalidError) return err.problems.map((p) => ({ code: p.code, message: p.message, batch: p.batch, action: p.action }));
  return undefined;
}

/** Where a page of the newest-first list ends: the last batch's time and id. */
const encodeCursor = (b: BatchSummary): string => Buffer.from(JSON.stringify([b.receivedAt, b.id])).toString('base64url');
function decodeCursor(cursor: string): { at: number; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [unknown, unknown];
    if (typeof at === 'number' && typeof id === 'string') return { at, id };
  } catch {
    // Falls through to the 400 below.
  }
  throw new HttpError(400, 'HTTP_BAD_CURSOR', 'cursor is not one this API gave');
}

/** Largest window read to find the page after a cursor (the store pages by limit only). */
const MAX_WINDOW = 100_000;

export function batchRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { port, idempotency } = ctx;

  app.post<{ Body: string | KvGroup | KvGroup[]; Headers: { 'idempotency-key'?: string } }>(
    '/v1/batches',
    {
      config: { role: 'submit' },
      schema: {
        summary: 'Submit a batch (KVGroup text, or its JSON view)',
        description:
          'Parsed and validated as the inbox does. 202 once stored; 200 when the identical batch is already held; 409 when its id is held with other content; 400 with every problem. The same Idempotency-Key with the same body gets the same answer; with another body, 422.',
        headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 200 } } },
        body: {
          content: {
            'text/plain': { schema: { type: 'string' } },
            'application/json': { schema: { anyOf: [ref('KvGroup'), { type: 'array', items: ref('KvGroup') }] } },
          },
        },
        response: { 200: ACCEPTED, 202: ACCEPTED, 409: ref('Error'), 413: ref('Error'), 415: ref('Error'), 422: ref('Error'), ...WRITE_ERRORS },
      },
    },
    async (request, reply) => {
      const text = typeof request.body === 'string' ? request.body : textOfJsonView(request.body);
      const key = request.headers['idempotency-key'];
      const owner = request.tokenName ?? '';
      const digest = key ? IdempotencyCache.digest(text) : '';
      const remembered = key ? idempotency.lookup(owner, key, digest) : undefined;
      if (remembered) return reply.code(remembered.status).send(remembered.body);
      let outcome;
      try {
        outcome = await port.submit(text, `http(${owner})`);
      } catch (err) {
        const problems = problemsOf(err);
        if (problems) throw new HttpError(400, (err as KvgSyntaxError).code, `the batch is refused: ${problems.length} problem${problems.length === 1 ? '' : 's'}`, problems);
        throw err;
      }
      const location = `/v1/batches/${encodeURIComponent(outcome.batch)}`;
      const answer =
        outcome.result === 'conflict'
          ? { status: 409, body: { error: { code: 'HTTP_BATCH_CONFLICT', message: `batch ${outcome.batch} is already held with other content` } } }
          : { status: outcome.result === 'inserted' ? 202 : 200, body: { batch: outcome.batch, actions: outcome.actions, location } };
      if (key) idempotency.remember(owner, key, digest, answer);
      if (answer.status !== 409) reply.header('location', location);
      return reply.code(answer.status).send(answer.body);
    },
  );

  app.get<{ Querystring: { state?: BatchState; since?: string; limit: number; cursor?: string } }>(
    '/v1/batches',
    {
      config: { role: 'read' },
      schema: {
        summary: 'Batches, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            state: { enum: ['received', 'running', 'succeeded', 'failed', 'canceled'] },
            since: { type: 'string', format: 'date-time', description: 'only batches received at or after this time' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            cursor: { type: 'string', description: 'nextCursor of the previous page' },
          },
        },
        response: {
          200: { type: 'object', required: ['batches', 'nextCursor'], properties: { batches: { type: 'array', items: ref('BatchSummary') }, nextCursor: { type: ['string', 'null'] } } },
          ...ERRORS,
        },
      },
    },
    async (request) => {
      const { state, since, limit, cursor } = request.query;
      const after = cursor ? decodeCursor(cursor) : undefined;
      const filter = { ...(state ? { state } : {}), ...(since ? { since: Date.parse(since) } : {}) };
      // The store pages by count only: read a window wide enough to hold the cursor and one page after it.
      for (let window = limit + 1; ; window = Math.min(window * 4, MAX_WINDOW)) {
        const list = await port.store.listBatches({ ...filter, limit: window });
        const start = after ? list.findIndex((b) => b.receivedAt < after.at || (b.receivedAt === after.at && b.id < after.id)) : 0;
        const exhausted = list.length < window || window >= MAX_WINDOW;
        if (start >= 0 && (list.length >= start + limit + 1 || exhausted)) {
          const page = list.slice(start, start + limit);
          return { batches: page, nextCursor: list.length > start + limit ? encodeCursor(page[page.length - 1]!) : null };
        }
        if (exhausted) return { batches: [], nextCursor: null };
      }
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/batches/:id',
    {
      config: { role: 'read' },
      schema: {
        summary: 'One batch: its actions with their states and dependencies, and its messages',
        params: { type: 'object', properties: { id: { type: 'string' } } },
        response: {
          200: {
            allOf: [
              ref('BatchSummary'),
              {
                type: 'object',
                properties: {
                  actions: { type: 'array', items: ACTION_DETAIL },
                  edges: {
                    type: 'array',
                    description: 'action waits for dependsOn (which may be in another batch)',
                    items: { type: 'object', properties: { action: { type: 'string' }, dependsOn: { type: 'object', properties: { batch: { type: 'string' }, action: { type: 'string' } } } } },
                  },
                  messages: { type: 'array', items: ref('Message') },
                },
              },
            ],
          },
          404: ref('Error'),
          ...ERRORS,
        },
      },
    },
    async (request) => {
      const id = request.params.id;
      const detail = await port.store.batchDetail(id);
      if (!detail) throw new HttpError(404, 'HTTP_NO_BATCH', `no batch ${id}`);
      // The board has no per-batch query: the newest entries are searched.
      const messages = (await port.store.batchMessages(id, 1000)).map((m) => ({ ...m, at: new Date(m.at).toISOString() }));
      const edges = detail.actions.flatMap((a) => a.depends.map((d) => ({ action: a.id, dependsOn: d })));
      return { ...detail, edges, messages };
    },
  );
}
