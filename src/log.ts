import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import winston from 'winston';

/**
 * What tmon's code needs of a logger. winston's satisfies it; tests pass a recorder.
 * Every line about a batch or an action carries `batch` and `action` in its meta.
 */
export interface Logger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export const REDACTED = '[redacted]';

/** Keys whose values never reach a log line or CLI output. */
const SECRET_KEYS = new Set(['newpw']);
/** `"newpw" = "…"` inside KVGroup text, in any quoting tmon or a plugin might log. */
const SECRET_IN_TEXT = /("?newpw"?\s*=\s*)("(?:[^"\\]|\\.)*"|[^\s}]+)/g;

/**
 * A copy of `value` with every secret replaced, in pairs, objects and KVGroup text alike.
 * An empty secret stays empty: there is nothing to hide, and "no password given" is useful.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') {
    return value.includes('newpw') ? value.replace(SECRET_IN_TEXT, (all, lead: string, v: string) => (v === '""' ? all : `${lead}"${REDACTED}"`)) : value;
  }
  if (depth > 32 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const obj = value as Record<string, unknown>;
  // A KVGroup pair {key: "newpw", value: "…"}.
  if (typeof obj.key === 'string' && SECRET_KEYS.has(obj.key) && 'value' in obj) return { ...obj, value: obj.value === '' ? '' : REDACTED };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = SECRET_KEYS.has(k) && v !== '' ? REDACTED : redact(v, depth + 1);
  return out;
}

const redactFormat = winston.format((info) => {
  const fields = info as unknown as Record<string, unknown>;
  for (const k of Object.keys(fields)) fields[k] = SECRET_KEYS.has(k) && fields[k] !== '' ? REDACTED : redact(fields[k]);
  return info;
});

export interface LoggerOptions {
  /** Folder for tmon.log; none: console only. */
  logsDir?: string;
  console?: boolean;
  level?: string;
}

/** The daemon's logger: JSON lines to `logs/tmon.log` and the console, secrets redacted. */
export function createLogger(options: LoggerOptions = {}): winston.Logger {
  const transports: winston.transport[] = [];
  if (options.logsDir) {
    mkdirSync(options.logsDir, { recursive: true });
    transports.push(new winston.transports.File({ filename: join(options.logsDir, 'tmon.log') }));
  }
  if (options.console !== false) transports.push(new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] }));
  return winston.createLogger({
    level: options.level ?? 'info',
    format: winston.format.combine(redactFormat(), winston.format.timestamp(), winston.format.json()),
    transports,
  });
}

/** A logger that drops everything, for tools that have nowhere to log. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
