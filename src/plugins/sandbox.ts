import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log.js';
import { passwordsOf, redact } from '../redact.js';
import { minimalEnv } from '../child-process.js';
import { permissionFlag } from './permission.js';
import type { HostReply, HostRequest } from './host-protocol.js';
import type { PluginFailure, RewriteManyTask, WorkerManyResult, WorkerResult, WorkerTask } from './messages.js';
import type { PoolOptions } from './pool.js';
import { residentMb } from './resident.js';

export interface SandboxOptions extends PoolOptions {
  pluginsDir: string;
  /** The host is killed and restarted when its resident memory passes this. */
  hostMemoryMb: number;
}

/** How often the host's memory is read while calls are in flight. */
const WATCH_MS = 50;
/**
 * The host time-limits every task it runs, so while calls are pending it answers at least once
 * per pluginTimeoutMs; silent for that plus this grace, it is deemed stuck and replaced.
 */
const STUCK_GRACE_MS = 10_000;

type Result = WorkerResult | WorkerManyResult;
interface Pending {
  resolve: (r: Result) => void;
  task: WorkerTask;
  /** Already lost with a host once: a second loss is its answer. */
  retried: boolean;
  /** The passwords in the task's input, masked in whatever the host prints meanwhile. */
  secrets: Set<string>;
}
/** Finished calls whose passwords are still masked in host output (which may lag the answer). */
const RECENT = 32;

/** tmon's root: dist/plugins/ → ../.. (also from src/plugins/ under the test runner). */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function hostFile(): string {
  const file = join(ROOT, 'dist', 'plugins', 'host-process.js');
  if (!existsSync(file)) throw new Error(`plugin host ${file} is missing: run npm run build`);
  return file;
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * Node's permission model for the host: it may read the plugins folder, tmon's compiled code
 * and its node_modules (Piscina, and the KVGroup parser's Chevrotain), and start worker threads.
 * No file writes, no child processes, no native addons. One flag per path: Node 20.20 does not
 * split a comma-separated list.
 */
export function hostExecArgv(pluginsDir: string): string[] {
  // A folder is granted with everything under it only when written with a trailing slash.
  const readable = [`${real(pluginsDir)}/`, `${join(real(ROOT), 'dist')}/`, `${join(real(ROOT), 'node_modules')}/`, join(real(ROOT), 'package.json')];
  return [permissionFlag(), ...readable.map((p) => `--allow-fs-read=${p}`), '--allow-worker', '--no-warnings'];
}

/**
 * The daemon's side of the plugin host: a child process that runs the worker pool, started on
 * the first call and again after it dies. Every task comes back as a result, whatever the host
 * does: if it exits, is killed, or passes its memory limit, a fresh host is started and each
 * call it held runs once more, alone; a call lost a second time fails with a plugin error.
 */
export class PluginSandbox {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private watch: NodeJS.Timeout | undefined;
  /** When the host last answered, or was given work while idle. */
  private lastHeard = 0;
  /** The passwords of the last calls answered, still masked in host output that lags behind. */
  private recent: Array<Set<string>> = [];
  /** Calls lost with a host run again one at a time, so the one that kills it is told apart. */
  private retries: Promise<void> = Promise.resolve();
  private closed = false;
  /** Why tmon stopped the current host, when it did; read when it exits. */
  private stopReason: PluginFailure | undefined;
  /** Hosts started, and hosts that died or were killed with calls in flight. */
  readonly counts = { started: 0, lost: 0 };

  constructor(
    private readonly options: SandboxOptions,
    private readonly logger: Logger,
  ) {}

  run(task: Exclude<WorkerTask, RewriteManyTask>): Promise<WorkerResult> {
    return this.call(task).then((r) => ('logs' in r ? r : { ok: false, error: (r as { error: PluginFailure }).error, logs: [] }));
  }

  runMany(task: RewriteManyTask): Promise<WorkerManyResult> {
    return this.call(task) as Promise<WorkerManyResult>;
  }

  /** The host's process id, while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private call(task: WorkerTask, retried = false): Promise<Result> {
    const child = this.child ?? this.start();
    const id = this.nextId++;
    return new Promise<Result>((resolve) => {
      const inputs = task.kind === 'rewrite' ? [task.input] : task.kind === 'rewrite-many' ? task.items.map((i) => i.input) : [];
      this.pending.set(id, { resolve, task, retried, secrets: passwordsOf(...inputs) });
      if (this.pending.size === 1) {
        this.lastHeard = Date.now();
        this.hold(child, true);
      }
      child.send({ id, task } satisfies HostRequest, (err) => {
        // A host that died under the message: its exit runs this call again like the others it
        // held. One that lives on with a broken channel is killed, to the same effect.
        if (err && this.child === child && child.exitCode === null && child.signalCode === null) {
          this.kill({ code: 'PLUGIN_CRASHED', message: `crashed: the plugin host could not be reached (${err.message}); it was killed and is restarted` });
        }
      });
    });
  }

  private start(): ChildProcess {
    const { pluginsDir, hostMemoryMb: _, ...pool } = this.options;
    const child = fork(hostFile(), [JSON.stringify(pool)], {
      execArgv: hostExecArgv(pluginsDir),
      env: minimalEnv({}),
      cwd: '/',
      // Its own process group: a plugin's kill(0) or a group signal cannot reach the daemon.
      detached: true,
      serialization: 'json',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.counts.started++;
    this.child = child;
    this.stopReason = undefined;
    // What plugins print outside a call's console (process.stdout.write, load time) lands here.
    const relay = (chunk: Buffer): void => {
      const secrets = new Set([...this.pending.values()].flatMap((p) => [...p.secrets]).concat(this.recent.flatMap((r) => [...r])));
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.logger.info(redact(`plugin host: ${line.slice(0, 500)}`, secrets));
    };
    child.stdout!.on('data', relay);
    child.stderr!.on('data', relay);
    child.on('message', (reply: HostReply) => this.settle(reply.id, reply.result));
    child.on('error', (err) => this.logger.warn(`plugin host: ${err.message}`));
    child.on('exit', (code, signal) => this.lost(child, code, signal));
    this.hold(child, false);
    return child;
  }

  /** An idle host must not keep the daemon's event loop alive; a busy one must. */
  private hold(child: ChildProcess, busy: boolean): void {
    const channel = (child as ChildProcess & { channel?: { ref(): void; unref(): void } }).channel;
    if (busy) {
      child.ref();
      channel?.ref();
      this.watch ??= setInterval(() => this.check(), WATCH_MS);
    } else {
      child.unref();
      channel?.unref();
      clearInterval(this.watch);
      this.watch = undefined;
    }
  }

  private check(): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    if (Date.now() - this.lastHeard > this.options.timeoutMs + STUCK_GRACE_MS) {
      this.kill({ code: 'PLUGIN_CRASHED', message: 'crashed: the plugin host stopped answering; it was killed and is restarted' });
      return;
    }
    const mb = residentMb(pid);
    if (mb !== undefined && mb > this.options.hostMemoryMb) {
      this.kill({ code: 'PLUGIN_OUT_OF_MEMORY', message: `ran the plugin host past pluginHostMemoryMb (${Math.round(mb)} MB resident, limit ${this.options.hostMemoryMb}); the host was killed and is restarted` });
    }
  }

  private kill(reason: PluginFailure): void {
    if (!this.child) return;
    this.stopReason ??= reason;
    this.child.kill('SIGKILL');
  }

  private settle(id: number, result: Result): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    if (pending.secrets.size > 0) this.recent = [...this.recent.slice(1 - RECENT), pending.secrets];
    this.lastHeard = Date.now();
    if (this.pending.size === 0 && this.child) this.hold(this.child, false);
    pending.resolve(result);
  }

  private lost(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const error = this.stopReason ?? { code: 'PLUGIN_CRASHED', message: `crashed: the plugin host ${how}; it is restarted for the next call` };
    clearInterval(this.watch);
    this.watch = undefined;
    if (this.pending.size === 0) return;
    this.counts.lost++;
    this.logger.warn(`plugin host ${how} with ${this.pending.size} call(s) in flight: ${error.message}; each call runs once more, alone`);
    const lostCalls = [...this.pending.values()];
    this.pending.clear();
    // Calls that shared the host with the culprit did nothing wrong: each runs once more on its
    // own, so only the call that brings a host down a second time is answered with its failure.
    for (const p of lostCalls) {
      if (p.retried || this.closed) {
        p.resolve({ ok: false, error: { ...error, retried: true }, logs: [] });
        continue;
      }
      this.retries = this.retries
        .then(() => (this.closed ? { ok: false as const, error: { code: 'PLUGIN_CRASHED' as const, message: 'the plugin host was closed' }, logs: [] } : this.call(p.task, true)))
        .then(p.resolve, (err: Error) => p.resolve({ ok: false, error: { code: 'PLUGIN_CRASHED', message: `the plugin host could not be started: ${err.message}` }, logs: [] }));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    for (const id of [...this.pending.keys()]) this.settle(id, { ok: false, error: { code: 'PLUGIN_CRASHED', message: 'the plugin host was closed' }, logs: [] });
    clearInterval(this.watch);
    this.watch = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Closing the channel makes the host close its pool and exit on its own.
    child.disconnect();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }
}
