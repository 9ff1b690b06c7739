import { spawn } from 'node:child_process';
import { parseKvg, type KvGroup } from '../kvgroup/index.js';
import type { PluginFailure } from './messages.js';

export interface ExecutableRun {
  /** The program and its arguments: the plugin itself, or its interpreter and the plugin. */
  command: string;
  args: string[];
  input: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** Output beyond this is refused (and the process stopped): a runaway plugin must not fill memory. */
  maxOutputBytes?: number;
}

export type ExecutableResult = ({ ok: true; output: KvGroup } | { ok: false; error: PluginFailure }) & { stderr: string };

const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;
/** Environment variables an executable plugin inherits; everything else is withheld. */
const PASSED_THROUGH = ['PATH', 'LANG', 'LC_ALL', 'TZ', 'SYSTEMROOT'];

/** The minimal environment of §3, plus the variables given. */
export function minimalEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of PASSED_THROUGH) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return { ...env, ...extra };
}

function tail(text: string, max = 500): string {
  const t = text.trim();
  return t.length > max ? `…${t.slice(-max)}` : t;
}

/**
 * Runs an executable plugin: the input document on stdin, the output document on stdout,
 * stderr kept for the log. It runs in its own process group so that a time-out stops it
 * and everything it started.
 */
export function runExecutable(run: ExecutableRun): Promise<ExecutableResult> {
  const maxOutput = run.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  return new Promise((resolve) => {
    const child = spawn(run.command, run.args, { env: run.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let stopped: PluginFailure | undefined;
    let settled = false;

    const stop = (why: PluginFailure): void => {
      stopped ??= why;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const finish = (result: ExecutableResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => stop({ code: 'PLUGIN_TIMEOUT', message: `timed out after ${run.timeoutMs} ms` }), run.timeoutMs);

    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > maxOutput) stop({ code: 'PLUGIN_BAD_OUTPUT', message: `wrote more than ${maxOutput} bytes` });
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < 256) err.push(chunk);
    });
    child.on('error', (e) => {
      finish({ ok: false, error: { code: 'PLUGIN_CRASHED', message: `cannot start: ${e.message}` }, stderr: '' });
    });
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8');
      if (stopped) return finish({ ok: false, error: stopped, stderr });
      if (code !== 0) {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        const said = tail(stderr);
        return finish({ ok: false, error: { code: 'PLUGIN_EXIT_NONZERO', message: `${how}${said ? `: ${said}` : ''}` }, stderr });
      }
      try {
        const doc = parseKvg(Buffer.concat(out).toString('utf8'), { source: 'stdout' });
        if (doc.length !== 1) {
          return finish({ ok: false, error: { code: 'PLUGIN_BAD_OUTPUT', message: `wrote ${doc.length} top-level groups, not one` }, stderr });
        }
        finish({ ok: true, output: doc[0]!, stderr });
      } catch (e) {
        finish({ ok: false, error: { code: 'PLUGIN_BAD_OUTPUT', message: `wrote text that does not parse: ${(e as Error).message}` }, stderr });
      }
    });
    // A plugin may exit without reading its input; that is its business, not an error here.
    child.stdin.on('error', () => {});
    child.stdin.end(run.input);
  });
}
