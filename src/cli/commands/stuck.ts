import type { Command } from 'commander';
import { targetFor } from '../../config/index.js';
import { cliConfig } from '../cli-config.js';
import { withReadStore, type GlobalOptions } from '../context.js';
import { json, printable } from '../format.js';
import { writeOut } from '../output.js';
import { table } from '../table.js';

export function registerStuck(program: Command): void {
  program
    .command('stuck')
    .description('every unfinished action with why: the unmet action it waits on, its next retry, a paused target, its rewrite, or running since when')
    .option('--config <file>', "the config file, for each target's number of tries (default: tmon.config.json in the home folder)")
    .option('--json', 'print a JSON array of {batch, action, state, operation, hostid, userid, replyid, reason, text, waitingOn, attempt, maxAttempts, nextAttemptAt, lastError, startedAt, paused}')
    .addHelpText('after', '\nReasons: dependency, fanned, retry, held (its plugin cannot be used now), paused, rewrite, running, ready.')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const global = cmd.optsWithGlobals<GlobalOptions & { config?: string }>();
      // The store knows how many tries an action has had; how many it may have is the config's.
      const config = cliConfig(global);
      await withReadStore(global, async (store) => {
        const stuck = store ? await store.stuckActions() : [];
        const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
        const rows = stuck.map((s) => {
          const maxAttempts = targetFor(config, s.hostid).retry.attempts;
          const text = s.text.replace(/\(attempt (\d+) failed\)/, `(attempt $1 of ${maxAttempts} failed)`);
          return { ...s, text, maxAttempts, nextAttemptAt: iso(s.nextAttemptAt), startedAt: iso(s.startedAt) };
        });
        if (opts.json) return writeOut(json(rows));
        if (rows.length === 0) return writeOut('nothing is stuck: every action is final\n');
        return writeOut(table(['BATCH', 'ACTION', 'STATE', 'HOST', 'REASON', 'WHY'], rows.map((r) => [r.batch, r.action, r.state, r.hostid, r.reason, printable(r.text)])));
      });
    });
}
