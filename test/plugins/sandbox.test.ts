import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getValue } from '../../src/kvgroup/index.js';
import { tempDir } from '../helpers/home.js';
import { fixtureHost, withPassword } from './fixture-host.js';

/*
 * The plugin sandbox (issue 13 item 12): one test per escape, each refused, each followed by a
 * good call on the same host to show the host (and the daemon, this process) survived.
 */

describe('the plugin sandbox refuses each escape, and the host keeps serving', () => {
  const home = tempDir();
  const { host, run, failure, stillServes } = fixtureHost({ pluginTimeoutMs: 10_000, pluginHostMemoryMb: 160 });
  afterAll(async () => {
    await host.close();
    home.cleanup();
  });

  test('reading /etc/passwd is refused', async () => {
    const error = failure(await run('reads-file', undefined, { path: '/etc/passwd' }));
    expect(error.code).toBe('PLUGIN_THREW');
    expect(error.message).toMatch(/Access to this API has been restricted/);
    await stillServes();
  });

  test("reading the daemon's tmon.db is refused", async () => {
    const db = join(home.path, 'tmon.db');
    writeFileSync(db, 'SQLite format 3\0');
    const error = failure(await run('reads-file', undefined, { path: db }));
    expect(error.code).toBe('PLUGIN_THREW');
    expect(error.message).toMatch(/Access to this API has been restricted/);
    await stillServes();
  });

  test('writing a file is refused', async () => {
    const target = join(home.path, 'written.txt');
    const error = failure(await run('writes-file', undefined, { path: target }));
    expect(error.code).toBe('PLUGIN_THREW');
    expect(existsSync(target)).toBe(false);
    await stillServes();
  });

  test("running a program (execSync('id')) is refused", async () => {
    const error = failure(await run('runs-program'));
    expect(error.code).toBe('PLUGIN_THREW');
    expect(error.message).toMatch(/Access to this API has been restricted/);
    await stillServes();
  });

  test('signalling the daemon is refused; this process, the daemon, is still here', async () => {
    const error = failure(await run('kills-daemon'));
    expect(error).toEqual({ code: 'PLUGIN_THREW', message: `threw: a plugin may not signal process ${process.pid}` });
    await stillServes();
  });

  test('a plugin that kills the host costs that call (run once more alone, it kills it again); the next call gets a new host', async () => {
    await stillServes();
    const before = host.stats;
    const pid = host.hostPid;
    const error = failure(await run('kills-host'));
    expect(error.code).toBe('PLUGIN_CRASHED');
    expect(error.message).toBe('crashed: the plugin host was killed by SIGKILL; it is restarted for the next call');
    await stillServes();
    expect(host.hostPid).not.toBe(pid);
    expect(host.stats.hostsStarted).toBe(before.hostsStarted + 2);
    expect(host.stats.hostsLost).toBe(before.hostsLost + 2);
  });

  test('a call queued behind the one that kills the host is not lost with it', async () => {
    // One thread: the identity call waits in the host for kills-host, and dies with the host.
    const [killer, innocent] = await Promise.all([run('kills-host'), run('identity')]);
    expect(failure(killer).code).toBe('PLUGIN_CRASHED');
    expect(innocent.ok).toBe(true);
  });

  test('off-heap allocation past pluginHostMemoryMb: the host is killed and restarted', async () => {
    const before = host.stats;
    const error = failure(await run('hoards-buffers'));
    expect(error.code).toBe('PLUGIN_OUT_OF_MEMORY');
    expect(error.message).toMatch(/^ran the plugin host past pluginHostMemoryMb \(\d+ MB resident, limit 160\); the host was killed and is restarted$/);
    expect(host.stats.hostsLost).toBe(before.hostsLost + 2);
    await stillServes();
  });

  test("a call does not see what an earlier call left in globals or process.env", async () => {
    const first = await run('leaves-global', withPassword('B', 'Pw-first-1'));
    const second = await run('leaves-global', withPassword('B', 'Pw-second-2'));
    expect([first, second].map((r) => (r.ok ? getValue(r.output, 'seen') : r.error.message))).toEqual(['none none none', 'none none none']);
    await stillServes();
  });

  test('nor what an earlier call left there after it returned', async () => {
    await run('leaves-global', withPassword('B', 'Pw-later-5'), { later: true });
    // The worker may sleep between tasks (Piscina waits on Atomics), so the leftover can land
    // during the next call: the one after it must still start clean.
    const seen = [];
    for (const pw of ['Pw-next-6', 'Pw-next-7']) {
      const next = await run('leaves-global', withPassword('B', pw), { later: true });
      seen.push(next.ok && getValue(next.output, 'seen'));
    }
    expect(seen).toEqual(['none none none', 'none none none']);
    await stillServes();
  });

  test('a global that cannot be deleted ends its worker: that call fails, the next starts clean', async () => {
    const pinned = failure(await run('leaves-global', withPassword('B', 'Pw-pinned-3'), { pin: true }));
    expect(pinned.code).toBe('PLUGIN_CRASHED');
    const next = await run('leaves-global', withPassword('B', 'Pw-next-4'));
    expect(next.ok && getValue(next.output, 'seen')).toBe('none none none');
    await stillServes();
  });
});
