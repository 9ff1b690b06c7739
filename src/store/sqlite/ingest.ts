import type { Dependency } from '../../batch/model.js';
import { actionProblem, BatchInvalidError } from '../../batch/problem.js';
import { actionKey, type ActionRecord, type InsertOutcome, type NewBatch } from '../types.js';
import { noEffects, type StoreCtx } from './context.js';
import { conclude, FINAL, settleWaiting } from './progress.js';
import { batchHoldsPasswords, sealDocument, storedDigest, storedText } from './sealing.js';

/**
 * Inserts an action's row and its dependency edges, `waiting` until `settleWaiting` says more;
 * or, given `waitingOn` (ingest counted it), already as settling would leave it: `ready` for 0,
 * else waiting on that many. Its passwords are sealed before the row is written (the store's
 * every action goes through here).
 */
export function insertActionRow(ctx: StoreCtx, batchId: string, a: ActionRecord, rewritten: boolean, now: number, waitingOn?: number): void {
  ctx.s.insertAction.run({
    batch_id: batchId,
    id: a.id,
    queue_seq: ctx.nextQueueSeq(),
    primary_id: a.primaryId,
    plugin: a.plugin,
    rewritten: rewritten ? 1 : 0,
    operation: a.operation,
    hostid: a.hostid,
    userid: a.userid,
    replyid: a.replyid,
    interactive: a.interactive ? 1 : 0,
    document: sealDocument(ctx, a.document),
    ready: waitingOn === 0 ? 1 : 0,
    waiting_on: waitingOn ?? 0,
    now,
  });
  for (const d of a.depends) ctx.s.insertDep.run(batchId, a.id, d.batch, d.action);
  ctx.hosts.add(a.hostid);
}

/** The replyids of `batch` that another stored batch holds, as problems naming that batch. */
function replyidProblems(ctx: StoreCtx, batch: Pick<NewBatch, 'id' | 'actions'>): ReturnType<typeof actionProblem>[] {
  const problems = [];
  for (const a of batch.actions) {
    if (a.replyid === '') continue;
    const holder = ctx.s.replyidHolder.get(a.replyid, batch.id);
    if (holder) problems.push(actionProblem(batch.id, a.id, 'BATCH_REPLYID_TAKEN', `replyid "${a.replyid}" is already held by batch ${holder.batch_id}; a replyid can be used once`));
  }
  return problems;
}

/**
 * What each action of a new batch waits for, counted without reading back what this
 * transaction writes: a dependency in the batch itself is inserted with it, ready or waiting,
 * so it is never final and always counts; one in another batch is read (succeeded: not waited
 * on; open or missing: waited on, as `settleWaiting` counts it). Edges are stored once each,
 * so a dependency named twice counts once.
 * Null when a dependency in another batch is final but did not succeed: an action is then
 * skipped at arrival, and what waits on it with it, here and in other batches; that rare case
 * is left to `settleWaiting`, whose order of skips the events and counts of skipped rows follow.
 */
function arrivalCounts(ctx: StoreCtx, batch: NewBatch): Map<string, number> | null {
  const counts = new Map<string, number>();
  for (const a of batch.actions) {
    const seen = new Set<string>();
    for (const d of a.depends) {
      const key = actionKey(d.batch, d.action);
      if (seen.has(key)) continue;
      if (d.batch !== batch.id) {
        const dep = ctx.s.actionState.get(d.batch, d.action);
        if (dep?.state === 'succeeded') continue;
        if (dep && FINAL.has(dep.state)) return null;
      }
      seen.add(key);
    }
    counts.set(a.id, seen.size);
  }
  return counts;
}

/**
 * Stores a new batch in one transaction: its rows, each action ready or waiting by its
 * dependencies (skipped at once when one it waits for already failed), and its events.
 */
export function insertBatch(ctx: StoreCtx, batch: NewBatch): InsertOutcome {
  return ctx.db.transaction((): InsertOutcome => {
    const effects = noEffects();
    const now = Date.now();
    const holds = batchHoldsPasswords(batch);
    const digest = storedDigest(ctx, batch.digest, holds);
    const existing = ctx.s.batchDigest.get(batch.id);
    if (existing && existing.digest !== digest) return { result: 'conflict', effects };
    if (existing) {
      effects.events.push({ type: 'batch.resubmitted', batch: batch.id, source: batch.source, message: `batch ${batch.id} arrived again with the same content; nothing to do`, at: now });
      return { result: 'duplicate', effects: conclude(ctx, new Set(), now, effects) };
    }
    const taken = replyidProblems(ctx, batch);
    if (taken.length > 0) throw new BatchInvalidError(taken, batch.source);
    ctx.s.insertBatch.run(batch.id, storedText(ctx, batch, holds), digest, batch.source, sealDocument(ctx, batch.context), now, now);
    // Counted first, each row is written as settling would leave it: nothing read back, no UPDATE.
    // When something is skipped at arrival, the rows go in waiting (ready if they wait for
    // nothing) and `settleWaiting` carries the skips through, as it always has.
    const counts = arrivalCounts(ctx, batch);
    for (const a of batch.actions) insertActionRow(ctx, batch.id, a, false, now, counts ? counts.get(a.id) : a.depends.length === 0 ? 0 : undefined);
    effects.events.push({ type: 'batch.received', batch: batch.id, state: 'received', source: batch.source, message: `${batch.actions.length} action(s)`, at: now });
    const affected = new Set<string>();
    if (!counts) for (const a of batch.actions) if (a.depends.length > 0) settleWaiting(ctx, batch.id, a.id, now, effects, affected);
    return { result: 'inserted', effects: conclude(ctx, affected, now, effects) };
  })();
}

export function knownActions(ctx: StoreCtx, refs: readonly Dependency[]): Set<string> {
  const known = new Set<string>();
  for (const r of refs) if (ctx.s.actionExists.get(r.batch, r.action)) known.add(actionKey(r.batch, r.action));
  return known;
}

export function replyidHolders(ctx: StoreCtx, batchId: string, replyids: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of replyids) {
    const holder = r === '' ? undefined : ctx.s.replyidHolder.get(r, batchId);
    if (holder) out.set(r, holder.batch_id);
  }
  return out;
}

/**
 * Stores several batches in one transaction (one disk flush for all of them), each in a
 * savepoint of its own, so that one refused batch leaves the others stored.
 */
export function insertBatches(ctx: StoreCtx, batches: readonly NewBatch[]): Array<{ ok: true; outcome: InsertOutcome } | { ok: false; error: unknown }> {
  return ctx.db.transaction(() =>
    batches.map((b) => {
      try {
        return { ok: true as const, outcome: insertBatch(ctx, b) };
      } catch (error) {
        return { ok: false as const, error };
      }
    }),
  )();
}
