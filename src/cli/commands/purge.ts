import type { Command } from 'commander';
import { purgeSummary } from '../../engine/retention.js';
import { TmonError } from '../../errors.js';
import type { PurgeReport } from '../../store/index.js';
import type { GlobalOptions } from '../context.js';
import { json } from '../format.js';
import { writeOut } from '../output.js';
import { operate } from './operate.js';

const UNIT_MS = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 } as const;

/** A duration such as 90s, 15m, 12h, 30d (a fraction allowed: 1.5d). */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([smhd])$/.exec(text);
  if (!m) throw new TmonError('CLI_USAGE', `--older-than: "${text}" is not a duration such as 12h or 30d`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

export function registerPurge(program: Command): void {
  program
    .command('purge')
    .description('remove finished batches (with their actions, replies, trigger runs) and board messages older than a duration')
    .requiredOption('--older-than <duration>', 'finished (or posted) longer ago than this: 90s, 15m, 12h, 30d')
    .option('--dry-run', 'only say what would be removed')
    .option('--json', 'print {dryRun, batches, held, actions, replies, messages, triggerRuns, commands}')
    .addHelpText(
      'after',
      '\nNever removed: an unfinished batch, a batch whose replies are not yet in the outbox, a batch\nthat a kept batch depends on (listed as held). A purged batch frees its replyids.\nGoes through the running daemon when one runs. The daemon also purges hourly by `retention`.',
    )
    .action(async (opts: { olderThan: string; dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const olderThanMs = parseDuration(opts.olderThan);
      const dryRun = opts.dryRun ?? false;
      const global = cmd.optsWithGlobals<GlobalOptions>();
      const outcome = await operate(
        global,
        async () => ({ kind: 'purge', batch: '', olderThanMs, dryRun }),
        async (store) => {
          const now = Date.now();
          const purge = await store.purge({ batchesBefore: now - olderThanMs, messagesBefore: now - olderThanMs }, { dryRun });
          return { ok: true, actions: purge.batches, purge };
        },
      );
      if (!outcome.ok) throw new TmonError('CLI_REFUSED', outcome.reason);
      const r: PurgeReport = outcome.purge!;
      if (opts.json) return writeOut(json({ dryRun, ...r }));
      const list = r.batches.length ? `${dryRun ? 'would purge' : 'purged'}: ${r.batches.join(', ')}\n` : '';
      return writeOut(`purge: ${purgeSummary(r, dryRun)}\n${list}`);
    });
}
