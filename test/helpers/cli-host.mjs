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

/** @param {Record<string, string | undefined>} env */
function withEnv(env) {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const set = (/** @type {Record<string, string | undefined>} */ values) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set(env);
  return () => set(saved);
}

/** The command running, answered once: by its end, or by an error that escaped it. */
/** @type {((answer: { status: number; stdout: string; stderr: string }) => void) | undefined} */
let answer;

function fail(/** @type {unknown} */ err) {
  answer?.({ status: 70, stdout: '', stderr: `cli-host: uncaught in the command: ${err instanceof Error ? err.stack : String(err)}\n` });
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
  try {
    status = await runCli([process.execPath, bin, ...call.args]);
  } catch (err) {
    // runCli turns every error into a code; one escaping it is a defect the test must see.
    out.stderr += `cli-host: runCli threw: ${err instanceof Error ? err.stack : String(err)}\n`;
    status = 70;
  } finally {
    for (const undo of restore.reverse()) undo();
  }
  answer?.({ status, stdout: out.stdout, stderr: out.stderr });
});
