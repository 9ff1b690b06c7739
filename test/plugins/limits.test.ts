import { join } from 'node:path';
import { DEFAULTS, normaliseConfig, type Config } from '../../src/config/index.js';
import type { KvGroup } from '../../src/kvgroup/index.js';
import { PluginHost, type PluginRun } from '../../src/plugins/index.js';
import { ROOT } from '../helpers/cli.js';
import { recordingLogger } from '../helpers/logger.js';

/*
 * Plugin output limits (issue 13 item 2): output past limits.pluginOutputBytes or with more than
 * limits.fannedPerAction fanned actions is a plugin failure, found before the daemon's main
 * thread builds anything of that size.
 */

const config = (extra: Record<string, unknown> = {}): Config =>
  normaliseConfig({ pluginsDir: join(ROOT, 'test', 'fixtures', 'plugins'), pluginMemoryMb: 64, pluginThreads: 1, ...extra }, ROOT);

const input: KvGroup = { type: '', name: '', members: [{ type: 'batch', name: 'B', members: [{ type: 'action', name: 'B_0', members: [{ key: 'replyid', value: 'r1' }] }] }] };

describe('limits in the config', () => {
  test('defaults fit the heap npm start gives, and each can be set', () => {
    expect(DEFAULTS.limits).toEqual({ batchBytes: 2 * 1024 * 1024, actionsPerBatch: 5000, fannedPerAction: 1000, pluginOutputBytes: 1024 * 1024 });
    expect(DEFAULTS.pluginHostMemoryMb).toBe(256);
    expect(normaliseConfig({ limits: { fannedPerAction: 10 } }, '/base').limits).toEqual({ ...DEFAULTS.limits, fannedPerAction: 10 });
  });

  test('wrong values are named by their path', () => {
    expect(() => normaliseConfig({ limits: { pluginOutputBytes: 10, rows: 1 } }, '/base')).toThrow(/limits\.pluginOutputBytes: must be >= 1024/);
    expect(() => normaliseConfig({ limits: { rows: 1 } }, '/base')).toThrow(/limits\.rows: is not a known setting/);
    expect(() => normaliseConfig({ pluginMemoryMb: 128, pluginHostMemoryMb: 150 }, '/base')).toThrow(/pluginHostMemoryMb: must be at least pluginMemoryMb \+ 64 \(192\)/);
  });
});

describe('oversize plugin output is a plugin failure, and the host keeps serving', () => {
  const options: Record<string, unknown> = {};
  let host: PluginHost;
  beforeAll(() => {
    const c = config({ limits: { fannedPerAction: 5 } });
    c.pluginOptions = options;
    host = new PluginHost(c, recordingLogger());
  });
  afterAll(() => host.close());

  const run = (plugin: string, pluginOptions: Record<string, unknown> = {}): Promise<PluginRun> => {
    options[plugin] = pluginOptions;
    return host.runPlugin(plugin, input, { batchId: 'B', actionId: 'B_0' });
  };
  const failure = (r: PluginRun): { code: string; message: string } => {
    if (r.ok) throw new Error('the output was let through');
    return r.error;
  };
  const stillServes = async (): Promise<void> => {
    expect((await run('identity')).ok).toBe(true);
  };

  test('a JS plugin returning 200k fanned actions that share one members array', async () => {
    expect(failure(await run('fans-out-many'))).toEqual({
      code: 'PLUGIN_OUTPUT_TOO_LARGE',
      message: 'returned a document of more than limits.pluginOutputBytes (1048576) bytes',
    });
    await stillServes();
  });

  test('a JS plugin fanning out more actions than limits.fannedPerAction', async () => {
    expect((await run('fans-out-many', { count: 5 })).ok).toBe(true);
    expect(failure(await run('fans-out-many', { count: 6 }))).toEqual({
      code: 'PLUGIN_OUTPUT_TOO_LARGE',
      message: 'returned 7 actions, more than the primary and limits.fannedPerAction (5) fanned ones',
    });
    await stillServes();
  });

  test('an executable printing 14 MB is stopped as it streams in', async () => {
    expect(failure(await run('prints-14mb'))).toEqual({
      code: 'PLUGIN_OUTPUT_TOO_LARGE',
      message: 'wrote more than limits.pluginOutputBytes (1048576) bytes; it was stopped',
    });
    await stillServes();
  });
});
