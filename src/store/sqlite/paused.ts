import type { OperatorResult, PausedHost } from '../types.js';
import { noEffects, type StoreCtx } from './context.js';

/*
 * Paused targets (tmon pause / resume): a row per paused hostid, so a pause outlives a restart.
 * The claim reads the set each time (a handful of rows), so a pause or a resume takes effect
 * at the engine's next turn; what is already running finishes.
 */

export function pausedHosts(ctx: StoreCtx): PausedHost[] {
  return ctx.s.pausedHosts.all().map((r) => ({ hostid: r.hostid, pausedAt: r.paused_at, note: r.note }));
}

export function pauseHost(ctx: StoreCtx, hostid: string, note: string): OperatorResult {
  return ctx.db.transaction((): OperatorResult => {
    const held = ctx.s.pausedHost.get(hostid);
    if (held) return { ok: false, reason: `target ${hostid} is already paused (since ${new Date(held.paused_at).toISOString()})` };
    const now = Date.now();
    ctx.s.pauseHost.run(hostid, now, note);
    ctx.s.postMessage.run(now, 'info', 'operator', null, null, `pause: target ${hostid} paused; it starts nothing new${note ? ` (${note})` : ''}`);
    return { ok: true, actions: [hostid], effects: noEffects() };
  })();
}

export function resumeHost(ctx: StoreCtx, hostid: string, note: string): OperatorResult {
  return ctx.db.transaction((): OperatorResult => {
    if (ctx.s.resumeHost.run(hostid).changes === 0) return { ok: false, reason: `target ${hostid} is not paused` };
    ctx.s.postMessage.run(Date.now(), 'info', 'operator', null, null, `resume: target ${hostid} resumed${note ? ` (${note})` : ''}`);
    return { ok: true, actions: [hostid], effects: noEffects() };
  })();
}
