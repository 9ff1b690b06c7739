import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Outbox } from '../../src/replies/index.js';
import { batchText } from '../helpers/batches.js';
import { outboxReplies } from '../helpers/daemon.js';
import { engineHarness, RecordingConnector, type Harness } from '../helpers/engine.js';

describe('recovery at start (contract §4)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  test('a claimed action left running by a dead daemon runs again with recovery set', async () => {
    const c = new RecordingConnector();
    h = await engineHarness({ connector: c, hold: true });
    await h.submit(batchText('R', [{ id: 'r1', replyid: 'rr' }]));
    // Claim by hand, then "die" (never complete it).
    expect((await h.store.claimRunnable(Date.now(), () => 4, 4)).map((x) => x.id)).toEqual(['r1']);
    await h.start();
    await h.settle();
    expect(c.executions.map((e) => [e.id, e.attempt, e.recovery])).toEqual([['r1', 2, true]]);
    expect((await h.store.replies()).map((r) => r.replyid)).toEqual(['rr']);
    expect(h.logger.lines.some((l) => l.message.includes('were running or being rewritten when tmon stopped'))).toBe(true);
  });

  test('reply files lost in a crash are written again at start, half-written ones removed, none doubled (a file per reply)', async () => {
    h = await engineHarness({ connector: new RecordingConnector(), config: { replies: { files: 'each' } } });
    await h.submit(batchText('M', [{ id: 'm1', replyid: 'rm1' }, { id: 'm2', replyid: 'rm2' }]));
    await h.settle();
    const outboxDir = join(h.home, 'outbox');
    const files = readdirSync(outboxDir).sort();
    expect(files).toEqual(['0000000001-rm1.kvg', '0000000002-rm2.kvg']);
    // A crash between the commit and the file: the file is gone and the reply unmarked.
    rmSync(join(outboxDir, files[1]!));
    h.store.db.prepare('UPDATE replies SET mirrored = 0 WHERE seq = 2').run();
    writeFileSync(join(outboxDir, '.0000000002-rm2.kvg.tmp'), 'half');
    expect(await new Outbox(outboxDir, h.store, undefined, undefined, 'each').catchUp()).toBe(1);
    expect(readdirSync(outboxDir).sort()).toEqual(files);
    expect(existsSync(join(outboxDir, '.0000000002-rm2.kvg.tmp'))).toBe(false);
    expect(await new Outbox(outboxDir, h.store, undefined, undefined, 'each').catchUp()).toBe(0);
  });

  test('grouped files: a file renamed into place before its mark is not written again; a lost one is', async () => {
    h = await engineHarness({ connector: new RecordingConnector() });
    await h.submit(batchText('G', [{ id: 'g1', replyid: 'rg1' }]));
    await h.settle();
    await h.submit(batchText('H', [{ id: 'h1', replyid: 'rh1' }]));
    await h.settle();
    const outboxDir = join(h.home, 'outbox');
    const [first, second] = readdirSync(outboxDir).sort();
    expect([first, second]).toEqual([expect.stringMatching(/^000000000001-000000000001\.replies\.kvg$/), expect.stringMatching(/^000000000002-000000000002\.replies\.kvg$/)]);
    // Killed after the first file's rename but before its mark; the second file never made it.
    rmSync(join(outboxDir, second!));
    h.store.db.prepare('UPDATE replies SET mirrored = 0').run();
    expect(await new Outbox(outboxDir, h.store).catchUp()).toBe(1);
    expect(outboxReplies(outboxDir).map((r) => r.replyid)).toEqual(['rg1', 'rh1']);
    expect(await h.store.unmirroredReplies()).toEqual([]);
  });
});
