import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { batchText } from '../helpers/batches.js';
import { ROOT } from '../helpers/cli.js';
import { waitFor } from '../helpers/daemon.js';
import { tempDir } from '../helpers/home.js';
import { call, gateScript, metric, startApiDaemon, type ApiDaemon } from './helpers.js';

const stateOf = async (base: string, id: string): Promise<{ state: string; actions: Array<{ id: string; state: string }> }> => (await call(base, `/v1/batches/${id}`, { token: 'reader' })).body;
const finished = (base: string, id: string) => waitFor(`batch ${id} to finish`, async () => {
  const b = await stateOf(base, id);
  return ['succeeded', 'failed', 'canceled'].includes(b.state) && b;
});
const scrape = async (base: string): Promise<string> => (await call(base, '/metrics')).body as string;

describe('operating and observing the daemon over HTTP (real daemon, real HTTP)', () => {
  let dir: ReturnType<typeof tempDir>;
  let api: ApiDaemon | undefined;
  let gate: { script: string; gate: string };
  beforeEach(async () => {
    dir = tempDir();
    gate = gateScript(dir.path);
    api = await startApiDaemon(join(dir.path, 'home'), {
      retry: { attempts: 1 },
      pluginsDir: join(ROOT, 'plugins'),
      rewritePlugin: 'terminate-disable',
      targets: { G: { connector: 'script', script: gate.script, args: [gate.gate] } },
      triggers: [{ name: 'done', event: 'batch.completed', script: '/bin/true' }],
    });
  });
  afterEach(async () => {
    writeFileSync(gate.gate, '');
    await api?.stop();
    api = undefined;
    dir.cleanup();
  });

  test('retry and cancel through the running daemon: roles, refusals, and what they do', async () => {
    const { base } = api!;
    // LOCK of an account that does not exist fails; the ULCK waiting on it is skipped.
    expect((await call(base, '/v1/batches', { token: 'wf', body: batchText('F-1', [{ id: 'a', op: 'LOCK', user: 'later', replyid: 'f-a' }, { id: 'b', op: 'ULCK', user: 'later', depends: ['a'] }]) })).status).toBe(202);
    expect((await finished(base, 'F-1')).state).toBe('failed');
    expect((await call(base, '/v1/batches/F-1/retry', { token: 'wf', body: { action: 'a' } })).status).toBe(403);
    expect((await call(base, '/v1/batches/F-1/retry', { token: 'ops', body: { action: 'zz' } })).status).toBe(404);
    expect((await call(base, '/v1/batches/F-1/retry', { token: 'ops', body: {} })).status).toBe(400);

    expect((await call(base, '/v1/batches', { token: 'wf', body: batchText('F-2', [{ id: 'a', op: 'ACUA', user: 'later' }]) })).status).toBe(202);
    expect((await finished(base, 'F-2')).state).toBe('succeeded');
    const retried = await call(base, '/v1/batches/F-1/retry', { token: 'ops', body: { action: 'a', note: 'account made' } });
    expect(retried).toMatchObject({ status: 200, body: { requeued: ['a', 'b'] } });
    expect((await finished(base, 'F-1')).state).toBe('succeeded');
    expect((await call(base, '/v1/batches/F-1/retry', { token: 'ops', body: { action: 'a' } })).status).toBe(409);

    // Cancel: the gated action runs, the one waiting on it is canceled and answered at once.
    expect((await call(base, '/v1/batches', { token: 'wf', body: batchText('C-1', [{ id: 'a', host: 'G', replyid: 'c-a' }, { id: 'b', depends: ['a'], replyid: 'c-b' }]) })).status).toBe(202);
    await waitFor('the gated action to start', () => existsSync(`${gate.gate}.started`));
    const { body: before } = await call(base, '/v1/replies?wait=0&limit=1000', { token: 'reader' });
    const canceled = await call(base, '/v1/batches/C-1/cancel', { token: 'ops', body: { note: 'not wanted' } });
    expect(canceled).toMatchObject({ status: 200, body: { canceled: ['b'] } });
    const { body: after } = await call(base, `/v1/replies?after=${before.last}&wait=30`, { token: 'reader' });
    expect(after.replies.map((r: { replyid: string; status: string }) => [r.replyid, r.status])).toEqual([['c-b', 'failure']]);
    writeFileSync(gate.gate, '');
    expect((await finished(base, 'C-1')).state).toBe('canceled');
    expect((await call(base, '/v1/batches/C-1/cancel', { token: 'ops', method: 'POST' })).status).toBe(409);
    const board = (await call(base, '/v1/messages', { token: 'reader' })).body.messages.map((m: { text: string }) => m.text).join('\n');
    expect(board).toContain('by token ops over HTTP');
  });

  test('metrics move with the work', async () => {
    const { base } = api!;
    const start = await scrape(base);
    expect(metric(start, 'tmon_replies_total')).toBe(0);
    expect(metric(start, 'tmon_actions_running')).toBe(0);
    expect(start).toContain('tmon_process_resident_memory_bytes');

    const text = batchText('M-1', [
      { id: 'a', op: 'ACUA', user: 'm1', replyid: 'm-a' },
      { id: 'b', op: 'DELU', user: 'm1', replyid: 'm-b', depends: ['a'] },
    ]);
    expect((await call(base, '/v1/batches', { token: 'wf', body: text })).status).toBe(202);
    expect((await finished(base, 'M-1')).state).toBe('succeeded');
    const done = await waitFor('the trigger run to be counted', async () => {
      const t = await scrape(base);
      return metric(t, 'tmon_trigger_runs_total{outcome="succeeded"}') === 1 && t;
    });
    expect(metric(done, 'tmon_replies_total')).toBe(2);
    expect(metric(done, 'tmon_actions{state="succeeded",operation="ACUA",target="H1"}')).toBe(1);
    // terminate-disable made the DELU a DNAU.
    expect(metric(done, 'tmon_actions{state="succeeded",operation="DNAU",target="H1"}')).toBe(1);
    expect(metric(done, 'tmon_plugin_calls_total{plugin="terminate-disable"}')).toBe(2);
    // b waits for a, so each is rewritten just before it runs: two plugin tasks.
    expect(metric(done, 'tmon_plugin_duration_seconds_count{plugin="terminate-disable"}')).toBe(2);
    expect(metric(done, 'tmon_action_duration_seconds_count{target="H1",outcome="success"}')).toBe(2);
    expect(metric(done, 'tmon_events_total{type="batch.completed"}')).toBe(1);
    expect(metric(done, 'tmon_batches{state="succeeded"}')).toBe(1);
    expect(metric(done, 'tmon_store_commit_seconds_count{operation="insertBatch"}')).toBe(1);
    expect(metric(done, 'tmon_http_requests_total{method="POST",route="/v1/batches",status="202"}')).toBe(1);
    expect(metric(done, 'tmon_reply_lag')).toBe(0);

    // Held running at the gate, with one waiting behind it.
    expect((await call(base, '/v1/batches', { token: 'wf', body: batchText('M-2', [{ id: 'a', host: 'G' }, { id: 'b', depends: ['a'] }]) })).status).toBe(202);
    await waitFor('the gated action to start', () => existsSync(`${gate.gate}.started`));
    const held = await waitFor('the running gauge', async () => {
      const t = await scrape(base);
      return metric(t, 'tmon_actions_running') === 1 && t;
    });
    expect(metric(held, 'tmon_actions_pending')).toBe(1);
    expect(metric(held, 'tmon_actions{state="running",operation="NOOP",target="G"}')).toBe(1);
  });

  test('readiness during shutdown: 503 while running actions drain, new batches refused, then a clean exit', async () => {
    const { base, daemon } = api!;
    expect((await call(base, '/readyz')).status).toBe(200);
    expect((await call(base, '/v1/batches', { token: 'wf', body: batchText('D-1', [{ id: 'a', host: 'G' }]) })).status).toBe(202);
    await waitFor('the gated action to start', () => existsSync(`${gate.gate}.started`));
    daemon.child.kill('SIGTERM');
    const draining = await waitFor('readiness to drop', async () => {
      const r = await call(base, '/readyz');
      return r.status === 503 && r;
    });
    expect(draining.body.reasons).toEqual([expect.stringMatching(/^shutting down/)]);
    expect((await call(base, '/healthz')).status).toBe(200);
    expect((await call(base, '/v1/batches', { token: 'wf', body: batchText('D-2', [{ id: 'a' }]) })).status).toBe(503);
    writeFileSync(gate.gate, '');
    expect((await daemon.exited).code).toBe(0);
  });
});
