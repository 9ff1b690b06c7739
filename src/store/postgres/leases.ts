import type { PgCtx } from './context.js';
import { recoverRows } from './recovery.js';

/*
 * Batch leases (docs/postgres.md): a daemon runs the actions of the batches it leases, and only
 * those. At the head of every claim, under the graph lock (the claim's own statement does it,
 * statements-turn.ts `claimScan`; this is the same upkeep alone, at start):
 *  1. it lets go of its batches with nothing left open;
 *  2. it takes over batches whose lease expired (their daemon stopped heart-beating): what that
 *     daemon left running is made runnable again, flagged as a recovery;
 *  3. it leases up to `leaseBatches` batches with work due that nobody leases, interactive work
 *     first. A batch leased here may still hold running actions of a daemon that left (it let go
 *     of its leases as it stopped, or a CLI's): those are recovered the same way.
 * Returns how many actions were recovered.
 */
export async function refreshLeases(ctx: PgCtx, now: number): Promise<number> {
  const stray = (await ctx.s.leaseUpkeep.all(ctx.owner, Date.now(), now, ctx.leaseBatches, ctx.leaseMs)).map((r) => r.batch_id);
  return recoverStray(ctx, stray);
}

/** The running actions another daemon left in batches this one just took: run again, flagged. */
export async function recoverStray(ctx: PgCtx, batches: readonly string[]): Promise<number> {
  if (batches.length === 0) return 0;
  return recoverRows(ctx, await ctx.s.strayRunning.all([...batches], ctx.owner));
}
