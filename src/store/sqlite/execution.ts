import { batchContext } from '../../batch/context.js';
import { readBatch } from '../../batch/model.js';
import { TmonError } from '../../errors.js';
import type { KvGroup } from '../../kvgroup/document.js';
import { parseLoaded } from '../../kvgroup/loaded-parser.js';
import { isSealed, SecretError } from '../../secrets/index.js';
import type { ActionResult, ClaimedAction, Effects } from '../types.js';
import { noEffects, type StoreCtx } from './context.js';
import { conclude, finalize, FINAL } from './progress.js';
import type { BatchRow, RunnableKey, RunnableRow } from './rows.js';
import { openDocument, type Keys } from './sealing.js';

/**
 * The top-level group without its actions (stored at ingest; worked out for older batches), its
 * passwords opened: it goes to a plugin with the actions it rewrites.
 */
export function contextOf(ctx: Keys, batch: BatchRow): KvGroup {
  if (batch.context) return openDocument(ctx, batch.context, `the context of batch ${batch.id}`);
  const text = isSealed(batch.document) ? openText(ctx, batch) : batch.document;
  // The parser was loaded by the store's async claim (claimRunnable and tick of both stores).
  return batchContext(readBatch(parseLoaded(text, { source: `batch ${batch.id}` })[0]!)!);
}

function openText(ctx: Keys, batch: BatchRow): string {
  if (!ctx.box) throw new TmonError('SECRET_KEY_NEEDED', `batch ${batch.id}: its text is sealed with the daemon's secret key`);
  try {
    return ctx.box.open(batch.document);
  } catch (err) {
    throw new SecretError('SECRET_OPEN', `the text of batch ${batch.id}: ${(err as Error).message}`);
  }
}

/**
 * A claimed row (read before its claim) as the engine gets it, its passwords opened (the one
 * place an action's are: it goes to its plugin and its connector).
 */
export function claimOf(ctx: Keys, r: RunnableRow, rewrite: boolean, context?: KvGroup): ClaimedAction {
  return {
    batchId: r.batch_id,
    id: r.id,
    primaryId: r.primary_id,
    rewrite,
    ...(context ? { context } : {}),
    operation: r.operation,
    hostid: r.hostid,
    interactive: r.interactive === 1,
    document: openDocument(ctx, r.document, `action ${r.id} of batch ${r.batch_id}`),
    attempt: r.attempts - r.retry_base + (rewrite ? 0 : 1),
    recovery: r.recovery === 1,
  };
}

/**
 * Marks up to `max` runnable actions running, interactive ones first, then in arrival order.
 * An action not yet through the rewrite step is claimed for it when `rewrite` (a plugin is
 * configured): its try is not counted, and it holds no slot of its target — the plugin is not
 * the target, so rewrites run ahead within `max` while the target's slots are busy. Everything
 * else is claimed for its connector within its target's room.
 */
/**
 * With a plugin, how many rows past its free room a target's queue is read for rewrites each
 * claim. The rows at the head of a busy target's queue are mostly rewritten already, waiting for
 * room: reading `max` (up to maxRunning) of them per target on every turn cost more than the
 * plugin (51 µs a read, 68k reads per 100k actions). A window of room + 32 keeps enough
 * rewritten ahead that the target never waits for its plugin, and cut the claims' reads by
 * 2/3 (passthrough plugin, 100k actions: 3,745 → 3,985 actions/s).
 */
const REWRITE_LOOKAHEAD = 32;

export function claimRunnable(
  ctx: StoreCtx,
  now: number,
  capacity: (hostid: string, running: number) => number,
  max: number,
  rewrite: boolean,
  effects: Effects = noEffects(),
): ClaimedAction[] {
  return ctx.db.transaction((): ClaimedAction[] => {
    const running = new Map<string, number>();
    for (const r of ctx.s.runningByHost.all()) running.set(r.hostid, r.n);
    const room = new Map<string, number>();
    const candidates: Array<RunnableKey | RunnableRow> = [];
    // A paused target starts nothing new (tmon pause): its queue is not asked.
    const paused = new Set(ctx.s.pausedHosts.all().map((p) => p.hostid));
    for (const host of ctx.hosts) {
      if (paused.has(host)) continue;
      const free = capacity(host, running.get(host) ?? 0);
      room.set(host, free);
      // With a plugin, rows to rewrite may sit behind the ones that wait for the target's room:
      // read that far, not further (REWRITE_LOOKAHEAD).
      const limit = rewrite ? Math.min(max, Math.max(free, 0) + REWRITE_LOOKAHEAD) : Math.min(max, free);
      // Without a plugin nearly all of the window is taken: read at once. With one, read later.
      if (limit > 0) candidates.push(...(rewrite ? ctx.s.runnableKeys : ctx.s.runnable).all(host, now, limit));
    }
    candidates.sort((a, b) => b.interactive - a.interactive || a.queue_seq - b.queue_seq);
    const contexts = new Map<string, KvGroup>();
    const claimed: ClaimedAction[] = [];
    const affected = new Set<string>();
    const started = new Set<string>();
    for (const k of candidates) {
      if (claimed.length >= max) break;
      const forRewrite = rewrite && k.rewritten === 0;
      // A rewrite holds no slot of the target; a run does, within the target's room.
      if (!forRewrite && (room.get(k.hostid) ?? 0) <= 0) continue;
      // Read whole (its document) only now that it is taken.
      const r = 'document' in k ? k : ctx.s.claimRow.get(k.batch_id, k.id);
      if (!r) continue;
      // A batch starts once (several of its actions are often claimed together).
      if (!started.has(r.batch_id)) {
        started.add(r.batch_id);
        ctx.s.startBatch.run(now, r.batch_id);
      }
      let claim: ClaimedAction;
      try {
        let context = forRewrite ? contexts.get(r.batch_id) : undefined;
        if (forRewrite && !context) contexts.set(r.batch_id, (context = contextOf(ctx, ctx.s.batch.get(r.batch_id)!)));
        claim = claimOf(ctx, r, forRewrite, context);
      } catch (err) {
        if (!(err instanceof SecretError)) throw err;
        unopened(ctx, r.batch_id, r.id, err, now, effects, affected);
        continue;
      }
      if (forRewrite) ctx.s.claimRewrite.run(now, now, r.batch_id, r.id);
      else {
        room.set(r.hostid, (room.get(r.hostid) ?? 0) - 1);
        ctx.s.claimRun.run(now, now, r.batch_id, r.id);
      }
      claimed.push(claim);
    }
    if (affected.size > 0) conclude(ctx, affected, now, effects);
    return claimed;
  })();
}

/**
 * An action whose password does not open (changed in the database, or sealed with another key)
 * fails, said on the board: it never runs with a wrong password, and the others still run.
 */
export function unopened(ctx: StoreCtx, batchId: string, id: string, err: Error, now: number, effects: Effects, affected: Set<string>): void {
  const message = `action ${id}: its password cannot be opened (${err.message}); action failed`;
  ctx.s.postMessage.run(now, 'error', 'engine', batchId, id, message);
  affected.add(batchId);
  finalize(ctx, batchId, id, 'failed', '', message, now, effects, affected);
}

/** Several results in one transaction (group commit): one disk flush for all of them. */
export function completeActions(ctx: StoreCtx, results: ReadonlyArray<{ batchId: string; actionId: string; result: ActionResult }>): Effects {
  return ctx.db.transaction((): Effects => {
    const effects = noEffects();
    const now = Date.now();
    const affected = new Set<string>();
    for (const { batchId, actionId, result } of results) {
      const row = ctx.s.action.get(batchId, actionId);
      if (!row || FINAL.has(row.state)) continue;
      if (result.state === 'retrying') {
        ctx.s.retrying.run(result.retval, result.message, result.nextAttemptAt, now, batchId, actionId);
        effects.events.push({ type: 'action.retrying', batch: batchId, action: actionId, operation: row.operation, hostid: row.hostid, state: 'retrying', message: result.message, at: now });
        continue;
      }
      affected.add(batchId);
      finalize(ctx, batchId, actionId, result.state, result.retval, result.message, now, effects, affected, true, row);
    }
    return conclude(ctx, affected, now, effects);
  })();
}
