/**
 * Work under way, as the engine and the trigger runner both keep it: how much, and a way to wait
 * for all of it with a limit. One place, so that both stop the same way.
 */
export class InFlight {
  private readonly work = new Set<Promise<void>>();
  /** Slots taken (a task may hold several). */
  count = 0;

  /** Holds `slots` until `task` settles, then calls `after` (to look for more work, say). */
  track(task: Promise<void>, slots = 1, after: () => void = () => {}): void {
    this.count += slots;
    const p = task.finally(() => {
      this.count -= slots;
      this.work.delete(p);
      after();
    });
    this.work.add(p);
  }

  /** Resolves true once everything under way has settled, false if `graceMs` passed first. */
  async drain(graceMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      Promise.all([...this.work]).then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    return drained;
  }
}

/** A wake-up at the next due time (a retry, a trigger run), re-armed as that time changes. */
export class DueTimer {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly wake: () => void) {}

  /** Wakes at `at` (ms since the epoch), or never when null. */
  arm(at: number | null, now: number = Date.now()): void {
    this.clear();
    if (at !== null) this.timer = setTimeout(this.wake, Math.max(0, at - now) + 5);
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
