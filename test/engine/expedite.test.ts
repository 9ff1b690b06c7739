import type { Connector, ConnectorRequest, ConnectorResult } from '../../src/engine/index.js';
import { batchText } from '../helpers/batches.js';
import { engineHarness, RecordingConnector, type Harness } from '../helpers/engine.js';

/*
 * `Engine.expedite`: the inbox waits on it after storing interactive work, so that the next group
 * of a backlog does not hold the main thread while that work is claimed, run and answered. It
 * resolves once the actions' results are committed, or after its time limit.
 */

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

test('resolves once the interactive action is answered in the store', async () => {
  h = await engineHarness({ connector: new RecordingConnector(() => 'ok', 20) });
  const id = await h.submit(batchText('FAST', [{ id: 'i1', replyid: 'r-fast', interactive: true }]));
  await h.engine.expedite([{ batchId: id, actionId: 'i1' }], 10_000);
  expect((await h.store.replies()).map((r) => r.replyid)).toEqual(['r-fast']);
});

test('gives up after its limit while the action still runs, and stops waiting when the engine stops', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const stuck: Connector = { kind: 'gated', execute: async (_req: ConnectorRequest): Promise<ConnectorResult> => (await gate, { retval: '0', message: 'done' }) };
  h = await engineHarness({ connector: stuck });
  const id = await h.submit(batchText('SLOW', [{ id: 's1', replyid: 'r-slow', interactive: true }]));
  await h.engine.expedite([{ batchId: id, actionId: 's1' }], 30);
  expect((await h.store.batchDetail(id))?.actions.find((a) => a.id === 's1')?.state).toBe('running');
  expect(await h.store.replies()).toEqual([]);
  // A wait under way when the engine stops ends with the stop.
  const waiting = h.engine.expedite([{ batchId: id, actionId: 's1' }], 60_000);
  const stopping = h.engine.stop(10_000);
  await waiting;
  release();
  await stopping;
});
