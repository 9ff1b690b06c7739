import { closeSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import winston from 'winston';

export interface RotatingFileOptions {
  filename: string;
  /** Rotate before a line would take the file past this many bytes. */
  maxSizeBytes: number;
  /** Files kept in all: tmon.log, then tmon1.log (the newest rotated), … */
  maxFiles: number;
}

const MESSAGE = Symbol.for('message');

/**
 * The log file, rotated by size. winston's own File transport can do this (maxsize, maxFiles,
 * tailable), but it loses entries logged in a burst while it rotates (winston#1655) and stops
 * writing for good after an entry larger than maxsize (winston#2354): a daemon that logs a burst
 * per batch would lose exactly the lines an operator needs. This one writes each line with one
 * synchronous write, so a line is never split or lost, and rotates between lines: tmon.log is
 * always the current file, tmon1.log the one before, and so on up to maxFiles in all.
 */
// winston's own base class for transports; its type is exported as `winston.transport`.
const TransportBase = (winston as unknown as { Transport: new () => winston.transport }).Transport;

export class RotatingFile extends TransportBase {
  private fd: number;
  private size: number;
  private readonly stem: string;
  private readonly ext: string;

  constructor(private readonly options: RotatingFileOptions) {
    super();
    this.ext = extname(options.filename);
    this.stem = join(dirname(options.filename), basename(options.filename, this.ext));
    this.fd = openSync(options.filename, 'a', 0o640);
    // After a restart the file goes on where it was, and rotates when it is full.
    this.size = fstatSync(this.fd).size;
  }

  private nth(n: number): string {
    return n === 0 ? this.options.filename : `${this.stem}${n}${this.ext}`;
  }

  private rotate(): void {
    closeSync(this.fd);
    const last = this.options.maxFiles - 1;
    rmSync(this.nth(last), { force: true });
    for (let n = last - 1; n >= 0; n--) {
      try {
        renameSync(this.nth(n), this.nth(n + 1));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    this.fd = openSync(this.options.filename, 'a', 0o640);
    this.size = 0;
  }

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    const line = Buffer.from(`${String(info[MESSAGE])}\n`);
    try {
      // A line larger than the limit still goes whole into a file of its own.
      if (this.size > 0 && this.size + line.length > this.options.maxSizeBytes) {
        if (this.options.maxFiles > 1) this.rotate();
        else {
          closeSync(this.fd);
          this.fd = openSync(this.options.filename, 'w', 0o640);
          this.size = 0;
        }
      }
      this.size += writeSync(this.fd, line);
    } catch (err) {
      // A full disk must not stop the daemon; the console still has the line.
      this.emit('warn', err);
    }
    next();
  }

  override close(): void {
    closeSync(this.fd);
  }
}
