import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseKvg, getValue } from '../../src/kvgroup/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { batchText } from '../helpers/batches.js';
import { dropIntoInbox, outboxReplies, spawnDaemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/home.js';

const BATCHES = 200;

/** A deterministic sequence of kill delays, so a failure can be replayed. */
function* delays(seed: number): Generator<number> {
  let x = seed;
  for (;;) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    yield 20 + (x % 600);
  }
}

describe('crash safety (contract §4)', () => {
  test(`SIGKILL at many points while ${BATCHES} batches flow: every batch completes, every replyid is answered once, no outbox file missing or doubled`, async () => {
    const dir = tempDir();
    const home = join(dir.path, 'home');
    const inbox = join(home, 'inbox');
    mkdirSync(inbox, { recursive: true });
    const expectedReplies = new Set<string>();
    for (let i = 0; i < BATCHES; i++) {
      const b = `CRASH-${String(i).padStart(3, '0')}`;
      const actions = [
        { id: `${b}_0`, op: 'ACUA', host: `H${i % 3}`, user: `user${i}`, replyid: `${b}-r0` },
        { id: `${b}_1`, op: 'GRUA', host: `H${i % 3}`, user: `user${i}`, group: `g${i % 5}`, replyid: `${b}-r1`, depends: [`${b}_0`] },
        ...(i % 3 === 0 ? [{ id: `${b}_2`, op: 'LOCK', host: `H${i % 3}`, user: `user${i}`, depends: [`${b}_1`] }] : []),
      ];
      for (const a of actions) if (a.replyid) expectedReplies.add(a.replyid);
      dropIntoInbox(inbox, `${b}.kvg`, batchText(b, actions));
    }

    const kills = delays(42);
    let killed = 0;
    /** Replies held after each kill: proof that the kills fell while work was flowing. */
    const progress: number[] = [];
    // One query-only reader for the whole loop, polled every few ms: opening one per poll took
    // most of a core from the daemons being killed. SQLite readers take no lock between queries.
    // It reads only the replies after the last one it saw (seqs are dense and never reused).
    let reader: SqliteStore | undefined;
    let seen = 0;
    const repliesSoFar = async (): Promise<number> => {
      try {
        reader ??= new SqliteStore(join(home, 'tmon.db'), { readonly: true });
        seen = (await reader.replies(seen, 100_000)).at(-1)?.seq ?? seen;
        return seen;
      } catch {
        // Not made yet (before the first start): 0, and a new reader next time.
        await reader?.close().catch(() => undefined);
        reader = undefined;
        return seen;
      }
    };
    try {
      for (let round = 0; round < 16; round++) {
        const before = await repliesSoFar();
        const d = spawnDaemon(['--home', home]);
        await d.started();
        // Killed mid-flow whatever this machine's speed: once a few more replies are in (how
        // many is drawn from the sequence), or after a random pause while it ingests.
        const wanted = before + ((kills.next().value as number) % 40) + 1;
        const deadline = Date.now() + (kills.next().value as number);
        while ((await repliesSoFar()) < wanted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 3));
        d.child.kill('SIGKILL');
        const { signal } = await d.exited;
        if (signal === 'SIGKILL') killed++;
        progress.push(await repliesSoFar());
      }
      const total = expectedReplies.size;
      process.stderr.write(`crash test: replies after each kill: ${progress.join(" ")} of ${total}\n`);
      expect(progress.filter((n) => n > 0 && n < total).length).toBeGreaterThanOrEqual(3);
      // The last run is left to finish.
      const last = spawnDaemon(['--home', home]);
      const deadline = Date.now() + 60_000;
      for (;;) {
        const reader = new SqliteStore(join(home, 'tmon.db'), { readonly: true });
        const open = (await reader.listBatches({ limit: 10_000 })).filter((b) => b.state === 'received' || b.state === 'running').length;
        const held = (await reader.listBatches({ limit: 10_000 })).length;
        await reader.close();
        if (held === BATCHES && open === 0 && readdirSync(inbox).filter((f) => f.endsWith('.kvg')).length === 0) break;
        if (Date.now() > deadline) throw new Error(`not done: ${open} open, ${held} held`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await last.started();
      last.child.kill('SIGTERM');
      expect((await last.exited).code).toBe(0);
      expect(killed).toBeGreaterThanOrEqual(14);

      const store = new SqliteStore(join(home, 'tmon.db'), { readonly: true });
      const batches = await store.listBatches({ limit: 10_000 });
      expect(batches).toHaveLength(BATCHES);
      expect(batches.filter((b) => b.state !== 'succeeded').map((b) => `${b.id} ${b.state}`)).toEqual([]);
      const replies = await store.replies(0, 100_000);
      expect(replies.map((r) => r.replyid).sort()).toEqual([...expectedReplies].sort());
      expect(replies.every((r) => r.status === 'success')).toBe(true);
      expect(replies.map((r) => r.seq)).toEqual(replies.map((_, i) => i + 1));
      // The directory holds each account once, in its group, the third action's lock applied.
      const directory = await store.directory();
      const accounts = Object.values(directory).flatMap((h) => Object.entries(h));
      expect(accounts).toHaveLength(BATCHES);
      for (const [uid, acct] of accounts) {
        const i = Number(uid.slice(4));
        expect(acct.groups).toEqual([`g${i % 5}`]);
        expect(acct.locked).toBe(i % 3 === 0);
      }
      await store.close();

      // Grouped files: every reply in exactly one of them, in seq order across the files.
      expect(readdirSync(join(home, 'outbox')).filter((f) => f.startsWith('.'))).toEqual([]);
      const inFiles = outboxReplies(join(home, 'outbox'));
      expect(inFiles).toHaveLength(replies.length);
      expect(inFiles.map((r) => r.replyid).sort()).toEqual([...expectedReplies].sort());
      expect(inFiles.map((r) => r.seq)).toEqual([...inFiles.map((r) => r.seq)].sort((a, b) => a - b));
      expect(readdirSync(join(inbox, 'rejected'))).toEqual([]);
    } finally {
      await reader?.close();
      dir.cleanup();
    }
  }, 180_000);
});
