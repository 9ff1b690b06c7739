import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Outbox } from '../../src/replies/outbox.js';
import type { Reply } from '../../src/store/index.js';
import { tempDir } from '../helpers/home.js';

const reply = (seq: number): Reply => ({ seq, replyid: `r${seq}`, batch: 'B', action: `a${seq}`, operation: 'disable', status: 'success', retval: '0', message: 'ok', at: 0 });

describe('Outbox', () => {
  test('several commits waiting are written a file per turn of the event loop, so an interactive turn is not held behind them all', async () => {
    const dir = tempDir();
    try {
      const marked: number[][] = [];
      const outbox = new Outbox(join(dir.path, 'outbox'), {
        unmirroredReplies: async () => [],
        markMirrored: async (seqs) => void marked.push([...seqs]),
        adoptOrphanReplies: async () => [],
      });
      // Three commits queued before the outbox's loop runs: one round takes them all.
      await outbox.mirror([reply(1), reply(2)]);
      await outbox.mirror([reply(3)]);
      await outbox.mirror([reply(4)]);
      // What other work sees between the outbox's steps: the files in place at each turn.
      const seen: number[] = [];
      let polling = true;
      const poll = () => {
        seen.push(readdirSync(join(dir.path, 'outbox')).filter((f) => !f.startsWith('.')).length);
        if (polling) setImmediate(poll);
      };
      setImmediate(poll);
      await outbox.drain();
      polling = false;
      await new Promise((resolve) => setImmediate(resolve));
      expect(seen).toContain(1);
      expect(seen).toContain(2);
      expect(readdirSync(join(dir.path, 'outbox')).sort()).toEqual(['000000000001-000000000002.replies.kvg', '000000000003-000000000003.replies.kvg', '000000000004-000000000004.replies.kvg']);
      // Marked once all three are in place, in one transaction.
      expect(marked).toEqual([[1, 2, 3, 4]]);
    } finally {
      dir.cleanup();
    }
  });
});
