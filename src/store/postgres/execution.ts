import type { KvGroup } from '../../kvgroup/index.js';
import { SecretError } from '../../secrets/index.js';
import { claimOf, contextOf } from '../sqlite/execution.js';
import { FINAL } from '../sqlite/progress.js';
import type { ActionRow } from '../sqlite/rows.js';
import type { ActionResult, ClaimedAction, Effects } from '../types.js';
import { noEffects, type PgCtx } from './context.js';
import { refreshLeases } from './leases.js';
import { conclude, finalize } from './progress.js';

/**
 * Marks up to `max` runnable actions of this daemon's leased batches running (see
 * ../sqlite/execution.ts for the single-daemon rules, which hold here too). Across daemons:
 *  - a target's running actions are counted whoever runs them, so `capacity` is global;
 *  - a batch action may not take a target's slot while an interactive action for that target
 *    is runnable anywhere (in any daemon's batch, or in none yet): interactive work goes first
 *    across daemons, not only within one.
 * Runs under the graph lock (the caller's transaction), so two daemons cannot both take a
 * target's last slot.
 */
export async function claimRunnable(
  ctx: PgCtx,
  now: number,
  capacity: (hostid: string, running: number) => number,
  max: number,
  rewrite: boolean,
  effects: Effects = noEffects(),
): Promise<ClaimedAction[]> {
  await refreshLeases(ctx, now);
  const running = new Map<string, number>();
  const interactive = new Map<string, number>();
  const leased: string[] = [];
  for (const r of await ctx.s.claimHosts.all(ctx.owner, now, rewrite)) {
    if (r.kind === 'r') running.set(r.hostid, r.n);
    else if (r.kind === 'i') interactive.set(r.hostid, r.n);
    else leased.push(r.hostid);
  }
  const room = new Map<string, number>();
  const hosts: string[] = [];
  const limits: number[] = [];
  for (const host of leased) {
    const free = capacity(host, running.get(host) ?? 0);
    room.set(host, free);
    const limit = rewrite ? max : Math.min(max, free);
    if (limit > 0) {
      hosts.push(host);
      limits.push(limit);
    }
  }
  const candidates = hosts.length > 0 ? await ctx.s.runnable.all(ctx.owner, hosts, limits, now) : [];
  candidates.sort((a, b) => b.interactive - a.interactive || a.queue_seq - b.queue_seq);
  const contexts = new Map<string, KvGroup>();
  const claimed: ClaimedAction[] = [];
  const affected = new Set<string>();
  // The turn's claims are written together, in one statement per kind, before anything else reads them.
  const started = new Set<string>();
  const runs = { batches: [] as string[], ids: [] as string[] };
  const rewrites = { batches: [] as string[], ids: [] as string[] };
  const flush = async (): Promise<void> => {
    if (started.size > 0) await ctx.s.startBatches.run(now, [...started]);
    if (runs.ids.length > 0) await ctx.s.claimRuns.run(ctx.owner, now, runs.batches, runs.ids);
    if (rewrites.ids.length > 0) await ctx.s.claimRewrites.run(ctx.owner, now, rewrites.batches, rewrites.ids);
    started.clear();
    runs.batches = [];
    runs.ids = [];
    rewrites.batches = [];
    rewrites.ids = [];
  };
  for (const r of candidates) {
    if (claimed.length >= max) break;
    const forRewrite = rewrite && r.rewritten === 0;
    if (!forRewrite && (room.get(r.hostid) ?? 0) <= 0) continue;
    // Another daemon's interactive action waits for this target: a batch action leaves it the slot.
    if (!forRewrite && r.interactive === 0 && (interactive.get(r.hostid) ?? 0) > 0) continue;
    started.add(r.batch_id);
    let claim: ClaimedAction;
    try {
      let context = forRewrite ? contexts.get(r.batch_id) : undefined;
      if (forRewrite && !context) contexts.set(r.batch_id, (context = contextOf(ctx, (await ctx.s.batch.get(r.batch_id))!)));
      claim = claimOf(ctx, r, forRewrite, context);
    } catch (err) {
      if (!(err instanceof SecretError)) throw err;
      await flush();
      await unopened(ctx, r.batch_id, r.id, err, now, effects, affected);
      continue;
    }
    if (forRewrite) {
      rewrites.batches.push(r.batch_id);
      rewrites.ids.push(r.id);
    } else {
      room.set(r.hostid, (room.get(r.hostid) ?? 0) - 1);
      if (r.interactive === 1) interactive.set(r.hostid, (interactive.get(r.hostid) ?? 1) - 1);
      runs.batches.push(r.batch_id);
      runs.ids.push(r.id);
    }
    claimed.push(claim);
  }
  await flush();
  if (affected.size > 0) await conclude(ctx, affected, now, effects);
  return claimed;
}

/** An action whose password does not open fails, said on the board (see ../sqlite/execution.ts). */
export async function unopened(ctx: PgCtx, batchId: string, id: string, err: Error, now: number, effects: Effects, affected: Set<string>): Promise<void> {
  const message = `action ${id}: its password cannot be opened (${err.message}); action failed`;
  await ctx.s.postMessage.run(now, 'error', 'engine', batchId, id, message);
  affected.add(batchId);
  await finalize(ctx, batchId, id, 'failed', '', message, now, effects, affected);
}

/** Several results in one transaction (the caller's). */
export async function completeActions(ctx: PgCtx, results: ReadonlyArray<{ batchId: string; actionId: string; result: ActionResult }>): Promise<Effects> {
  const effects = noEffects();
  const now = Date.now();
  const affected = new Set<string>();
  for (const { batchId, actionId, result } of results) {
    if (result.state === 'retrying') {
      const row = await ctx.s.action.get(batchId, actionId);
      if (!row || FINAL.has(row.state)) continue;
      await ctx.s.retrying.run(result.retval, result.message, result.nextAttemptAt, now, batchId, actionId);
      effects.events.push({ type: 'action.retrying', batch: batchId, action: actionId, operation: row.operation, hostid: row.hostid, state: 'retrying', message: result.message, at: now });
      continue;
    }
    // An action already final (canceled meanwhile, say) is left as it is: finalize checks.
    await finalize(ctx, batchId, actionId, result.state, result.retval, result.message, now, effects, affected);
  }
  return conclude(ctx, affected, now, effects);
}
