// Plugin call: the per-call cost of a rewrite through the sandboxed plugin host (a child process
// under Node's permission model, running the worker pool), through a worker pool in the daemon's
// own process (what tmon did before the sandbox), and as a child process (executable plugin),
// against calling the same JS function in-process.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBatch, sliceForAction } from '../dist/batch/index.js';
import { normaliseConfig } from '../dist/config/index.js';
import { parseKvg } from '../dist/index.js';
import { silentLogger } from '../dist/log.js';
import { PluginHost } from '../dist/plugins/index.js';
import { now } from './stats.js';

export const name = 'plugin-call';

const root = join(fileURLToPath(import.meta.url), '..', '..');

export async function run({ quick }) {
  const text = (await import('node:fs')).readFileSync(join(root, 'fixtures', 'delu-input.kvg'), 'utf8');
  const batch = readBatch(parseKvg(text)[0]);
  const primary = batch.actions[0];
  const options = { groups: ['CN=manager,OU=CANADA,DC=yan,DC=local'] };
  const config = normaliseConfig({ pluginsDir: join(root, 'plugins'), pluginThreads: 1, pluginOptions: { 'terminate-disable': options } }, root);
  const host = new PluginHost(config, silentLogger);
  const unsandboxed = new PluginHost(config, silentLogger, { sandbox: false });
  const plugin = (await import(join(root, 'plugins', 'terminate-disable.mjs'))).default;
  const ctx = { options, plugin: 'terminate-disable', batchId: batch.id, actionId: primary.id, log: silentLogger };

  const time = async (n, f) => {
    for (let i = 0; i < Math.min(50, n); i++) await f();
    const t = now();
    for (let i = 0; i < n; i++) await f();
    return (now() - t) / n;
  };
  const calls = quick ? 500 : 3000;
  const inProcess = await time(calls * 10, () => plugin.rewrite(structuredClone(batch.root), ctx));
  const pooled = await time(calls, () => unsandboxed.rewrite(batch, primary, ['terminate-disable']));
  const sandboxed = await time(calls, () => host.rewrite(batch, primary, ['terminate-disable']));
  // Several primaries per message, as the engine sends them: the per-message cost is shared.
  const input = sliceForAction(batch, primary);
  const twenty = Array.from({ length: 20 }, () => ({ actionId: primary.id, input }));
  const batched = (await time(calls / 20, () => host.runPluginMany('terminate-disable', batch.id, twenty))) / 20;
  const executable = await time(quick ? 20 : 100, () => host.rewrite(batch, primary, ['interactive-password']));
  await Promise.all([host.close(), unsandboxed.close()]);
  const us = (ms) => `${(ms * 1000).toFixed(1)} µs`;
  return {
    title: 'One rewrite-plugin call (terminate-disable on the reference DELU; interactive-password.py for the executable)',
    rows: [
      ['in-process call of the same function (baseline)', us(inProcess), `${Math.round(1000 / inProcess).toLocaleString('en')} calls/s`],
      ['through a worker pool in the daemon, rules checked (1 thread; no sandbox)', us(pooled), `${Math.round(1000 / pooled).toLocaleString('en')} calls/s`],
      ['through the sandboxed plugin host (child process + IPC + 1 thread), rules checked', us(sandboxed), `${Math.round(1000 / sandboxed).toLocaleString('en')} calls/s`],
      ['sandboxed plugin host, 20 primaries per message (per primary; plugin output only, rules not checked)', us(batched), `${Math.round(1000 / batched).toLocaleString('en')} calls/s`],
      ['executable plugin (python3 child process)', us(executable), `${Math.round(1000 / executable).toLocaleString('en')} calls/s`],
    ],
    ratio: { label: 'sandboxed call / in-daemon pool call', value: sandboxed / pooled, target: 'report only', met: true },
    notes:
      `The sandbox adds ${us(sandboxed - pooled)} a call (one JSON message each way over the IPC channel, the reply sized before it is sent, globals reset). ` +
      `Executable / in-process: ${(executable / inProcess).toFixed(0)}x — a process start per call, which is why JS plugins are the fast path.`,
  };
}
