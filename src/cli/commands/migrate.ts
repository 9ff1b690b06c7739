import type { Command } from 'commander';
import { homeLayout } from '../../home.js';
import { migrateStore } from '../../store/index.js';
import { cliConfig } from '../cli-config.js';
import { resolveHome, type GlobalOptions } from '../context.js';
import { json } from '../format.js';
import { writeOut } from '../output.js';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description("apply the pending schema migrations of the configured store (the home's tmon.db, or a PostgreSQL schema)")
    .option('--config <file>', 'the config file (default: tmon.config.json in the home folder)')
    .option('--json', 'print {"store", "applied": [versions]}')
    .addHelpText(
      'after',
      '\nThe daemon applies them itself at start; this is for upgrading a PostgreSQL schema that several\ndaemons share before starting the new version, or for preparing a store. Safe to run while a daemon\nruns and twice: what is applied is recorded, and concurrent runs take turns. Exit codes: 0 done; 1 failed.',
    )
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const global = cmd.optsWithGlobals<GlobalOptions & { config?: string }>();
      const config = cliConfig(global);
      const { where, applied } = await migrateStore(config.store, homeLayout(resolveHome(global)).db);
      if (opts.json) return writeOut(json({ store: where, applied }));
      await writeOut(applied.length ? `${where}: applied ${applied.map((v) => `migration ${v}`).join(', ')}\n` : `${where}: up to date, nothing to apply\n`);
    });
}
