import { sealDocument } from '../sqlite/sealing.js';
import type { ActionRow } from '../sqlite/rows.js';
import { actionKey, type ActionRecord, type Effects, type RewriteApplied, type RewriteDecision } from '../types.js';
import { noEffects, type PgCtx } from './context.js';
import { insertActionRow } from './ingest.js';
import { conclude, finalize, settleWaiting } from './progress.js';

/*
 * The rewrite step's decisions (see ../sqlite/rewrites.ts for what each outcome does).
 */

async function joinProblem(ctx: PgCtx, row: ActionRow, outputs: readonly ActionRecord[]): Promise<string | undefined> {
  const batch = row.batch_id;
  const ids = new Set(outputs.map((a) => a.id));
  for (const a of outputs) {
    if (a.id === row.id) continue;
    const held = await ctx.s.action.get(batch, a.id);
    if (held && !(held.primary_id === row.id && held.state === 'succeeded')) {
      const whose = held.primary_id === held.id ? 'a submitted action' : `action ${held.primary_id}'s rewrite`;
      return `the plugin output reuses action id ${a.id}, already held by ${whose}`;
    }
  }
  for (const a of outputs) {
    for (const d of a.depends) {
      if (d.batch === batch && ids.has(d.action)) continue;
      if (!(await ctx.s.actionExists.get(d.batch, d.action))) return `the plugin output makes action ${a.id} depend on action ${d.action} of batch ${d.batch}, which does not exist`;
      const path = await pathTo(ctx, { batch: d.batch, id: d.action }, { batch, id: row.id });
      if (path) return `the rewritten batch has a dependency cycle: ${[a.id, ...path].join(' -> ')}`;
    }
  }
  return undefined;
}

async function pathTo(ctx: PgCtx, from: { batch: string; id: string }, to: { batch: string; id: string }): Promise<string[] | undefined> {
  const seen = new Set<string>();
  const stack: Array<{ batch: string; id: string; path: string[] }> = [{ ...from, path: [from.id] }];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.batch === to.batch && n.id === to.id) return n.path;
    const k = actionKey(n.batch, n.id);
    if (seen.has(k)) continue;
    seen.add(k);
    const row = await ctx.s.action.get(n.batch, n.id);
    if (!row || row.state === 'succeeded') continue;
    for (const d of await ctx.s.depsOf.all(n.batch, n.id)) stack.push({ batch: d.dep_batch_id, id: d.dep_action_id, path: [...n.path, d.dep_action_id] });
  }
  return undefined;
}

async function replace(ctx: PgCtx, row: ActionRow, d: RewriteDecision, now: number, effects: Effects, affected: Set<string>): Promise<void> {
  const batch = row.batch_id;
  const problem = await joinProblem(ctx, row, d.actions);
  if (problem) {
    const message = `action ${row.id}: ${problem}; action failed`;
    await ctx.s.postMessage.run(now, 'error', 'plugin', batch, row.id, message);
    effects.events.push({ type: 'plugin.failed', batch, action: row.id, plugin: d.event?.plugin ?? '', message, at: now });
    await finalize(ctx, batch, row.id, 'failed', '', message, now, effects, affected);
    return;
  }
  const kept = d.actions.find((a) => a.id === row.id);
  const fanned = d.actions.filter((a) => a.id !== row.id);
  const plugin = d.actions[0]?.plugin ?? d.event?.plugin ?? null;
  await ctx.s.deleteDeps.run(batch, row.id);
  if (kept) {
    await ctx.s.replaceAction.run(sealDocument(ctx, kept.document), kept.operation, kept.hostid, kept.userid, kept.interactive ? 1 : 0, plugin, 0, now, batch, row.id);
    for (const dep of kept.depends) await ctx.s.insertDep.run(batch, row.id, dep.batch, dep.action);
  } else {
    await ctx.s.replaceAction.run(row.document, row.operation, row.hostid, row.userid, row.interactive, plugin, 1, now, batch, row.id);
    for (const f of fanned) await ctx.s.insertDep.run(batch, row.id, batch, f.id);
  }
  for (const f of fanned) if (!(await ctx.s.actionExists.get(batch, f.id))) await insertActionRow(ctx, batch, f, true, now);
  for (const f of fanned) await settleWaiting(ctx, batch, f.id, now, effects, affected);
  await settleWaiting(ctx, batch, row.id, now, effects, affected);
}

/** Records the rewrite step's decisions for claimed primaries (inside the caller's transaction). */
export async function applyRewrites(ctx: PgCtx, decisions: readonly RewriteDecision[], holdMs: number): Promise<RewriteApplied> {
  const effects = noEffects();
  const affected = new Set<string>();
  const now = Date.now();
  for (const d of decisions) {
    const row = await ctx.s.action.get(d.batchId, d.primaryId);
    if (!row || row.state !== 'running' || row.rewritten === 1) continue;
    affected.add(d.batchId);
    if ((await ctx.s.batchState.get(d.batchId))?.state === 'canceled') {
      await finalize(ctx, d.batchId, d.primaryId, 'canceled', '', 'canceled by an operator while its rewrite ran', now, effects, affected);
      continue;
    }
    if (d.board && !(d.outcome === 'hold' && row.last_error === d.message)) await ctx.s.postMessage.run(now, d.board, d.source, d.batchId, d.primaryId, d.message);
    if (d.event) effects.events.push({ type: d.event.type, batch: d.batchId, action: d.primaryId, operation: row.operation, hostid: row.hostid, plugin: d.event.plugin, message: d.message, at: now });
    switch (d.outcome) {
      case 'run':
        await ctx.s.runAfterRewrite.run(now, d.batchId, d.primaryId);
        break;
      case 'fail':
        await finalize(ctx, d.batchId, d.primaryId, 'failed', '', d.message, now, effects, affected);
        break;
      case 'removed':
        await finalize(ctx, d.batchId, d.primaryId, 'succeeded', '0', d.message, now, effects, affected);
        break;
      case 'hold':
        await ctx.s.hold.run(now + holdMs, d.message, now, d.batchId, d.primaryId);
        break;
      case 'replace':
        await replace(ctx, row, d, now, effects, affected);
        break;
    }
  }
  return { effects: await conclude(ctx, affected, now, effects) };
}

/** Puts primaries claimed for a rewrite that could not be done back in the queue. */
export async function releaseRewrites(ctx: PgCtx, refs: ReadonlyArray<{ batchId: string; id: string }>): Promise<void> {
  const now = Date.now();
  for (const r of refs) {
    const row = await ctx.s.action.get(r.batchId, r.id);
    if (row && row.state === 'running' && row.rewritten === 0) await ctx.s.makeReadyFromRunning.run(now, r.batchId, r.id);
  }
}
