/* The config and the logger, for the commands that need them (see context.ts). */
import { loadConfig, type Config } from '../config/index.js';
import { homeLayout } from '../home.js';
import { redact, type Logger } from '../log.js';
import { resolveHome, type GlobalOptions } from './context.js';

/** The config: --config FILE (which must exist), else the home's tmon.config.json if there is one. */
export function cliConfig(opts: GlobalOptions & { config?: string }): Config {
  if (opts.config) return loadConfig(opts.config, { required: true });
  return loadConfig(homeLayout(resolveHome(opts)).config, { required: false });
}

/** A logger for commands: one line per entry on stderr, secrets redacted. */
export function stderrLogger(verbose = false): Logger {
  const line =
    (level: string) =>
    (message: string, meta?: Record<string, unknown>): void => {
      if (level === 'debug' && !verbose) return;
      const tag = meta?.plugin ? `plugin ${String(meta.plugin)}: ` : '';
      process.stderr.write(`${level === 'info' ? '' : `${level}: `}${tag}${String(redact(message))}\n`);
    };
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}
