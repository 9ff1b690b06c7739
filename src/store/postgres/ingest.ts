import { actionProblem, BatchInvalidError, type Dependency } from '../../batch/index.js';
import { batchHoldsPasswords, sealDocument, storedDigest, storedText } from '../sqlite/sealing.js';
import { actionKey, type ActionRecord, type InsertOutcome, type NewBatch } from '../types.js';
import { noEffects, type PgCtx } from './context.js';
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
  for (const a of batch.actions) {
    if (a.replyid === '') continue;
    const holder = await ctx.s.replyidHolder.get(a.replyid, batch.id);
    if (holder) taken.push(actionProblem(batch.id, a.id, 'BATCH_REPLYID_TAKEN', `replyid "${a.replyid}" is already held by batch ${holder.batch_id}; a replyid can be used once`));
  }
  if (taken.length > 0) throw new BatchInvalidError(taken, batch.source);
  await ctx.s.insertBatch.run(batch.id, storedText(ctx, batch, holds), digest, batch.source, sealDocument(ctx, batch.context), now);
  for (const a of batch.actions) await insertActionRow(ctx, batch.id, a, false, now);
  effects.events.push({ type: 'batch.received', batch: batch.id, state: 'received', source: batch.source, message: `${batch.actions.length} action(s)`, at: now });
  const affected = new Set<string>();
  for (const a of batch.actions) await settleWaiting(ctx, batch.id, a.id, now, effects, affected);
  return { result: 'inserted', effects: await conclude(ctx, affected, now, effects) };
}

export async function knownActions(ctx: PgCtx, refs: readonly Dependency[]): Promise<Set<string>> {
  const known = new Set<string>();
  for (const r of refs) if (await ctx.s.actionExists.get(r.batch, r.action)) known.add(actionKey(r.batch, r.action));
  return known;
}

export async function replyidHolders(ctx: PgCtx, batchId: string, replyids: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const r of replyids) {
    const holder = r === '' ? undefined : await ctx.s.replyidHolder.get(r, batchId);
    if (holder) out.set(r, holder.batch_id);
  }
  return out;
}
