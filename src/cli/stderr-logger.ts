/* The logger of a command that runs plugins (`tmon rewrite`); kept apart so that cli-config.ts does not load winston. */
import { redact, type Logger } from '../log.js';

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
