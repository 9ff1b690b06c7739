import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/index.js';
import { batchText } from '../helpers/batches.js';
import { dropIntoInbox, spawnDaemon, waitFor } from '../helpers/daemon.js';
import { letThrough, makeFifo } from '../helpers/fifo.js';
import { tempDir } from '../helpers/home.js';

describe('trigger runs survive a killed daemon (contract §8)', () => {
  test('a run cut short by SIGKILL runs again after the restart; a finished one is never repeated', async () => {
    const dir = tempDir();
    const home = join(dir.path, 'home');
    mkdirSync(home);
    const log = join(dir.path, 'trigger.log');
    const script = join(dir.path, 'slow-notify.sh');
    // The script waits at a gate the test opens: the SIGKILL lands while it is held, not within a sleep.
    const gate = makeFifo(join(dir.path, 'gate'));
    writeFileSync(script, `#!/bin/sh\nbatch=$(sed -n 's/.*"batch":"\\([^"]*\\)".*/\\1/p')\necho "start $batch" >> "${log}"\nread _ < "${gate}"\necho "done $batch" >> "${log}"\n`);
    chmodSync(script, 0o755);
    writeFileSync(join(home, 'tmon.config.json'), JSON.stringify({ triggers: [{ name: 'slow-notify', event: 'batch.completed', script }] }));
    const lines = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);
    try {
      let daemon = spawnDaemon(['--home', home]);
      await daemon.started();
      dropIntoInbox(join(home, 'inbox'), 'a.kvg', batchText('A', [{ id: 'a1', op: 'CRTG', host: 'AD', group: 'ga' }]));
      await waitFor('A started', () => lines().includes('start A'));
      await letThrough(gate, 1, () => lines().includes('done A'));
      dropIntoInbox(join(home, 'inbox'), 'b.kvg', batchText('B', [{ id: 'b1', op: 'CRTG', host: 'AD', group: 'gb' }]));
      await waitFor('B started', () => lines().includes('start B'));
      daemon.child.kill('SIGKILL');
      await daemon.exited;

      daemon = spawnDaemon(['--home', home]);
      await daemon.started();
      await waitFor('B run again', () => lines().filter((l) => l === 'start B').length === 2);
      const bNotified = async () => {
        const r = new SqliteStore(join(home, 'tmon.db'), { readonly: true });
        const runs = await r.triggerRuns();
        await r.close();
        return runs.every((x) => x.state === 'succeeded');
      };
      // Two through the gate: the new run, and the killed daemon's, if it still waits there.
      await letThrough(gate, 2, bNotified);
      await waitFor('B notified', bNotified);
      daemon.child.kill('SIGTERM');
      expect((await daemon.exited).code).toBe(0);
      // A was never run again; B's cut-short run was (the killed daemon's script may still have
      // finished on its own: a run is at least once, and exactly once when nothing dies).
      const count = (l: string) => lines().filter((x) => x === l).length;
      expect([count('start A'), count('done A'), count('start B')]).toEqual([1, 1, 2]);
      const store = new SqliteStore(join(home, 'tmon.db'), { readonly: true });
      expect((await store.triggerRuns()).map((r) => [r.payload.batch, r.state, r.attempts]).sort()).toEqual([
        ['A', 'succeeded', 1],
        ['B', 'succeeded', 2],
      ]);
      await store.close();
    } finally {
      dir.cleanup();
    }
  });
});
