import type { PgCtx } from './context.js';
import { recoverRows } from './recovery.js';

/*
 * Batch leases (docs/postgres.md): a daemon runs the actions of the batches it leases, and only
 * those. Called at the head of every claim, under the graph lock:
 *  1. it lets go of its batches with nothing left open;
 *  2. it takes over batches whose lease expired (their daemon stopped heart-beating): what that
 *     daemon left running is made runnable again, flagged as a recovery;
 *  3. it leases up to `leaseBatches` batches with work due that nobody leases, interactive work
 *     first. A batch leased here may still hold running actions of a daemon that left (it let go
 *     of its leases as it stopped, or a CLI's): those are recovered the same way.
 * Returns how many actions were recovered.
 */
export async function refreshLeases(ctx: PgCtx, now: number): Promise<number> {
  const clock = Date.now();
  const expires = clock + ctx.leaseMs;
  await ctx.s.dropFinishedLeases.run(ctx.owner);
  const taken = (await ctx.s.expiredLeases.all(ctx.owner, clock, ctx.leaseBatches)).map((r) => r.batch_id);
  taken.push(...(await ctx.s.leasable.all(now, ctx.leaseBatches)).map((r) => r.id));
  let recovered = 0;
  for (const batch of taken) {
    await ctx.s.takeLease.run(batch, ctx.owner, expires);
    recovered += await recoverRows(ctx, await ctx.s.strayRunning.all(batch, ctx.owner));
    await ctx.s.adoptBatchReplies.run(ctx.owner, batch);
  }
  return recovered;
}
