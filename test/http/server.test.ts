import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { HttpApi, type DaemonPort } from '../../src/http/index.js';
import type { Logger } from '../../src/log.js';
import { normaliseConfig } from '../../src/config/index.js';
import { batchText } from '../helpers/batches.js';
import { waitFor } from '../helpers/daemon.js';
import { HTTP_TOKENS, TOKENS, call } from './helpers.js';

/** A daemon that stores nothing: what the server does around the port is under test here. */
function fakePort(submitted: string[]): DaemonPort {
  return {
    store: { listBatches: async () => [], batchDetail: async () => undefined, messages: async () => [], batchMessages: async () => [], replies: async () => [] },
    submit: async (text) => (submitted.push(text), { result: 'inserted', batch: 'B', actions: ['a'] }),
    retry: async () => ({ ok: false, reason: 'no action a in batch B' }),
    cancel: async () => ({ ok: false, reason: 'no batch B' }),
    plugins: async () => [],
    gauges: async () => ({ inboxFiles: 3, running: 1, repliesUnmirrored: 0, actions: [{ state: 'waiting', operation: 'NOOP', hostid: 'H1', count: 2 }], batches: { running: 1 } }),
  };
}

function recorder(): Logger & { lines: Array<{ message: string; meta?: Record<string, unknown> }> } {
  const lines: Array<{ message: string; meta?: Record<string, unknown> }> = [];
  const log = (message: string, meta?: Record<string, unknown>) => void lines.push({ message, ...(meta ? { meta } : {}) });
  return { lines, debug: log, info: log, warn: log, error: log };
}

const FIXTURES = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'fixtures');

async function serve(http: object) {
  const config = normaliseConfig({ http: { listen: '127.0.0.1:0', tokens: HTTP_TOKENS, ...http } }, FIXTURES).http!;
  const logger = recorder();
  const api = new HttpApi(config, logger);
  const submitted: string[] = [];
  const base = await api.listen(fakePort(submitted));
  return { api, base, logger, submitted };
}

describe('the HTTP server around the daemon port (real loopback HTTP)', () => {
  test('/readyz: 503 while starting, 200 once recovered, 503 while stopping, when new submissions are refused too', async () => {
    const { api, base } = await serve({});
    try {
      expect(await call(base, '/readyz')).toMatchObject({ status: 503, body: { ready: false, reasons: [expect.stringMatching(/^starting/)] } });
      expect((await call(base, '/healthz')).body).toEqual({ ok: true });
      api.markReady();
      expect(await call(base, '/readyz')).toMatchObject({ status: 200, body: { ready: true } });
      api.markStopping();
      expect(await call(base, '/readyz')).toMatchObject({ status: 503, body: { ready: false, reasons: [expect.stringMatching(/^shutting down/)] } });
      const late = await call(base, '/v1/batches', { token: 'wf', body: batchText('B', [{ id: 'a' }]) });
      expect(late).toMatchObject({ status: 503, body: { error: { code: 'HTTP_STOPPING' } } });
    } finally {
      await api.close();
    }
  });

  test('with metricsAuth, /metrics wants a token with role read; the gauges come from the daemon', async () => {
    const { api, base } = await serve({ metricsAuth: true });
    try {
      expect((await call(base, '/metrics')).status).toBe(401);
      const text = (await call(base, '/metrics', { token: 'reader' })).body as string;
      expect(text).toContain('tmon_actions{state="waiting",operation="NOOP",target="H1"} 2');
      expect(text).toContain('tmon_actions_pending 2');
      expect(text).toContain('tmon_inbox_backlog 3');
      expect(text).toContain('tmon_actions_running 1');
      expect(text).toContain('tmon_process_cpu_user_seconds_total');
    } finally {
      await api.close();
    }
  });

  test('request logs carry method, path, status, time and token name, never the body or a password', async () => {
    const { api, base, logger, submitted } = await serve({});
    try {
      const text = batchText('B', [{ id: 'a', op: 'ACHG', extra: { newpw: 'Sekrit-123' } }]);
      expect((await call(base, '/v1/batches?x=Sekrit-123', { token: 'wf', body: text })).status).toBe(202);
      expect(submitted).toEqual([text]);
      expect((await call(base, '/v1/batches/B/retry', { token: 'wf', body: { action: 'a' } })).status).toBe(403);
      expect((await call(base, '/v1/batches/B/retry', { token: 'ops', body: { action: 'a' } })).status).toBe(404);
      const http = logger.lines.filter((l) => l.meta?.method !== undefined);
      expect(http.map((l) => l.meta)).toEqual([
        { method: 'POST', path: '/v1/batches', status: 202, ms: expect.any(Number), token: 'wf' },
        { method: 'POST', path: '/v1/batches/B/retry', status: 403, ms: expect.any(Number), token: 'wf' },
        { method: 'POST', path: '/v1/batches/B/retry', status: 404, ms: expect.any(Number), token: 'ops' },
      ]);
      expect(JSON.stringify(logger.lines)).not.toContain('Sekrit-123');
    } finally {
      await api.close();
    }
  });

  test('with tls, it serves HTTPS with the configured certificate', async () => {
    const { api, base } = await serve({ tls: { cert: 'cert.pem', key: 'key.pem' } });
    try {
      expect(base).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(`${base}/healthz`, { ca: readFileSync(join(FIXTURES, 'cert.pem')) }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
        req.end();
      });
      expect(JSON.parse(body)).toEqual({ ok: true });
    } finally {
      await api.close();
    }
  });

  test('a replies stream is logged when it ends, with its token', async () => {
    const { api, base, logger } = await serve({});
    try {
      const res = await fetch(`${base}/v1/replies/stream`, { headers: { authorization: `Bearer ${TOKENS.reader}` } });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toBe(': tmon replies\n\n');
      await reader.cancel();
      await waitFor('the stream\'s log line', () => logger.lines.some((l) => l.meta?.path === '/v1/replies/stream'));
      expect(logger.lines.find((l) => l.meta?.path === '/v1/replies/stream')!.meta).toEqual({ method: 'GET', path: '/v1/replies/stream', status: 200, ms: expect.any(Number), token: 'reader' });
      expect((await call(base, '/metrics')).body).toContain('tmon_http_requests_total{method="GET",route="/v1/replies/stream",status="200"} 1');
    } finally {
      await api.close();
    }
  });

  test('a port in use or an unreadable certificate fails the start with the setting to change', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (busy.address() as AddressInfo).port;
      const config = normaliseConfig({ http: { listen: `127.0.0.1:${port}` } }, FIXTURES).http!;
      const api = new HttpApi(config, recorder());
      await expect(api.listen(fakePort([]))).rejects.toMatchObject({ code: 'HTTP_LISTEN', message: expect.stringMatching(new RegExp(`^http.listen: cannot listen on 127.0.0.1:${port}: .*EADDRINUSE`)) });
      await api.close();
    } finally {
      busy.close();
    }
    const noCert = new HttpApi(normaliseConfig({ http: { listen: '127.0.0.1:0', tls: { cert: 'missing.pem', key: 'key.pem' } } }, FIXTURES).http!, recorder());
    await expect(noCert.listen(fakePort([]))).rejects.toMatchObject({ code: 'HTTP_TLS', message: expect.stringMatching(/^http.tls.cert: cannot read .*missing.pem: ENOENT/) });
  });
});
