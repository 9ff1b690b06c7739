import { batchContext, readBatch } from '../../batch/index.js';
import { parseKvg, type KvGroup } from '../../kvgroup/index.js';
import type { ActionResult, ClaimedAction, Effects } from '../types.js';
import { noEffects, type StoreCtx } from './context.js';
import { conclude, finalize, FINAL } from './progress.js';
import type { ActionRow, BatchRow } from './rows.js';

/** The top-level group without its actions (stored at ingest; worked out for older batches). */
export function contextOf(batch: BatchRow): KvGroup {
  if (batch.context) return JSON.parse(batch.context) as KvGroup;
  return batchContext(readBatch(parseKvg(batch.document, { source: `batch ${batch.id}` })[0]!)!);
}

/**
 * A claimed row as the engine gets it. `counted`: the row's `attempts` already holds this try
 * (read back after the update), else it is read before and this try is added.
 */
export function claimOf(r: ActionRow, rewrite: boolean, context?: KvGroup, counted = false): ClaimedAction {
  return {
    batchId: r.batch_id,
    id: r.id,
    primaryId: r.primary_id,
    rewrite,
    ...(context ? { context } : {}),
    operation: r.operation,
    hostid: r.hostid,
    interactive: r.interactive === 1,
    document: JSON.parse(r.document) as KvGroup,
    attempt: r.attempts - r.retry_base + (rewrite || counted ? 0 : 1),
    recovery: r.recovery === 1,
  };
}

/**
 * Marks up to `max` runnable actions running, interactive ones first, then in arrival order,
 * within each target's room. An action not yet through the rewrite step is claimed for it
 * when `rewrite` (a plugin is configured), and its try is not counted until it runs.
 */
export function claimRunnable(ctx: StoreCtx, now: number, capacity: (hostid: string, running: number) => number, max: number, rewrite: boolean): ClaimedAction[] {
  return ctx.db.transaction((): ClaimedAction[] => {
    const running = new Map<string, number>();
    for (const r of ctx.s.runningByHost.all()) running.set(r.hostid, r.n);
    const candidates: ActionRow[] = [];
    // A paused target starts nothing new (tmon pause): its queue is not asked.
    const paused = new Set(ctx.s.pausedHosts.all().map((p) => p.hostid));
    for (const host of ctx.hosts) {
      if (paused.has(host)) continue;
      const room = Math.min(max, capacity(host, running.get(host) ?? 0));
      if (room > 0) candidates.push(...ctx.s.runnable.all(host, now, room));
    }
    candidates.sort((a, b) => b.interactive - a.interactive || a.queue_seq - b.queue_seq);
    const contexts = new Map<string, KvGroup>();
    const claimed: ClaimedAction[] = [];
    for (const r of candidates.slice(0, max)) {
      ctx.s.startBatch.run(now, r.batch_id);
      if (rewrite && r.rewritten === 0) {
        ctx.s.claimRewrite.run(now, now, r.batch_id, r.id);
        let context = contexts.get(r.batch_id);
        if (!context) contexts.set(r.batch_id, (context = contextOf(ctx.s.batch.get(r.batch_id)!)));
        claimed.push(claimOf(r, true, context));
      } else {
        ctx.s.claimRun.run(now, now, r.batch_id, r.id);
        claimed.push(claimOf(r, false));
      }
    }
    return claimed;
  })();
}

/** Several results in one transaction (group commit): one disk flush for all of them. */
export function completeActions(ctx: StoreCtx, results: ReadonlyArray<{ batchId: string; actionId: string; result: ActionResult }>): Effects {
  return ctx.db.transaction((): Effects => {
    const effects = noEffects();
    const now = Date.now();
    const affected = new Set<string>();
    for (const { batchId, actionId, result } of results) {
      const row = ctx.s.action.get(batchId, actionId);
      if (!row || FINAL.has(row.state)) continue;
      if (result.state === 'retrying') {
        ctx.s.retrying.run(result.retval, result.message, result.nextAttemptAt, now, batchId, actionId);
        effects.events.push({ type: 'action.retrying', batch: batchId, action: actionId, operation: row.operation, hostid: row.hostid, state: 'retrying', message: result.message, at: now });
        continue;
      }
      affected.add(batchId);
      finalize(ctx, batchId, actionId, result.state, result.retval, result.message, now, effects, affected);
    }
    return conclude(ctx, affected, now, effects);
  })();
}
