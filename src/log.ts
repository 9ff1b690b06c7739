import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { styleText } from 'node:util';
import winston from 'winston';
import { RotatingFile } from './log-file.js';
import { printable } from './printable.js';
import { redact, REDACTED, SECRET_KEYS } from './secret-mask.js';

/**
 * What tmon's code needs of a logger. winston's satisfies it; tests pass a recorder.
 * Every line about a batch or an action carries `batch` and `action` in its meta.
 */
export interface Logger {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
  /** Whether a debug line would be written (winston's): a per-action line is not even built otherwise. */
  isDebugEnabled?(): boolean;
}

export { REDACTED, redact } from './secret-mask.js';

const redactFormat = winston.format((info) => {
  const fields = info as unknown as Record<string, unknown>;
  for (const k of Object.keys(fields)) fields[k] = SECRET_KEYS.has(k) && fields[k] !== '' ? REDACTED : redact(fields[k]);
  return info;
});

export type LogFormat = 'json' | 'text';

export interface LoggerOptions {
  /** Folder for tmon.log; none: console only. */
  logsDir?: string;
  console?: boolean;
  /** The console's format; default: text on a terminal, JSON otherwise (a service manager's journal). */
  consoleFormat?: LogFormat;
  /** Colour on the console (text only); default: on a terminal without NO_COLOR. */
  colour?: boolean;
  level?: string;
  /** tmon.log rotates once it reaches this size, in bytes… */
  maxSizeBytes?: number;
  /** …keeping this many files in all (tmon.log, then tmon1.log, the newest, and on). */
  maxFiles?: number;
}

const LEVEL_COLOURS: Record<string, Parameters<typeof styleText>[0]> = { error: 'red', warn: 'yellow', info: 'green', debug: 'gray' };

/** Whether to colour is decided here (for stderr), not by styleText's look at stdout. */
const NO_CHECK = { validateStream: false };

/** The meta shown on a text line, in this order; the rest stays in the file. */
const TEXT_META = ['batch', 'action', 'plugin', 'file'];

/** One line per event for people: time, level, message, then the batch and action ids. */
export function textLine(info: Record<string, unknown>, colour: boolean): string {
  const time = String(info.timestamp ?? new Date().toISOString()).replace('T', ' ').slice(0, 19);
  const level = String(info.level);
  const tag = level.toUpperCase().padEnd(5);
  const meta = TEXT_META.filter((k) => info[k] !== undefined && info[k] !== null && info[k] !== '').map((k) => `${k}=${printable(String(info[k]))}`);
  const line = `${time} ${colour && LEVEL_COLOURS[level] ? styleText(LEVEL_COLOURS[level], tag, NO_CHECK) : tag} ${printable(String(info.message))}`;
  return meta.length ? `${line}  ${colour ? styleText('gray', meta.join(' '), NO_CHECK) : meta.join(' ')}` : line;
}

/** Text or JSON, colour or not: text and colour on a terminal (colour unless NO_COLOR is set), JSON elsewhere. */
export function consoleStyle(tty: boolean, env: NodeJS.ProcessEnv, options: Pick<LoggerOptions, 'consoleFormat' | 'colour'> = {}): { text: boolean; colour: boolean } {
  const text = (options.consoleFormat ?? (tty ? 'text' : 'json')) === 'text';
  return { text, colour: text && (options.colour ?? (tty && !env.NO_COLOR)) };
}

/**
 * The daemon's logger, secrets redacted: JSON lines to `logs/tmon.log` (rotated by size when
 * `maxSizeBytes` is given, see log-file.ts), and to the console as JSON or as text lines.
 */
export function createLogger(options: LoggerOptions = {}): winston.Logger {
  const transports: winston.transport[] = [];
  if (options.logsDir) {
    mkdirSync(options.logsDir, { recursive: true });
    const filename = join(options.logsDir, 'tmon.log');
    transports.push(
      options.maxSizeBytes
        ? new RotatingFile({ filename, maxSizeBytes: options.maxSizeBytes, maxFiles: options.maxFiles ?? 5 })
        : new winston.transports.File({ filename }),
    );
  }
  if (options.console !== false) {
    const { text, colour } = consoleStyle(process.stderr.isTTY === true, process.env, options);
    transports.push(
      new winston.transports.Console({
        stderrLevels: ['error', 'warn', 'info', 'debug'],
        ...(text ? { format: winston.format.printf((info) => textLine(info, colour)) } : {}),
      }),
    );
  }
  return winston.createLogger({
    level: options.level ?? 'info',
    format: winston.format.combine(redactFormat(), winston.format.timestamp(), winston.format.json()),
    transports,
  });
}

/** A logger that drops everything, for tools that have nowhere to log. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
