import type { Dependency } from '../../batch/model.js';
import { actionProblem, BatchInvalidError } from '../../batch/problem.js';
import { batchHoldsPasswords, sealDocument, storedDigest, storedText } from '../sqlite/sealing.js';
import { actionKey, type ActionRecord, type InsertOutcome, type NewBatch } from '../types.js';
import { noEffects, type PgCtx } from './context.js';
import { FINAL } from '../sqlite/progress.js';
import { conclude, settleWaiting } from './progress.js';

/** Inserts an action's row (its passwords sealed) and its dependency edges, `waiting` until settled. */
export async function insertActionRow(ctx: PgCtx, batchId: string, a: ActionRecord, rewritten: boolean, now: number): Promise<void> {
  await ctx.s.insertAction.run(batchId, a.id, a.primaryId, a.plugin, rewritten ? 1 : 0, a.operation, a.hostid, a.userid, a.replyid, a.interactive ? 1 : 0, sealDocument(ctx, a.document), now);
  for (const d of a.depends) await ctx.s.insertDep.run(batchId, a.id, d.batch, d.action);
}

/**
 * Stores a new batch inside the caller's transaction (see ../sqlite/ingest.ts `insertBatch`).
 * Dependencies on another daemon's batches are counted here under the graph lock, so a
 * dependency that completes meanwhile is either seen final here or decrements this action there.
 */
export async function insertBatch(ctx: PgCtx, batch: NewBatch): Promise<InsertOutcome> {
  const effects = noEffects();
  const now = Date.now();
  const holds = batchHoldsPasswords(batch);
  const digest = storedDigest(ctx, batch.digest, holds);
  const existing = await ctx.s.batchDigest.get(batch.id);
  if (existing && existing.digest !== digest) return { result: 'conflict', effects };
  if (existing) {
    effects.events.push({ type: 'batch.resubmitted', batch: batch.id, source: batch.source, message: `batch ${batch.id} arrived again with the same content; nothing to do`, at: now });
    return { result: 'duplicate', effects: await conclude(ctx, new Set(), now, effects) };
  }
  const taken = [];
  const holders = await holdersOf(ctx, batch.id, batch.actions.map((a) => a.replyid));
  for (const a of batch.actions) {
    const holder = holders.get(a.replyid);
    if (holder) taken.push(actionProblem(batch.id, a.id, 'BATCH_REPLYID_TAKEN', `replyid "${a.replyid}" is already held by batch ${holder}; a replyid can be used once`));
  }
  if (taken.length > 0) throw new BatchInvalidError(taken, batch.source);
  await ctx.s.insertBatch.run(batch.id, storedText(ctx, batch, holds), digest, batch.source, sealDocument(ctx, batch.context), now);
  // The batch's rows and edges in two statements, under the graph lock: a statement per action
  // would hold the lock (and every other daemon's turn) for as many round trips.
  const as = batch.actions;
  await ctx.s.insertActions.run(batch.id, as.map((a) => a.id), as.map((a) => a.primaryId), as.map((a) => a.plugin), as.map(() => 0), as.map((a) => a.operation), as.map((a) => a.hostid),
    as.map((a) => a.userid), as.map((a) => a.replyid), as.map((a) => (a.interactive ? 1 : 0)), as.map((a) => sealDocument(ctx, a.document)), now);
  const edges = as.flatMap((a) => a.depends.map((d) => ({ a: a.id, d })));
  if (edges.length > 0) await ctx.s.insertDeps.run(batch.id, edges.map((e) => e.a), edges.map((e) => e.d.batch), edges.map((e) => e.d.action));
  effects.events.push({ type: 'batch.received', batch: batch.id, state: 'received', source: batch.source, message: `${batch.actions.length} action(s)`, at: now });
  const affected = new Set<string>();
  // What each action waits for, from one read of its dependencies' states. One whose dependency
  // ended badly is settled by settleWaiting (it is skipped, with its message); the others are
  // set waiting or ready together (settleWaiting's count: a dependency not succeeded, or not there yet).
  const waiting = new Map(as.map((a) => [a.id, 0]));
  const failed = new Set<string>();
  if (edges.length > 0) {
    for (const d of await ctx.s.batchDepStates.all(batch.id)) {
      if (d.state === 'succeeded') continue;
      if (d.state !== null && FINAL.has(d.state)) failed.add(d.action_id);
      else waiting.set(d.action_id, (waiting.get(d.action_id) ?? 0) + 1);
    }
  }
  const clean = as.filter((a) => !failed.has(a.id));
  await ctx.s.setWaitingMany.run(now, batch.id, clean.map((a) => a.id), clean.map((a) => waiting.get(a.id) ?? 0));
  for (const a of as) if (failed.has(a.id)) await settleWaiting(ctx, batch.id, a.id, now, effects, affected);
  return { result: 'inserted', effects: await conclude(ctx, affected, now, effects) };
}

export async function knownActions(ctx: PgCtx, refs: readonly Dependency[]): Promise<Set<string>> {
  const known = new Set<string>();
  for (const r of refs) if (await ctx.s.actionExists.get(r.batch, r.action)) known.add(actionKey(r.batch, r.action));
  return known;
}

/** Which batch (other than `batchId`) holds each of these replyids, in one statement. */
async function holdersOf(ctx: PgCtx, batchId: string, replyids: readonly string[]): Promise<Map<string, string>> {
  const wanted = [...new Set(replyids.filter((r) => r !== ''))];
  if (wanted.length === 0) return new Map();
  return new Map((await ctx.s.replyidHolders.all(wanted, batchId)).map((r) => [r.replyid, r.batch_id]));
}

export async function replyidHolders(ctx: PgCtx, batchId: string, replyids: readonly string[]): Promise<Map<string, string>> {
  return holdersOf(ctx, batchId, replyids);
}
