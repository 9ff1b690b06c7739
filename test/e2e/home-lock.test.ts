import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tmon } from '../helpers/cli.js';
import { daemonTestFolders, spawnDaemon } from '../helpers/daemon.js';

describe('one daemon per home', () => {
  const folders = daemonTestFolders();

  test('a second daemon on the same home refuses to start, naming the pid of the first; tmon plugins reports what the running one uses', async () => {
    const home = join(folders.dir(), 'home');
    mkdirSync(home);
    writeFileSync(join(home, 'tmon.config.json'), JSON.stringify({ pluginsDir: join(ROOT, 'plugins'), rewritePlugin: 'terminate-disable' }));
    const first = folders.track(spawnDaemon(['--home', home]));
    await first.started();

    // The config changes after the start: the running daemon still uses what it started with.
    writeFileSync(join(home, 'tmon.config.json'), JSON.stringify({ pluginsDir: 'elsewhere', rewritePlugin: 'disabled-ou' }));
    const running = tmon(['--home', home, 'plugins']);
    expect(running.stdout).toContain(`plugins folder: ${join(ROOT, 'plugins')}\nin use: terminate-disable (from the running daemon, pid ${first.child.pid})`);
    expect(running.stdout).toMatch(/terminate-disable +js +1 +ok/);

    const second = folders.track(spawnDaemon(['--home', home]));
    const { code } = await second.exited;
    expect(code).toBe(1);
    expect(second.output()).toContain(`is in use by another tmon daemon (pid ${first.child.pid}`);
    expect(second.output()).not.toContain('tmon daemon started');

    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    const stopped = tmon(['--home', home, 'plugins']);
    expect(stopped.stdout).toContain(`plugins folder: ${join(home, 'elsewhere')}`);
    expect(stopped.stdout).toContain(`in use: disabled-ou (from config ${join(home, 'tmon.config.json')}; no daemon is running)`);

    // The home is free again: a new daemon starts (given the plugins folder its config names).
    mkdirSync(join(home, 'elsewhere'));
    const third = folders.track(spawnDaemon(['--home', home]));
    await third.started();
  });
});
