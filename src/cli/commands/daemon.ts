import type { Command } from 'commander';
import { startDaemon } from '../../daemon.js';
import { resolveHome, type GlobalOptions } from '../context.js';

export function registerDaemon(program: Command): void {
  program
    .command('daemon')
    .description('run the daemon in the foreground: watch the inbox, rewrite, execute, reply (SIGTERM or SIGINT stops it cleanly)')
    .option('--config <file>', 'the config file (default: tmon.config.json in the home folder, if any)')
    .action(async (opts: { config?: string }, cmd: Command) => {
      const home = resolveHome(cmd.optsWithGlobals<GlobalOptions>());
      // Listen before starting, so that a signal during the start still ends in a clean stop.
      let signalled!: () => void;
      const stopRequested = new Promise<void>((resolve) => (signalled = resolve));
      process.once('SIGTERM', () => signalled());
      process.once('SIGINT', () => signalled());
      const daemon = await startDaemon({ home, ...(opts.config ? { configFile: opts.config } : {}) });
      await stopRequested;
      await daemon.stop();
      // Worker threads and watchers are closed; leave now rather than wait on stray handles.
      process.exit(0);
    });
}
