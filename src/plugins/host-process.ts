import type { HostReply, HostRequest } from './host-protocol.js';
import type { WorkerResult } from './messages.js';
import { LOG_BYTES } from './output-limits.js';
import { PluginPool, type PoolOptions } from './pool.js';

/*
 * The plugin-host process: the daemon forks it under Node's permission model (read access to
 * the plugins folder and tmon's own code only, no writes, no child processes) and it runs the
 * worker pool. It only relays tasks and results; no plugin code runs on this thread. Whatever
 * happens here, the daemon sees at most a dead child and restarts it.
 */

const options = JSON.parse(process.argv[2] ?? '{}') as PoolOptions;
/** Per item: its output (already bounded in the worker) and its log lines (bounded there too). */
const itemBytes = options.limits.pluginOutputBytes + LOG_BYTES + 4096;
/**
 * A task's answers together: each item may use its own limit, but a task of many items may not
 * send the daemon's 128 MB heap many times that at once.
 */
const ITEMS_AT_FULL_SIZE = 4;
const pool = new PluginPool(options);

const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));
const tooLarge = (message: string): WorkerResult => ({ ok: false, error: { code: 'PLUGIN_OUTPUT_TOO_LARGE', message }, logs: [] });

function send(reply: HostReply, items: number): void {
  // The daemon parses what arrives on its main thread: refuse to send more than the limit.
  const cap = itemBytes * Math.min(items, ITEMS_AT_FULL_SIZE);
  let size = bytes(reply);
  if (size > cap && reply.result.ok && 'results' in reply.result) {
    // Largest answers first become failures, until the rest fits: the small ones still get through.
    const results = reply.result.results;
    const sizes = results.map(bytes);
    for (const i of sizes.map((_, i) => i).sort((a, b) => sizes[b]! - sizes[a]!)) {
      if (size <= cap) break;
      results[i] = tooLarge(`answered with ${sizes[i]} bytes while its task's answers together may take ${cap} (${ITEMS_AT_FULL_SIZE} × limits.pluginOutputBytes and log lines)`);
      size -= sizes[i]! - bytes(results[i]);
    }
  }
  if (size > cap) reply = { id: reply.id, result: tooLarge(`answered with ${size} bytes, more than the plugin output limit allows`) };
  process.send!(reply);
}

process.on('message', (msg: HostRequest) => {
  const done = msg.task.kind === 'rewrite-many' ? pool.runMany(msg.task) : pool.run(msg.task);
  void done.then((result) => send({ id: msg.id, result }, msg.task.kind === 'rewrite-many' ? msg.task.items.length : 1));
});
// The daemon went away (or closed the channel): nothing is left to serve.
process.on('disconnect', () => {
  void pool.close().finally(() => process.exit(0));
});
