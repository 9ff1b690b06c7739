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
});
