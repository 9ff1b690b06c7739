import type { Store } from '../store/index.js';

/** Past the budget, interactive batches still get in, up to this share of it more (at least the minimum). */
const INTERACTIVE_RESERVE = 0.1;
const INTERACTIVE_RESERVE_MIN = 100;
/** How long a count of unfinished actions is used before the store is asked again. */
const COUNT_MS = 250;
/**
 * While the budget is full, the sweep timer lists the folder only this often: nothing but
 * interactive work can be taken then, and a new file comes through the watcher. A listing of a
 * 100,000-file backlog every `sweepMs` cost CPU and a burst of garbage each time.
 */
const FULL_LISTING_MS = 10_000;

/**
 * The inbox's budget of unfinished actions (`maxPendingActions`): how many more it may take in
 * now, and how far past it interactive work may still go. The store's count is asked now and
 * then and counted up as batches are taken in between: counting is not free, and a backlog is
 * read a group at a time.
 */
export class InboxBudget {
  private open = { n: 0, at: 0 };

  constructor(
    private readonly store: Pick<Store, 'openActions'>,
    readonly limit: number = Number.POSITIVE_INFINITY,
    /** Told when the store cannot count (a database blip): the last count is used meanwhile. */
    private readonly onError: (err: Error) => void = () => {},
  ) {}

  private get bounded(): boolean {
    return this.limit !== Number.POSITIVE_INFINITY;
  }

  private async unfinished(): Promise<number> {
    if (Date.now() - this.open.at < COUNT_MS) return this.open.n;
    try {
      this.open = { n: await this.store.openActions(), at: Date.now() };
    } catch (err) {
      // Not a reason to stop taking files (nor to spin asking again): the last count stands.
      this.open = { n: this.open.n, at: Date.now() };
      this.onError(err as Error);
    }
    return this.open.n;
  }

  /**
   * Room for this many more actions (≤ 0: full), and for how many interactive ones: they get in
   * past the budget, but only so far (a sender that marks everything interactive must not defeat it).
   */
  async room(): Promise<{ room: number; reserve: number }> {
    if (!this.bounded) return { room: Number.POSITIVE_INFINITY, reserve: Number.POSITIVE_INFINITY };
    const room = this.limit - (await this.unfinished());
    return { room, reserve: room + Math.max(INTERACTIVE_RESERVE_MIN, Math.ceil(this.limit * INTERACTIVE_RESERVE)) };
  }

  /** Actions just taken in count against the budget until the store is asked again. */
  took(actions: number): void {
    this.open.n += actions;
  }

  /** Whether the sweep timer may skip listing the folder: full, and listed recently. */
  async maySkipListing(listedAt: number): Promise<boolean> {
    return this.bounded && Date.now() - listedAt < FULL_LISTING_MS && (await this.unfinished()) >= this.limit;
  }
}
