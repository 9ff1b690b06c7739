import type { Command } from 'commander';
import { TmonError } from '../../errors.js';
import type { Reply, Store } from '../../store/index.js';
import { readStore, withReadStore, type GlobalOptions } from '../context.js';
import { formatTime, json } from '../format.js';
import { writeOut } from '../output.js';
import { table } from '../table.js';

/** How often `--follow` looks for new replies: a read-only query, so it costs the daemon nothing. */
export const FOLLOW_POLL_MS = 200;
const FOLLOW_BATCH = 1000;

const forJson = (r: Reply) => ({ ...r, at: new Date(r.at).toISOString() });

/**
 * Streams the replies after `after` as JSON lines, then each new one as it is stored, until
 * SIGINT or SIGTERM; a consumer keeps the last seq it read as its cursor and starts again
 * with `--after` that seq, so it neither misses nor repeats one.
 */
async function follow(store: Store, after: number): Promise<void> {
  let stop = false;
  let wake: (() => void) | undefined;
  const onSignal = () => {
    stop = true;
    wake?.();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let cursor = after;
    while (!stop) {
      const batch = await store.replies(cursor, FOLLOW_BATCH);
      if (batch.length > 0) {
        await writeOut(batch.map((r) => `${JSON.stringify(forJson(r))}\n`).join(''));
        cursor = batch.at(-1)!.seq;
      }
      if (batch.length < FOLLOW_BATCH && !stop) await new Promise<void>((resolve) => ((wake = resolve), setTimeout(resolve, FOLLOW_POLL_MS)));
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

export function registerReplies(program: Command): void {
  program
    .command('replies')
    .description('the replies queue: one reply per replyid, in order; the newest --limit unless --after is given')
    .option('--after <seq>', 'the replies after this sequence number (oldest first)')
    .option('--limit <n>', 'at most this many: the newest, or with --after the first after it', '1000')
    .option('--follow', 'stream the replies after --after (default 0), then each new one, as JSON lines, until interrupted')
    .option('--json', 'print a JSON array of {seq, replyid, batch, action, operation, status, retval, message, at}')
    .action(async (opts: { after?: string; limit: string; follow?: boolean; json?: boolean }, cmd: Command) => {
      const after = opts.after === undefined ? undefined : Number(opts.after);
      const limit = Number(opts.limit);
      if (after !== undefined && (!Number.isInteger(after) || after < 0)) throw new TmonError('CLI_USAGE', '--after must be a sequence number (0 or more)');
      if (!Number.isInteger(limit) || limit < 1) throw new TmonError('CLI_USAGE', '--limit must be a whole number of 1 or more');
      const global = cmd.optsWithGlobals<GlobalOptions>();
      if (opts.follow) {
        const store = await readStore(global);
        if (!store) throw new TmonError('CLI_NO_INPUT', 'no database in this home: the daemon has not run here yet');
        try {
          return await follow(store, after ?? 0);
        } finally {
          await store.close();
        }
      }
      await withReadStore(global, async (store) => {
        const replies = !store ? [] : after === undefined ? await store.latestReplies(limit) : await store.replies(after, limit);
        if (opts.json) return writeOut(json(replies.map(forJson)));
        if (replies.length === 0) return writeOut('no replies\n');
        return writeOut(table(['SEQ', 'REPLYID', 'STATUS', 'BATCH', 'ACTION', 'OP', 'AT', 'MESSAGE'], replies.map((r) => [String(r.seq), r.replyid, r.status, r.batch, r.action, r.operation, formatTime(r.at), r.message])));
      });
    });
}
