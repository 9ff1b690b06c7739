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

/** A claimed row (read before its claim) as the engine gets it. */
export function claimOf(r: ActionRow, rewrite: boolean, context?: KvGroup): ClaimedAction {
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
    attempt: r.attempts - r.retry_base + (rewrite ? 0 : 1),
    recovery: r.recovery === 1,
  };
}

/**
 * Marks up to `max` runnable actions running, interactive ones first, then in arrival order.
 * An action not yet through the rewrite step is claimed for it when `rewrite` (a plugin is
 * configured): its try is not counted, and it holds no slot of its target — the plugin is not
 * the target, so rewrites run ahead within `max` while the target's slots are busy. Everything
 * else is claimed for its connector within its target's room.
 */
export function claimRunnable(ctx: StoreCtx, now: number, capacity: (hostid: string, running: number) => number, max: number, rewrite: boolean): ClaimedAction[] {
  return ctx.db.transaction((): ClaimedAction[] => {
    const running = new Map<string, number>();
    for (const r of ctx.s.runningByHost.all()) running.set(r.hostid, r.n);
    const room = new Map<string, number>();
    const candidates: ActionRow[] = [];
    // A paused target starts nothing new (tmon pause): its queue is not asked.
    const paused = new Set(ctx.s.pausedHosts.all().map((p) => p.hostid));
    for (const host of ctx.hosts) {
      if (paused.has(host)) continue;
      const free = capacity(host, running.get(host) ?? 0);
      room.set(host, free);
      // With a plugin, rows to rewrite may sit behind the ones that wait for the target's room.
      const limit = rewrite ? max : Math.min(max, free);
      if (limit > 0) candidates.push(...ctx.s.runnable.all(host, now, limit));
    }
    candidates.sort((a, b) => b.interactive - a.interactive || a.queue_seq - b.queue_seq);
    const contexts = new Map<string, KvGroup>();
    const claimed: ClaimedAction[] = [];
    for (const r of candidates) {
      if (claimed.length >= max) break;
      if (rewrite && r.rewritten === 0) {
        ctx.s.startBatch.run(now, r.batch_id);
        ctx.s.claimRewrite.run(now, now, r.batch_id, r.id);
        let context = contexts.get(r.batch_id);
        if (!context) contexts.set(r.batch_id, (context = contextOf(ctx.s.batch.get(r.batch_id)!)));
        claimed.push(claimOf(r, true, context));
        continue;
      }
      const left = room.get(r.hostid) ?? 0;
      if (left <= 0) continue;
      room.set(r.hostid, left - 1);
      ctx.s.startBatch.run(now, r.batch_id);
      ctx.s.claimRun.run(now, now, r.batch_id, r.id);
      claimed.push(claimOf(r, false));
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
