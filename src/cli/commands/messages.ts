import type { Command } from 'commander';
import { TmonError } from '../../errors.js';
import { withReadStore, type GlobalOptions } from '../context.js';
import { formatTime, json, printable } from '../format.js';
import { writeOut } from '../output.js';
import { parseSince } from './status.js';

/** `--ack N|all`: a seq (every message up to and including it), or all. */
function ackTarget(text: string): number | 'all' {
  if (text === 'all') return 'all';
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new TmonError('CLI_USAGE', `--ack must be a message seq (1 or more) or "all", not "${text}"`);
  return n;
}

export function registerMessages(program: Command): void {
  program
    .command('messages')
    .description('the message board: rejected files, plugin failures, refused plugin output, …; unread messages unless --all')
    .option('--since <time>', 'only messages at or after this time (ISO 8601, or a duration such as 2h)')
    .option('--limit <n>', 'at most this many (the newest)', '1000')
    .option('--all', 'read messages too')
    .option('--ack <seq|all>', 'mark read every message up to and including this seq, or all of them')
    .option('--json', 'print a JSON array of {seq, at, level, source, batch, action, text, read} (with --ack: {"acknowledged": N})')
    .action(async (opts: { since?: string; limit: string; all?: boolean; ack?: string; json?: boolean }, cmd: Command) => {
      const global = cmd.optsWithGlobals<GlobalOptions>();
      if (opts.ack !== undefined) {
        const upTo = ackTarget(opts.ack);
        // A read mark is the board's own bookkeeping: nothing follows from it, so the CLI writes it itself.
        // The config (and its validator) only here: reading the board needs none.
        const { lenientConfig, writeStore } = await import('../cli-config.js');
        const store = await writeStore(global, lenientConfig(global), false);
        try {
          const n = await store.ackMessages(upTo);
          return await writeOut(opts.json ? json({ acknowledged: n }) : `acknowledged: ${n} message(s)\n`);
        } finally {
          await store.close();
        }
      }
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new TmonError('CLI_USAGE', '--limit must be a whole number of 1 or more');
      await withReadStore(global, async (store) => {
        const messages = store ? await store.boardMessages({ all: opts.all ?? false, ...(opts.since ? { since: parseSince(opts.since) } : {}), limit }) : [];
        if (opts.json) return writeOut(json(messages.map((m) => ({ ...m, at: new Date(m.at).toISOString() }))));
        if (messages.length === 0) return writeOut('no messages\n');
        return writeOut(
          messages
            .map((m) => printable(`${String(m.seq).padStart(4)} ${formatTime(m.at)} ${m.level.toUpperCase().padEnd(5)} ${m.source}${m.batch ? ` batch ${m.batch}` : ''}${m.action && !m.text.startsWith(`action ${m.action}:`) ? ` action ${m.action}` : ''}: ${m.text}${m.read ? ' (read)' : ''}`))
            .join('\n') + '\n',
        );
      });
    });
}
