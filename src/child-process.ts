import { spawn } from 'node:child_process';

export interface ProcessRun {
  command: string;
  args: string[];
  input: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** Output beyond this stops the process: a runaway program must not fill memory. */
  maxOutputBytes?: number;
}

export interface ProcessOutcome {
  /** Why tmon stopped it, or why it never ran; undefined when it ran to its own end. */
  stopped?: { reason: 'timeout' | 'output' | 'spawn'; message: string };
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** Callers that do not say (connectors, triggers) get this bound on what a program may print. */
const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;
const MAX_STDERR = 64 * 1024;
/** Environment variables a child inherits; everything else of tmon's is withheld. */
const PASSED_THROUGH = ['PATH', 'LANG', 'LC_ALL', 'TZ', 'SYSTEMROOT'];

/** A minimal environment, plus the variables given. */
export function minimalEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of PASSED_THROUGH) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return { ...env, ...extra };
}

/** The last part of a program's stderr, for a one-line message. */
export function stderrTail(text: string, max = 500): string {
  const t = text.trim().replace(/\s*\n\s*/g, ' | ');
  return t.length > max ? `…${t.slice(-max)}` : t;
}

/**
 * Runs a program with `input` on stdin and collects what it writes. It runs in its own process
 * group, so that a time-out stops it and everything it started. Never rejects.
 */
export function runProcess(run: ProcessRun): Promise<ProcessOutcome> {
  const maxOutput = run.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(run.command, run.args, { env: run.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    } catch (e) {
      resolve({ stopped: { reason: 'spawn', message: `cannot start: ${(e as Error).message}` }, exitCode: null, signal: null, stdout: Buffer.alloc(0), stderr: '' });
      return;
    }
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let stopped: ProcessOutcome['stopped'];
    let settled = false;

    const stop = (why: NonNullable<ProcessOutcome['stopped']>): void => {
      stopped ??= why;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => stop({ reason: 'timeout', message: `timed out after ${run.timeoutMs} ms` }), run.timeoutMs);
    const finish = (o: ProcessOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    };

    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > maxOutput) stop({ reason: 'output', message: `wrote more than ${maxOutput} bytes` });
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < MAX_STDERR) err += chunk.toString('utf8');
    });
    child.on('error', (e) => {
      finish({ stopped: { reason: 'spawn', message: `cannot start: ${e.message}` }, exitCode: null, signal: null, stdout: Buffer.alloc(0), stderr: err });
    });
    child.on('close', (exitCode, signal) => {
      finish({ ...(stopped ? { stopped } : {}), exitCode, signal, stdout: Buffer.concat(out), stderr: err });
    });
    // A program may exit without reading its input; that is its business, not an error here.
    child.stdin.on('error', () => {});
    child.stdin.end(run.input);
  });
}
