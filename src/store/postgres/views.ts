import type { KvGroup } from '../../kvgroup/index.js';
import { toMessage, toReply } from '../sqlite/rows.js';
import { likeEscape, requestIdOf, stuckFrom, toFound } from '../sqlite/views.js';
import { detailOf, summaryOf, type SummaryRow } from '../sqlite/inspection.js';
import type { BatchDetail, BatchFilter, BatchSummary, BoardMessage, FindQuery, FoundAction, Reply, StuckAction } from '../types.js';
import type { PgCtx } from './context.js';

/*
 * The read-only views (find, stuck, the board, replies, batch lists): the SQLite store's, whose
 * row-to-answer parts they share, over PostgreSQL's statements.
 */

export async function findActions(ctx: PgCtx, query: FindQuery, limit: number): Promise<FoundAction[]> {
  if ('user' in query) return (await ctx.s.findByUser.all(query.user, limit)).map(toFound);
  if ('replyid' in query) return (await ctx.s.findByReplyid.all(query.replyid, limit)).map(toFound);
  if ('host' in query) return (await ctx.s.findByHost.all(query.host, limit)).map(toFound);
  const pattern = `%${likeEscape(JSON.stringify(query.request))}%`;
  const out: FoundAction[] = [];
  for (const b of await ctx.s.batchesMentioning.all(pattern)) {
    if (requestIdOf(JSON.parse(b.context) as KvGroup) !== query.request) continue;
    for (const r of await ctx.s.findByBatch.all(b.id)) {
      if (out.length >= limit) return out;
      out.push(toFound(r));
    }
  }
  return out;
}

export async function stuckActions(ctx: PgCtx, now: number): Promise<StuckAction[]> {
  const paused = new Map((await ctx.s.pausedHosts.all()).map((p) => [p.hostid, p.paused_at]));
  const out: StuckAction[] = [];
  for (const r of await ctx.s.openActionRows.all()) {
    const deps = [];
    if (r.state === 'waiting') for (const d of await ctx.s.depsOf.all(r.batch_id, r.id)) deps.push({ d, row: await ctx.s.action.get(d.dep_batch_id, d.dep_action_id) });
    out.push(stuckFrom(r, deps, paused.get(r.hostid) ?? null, now));
  }
  return out;
}

export async function boardMessages(ctx: PgCtx, options: { all?: boolean; since?: number; limit?: number }): Promise<BoardMessage[]> {
  const stmt = options.all ? ctx.s.boardMessages : ctx.s.unreadMessages;
  return (await stmt.all(options.since ?? 0, options.limit ?? 1000)).reverse().map((r) => ({ ...toMessage(r), read: r.read_at !== null }));
}

export async function latestReplies(ctx: PgCtx, limit: number): Promise<Reply[]> {
  return (await ctx.s.latestReplies.all(limit)).reverse().map(toReply);
}

/** Batches with their counts, newest first (the filter shapes the statement, so it is built here). */
export async function listBatches(ctx: PgCtx, filter: BatchFilter = {}): Promise<BatchSummary[]> {
  const where: string[] = [];
  const args: Array<string | number> = [];
  if (filter.id !== undefined) args.push(filter.id), where.push(`b.id = $${args.length}`);
  if (filter.state) args.push(filter.state), where.push(`b.state = $${args.length}`);
  if (filter.since !== undefined) args.push(filter.since), where.push(`b.received_at >= $${args.length}`);
  args.push(filter.limit ?? 1000);
  const count = (state: string) => `count(a.id) FILTER (WHERE a.state = '${state}') AS ${state}`;
  const sql = `SELECT b.id, b.state, b.source, b.received_at, b.finished_at, count(a.id) AS total,
      ${['succeeded', 'failed', 'skipped', 'canceled'].map(count).join(', ')}
    FROM batches b LEFT JOIN actions a ON a.batch_id = b.id
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    GROUP BY b.id ORDER BY b.received_at DESC, b.id DESC LIMIT $${args.length}`;
  return (await ctx.query<SummaryRow>(sql, args)).map(summaryOf);
}

export async function batchDetail(ctx: PgCtx, id: string): Promise<BatchDetail | undefined> {
  const [summary] = await listBatches(ctx, { id, limit: 1 });
  return summary ? detailOf(summary, await ctx.s.batchActions.all(id), await ctx.s.batchDeps.all(id)) : undefined;
}
