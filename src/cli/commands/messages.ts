import type { Command } from 'commander';
import { withReadStore, type GlobalOptions } from '../context.js';
import { formatTime, json, printable } from '../format.js';
import { writeOut } from '../output.js';
import { parseSince } from './status.js';

export function registerMessages(program: Command): void {
  program
    .command('messages')
    .description('the message board: rejected files, plugin failures, refused plugin output, …')
    .option('--since <time>', 'only messages at or after this time (ISO 8601, or a duration such as 2h)')
    .option('--limit <n>', 'at most this many (the newest)', '1000')
    .option('--json', 'print a JSON array of {seq, at, level, source, batch, action, text}')
    .action(async (opts: { since?: string; limit: string; json?: boolean }, cmd: Command) => {
      await withReadStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        const messages = store ? await store.messages({ ...(opts.since ? { since: parseSince(opts.since) } : {}), limit: Number(opts.limit) }) : [];
        if (opts.json) return writeOut(json(messages.map((m) => ({ ...m, at: new Date(m.at).toISOString() }))));
        if (messages.length === 0) return writeOut('no messages\n');
        return writeOut(messages.map((m) => printable(`${formatTime(m.at)} ${m.level.toUpperCase().padEnd(5)} ${m.source}${m.batch ? ` batch ${m.batch}` : ''}${m.action ? ` action ${m.action}` : ''}: ${m.text}`)).join('\n') + '\n');
      });
    });
}
