import { join } from 'node:path';
import { SqliteStore, type RewriteDecision } from '../../src/store/index.js';
import { batchText, newBatch } from '../helpers/batches.js';
import { ROOT } from '../helpers/cli.js';
import { engineHarness, RecordingConnector, type Harness } from '../helpers/engine.js';
import { tempDir } from '../helpers/home.js';

describe('the rewrite step over a whole batch', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  test('two outputs that fan out the same id: the later primary fails, the batch is not stuck', async () => {
    const c = new RecordingConnector();
    h = await engineHarness({ connector: c, config: { pluginsDir: join(ROOT, 'test', 'fixtures', 'plugins'), rewritePlugin: 'fixed-fanout-id' } });
    await h.submit(batchText('DUP', [{ id: 'p1', replyid: 'r1' }, { id: 'p2', replyid: 'r2' }]));
    await h.settle();
    const detail = await h.store.batchDetail('DUP');
    const byId = Object.fromEntries(detail!.actions.map((a) => [a.id, a]));
    expect(Object.keys(byId).sort()).toEqual(['SAME-ID', 'p1', 'p2']);
    expect([byId.p1!.state, byId['SAME-ID']!.state, byId.p2!.state]).toEqual(['succeeded', 'succeeded', 'failed']);
    expect(byId.p2!.lastError).toBe("action p2: the plugin output reuses action id SAME-ID, already held by action p1's rewrite; action failed");
    expect((await h.store.messages()).map((m) => m.source)).toEqual(['plugin']);
  });

  test('outputs of different primaries that wait for each other in a circle: the one closing it fails, naming the cycle', async () => {
    h = await engineHarness({ connector: new RecordingConnector(), config: { pluginsDir: join(ROOT, 'test', 'fixtures', 'plugins'), rewritePlugin: 'cross-wait' } });
    await h.submit(batchText('CYC', [{ id: 'a' }, { id: 'b' }]));
    await h.settle();
    const detail = await h.store.batchDetail('CYC');
    // a's output (wait for b) joins first; b's (wait for a) would close the circle, so it fails.
    expect(detail!.actions.map((a) => [a.id, a.state])).toEqual([
      ['a', 'skipped'],
      ['b', 'failed'],
    ]);
    expect(detail!.actions[1]!.lastError).toBe('action b: the rewritten batch has a dependency cycle: b -> a -> b; action failed');
  });
});

describe('a decision to run the primary as submitted, as the store applies it', () => {
  const dir = tempDir();
  let store: SqliteStore;
  beforeEach(() => {
    store = new SqliteStore(join(dir.path, `tmon-${Date.now()}-${Math.random()}.db`));
  });
  afterEach(() => store.close());
  afterAll(() => dir.cleanup());

  const run = (batchId: string, primaryId: string, extra: Partial<RewriteDecision> = {}): RewriteDecision => ({ batchId, primaryId, outcome: 'run', actions: [], message: 'left unchanged', board: null, source: 'plugin', ...extra });
  const states = async (id: string) => Object.fromEntries((await store.batchDetail(id))!.actions.map((a) => [a.id, a.state]));

  test('a primary at its plugin becomes ready, rewritten; stale decisions and a second one change nothing', async () => {
    await store.insertBatch(newBatch('B', [{ id: 'a' }, { id: 'b', depends: ['a'] }]));
    expect((await store.claimRunnable(Date.now(), () => 10, 10, true)).map((c) => [c.id, c.rewrite])).toEqual([['a', true]]);
    await store.applyRewrites([run('B', 'a'), run('B', 'b'), run('B', 'nope')]);
    expect(await states('B')).toEqual({ a: 'ready', b: 'waiting' });
    await store.applyRewrites([run('B', 'a')]);
    expect((await store.claimRunnable(Date.now(), () => 10, 10, true)).map((c) => [c.id, c.rewrite, c.attempt])).toEqual([['a', false, 1]]);
  });

  test('its batch canceled while the plugin ran: the primary ends canceled, and so does the batch', async () => {
    await store.insertBatch(newBatch('C', [{ id: 'a', replyid: 'ra' }]));
    await store.claimRunnable(Date.now(), () => 10, 10, true);
    await store.cancelBatch('C', 'operator');
    const fx = await store.applyRewrites([run('C', 'a')]);
    expect(await states('C')).toEqual({ a: 'canceled' });
    expect((await store.listBatches()).map((b) => [b.id, b.state])).toEqual([['C', 'canceled']]);
    expect(fx.effects.events.map((e) => e.type)).not.toContain('action.rewritten');
  });

  test('one that says something (an ignored output) still puts it on the board', async () => {
    await store.insertBatch(newBatch('W', [{ id: 'a' }]));
    await store.claimRunnable(Date.now(), () => 10, 10, true);
    await store.applyRewrites([run('W', 'a', { board: 'warn', message: 'plugin p gave back 2 actions but changed = "", not "true": its output is ignored' })]);
    expect(await states('W')).toEqual({ a: 'ready' });
    expect((await store.messages()).map((m) => [m.level, m.action, m.text])).toEqual([['warn', 'a', 'plugin p gave back 2 actions but changed = "", not "true": its output is ignored']]);
  });
});
