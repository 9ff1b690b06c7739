import { actionValue, isInteractive, readAction } from '../../batch/model.js';
import type { KvGroup } from '../../kvgroup/index.js';
import { FINAL } from '../sqlite/progress.js';
import { retryRefusal } from '../sqlite/operators.js';
import type { ActionRow } from '../sqlite/rows.js';
import { actionKey, type OperatorResult } from '../types.js';
import { noEffects, type PgCtx } from './context.js';
import { conclude, finalize, settleWaiting } from './progress.js';
import { wipeBatch } from './sealing.js';

/*
 * Operators' retry and cancel (see ../sqlite/operators.ts for the rules). A refused retry throws
 * `Refused` inside the transaction, so that it is rolled back; the store turns it into a reason.
 */

export class Refused extends Error {}

async function mustStillHavePasswords(ctx: PgCtx, r: ActionRow, throughPlugin: boolean): Promise<void> {
  if (r.secrets_wiped === 1) {
    throw new Refused(`action ${r.id} of batch ${r.batch_id} held a password (newpw), wiped from the store when it ended; it cannot run again without it: submit it again in a new batch`);
  }
  if (throughPlugin && (await ctx.s.batch.get(r.batch_id))?.secrets_wiped === 1) {
    throw new Refused(
      `the context of batch ${r.batch_id} held a password (newpw), wiped from the store when the batch ended; action ${r.id} cannot go through its plugin again without it: submit it again in a new batch`,
    );
  }
}

export async function retryAction(ctx: PgCtx, batchId: string, actionId: string, note: string): Promise<OperatorResult> {
  const row = await ctx.s.action.get(batchId, actionId);
  const unit = row && row.state === 'failed' ? await ctx.s.primaryRows.all(batchId, row.primary_id) : [];
  const refused = retryRefusal(batchId, actionId, row, unit);
  if (refused !== undefined || !row) return { ok: false, reason: refused ?? '' };
  const primary = unit.find((r) => r.id === row.primary_id)!;
  const now = Date.now();
  const starts: ActionRow[] = [];
  const requeued: Array<{ batch: string; id: string }> = [];
  if (primary.state !== 'succeeded') {
    await mustStillHavePasswords(ctx, primary, true);
    for (const r of unit) {
      if (r.id === primary.id || r.state === 'succeeded') continue;
      await ctx.s.deleteDeps.run(batchId, r.id);
      await ctx.s.deleteAction.run(batchId, r.id);
      starts.push(r);
    }
    const submitted = readAction(JSON.parse(primary.submitted ?? primary.document) as KvGroup);
    await ctx.s.restoreSubmitted.run(actionValue(submitted, 'operation'), actionValue(submitted, 'hostid'), actionValue(submitted, 'userid'), isInteractive(submitted) ? 1 : 0, now, batchId, primary.id);
    await ctx.s.deleteDeps.run(batchId, primary.id);
    for (const d of submitted.depends) await ctx.s.insertDep.run(batchId, primary.id, d.batch, d.action);
    requeued.push({ batch: batchId, id: primary.id });
    starts.push(primary);
  } else {
    await mustStillHavePasswords(ctx, row, false);
    await ctx.s.requeue.run(now, batchId, row.id);
    requeued.push({ batch: batchId, id: row.id });
    starts.push(row);
  }
  const seen = new Set<string>(starts.map((r) => actionKey(r.batch_id, r.id)));
  const stack = [...starts];
  while (stack.length > 0) {
    const r = stack.pop()!;
    for (const d of await ctx.s.dependents.all(r.batch_id, r.id)) {
      const dep = await ctx.s.action.get(d.batch_id, d.action_id);
      if (!dep || dep.state !== 'skipped' || seen.has(actionKey(dep.batch_id, dep.id))) continue;
      await mustStillHavePasswords(ctx, dep, dep.rewritten === 0);
      seen.add(actionKey(dep.batch_id, dep.id));
      await ctx.s.requeue.run(now, dep.batch_id, dep.id);
      requeued.push({ batch: dep.batch_id, id: dep.id });
      stack.push(dep);
    }
  }
  const effects = noEffects();
  const affected = new Set(requeued.map((r) => r.batch));
  for (const b of affected) {
    const st = (await ctx.s.batchState.get(b))?.state;
    if (st === 'failed' || st === 'succeeded') await ctx.s.setBatchState.run('running', now, null, b);
  }
  for (const r of requeued) await settleWaiting(ctx, r.batch, r.id, now, effects, affected);
  const names = requeued.map((r) => (r.batch === batchId ? r.id : `${r.id} of batch ${r.batch}`));
  const rewritten = primary.state !== 'succeeded' && (primary.plugin !== null || primary.submitted !== null);
  const text = `retry: ${names.join(', ')} queued again${rewritten ? `; ${primary.id} goes through its plugin again, from what was submitted` : ''}${note ? ` (${note})` : ''}`;
  await ctx.s.postMessage.run(now, 'info', 'operator', batchId, actionId, text);
  effects.events.unshift({ type: 'action.retried', batch: batchId, action: actionId, operation: row.operation, hostid: row.hostid, state: 'waiting', who: 'operator', message: text, at: now });
  return { ok: true, actions: names, effects: await conclude(ctx, affected, now, effects) };
}

export async function cancelBatch(ctx: PgCtx, batchId: string, note: string): Promise<OperatorResult> {
  const state = (await ctx.s.batchState.get(batchId))?.state;
  if (!state) return { ok: false, reason: `no batch ${batchId}` };
  if (state !== 'received' && state !== 'running') return { ok: false, reason: `batch ${batchId} is ${state}; nothing is left to cancel` };
  const now = Date.now();
  const effects = noEffects();
  const affected = new Set<string>();
  const open = (await ctx.s.batchActions.all(batchId)).filter((r) => !FINAL.has(r.state) && r.state !== 'running');
  const message = `canceled by an operator${note ? ` (${note})` : ''}`;
  for (const r of open) await finalize(ctx, batchId, r.id, 'canceled', '', message, now, effects, affected);
  await ctx.s.setBatchState.run('canceled', now, now, batchId);
  await wipeBatch(ctx, batchId);
  effects.events.push({ type: 'batch.canceled', batch: batchId, state: 'canceled', who: 'operator', message, at: now });
  affected.delete(batchId);
  await ctx.s.postMessage.run(now, 'info', 'operator', batchId, null, `cancel: ${open.length} action(s) canceled${note ? ` (${note})` : ''}`);
  return { ok: true, actions: open.map((r) => r.id), effects: await conclude(ctx, affected, now, effects) };
}

export async function cancelAction(ctx: PgCtx, batchId: string, actionId: string, note: string): Promise<OperatorResult> {
  const row = await ctx.s.action.get(batchId, actionId);
  if (!row) return { ok: false, reason: `no action ${actionId} in batch ${batchId}` };
  if (row.state === 'running') return { ok: false, reason: `action ${actionId} of batch ${batchId} is running; it cannot be canceled until it ends` };
  if (FINAL.has(row.state)) return { ok: false, reason: `action ${actionId} of batch ${batchId} is ${row.state}; nothing is left to cancel` };
  const now = Date.now();
  const effects = noEffects();
  const affected = new Set<string>();
  const message = `canceled by an operator${note ? ` (${note})` : ''}`;
  await finalize(ctx, batchId, actionId, 'canceled', '', message, now, effects, affected, false);
  const skipped = effects.events.filter((e) => e.type === 'action.skipped').map((e) => (e.batch === batchId ? e.action! : `${e.action!} of batch ${e.batch ?? ''}`));
  const text = `cancel: action ${actionId} canceled${skipped.length ? `; skipped: ${skipped.join(', ')}` : ''}${note ? ` (${note})` : ''}`;
  await ctx.s.postMessage.run(now, 'info', 'operator', batchId, actionId, text);
  return { ok: true, actions: [actionId, ...skipped], effects: await conclude(ctx, affected, now, effects) };
}

export async function pauseHost(ctx: PgCtx, hostid: string, note: string): Promise<OperatorResult> {
  const held = await ctx.s.pausedHost.get(hostid);
  if (held) return { ok: false, reason: `target ${hostid} is already paused (since ${new Date(held.paused_at).toISOString()})` };
  const now = Date.now();
  await ctx.s.pauseHost.run(hostid, now, note);
  await ctx.s.postMessage.run(now, 'info', 'operator', null, null, `pause: target ${hostid} paused; it starts nothing new${note ? ` (${note})` : ''}`);
  return { ok: true, actions: [hostid], effects: noEffects() };
}

export async function resumeHost(ctx: PgCtx, hostid: string, note: string): Promise<OperatorResult> {
  if ((await ctx.s.resumeHost.run(hostid)) === 0) return { ok: false, reason: `target ${hostid} is not paused` };
  await ctx.s.postMessage.run(Date.now(), 'info', 'operator', null, null, `resume: target ${hostid} resumed${note ? ` (${note})` : ''}`);
  return { ok: true, actions: [hostid], effects: noEffects() };
}
