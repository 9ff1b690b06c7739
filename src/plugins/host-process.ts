import type { HostReply, HostRequest } from './host-protocol.js';
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
const pool = new PluginPool(options);

function send(reply: HostReply, items: number): void {
  // The daemon parses what arrives on its main thread: refuse to send more than the limit.
  const size = Buffer.byteLength(JSON.stringify(reply));
  if (size > itemBytes * items) {
    reply = { id: reply.id, result: { ok: false, error: { code: 'PLUGIN_OUTPUT_TOO_LARGE', message: `answered with ${size} bytes, more than the plugin output limit allows` }, logs: [] } };
  }
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
