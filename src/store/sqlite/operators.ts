import { actionValue, isInteractive, readAction } from '../../batch/model.js';
import type { KvGroup } from '../../kvgroup/index.js';
import { actionKey, type OperatorResult } from '../types.js';
import { noEffects, type StoreCtx } from './context.js';
import { conclude, FINAL, finalize, settleWaiting } from './progress.js';
import type { ActionRow } from './rows.js';
import { wipeBatch } from './sealing.js';

/**
 * Puts a failed action back in the queue, with what was skipped because of it. An action whose
 * submitted primary did not succeed goes through the plugin again, from what was submitted:
 * the unit's fanned actions that did not succeed are dropped (the new rewrite makes them again)
 * and those that succeeded are kept, not run twice. A fanned action whose primary succeeded runs
 * again as the plugin wrote it. Its replyid was answered with the failure and is not answered
 * twice; the tries start afresh while `attempts` keeps the total. Refused, changing nothing, when
 * anything it would run again held a password, wiped when it ended (`mustStillHavePasswords`).
 */
export function retryAction(ctx: StoreCtx, batchId: string, actionId: string, note: string): OperatorResult {
  try {
    return retryIn(ctx, batchId, actionId, note);
  } catch (err) {
    // Refused once under way: the transaction is rolled back, nothing was changed.
    if (err instanceof Refused) return { ok: false, reason: err.message };
    throw err;
  }
}

class Refused extends Error {}

/**
 * An action whose password was wiped when it became final (src/store/sqlite/sealing.ts) cannot
 * run again: it would run without the password it was given, or with an empty one. Neither can
 * one go through its plugin again once its batch's context lost one. The retry is refused.
 */
function mustStillHavePasswords(ctx: StoreCtx, r: ActionRow, throughPlugin: boolean): void {
  if (r.secrets_wiped === 1) {
    throw new Refused(
      `action ${r.id} of batch ${r.batch_id} held a password (newpw), wiped from the store when it ended; it cannot run again without it: submit it again in a new batch`,
    );
  }
  if (throughPlugin && ctx.s.batch.get(r.batch_id)?.secrets_wiped === 1) {
    throw new Refused(
      `the context of batch ${r.batch_id} held a password (newpw), wiped from the store when the batch ended; action ${r.id} cannot go through its plugin again without it: submit it again in a new batch`,
    );
  }
}

/**
 * Why a retry of `actionId` is refused, if it is (both stores): `unit` is every action of its
 * submitted action's rewrite, read only when the action failed.
 */
export function retryRefusal(batchId: string, actionId: string, row: ActionRow | undefined, unit: readonly ActionRow[]): string | undefined {
  if (!row) return `no action ${actionId} in batch ${batchId}`;
  if (row.state !== 'failed') return `action ${actionId} of batch ${batchId} is ${row.state}; only a failed action can be retried`;
  const busy = unit.find((r) => !FINAL.has(r.state));
  if (busy) return `action ${busy.id}, from the same submitted action ${row.primary_id}, is ${busy.state}; retry once it is final`;
  return undefined;
}

function retryIn(ctx: StoreCtx, batchId: string, actionId: string, note: string): OperatorResult {
  return ctx.db.transaction((): OperatorResult => {
    const row = ctx.s.action.get(batchId, actionId);
    const unit = row && row.state === 'failed' ? ctx.s.primaryRows.all(batchId, row.primary_id) : [];
    const refused = retryRefusal(batchId, actionId, row, unit);
    if (refused !== undefined || !row) return { ok: false, reason: refused ?? '' };
    const primary = unit.find((r) => r.id === row.primary_id)!;
    const now = Date.now();
    const starts: ActionRow[] = [];
    const requeued: Array<{ batch: string; id: string }> = [];
    if (primary.state !== 'succeeded') {
      mustStillHavePasswords(ctx, primary, true);
      for (const r of unit) {
        if (r.id === primary.id || r.state === 'succeeded') continue;
        ctx.s.deleteDeps.run(batchId, r.id);
        ctx.s.deleteAction.run(batchId, r.id);
        starts.push(r);
      }
      const submitted = readAction(JSON.parse(primary.submitted ?? primary.document) as KvGroup);
      ctx.s.restoreSubmitted.run(actionValue(submitted, 'operation'), actionValue(submitted, 'hostid'), actionValue(submitted, 'userid'), isInteractive(submitted) ? 1 : 0, now, batchId, primary.id);
      ctx.s.deleteDeps.run(batchId, primary.id);
      for (const d of submitted.depends) ctx.s.insertDep.run(batchId, primary.id, d.batch, d.action);
      requeued.push({ batch: batchId, id: primary.id });
      starts.push(primary);
    } else {
      mustStillHavePasswords(ctx, row, false);
      ctx.s.requeue.run(now, batchId, row.id);
      requeued.push({ batch: batchId, id: row.id });
      starts.push(row);
    }
    // Everything skipped because of what is retried waits again, transitively.
    const seen = new Set<string>(starts.map((r) => actionKey(r.batch_id, r.id)));
    const stack = [...starts];
    while (stack.length > 0) {
      const r = stack.pop()!;
      for (const d of ctx.s.dependents.all(r.batch_id, r.id)) {
        const dep = ctx.s.action.get(d.batch_id, d.action_id);
        if (!dep || dep.state !== 'skipped' || seen.has(actionKey(dep.batch_id, dep.id))) continue;
        mustStillHavePasswords(ctx, dep, dep.rewritten === 0);
        seen.add(actionKey(dep.batch_id, dep.id));
        ctx.s.requeue.run(now, dep.batch_id, dep.id);
        requeued.push({ batch: dep.batch_id, id: dep.id });
        stack.push(dep);
      }
    }
    const effects = noEffects();
    const affected = new Set(requeued.map((r) => r.batch));
    for (const b of affected) {
      const st = ctx.s.batchState.get(b)?.state;
      if (st === 'failed' || st === 'succeeded') ctx.s.setBatchState.run('running', now, null, b);
    }
    for (const r of requeued) settleWaiting(ctx, r.batch, r.id, now, effects, affected);
    const names = requeued.map((r) => (r.batch === batchId ? r.id : `${r.id} of batch ${r.batch}`));
    const rewritten = primary.state !== 'succeeded' && (primary.plugin !== null || primary.submitted !== null);
    const text = `retry: ${names.join(', ')} queued again${rewritten ? `; ${primary.id} goes through its plugin again, from what was submitted` : ''}${note ? ` (${note})` : ''}`;
    ctx.s.postMessage.run(now, 'info', 'operator', batchId, actionId, text);
    effects.events.unshift({ type: 'action.retried', batch: batchId, action: actionId, operation: row.operation, hostid: row.hostid, state: 'waiting', who: 'operator', message: text, at: now });
    return { ok: true, actions: names, effects: conclude(ctx, affected, now, effects) };
  })();
}

/** Cancels everything of the batch that is neither running nor final; running work finishes. */
export function cancelBatch(ctx: StoreCtx, batchId: string, note: string): OperatorResult {
  return ctx.db.transaction((): OperatorResult => {
    const state = ctx.s.batchState.get(batchId)?.state;
    if (!state) return { ok: false, reason: `no batch ${batchId}` };
    if (state !== 'received' && state !== 'running') return { ok: false, reason: `batch ${batchId} is ${state}; nothing is left to cancel` };
    const now = Date.now();
    const effects = noEffects();
    const affected = new Set<string>();
    const open = ctx.s.batchActions.all(batchId).filter((r) => !FINAL.has(r.state) && r.state !== 'running');
    const message = `canceled by an operator${note ? ` (${note})` : ''}`;
    for (const r of open) finalize(ctx, batchId, r.id, 'canceled', '', message, now, effects, affected);
    ctx.s.setBatchState.run('canceled', now, now, batchId);
    wipeBatch(ctx, batchId);
    effects.events.push({ type: 'batch.canceled', batch: batchId, state: 'canceled', who: 'operator', message, at: now });
    affected.delete(batchId);
    ctx.s.postMessage.run(now, 'info', 'operator', batchId, null, `cancel: ${open.length} action(s) canceled${note ? ` (${note})` : ''}`);
    return { ok: true, actions: open.map((r) => r.id), effects: conclude(ctx, affected, now, effects) };
  })();
}

/**
 * Cancels one action that is neither running nor final. What waits on it is skipped (not
 * canceled: the operator canceled this one action), with the reason, and every replyid of
 * them answered, in the same transaction.
 */
export function cancelAction(ctx: StoreCtx, batchId: string, actionId: string, note: string): OperatorResult {
  return ctx.db.transaction((): OperatorResult => {
    const row = ctx.s.action.get(batchId, actionId);
    if (!row) return { ok: false, reason: `no action ${actionId} in batch ${batchId}` };
    if (row.state === 'running') return { ok: false, reason: `action ${actionId} of batch ${batchId} is running; it cannot be canceled until it ends` };
    if (FINAL.has(row.state)) return { ok: false, reason: `action ${actionId} of batch ${batchId} is ${row.state}; nothing is left to cancel` };
    const now = Date.now();
    const effects = noEffects();
    const affected = new Set<string>();
    const message = `canceled by an operator${note ? ` (${note})` : ''}`;
    finalize(ctx, batchId, actionId, 'canceled', '', message, now, effects, affected, false);
    const skipped = effects.events.filter((e) => e.type === 'action.skipped').map((e) => (e.batch === batchId ? e.action! : `${e.action!} of batch ${e.batch ?? ''}`));
    const text = `cancel: action ${actionId} canceled${skipped.length ? `; skipped: ${skipped.join(', ')}` : ''}${note ? ` (${note})` : ''}`;
    ctx.s.postMessage.run(now, 'info', 'operator', batchId, actionId, text);
    return { ok: true, actions: [actionId, ...skipped], effects: conclude(ctx, affected, now, effects) };
  })();
}
