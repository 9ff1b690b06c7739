import type { Command } from 'commander';
import { PluginHost } from '../../plugins/index.js';
import { silentLogger } from '../../log.js';
import { cliConfig, type GlobalOptions } from '../context.js';
import { writeOut } from '../output.js';
import { table } from '../table.js';

export interface PluginListing {
  name: string;
  kind: 'js' | 'executable' | null;
  path: string | null;
  interpreter: string | null;
  /** Position in the configured chain (1 = first), or null when not in use. */
  inUse: number | null;
  error: string | null;
}

export function registerPlugins(program: Command): void {
  program
    .command('plugins')
    .description('list the plugins in the plugins folder, which are in use, and any load error')
    .option('--config <file>', 'the config file (default: tmon.config.json in the home folder, if any)')
    .option('--json', 'print a JSON array of {name, kind, path, interpreter, inUse, error}')
    .action(async (opts: { json?: boolean; config?: string }, cmd: Command) => {
      const config = cliConfig(cmd.optsWithGlobals<GlobalOptions & { config?: string }>());
      const host = new PluginHost(config, silentLogger);
      const listing: PluginListing[] = [];
      try {
        for (const entry of host.registry.list()) {
          const at = config.rewritePlugin.indexOf(entry.name);
          listing.push({
            name: entry.name,
            kind: entry.kind,
            path: entry.path,
            interpreter: entry.interpreter ?? null,
            inUse: at < 0 ? null : at + 1,
            error: (await host.probe(entry)) ?? null,
          });
        }
      } finally {
        await host.close();
      }
      config.rewritePlugin.forEach((name, i) => {
        if (!listing.some((l) => l.name === name)) {
          listing.push({ name, kind: null, path: null, interpreter: null, inUse: i + 1, error: host.registry.folderError ?? `configured in rewritePlugin but not found in ${config.pluginsDir}` });
        }
      });
      if (opts.json) return writeOut(`${JSON.stringify(listing, null, 2)}\n`);
      const head = `plugins folder: ${config.pluginsDir}${host.registry.folderError ? ` (${host.registry.folderError})` : ''}\nin use: ${config.rewritePlugin.length ? config.rewritePlugin.join(' -> ') : 'none (actions run as submitted)'}\n\n`;
      const rows = listing.map((l) => [l.name, l.kind === 'executable' && l.interpreter ? `exec (${l.interpreter})` : (l.kind ?? '-'), l.inUse === null ? '-' : String(l.inUse), l.error ? `error: ${l.error}` : 'ok']);
      return writeOut(head + (rows.length ? table(['NAME', 'KIND', 'IN USE', 'STATUS'], rows) : 'no plugins found\n'));
    });
}
