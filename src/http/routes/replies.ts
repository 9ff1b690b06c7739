import type { FastifyInstance } from 'fastify';
import { redact } from '../../log.js';
import type { Reply } from '../../store/index.js';
import type { RouteContext } from '../context.js';
import { HttpError } from '../errors.js';
import { logRequest } from '../request-log.js';
import { ERRORS, ref } from '../schemas.js';

/** A reply as `tmon replies --json` prints it. */
export const replyView = (r: Reply): Omit<Reply, 'at'> & { at: string } => ({ ...r, at: new Date(r.at).toISOString() });

/** How long an idle stream goes without a byte: proxies close connections that stay silent. */
const KEEPALIVE_MS = 15_000;
/** Replies read from the store per round of the stream. */
const STREAM_ROUND = 500;

export function replyRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { port, feed } = ctx;

  app.get<{ Querystring: { after: number; limit: number; wait: number } }>(
    '/v1/replies',
    {
      config: { role: 'read' },
      schema: {
        summary: 'Replies after a sequence number, in order; waits for the next ones (long poll)',
        description: 'Answers at once when replies after `after` exist, else waits up to `wait` seconds and answers with what came, possibly nothing. Keep the last seq and ask again with it: every reply is seen once, in order, across restarts.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            after: { type: 'integer', minimum: 0, default: 0 },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            wait: { type: 'number', minimum: 0, maximum: 300, default: 30 },
          },
        },
        response: {
          200: { type: 'object', required: ['replies', 'last'], properties: { replies: { type: 'array', items: ref('Reply') }, last: { type: 'integer', description: 'the seq to ask after next' } } },
          ...ERRORS,
        },
      },
    },
    async (request, reply) => {
      const { after, limit, wait } = request.query;
      const gone = new AbortController();
      // The answer's 'close' (not the request's, which fires once its body is read) means the client went.
      reply.raw.once('close', () => gone.abort());
      const deadline = Date.now() + wait * 1000;
      let waitAfter = after;
      for (;;) {
        const replies = await port.store.replies(after, limit);
        const left = deadline - Date.now();
        if (replies.length > 0 || left <= 0) return { replies: replies.map(replyView), last: replies.length ? replies[replies.length - 1]!.seq : after };
        const why = await feed.wait(waitAfter, left, gone.signal);
        if (why === 'closed') return { replies: [], last: after };
        // Woken, yet the store showed nothing new: wait for a later notice rather than spin (the last look at the deadline still reads the store).
        waitAfter = Math.max(waitAfter, feed.newestSeq);
      }
    },
  );

  app.get<{ Querystring: { after?: number }; Headers: { 'last-event-id'?: string } }>(
    '/v1/replies/stream',
    {
      config: { role: 'read' },
      schema: {
        summary: 'Replies as Server-Sent Events (event: reply, id: seq)',
        description: 'Starts after `after`, or after the Last-Event-ID header of a reconnecting client, which wins. Each event\'s data is one Reply; a comment line is sent when idle.',
        querystring: { type: 'object', additionalProperties: false, properties: { after: { type: 'integer', minimum: 0 } } },
        headers: { type: 'object', properties: { 'last-event-id': { type: 'string' } } },
        response: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...ERRORS },
      },
    },
    async (request, reply) => {
      const last = request.headers['last-event-id'];
      if (last !== undefined && !/^\d+$/.test(last)) throw new HttpError(400, 'HTTP_BAD_LAST_EVENT_ID', 'Last-Event-ID must be a reply seq');
      let after = last !== undefined ? Number(last) : (request.query.after ?? 0);
      let seenNotice = 0;
      const gone = new AbortController();
      // The answer's 'close' (not the request's, which fires once its body is read) means the client went.
      reply.raw.once('close', () => gone.abort());
      reply.hijack();
      const out = reply.raw;
      out.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      out.write(': tmon replies\n\n');
      const send = async (chunk: string): Promise<void> => {
        // Respects the client's pace: a slow reader holds the loop, not memory.
        if (!out.write(chunk)) await new Promise<void>((resolve) => (out.once('drain', resolve), gone.signal.addEventListener('abort', () => resolve(), { once: true })));
      };
      try {
        while (!gone.signal.aborted) {
          const replies = await port.store.replies(after, STREAM_ROUND);
          for (const r of replies) {
            if (gone.signal.aborted) break;
            await send(`id: ${r.seq}\nevent: reply\ndata: ${JSON.stringify(redact(replyView(r)))}\n\n`);
            after = r.seq;
          }
          if (replies.length === STREAM_ROUND) continue;
          // As in the long poll: a notice the store did not bear out is not waited on twice.
          const why = await feed.wait(replies.length > 0 ? after : Math.max(after, seenNotice), KEEPALIVE_MS, gone.signal);
          seenNotice = feed.newestSeq;
          if (why === 'closed') break;
          if (why === 'timeout') await send(': keep-alive\n\n');
        }
      } catch (err) {
        ctx.logger.error(`http: replies stream: ${(err as Error).message}`);
      } finally {
        out.end();
        // A hijacked answer skips the onResponse hook: the stream is counted and logged here, at its end.
        ctx.metrics.httpRequests.inc({ method: 'GET', route: '/v1/replies/stream', status: '200' });
        logRequest(ctx.logger, request, 200);
      }
    },
  );
}
