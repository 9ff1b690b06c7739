/**
 * Runs `work` soon after `wake()`. A wake during a run asks for one more run after it, never
 * a second one at the same time, so callers may wake as often as they like; between two runs
 * the event loop has its turn. After the last run, `settled` is called (to arm a timer, say).
 */
export class WorkLoop {
  private running = false;
  private again = false;
  private stopped = false;

  constructor(
    private readonly work: () => Promise<void>,
    private readonly onError: (err: Error) => void,
    private readonly settled: () => Promise<void> | void = () => {},
  ) {}

  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    setImmediate(() => void this.run());
  }

  private async run(): Promise<void> {
    try {
      for (;;) {
        this.again = false;
        await this.work();
        if (!this.again || this.stopped) break;
        // A run over a synchronous store settles in microtasks: without this, one loop that is
        // always woken again (an engine draining a backlog) would keep the event loop from file
        // events, timers and other loops for as long as the backlog lasts.
        await new Promise((resolve) => setImmediate(resolve));
        if (this.stopped) break;
      }
    } catch (err) {
      this.onError(err as Error);
    } finally {
      this.running = false;
    }
    try {
      await this.settled();
    } catch (err) {
      this.onError(err as Error);
    }
  }

  /** A run is under way or about to start. */
  get busy(): boolean {
    return this.running;
  }

  stop(): void {
    this.stopped = true;
  }
}
