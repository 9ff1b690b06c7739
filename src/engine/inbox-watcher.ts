import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from '../log.js';

/**
 * The inbox folder's watcher: it tells a new batch file by its name (`onArrival`), and anything
 * it cannot name (`onChange`: the folder is to be listed). The inbox's own removals and renames
 * (stored, refused, put back) and writers' dot-files are no arrivals. A watcher can fail to
 * start or fail later (inotify's limits, say): `working` then says so, and the inbox's timer
 * sweeps the folder as asked instead of relying on it.
 */
export class InboxWatcher {
  private watcher: FSWatcher | undefined;
  /** Names this inbox removed, whose events are not arrivals (bounded, in case an event never comes). */
  private readonly removed = new Set<string>();
  working = false;

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
    private readonly onArrival: (name: string) => void,
    private readonly onChange: () => void,
  ) {}

  start(): void {
    try {
      this.watcher = watch(this.dir, (_event, file) => {
        const name = typeof file === 'string' ? file : undefined;
        if (name && (name.startsWith('.') || this.removed.delete(name))) return;
        if (name?.endsWith('.kvg')) this.onArrival(name);
        else this.onChange();
      });
      this.watcher.on('error', (err) => {
        this.working = false;
        this.logger.warn(`inbox watcher: ${err.message}; sweeping only`);
      });
      this.working = true;
    } catch (err) {
      this.logger.warn(`inbox watcher: ${(err as Error).message}; sweeping only`);
    }
  }

  /** The inbox removes or renames this name: its event is no arrival. */
  removing(name: string): void {
    if (this.removed.size > 10_000) this.removed.clear();
    this.removed.add(name);
  }

  close(): void {
    this.watcher?.close();
    this.working = false;
  }
}
