import { applyReload, configProblems, DEFAULTS, normaliseConfig } from '../src/config/index.js';

describe('config: retention, logLevel and reload', () => {
  test('retention defaults to 30 days each; a part given keeps the other default; bad values are named by path', () => {
    expect(normaliseConfig({}, '/base').retention).toEqual({ batchesDays: 30, messagesDays: 30 });
    expect(normaliseConfig({ retention: { batchesDays: 0.5 } }, '/base').retention).toEqual({ batchesDays: 0.5, messagesDays: 30 });
    expect(normaliseConfig({}, '/base').logLevel).toBe('info');
    const { errors } = configProblems({ retention: { batchesDays: -1, messageDays: 3 }, logLevel: 'loud' }, '/base');
    expect(errors).toEqual(
      expect.arrayContaining([expect.stringMatching(/^retention\.batchesDays: /), expect.stringMatching(/^retention\.messageDays: .*messagesDays/), expect.stringMatching(/^logLevel: /)]),
    );
  });

  test('applyReload changes the running object in place, keeps restart-only keys and names them', () => {
    const running = normaliseConfig({ targets: { X: { concurrency: 2 } } }, '/base');
    const same = running;
    const fresh = normaliseConfig({ targets: { X: { concurrency: 5 } }, retention: { batchesDays: 1 }, inboxSweepMs: 50, http: {} }, '/base');
    expect(applyReload(running, fresh)).toEqual({ applied: ['retention', 'targets'], needRestart: ['http', 'inboxSweepMs'] });
    expect(same.targets).toEqual({ X: { concurrency: 5 } });
    expect(same.retention.batchesDays).toBe(1);
    expect(same.inboxSweepMs).toBe(DEFAULTS.inboxSweepMs);
    expect(same.http).toBeUndefined();
    expect(applyReload(running, normaliseConfig({ targets: { X: { concurrency: 5 } }, retention: { batchesDays: 1 } }, '/base'))).toEqual({ applied: [], needRestart: [] });
  });

  test('the waits a site may shorten or lengthen: the defaults as before; plugin holds change live, the store and first purge at a restart', () => {
    const config = normaliseConfig({}, '/base');
    expect([config.storeBusyTimeoutMs, config.pluginHoldMs, config.firstPurgeMs]).toEqual([5000, 5000, 2000]);
    const { errors } = configProblems({ storeBusyTimeoutMs: -1, pluginHoldMs: 0, firstPurgeMs: 'soon' }, '/base');
    expect(errors).toEqual(expect.arrayContaining([expect.stringMatching(/^storeBusyTimeoutMs: /), expect.stringMatching(/^pluginHoldMs: /), expect.stringMatching(/^firstPurgeMs: /)]));
    const fresh = normaliseConfig({ storeBusyTimeoutMs: 100, pluginHoldMs: 100, firstPurgeMs: 100 }, '/base');
    expect(applyReload(config, fresh)).toEqual({ applied: ['pluginHoldMs'], needRestart: ['firstPurgeMs', 'storeBusyTimeoutMs'] });
  });
});
