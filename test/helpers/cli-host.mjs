// @ts-check
/*
 * The worker thread test/helpers/cli.ts runs `tmon` commands in (see there for why). It loads
 * the built CLI once (dist/cli/main.js, what bin/tmon.js runs) and runs one command at a time,
 * with what the command writes to stdout and stderr collected, and the caller's environment
 * for that command only. Its answer goes back on the port, then the shared flag wakes the
 * caller, which waits for it synchronously (Atomics.wait) as it would for a child process.
 */
import { workerData } from 'node:worker_threads';

/** @type {{ flag: Int32Array; port: import('node:worker_threads').MessagePort; main: string; bin: string }} */
const { flag, port, main, bin } = workerData;
const { runCli } = await import(main);

/** @param {{ stdout: string; stderr: string }} out @param {'stdout' | 'stderr'} name */
function capture(out, name) {
  const stream = process[name];
  const original = stream.write;
  // Same contract as a stream's write: the callback (if any) once the data is taken, never synchronously.
  stream.write = /** @type {typeof stream.write} */ (
    (chunk, encoding, callback) => {
      out[name] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const done = typeof encoding === 'function' ? encoding : callback;
      if (done) process.nextTick(done);
      return true;
    }
  );
  return () => {
    stream.write = original;
  };
}

/** The command's environment, whole, in place of the worker's until it ends. @param {Record<string, string | undefined>} env */
function withEnv(env) {
  const saved = { ...process.env };
  const set = (/** @type {Record<string, string | undefined>} */ values) => {
    for (const k of Object.keys(process.env)) delete process.env[k];
    for (const [k, v] of Object.entries(values)) if (v !== undefined) process.env[k] = v;
  };
  set(env);
  return () => set(saved);
}

/** The command running, answered once: by its end, or by an error that escaped it. */
/** @type {((answer: { status: number; stdout: string; stderr: string }) => void) | undefined} */
let answer;

/** An error that escaped after its command was answered: the next answer carries it (a real process would have printed it and exited 1). */
let late = '';

function fail(/** @type {unknown} */ err) {
  const text = `cli-host: uncaught in the command: ${err instanceof Error ? err.stack : String(err)}\n`;
  if (answer) answer({ status: 70, stdout: '', stderr: text });
  else late += text;
}

/** What keeps an event loop alive, by kind (the port to the caller is always there). */
function resources() {
  const counts = new Map();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

port.on('message', async (/** @type {{ args: string[]; env: Record<string, string | undefined> }} */ call) => {
  const out = { stdout: '', stderr: '' };
  answer = (a) => {
    answer = undefined;
    port.postMessage(a);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  };
  const restore = [capture(out, 'stdout'), capture(out, 'stderr'), withEnv(call.env)];
  let status;
  const before = resources();
  try {
    status = await runCli([process.execPath, bin, ...call.args]);
    // A real `tmon` ends when its event loop is empty; one that leaves a timer, socket or pool
    // behind would hang, so the answer says so (the test then fails on its stderr).
    // What is being closed (a plugin child's pipes) gets up to 2 s, checked between turns of the
    // loop (a timer of the check's own would count as one left behind).
    const left = () => [...resources()].filter(([kind, n]) => n > (before.get(kind) ?? 0) && kind !== 'Immediate').map(([kind]) => kind);
    for (const until = Date.now() + 2000; left().length > 0 && Date.now() < until; ) await new Promise((resolve) => setImmediate(resolve));
    if (left().length > 0) out.stderr += `cli-host: the command left ${left().join(', ')} running: a tmon process would not exit\n`;
  } catch (err) {
    // runCli turns every error into a code; one escaping it is a defect the test must see.
    out.stderr += `cli-host: runCli threw: ${err instanceof Error ? err.stack : String(err)}\n`;
    status = 70;
  } finally {
    for (const undo of restore.reverse()) undo();
  }
  answer?.({ status, stdout: out.stdout, stderr: late + out.stderr });
  late = '';
});
