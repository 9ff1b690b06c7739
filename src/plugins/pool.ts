import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Piscina } from 'piscina';
import { briefResult } from './brief.js';
import type { OutputLimits } from './output-limits.js';
import type { PluginFailure, RewriteManyTask, WorkerManyResult, WorkerResult, WorkerTask } from './messages.js';

export interface PoolOptions {
  threads: number;
  memoryMb: number;
  timeoutMs: number;
  limits: OutputLimits;
}

/**
 * Worker threads load JavaScript, not TypeScript: the worker is always the compiled one in
 * dist/, also when this file runs from src/ under the test runner.
 */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  const file = here.endsWith('.ts') ? join(dirname(here), '..', '..', 'dist', 'plugins', 'worker.js') : join(dirname(here), 'worker.js');
  if (!existsSync(file)) throw new Error(`plugin worker ${file} is missing: run npm run build`);
  return file;
}

/** How a run that never answered ended, decided by the error's code. */
function crashFailure(err: unknown, timedOut: boolean, timeoutMs: number): PluginFailure {
  if (timedOut) return { code: 'PLUGIN_TIMEOUT', message: `timed out after ${timeoutMs} ms` };
  const e = err as { code?: string; name?: string; message?: string };
  if (e?.code === 'ERR_WORKER_OUT_OF_MEMORY') return { code: 'PLUGIN_OUT_OF_MEMORY', message: 'ran out of memory (the heap limit is pluginMemoryMb)' };
  if (e?.name === 'DataCloneError') return { code: 'PLUGIN_BAD_OUTPUT', message: `returned something that is not plain data: ${e.message}` };
  return { code: 'PLUGIN_CRASHED', message: `crashed: ${e?.message ?? String(err)}` };
}

/**
 * The pool of plugin worker threads. A task runs only when a thread is free, so its time limit
 * counts its own run and not its wait in the queue; a task over its limit is aborted, which
 * makes Piscina stop that thread and start a fresh one. Every outcome comes back as a
 * `WorkerResult`: this never throws for anything a plugin does.
 */
export class PluginPool {
  private readonly piscina: Piscina;
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly options: PoolOptions) {
    // Piscina (its CommonJS entry, which its ES one wraps) is loaded with the first pool: the
    // daemon and the CLI import this module with the plugin host, most often with no JS plugin
    // to run, and loading it cost each of them ~10 ms of CPU.
    const { Piscina: Pool } = createRequire(import.meta.url)('piscina') as typeof import('piscina');
    this.piscina = new Pool({
      filename: workerFile(),
      minThreads: 1,
      maxThreads: options.threads,
      idleTimeout: 60_000,
      workerData: { limits: options.limits },
      // Between tasks a thread returns to its event loop instead of sleeping on Atomics, so that
      // whatever a call left scheduled runs then, before the next call's reset of the globals,
      // and not in the middle of the next call.
      atomics: 'disabled',
      resourceLimits: {
        maxOldGenerationSizeMb: options.memoryMb,
        maxYoungGenerationSizeMb: Math.max(4, Math.floor(options.memoryMb / 4)),
      },
    });
  }

  private async slot(): Promise<void> {
    if (this.running < this.options.threads) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }

  async run(task: Exclude<WorkerTask, RewriteManyTask>): Promise<WorkerResult> {
    const r = await this.submit(task, this.options.timeoutMs);
    const one = 'error' in r && !('logs' in r) ? { ok: false as const, error: r.error, logs: [] } : (r as WorkerResult);
    return task.kind === 'rewrite' && task.brief ? briefResult(task.input, one) : one;
  }

  /**
   * Several rewrites in one task, under the limit of one call: a batch that takes longer, or a
   * worker that dies, is answered with a failure, and the caller runs the items one by one.
   */
  async runMany(task: RewriteManyTask): Promise<WorkerManyResult> {
    const r = await this.submit(task, this.options.timeoutMs);
    if (!r.ok) return { ok: false, error: r.error };
    const many = r as WorkerManyResult;
    if (!task.brief || !many.ok) return many;
    return { ok: true, results: many.results.map((one, i) => briefResult(task.items[i]!.input, one)) };
  }

  private async submit(task: WorkerTask, timeoutMs: number): Promise<WorkerResult | WorkerManyResult> {
    await this.slot();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    try {
      return (await this.piscina.run(task, { signal: controller.signal })) as WorkerResult | WorkerManyResult;
    } catch (err) {
      return { ok: false, error: crashFailure(err, timedOut, timeoutMs) };
    } finally {
      clearTimeout(timer);
      this.release();
    }
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
