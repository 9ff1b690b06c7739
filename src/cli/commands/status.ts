import type { Command } from 'commander';
import { TmonError } from '../../errors.js';
import type { BatchState } from '../../store/index.js';
import { withReadStore, type GlobalOptions } from '../context.js';
import { boardNotes } from './show.js';
import { formatAge, formatTime, json, printable } from '../format.js';
import { writeOut } from '../output.js';
import { table } from '../table.js';

const STATES: BatchState[] = ['received', 'running', 'succeeded', 'failed', 'canceled'];

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('all batches with their state and counts, newest first; or one batch with its actions')
    .argument('[batch]', 'a batch id: show its actions')
    .option('--state <state>', `only batches in this state (${STATES.join(', ')})`)
    .option('--since <time>', 'only batches received at or after this time (ISO 8601, or a duration such as 2h)')
    .option('--limit <n>', 'at most this many batches', '100')
    .option('--json', 'print JSON: an array of batches, or the one batch with its actions')
    .action(async (batchId: string | undefined, opts: { state?: string; since?: string; limit: string; json?: boolean }, cmd: Command) => {
      if (opts.state && !STATES.includes(opts.state as BatchState)) throw new TmonError('CLI_USAGE', `--state must be one of ${STATES.join(', ')}`);
      const since = opts.since ? parseSince(opts.since) : undefined;
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new TmonError('CLI_USAGE', '--limit must be a whole number of 1 or more');
      await withReadStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        if (batchId) {
          const b = await store?.batchDetail(batchId);
          if (!store || !b) throw new TmonError('CLI_NO_INPUT', `no batch ${batchId}`);
          // Its board entries: a plugin that failed while the action ran as submitted, say.
          const board = await store.batchMessages(batchId);
          if (opts.json) return writeOut(json({ ...b, messages: board }));
          const head = `${printable(`batch ${b.id}: ${b.state}; ${b.counts.total} action(s): ${b.counts.succeeded} succeeded, ${b.counts.failed} failed, ${b.counts.skipped} skipped, ${b.counts.pending} pending; received ${formatTime(b.receivedAt)} from ${b.source}`)}\n\n`;
          const warnings = await boardNotes(store, batchId);
          const rows = b.actions.map((a) => [
            a.id,
            a.state,
            a.operation,
            a.hostid,
            a.userid || '-',
            String(a.attempts),
            a.nextAttemptAt ? formatTime(a.nextAttemptAt) : '-',
            a.depends.map((d) => (d.batch === b.id ? d.action : `${d.batch}/${d.action}`)).join(',') || '-',
            // An action that succeeded may still carry a warning (its plugin failed; it ran as submitted).
            a.lastError || (warnings.get(a.id)?.at(-1) ?? ''),
          ]);
          const notes = board.length ? `\nmessages:\n${board.map((m) => printable(`  ${formatTime(m.at)} ${m.level} ${m.text}`)).join('\n')}\n` : '';
          return writeOut(head + table(['ACTION', 'STATE', 'OP', 'HOST', 'USER', 'TRIES', 'NEXT TRY', 'WAITS ON', 'LAST ERROR'], rows) + notes);
        }
        const list = store ? await store.listBatches({ ...(opts.state ? { state: opts.state as BatchState } : {}), ...(since !== undefined ? { since } : {}), limit }) : [];
        if (opts.json) return writeOut(json(list));
        // Paused targets (tmon pause) start nothing new: said on a line of their own, after the table.
        const paused = store ? await store.pausedHosts() : [];
        const pausedLine = paused.length ? printable(`paused targets: ${paused.map((p) => `${p.hostid} (since ${formatTime(p.pausedAt)}${p.note ? `: ${p.note}` : ''})`).join(', ')}`) + '\n' : '';
        if (list.length === 0) return writeOut(`no batches\n${pausedLine}`);
        const rows = list.map((b) => [b.id, b.state, String(b.counts.total), String(b.counts.succeeded), String(b.counts.failed), String(b.counts.skipped), String(b.counts.pending), formatAge(b.receivedAt)]);
        return writeOut(table(['BATCH', 'STATE', 'ACTIONS', 'OK', 'FAILED', 'SKIPPED', 'PENDING', 'AGE'], rows) + pausedLine);
      });
    });
}

/** An ISO time, or a duration back from now (90s, 15m, 2h, 3d). */
export function parseSince(text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text);
  if (m) return Date.now() - Number(m[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[m[2] as 's' | 'm' | 'h' | 'd'];
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new TmonError('CLI_USAGE', `--since: "${text}" is neither a time nor a duration such as 2h`);
  return t;
}
