import type { Database } from 'better-sqlite3';
import type { PurgeCut, PurgeReport } from '../types.js';
import type { StoreCtx } from './context.js';

/** How long a finished command's result stays for the CLI that waits on it, whatever the retention. */
const COMMAND_READ_MS = 60_000;

/**
 * Retention: removes finished batches (with their actions, dependencies and replies) and
 * messages, trigger runs and operators' commands older than the cut, in one transaction. A
 * batch is kept, and counted as held, while anything still needs it: an action of it still
 * running (a canceled batch lets running actions finish), a reply not yet written to the
 * outbox, or another batch that is kept (an unfinished one among them) depending on it. Deleting a batch's actions
 * frees its replyids: the ingest check and the replies' unique key look at those rows only.
 */
export function purge(ctx: StoreCtx, cut: PurgeCut, dryRun: boolean): PurgeReport {
  const { s } = ctx;
  return ctx.db.transaction((): PurgeReport => {
    const report: PurgeReport = { batches: [], held: [], actions: 0, replies: 0, messages: 0, triggerRuns: 0, commands: 0 };
    const rows = s.purgeableBatches.all(cut.batchesBefore);
    const going = new Set(rows.filter((b) => !b.held).map((b) => b.id));
    // A batch stays while a batch that stays depends on it: its dependency rows would point at
    // nothing, and an operator's retry there would wait forever. Kept batches hold what they
    // depend on, and so on down the chain.
    keepDependedOn(going, (id) => s.dependentBatches.all(id, id).map((d) => d.batch_id));
    for (const b of rows) {
      if (!going.has(b.id)) {
        report.held.push(b.id);
        continue;
      }
      report.batches.push(b.id);
      const n = s.batchRowCounts.get(b.id, b.id)!;
      report.actions += n.actions;
      report.replies += n.replies;
      if (dryRun) continue;
      s.purgeBatchDeps.run(b.id);
      s.purgeBatchActions.run(b.id);
      s.purgeBatchReplies.run(b.id);
      s.purgeBatch.run(b.id);
    }
    report.messages = s.oldMessages.get(cut.messagesBefore)!.n;
    report.triggerRuns = s.oldTriggerRuns.get(cut.batchesBefore)!.n;
    // A command's result is kept a minute at least: the CLI that queued it may not have read it yet.
    const commandsBefore = Math.min(cut.batchesBefore, Date.now() - COMMAND_READ_MS);
    report.commands = s.oldCommands.get(commandsBefore)!.n;
    if (!dryRun) {
      s.purgeMessages.run(cut.messagesBefore);
      s.purgeTriggerRuns.run(cut.batchesBefore);
      s.purgeCommands.run(commandsBefore);
    }
    return report;
  })();
}

/**
 * Takes out of `going` every batch that a batch staying depends on, until none is left (both
 * stores): its dependency rows would point at nothing, and a retry there would wait forever.
 */
export function keepDependedOn(going: Set<string>, dependents: (id: string) => string[]): void {
  for (let changed = true; changed; ) {
    changed = false;
    for (const id of going) {
      if (dependents(id).some((d) => !going.has(d))) {
        going.delete(id);
        changed = true;
      }
    }
  }
}

/**
 * The file gives freed pages back with `PRAGMA incremental_vacuum` after a purge, which needs
 * `auto_vacuum = INCREMENTAL`. A new database takes the mode before its first table; an
 * existing one only through a full `VACUUM`, which rewrites the whole file once (it needs about
 * the file's size again in free disk and holds the write lock meanwhile: seconds for a few
 * hundred MB). Called at open, before the migrations; a no-op once the mode is on.
 */
export function ensureIncrementalVacuum(db: Database): void {
  if (db.pragma('auto_vacuum', { simple: true }) === 2) return;
  db.pragma('auto_vacuum = INCREMENTAL');
  // Even an empty file needs it once its header is written (the WAL switch writes it); then it is instant.
  db.exec('VACUUM');
}

/** Hands the pages a purge freed back to the file system (the WAL is checkpointed so the file shrinks now). */
export function releaseFreePages(db: Database): void {
  db.pragma('incremental_vacuum');
  db.pragma('wal_checkpoint(TRUNCATE)');
}
