import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Inbox } from '../../src/engine/inbox.js';
import { InboxListing } from '../../src/engine/inbox-listing.js';
import { arrivalGroups, type Prepared } from '../../src/engine/inbox-reading.js';
import { SqliteStore } from '../../src/store/index.js';
import type { NewBatch, Store } from '../../src/store/index.js';
import { batchText, newBatch } from '../helpers/batches.js';
import { dropIntoInbox, waitFor } from '../helpers/daemon.js';
import { tempDir } from '../helpers/home.js';
import { recordingLogger } from '../helpers/logger.js';

/*
 * Files the inbox's watcher names are taken as they come, without a listing of the folder, and
 * while a backlog is read they are stored on their own, ahead of the backlog's group (issue 12:
 * interactive work must not wait for hundreds of backlog actions to be written with it).
 */

const prepared = (id: string, depends: Array<string | { batch: string; action: string }> = []): Prepared => ({ name: `${id}.kvg`, batch: newBatch(id, [{ id: 'a', depends }]) });

/** A fresh home per test (inbox folder and store); the inbox a test starts is stopped after it. */
let dir: { path: string; cleanup: () => void };
let store: SqliteStore;
let inbox: Inbox | undefined;
beforeEach(() => {
  dir = tempDir();
  mkdirSync(join(dir.path, 'inbox'));
  store = new SqliteStore(join(dir.path, 'tmon.db'));
});
afterEach(async () => {
  await inbox?.stop();
  inbox = undefined;
  await store.close();
  dir.cleanup();
});

describe('arrivalGroups', () => {
  test('arrivals go ahead of the held group, which keeps waiting for its own flush', () => {
    const held = [prepared('B1'), prepared('B2')];
    const out = arrivalGroups(held, [prepared('NEW')]);
    expect(out.now.map((p) => p.batch.id)).toEqual(['NEW']);
    expect(out.held.map((p) => p.batch.id)).toEqual(['B1', 'B2']);
  });

  test('an arrival that waits on a batch of the held group is stored with it, after it', () => {
    const held = [prepared('B1'), prepared('B2')];
    const out = arrivalGroups(held, [prepared('OTHER'), prepared('NEW', [{ batch: 'B2', action: 'a' }])]);
    expect(out.now.map((p) => p.batch.id)).toEqual(['B1', 'B2', 'OTHER', 'NEW']);
    expect(out.held).toEqual([]);
  });
});

test('an arrival with the id of a held batch goes in after it (the first file of an id is the one stored)', () => {
  const out = arrivalGroups([prepared('B1')], [prepared('B1')]);
  expect(out.now.map((p) => p.name)).toEqual(['B1.kvg', 'B1.kvg']);
  expect(out.held).toEqual([]);
});

describe('the inbox takes what its watcher names', () => {

  /** An inbox whose sweep timer never fires within a test: only the start's listing and the watcher find files. */
  const start = (s: Store): Inbox => {
    inbox = new Inbox({ dir: join(dir.path, 'inbox'), home: dir.path, store: s, logger: recordingLogger(), sweepMs: 3_600_000, onAccepted: () => undefined });
    inbox.start();
    return inbox;
  };

  test('a file renamed into the inbox after the start is stored without another listing', async () => {
    await start(store).sweep();
    dropIntoInbox(join(dir.path, 'inbox'), 'LATE.kvg', batchText('LATE', [{ id: 'a', interactive: true }]));
    await waitFor('the named file stored', async () => (await store.batchDetail('LATE')) !== undefined);
  });

  test('a file that arrives while a backlog is stored goes in on its own, before the backlog ends', async () => {
    const inboxDir = join(dir.path, 'inbox');
    // 120 batches of 20 actions: several groups of the inbox's transaction size.
    for (let i = 0; i < 120; i++) {
      const id = `BK-${String(i).padStart(3, '0')}`;
      dropIntoInbox(inboxDir, `${id}.kvg`, batchText(id, Array.from({ length: 20 }, (_, k) => ({ id: `a${k}` }))));
    }
    const groups: string[][] = [];
    // The store as the inbox sees it: the first group's insert is when the new file arrives.
    const recording: Store = Object.create(store) as Store;
    recording.insertBatches = async (batches: readonly NewBatch[]) => {
      groups.push(batches.map((b) => b.id));
      if (groups.length === 1) dropIntoInbox(inboxDir, 'NEW.kvg', batchText('NEW', [{ id: 'a', interactive: true }]));
      return store.insertBatches(batches);
    };
    start(recording);
    await waitFor('every batch stored', async () => (await store.listBatches({ limit: 200 })).length === 121);
    const at = groups.findIndex((g) => g.includes('NEW'));
    const lastBacklog = groups.findIndex((g) => g.includes('BK-119'));
    expect(groups[at]).toEqual(['NEW']);
    expect(at).toBeLessThan(lastBacklog);
  });
});

describe('the sweep timer while the budget is full', () => {

  test('does not list the folder again while nothing but interactive work could be taken (a backlog of files is not re-read every sweep)', async () => {
    // 20 unfinished actions against a budget of 10: full. No engine runs them.
    await store.insertBatch(newBatch('HELD', Array.from({ length: 20 }, (_, k) => ({ id: `a${k}` }))));
    for (let i = 0; i < 30; i++) dropIntoInbox(join(dir.path, 'inbox'), `W-${i}.kvg`, batchText(`W-${i}`, [{ id: 'a' }]));
    let listings = 0;
    const list = InboxListing.prototype.list;
    InboxListing.prototype.list = function (this: InboxListing): string[] {
      listings++;
      return list.call(this);
    };
    let counts = 0;
    const counting: Store = Object.create(store) as Store;
    counting.openActions = async () => (counts++, store.openActions());
    inbox = new Inbox({ dir: join(dir.path, 'inbox'), home: dir.path, store: counting, logger: recordingLogger(), sweepMs: 20, maxPendingActions: 10, onAccepted: () => undefined });
    try {
      inbox.start();
      // The start's sweep lists once; each timer sweep asks the store's count (at most every 250 ms).
      await waitFor('several timer sweeps', () => counts >= 4, 10_000);
      expect(listings).toBe(1);
      expect((await store.listBatches({ limit: 100 })).map((b) => b.id)).toEqual(['HELD']);
    } finally {
      InboxListing.prototype.list = list;
    }
  });

  test('a store that cannot count its unfinished actions does not stop the inbox (a database blip): the last count is used', async () => {
    let asked = 0;
    const failing: Store = Object.create(store) as Store;
    failing.openActions = async () => {
      asked++;
      if (asked > 1) throw new Error('connection reset');
      return store.openActions();
    };
    const logger = recordingLogger();
    inbox = new Inbox({ dir: join(dir.path, 'inbox'), home: dir.path, store: failing, logger, sweepMs: 20, maxPendingActions: 1000, onAccepted: () => undefined });
    inbox.start();
    await waitFor('the timer to meet the failing count', () => logger.lines.some((l) => l.message.includes('cannot count the unfinished actions (connection reset)')), 10_000);
    // Still taking files.
    dropIntoInbox(join(dir.path, 'inbox'), 'AFTER.kvg', batchText('AFTER', [{ id: 'a' }]));
    await waitFor('the file stored', async () => (await store.batchDetail('AFTER')) !== undefined);
  });
});
