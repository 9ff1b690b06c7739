import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TMON = join(ROOT, 'bin', 'tmon.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Standard input (a child process then: the command reads the real stdin). */
  input?: string;
  /** Working directory (a child process then: a worker thread cannot change it). */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run bin/tmon.js as its own process, for tests of the process itself (exit status, streams, shell). */
  process?: boolean;
}

/**
 * Runs a `tmon` command and collects its output: the built CLI (dist/cli/main.js's `runCli`,
 * all bin/tmon.js does), as an operator would run it.
 *
 * Without `input`, `cwd` or `process`, the command runs in a worker thread that keeps the CLI
 * loaded between commands: a `tmon` process costs ~0.15 s of CPU to start, the suite runs a few
 * hundred commands, and the suite is CPU-bound on two cores. The command still goes through
 * the whole CLI (argument parsing, the store, the running daemon's command table); what only a
 * process has (the exit status, flushing of the streams, stdin, signals) is covered by the tests
 * that pass `process: true` (test/cli/exit-codes.test.ts, test/cli/host.test.ts).
 */
export function tmon(args: string[], options: CliOptions = {}): CliResult {
  const elsewhere = options.cwd !== undefined && options.cwd !== ROOT;
  // The worker runs in this process's folder; the child process in ROOT unless told otherwise.
  // `tmon daemon` is a process's life (signal handlers, exit): always a child.
  if (options.process || options.input !== undefined || elsewhere || process.cwd() !== ROOT || args.includes('daemon')) return spawnTmon(args, options);
  // The environment a child would get, whole: the worker takes it for this command only.
  return inHost(args, { ...process.env, NO_COLOR: '1', ...options.env });
}

function spawnTmon(args: string[], options: CliOptions): CliResult {
  const r = spawnSync(process.execPath, [TMON, ...args], {
    cwd: options.cwd ?? ROOT,
    input: options.input ?? '',
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Host {
  worker: Worker;
  port: MessagePort;
  flag: Int32Array;
}

let host: Host | undefined;

/** The worker, started at the first command of a test file and ended with the file. */
function theHost(): Host {
  if (host) return host;
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(join(ROOT, 'test', 'helpers', 'cli-host.mjs'), {
    workerData: { flag, port: port2, main: pathToFileURL(join(ROOT, 'dist', 'cli', 'main.js')).href, bin: TMON },
    transferList: [port2],
    // Not jest's flags (--experimental-vm-modules): bin/tmon.js runs with none, and so warnings show as they would.
    execArgv: [],
    // As a child process's: the command's output is collected by the host, never shown.
    stdout: true,
    stderr: true,
  });
  worker.unref();
  host = { worker, port: port1, flag };
  return host;
}

// Imported only by test files: jest runs this after the last test of the file that loaded it.
afterAll(async () => {
  const ending = host;
  host = undefined;
  await ending?.worker.terminate();
});

function inHost(args: string[], env: NodeJS.ProcessEnv): CliResult {
  const { port, flag } = theHost();
  Atomics.store(flag, 0, 0);
  port.postMessage({ args, env });
  // Synchronous, as spawnSync is for a child process: the tests read the result on the next line.
  if (Atomics.wait(flag, 0, 0, 60_000) === 'timed-out') throw new Error(`tmon ${args.join(' ')}: no answer from the CLI worker in 60 s`);
  const answer = receiveMessageOnPort(port);
  if (!answer) throw new Error(`tmon ${args.join(' ')}: the CLI worker woke without an answer`);
  return answer.message as CliResult;
}
