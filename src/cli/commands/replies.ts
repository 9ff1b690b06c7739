import type { Command } from 'commander';
import { TmonError } from '../../errors.js';
import { withReadStore, type GlobalOptions } from '../context.js';
import { formatTime, json } from '../format.js';
import { writeOut } from '../output.js';
import { table } from '../table.js';

export function registerReplies(program: Command): void {
  program
    .command('replies')
    .description('the replies queue: one reply per replyid, in order')
    .option('--after <seq>', 'only replies after this sequence number', '0')
    .option('--limit <n>', 'at most this many', '1000')
    .option('--json', 'print a JSON array of {seq, replyid, batch, action, operation, status, retval, message, at}')
    .action(async (opts: { after: string; limit: string; json?: boolean }, cmd: Command) => {
      const after = Number(opts.after);
      const limit = Number(opts.limit);
      if (!Number.isInteger(after) || after < 0) throw new TmonError('CLI_USAGE', '--after must be a sequence number (0 or more)');
      if (!Number.isInteger(limit) || limit < 1) throw new TmonError('CLI_USAGE', '--limit must be a whole number of 1 or more');
      await withReadStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        const replies = store ? await store.replies(after, limit) : [];
        if (opts.json) return writeOut(json(replies.map((r) => ({ ...r, at: new Date(r.at).toISOString() }))));
        if (replies.length === 0) return writeOut('no replies\n');
        return writeOut(table(['SEQ', 'REPLYID', 'STATUS', 'BATCH', 'ACTION', 'OP', 'AT', 'MESSAGE'], replies.map((r) => [String(r.seq), r.replyid, r.status, r.batch, r.action, r.operation, formatTime(r.at), r.message])));
      });
    });
}
