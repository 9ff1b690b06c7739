import { actionKey, type ActionRecord, type Effects, type RewriteApplied, type RewriteDecision } from '../types.js';
import { noEffects, type StoreCtx } from './context.js';
import { SecretError } from '../../secrets/index.js';
import { unopened } from './execution.js';
import { insertActionRow } from './ingest.js';
import { conclude, finalize, settleWaiting } from './progress.js';
import type { ActionRow } from './rows.js';
import { sealDocument } from './sealing.js';

/**
 * Why a plugin's output cannot join the stored graph, or undefined: a fanned id another action
 * of the batch holds, a dependency on an action tmon does not hold, or a wait that leads back to
 * the primary (a cycle through actions already stored). The output alone was checked before.
 */
function joinProblem(ctx: StoreCtx, row: ActionRow, outputs: readonly ActionRecord[]): string | undefined {
  const batch = row.batch_id;
  const ids = new Set(outputs.map((a) => a.id));
  for (const a of outputs) {
    if (a.id === row.id) continue;
    const held = ctx.s.action.get(batch, a.id);
    if (held && !(held.primary_id === row.id && held.state === 'succeeded')) {
      const whose = held.primary_id === held.id ? 'a submitted action' : `action ${held.primary_id}'s rewrite`;
      return `the plugin output reuses action id ${a.id}, already held by ${whose}`;
    }
  }
  for (const a of outputs) {
    for (const d of a.depends) {
      if (d.batch === batch && ids.has(d.action)) continue;
      if (!ctx.s.actionExists.get(d.batch, d.action)) return `the plugin output makes action ${a.id} depend on action ${d.action} of batch ${d.batch}, which does not exist`;
      const path = pathTo(ctx, { batch: d.batch, id: d.action }, { batch, id: row.id });
      if (path) return `the rewritten batch has a dependency cycle: ${[a.id, ...path].join(' -> ')}`;
    }
  }
  return undefined;
}

/** The chain of waits from `from` to `to` through stored dependencies, if there is one. */
function pathTo(ctx: StoreCtx, from: { batch: string; id: string }, to: { batch: string; id: string }): string[] | undefined {
  const seen = new Set<string>();
  const stack: Array<{ batch: string; id: string; path: string[] }> = [{ ...from, path: [from.id] }];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.batch === to.batch && n.id === to.id) return n.path;
    const k = actionKey(n.batch, n.id);
    if (seen.has(k)) continue;
    seen.add(k);
    const row = ctx.s.action.get(n.batch, n.id);
    // What already succeeded waits for nothing any more.
    if (!row || row.state === 'succeeded') continue;
    for (const d of ctx.s.depsOf.all(n.batch, n.id)) stack.push({ batch: d.dep_batch_id, id: d.dep_action_id, path: [...n.path, d.dep_action_id] });
  }
  return undefined;
}

/**
 * The plugin's output takes the primary's place: a kept primary becomes its rewritten self, a
 * removed one a placeholder that waits for the fanned work; the fanned actions join the graph,
 * each ready or waiting by what it depends on.
 */
function replace(ctx: StoreCtx, row: ActionRow, d: RewriteDecision, now: number, effects: Effects, affected: Set<string>): void {
  const batch = row.batch_id;
  const problem = joinProblem(ctx, row, d.actions);
  if (problem) {
    const message = `action ${row.id}: ${problem}; action failed`;
    ctx.s.postMessage.run(now, 'error', 'plugin', batch, row.id, message);
    effects.events.push({ type: 'plugin.failed', batch, action: row.id, plugin: d.event?.plugin ?? '', message, at: now });
    finalize(ctx, batch, row.id, 'failed', '', message, now, effects, affected);
    return;
  }
  const kept = d.actions.find((a) => a.id === row.id);
  const fanned = d.actions.filter((a) => a.id !== row.id);
  const plugin = d.actions[0]?.plugin ?? d.event?.plugin ?? null;
  ctx.s.deleteDeps.run(batch, row.id);
  if (kept) {
    ctx.s.replaceAction.run(sealDocument(ctx, kept.document), kept.operation, kept.hostid, kept.userid, kept.interactive ? 1 : 0, plugin, 0, now, batch, row.id);
    for (const dep of kept.depends) ctx.s.insertDep.run(batch, row.id, dep.batch, dep.action);
  } else {
    ctx.s.replaceAction.run(row.document, row.operation, row.hostid, row.userid, row.interactive, plugin, 1, now, batch, row.id);
    for (const f of fanned) ctx.s.insertDep.run(batch, row.id, batch, f.id);
  }
  for (const f of fanned) if (!ctx.s.actionExists.get(batch, f.id)) insertActionRow(ctx, batch, f, true, now);
  for (const f of fanned) settleWaiting(ctx, batch, f.id, now, effects, affected);
  settleWaiting(ctx, batch, row.id, now, effects, affected);
}

/** Records the rewrite step's decisions for claimed primaries, in one transaction. */
export function applyRewrites(ctx: StoreCtx, decisions: readonly RewriteDecision[], holdMs: number): RewriteApplied {
  return ctx.db.transaction((): RewriteApplied => {
    const effects = noEffects();
    const affected = new Set<string>();
    const now = Date.now();
    for (const d of decisions) {
      // Most decisions run the primary as submitted, silently: one statement, and the batch
      // needs no second look (nothing in it became final).
      if (d.outcome === 'run' && !d.board && !d.event && ctx.s.runAfterRewriteOpen.run(now, d.batchId, d.primaryId, d.batchId).changes === 1) continue;
      const row = ctx.s.action.get(d.batchId, d.primaryId);
      // Only a primary still claimed for its rewrite: anything else is stale.
      if (!row || row.state !== 'running' || row.rewritten === 1) continue;
      affected.add(d.batchId);
      if (ctx.s.batchState.get(d.batchId)?.state === 'canceled') {
        finalize(ctx, d.batchId, d.primaryId, 'canceled', '', 'canceled by an operator while its rewrite ran', now, effects, affected);
        continue;
      }
      if (d.board && !(d.outcome === 'hold' && row.last_error === d.message)) ctx.s.postMessage.run(now, d.board, d.source, d.batchId, d.primaryId, d.message);
      if (d.event) effects.events.push({ type: d.event.type, batch: d.batchId, action: d.primaryId, operation: row.operation, hostid: row.hostid, plugin: d.event.plugin, message: d.message, at: now });
      switch (d.outcome) {
        case 'run':
          // Ready again, rewritten: it runs when its target has room, like any other action.
          ctx.s.runAfterRewrite.run(now, d.batchId, d.primaryId);
          break;
        case 'fail':
          finalize(ctx, d.batchId, d.primaryId, 'failed', '', d.message, now, effects, affected);
          break;
        case 'removed':
          finalize(ctx, d.batchId, d.primaryId, 'succeeded', '0', d.message, now, effects, affected);
          break;
        case 'hold':
          ctx.s.hold.run(now + holdMs, d.message, now, d.batchId, d.primaryId);
          break;
        case 'replace':
          replace(ctx, row, d, now, effects, affected);
          break;
      }
    }
    return { effects: conclude(ctx, affected, now, effects) };
  })();
}

/** Puts primaries claimed for a rewrite that could not be done back in the queue, as they were. */
export function releaseRewrites(ctx: StoreCtx, refs: ReadonlyArray<{ batchId: string; id: string }>): void {
  ctx.db.transaction(() => {
    const now = Date.now();
    for (const r of refs) {
      const row = ctx.s.action.get(r.batchId, r.id);
      if (row && row.state === 'running' && row.rewritten === 0) ctx.s.makeReadyFromRunning.run(now, r.batchId, r.id);
    }
  })();
}
