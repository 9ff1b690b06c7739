import { join } from 'node:path';
import { batchText } from '../helpers/batches.js';
import { ROOT, tmon } from '../helpers/cli.js';
import { tempDir } from '../helpers/home.js';
import { call, startApiDaemon, type ApiDaemon } from './helpers.js';

const ROUTES = [
  'get /healthz',
  'get /metrics',
  'get /readyz',
  'get /v1/batches',
  'get /v1/batches/{id}',
  'get /v1/messages',
  'get /v1/openapi.json',
  'get /v1/plugins',
  'get /v1/replies',
  'get /v1/replies/stream',
  'post /v1/batches',
  'post /v1/batches/{id}/cancel',
  'post /v1/batches/{id}/retry',
];

describe('HTTP API: submit, auth, refusals (real daemon, real HTTP)', () => {
  let dir: ReturnType<typeof tempDir>;
  let api: ApiDaemon;
  beforeAll(async () => {
    dir = tempDir();
    api = await startApiDaemon(join(dir.path, 'home'), { pluginsDir: join(ROOT, 'plugins'), rewritePlugin: 'terminate-disable' }, { bodyLimitMb: 0.01 });
  });
  afterAll(async () => {
    await api.stop();
    dir.cleanup();
  });

  test('no token: 401 with WWW-Authenticate; an unknown token: 401; a role not granted: 403', async () => {
    const none = await call(api.base, '/v1/batches');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(none.body.error.code).toBe('HTTP_UNAUTHORIZED');
    const unknown = await fetch(`${api.base}/v1/batches`, { headers: { authorization: 'Bearer not-a-token-of-ours' } });
    expect(unknown.status).toBe(401);
    const reader = await call(api.base, '/v1/batches', { token: 'reader', body: batchText('NOPE', [{ id: 'a' }]) });
    expect(reader.status).toBe(403);
    expect(reader.body.error.message).toBe('token reader does not have role submit');
    expect((await call(api.base, '/v1/batches/X/cancel', { token: 'wf', body: {} })).status).toBe(403);
    // Health needs no token; the batch was not taken.
    expect((await call(api.base, '/healthz')).status).toBe(200);
    expect((await call(api.base, '/v1/batches/NOPE', { token: 'reader' })).status).toBe(404);
  });

  test('202 once stored, 200 for the identical batch (text or JSON view), 409 for other content under the same id', async () => {
    const text = batchText('B-1', [{ id: 'a', op: 'ACUA', user: 'u1', replyid: 'r-a' }, { id: 'b', op: 'LOCK', user: 'u1', depends: ['a'] }]);
    const first = await call(api.base, '/v1/batches', { token: 'wf', body: text });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ batch: 'B-1', actions: ['a', 'b'], location: '/v1/batches/B-1' });
    expect(first.headers.get('location')).toBe('/v1/batches/B-1');
    const detail = await call(api.base, '/v1/batches/B-1', { token: 'reader' });
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ id: 'B-1', source: 'http(wf)', counts: { total: 2 } });
    expect(detail.body.edges).toEqual([{ action: 'b', dependsOn: { batch: 'B-1', action: 'a' } }]);

    expect((await call(api.base, '/v1/batches', { token: 'wf', body: text })).status).toBe(200);
    const parsed = JSON.parse(tmon(['parse', '--json', '-'], { input: text }).stdout);
    const asJson = await call(api.base, '/v1/batches', { token: 'wf', body: parsed });
    expect(asJson).toMatchObject({ status: 200, body: { batch: 'B-1', actions: ['a', 'b'] } });

    const other = await call(api.base, '/v1/batches', { token: 'wf', body: batchText('B-1', [{ id: 'a', op: 'DELU' }]) });
    expect(other.status).toBe(409);
    expect(other.body.error).toEqual({ code: 'HTTP_BATCH_CONFLICT', message: 'batch B-1 is already held with other content' });
  });

  test('400 with every problem: syntax errors with SOURCE:LINE:COL, validation problems all listed, bad JSON views, wrong media type', async () => {
    const syntax = await call(api.base, '/v1/batches', { token: 'wf', body: '"" "" = {\n  "batch" "X" = {\n    "action" "a" = { "operation" = }\n' });
    expect(syntax.status).toBe(400);
    expect(syntax.body.error.problems).toEqual([{ code: 'KVG_UNEXPECTED_TOKEN', line: 3, column: 36, message: 'http(wf):3:36: expected a string but found "}"' }]);

    const invalid = await call(api.base, '/v1/batches', { token: 'wf', body: batchText('X', [{ id: 'a', op: 'GRUA' }, { id: 'b', op: 'FROB' }]) });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.problems.map((p: { code: string; message: string }) => [p.code, p.message])).toEqual([
      ['BATCH_MISSING_KEY', 'action a: operation GRUA needs "groupid"'],
      ['BATCH_UNKNOWN_OPERATION', expect.stringMatching(/^action b: /)],
    ]);

    const badView = await call(api.base, '/v1/batches', { token: 'wf', body: { type: '', name: '', members: [{ key: 'k' }] } });
    expect(badView.status).toBe(400);
    expect(badView.body.error.code).toBe('HTTP_BAD_REQUEST');
    expect((await call(api.base, '/v1/batches', { token: 'wf', body: '{not json', type: 'application/json' })).status).toBe(400);
    expect((await call(api.base, '/v1/batches', { token: 'wf', body: 'x', type: 'application/xml' })).status).toBe(415);
    expect((await call(api.base, '/v1/batches', { token: 'reader' })).body.batches.map((b: { id: string }) => b.id)).toEqual(['B-1']);
  });

  test('a body over http.bodyLimitMb: 413', async () => {
    const big = batchText('BIG', [{ id: 'a', extra: { fname: 'x'.repeat(20_000) } }]);
    const r = await call(api.base, '/v1/batches', { token: 'wf', body: big });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('HTTP_BODY_TOO_LARGE');
  });

  test('Idempotency-Key: the same key and body get the same answer; the same key with another body, 422', async () => {
    const text = batchText('IDEM-1', [{ id: 'a' }]);
    const headers = { 'idempotency-key': 'k-1' };
    const first = await call(api.base, '/v1/batches', { token: 'wf', body: text, headers });
    const again = await call(api.base, '/v1/batches', { token: 'wf', body: text, headers });
    expect(first.status).toBe(202);
    expect(again).toMatchObject({ status: 202, body: first.body });
    const reused = await call(api.base, '/v1/batches', { token: 'wf', body: batchText('IDEM-2', [{ id: 'a' }]), headers });
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('HTTP_IDEMPOTENCY_KEY_REUSED');
    expect((await call(api.base, '/v1/batches/IDEM-2', { token: 'reader' })).status).toBe(404);
  });

  test('GET /v1/batches pages with a cursor, newest first, each batch once', async () => {
    for (const id of ['P-1', 'P-2', 'P-3']) expect((await call(api.base, '/v1/batches', { token: 'wf', body: batchText(id, [{ id: 'a' }]) })).status).toBe(202);
    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page: { body: { batches: Array<{ id: string }>; nextCursor: string | null } } = await call(api.base, `/v1/batches?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: 'reader' });
      seen.push(...page.body.batches.map((b) => b.id));
      cursor = page.body.nextCursor;
    }
    const all = (await call(api.base, '/v1/batches?limit=1000', { token: 'reader' })).body.batches.map((b: { id: string }) => b.id);
    expect(seen).toEqual(all);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(['P-1', 'P-2', 'P-3', 'B-1']));
    expect((await call(api.base, '/v1/batches?cursor=garbage', { token: 'reader' })).status).toBe(400);
  });

  test('the OpenAPI document lists every route, each with its answers', async () => {
    const doc = (await call(api.base, '/v1/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    const listed = Object.entries(doc.paths as Record<string, Record<string, { responses: object }>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(listed.sort()).toEqual(ROUTES);
    for (const [, ops] of Object.entries(doc.paths as Record<string, Record<string, { responses: object }>>)) for (const op of Object.values(ops)) expect(Object.keys(op.responses)).toContain('200');
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['KvGroup', 'Reply', 'BatchSummary', 'Message', 'Error']));
    // Open routes say so; the rest want the bearer token.
    expect(doc.paths['/healthz'].get.security).toEqual([]);
    expect(doc.paths['/metrics'].get.security).toEqual([]);
    expect(doc.paths['/v1/batches'].post.security).toBeUndefined();
    expect(doc.security).toEqual([{ bearer: [] }]);
  });

  test('messages and plugins read as the CLI prints them; newpw never comes back', async () => {
    const text = batchText('PW-1', [{ id: 'a', op: 'ACHG', user: 'u9', extra: { newpw: 'Sekrit-123' } }]);
    expect((await call(api.base, '/v1/batches', { token: 'wf', body: text })).status).toBe(202);
    const detail = await fetch(`${api.base}/v1/batches/PW-1`, { headers: { authorization: 'Bearer reader-token-0123456789abcdef' } });
    expect(await detail.text()).not.toContain('Sekrit-123');
    const messages = await call(api.base, '/v1/messages', { token: 'reader' });
    expect(messages.status).toBe(200);
    expect(Array.isArray(messages.body.messages)).toBe(true);
    const plugins = (await call(api.base, '/v1/plugins', { token: 'reader' })).body.plugins;
    expect(plugins).toContainEqual({ name: 'terminate-disable', kind: 'js', path: join(ROOT, 'plugins', 'terminate-disable.mjs'), interpreter: null, inUse: 1, error: null });
  });
});
