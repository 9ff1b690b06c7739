import type { Logger } from '../../src/log.js';

export interface Recorded {
  level: string;
  message: string;
  meta?: Record<string, unknown>;
}

/** A logger that keeps every line, so tests can read what was logged. */
export function recordingLogger(): Logger & { lines: Recorded[] } {
  const lines: Recorded[] = [];
  const at = (level: string) => (message: string, meta?: Record<string, unknown>) => void lines.push({ level, message, ...(meta ? { meta } : {}) });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
