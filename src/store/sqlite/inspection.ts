import type { Dependency } from '../../batch/index.js';
import type { ActionDetail, BatchDetail, BatchFilter, BatchState, BatchSummary } from '../types.js';
import type { StoreCtx } from './context.js';
import type { ActionRow, DepRow } from './rows.js';

/** A batch with its action counts, as the list's statement returns it (both stores). */
export interface SummaryRow {
  id: string;
  state: BatchState;
  source: string;
  received_at: number;
  finished_at: number | null;
  total: number;
  succeeded: number;
  failed: number;
  skipped: number;
  canceled: number;
}

/** Batches with their counts, newest first. */
export function listBatches(ctx: StoreCtx, filter: BatchFilter = {}): BatchSummary[] {
  const where: string[] = [];
  const args: Array<string | number> = [];
  if (filter.id !== undefined) where.push('b.id = ?'), args.push(filter.id);
  if (filter.state) where.push('b.state = ?'), args.push(filter.state);
  if (filter.since !== undefined) where.push('b.received_at >= ?'), args.push(filter.since);
  const sql = `SELECT b.id, b.state, b.source, b.received_at, b.finished_at,
      count(a.id) AS total,
      coalesce(sum(a.state = 'succeeded'), 0) AS succeeded, coalesce(sum(a.state = 'failed'), 0) AS failed,
      coalesce(sum(a.state = 'skipped'), 0) AS skipped, coalesce(sum(a.state = 'canceled'), 0) AS canceled
    FROM batches b LEFT JOIN actions a ON a.batch_id = b.id
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    GROUP BY b.id ORDER BY b.received_at DESC, b.id DESC LIMIT ?`;
  args.push(filter.limit ?? 1000);
  // The filter decides the statement's shape, so it is prepared here; its row type is fixed.
  return ctx.db
    .prepare<Array<string | number>, SummaryRow>(sql)
    .all(...args)
    .map(summaryOf);
}

export const summaryOf = (r: SummaryRow): BatchSummary => ({
  id: r.id,
  state: r.state,
  source: r.source,
  receivedAt: r.received_at,
  finishedAt: r.finished_at,
  counts: {
    total: r.total,
    succeeded: r.succeeded,
    failed: r.failed,
    skipped: r.skipped,
    canceled: r.canceled,
    pending: r.total - r.succeeded - r.failed - r.skipped - r.canceled,
  },
});

/** A batch's detail from its summary, action rows and dependency rows (both stores). */
export function detailOf(summary: BatchSummary, rows: readonly ActionRow[], depRows: ReadonlyArray<{ action_id: string } & DepRow>): BatchDetail {
  const deps = new Map<string, Dependency[]>();
  for (const d of depRows) deps.set(d.action_id, [...(deps.get(d.action_id) ?? []), { batch: d.dep_batch_id, action: d.dep_action_id }]);
  const actions: ActionDetail[] = rows.map((r) => ({
    id: r.id,
    primaryId: r.primary_id,
    plugin: r.plugin,
    state: r.state,
    operation: r.operation,
    hostid: r.hostid,
    userid: r.userid,
    replyid: r.replyid,
    interactive: r.interactive === 1,
    attempts: r.attempts,
    nextAttemptAt: r.state === 'retrying' ? r.runnable_at : null,
    retval: r.retval,
    lastError: r.last_error,
    depends: deps.get(r.id) ?? [],
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  }));
  return { ...summary, actions };
}

export function batchDetail(ctx: StoreCtx, id: string): BatchDetail | undefined {
  const [summary] = listBatches(ctx, { id, limit: 1 });
  return summary ? detailOf(summary, ctx.s.batchActions.all(id), ctx.s.batchDeps.all(id)) : undefined;
}
