import type { Config, TriggerConfig } from '../config/index.js';
import type { Logger } from '../log.js';
import { minimalEnv, runProcess, stderrTail } from '../child-process.js';
import type { Store, TriggerPayload, TriggerRun } from '../store/index.js';
import { DueTimer, InFlight } from '../in-flight.js';
import { WorkLoop } from '../work-loop.js';
import { renderPayload } from './payload.js';

export interface ScriptOutcome {
  ok: boolean;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Why it failed, in one line. */
  error?: string;
}

/** Runs a trigger's script once with the event on stdin. Never throws. */
export async function runTriggerScript(trigger: TriggerConfig, event: TriggerPayload, attempt: number): Promise<ScriptOutcome> {
  const r = await runProcess({
    command: trigger.script,
    args: trigger.args,
    input: renderPayload(event, trigger.format),
    env: minimalEnv({ TMON_EVENT: event.type, TMON_TRIGGER: trigger.name, TMON_ATTEMPT: String(attempt), TMON_FORMAT: trigger.format }),
    timeoutMs: trigger.timeoutMs,
  });
  const stdout = r.stdout.toString('utf8');
  if (r.stopped) return { ok: false, exitCode: null, stdout, stderr: r.stderr, error: r.stopped.message };
  if (r.exitCode !== 0) {
    const tail = stderrTail(r.stderr);
    return { ok: false, exitCode: r.exitCode, stdout, stderr: r.stderr, error: `${r.signal ? `was killed by ${r.signal}` : `exited with code ${r.exitCode}`}${tail ? `: ${tail}` : ''}` };
  }
  return { ok: true, exitCode: 0, stdout, stderr: r.stderr };
}

/**
 * Runs queued trigger runs, off the engine's path: its own timer, at most
 * `triggerConcurrency` scripts at once, each tried again after the configured waits while it
 * exits non-zero, cannot start or overruns its time; the last failure goes to the message
 * board. The runs live in the store, so a restart resumes the unfinished and never repeats the
 * finished.
 */
export class TriggerRunner {
  private readonly byName: Map<string, TriggerConfig>;
  private stopped = false;
  private readonly timer: DueTimer;
  private readonly loop: WorkLoop;
  private readonly inflight = new InFlight();

  constructor(
    private readonly store: Store,
    private readonly config: Config,
    private readonly logger: Logger,
  ) {
    this.byName = new Map(config.triggers.map((t) => [t.name, t]));
    this.timer = new DueTimer(() => this.wake());
    this.loop = new WorkLoop(
      async () => {
        const free = this.config.triggerConcurrency - this.inflight.count;
        if (free > 0 && !this.stopped) for (const run of await this.store.claimTriggerRuns(Date.now(), free)) this.launch(run);
      },
      (err) => this.logger.error(`triggers: ${err.message}`),
      async () => this.timer.arm(this.stopped ? null : await this.store.nextTriggerAt()),
    );
  }

  /** Takes the triggers of a reloaded config (the same object, changed in place). */
  refresh(): void {
    this.byName.clear();
    for (const t of this.config.triggers) this.byName.set(t.name, t);
  }

  async start(): Promise<void> {
    const resumed = await this.store.recoverTriggerRuns();
    if (resumed > 0) this.logger.info(`${resumed} trigger run(s) were under way when tmon stopped; they run again`);
    this.wake();
  }

  wake(): void {
    if (!this.stopped) this.loop.wake();
  }

  /**
   * Told of committed events: they can have queued a run only if some trigger is configured, so
   * with none the store is not asked (under load, an ask per turn cost a transaction each). Runs
   * left from before (a restart, a trigger since removed) are `start`'s and the due timer's.
   */
  wakeFor(events: readonly unknown[]): void {
    if (events.length > 0 && this.config.triggers.length > 0) this.wake();
  }

  private launch(run: TriggerRun): void {
    this.inflight.track(this.execute(run), 1, () => this.wake());
  }

  private async execute(run: TriggerRun): Promise<void> {
    const trigger = this.byName.get(run.trigger);
    const meta = { trigger: run.trigger, event: run.event, ...(run.payload.batch ? { batch: run.payload.batch } : {}), ...(run.payload.action ? { action: run.payload.action } : {}) };
    if (!trigger) {
      // Its trigger was removed from the config since the run was queued.
      await this.store.finishTriggerRun(run.id, { ok: false, error: 'no such trigger in the config any more', retryAt: null });
      return;
    }
    const delays = this.config.triggerRetryDelaysMs;
    const out = await runTriggerScript(trigger, run.payload, run.attempts);
    if (out.ok) {
      await this.store.finishTriggerRun(run.id, { ok: true });
      this.logger.info(`trigger ${trigger.name} ran for ${run.event}`, meta);
      return;
    }
    const tries = delays.length + 1;
    if (run.attempts < tries) {
      const wait = delays[run.attempts - 1] ?? 0;
      this.logger.warn(`trigger ${trigger.name}: try ${run.attempts} of ${tries} ${out.error}; again in ${wait} ms`, meta);
      await this.store.finishTriggerRun(run.id, { ok: false, error: out.error!, retryAt: Date.now() + wait });
      return;
    }
    await this.store.finishTriggerRun(run.id, { ok: false, error: out.error!, retryAt: null });
    const text = `trigger ${trigger.name} (${run.event}) failed ${tries} times; last: ${out.error}`;
    this.logger.error(text, meta);
    await this.store.postMessage({ level: 'error', source: 'trigger', batch: run.payload.batch, action: run.payload.action ?? null, text });
  }

  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    this.loop.stop();
    this.timer.clear();
    await this.inflight.drain(graceMs);
  }
}
