import { getValue, type KvGroup } from '../../src/kvgroup/index.js';
import type { PluginRun } from '../../src/plugins/index.js';
import { fixtureHost, withPassword } from './fixture-host.js';

/*
 * Several primaries in one worker task (runPluginMany). A plugin that hangs on a 20-action
 * batch (issue 13 item 7) costs that task one time-out — no per-action retry after a time-out —
 * and other batches' rewrites go on meanwhile; after a crash, each primary runs on its own.
 */

/** Runs `body` with a fresh host on the fixture plugins, closed afterwards. */
async function withHost(extra: Record<string, unknown>, body: (h: ReturnType<typeof fixtureHost>) => Promise<void>): Promise<void> {
  const h = fixtureHost(extra);
  try {
    await body(h);
  } finally {
    await h.host.close();
  }
}

const input = (batch: string): KvGroup => ({ type: '', name: '', members: [{ type: 'batch', name: batch, members: [{ type: 'action', name: `${batch}_0`, members: [] }] }] });

test('a hanging plugin on a 20-action batch: one time-out for the task, and an unrelated call completes meanwhile', async () => {
  await withHost({ pluginTimeoutMs: 2000, pluginMemoryMb: 32, pluginThreads: 2 }, async ({ host }) => {
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
  });
});

test('after a crash (not a time-out) each action runs again on its own, so only the one that crashes fails', async () => {
  await withHost({ pluginMemoryMb: 32, pluginThreads: 1 }, async ({ host }) => {
    const runs = await host.runPluginMany('exits-on-one', 'X', [0, 1, 2].map((i) => ({ actionId: `X_${i}`, input: input('X') })));
    expect(runs.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ok', 'PLUGIN_CRASHED', 'ok']);
    expect(host.stats.timeouts).toBe(0);
    expect((await host.runPlugin('identity', input('AFTER'), { batchId: 'AFTER', actionId: 'AFTER_0' })).ok).toBe(true);
  });
});

test('one task may hold primaries of several batches: each is called, and logged, with its own batch id', async () => {
  await withHost({ pluginMemoryMb: 32, pluginThreads: 1 }, async ({ host, logger }) => {
    const runs = await host.runPluginMany('options', 'P', [
      { actionId: 'P_0', input: input('P') },
      { actionId: 'Q_0', input: input('Q'), batchId: 'Q' },
    ]);
    const ids = runs.map((r) => (r.ok ? JSON.stringify(r.output).match(/"options (\w+) (\w+)"/)?.slice(1).join(' ') : r.error.message));
    expect(ids).toEqual(['P P_0', 'Q Q_0']);
    expect(logger.lines.map((l) => l.meta?.batch)).toEqual(['P', 'Q']);
  });
});

test('calls of one task each start clean: nothing an earlier item left in globals, at once or from a promise chain', async () => {
  await withHost({ pluginMemoryMb: 32, pluginThreads: 1 }, async ({ host, options }) => {
    for (const leave of [{}, { chained: true }]) {
      options['leaves-global'] = leave;
      const items = ['Pw-a-1', 'Pw-b-2', 'Pw-c-3'].map((pw, i) => ({ actionId: `B_${i}`, input: withPassword('B', pw) }));
      const runs = await host.runPluginMany('leaves-global', 'B', items);
      expect(runs.map((r) => (r.ok ? getValue(r.output, 'seen') : r.error.message))).toEqual(['none none none', 'none none none', 'none none none']);
    }
  });
});

test('brief items: an output that left its action unchanged comes back as its verdict, any other output whole', async () => {
  await withHost({ pluginMemoryMb: 32, pluginThreads: 1 }, async ({ host }) => {
    const items = (batch: string) => [0, 1].map((i) => ({ actionId: `${batch}_${i}`, input: input(batch), brief: true as const }));
    expect(await host.runPluginMany('unchanged', 'U', items('U'))).toEqual([0, 1].map(() => ({ ok: true, verdict: { changed: 'false', retval: '0', actions: 1 } })));
    // Two actions and no changed pair: the daemon still learns both, to warn about it.
    expect(await host.runPluginMany('forgets-changed', 'F', items('F'))).toEqual([0, 1].map(() => ({ ok: true, verdict: { changed: null, retval: '0', actions: 2 } })));
    const changed = await host.runPluginMany('identity', 'I', items('I'));
    expect(changed.map((r) => r.ok && r.output !== undefined && getValue(r.output, 'changed'))).toEqual(['true', 'true']);
    // A password the input did not hold: whole, so that it is masked in what is said.
    const fresh = await host.runPluginMany('unchanged-new-password', 'N', items('N'));
    expect(fresh.map((r) => r.ok && r.output !== undefined && JSON.stringify(r.output).includes('Pw-from-plugin-9'))).toEqual([true, true]);
    // Without brief, whole as before.
    const whole = await host.runPluginMany('unchanged', 'W', items('W').map(({ brief: _, ...it }) => it));
    expect(whole.map((r) => r.ok && getValue(r.output, 'changed'))).toEqual(['false', 'false']);
  });
});
