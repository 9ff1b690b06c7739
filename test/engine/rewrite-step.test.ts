import { join } from 'node:path';
import { batchText } from '../helpers/batches.js';
import { ROOT } from '../helpers/cli.js';
import { engineHarness, RecordingConnector, type Harness } from '../helpers/engine.js';

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
