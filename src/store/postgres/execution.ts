import type { KvGroup } from '../../kvgroup/index.js';
import { SecretError } from '../../secrets/index.js';
import { claimOf, contextOf } from '../sqlite/execution.js';
import { FINAL } from '../sqlite/progress.js';
import type { ActionRow } from '../sqlite/rows.js';
import type { ActionResult, ClaimedAction, Effects, TickInput, TickOutput } from '../types.js';
import { noEffects, type PgCtx, type PgSettings } from './context.js';
import { recoverStray } from './leases.js';
import type { QueryResult } from 'pg';
import { execute, rowsOf, type Inlined } from './db.js';
import { claimWrites, HEAD_STATEMENTS, type ClaimHost, type ClaimScan, type Succeeded } from './statements-turn.js';
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
  scanned?: ClaimScan,
): Promise<ClaimedAction[]> {
  const { hosts, rows: candidates, room } = await scan(ctx, now, capacity, max, rewrite, scanned);
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
  scanned?: ClaimScan,
): Promise<{ hosts: ClaimHost[]; rows: ActionRow[]; room: Map<string, number> }> {
  const read = async () => (await ctx.s.claimScan.get(...scanParams(ctx, now, max, rewrite)))!;
  // Read in the turn's first round trip: still what a read now would find, unless the turn
  // made more final than its successes since.
  let out = scanned && !ctx.turn.moved ? scanned : await read();
  while (out.stray.length > 0) {
    await recoverStray(ctx, out.stray);
    out = await read();
  }
  ctx.turn.nextDue = out.next_due;
  ctx.turn.nextExpiry = out.next_expiry;
  const room = new Map<string, number>();
  const again: ClaimHost[] = [];
  for (const h of out.hosts) {
    const free = capacity(h.hostid, h.running);
    room.set(h.hostid, free);
    // A target's slots with nothing running, if each running action takes one (the engine's).
    ctx.capacityHints.set(h.hostid, free + h.running);
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

/** `claimScan`'s parameters for a claim of this store now. */
function scanParams(ctx: PgSettings, now: number, max: number, rewrite: boolean): Parameters<PgCtx['s']['claimScan']['get']> {
  const hints = ctx.capacityHints;
  return [ctx.owner, Date.now(), now, ctx.leaseBatches, ctx.leaseMs, rewrite, max, [...hints.keys()], [...hints.values()]];
}

type Results = ReadonlyArray<{ batchId: string; actionId: string; result: ActionResult }>;
const successesOf = (results: Results) =>
  results.filter((r) => r.result.state === 'succeeded').map((r) => ({ batch: r.batchId, id: r.actionId, retval: r.result.retval, message: r.result.message }));

/**
 * Several results in one transaction (the caller's). Successes in a row are made final in one
 * statement (progress.ts `succeedAll`); the others one by one, in the order given. `ran`: the
 * statement of the successes, when they are all the results, already run (`turnHead`).
 */
export async function completeActions(ctx: PgCtx, results: Results, now = Date.now(), ran?: Succeeded): Promise<Effects> {
  const effects = noEffects();
  const affected = new Set<string>();
  if (ran) {
    await succeedAll(ctx, successesOf(results), now, effects, affected, ran);
    return conclude(ctx, affected, now, effects);
  }
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

/**
 * What a turn can read in its first round trip, with BEGIN and the graph lock (db.ts
 * `transaction`), when its results are all successes and it has no rewrite decisions (the usual
 * turn): the successes' statement, then the claim's reading, which sees what it did. The other
 * turns read as they go. `read` picks their results out of the round trip's.
 */
export function turnHead(ctx: PgSettings, input: TickInput, now: number): { statements: Array<Inlined<unknown>>; read: (results: QueryResult[]) => Head } {
  if (input.decisions.length > 0 || input.results.some((r) => r.result.state !== 'succeeded')) return { statements: [], read: () => ({}) };
  const done = successesOf(input.results);
  const succeed =
    done.length > 0
      ? execute(HEAD_STATEMENTS.succeedMany, done.map((d) => d.batch), done.map((d) => d.id), done.map((d) => d.retval), done.map((d) => d.message), now, ctx.repliesMode === 'action', ctx.owner)
      : undefined;
  const k = input.claim;
  const scan = k ? execute(HEAD_STATEMENTS.claimScan, ...scanParams(ctx, k.now, k.max, k.rewrite ?? false)) : undefined;
  const statements = [succeed, scan].filter((x) => x !== undefined);
  return {
    statements,
    read: (results) => ({
      ...(succeed ? { succeeded: rowsOf(succeed, results[0]!)[0] } : {}),
      ...(scan ? { scanned: rowsOf(scan, results[succeed ? 1 : 0]!)[0] } : {}),
    }),
  };
}

interface Head {
  succeeded?: Succeeded;
  scanned?: ClaimScan;
}

/** A turn of the engine (`Store.tick`) in the caller's transaction: results, rewrite decisions, then the claim. */
export async function turn(ctx: PgCtx, input: TickInput, now = Date.now(), head: Head = {}): Promise<TickOutput> {
  const done = input.results.length > 0 ? await completeActions(ctx, input.results, now, head.succeeded) : noEffects();
  const applied = input.decisions.length > 0 ? (await applyRewrites(ctx, input.decisions, input.holdMs)).effects : noEffects();
  const failed = noEffects();
  const k = input.claim;
  const claims = k ? await claimRunnable(ctx, k.now, k.capacity, k.max, k.rewrite ?? false, failed, head.scanned) : [];
  return {
    effects: { replies: [...done.replies, ...applied.replies, ...failed.replies], events: [...done.events, ...applied.events, ...failed.events] },
    claims,
  };
}
