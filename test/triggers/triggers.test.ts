import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { normaliseConfig } from '../../src/config/index.js';
import { parseKvg, getValue } from '../../src/kvgroup/index.js';
import { SqliteStore, type Store, type StoreEvent } from '../../src/store/index.js';
import { renderPayload, TriggerRunner, triggersFor } from '../../src/triggers/index.js';
import { batchText, newBatch } from '../helpers/batches.js';
import { ROOT, tmon } from '../helpers/cli.js';
import { engineHarness, RecordingConnector, type Harness } from '../helpers/engine.js';
import { waitFor } from '../helpers/daemon.js';
import { letThrough, makeFifo } from '../helpers/fifo.js';
import { tempDir } from '../helpers/home.js';
import { recordingLogger } from '../helpers/logger.js';

const event: StoreEvent = { type: 'action.failed', batch: 'B<1>', action: 'a&1', operation: 'GRUA', hostid: 'AD', state: 'failed', message: 'no such "account"', at: Date.UTC(2026, 10, 22, 12, 0, 0) };

describe('trigger payloads', () => {
  test('json, kvgroup and xml carry the same fields; xml is escaped by the builder', () => {
    const fields = { event: 'action.failed', batch: 'B<1>', action: 'a&1', state: 'failed', operation: 'GRUA', hostid: 'AD', message: 'no such "account"', at: '2026-11-22T12:00:00.000Z' };
    expect(JSON.parse(renderPayload(event, 'json'))).toEqual(fields);
    const kvg = parseKvg(renderPayload(event, 'kvgroup'))[0]!;
    expect([kvg.type, kvg.name]).toEqual(['event', 'action.failed']);
    expect(Object.fromEntries(kvg.members.map((m) => ['key' in m ? m.key : '', 'value' in m ? m.value : '']))).toEqual(fields);
    const xml = renderPayload(event, 'xml');
    expect(xml).toContain('<batch>B&lt;1&gt;</batch>');
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false }).parse(xml);
    expect(parsed.event).toEqual({ '@_type': 'action.failed', ...Object.fromEntries(Object.entries(fields).filter(([k]) => k !== 'event')) });
  });

  test('filters: type, then hostid and operation', () => {
    const config = normaliseConfig(
      { triggers: [{ event: 'action.failed', script: '/x/a.sh' }, { name: 'ad-only', event: 'action.failed', script: '/x/a.sh', filter: { hostid: 'AD', operation: ['GRUA', 'GRUD'] } }, { event: 'batch.completed', script: '/x/c.sh' }] },
      '/',
    );
    expect(config.triggers.map((t) => t.name)).toEqual(['a', 'ad-only', 'c']);
    const match = triggersFor(config.triggers);
    expect(match(event)).toEqual(['a', 'ad-only']);
    expect(match({ ...event, hostid: 'LDAP' })).toEqual(['a']);
    expect(match({ type: 'batch.completed', batch: 'B', state: 'succeeded', at: 1 })).toEqual(['c']);
  });

  test('two triggers of one name are refused', () => {
    expect(() => normaliseConfig({ triggers: [{ event: 'action.failed', script: 'a.sh' }, { event: 'batch.completed', script: 'other/a.sh' }] }, '/')).toThrow(
      'triggers[1].name: "a" is also the name of triggers[0]; give each trigger its own name',
    );
  });
});

describe('trigger runs', () => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  const script = (name: string, body: string): string => {
    const path = join(dir.path, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  };
  const lines = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').filter(Boolean) : []);
  const fast = { triggerRetryDelaysMs: [20, 20, 20, 20] };

  test('each format reaches the script on stdin, with the event in the environment', async () => {
    const out = join(dir.path, 'formats');
    const copy = script('copy.sh', `cat > "$1.$TMON_FORMAT"; echo "$TMON_EVENT $TMON_TRIGGER $TMON_ATTEMPT" > "$1.$TMON_FORMAT.env"`);
    h = await engineHarness({
      connector: new RecordingConnector(() => 'permanent'),
      config: { ...fast, triggers: (['json', 'kvgroup', 'xml'] as const).map((format) => ({ name: `copy-${format}`, event: 'action.failed', script: copy, args: [out], format })) },
    });
    await h.submit(batchText('F', [{ id: 'f1', op: 'DNAU', host: 'AD', user: 'ann', replyid: 'rf' }]));
    await waitFor('three payloads', () => ['json', 'kvgroup', 'xml'].every((f) => existsSync(`${out}.${f}.env`)));
    expect(JSON.parse(readFileSync(`${out}.json`, 'utf8'))).toMatchObject({ event: 'action.failed', batch: 'F', action: 'f1', operation: 'DNAU', hostid: 'AD', state: 'failed', message: 'f1: no such account' });
    expect(getValue(parseKvg(readFileSync(`${out}.kvgroup`, 'utf8'))[0]!, 'action')).toBe('f1');
    expect(readFileSync(`${out}.xml`, 'utf8')).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<event type="action.failed">/);
    expect(readFileSync(`${out}.json.env`, 'utf8')).toBe('action.failed copy-json 1\n');
  });

  test('a script that fails twice then succeeds is run three times; one that always fails, five times, with one message', async () => {
    const count = join(dir.path, 'count');
    const flaky = script('flaky.sh', `echo run >> "${count}"; [ $(wc -l < "${count}") -ge 3 ] || { echo "not yet" >&2; exit 1; }`);
    const always = join(dir.path, 'always');
    const broken = script('broken.sh', `echo run >> "${always}"; echo "the ticket system is down" >&2; exit 7`);
    h = await engineHarness({
      connector: new RecordingConnector(),
      config: { ...fast, triggers: [{ name: 'flaky', event: 'batch.completed', script: flaky }, { name: 'broken', event: 'batch.completed', script: broken }] },
    });
    await h.submit(batchText('T', [{ id: 't1' }]));
    await waitFor('both runs to end', async () => (await h!.store.triggerRuns()).every((r) => r.state === 'succeeded' || r.state === 'failed') && (await h!.store.triggerRuns()).length === 2);
    expect(lines(count)).toHaveLength(3);
    expect(lines(always)).toHaveLength(5);
    const runs = Object.fromEntries((await h.store.triggerRuns()).map((r) => [r.trigger, [r.state, r.attempts]]));
    expect(runs).toEqual({ flaky: ['succeeded', 3], broken: ['failed', 5] });
    const board = (await h.store.messages()).filter((m) => m.source === 'trigger');
    expect(board.map((m) => m.text)).toEqual(['trigger broken (batch.completed) failed 5 times; last: exited with code 7: the ticket system is down']);
  });

  test('a slow script never delays the actions', async () => {
    const done = join(dir.path, 'slow-done');
    // Each run waits at the gate until the test opens it, however long the actions take.
    const gate = makeFifo(join(dir.path, 'slow-gate'));
    const slow = script('slow.sh', `read _ < "${gate}"; date +%s%3N >> "${done}"`);
    const c = new RecordingConnector(() => 'ok', 1);
    h = await engineHarness({ connector: c, config: { ...fast, triggerConcurrency: 1, triggers: [{ name: 'slow', event: 'action.succeeded', script: slow }] } });
    await h.submit(batchText('S', [1, 2, 3, 4, 5].map((i) => ({ id: `s${i}`, ...(i > 1 ? { depends: [`s${i - 1}`] } : {}) }))));
    await h.settle();
    // The whole chain ran while the first script was still held at the gate.
    const lastAction = Math.max(...c.executions.map((e) => e.end));
    await letThrough(gate, 5, () => lines(done).length >= 5);
    await waitFor('the first script', () => lines(done).length >= 1);
    expect(lastAction).toBeLessThan(Number(lines(done)[0]));
    expect(c.order()).toEqual(['s1', 's2', 's3', 's4', 's5']);
  });

  test('tmon triggers test runs one with sample data and shows what it printed', () => {
    const home = join(dir.path, 'home');
    const say = script('say.sh', 'cat; echo "told the help desk"; echo "warning: slow" >&2');
    const cfg = join(dir.path, 'tmon.config.json');
    writeFileSync(cfg, JSON.stringify({ triggers: [{ name: 'say', event: 'action.failed', script: say, format: 'kvgroup' }, { name: 'helpdesk', event: 'action.failed', script: join(ROOT, 'fixtures', 'triggers', 'notify-helpdesk.sh'), args: [join(dir.path, 'queue')] }] }));
    const r = tmon(['--home', home, 'triggers', 'test', 'say', '--config', cfg]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^trigger say: ok\nexit code: 0\n--- input \(kvgroup\) ---\n"event" "action.failed" = \{\n/);
    expect(r.stdout).toContain('--- stdout ---\n"event" "action.failed" = {');
    expect(r.stdout).toMatch(/told the help desk\n--- stderr ---\nwarning: slow\n$/);
    const j = JSON.parse(tmon(['--home', home, 'triggers', 'test', 'helpdesk', '--event', 'batch.rejected', '--json', '--config', cfg]).stdout);
    expect(j).toMatchObject({ trigger: 'helpdesk', event: 'batch.rejected', exitCode: 0, ok: true });
    expect(readFileSync(join(dir.path, 'queue'), 'utf8')).toMatch(/^batch.rejected attempt=1 \{"event":"batch.rejected","source":"broken.kvg"/);
    expect(tmon(['--home', home, 'triggers', 'test', 'nope', '--config', cfg]).status).toBe(66);
    const list = tmon(['--home', home, 'triggers', '--config', cfg]);
    expect(list.stdout).toMatch(/^NAME\s+EVENT\s+FORMAT\s+SCRIPT\nsay\s+action.failed\s+kvgroup/);
  });
});

describe('the runner under load', () => {
  const events: StoreEvent[] = [{ type: 'batch.completed', batch: 'B', state: 'succeeded', at: 1 }];
  /** A store that counts the runner's asks for runs (none are ever due). */
  const countingStore = () => {
    const asked = { claims: 0 };
    const store = {
      claimTriggerRuns: async () => {
        asked.claims++;
        return [];
      },
      nextTriggerAt: async () => null,
      recoverTriggerRuns: async () => 0,
    } as unknown as Store;
    return { store, asked };
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0)).then(() => new Promise((resolve) => setImmediate(resolve)));

  test('with no trigger configured, committed events do not make it ask the store for runs; with one, they do', async () => {
    const none = countingStore();
    const idle = new TriggerRunner(none.store, normaliseConfig({}, '/'), recordingLogger());
    await idle.start();
    await settle();
    const atStart = none.asked.claims;
    for (let i = 0; i < 5; i++) idle.wakeFor(events);
    await settle();
    expect(none.asked.claims).toBe(atStart);
    await idle.stop(100);

    const one = countingStore();
    const busy = new TriggerRunner(one.store, normaliseConfig({ triggers: [{ event: 'batch.completed', script: '/x/c.sh' }] }, '/'), recordingLogger());
    await busy.start();
    await settle();
    const before = one.asked.claims;
    busy.wakeFor(events);
    await settle();
    expect(one.asked.claims).toBeGreaterThan(before);
    await busy.stop(100);
  });

  test('SQLite: a claim with nothing due opens no transaction, so the engine’s deferred writes stay uncommitted; a due run is still claimed', async () => {
    const dir = tempDir();
    try {
      const store = new SqliteStore(join(dir.path, 'tmon.db'), { triggersFor: (e) => (e.type === 'batch.received' ? ['c'] : []) });
      await store.tick({ results: [], decisions: [], holdMs: 1000, defer: true });
      await store.withDirectory('H', (d) => d.putGroup('g'));
      expect(store.db.inTransaction).toBe(true);
      expect(await store.claimTriggerRuns(Date.now(), 4)).toEqual([]);
      expect(store.db.inTransaction).toBe(true);
      await store.commitDeferred();
      await store.insertBatch(newBatch('B', [{ id: 'a' }]));
      expect((await store.claimTriggerRuns(Date.now(), 4)).map((r) => [r.trigger, r.event, r.attempts])).toEqual([['c', 'batch.received', 1]]);
      await store.close();
    } finally {
      dir.cleanup();
    }
  });
});
