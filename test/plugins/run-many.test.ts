import { join } from 'node:path';
import { normaliseConfig } from '../../src/config/index.js';
import type { KvGroup } from '../../src/kvgroup/index.js';
import { PluginHost, type PluginRun } from '../../src/plugins/index.js';
import { ROOT } from '../helpers/cli.js';
import { recordingLogger } from '../helpers/logger.js';

/*
 * Several primaries in one worker task (runPluginMany). A plugin that hangs on a 20-action
 * batch (issue 13 item 7) costs that task one time-out — no per-action retry after a time-out —
 * and other batches' rewrites go on meanwhile; after a crash, each primary runs on its own.
 */

const input = (batch: string): KvGroup => ({ type: '', name: '', members: [{ type: 'batch', name: batch, members: [{ type: 'action', name: `${batch}_0`, members: [] }] }] });

test('a hanging plugin on a 20-action batch: one time-out for the task, and an unrelated call completes meanwhile', async () => {
  const config = normaliseConfig({ pluginsDir: join(ROOT, 'test', 'fixtures', 'plugins'), pluginTimeoutMs: 2000, pluginMemoryMb: 32, pluginThreads: 2 }, ROOT);
  const host = new PluginHost(config, recordingLogger());
  try {
    const items = Array.from({ length: 20 }, (_, i) => ({ actionId: `H_${i}`, input: input('H') }));
    let hungDone = false;
    const hung = host.runPluginMany('hangs', 'H', items).then((runs) => {
      hungDone = true;
      return runs;
    });
    const other: PluginRun = await host.runPlugin('identity', input('OTHER'), { batchId: 'OTHER', actionId: 'OTHER_0' });
    expect(other.ok).toBe(true);
    expect(hungDone).toBe(false); // the other batch did not wait for the hung one
    const runs = await hung;
    expect(runs).toHaveLength(20);
    expect(new Set(runs.map((r) => (r.ok ? 'ok' : `${r.error.code}: ${r.error.message}`)))).toEqual(new Set(['PLUGIN_TIMEOUT: timed out after 2000 ms']));
    expect(host.stats.timeouts).toBe(1);
    expect((await host.runPlugin('identity', input('AFTER'), { batchId: 'AFTER', actionId: 'AFTER_0' })).ok).toBe(true);
  } finally {
    await host.close();
  }
});

test('after a crash (not a time-out) each action runs again on its own, so only the one that crashes fails', async () => {
  const config = normaliseConfig({ pluginsDir: join(ROOT, 'test', 'fixtures', 'plugins'), pluginMemoryMb: 32, pluginThreads: 1 }, ROOT);
  const host = new PluginHost(config, recordingLogger());
  try {
    const runs = await host.runPluginMany('exits-on-one', 'X', [0, 1, 2].map((i) => ({ actionId: `X_${i}`, input: input('X') })));
    expect(runs.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ok', 'PLUGIN_CRASHED', 'ok']);
    expect(host.stats.timeouts).toBe(0);
    expect((await host.runPlugin('identity', input('AFTER'), { batchId: 'AFTER', actionId: 'AFTER_0' })).ok).toBe(true);
  } finally {
    await host.close();
  }
});

test('one task may hold primaries of several batches: each is called, and logged, with its own batch id', async () => {
  const config = normaliseConfig({ pluginsDir: join(ROOT, 'test', 'fixtures', 'plugins'), pluginMemoryMb: 32, pluginThreads: 1 }, ROOT);
  const logger = recordingLogger();
  const host = new PluginHost(config, logger);
  try {
    const runs = await host.runPluginMany('options', 'P', [
      { actionId: 'P_0', input: input('P') },
      { actionId: 'Q_0', input: input('Q'), batchId: 'Q' },
    ]);
    const ids = runs.map((r) => (r.ok ? JSON.stringify(r.output).match(/"options (\w+) (\w+)"/)?.slice(1).join(' ') : r.error.message));
    expect(ids).toEqual(['P P_0', 'Q Q_0']);
    expect(logger.lines.map((l) => l.meta?.batch)).toEqual(['P', 'Q']);
  } finally {
    await host.close();
  }
});
