import { actionKey, type Effects } from '../types.js';
import { FINAL, how, treeVerdict, verdictOf } from '../sqlite/progress.js';
import type { ActionRow, ReplyRow } from '../sqlite/rows.js';
import type { PgCtx } from './context.js';
import type { Succeeded } from './statements-turn.js';
import { wipeAction, wipeBatchRow } from './sealing.js';
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

type Step = { batch: string; id: string; state: FinalState | 'verdict'; retval: string; message: string };

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
  await carry(ctx, [{ batch: batchId, id: actionId, state, retval, message }], now, effects, affected, cancelCascades);
}

/**
 * Actions that succeeded (a turn's results), made final together: one statement for all of
 * them (statements-turn.ts `succeedMany`), then what it set off as `finalize` would.
 */
export async function succeedAll(
  ctx: PgCtx,
  done: ReadonlyArray<{ batch: string; id: string; retval: string; message: string }>,
  now: number,
  effects: Effects,
  affected: Set<string>,
  ran?: Succeeded,
): Promise<void> {
  await carry(ctx, done.map((d) => ({ ...d, state: 'succeeded' as const })), now, effects, affected, true, ran);
}

/**
 * The work of `finalize`, breadth first from `queue`; successes at its head go together. `ran`:
 * the `succeedMany` of the queue as it is, already run (in the turn's first round trip).
 */
async function carry(ctx: PgCtx, queue: Step[], now: number, effects: Effects, affected: Set<string>, cancelCascades: boolean, ran?: Succeeded): Promise<void> {
  const treeCandidates: ActionRow[] = [];
  while (queue.length > 0) {
    if (queue[0]!.state === 'succeeded') {
      let n = 1;
      while (n < queue.length && queue[n]!.state === 'succeeded') n++;
      queue.push(...(await succeed(ctx, queue.splice(0, n), now, effects, treeCandidates, ran)));
      ran = undefined;
      continue;
    }
    ctx.turn.moved = true;
    const f = queue.shift()!;
    let row: ActionRow | undefined;
    let v: { state: FinalState; retval: string; message: string };
    if (f.state === 'verdict') {
      row = await ctx.s.action.get(f.batch, f.id);
      if (!row || FINAL.has(row.state)) continue;
      v = verdictOf(row, await ctx.s.primaryRows.all(row.batch_id, row.id));
      await ctx.s.finalize.run(v.state, v.retval, v.state === 'succeeded' ? null : v.message, now, f.batch, f.id);
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

/**
 * Successes in one round trip: final (those not final already), their dependents counted down,
 * their replies recorded. Returns the placeholders with nothing left to wait for (their verdict next).
 */
async function succeed(ctx: PgCtx, steps: readonly Step[], now: number, effects: Effects, treeCandidates: ActionRow[], ran?: Succeeded): Promise<Step[]> {
  const out = ran ?? (await ctx.s.succeedMany.get(
    steps.map((s) => s.batch),
    steps.map((s) => s.id),
    steps.map((s) => s.retval),
    steps.map((s) => s.message),
    now,
    ctx.repliesMode === 'action',
    ctx.owner,
  ))!;
  const messages = new Map(steps.map((s) => [actionKey(s.batch, s.id), s.message]));
  // A batch these made complete is final already; one they left open needs no look either,
  // unless another step of the transaction touches it (which adds it to `affected`).
  ctx.completed.push(...out.completed);
  const batches = new Set(out.done.map((r) => r.batch_id));
  for (const r of out.done) {
    ctx.turn.freed.add(r.hostid);
    await wipeAction(ctx, r);
    effects.events.push({ type: 'action.succeeded', batch: r.batch_id, action: r.id, operation: r.operation, hostid: r.hostid, state: 'succeeded', message: messages.get(actionKey(r.batch_id, r.id)) ?? '', at: now });
    if (ctx.repliesMode !== 'action') treeCandidates.push(r);
  }
  for (const p of out.replies) {
    effects.replies.push({ seq: p.seq, replyid: p.replyid, batch: p.batch_id, action: p.action_id, operation: p.operation, status: p.status, retval: p.retval, message: p.message, at: p.at });
  }
  // A dependent in a batch none of these ran in may be another daemon's to run.
  if (out.ready.some((d) => d.waiting_on <= 0 && !batches.has(d.batch_id))) ctx.turn.others = true;
  return out.ready.filter((d) => d.waiting_on <= 0 && d.placeholder === 1).map((d) => ({ batch: d.batch_id, id: d.id, state: 'verdict', retval: '', message: '' }));
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
  const early = ctx.completed.splice(0);
  const ids = [...batches].filter((b) => !early.some((e) => e.id === b));
  // Every other affected batch with nothing open made final in one statement.
  for (const b of [...early, ...(ids.length > 0 ? await ctx.s.completeBatches.all(ids, now) : [])]) {
    await wipeBatchRow(ctx, b);
    effects.events.push({ type: 'batch.completed', batch: b.id, state: b.state === 'failed' ? 'failed' : 'succeeded', at: now });
  }
}

/** The transaction's tail: completed batches, then the trigger runs of every event. */
export async function conclude(ctx: PgCtx, affected: Set<string>, now: number, effects: Effects): Promise<Effects> {
  await completeBatches(ctx, affected, now, effects);
  await queueRuns(ctx, effects.events, now);
  return effects;
}
