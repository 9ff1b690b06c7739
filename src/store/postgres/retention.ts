import { keepDependedOn } from '../sqlite/retention.js';
import type { PurgeCut, PurgeReport } from '../types.js';
import type { PgCtx } from './context.js';

/** How long a finished command's result stays for the CLI that waits on it, whatever the retention. */
const COMMAND_READ_MS = 60_000;

/**
 * Retention (the rules of ../sqlite/retention.ts): finished batches not still needed, with
 * their actions, dependencies, replies and lease, and old messages, trigger runs and commands,
 * inside the caller's transaction. PostgreSQL's autovacuum gives the space back.
 */
export async function purge(ctx: PgCtx, cut: PurgeCut, dryRun: boolean): Promise<PurgeReport> {
  const { s } = ctx;
  const report: PurgeReport = { batches: [], held: [], actions: 0, replies: 0, messages: 0, triggerRuns: 0, commands: 0 };
  const rows = await s.purgeableBatches.all(cut.batchesBefore);
  const going = new Set(rows.filter((b) => !b.held).map((b) => b.id));
  const dependents = new Map<string, string[]>();
  for (const id of going) dependents.set(id, (await s.dependentBatches.all(id)).map((d) => d.batch_id));
  keepDependedOn(going, (id) => dependents.get(id) ?? []);
  for (const b of rows) {
    if (!going.has(b.id)) {
      report.held.push(b.id);
      continue;
    }
    report.batches.push(b.id);
    const n = (await s.batchRowCounts.get(b.id))!;
    report.actions += n.actions;
    report.replies += n.replies;
    if (dryRun) continue;
    await s.purgeBatchDeps.run(b.id);
    await s.purgeBatchActions.run(b.id);
    await s.purgeBatchReplies.run(b.id);
    await s.purgeBatchLease.run(b.id);
    await s.purgeBatch.run(b.id);
  }
  report.messages = (await s.oldMessages.get(cut.messagesBefore))!.n;
  report.triggerRuns = (await s.oldTriggerRuns.get(cut.batchesBefore))!.n;
  const commandsBefore = Math.min(cut.batchesBefore, Date.now() - COMMAND_READ_MS);
  report.commands = (await s.oldCommands.get(commandsBefore))!.n;
  if (!dryRun) {
    await s.purgeMessages.run(cut.messagesBefore);
    await s.purgeTriggerRuns.run(cut.batchesBefore);
    await s.purgeCommands.run(commandsBefore);
  }
  return report;
}
