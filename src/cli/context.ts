import { join, resolve } from 'node:path';
import { loadConfig, type Config } from '../config.js';
import { redact, type Logger } from '../log.js';

export interface GlobalOptions {
  home?: string;
  verbose?: boolean;
}

/** The home folder: --home, else $TMON_HOME, else ./var (contract §6). */
export function resolveHome(opts: GlobalOptions): string {
  return resolve(opts.home ?? process.env.TMON_HOME ?? 'var');
}

/** The config: --config FILE (which must exist), else the home's tmon.config.json if there is one. */
export function cliConfig(opts: GlobalOptions & { config?: string }): Config {
  if (opts.config) return loadConfig(opts.config, { required: true });
  return loadConfig(join(resolveHome(opts), 'tmon.config.json'), { required: false });
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
