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
  // Steps 1-3 in one statement, and what was taken in one statement per kind: a claim with
  // nothing to take over costs one round trip here.
  const taken = (await ctx.s.leaseUpkeep.all(ctx.owner, clock, now, ctx.leaseBatches)).map((r) => r.batch_id);
  if (taken.length === 0) return 0;
  await ctx.s.takeLeases.run(taken, ctx.owner, clock + ctx.leaseMs);
  const recovered = await recoverRows(ctx, await ctx.s.strayRunning.all(taken, ctx.owner));
  await ctx.s.adoptBatchReplies.run(ctx.owner, taken);
  return recovered;
}
