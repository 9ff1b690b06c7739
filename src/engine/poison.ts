import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Files at least this large are marked while they are read: only they can exhaust the heap. */
export const MARK_BYTES = 64 * 1024;

/**
 * The inbox's poison breaker: a file that killed the daemon while it was read (its heap, say)
 * would kill it again at every start. Before a large file is read, its name is written to a
 * marker; a marker found at start names the file the daemon died on, and a file that did so
 * twice is refused unread, so a restart always makes progress. Both files are dot-files in the
 * inbox, which the inbox never takes as batches.
 */
export class PoisonBreaker {
  private readonly marker: string;
  private readonly tally: string;
  private crashes: Record<string, number> = {};
  /** The file the previous run died on, if any. */
  readonly diedOn: string | undefined;

  constructor(dir: string) {
    this.marker = join(dir, '.tmon-reading');
    this.tally = join(dir, '.tmon-crashes.json');
    try {
      this.crashes = JSON.parse(readFileSync(this.tally, 'utf8')) as Record<string, number>;
    } catch {
      // None yet, or unreadable: start counting afresh.
    }
    let name: string | undefined;
    try {
      name = readFileSync(this.marker, 'utf8') || undefined;
    } catch {
      // No marker: the previous run did not die while reading a file.
    }
    this.diedOn = name;
    if (name) {
      this.crashes[name] = (this.crashes[name] ?? 0) + 1;
      this.save();
      rmSync(this.marker, { force: true });
    }
  }

  private save(): void {
    writeFileSync(this.tally, JSON.stringify(this.crashes));
  }

  /** How many runs died while reading this file. */
  crashesOn(name: string): number {
    return this.crashes[name] ?? 0;
  }

  /** About to read a file of `size` bytes. */
  reading(name: string, size: number): void {
    if (size >= MARK_BYTES) writeFileSync(this.marker, name);
  }

  /** Done reading it (taken, refused or left for later): the marker goes. */
  read(size: number): void {
    if (size >= MARK_BYTES) rmSync(this.marker, { force: true });
  }

  /** The file left the inbox: its count goes too. */
  forget(name: string): void {
    if (this.crashes[name] === undefined) return;
    delete this.crashes[name];
    this.save();
  }
}
