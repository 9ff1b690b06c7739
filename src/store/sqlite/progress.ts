import { actionKey, FINAL_ACTION_STATES, type ActionState, type Effects } from '../types.js';
import type { StoreCtx } from './context.js';
import type { ActionRow } from './rows.js';
import { wipeAction, wipeBatch } from './sealing.js';
import { queueRuns } from './trigger-runs.js';

/*
 * How a final action carries through the graph, inside the transaction that made it final:
 * its reply, what becomes ready, what can now never run (skipped), and the placeholders of
 * primaries a plugin removed, which are final once all they fanned out is.
 */

export const FINAL = new Set<ActionState>(FINAL_ACTION_STATES);

type FinalState = 'succeeded' | 'failed' | 'skipped' | 'canceled';

export const how = (state: string): string => (state === 'canceled' ? 'was canceled' : state);

/**
 * Counts what an action still waits for and makes it ready or waiting; skips it at once when
 * one of those already failed. A placeholder waits for its fanned actions to be final, however
 * they end.
 */
export function settleWaiting(ctx: StoreCtx, batchId: string, id: string, now: number, effects: Effects, affected: Set<string>): void {
  const row = ctx.s.action.get(batchId, id);
  if (!row || FINAL.has(row.state)) return;
  const deps = ctx.s.depsOf.all(batchId, id).map((d) => ctx.s.action.get(d.dep_batch_id, d.dep_action_id));
  if (row.placeholder === 1) {
    const open = deps.filter((dep) => dep && !FINAL.has(dep.state)).length;
    if (open === 0) finishPlaceholder(ctx, row, now, effects, affected);
    else ctx.s.setPlaceholderWaiting.run(open, now, batchId, id);
    return;
  }
  let waiting = 0;
  for (const dep of deps) {
    if (dep && dep.state === 'succeeded') continue;
    if (dep && FINAL.has(dep.state)) {
      finalize(ctx, batchId, id, 'skipped', '', `skipped: it waits for action ${dep.id} of batch ${dep.batch_id}, which ${how(dep.state)}`, now, effects, affected);
      return;
    }
    waiting++;
  }
  ctx.s.setWaiting.run(waiting, waiting, waiting, now, batchId, id);
}

/** A removed primary's verdict: success when everything it fanned out succeeded. */
function placeholderVerdict(ctx: StoreCtx, row: ActionRow): { state: 'succeeded' | 'failed'; retval: string; message: string } {
  return verdictOf(row, ctx.s.primaryRows.all(row.batch_id, row.id));
}

/** The verdict of placeholder `row` given its unit's rows (`unit`: every action with its primary id). Shared with the PostgreSQL store. */
export function verdictOf(row: ActionRow, unit: readonly ActionRow[]): { state: 'succeeded' | 'failed'; retval: string; message: string } {
  const fanned = unit.filter((r) => r.id !== row.id);
  const bad = fanned.filter((r) => r.state !== 'succeeded');
  if (bad.length === 0) {
    return { state: 'succeeded', retval: '0', message: `removed by plugin ${row.plugin ?? ''}; the ${fanned.length} action(s) it fanned out succeeded` };
  }
  const list = bad.map((r) => `action ${r.id} ${r.state}${r.last_error ? `: ${r.last_error.replace(/^skipped: /, '')}` : ''}`).join('; ');
  return { state: 'failed', retval: bad.find((r) => r.retval)?.retval ?? '1', message: `removed by plugin ${row.plugin ?? ''}; what it fanned out did not all succeed: ${list}` };
}

function finishPlaceholder(ctx: StoreCtx, row: ActionRow, now: number, effects: Effects, affected: Set<string>): void {
  const v = placeholderVerdict(ctx, row);
  finalize(ctx, row.batch_id, row.id, v.state, v.retval, v.message, now, effects, affected);
}

/**
 * Makes an action final, and carries the consequences through in the same transaction: its
 * reply, what now becomes ready, and the skipping of what can now never run.
 * `cancelCascades: false` (canceling one action, not its batch) skips what waits on it, with the reason.
 */
export function finalize(ctx: StoreCtx, batchId: string, actionId: string, state: FinalState, retval: string, message: string, now: number, effects: Effects, affected: Set<string>, cancelCascades = true, read?: ActionRow): void {
  const queue: Array<{ batch: string; id: string; state: FinalState | 'verdict'; retval: string; message: string }> = [{ batch: batchId, id: actionId, state, retval, message }];
  const treeCandidates: ActionRow[] = [];
  // The first row may come read already (`read`, in this transaction): it is not read twice.
  let first = read;
  while (queue.length > 0) {
    const f = queue.shift()!;
    const row = first ?? ctx.s.action.get(f.batch, f.id);
    first = undefined;
    if (!row || FINAL.has(row.state)) continue;
    const v = f.state === 'verdict' ? placeholderVerdict(ctx, row) : { state: f.state, retval: f.retval, message: f.message };
    affected.add(f.batch);
    ctx.s.finalize.run(v.state, v.retval, v.state === 'succeeded' ? null : v.message, now, now, f.batch, f.id);
    // A final action never runs with its password again: it is emptied (a retry refuses it).
    wipeAction(ctx, row);
    effects.events.push({ type: `action.${v.state}`, batch: f.batch, action: f.id, operation: row.operation, hostid: row.hostid, state: v.state, message: v.message, at: now });
    if (ctx.repliesMode === 'action') {
      if (row.replyid !== '') reply(ctx, row.replyid, f.batch, f.id, row.operation, v.state === 'succeeded', v.retval, v.message, now, effects);
    } else treeCandidates.push(row);
    for (const d of ctx.s.dependents.all(f.batch, f.id)) {
      if (v.state === 'succeeded') {
        const left = ctx.s.decrementWaiting.get(now, d.batch_id, d.action_id);
        if (!left || left.waiting_on > 0) continue;
        if (left.placeholder === 1) queue.push({ batch: d.batch_id, id: d.action_id, state: 'verdict', retval: '', message: '' });
        else ctx.s.makeReady.run(now, d.batch_id, d.action_id);
        continue;
      }
      const dep = ctx.s.action.get(d.batch_id, d.action_id);
      if (!dep || FINAL.has(dep.state)) continue;
      if (dep.placeholder === 1) {
        // A removed primary answers once all it fanned out is final, however each ended.
        const left = ctx.s.decrementWaiting.get(now, d.batch_id, d.action_id);
        if (left && left.waiting_on <= 0) queue.push({ batch: d.batch_id, id: d.action_id, state: 'verdict', retval: '', message: '' });
      } else if (v.state === 'canceled' && cancelCascades && d.batch_id === f.batch) {
        // Canceling a batch cancels its own waiting actions; another batch's are skipped below.
        queue.push({ batch: d.batch_id, id: d.action_id, state: 'canceled', retval: '', message: v.message });
      } else {
        queue.push({ batch: d.batch_id, id: d.action_id, state: 'skipped', retval: '', message: `skipped: it waits for action ${f.id} of batch ${f.batch}, which ${how(v.state)}` });
      }
    }
  }
  for (const row of treeCandidates) treeReplies(ctx, row, now, effects);
}

export function reply(ctx: StoreCtx, replyid: string, batch: string, action: string, operation: string, success: boolean, retval: string, message: string, now: number, effects: Effects): void {
  const r = ctx.s.insertReply.get(replyid, batch, action, operation, success ? 'success' : 'failure', retval, message, now);
  if (r) effects.replies.push({ seq: r.seq, replyid: r.replyid, batch: r.batch_id, action: r.action_id, operation: r.operation, status: r.status, retval: r.retval, message: r.message, at: r.at });
}

/**
 * Tree mode: a primary's replyid is answered once the primary, everything fanned out of it
 * and everything that waits on those (transitively) is final; failure if any of it failed.
 * `row` just became final: the trees it may complete are those of its own primary and of
 * the primaries of everything it waited for.
 */
function treeReplies(ctx: StoreCtx, row: ActionRow, now: number, effects: Effects): void {
  const primaries = new Map<string, { batch: string; id: string }>();
  const up: Array<{ batch: string; id: string; primary: string }> = [{ batch: row.batch_id, id: row.id, primary: row.primary_id }];
  const seenUp = new Set<string>();
  while (up.length > 0) {
    const n = up.pop()!;
    if (seenUp.has(actionKey(n.batch, n.id))) continue;
    seenUp.add(actionKey(n.batch, n.id));
    primaries.set(actionKey(n.batch, n.primary), { batch: n.batch, id: n.primary });
    for (const d of ctx.s.depsOf.all(n.batch, n.id)) {
      const dep = ctx.s.action.get(d.dep_batch_id, d.dep_action_id);
      if (dep) up.push({ batch: dep.batch_id, id: dep.id, primary: dep.primary_id });
    }
  }
  for (const p of primaries.values()) {
    const primary = ctx.s.action.get(p.batch, p.id);
    if (!primary || primary.replyid === '' || ctx.s.replied.get(primary.replyid)) continue;
    const tree = treeOf(ctx, p.batch, p.id);
    if (tree.some((r) => !FINAL.has(r.state))) continue;
    const v = treeVerdict(primary, tree);
    reply(ctx, primary.replyid, p.batch, p.id, primary.operation, v.success, v.retval, v.message, now, effects);
  }
}

/** A finished tree's answer for its primary's replyid. Shared with the PostgreSQL store. */
export function treeVerdict(primary: ActionRow, tree: readonly ActionRow[]): { success: boolean; retval: string; message: string } {
  const bad = tree.filter((r) => r.state !== 'succeeded').sort((a, b) => a.queue_seq - b.queue_seq);
  const message =
    bad.length === 0
      ? `${tree.length} action${tree.length === 1 ? '' : 's'} succeeded`
      : bad.map((r) => `action ${r.id} ${r.state}${r.last_error ? `: ${r.last_error.replace(/^skipped: /, '')}` : ''}`).join('; ');
  return { success: bad.length === 0, retval: bad.length === 0 ? (primary.retval ?? '0') : (bad[0]!.retval ?? ''), message };
}

/** The actions with this primary, and every action that waits on them, transitively. */
function treeOf(ctx: StoreCtx, batch: string, primaryId: string): ActionRow[] {
  const out = new Map<string, ActionRow>();
  const stack = ctx.s.primaryRows.all(batch, primaryId);
  while (stack.length > 0) {
    const r = stack.pop()!;
    const k = actionKey(r.batch_id, r.id);
    if (out.has(k)) continue;
    out.set(k, r);
    for (const d of ctx.s.dependents.all(r.batch_id, r.id)) {
      const dep = ctx.s.action.get(d.batch_id, d.action_id);
      if (dep) stack.push(dep);
    }
  }
  return [...out.values()];
}

/** Batches whose last action just became final end `succeeded` or `failed`. */
export function completeBatches(ctx: StoreCtx, batches: Set<string>, now: number, effects: Effects): void {
  for (const b of batches) {
    if (ctx.s.batchHasOpen.get(b)) continue;
    // A batch all of whose actions were skipped at arrival never started: it ends all the same.
    const state = ctx.s.batchState.get(b)?.state;
    if (state !== 'running' && state !== 'received') continue;
    const tally = ctx.s.batchTally.get(b);
    if (!tally || tally.open > 0) continue;
    const final = tally.bad > 0 ? 'failed' : 'succeeded';
    ctx.s.setBatchState.run(final, now, now, b);
    wipeBatch(ctx, b);
    effects.events.push({ type: 'batch.completed', batch: b, state: final, at: now });
  }
}

/** The transaction's tail: completed batches, then the trigger runs of every event. */
export function conclude(ctx: StoreCtx, affected: Set<string>, now: number, effects: Effects): Effects {
  completeBatches(ctx, affected, now, effects);
  queueRuns(ctx, effects.events, now);
  return effects;
}
