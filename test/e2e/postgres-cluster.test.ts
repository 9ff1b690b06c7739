import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { batchText, type ActionSpec } from '../helpers/batches.js';
import { daemonTestFolders, dropIntoInbox, outboxReplies, spawnDaemon, waitFor, type DaemonProcess } from '../helpers/daemon.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';

/*
 * Three daemons on one PostgreSQL database share 10,000 actions; one of them is killed with
 * SIGKILL while work flows and started again on its home. What must hold (issue #18):
 * every replyid answered exactly once (in the store and across the three outboxes), no action
 * run twice unless its second run is flagged as a recovery, a target's concurrency never
 * exceeded across daemons (recorded by the target itself), cross-batch `depends` honoured
 * between batches taken in by different daemons.
 */

const BATCHES = 500;
const PER_BATCH = 20;
const SLOW_LIMIT = 2;

let server: Postgres;
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

/** The SLOW target's script: logs its start and end (nanoseconds, one clock) to `log`. */
function recordingScript(dir: string, log: string): string {
  const script = join(dir, 'slow.sh');
  writeFileSync(
    script,
    `#!/bin/sh\necho "S $(date +%s%N) $TMON_BATCH_ID $TMON_ACTION_ID $TMON_RECOVERY" >> "${log}"\n` +
      // The target's own work: long enough that runs would overlap if the limit were not global.
      `sleep 0.02\necho "E $(date +%s%N) $TMON_BATCH_ID $TMON_ACTION_ID $TMON_RECOVERY" >> "${log}"\n`,
  );
  chmodSync(script, 0o755);
  return script;
}

/** Batch i: 8 accounts created, each added to a group, 3 of them locked, one SLOW action. */
function batch(i: number): { id: string; actions: ActionSpec[] } {
  const id = `CL-${String(i).padStart(4, '0')}`;
  const host = `D${i % 3}`;
  const actions: ActionSpec[] = [];
  for (let k = 0; k < 8; k++) {
    actions.push({ id: `a${k}`, op: 'ACUA', host, user: `${id}-u${k}`, replyid: `${id}-a${k}`, interactive: i % 25 === 0 });
    actions.push({ id: `g${k}`, op: 'GRUA', host, user: `${id}-u${k}`, group: `grp${k}`, depends: [`a${k}`] });
  }
  for (let k = 0; k < 3; k++) actions.push({ id: `l${k}`, op: 'LOCK', host, user: `${id}-u${k}`, depends: [`g${k}`] });
  // Every tenth batch's SLOW action waits on the previous batch's, which another daemon took in.
  const slowDeps: ActionSpec['depends'] = ['a0', ...(i % 10 === 9 ? [{ batch: `CL-${String(i - 1).padStart(4, '0')}`, action: 's' }] : [])];
  actions.push({ id: 's', op: 'NOOP', host: 'SLOW', user: `${id}-u0`, replyid: `${id}-s`, depends: slowDeps });
  if (actions.length !== PER_BATCH) throw new Error('batch shape');
  return { id, actions };
}

/**
 * How far the daemons are, from counts (an index or a small table each): the test polls them
 * while the daemons work, so it must not read the whole store each time; what they say is
 * checked in full, through the store, once they say it is done.
 */
async function progressOf(client: pg.Client, schema: string): Promise<{ held: number; final: number; replies: number }> {
  const r = await client.query<{ held: number; final: number; replies: number }>(
    `SELECT (SELECT count(*)::int FROM ${schema}.batches) AS held,
       (SELECT count(*)::int FROM ${schema}.batches WHERE state IN ('succeeded', 'failed', 'canceled')) AS final,
       (SELECT count(*)::int FROM ${schema}.replies) AS replies`,
  );
  return r.rows[0]!;
}

describe('several daemons on one PostgreSQL store', () => {
  const folders = daemonTestFolders();

  test('three daemons drain 10,000 actions while one is killed and restarted: each replyid once, no unflagged rerun, the global limit held', async () => {
    const dir = folders.dir();
    const schema = server.freshSchema();
    const log = join(dir, 'slow.log');
    writeFileSync(log, '');
    const script = recordingScript(dir, log);
    const homes = ['A', 'B', 'C'].map((n) => join(dir, n));
    for (const home of homes) {
      mkdirSync(join(home, 'inbox'), { recursive: true });
      writeFileSync(
        join(home, 'tmon.config.json'),
        JSON.stringify({
          store: { kind: 'postgres', url: server.url, schema, leaseMs: 2000 },
          targets: { SLOW: { connector: 'script', script, concurrency: SLOW_LIMIT, timeoutMs: 10_000 }, '*': { concurrency: 8 } },
          inboxSweepMs: 200,
        }),
      );
    }
    const expected = new Set<string>();
    const all = Array.from({ length: BATCHES }, (_, i) => batch(i));
    for (const b of all) for (const a of b.actions) if (a.replyid) expected.add(a.replyid);
    const drop = (i: number): void => dropIntoInbox(join(homes[i % 3]!, 'inbox'), `${all[i]!.id}.kvg`, batchText(all[i]!.id, all[i]!.actions));
    // A batch that waits on another batch's action is taken only once that batch is held
    // (contract §2): those go in once the others are stored, while their SLOW actions still queue.
    const later = (i: number): boolean => i % 10 === 9;
    for (let i = 0; i < BATCHES; i++) if (!later(i)) drop(i);

    // The test's own view of the database (it migrates the schema the daemons then find made).
    const reader = await PostgresStore.open({ url: server.url, schema, poolSize: 2 });
    const counts = new pg.Client({ connectionString: server.url });
    await counts.connect();
    const progress = () => progressOf(counts, schema);
    try {
      // Every daemon of one database seals passwords with the same key (docs/postgres.md).
      const env = { TMON_SECRET_KEY: randomBytes(32).toString('hex') };
      const start = (home: string): DaemonProcess => folders.track(spawnDaemon(['--home', home], { env }));
      const daemons = homes.map(start);
      await Promise.all(daemons.map((d) => d.started()));
      await waitFor('the first batches held', async () => (await progress()).held === BATCHES - BATCHES / 10, 60_000);
      expect(await reader.listBatches({ limit: BATCHES })).toHaveLength(BATCHES - BATCHES / 10);
      for (let i = 0; i < BATCHES; i++) if (later(i)) drop(i);

      // Killed mid-flow: once a tenth of the replies are in, before half are.
      await waitFor('replies to flow', async () => (await progress()).replies >= expected.size / 10, 60_000);
      daemons[1]!.child.kill('SIGKILL');
      const killedAt = (await reader.replies(0, 100_000)).length;
      expect(killedAt).toBeLessThan(expected.size / 2);
      expect((await daemons[1]!.exited).signal).toBe('SIGKILL');
      const restarted = start(homes[1]!);
      await restarted.started();

      await waitFor('every batch final', async () => (await progress()).final === BATCHES, 120_000);
      const batches = await reader.listBatches({ limit: 10_000 });
      expect(batches).toHaveLength(BATCHES);
      expect(batches.filter((b) => b.state !== 'succeeded').map((b) => b.id)).toEqual([]);

      // Each replyid once in the store, and once across the three outboxes.
      const replies = await reader.replies(0, 100_000);
      expect(replies.length).toBe(expected.size);
      expect(new Set(replies.map((r) => r.replyid))).toEqual(expected);
      await waitFor('the outboxes to hold every reply', () => homes.flatMap((h) => outboxReplies(join(h, 'outbox'))).length >= expected.size, 30_000);
      const mirrored = homes.flatMap((h) => outboxReplies(join(h, 'outbox')).map((r) => r.replyid));
      expect(mirrored.length).toBe(expected.size);
      expect(new Set(mirrored)).toEqual(expected);

      // The SLOW target, as it saw itself: every action ran, a second run only as a recovery,
      // never more than SLOW_LIMIT at once, and a cross-batch dependent after what it waits on.
      const events = readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(' '))
        .map(([kind, ns, b, a, rec]) => ({ kind: kind!, t: BigInt(ns!), action: `${b}/${a}`, recovery: rec === '1' }));
      const starts = events.filter((e) => e.kind === 'S');
      const runs = new Map<string, typeof starts>();
      for (const s of starts) runs.set(s.action, [...(runs.get(s.action) ?? []), s]);
      expect(runs.size).toBe(BATCHES);
      for (const [, rs] of runs) for (const again of rs.slice(1)) expect(again.recovery).toBe(true);
      let running = 0;
      let peak = 0;
      for (const e of [...events].sort((x, y) => (x.t < y.t ? -1 : x.t > y.t ? 1 : x.kind === 'E' ? -1 : 1))) {
        running += e.kind === 'S' ? 1 : -1;
        peak = Math.max(peak, running);
      }
      expect(peak).toBeLessThanOrEqual(SLOW_LIMIT);
      expect(peak).toBe(SLOW_LIMIT); // the limit was reached, so holding it meant something
      const firstEnd = (action: string): bigint => events.find((e) => e.kind === 'E' && e.action === action)!.t;
      const firstStart = (action: string): bigint => starts.find((e) => e.action === action)!.t;
      for (let i = 9; i < BATCHES; i += 10) {
        const id = (n: number) => `CL-${String(n).padStart(4, '0')}/s`;
        expect(firstStart(id(i)) > firstEnd(id(i - 1))).toBe(true);
      }
    } finally {
      await counts.end();
      await reader.close();
    }
  }, 240_000);
});
