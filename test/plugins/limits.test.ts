import { DEFAULTS, normaliseConfig } from '../../src/config/index.js';
import { fixtureHost, withPassword } from './fixture-host.js';

/*
 * Plugin output limits (issue 13 item 2): output past limits.pluginOutputBytes or with more than
 * limits.fannedPerAction fanned actions is a plugin failure, found before the daemon's main
 * thread builds anything of that size.
 */

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
  const { host, run, failure, stillServes } = fixtureHost({ pluginMemoryMb: 64, limits: { fannedPerAction: 5 } });
  afterAll(() => host.close());

  test('a JS plugin returning 200k fanned actions that share one members array', async () => {
    expect(failure(await run('fans-out-many', undefined))).toEqual({
      code: 'PLUGIN_OUTPUT_TOO_LARGE',
      message: 'returned a document of more than limits.pluginOutputBytes (1048576) bytes',
    });
    await stillServes();
  });

  test('a JS plugin fanning out more actions than limits.fannedPerAction', async () => {
    expect((await run('fans-out-many', undefined, { count: 5 })).ok).toBe(true);
    expect(failure(await run('fans-out-many', undefined, { count: 6 }))).toEqual({
      code: 'PLUGIN_OUTPUT_TOO_LARGE',
      message: 'returned 7 actions, more than the primary and limits.fannedPerAction (5) fanned ones',
    });
    await stillServes();
  });

  test('an executable fanning out more actions than limits.fannedPerAction', async () => {
    expect(failure(await run('exec-fans-out'))).toEqual({
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

describe("a task's answers together are bounded too", () => {
  const { host, options, stillServes } = fixtureHost({ limits: { pluginOutputBytes: 65536 } });
  afterAll(() => host.close());

  test('20 answers of 50 kB each, within their own limit: the ones past 4 × (limit + log lines) fail, the rest get through', async () => {
    options['pads-output'] = { bytes: 50_000 };
    const items = Array.from({ length: 20 }, (_, i) => ({ actionId: `B_${i}`, input: withPassword('B', '') }));
    const runs = await host.runPluginMany('pads-output', 'B', items);
    const failed = runs.filter((r) => !r.ok);
    expect(runs.filter((r) => r.ok)).toHaveLength(10);
    for (const r of failed) {
      expect(r.ok ? '' : `${r.error.code}: ${r.error.message}`).toMatch(
        /^PLUGIN_OUTPUT_TOO_LARGE: answered with \d+ bytes while its task's answers together may take 540672 \(4 × limits\.pluginOutputBytes and log lines\)$/,
      );
    }
    await stillServes();
  });
});
