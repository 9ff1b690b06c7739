import type { Reply } from '../store/index.js';

/**
 * Wakes readers of the replies feed when replies are committed. It holds no replies: the store
 * is the source, and a reader asks it again when woken, so a notification missed or doubled
 * changes nothing but latency.
 */
export class ReplyFeed {
  /** The highest seq notified in this run (0 before any). */
  private newest = 0;
  private waiters = new Set<{ after: number; wake: () => void }>();
  private closed = false;

  /** Called with replies once they are committed. */
  notify(replies: readonly Reply[]): void {
    for (const r of replies) if (r.seq > this.newest) this.newest = r.seq;
    for (const w of [...this.waiters]) if (this.newest > w.after) w.wake();
  }

  /** Newest seq committed in this run, as far as the feed was told. */
  get newestSeq(): number {
    return this.newest;
  }

  /**
   * Resolves when a reply after `after` was committed, when `timeoutMs` passed, when `signal`
   * aborts, or when the feed closes, whichever is first. Says which.
   */
  wait(after: number, timeoutMs: number, signal?: AbortSignal): Promise<'replies' | 'timeout' | 'closed'> {
    if (this.closed || signal?.aborted) return Promise.resolve('closed');
    // Told of one since the caller looked: no need to wait.
    if (this.newest > after) return Promise.resolve('replies');
    return new Promise((resolve) => {
      const done = (why: 'replies' | 'timeout' | 'closed'): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', aborted);
        this.waiters.delete(waiter);
        resolve(why);
      };
      const aborted = (): void => done('closed');
      const waiter = { after, wake: () => done(this.closed ? 'closed' : 'replies') };
      const timer = setTimeout(() => done('timeout'), timeoutMs);
      signal?.addEventListener('abort', aborted, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** Releases every reader (the server is closing). */
  close(): void {
    this.closed = true;
    for (const w of [...this.waiters]) w.wake();
  }

  get readers(): number {
    return this.waiters.size;
  }
}
