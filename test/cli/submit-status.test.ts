import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tmon } from '../helpers/cli.js';
import { dropIntoInbox, spawnDaemon, waitFor } from '../helpers/daemon.js';
import { tempDir } from '../helpers/home.js';
import { readStore } from '../helpers/store-read.js';

describe('tmon submit, status and replies', () => {
  test('submit works while the daemon is down; the daemon takes the files when it starts; duplicates and conflicts per §4', async () => {
    const dir = tempDir();
    const home = join(dir.path, 'home');
    try {
      const r = tmon(['--home', home, 'submit', 'fixtures/delu-input.kvg', 'fixtures/invalid/missing-key.kvg', 'no-such.kvg']);
      expect(r.status).toBe(66);
      expect(r.stdout).toBe('20070503-113234-00\n');
      expect(r.stderr).toBe('tmon: fixtures/invalid/missing-key.kvg: action B-1_0: operation GRUA needs "groupid"\ntmon: no-such.kvg: no such file\n');
      expect(readdirSync(join(home, 'inbox'))).toEqual(['20070503-113234-00.kvg']);
      expect(readFileSync(join(home, 'inbox', '20070503-113234-00.kvg'), 'utf8')).toBe(readFileSync(join(ROOT, 'fixtures', 'delu-input.kvg'), 'utf8'));
      // Before the daemon ever ran: nothing to show, and no error.
      expect(tmon(['--home', home, 'status']).stdout).toBe('no batches\n');
      expect(JSON.parse(tmon(['--home', home, 'replies', '--json']).stdout)).toEqual([]);

      const daemon = spawnDaemon(['--home', home]);
      await daemon.started();
      // Polled from the store (as `tmon status` reads it) rather than through a CLI process each time.
      const state = () =>
        readStore(home, async (s) => {
          const list = await s.listBatches();
          return list.length === 1 && list[0]!.state !== 'received' && list[0]!.state !== 'running' ? list[0] : undefined;
        });
      // No account AUTH4 exists: the DNAU... no: without a plugin the DELU runs as is and fails.
      expect(await waitFor('the batch to end', state)).toMatchObject({ id: '20070503-113234-00', state: 'failed' });
      const detail = JSON.parse(tmon(['--home', home, 'status', '20070503-113234-00', '--json']).stdout);
      expect(detail).toMatchObject({
        id: '20070503-113234-00',
        state: 'failed',
        counts: { total: 1, succeeded: 0, failed: 1, skipped: 0, canceled: 0, pending: 0 },
        actions: [{ id: '20070503-113234-00_0', state: 'failed', operation: 'DELU', hostid: 'ADCANADA', userid: 'AUTH4', attempts: 1, lastError: 'no such account AUTH4 on ADCANADA', depends: [] }],
      });
      const human = tmon(['--home', home, 'status', '20070503-113234-00']).stdout;
      expect(human).toMatch(/^batch 20070503-113234-00: failed; 1 action\(s\): 0 succeeded, 1 failed/);
      expect(human).toMatch(/20070503-113234-00_0\s+failed\s+DELU\s+ADCANADA\s+AUTH4\s+1\s+-\s+-\s+no such account AUTH4 on ADCANADA/);

      // The same batch again: a duplicate, a no-op (exit 0, said on stderr); other content
      // under its id: refused with one line, exit 65. Neither reaches the inbox.
      const again = tmon(['--home', home, 'submit', 'fixtures/delu-input.kvg']);
      expect([again.status, again.stdout, again.stderr]).toEqual([0, '20070503-113234-00\n', 'tmon: fixtures/delu-input.kvg: batch 20070503-113234-00 was already received with the same content; nothing to do\n']);
      const other = tmon(['--home', home, 'submit', 'fixtures/delu-output.kvg']);
      expect([other.status, other.stdout, other.stderr]).toEqual([65, '', 'tmon: fixtures/delu-output.kvg: batch 20070503-113234-00 is already held with other content; refused (not put into the inbox)\n']);
      expect(JSON.parse(tmon(['--home', home, 'submit', '--json', 'fixtures/delu-input.kvg']).stdout)).toEqual([{ file: 'fixtures/delu-input.kvg', batch: '20070503-113234-00', inbox: null }]);
      expect(readdirSync(join(home, 'inbox')).filter((f) => f.endsWith('.kvg'))).toEqual([]);
      // The daemon's own answer to files dropped straight into the inbox is the same.
      dropIntoInbox(join(home, 'inbox'), 'again.kvg', readFileSync(join(ROOT, 'fixtures', 'delu-input.kvg'), 'utf8'));
      dropIntoInbox(join(home, 'inbox'), 'other.kvg', readFileSync(join(ROOT, 'fixtures', 'delu-output.kvg'), 'utf8'));
      await waitFor('both to be handled', () => readdirSync(join(home, 'inbox')).filter((f) => f.endsWith('.kvg')).length === 0);
      const messages = JSON.parse(tmon(['--home', home, 'messages', '--json']).stdout) as Array<{ level: string; text: string }>;
      expect(messages.map((m) => m.level).sort()).toEqual(['error', 'info']);
      expect(messages.map((m) => m.text).join('\n')).toMatch(/duplicate of batch 20070503-113234-00, already received; ignored/);
      expect(messages.map((m) => m.text).join('\n')).toMatch(/batch 20070503-113234-00 is already held with other content; refused/);
      expect(JSON.parse(tmon(['--home', home, 'replies', '--json']).stdout)).toHaveLength(1);
      expect(tmon(['--home', home, 'status', 'NOPE']).status).toBe(66);
      // Progress, when asked for (as on a terminal), goes to stderr and leaves stdout the ids.
      const many = tmon(['--home', home, 'submit', 'fixtures/delu-input.kvg', 'fixtures/delu-input.kvg'], { env: { TMON_PROGRESS: '1' } });
      expect(many.stdout).toBe('20070503-113234-00\n20070503-113234-00\n');
      expect(many.stderr).toMatch(/^\rsubmitting 1\/2 .*\rsubmitting 2\/2 .*\rsubmitted 2 of 2 file\(s\) +\n$/s);
      daemon.child.kill('SIGTERM');
      expect((await daemon.exited).code).toBe(0);
    } finally {
      dir.cleanup();
    }
  });
});
