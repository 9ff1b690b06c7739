import { payloadFrom } from '../sqlite/trigger-runs.js';
import type { StoreEvent, TriggerPayload } from '../types.js';
import type { PgCtx } from './context.js';

/** What a trigger script reads for this event (see ../sqlite/trigger-runs.ts). */
export async function payloadOf(ctx: PgCtx, e: StoreEvent): Promise<TriggerPayload> {
  const batch = e.batch ? await ctx.s.batch.get(e.batch) : undefined;
  const row = e.batch && e.action ? await ctx.s.action.get(e.batch, e.action) : undefined;
  return payloadFrom(e, batch, row);
}

/** Queues the trigger runs of these events, inside the transaction that raised them. */
export async function queueRuns(ctx: PgCtx, events: readonly StoreEvent[], now: number): Promise<void> {
  for (const e of events) {
    const names = ctx.triggersFor(e);
    if (names.length === 0) continue;
    const payload = JSON.stringify(await payloadOf(ctx, e));
    for (const name of names) await ctx.s.queueTrigger.run(name, e.type, payload, now);
  }
}
