import type { Command } from 'commander';
import { TmonError } from '../../errors.js';
import type { FindQuery } from '../../store/index.js';
import { withReadStore, type GlobalOptions } from '../context.js';
import { formatTime, json } from '../format.js';
import { writeOut } from '../output.js';
import { table } from '../table.js';

interface FindOptions {
  user?: string;
  replyid?: string;
  host?: string;
  request?: string;
  limit: string;
  json?: boolean;
}

/** Exactly one of the four keys: a help desk asks one question at a time. */
function queryOf(opts: FindOptions): FindQuery {
  const given = (['user', 'replyid', 'host', 'request'] as const).filter((k) => opts[k] !== undefined);
  if (given.length !== 1) throw new TmonError('CLI_USAGE', 'say exactly one of --user, --replyid, --host or --request');
  const key = given[0]!;
  const value = opts[key]!;
  if (value === '') throw new TmonError('CLI_USAGE', `--${key} needs a value`);
  return { [key]: value } as FindQuery;
}

export function registerFind(program: Command): void {
  program
    .command('find')
    .description("the actions for a user, a replyid, a target or a request id (the batch's request group), newest first")
    .option('--user <userid>', 'actions on this userid')
    .option('--replyid <replyid>', 'the action answered with this replyid')
    .option('--host <hostid>', 'actions on this target')
    .option('--request <id>', 'actions of the batches whose "request" group has this id')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'print a JSON array of {batch, action, state, operation, hostid, userid, replyid, received, finished}')
    .action(async (opts: FindOptions, cmd: Command) => {
      const query = queryOf(opts);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new TmonError('CLI_USAGE', '--limit must be a whole number of 1 or more');
      await withReadStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        const found = store ? await store.findActions(query, limit) : [];
        if (opts.json) {
          const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
          return writeOut(json(found.map(({ receivedAt, finishedAt, ...f }) => ({ ...f, received: iso(receivedAt), finished: iso(finishedAt) }))));
        }
        if (found.length === 0) return writeOut('no actions found\n');
        const rows = found.map((f) => [f.batch, f.action, f.state, f.operation, f.hostid, f.userid || '-', f.replyid || '-', formatTime(f.receivedAt), formatTime(f.finishedAt)]);
        return writeOut(table(['BATCH', 'ACTION', 'STATE', 'OP', 'HOST', 'USER', 'REPLYID', 'RECEIVED', 'FINISHED'], rows));
      });
    });
}
