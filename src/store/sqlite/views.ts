import { isGroup, isPair, type KvGroup } from '../../kvgroup/document.js';
import type { ActionSummary, BoardMessage, FindQuery, FoundAction, Reply, StuckAction } from '../types.js';
import type { StoreCtx } from './context.js';
import { FINAL } from './progress.js';
import { toMessage, toReply, type ActionRow, type DepRow } from './rows.js';
import type { FoundRow } from './statements.js';

/*
 * The read-only views an operator or a help desk asks for (contract §7): find, stuck, the
 * board with its read marks and the newest replies. Nothing here writes but `ackMessages`.
 */

const summaryOf = (r: Pick<ActionRow, 'batch_id' | 'id' | 'state' | 'operation' | 'hostid' | 'userid' | 'replyid'>): ActionSummary => ({
  batch: r.batch_id,
  action: r.id,
  state: r.state,
  operation: r.operation,
  hostid: r.hostid,
  userid: r.userid,
  replyid: r.replyid,
});

export const toFound = (r: FoundRow): FoundAction => ({ ...summaryOf(r), receivedAt: r.received_at, finishedAt: r.finished_at });

/** The value of the `id` pair of the context's `request` group, if there is one. */
export function requestIdOf(context: KvGroup): string | undefined {
  const request = context.members.find((m): m is KvGroup => isGroup(m) && m.type === 'request');
  return request?.members.filter(isPair).find((m) => m.key === 'id')?.value;
}

export const likeEscape = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The actions that match, newest batch first. */
export function findActions(ctx: StoreCtx, query: FindQuery, limit: number): FoundAction[] {
  if ('user' in query) return ctx.s.findByUser.all(query.user, limit).map(toFound);
  if ('replyid' in query) return ctx.s.findByReplyid.all(query.replyid, limit).map(toFound);
  if ('host' in query) return ctx.s.findByHost.all(query.host, limit).map(toFound);
  // The stored context is JSON of the KVGroup: the id appears there as a JSON string value.
  const pattern = `%${likeEscape(JSON.stringify(query.request))}%`;
  const out: FoundAction[] = [];
  for (const b of ctx.s.batchesMentioning.all(pattern)) {
    if (requestIdOf(JSON.parse(b.context) as KvGroup) !== query.request) continue;
    for (const r of ctx.s.findByBatch.all(b.id)) {
      if (out.length >= limit) return out;
      out.push(toFound(r));
    }
  }
  return out;
}

const iso = (t: number): string => new Date(t).toISOString();

/** Every unfinished action with why it has not finished, oldest first. */
export function stuckActions(ctx: StoreCtx, now: number): StuckAction[] {
  const paused = new Map(ctx.s.pausedHosts.all().map((p) => [p.hostid, p]));
  return ctx.s.openActionRows.all().map((r) => stuckOf(ctx, r, paused.has(r.hostid) ? paused.get(r.hostid)!.paused_at : null, now));
}

function stuckOf(ctx: StoreCtx, r: ActionRow, pausedSince: number | null, now: number): StuckAction {
  const deps = r.state === 'waiting' ? ctx.s.depsOf.all(r.batch_id, r.id).map((d) => ({ d, row: ctx.s.action.get(d.dep_batch_id, d.dep_action_id) })) : [];
  return stuckFrom(r, deps, pausedSince, now);
}

/** Why `r` has not finished, given what it depends on (read only for a waiting one); shared with the PostgreSQL store. */
export function stuckFrom(r: ActionRow, deps: ReadonlyArray<{ d: DepRow; row: ActionRow | undefined }>, pausedSince: number | null, now: number): StuckAction {
  const attempt = r.attempts - r.retry_base;
  const base = {
    ...summaryOf(r),
    waitingOn: [] as StuckAction['waitingOn'],
    attempt,
    nextAttemptAt: r.state === 'retrying' ? r.runnable_at : null,
    lastError: r.last_error,
    startedAt: r.state === 'running' ? r.started_at : null,
    paused: pausedSince !== null,
  };
  const pausedText = pausedSince !== null ? `target ${r.hostid} is paused (since ${iso(pausedSince)})` : '';
  if (r.state === 'running') {
    const since = r.started_at !== null ? ` since ${iso(r.started_at)}` : '';
    if (r.rewritten === 0) return { ...base, reason: 'rewrite', text: `its plugin is rewriting it${since}` };
    return { ...base, reason: 'running', text: `running${since} (attempt ${attempt})` };
  }
  if (r.state === 'waiting') {
    const unmet = deps
      .filter(({ row }) => !row || (r.placeholder === 1 ? !FINAL.has(row.state) : row.state !== 'succeeded'))
      .map(({ d, row }) => ({ batch: d.dep_batch_id, action: d.dep_action_id, state: row?.state ?? ('waiting' as const) }));
    const list = unmet.map((u) => `action ${u.action} of batch ${u.batch} (${u.state})`).join(', ');
    if (r.placeholder === 1) return { ...base, waitingOn: unmet, reason: 'fanned', text: `removed by its plugin; waits for what it fanned out: ${list}` };
    return { ...base, waitingOn: unmet, reason: 'dependency', text: `waits for ${list || 'its dependencies'}` };
  }
  if (r.state === 'retrying') {
    const due = r.runnable_at !== null ? iso(r.runnable_at) : 'unknown';
    if (r.rewritten === 0) {
      const text = `waiting for its rewrite: ${r.last_error ?? 'its plugin cannot be used now'}; looked at again at ${due}`;
      return { ...base, reason: pausedSince !== null ? 'paused' : 'held', text: pausedSince !== null ? `${pausedText}; ${text}` : text };
    }
    const text = `next retry at ${due} (attempt ${attempt} failed)${r.last_error ? `, last error: ${r.last_error}` : ''}`;
    return { ...base, reason: pausedSince !== null ? 'paused' : 'retry', text: pausedSince !== null ? `${pausedText}; ${text}` : text };
  }
  // ready
  if (pausedSince !== null) return { ...base, reason: 'paused', text: pausedText };
  const due = r.runnable_at !== null && r.runnable_at > now ? ` at ${iso(r.runnable_at)}` : '';
  return { ...base, reason: 'ready', text: `ready${due}, waiting for room on target ${r.hostid}` };
}

/** Board messages with their read mark, oldest first. */
export function boardMessages(ctx: StoreCtx, options: { all?: boolean; since?: number; limit?: number }): BoardMessage[] {
  const stmt = options.all ? ctx.s.boardMessages : ctx.s.unreadMessages;
  return stmt
    .all(options.since ?? 0, options.limit ?? 1000)
    .reverse()
    .map((r) => ({ ...toMessage(r), read: r.read_at !== null }));
}

export function ackMessages(ctx: StoreCtx, upTo: number | 'all', now: number): number {
  return ctx.s.ackMessages.run(now, upTo === 'all' ? Number.MAX_SAFE_INTEGER : upTo).changes;
}

export function latestReplies(ctx: StoreCtx, limit: number): Reply[] {
  return ctx.s.latestReplies.all(limit).reverse().map(toReply);
}
