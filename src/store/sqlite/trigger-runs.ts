import { isGroup, isPair, type KvGroup } from '../../kvgroup/document.js';
import type { StoreEvent, TriggerPayload, TriggerRun } from '../types.js';
import type { StoreCtx } from './context.js';
import { toTriggerRun, type ActionRow, type BatchRow } from './rows.js';

/** The context groups whose pairs a trigger payload carries (contract §8). */
const CONTEXT_GROUPS = ['request', 'recipient'] as const;

function pairsOf(context: KvGroup, type: string): Record<string, string> | undefined {
  const g = context.members.find((m): m is KvGroup => isGroup(m) && m.type === type);
  if (!g) return undefined;
  // Only plain pairs, and never a password, whatever a workflow manager put there.
  return Object.fromEntries(g.members.filter(isPair).filter((p) => p.key !== 'newpw').map((p) => [p.key, p.value]));
}

/** What the store knows of the event's action and batch, added to it for a trigger script. */
export function payloadOf(ctx: StoreCtx, e: StoreEvent): TriggerPayload {
  return payloadFrom(e, e.batch ? ctx.s.batch.get(e.batch) : undefined, e.batch && e.action ? ctx.s.action.get(e.batch, e.action) : undefined);
}

/** The payload from the rows of the event's batch and action (shared with the PostgreSQL store). */
export function payloadFrom(e: StoreEvent, batch: BatchRow | undefined, row: ActionRow | undefined): TriggerPayload {
  const out: TriggerPayload = { ...e };
  if (batch) {
    out.received = batch.received_at;
    if (batch.context) {
      const context = JSON.parse(batch.context) as KvGroup;
      for (const name of CONTEXT_GROUPS) {
        const pairs = pairsOf(context, name);
        if (pairs) out[name] = pairs;
      }
    }
  }
  if (row) {
    out.userid = row.userid;
    out.replyid = row.replyid;
    if (row.retval !== null) out.retval = row.retval;
    out.attempt = row.attempts;
  }
  return out;
}

/**
 * Queues the trigger runs of these events; called inside the transaction that raised them, so
 * a run is neither lost nor queued twice. Events no trigger wants cost one filter call each.
 */
export function queueRuns(ctx: StoreCtx, events: readonly StoreEvent[], now: number): void {
  for (const e of events) {
    const names = ctx.triggersFor(e);
    if (names.length === 0) continue;
    const payload = JSON.stringify(payloadOf(ctx, e));
    for (const name of names) ctx.s.queueTrigger.run(name, e.type, payload, now, now);
  }
}

export function claimTriggerRuns(ctx: StoreCtx, now: number, max: number): TriggerRun[] {
  // Nothing due: no transaction, which would commit the engine's deferred writes early (an
  // extra disk flush) for nothing. The daemon is the one writer, so what is read stays true.
  if (ctx.s.dueTriggers.all(now, 1).length === 0) return [];
  return ctx.db.transaction((): TriggerRun[] => {
    const rows = ctx.s.dueTriggers.all(now, max);
    for (const r of rows) ctx.s.claimTrigger.run(r.id);
    return rows.map((r) => toTriggerRun({ ...r, state: 'running', attempts: r.attempts + 1 }));
  })();
}

export function finishTriggerRun(ctx: StoreCtx, id: number, result: { ok: true } | { ok: false; error: string; retryAt: number | null }): void {
  const now = Date.now();
  if (result.ok) ctx.s.triggerDone.run(now, id);
  else if (result.retryAt !== null) ctx.s.triggerRetry.run(result.error, result.retryAt, id);
  else ctx.s.triggerFailed.run(result.error, now, id);
}
