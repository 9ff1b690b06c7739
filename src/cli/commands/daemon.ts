import { Option, type Command } from 'commander';
import type { LogFormat } from '../../log.js';
import { resolveHome, type GlobalOptions } from '../context.js';
import { watchParent } from '../parent-watch.js';

export function registerDaemon(program: Command): void {
  program
    .command('daemon')
    .description('run the daemon in the foreground: watch the inbox, rewrite, execute, reply (SIGTERM or SIGINT stops it cleanly)')
    .option('--config <file>', 'the config file (default: tmon.config.json in the home folder, if any)')
    .addOption(new Option('--log-format <format>', 'the console log: one text line per event, or JSON lines (default: text on a terminal, else json; logs/tmon.log is always JSON)').choices(['text', 'json']))
    .option('--stop-with-parent', 'stop cleanly, as on SIGTERM, when the process that started tmon exits (npm start uses it)')
    .action(async (opts: { config?: string; stopWithParent?: boolean; logFormat?: LogFormat }, cmd: Command) => {
      const home = resolveHome(cmd.optsWithGlobals<GlobalOptions>());
      // Listen before starting, so that a signal during the start still ends in a clean stop.
      let signalled!: (why: string) => void;
      const stopRequested = new Promise<string>((resolve) => (signalled = resolve));
      process.once('SIGTERM', () => signalled('SIGTERM'));
      process.once('SIGINT', () => signalled('SIGINT'));
      // Under `npm start` (npm names the script it runs): npm and its shell may die without
      // passing SIGTERM on, so the daemon watches them itself. Benchmarks and service managers
      // copy the script's node flags, so the script itself carries none of tmon's own.
      if (opts.stopWithParent || process.env.npm_lifecycle_event === 'start') watchParent((parent) => signalled(`its parent process ${parent} exited`));
      // The daemon's modules load only here: `tmon --help` lists this command without them.
      const { startDaemon } = await import('../../daemon.js');
      const daemon = await startDaemon({ home, ...(opts.config ? { configFile: opts.config } : {}), ...(opts.logFormat ? { logFormat: opts.logFormat } : {}) });
      const why = await stopRequested;
      await daemon.stop(why);
      // Worker threads and watchers are closed; leave now rather than wait on stray handles.
      process.exit(0);
    });
}
