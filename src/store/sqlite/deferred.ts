import type { Database } from 'better-sqlite3';

/** The longest writes are left uncommitted when nobody commits them (a safety net, not a policy). */
const DEFER_MAX_MS = 50;

/**
 * Writes that may wait for the next commit: the simulated directory's (they commit with the
 * result of the action that made them, one transaction and one disk flush for both) and, when the
 * engine asks for it, a whole turn's (`TickInput.defer`). They are made inside one outer
 * transaction (BEGIN IMMEDIATE: the write lock is taken at once, so no write in it can fail for a
 * snapshot another process moved) that the next ordinary transaction of the connection commits
 * with its own, or `commit()`, or at the latest a timer.
 *
 * Every `db.transaction(...)` of the store goes through the wrapper the constructor installs: at
 * the top level, it commits what was deferred together with its own writes, so that every Store
 * method still returns durable; inside `hold`, it stays a savepoint of the outer transaction. A
 * single statement run outside any transaction while writes are deferred (the heartbeat, say)
 * joins them and commits with them.
 */
export class DeferredCommit {
  private open = false;
  private depth = 0;
  private holding = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly db: Database) {
    // One transaction function for the connection, made once: better-sqlite3 builds four
    // wrapped variants per `transaction(fn)` call, which cost more than a small turn's SQL when
    // made for every call (~200k per 100k actions). Nesting (savepoints) is decided per call.
    const tx = db.transaction((fn: (...args: unknown[]) => unknown, args: unknown[]) => fn(...args));
    // Every transaction of the store commits what was deferred (see above).
    (db as { transaction: Database['transaction'] }).transaction = ((fn: (...args: unknown[]) => unknown) => {
      return (...args: unknown[]) => {
        this.depth++;
        let out: unknown;
        try {
          out = tx(fn, args);
        } finally {
          this.depth--;
        }
        if (this.depth === 0 && this.holding === 0) this.commit();
        return out;
      };
    }) as Database['transaction'];
  }

  /** Whether writes are waiting for a commit. */
  get pending(): boolean {
    return this.open;
  }

  /** Runs `fn` with its writes left for a later commit (opening the outer transaction if needed). */
  hold<T>(fn: () => T): T {
    if (!this.db.inTransaction) {
      this.db.exec('BEGIN IMMEDIATE');
      this.open = true;
      this.arm();
    }
    this.holding++;
    try {
      return fn();
    } finally {
      this.holding--;
    }
  }

  private arm(): void {
    this.timer = setTimeout(() => {
      try {
        this.commit();
      } catch {
        // Tried again a moment later: the writes stay in the open transaction meanwhile.
        if (this.open) this.arm();
      }
    }, DEFER_MAX_MS);
    this.timer.unref();
  }

  /** Commits what was deferred (one disk flush). Nothing to do when nothing waits. */
  commit(): void {
    if (!this.open || this.depth > 0 || this.holding > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.open = false;
    try {
      if (this.db.inTransaction) this.db.exec('COMMIT');
    } catch (err) {
      // A failed commit (the disk, say) leaves the transaction open: it is committed later.
      this.open = this.db.inTransaction;
      throw err;
    }
  }
}
