import type { Command } from 'commander';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { TmonError } from '../../errors.js';
import { homeLayout } from '../../home.js';
import { SqliteStore } from '../../store/index.js';
import { lenientConfig } from '../cli-config.js';
import { resolveHome, type GlobalOptions } from '../context.js';
import { writeOut } from '../output.js';

export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description("an online copy of the home's store (tmon.db), taken while the daemon runs")
    .argument('<file>', 'where to write the copy (a new file)')
    .option('--force', 'replace FILE if it exists')
    .addHelpText('after', "\nSQLite's online backup: a consistent copy of one moment, the write-ahead log included, taken\nwithout stopping the daemon. The copy is written beside FILE and renamed into place only when\ncomplete. Exit codes: 0 copied; 1 FILE exists (without --force) or the copy failed; 66 no store.")
    .action(async (file: string, opts: { force?: boolean }, cmd: Command) => {
      const target = resolve(file);
      if (existsSync(target) && !opts.force) throw new TmonError('CLI_EXISTS', `${file}: exists; give another name, or --force to replace it`);
      const global = cmd.optsWithGlobals<GlobalOptions>();
      // A PostgreSQL store is the server's to back up, consistently, with its own tools.
      if (lenientConfig(global).store.kind === 'postgres') throw new TmonError('CLI_REFUSED', 'the store is PostgreSQL: back it up with pg_dump (docs/operations.md, "Backup")');
      const db = homeLayout(resolveHome(global)).db;
      const store = new SqliteStore(db, { readonly: true });
      const partial = join(dirname(target), `.${basename(target)}.partial`);
      try {
        rmSync(partial, { force: true });
        await store.db.backup(partial);
        renameSync(partial, target);
      } finally {
        rmSync(partial, { force: true });
        await store.close();
      }
      await writeOut(`${db} copied to ${target}\n`);
    });
}
