import type { Command } from 'commander';
import type { PluginListing } from '../../plugins/index.js';
import { homeLayout } from '../../home.js';
import { lockHolder } from '../../lock.js';
import { silentLogger } from '../../log.js';
import { cliConfig } from '../cli-config.js';
import { resolveHome, type GlobalOptions } from '../context.js';
import { writeOut } from '../output.js';
import { table } from '../table.js';

export function registerPlugins(program: Command): void {
  program
    .command('plugins')
    .description('list the plugins in the plugins folder, which are in use, and any load error')
    .option('--config <file>', 'the config file (default: tmon.config.json in the home folder, if any)')
    .option('--json', 'print a JSON array of {name, kind, path, interpreter, inUse, error}')
    .addHelpText('after', '\n"In use" is what the daemon running on the home runs; when none runs, what the config file names.')
    .action(async (opts: { json?: boolean; config?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions & { config?: string }>();
      // The running daemon may have started with another config (or an older one): its own
      // plugins folder and chain are what it runs.
      const daemon = lockHolder(homeLayout(resolveHome(globals)).root);
      const config = daemon && !globals.config ? { ...cliConfig(globals), pluginsDir: daemon.pluginsDir } : cliConfig(globals);
      const chain = daemon ? daemon.plugins : config.rewritePlugin;
      const source = daemon ? `the running daemon, pid ${daemon.pid}` : `${config.file ? `config ${config.file}` : 'the defaults'}; no daemon is running`;
      // The plugin host (and its worker pool) loads only here, not for `tmon --help`.
      const { listPlugins, PluginHost } = await import('../../plugins/index.js');
      const host = new PluginHost(config, silentLogger);
      let listing: PluginListing[];
      try {
        listing = await listPlugins(host, chain, config.pluginsDir);
      } finally {
        await host.close();
      }
      if (opts.json) return writeOut(`${JSON.stringify(listing, null, 2)}\n`);
      const head = `plugins folder: ${config.pluginsDir}${host.registry.folderError ? ` (${host.registry.folderError})` : ''}\nin use: ${chain.length ? chain.join(' -> ') : 'none (actions run as submitted)'} (from ${source})\n\n`;
      const rows = listing.map((l) => [l.name, l.kind === 'executable' && l.interpreter ? `exec (${l.interpreter})` : (l.kind ?? '-'), l.inUse === null ? '-' : String(l.inUse), l.error ? `error: ${l.error}` : 'ok']);
      return writeOut(head + (rows.length ? table(['NAME', 'KIND', 'IN USE', 'STATUS'], rows) : 'no plugins found\n'));
    });
}
