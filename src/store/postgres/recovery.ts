import { actionValue, isInteractive, readAction } from '../../batch/model.js';
import type { KvGroup } from '../../kvgroup/index.js';
import type { ActionRow } from '../sqlite/rows.js';
import { noEffects, type PgCtx } from './context.js';
import { conclude, finalize, settleWaiting } from './progress.js';

/**
 * Actions found `running` under a daemon that is gone run again, with the SQLite store's rules
 * (../sqlite/recovery.ts): a primary at its plugin goes back to it unless the daemon died twice
 * there (the poison breaker, `crashes`); a primary being carried out goes through its plugin
 * again from what was submitted, flagged as a recovery; a fanned action runs again as written,
 * flagged. Which rows are gone is the caller's: this daemon's own leftovers at start, or the
 * running actions of a batch whose lease it took over. Returns how many rows it was given.
 */
export async function recoverRows(ctx: PgCtx, rows: readonly ActionRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const now = Date.now();
  const effects = noEffects();
  const affected = new Set<string>();
  for (const row of rows) {
    if (row.rewritten === 0) {
      const crashes = (await ctx.s.countCrash.get(now, row.batch_id, row.id))?.crashes ?? 1;
      if (crashes >= 2) {
        const message = `the daemon died ${crashes} times while this action was at its plugin; action failed rather than tried again`;
        await ctx.s.postMessage.run(now, 'error', 'engine', row.batch_id, row.id, `action ${row.id}: ${message}`);
        await finalize(ctx, row.batch_id, row.id, 'failed', '', message, now, effects, affected);
      } else await ctx.s.makeReadyFromRunning.run(now, row.batch_id, row.id);
      continue;
    }
    if (row.id !== row.primary_id || row.placeholder === 1) {
      await ctx.s.recoverAsWritten.run(now, row.batch_id, row.id);
      continue;
    }
    for (const r of await ctx.s.primaryRows.all(row.batch_id, row.id)) {
      if (r.id === row.id || r.state === 'succeeded' || r.state === 'running') continue;
      await ctx.s.deleteDeps.run(row.batch_id, r.id);
      await ctx.s.deleteAction.run(row.batch_id, r.id);
    }
    const submitted = readAction(JSON.parse(row.submitted ?? row.document) as KvGroup);
    await ctx.s.restoreForRecovery.run(actionValue(submitted, 'operation'), actionValue(submitted, 'hostid'), actionValue(submitted, 'userid'), isInteractive(submitted) ? 1 : 0, now, row.batch_id, row.id);
    await ctx.s.deleteDeps.run(row.batch_id, row.id);
    for (const d of submitted.depends) await ctx.s.insertDep.run(row.batch_id, row.id, d.batch, d.action);
    await settleWaiting(ctx, row.batch_id, row.id, now, effects, affected);
  }
  // Replies and events of a recovery (a poisoned rewrite failing) go out with the next turn's: the
  // replies are owned by this daemon and mirrored by it; the trigger runs are queued here.
  await conclude(ctx, affected, now, effects);
  return rows.length;
}
