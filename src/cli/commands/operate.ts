import type { Command } from 'commander';
import { TmonError } from '../../errors.js';
import { homeLayout } from '../../home.js';
import { SqliteStore, type OperatorResult } from '../../store/index.js';
import { resolveHome, type GlobalOptions } from '../context.js';
import { json } from '../format.js';
import { writeOut } from '../output.js';

/**
 * Operators' writes: they go straight into the store, in one transaction each, while the
 * daemon runs (it picks the change up within `inboxSweepMs`). Both are recorded on the
 * message board.
 */
async function withWriteStore<T>(opts: GlobalOptions, fn: (store: SqliteStore) => Promise<T>): Promise<T> {
  const layout = homeLayout(resolveHome(opts));
  // A home where the daemon never ran is an error, not a new database.
  const store = new SqliteStore(layout.db, { mustExist: true });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function report(result: OperatorResult, asJson: boolean | undefined, what: string): Promise<void> {
  if (!result.ok) throw new TmonError('CLI_REFUSED', result.reason);
  return writeOut(asJson ? json({ [what]: result.actions }) : `${what}: ${result.actions.length ? result.actions.join(', ') : 'nothing'}\n`);
}

export function registerRetry(program: Command): void {
  program
    .command('retry')
    .description('queue a failed action again, with the actions that were skipped because of it')
    .argument('<action>', 'the action id, or BATCH/ACTION when several batches have an action of that id')
    .option('--note <text>', 'why, for the message board')
    .option('--json', 'print {"requeued": [...]}')
    .addHelpText('after', '\nThe replyid of the action was already answered with the failure and is not answered again;\nthe retry\'s outcome shows in tmon status and tmon messages.')
    .action(async (ref: string, opts: { note?: string; json?: boolean }, cmd: Command) => {
      await withWriteStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        let batch: string;
        let action = ref;
        const holders = await store.findAction(ref);
        if (holders.length === 1) batch = holders[0]!;
        else if (holders.length > 1) throw new TmonError('CLI_USAGE', `action ${ref} is in ${holders.length} batches (${holders.join(', ')}); say BATCH/${ref}`);
        else {
          const slash = ref.indexOf('/');
          if (slash < 0) throw new TmonError('CLI_NO_INPUT', `no action ${ref}`);
          [batch, action] = [ref.slice(0, slash), ref.slice(slash + 1)];
        }
        await report(await store.retryAction(batch, action, opts.note ?? ''), opts.json, 'requeued');
      });
    });
}

export function registerCancel(program: Command): void {
  program
    .command('cancel')
    .description('cancel every action of a batch that has not started; running ones finish')
    .argument('<batch>', 'the batch id')
    .option('--note <text>', 'why, for the message board')
    .option('--json', 'print {"canceled": [...]}')
    .action(async (batch: string, opts: { note?: string; json?: boolean }, cmd: Command) => {
      await withWriteStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => report(await store.cancelBatch(batch, opts.note ?? ''), opts.json, 'canceled'));
    });
}
