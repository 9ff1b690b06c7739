import { batchText } from '../helpers/batches.js';
import { engineHarness, RecordingConnector, type Harness } from '../helpers/engine.js';
import { retryDelay } from '../../src/engine/backoff.js';

describe('execution order (contract §4)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  test('a diamond: the bottom runs after both sides, the sides after the top', async () => {
    const c = new RecordingConnector();
    h = await engineHarness({ connector: c });
    await h.submit(batchText('D', [{ id: 'bottom', depends: ['left', 'right'], replyid: 'r-bottom' }, { id: 'left', depends: ['top'] }, { id: 'right', depends: ['top'] }, { id: 'top' }]));
    await h.settle();
    const at = (id: string) => c.executions.find((e) => e.id === id)!;
    expect(at('left').start).toBeGreaterThanOrEqual(at('top').end);
    expect(at('right').start).toBeGreaterThanOrEqual(at('top').end);
    expect(at('bottom').start).toBeGreaterThanOrEqual(Math.max(at('left').end, at('right').end));
    expect((await h.store.replies()).map((r) => [r.replyid, r.status])).toEqual([['r-bottom', 'success']]);
    expect((await h.store.listBatches())[0]!.state).toBe('succeeded');
  });

  test('a chain with a failing middle: what follows is skipped, and the replies say why', async () => {
    const c = new RecordingConnector((req) => (req.action.id === 'c2' ? 'permanent' : 'ok'));
    h = await engineHarness({ connector: c });
    await h.submit(batchText('C', [1, 2, 3, 4].map((i) => ({ id: `c${i}`, replyid: `r${i}`, ...(i > 1 ? { depends: [`c${i - 1}`] } : {}) }))));
    await h.settle();
    expect(c.order()).toEqual(['c1', 'c2']);
    expect((await h.store.replies()).map((r) => [r.replyid, r.status, r.message])).toEqual([
      ['r1', 'success', 'c1 done'],
      ['r2', 'failure', 'c2: no such account'],
      ['r3', 'failure', 'skipped: it waits for action c2 of batch C, which failed'],
      ['r4', 'failure', 'skipped: it waits for action c3 of batch C, which skipped'],
    ]);
    const detail = await h.store.batchDetail('C');
    expect(detail!.state).toBe('failed');
    expect(detail!.actions.map((a) => [a.id, a.state, a.retval])).toEqual([
      ['c1', 'succeeded', '0'],
      ['c2', 'failed', '32'],
      ['c3', 'skipped', ''],
      ['c4', 'skipped', ''],
    ]);
  });

  test('interactive work runs before non-interactive work that was ready first', async () => {
    const c = new RecordingConnector();
    // One at a time, so that the order is the queue's; held until both batches are in.
    h = await engineHarness({ connector: c, config: { targets: { '*': { concurrency: 1 } } }, hold: true });
    await h.submit(batchText('BULK', [1, 2, 3, 4].map((i) => ({ id: `bulk${i}` }))));
    await h.submit(batchText('DESK', [{ id: 'desk1', interactive: true }, { id: 'desk2', interactive: true }]));
    await h.start();
    await h.settle();
    expect(c.order()).toEqual(['desk1', 'desk2', 'bulk1', 'bulk2', 'bulk3', 'bulk4']);
  });

  test('the per-target limit is never exceeded, and targets run in parallel', async () => {
    const c = new RecordingConnector(() => 'ok', 15);
    h = await engineHarness({ connector: c, config: { targets: { '*': { concurrency: 3 }, SLOW: { concurrency: 1 } } } });
    const actions = [...Array.from({ length: 12 }, (_, i) => ({ id: `a${i}`, host: 'AD' })), ...Array.from({ length: 4 }, (_, i) => ({ id: `s${i}`, host: 'SLOW' }))];
    await h.submit(batchText('LIM', actions));
    await h.settle();
    expect(c.executions).toHaveLength(16);
    expect(c.maxRunning.get('AD')).toBe(3);
    expect(c.maxRunning.get('SLOW')).toBe(1);
    // Both targets were busy at the same moment.
    const ad = c.executions.filter((e) => e.hostid === 'AD');
    const slow = c.executions.filter((e) => e.hostid === 'SLOW');
    expect(ad.some((a) => slow.some((s) => a.start < s.end && s.start < a.end))).toBe(true);
  });

  test('a transient failure is retried with growing delays, then fails for good', async () => {
    const c = new RecordingConnector(() => 'transient', 1);
    h = await engineHarness({ connector: c, config: { retry: { attempts: 4, firstDelayMs: 40, maxDelayMs: 10_000 } }, random: () => 0.5 });
    await h.submit(batchText('T', [{ id: 't1', replyid: 'rt' }]));
    await h.settle();
    expect(c.executions.map((e) => e.attempt)).toEqual([1, 2, 3, 4]);
    const gaps = c.executions.slice(1).map((e, i) => e.start - c.executions[i]!.end);
    // Planned: 30, 60, 120 ms (exponential from 40 ms, half of it jittered, here at its middle).
    // Each try waits at least its planned delay (a timer may fire a millisecond early; how much
    // later it fires depends on the machine's load, so only the lower bound is checked).
    const planned = [1, 2, 3].map((attempt) => retryDelay(attempt, { attempts: 4, firstDelayMs: 40, maxDelayMs: 10_000 }, () => 0.5));
    expect(planned).toEqual([30, 60, 120]);
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(planned[i]! - 2));
    const [reply] = await h.store.replies();
    expect(reply).toMatchObject({ replyid: 'rt', status: 'failure', retval: '75', message: 't1: target busy (gave up after 4 attempts)' });
    expect(h.events.filter((e) => e.type === 'action.retrying')).toHaveLength(3);
  });

  test('a permanent failure is not retried', async () => {
    const c = new RecordingConnector(() => 'permanent', 1);
    h = await engineHarness({ connector: c });
    await h.submit(batchText('P', [{ id: 'p1' }]));
    await h.settle();
    expect(c.executions).toHaveLength(1);
  });

  test('a dependency on another batch waits for that batch to run it', async () => {
    const c = new RecordingConnector(() => 'ok', 20);
    h = await engineHarness({ connector: c });
    await h.submit(batchText('FIRST', [{ id: 'f1' }]));
    await h.submit(batchText('SECOND', [{ id: 's1', depends: [{ batch: 'FIRST', action: 'f1' }] }]));
    await h.settle();
    expect(c.order()).toEqual(['f1', 's1']);
  });
});
