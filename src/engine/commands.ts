import type { Logger } from '../log.js';
import { applyCommand, commandMeta, type CommandOutcome, type OperatorCommand, type OperatorResult, type Store, type StoreCommand } from '../store/index.js';
import type { Engine } from './engine.js';
import type { Retention } from './retention.js';


/** What the daemon adds to the runner: retention for `purge`, its config reload for `reload`. */
export interface DaemonCommands {
  retention?: Retention;
  reload?: () => Promise<CommandOutcome>;
}

/**
 * How often the daemon looks for operators' commands: well under the second an operator waits.
 * The CLI also rings the daemon when it queues one (src/command-wake.ts), which is then applied
 * at once; the poll is the fallback for a missed ring.
 */
export const COMMAND_POLL_MS = 250;

/**
 * Applies operators' commands (retry, cancel) inside the running daemon, so that what they set
 * off — replies to the outbox, trigger runs, newly runnable work — follows at once and with the
 * daemon's own settings. The CLI queues commands in the store; the HTTP API calls `apply`.
 */
export class CommandRunner {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  /** Rung while a poll ran: that poll may have read the queue before the new command was in it. */
  private again = false;

  constructor(
    private readonly store: Store,
    private readonly engine: Engine,
    private readonly logger: Logger,
    private readonly daemon: DaemonCommands = {},
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), COMMAND_POLL_MS);
  }

  /** Looks for queued commands now (the CLI rang), rather than at the next poll. */
  wake(): void {
    void this.poll();
  }

  /** Carries out one command now. */
  async apply(command: StoreCommand): Promise<OperatorResult> {
    const result = await applyCommand(this.store, command);
    if (result.ok) {
      await this.engine.absorb(result.effects);
      this.engine.wake();
      this.logger.info(`operator ${command.kind}: ${result.actions.length ? result.actions.join(', ') : 'nothing'}`, commandMeta(command));
    }
    return result;
  }

  /** A purge or a config reload, queued by `tmon purge` / `tmon reload`. */
  private async applyDaemon(command: Extract<OperatorCommand, { kind: 'purge' | 'reload' }>): Promise<CommandOutcome> {
    if (command.kind === 'reload') return this.daemon.reload ? this.daemon.reload() : { ok: false, reason: 'this daemon cannot reload its config' };
    if (!this.daemon.retention) return { ok: false, reason: 'this daemon does not purge' };
    const purge = await this.daemon.retention.olderThan(command.olderThanMs, command.dryRun);
    return { ok: true, actions: purge.batches, purge };
  }

  private async poll(): Promise<void> {
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    try {
      do {
        this.again = false;
        await this.applyPending();
      } while (this.again);
    } catch (err) {
      this.logger.error(`operator commands: ${(err as Error).message}`);
    } finally {
      this.busy = false;
    }
  }

  private async applyPending(): Promise<void> {
    for (const c of await this.store.pendingCommands()) {
      let outcome: CommandOutcome;
      try {
        if (c.command.kind === 'purge' || c.command.kind === 'reload') outcome = await this.applyDaemon(c.command);
        else {
          const r = await this.apply(c.command);
          outcome = r.ok ? { ok: true, actions: r.actions } : r;
        }
      } catch (err) {
        outcome = { ok: false, reason: `the daemon could not apply it: ${(err as Error).message}` };
        this.logger.error(`operator ${c.command.kind}: ${(err as Error).message}`, commandMeta(c.command));
      }
      await this.store.finishCommand(c.id, outcome);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
