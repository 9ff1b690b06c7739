import { actionKey, type Effects } from '../types.js';
import { FINAL, how, treeVerdict, verdictOf } from '../sqlite/progress.js';
import type { ActionRow, ReplyRow } from '../sqlite/rows.js';
import type { PgCtx } from './context.js';
import { wipeAction, wipeBatch } from './sealing.js';
import { queueRuns } from './trigger-runs.js';

/*
 * How a final action carries through the graph, inside the transaction that made it final: the
 * PostgreSQL side of ../sqlite/progress.ts (same rules; the verdicts and messages are shared).
 * Dependency counters live in the database, so a dependent in a batch another daemon leases
 * becomes ready in this transaction all the same.
 */

type FinalState = 'succeeded' | 'failed' | 'skipped' | 'canceled';

export async function settleWaiting(ctx: PgCtx, batchId: string, id: string, now: number, effects: Effects, affected: Set<string>): Promise<void> {
  const row = await ctx.s.action.get(batchId, id);
  if (!row || FINAL.has(row.state)) return;
  const deps: Array<ActionRow | undefined> = [];
  for (const d of await ctx.s.depsOf.all(batchId, id)) deps.push(await ctx.s.action.get(d.dep_batch_id, d.dep_action_id));
  if (row.placeholder === 1) {
    const open = deps.filter((dep) => dep && !FINAL.has(dep.state)).length;
    if (open === 0) {
      const v = verdictOf(row, await ctx.s.primaryRows.all(row.batch_id, row.id));
      await finalize(ctx, row.batch_id, row.id, v.state, v.retval, v.message, now, effects, affected);
    } else await ctx.s.setPlaceholderWaiting.run(open, now, batchId, id);
    return;
  }
  let waiting = 0;
  for (const dep of deps) {
    if (dep && dep.state === 'succeeded') continue;
    if (dep && FINAL.has(dep.state)) {
      await finalize(ctx, batchId, id, 'skipped', '', `skipped: it waits for action ${dep.id} of batch ${dep.batch_id}, which ${how(dep.state)}`, now, effects, affected);
      return;
    }
    waiting++;
  }
  await ctx.s.setWaiting.run(waiting, now, batchId, id);
}

/** Makes an action final and carries the consequences through (see ../sqlite/progress.ts `finalize`). */
export async function finalize(
  ctx: PgCtx,
  batchId: string,
  actionId: string,
  state: FinalState,
  retval: string,
  message: string,
  now: number,
  effects: Effects,
  affected: Set<string>,
  cancelCascades = true,
): Promise<void> {
  const queue: Array<{ batch: string; id: string; state: FinalState | 'verdict'; retval: string; message: string }> = [{ batch: batchId, id: actionId, state, retval, message }];
  const treeCandidates: ActionRow[] = [];
  while (queue.length > 0) {
    const f = queue.shift()!;
    let row: ActionRow | undefined;
    let v: { state: FinalState; retval: string; message: string };
    if (f.state === 'verdict') {
      row = await ctx.s.action.get(f.batch, f.id);
      if (!row || FINAL.has(row.state)) continue;
      v = verdictOf(row, await ctx.s.primaryRows.all(row.batch_id, row.id));
      await ctx.s.finalize.run(v.state, v.retval, v.state === 'succeeded' ? null : v.message, now, f.batch, f.id);
    } else if (f.state === 'succeeded') {
      // The common case in one round trip: final, its dependents counted down, its reply.
      v = { state: f.state, retval: f.retval, message: f.message };
      const out = await ctx.s.succeed.all(v.retval, now, f.batch, f.id, ctx.repliesMode === 'action', v.message, ctx.owner);
      const done = out.find((o) => o.kind === 'f');
      if (!done) continue;
      const r = done.row as unknown as ActionRow;
      affected.add(f.batch);
      await wipeAction(ctx, r);
      effects.events.push({ type: 'action.succeeded', batch: f.batch, action: f.id, operation: r.operation, hostid: r.hostid, state: v.state, message: v.message, at: now });
      for (const o of out) {
        if (o.kind === 'r') {
          const p = o.row as unknown as ReplyRow;
          effects.replies.push({ seq: p.seq, replyid: p.replyid, batch: p.batch_id, action: p.action_id, operation: p.operation, status: p.status, retval: p.retval, message: p.message, at: p.at });
        } else if (o.kind === 'd') {
          const left = o.row as { batch_id: string; id: string; waiting_on: number; placeholder: number };
          if (left.waiting_on <= 0 && left.placeholder === 1) queue.push({ batch: left.batch_id, id: left.id, state: 'verdict', retval: '', message: '' });
        }
      }
      if (ctx.repliesMode !== 'action') treeCandidates.push(r);
      continue;
    } else {
      // Its state is known: made final in one statement, which returns the row (its document,
      // replyid and the rest are what they were) or nothing when it was final already.
      v = { state: f.state, retval: f.retval, message: f.message };
      row = await ctx.s.finalizeOpen.get(v.state, v.retval, v.state === 'succeeded' ? null : v.message, now, f.batch, f.id);
      if (!row) continue;
    }
    affected.add(f.batch);
    await wipeAction(ctx, row);
    effects.events.push({ type: `action.${v.state}`, batch: f.batch, action: f.id, operation: row.operation, hostid: row.hostid, state: v.state, message: v.message, at: now });
    if (ctx.repliesMode === 'action') {
      if (row.replyid !== '') await reply(ctx, row.replyid, f.batch, f.id, row.operation, v.state === 'succeeded', v.retval, v.message, now, effects);
    } else treeCandidates.push(row);
    if (v.state === 'succeeded') {
      for (const left of await ctx.s.dependencySucceeded.all(now, f.batch, f.id)) {
        if (left.waiting_on <= 0 && left.placeholder === 1) queue.push({ batch: left.batch_id, id: left.id, state: 'verdict', retval: '', message: '' });
      }
      continue;
    }
    for (const d of await ctx.s.dependents.all(f.batch, f.id)) {
      const verdict = { batch: d.batch_id, id: d.action_id, state: 'verdict' as const, retval: '', message: '' };
      const dep = await ctx.s.action.get(d.batch_id, d.action_id);
      if (!dep || FINAL.has(dep.state)) continue;
      if (dep.placeholder === 1) {
        const left = await ctx.s.decrementWaiting.get(now, d.batch_id, d.action_id);
        if (left && left.waiting_on <= 0) queue.push(verdict);
      } else if (v.state === 'canceled' && cancelCascades && d.batch_id === f.batch) {
        queue.push({ batch: d.batch_id, id: d.action_id, state: 'canceled', retval: '', message: v.message });
      } else {
        queue.push({ batch: d.batch_id, id: d.action_id, state: 'skipped', retval: '', message: `skipped: it waits for action ${f.id} of batch ${f.batch}, which ${how(v.state)}` });
      }
    }
  }
  for (const row of treeCandidates) await treeReplies(ctx, row, now, effects);
}

/** A reply, recorded once per replyid, owned by this daemon: it mirrors it into its outbox. */
export async function reply(ctx: PgCtx, replyid: string, batch: string, action: string, operation: string, success: boolean, retval: string, message: string, now: number, effects: Effects): Promise<void> {
  const r = await ctx.s.insertReply.get(replyid, batch, action, operation, success ? 'success' : 'failure', retval, message, now, ctx.owner);
  if (r) effects.replies.push({ seq: r.seq, replyid: r.replyid, batch: r.batch_id, action: r.action_id, operation: r.operation, status: r.status, retval: r.retval, message: r.message, at: r.at });
}

/** Tree mode (see ../sqlite/progress.ts `treeReplies`). */
async function treeReplies(ctx: PgCtx, row: ActionRow, now: number, effects: Effects): Promise<void> {
  const primaries = new Map<string, { batch: string; id: string }>();
  const up: Array<{ batch: string; id: string; primary: string }> = [{ batch: row.batch_id, id: row.id, primary: row.primary_id }];
  const seenUp = new Set<string>();
  while (up.length > 0) {
    const n = up.pop()!;
    if (seenUp.has(actionKey(n.batch, n.id))) continue;
    seenUp.add(actionKey(n.batch, n.id));
    primaries.set(actionKey(n.batch, n.primary), { batch: n.batch, id: n.primary });
    for (const d of await ctx.s.depsOf.all(n.batch, n.id)) {
      const dep = await ctx.s.action.get(d.dep_batch_id, d.dep_action_id);
      if (dep) up.push({ batch: dep.batch_id, id: dep.id, primary: dep.primary_id });
    }
  }
  for (const p of primaries.values()) {
    const primary = await ctx.s.action.get(p.batch, p.id);
    if (!primary || primary.replyid === '' || (await ctx.s.replied.get(primary.replyid))) continue;
    const tree = await treeOf(ctx, p.batch, p.id);
    if (tree.some((r) => !FINAL.has(r.state))) continue;
    const v = treeVerdict(primary, tree);
    await reply(ctx, primary.replyid, p.batch, p.id, primary.operation, v.success, v.retval, v.message, now, effects);
  }
}

async function treeOf(ctx: PgCtx, batch: string, primaryId: string): Promise<ActionRow[]> {
  const out = new Map<string, ActionRow>();
  const stack = await ctx.s.primaryRows.all(batch, primaryId);
  while (stack.length > 0) {
    const r = stack.pop()!;
    const k = actionKey(r.batch_id, r.id);
    if (out.has(k)) continue;
    out.set(k, r);
    for (const d of await ctx.s.dependents.all(r.batch_id, r.id)) {
      const dep = await ctx.s.action.get(d.batch_id, d.action_id);
      if (dep) stack.push(dep);
    }
  }
  return [...out.values()];
}

async function completeBatches(ctx: PgCtx, batches: Set<string>, now: number, effects: Effects): Promise<void> {
  if (batches.size === 0) return;
  // Every affected batch's state and tally in one statement.
  const tallies = new Map((await ctx.s.openBatchTallies.all([...batches])).map((t) => [t.id, t]));
  for (const b of batches) {
    const tally = tallies.get(b);
    if (!tally || tally.open > 0) continue;
    const final = tally.bad > 0 ? 'failed' : 'succeeded';
    await ctx.s.setBatchState.run(final, now, now, b);
    await wipeBatch(ctx, b);
    effects.events.push({ type: 'batch.completed', batch: b, state: final, at: now });
  }
}

/** The transaction's tail: completed batches, then the trigger runs of every event. */
export async function conclude(ctx: PgCtx, affected: Set<string>, now: number, effects: Effects): Promise<Effects> {
  await completeBatches(ctx, affected, now, effects);
  await queueRuns(ctx, effects.events, now);
  return effects;
}
