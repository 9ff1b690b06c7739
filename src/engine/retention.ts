import type { Config } from '../config/index.js';
import type { Logger } from '../log.js';
import type { PurgeReport, Store } from '../store/index.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** The daemon purges once an hour, and once soon after start (config firstPurgeMs; not at once: recovery comes first). */
export const PURGE_EVERY_MS = 60 * 60 * 1000;

/** One line for the log and the CLI: what a purge removed, or would. */
export function purgeSummary(r: PurgeReport, dryRun = false): string {
  const verb = dryRun ? 'would remove' : 'removed';
  const held = r.held.length ? `; kept ${r.held.length} finished batch(es) still needed (${r.held.join(', ')})` : '';
  return `${verb} ${r.batches.length} batch(es), ${r.actions} action(s), ${r.replies} reply(ies), ${r.messages} message(s), ${r.triggerRuns} trigger run(s), ${r.commands} command(s)${held}`;
}

/**
 * Retention in the daemon: purges what `retention` says is old enough, hourly. It reads the
 * config at each purge, so a reload's new retention applies from the next one.
 */
export class Retention {
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const tick = (): void => {
      void this.byConfig().catch((err: Error) => this.logger.error(`retention: ${err.message}`));
      this.timer = setTimeout(tick, PURGE_EVERY_MS);
    };
    this.timer = setTimeout(tick, this.config.firstPurgeMs);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  /** The scheduled purge: batches and messages by their own retention. */
  async byConfig(now = Date.now()): Promise<PurgeReport> {
    const { batchesDays, messagesDays } = this.config.retention;
    return this.run({ batchesBefore: now - batchesDays * DAY_MS, messagesBefore: now - messagesDays * DAY_MS }, false);
  }

  /** An operator's purge (`tmon purge --older-than`): one age for everything. */
  async olderThan(ms: number, dryRun: boolean, now = Date.now()): Promise<PurgeReport> {
    return this.run({ batchesBefore: now - ms, messagesBefore: now - ms }, dryRun);
  }

  /** One purge at a time: the hourly one and an operator's never overlap. */
  private run(cut: { batchesBefore: number; messagesBefore: number }, dryRun: boolean): Promise<PurgeReport> {
    const next = this.busy.then(async () => {
      const r = await this.store.purge(cut, { dryRun });
      const any = dryRun || r.batches.length || r.messages || r.triggerRuns || r.commands || r.held.length;
      // An hourly purge that found nothing is said only at debug level.
      (any ? this.logger.info : this.logger.debug).call(this.logger, `purge: ${purgeSummary(r, dryRun)}`);
      return r;
    });
    this.busy = next.catch(() => undefined);
    return next;
  }
}
