import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { hasCode } from '../errors.js';
import type { Logger } from '../log.js';
import { shown } from './inbox-refusal.js';

/**
 * Files this daemon has taken from the inbox. Before a file is read it is renamed into a folder
 * of this daemon's own inside the inbox (`.taken-<tag>/`, where the listing never looks): the
 * rename is atomic, so when several daemons share one inbox folder exactly one of them gets
 * each file, and the others find it gone. A file stored is removed from there; one refused
 * moves on to `rejected/`; one left for later (no room yet, a passing error) goes back.
 *
 * The tag is the daemon's machine and home, the same after a restart: files a daemon held when
 * it died are put back into the inbox when it starts again.
 */
export class InboxClaims {
  readonly dir: string;

  constructor(
    private readonly inbox: string,
    home: string,
    private readonly logger: Logger,
  ) {
    const tag = createHash('sha256').update(`${hostname()}\0${home}`).digest('hex').slice(0, 12);
    this.dir = join(inbox, `.taken-${tag}`);
    mkdirSync(this.dir, { recursive: true });
  }

  /** Where a taken file is. */
  pathOf(name: string): string {
    return join(this.dir, name);
  }

  /**
   * Takes `name` (true), or not (false): gone (another daemon took it, or its writer did), or a
   * file-system error, logged (the next sweep tries again).
   */
  claim(name: string): boolean {
    try {
      renameSync(join(this.inbox, name), this.pathOf(name));
      return true;
    } catch (err) {
      if (!hasCode(err, 'ENOENT')) this.logger.error(`inbox: cannot take ${shown(name)}: ${(err as Error).message}; will try again`, { file: name });
      return false;
    }
  }

  /** Puts a taken file back into the inbox, for later or for another daemon (a failure is logged). */
  release(name: string): void {
    try {
      renameSync(this.pathOf(name), join(this.inbox, name));
    } catch (err) {
      this.logger.error(`inbox: cannot put ${shown(name)} back into the inbox: ${(err as Error).message}`, { file: name });
    }
  }

  /** At start: what a previous run held goes back into the inbox. Returns the names. */
  recover(): string[] {
    const names = readdirSync(this.dir).filter((n) => n.endsWith('.kvg') && !n.startsWith('.'));
    for (const n of names) this.release(n);
    return names;
  }
}
