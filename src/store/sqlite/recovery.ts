import { actionValue, isInteractive, readAction } from '../../batch/model.js';
import type { KvGroup } from '../../kvgroup/index.js';
import { noEffects, type StoreCtx } from './context.js';
import { conclude, finalize, settleWaiting } from './progress.js';

/**
 * At start, what a previous run left `running` runs again (contract §4):
 *  - a primary at its plugin (not yet rewritten) goes through the plugin again — unless the
 *    daemon died twice while it was there (the poison breaker): then it fails;
 *  - a primary being carried out goes through its plugin again too, from what was submitted
 *    (contract §3), flagged as a recovery so that its connector checks the target before acting;
 *    what its earlier output had not yet started is dropped (the new output makes it again),
 *    what succeeded is kept;
 *  - a fanned action being carried out runs again as the plugin wrote it, flagged: its plan is
 *    already partly carried out, so the plugin is not asked for a new one.
 * Returns how many actions were found running.
 */
export function recoverRunning(ctx: StoreCtx): number {
  return ctx.db.transaction((): number => {
    const now = Date.now();
    const rows = ctx.s.runningRows.all();
    const effects = noEffects();
    const affected = new Set<string>();
    for (const row of rows) {
      if (row.rewritten === 0) {
        // Poison breaker: the daemon died twice while it was at its plugin; a third try may too.
        const crashes = ctx.s.countCrash.get(now, row.batch_id, row.id)?.crashes ?? 1;
        if (crashes >= 2) {
          const message = `the daemon died ${crashes} times while this action was at its plugin; action failed rather than tried again`;
          ctx.s.postMessage.run(now, 'error', 'engine', row.batch_id, row.id, `action ${row.id}: ${message}`);
          finalize(ctx, row.batch_id, row.id, 'failed', '', message, now, effects, affected);
        } else ctx.s.makeReadyFromRunning.run(now, row.batch_id, row.id);
        continue;
      }
      if (row.id !== row.primary_id || row.placeholder === 1) {
        ctx.s.recoverAsWritten.run(now, row.batch_id, row.id);
        continue;
      }
      for (const r of ctx.s.primaryRows.all(row.batch_id, row.id)) {
        if (r.id === row.id || r.state === 'succeeded' || r.state === 'running') continue;
        ctx.s.deleteDeps.run(row.batch_id, r.id);
        ctx.s.deleteAction.run(row.batch_id, r.id);
      }
      const submitted = readAction(JSON.parse(row.submitted ?? row.document) as KvGroup);
      ctx.s.restoreForRecovery.run(actionValue(submitted, 'operation'), actionValue(submitted, 'hostid'), actionValue(submitted, 'userid'), isInteractive(submitted) ? 1 : 0, now, row.batch_id, row.id);
      ctx.s.deleteDeps.run(row.batch_id, row.id);
      for (const d of submitted.depends) ctx.s.insertDep.run(row.batch_id, row.id, d.batch, d.action);
      // What it waited for had succeeded (it was running): it is ready again at once.
      settleWaiting(ctx, row.batch_id, row.id, now, effects, affected);
    }
    conclude(ctx, affected, now, effects);
    return rows.length;
  })();
}
