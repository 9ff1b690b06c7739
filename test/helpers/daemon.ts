import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { getValue, parseKvg } from '../../src/kvgroup/index.js';
import { tempDir } from './home.js';
import { join } from 'node:path';
import { TMON } from './cli.js';

export interface DaemonProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves once the daemon says it has started (its signal handlers are in place by then). */
  started: () => Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns the real `tmon daemon` (the built one, as `npm start` does). */
export function spawnDaemon(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): DaemonProcess {
  const child = spawn(process.execPath, [TMON, ...args, 'daemon'], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  // Settled by the output itself (no polling): the line that says it started, or its exit.
  let onStarted: () => void = () => undefined;
  const startedLine = new Promise<void>((resolve) => (onStarted = resolve));
  const collect = (d: Buffer) => {
    out += d.toString();
    if (out.includes('tmon daemon started')) onStarted();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  // 'close' (not 'exit'): by then all its output is in, so an exit right after the line still counts as started.
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const started = async (): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for the daemon to start: ${out}`)), 30_000)));
    try {
      await Promise.race([startedLine, closed.then(() => (out.includes('tmon daemon started') ? undefined : Promise.reject(new Error(`daemon exited: ${out}`)))), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  return { child, output: () => out, exited, started };
}

/** Drops a batch file into an inbox the way a writer must: a dot-file renamed into place. */
export function dropIntoInbox(inbox: string, name: string, text: string): void {
  const tmp = join(inbox, `.${name}.part`);
  writeFileSync(tmp, text);
  renameSync(tmp, join(inbox, name));
}

/** Polls `check` until it returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const exists = (path: string): boolean => existsSync(path);

/** Every reply group in an outbox folder, files in name order: what a workflow manager reads. */
export function outboxReplies(dir: string): Array<{ file: string; replyid: string; seq: number; status: string }> {
  return readdirSync(dir)
    .filter((f) => !f.startsWith('.'))
    .sort()
    .flatMap((file) =>
      parseKvg(readFileSync(join(dir, file), 'utf8')).map((g) => ({ file, replyid: getValue(g, 'replyid') ?? '', seq: Number(getValue(g, 'seq')), status: getValue(g, 'status') ?? '' })),
    );
}

/**
 * A fresh temporary folder for each test of the suite, and the daemons it spawned killed
 * (SIGKILL) after it, whatever the test's outcome. Call inside `describe`.
 */
export function daemonTestFolders(): { dir: () => string; track: (d: DaemonProcess) => DaemonProcess } {
  let dir: { path: string; cleanup: () => void } | undefined;
  const daemons: DaemonProcess[] = [];
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    for (const d of daemons.splice(0)) {
      if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
      await d.exited;
    }
    dir?.cleanup();
  });
  return { dir: () => dir!.path, track: (d) => (daemons.push(d), d) };
}

/**
 * A script target that holds every action until the test opens the gate (creates the file
 * `gate`), so actions stay unfinished as long as a test needs; `before` runs first (a shell line).
 */
export function gatedScript(dir: string, before = ''): { script: string; gate: string } {
  const gate = join(dir, 'gate');
  const script = join(dir, 'gated.sh');
  writeFileSync(script, `#!/bin/sh\n${before}\nwhile [ ! -e "${gate}" ]; do sleep 0.05; done\nexit 0\n`);
  chmodSync(script, 0o755);
  return { script, gate };
}
