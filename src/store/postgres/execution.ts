import type { KvGroup } from '../../kvgroup/index.js';
import { SecretError } from '../../secrets/index.js';
import { claimOf, contextOf } from '../sqlite/execution.js';
import { FINAL } from '../sqlite/progress.js';
import type { ActionRow } from '../sqlite/rows.js';
import type { ActionResult, ClaimedAction, Effects, TickInput, TickOutput } from '../types.js';
import { noEffects, type PgCtx } from './context.js';
import { recoverStray } from './leases.js';
import { claimWrites, type ClaimHost } from './statements-turn.js';
import { conclude, finalize, succeedAll } from './progress.js';
import { applyRewrites } from './rewrites.js';

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
  const { hosts, rows: candidates, room } = await scan(ctx, now, capacity, max, rewrite);
  const interactive = new Map(hosts.map((h) => [h.hostid, h.interactive]));
  candidates.sort((a, b) => b.interactive - a.interactive || a.queue_seq - b.queue_seq);
  const contexts = new Map<string, KvGroup>();
  const claimed: ClaimedAction[] = [];
  const affected = new Set<string>();
  // The turn's claims are written together, in one statement, before anything else reads them.
  const started = new Set<string>();
  const runs = { batches: [] as string[], ids: [] as string[] };
  const rewrites = { batches: [] as string[], ids: [] as string[] };
  // `last`: nothing reads them after this (no cascade to conclude), so they go with COMMIT.
  const flush = async (last = false): Promise<void> => {
    if (started.size > 0 || runs.ids.length > 0 || rewrites.ids.length > 0) {
      const sql = claimWrites(ctx.literal, ctx.owner, now, [...started], runs, rewrites);
      if (last && affected.size === 0) ctx.tail.sql.push(sql);
      else await ctx.query(sql);
    }
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
  await flush(true);
  ctx.turn.room = room;
  if (affected.size > 0) await conclude(ctx, affected, now, effects);
  return claimed;
}

/**
 * What a claim reads, under the graph lock: the lease upkeep, per target of the leased batches'
 * runnable actions the counts across daemons, and the first runnable rows, in one statement.
 * How many rows a target gets is a hint (`capacityHints`: its capacity with nothing running, as
 * the previous claim found it) so that a busy target's rows are not read for nothing; a target
 * whose hint fetched fewer than `capacity` now lets it start is read again, exactly, so the hint
 * never decides what is claimed. Batches taken over with another daemon's running actions have
 * them recovered first, and are read again. `room`: each target's `capacity` (asked once).
 */
async function scan(
  ctx: PgCtx,
  now: number,
  capacity: (hostid: string, running: number) => number,
  max: number,
  rewrite: boolean,
): Promise<{ hosts: ClaimHost[]; rows: ActionRow[]; room: Map<string, number> }> {
  const hints = ctx.capacityHints;
  const read = () => ctx.s.claimScan.get(ctx.owner, Date.now(), now, ctx.leaseBatches, ctx.leaseMs, rewrite, max, [...hints.keys()], [...hints.values()]);
  let out = (await read())!;
  while (out.stray.length > 0) {
    await recoverStray(ctx, out.stray);
    out = (await read())!;
  }
  ctx.turn.nextDue = out.next_due;
  ctx.turn.nextExpiry = out.next_expiry;
  const room = new Map<string, number>();
  const again: ClaimHost[] = [];
  for (const h of out.hosts) {
    const free = capacity(h.hostid, h.running);
    room.set(h.hostid, free);
    // A target's slots with nothing running, if each running action takes one (the engine's).
    hints.set(h.hostid, free + h.running);
    // With `rewrite` every target got `max` rows: as many as a claim may take.
    if (!rewrite && h.fetched < h.due && h.fetched < Math.min(max, free)) again.push(h);
  }
  if (again.length === 0) return { hosts: out.hosts, rows: out.rows, room };
  const exact = await ctx.s.runnable.all(
    ctx.owner,
    again.map((h) => h.hostid),
    again.map((h) => Math.min(max, room.get(h.hostid)!)),
    now,
  );
  const redone = new Set(again.map((h) => h.hostid));
  return { hosts: out.hosts, rows: [...out.rows.filter((r) => !redone.has(r.hostid)), ...exact], room };
}

/** An action whose password does not open fails, said on the board (see ../sqlite/execution.ts). */
export async function unopened(ctx: PgCtx, batchId: string, id: string, err: Error, now: number, effects: Effects, affected: Set<string>): Promise<void> {
  const message = `action ${id}: its password cannot be opened (${err.message}); action failed`;
  await ctx.s.postMessage.run(now, 'error', 'engine', batchId, id, message);
  affected.add(batchId);
  await finalize(ctx, batchId, id, 'failed', '', message, now, effects, affected);
}

/**
 * Several results in one transaction (the caller's). Successes in a row are made final in one
 * statement (progress.ts `succeedAll`); the others one by one, in the order given.
 */
export async function completeActions(ctx: PgCtx, results: ReadonlyArray<{ batchId: string; actionId: string; result: ActionResult }>): Promise<Effects> {
  const effects = noEffects();
  const now = Date.now();
  const affected = new Set<string>();
  let successes: Array<{ batch: string; id: string; retval: string; message: string }> = [];
  const flush = async (): Promise<void> => {
    if (successes.length > 0) await succeedAll(ctx, successes, now, effects, affected);
    successes = [];
  };
  for (const { batchId, actionId, result } of results) {
    if (result.state === 'succeeded') {
      successes.push({ batch: batchId, id: actionId, retval: result.retval, message: result.message });
      continue;
    }
    await flush();
    // A retry or a failure frees a slot and may set off more (a cascade): the others are told.
    ctx.turn.others = true;
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
  await flush();
  return conclude(ctx, affected, now, effects);
}

/** A turn of the engine (`Store.tick`) in the caller's transaction: results, rewrite decisions, then the claim. */
export async function turn(ctx: PgCtx, input: TickInput): Promise<TickOutput> {
  const done = input.results.length > 0 ? await completeActions(ctx, input.results) : noEffects();
  const applied = input.decisions.length > 0 ? (await applyRewrites(ctx, input.decisions, input.holdMs)).effects : noEffects();
  const failed = noEffects();
  const k = input.claim;
  const claims = k ? await claimRunnable(ctx, k.now, k.capacity, k.max, k.rewrite, failed) : [];
  return {
    effects: { replies: [...done.replies, ...applied.replies, ...failed.replies], events: [...done.events, ...applied.events, ...failed.events] },
    claims,
  };
}
