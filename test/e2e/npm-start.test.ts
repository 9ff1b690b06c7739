import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';
import { waitFor } from '../helpers/daemon.js';
import { tempDir } from '../helpers/home.js';

/** Whether a process of this id still runs (a zombie awaiting its reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * `npm start` as a service manager runs it: npm, npm's shell, and node. The service manager
 * signals npm (the process it started), never tmon itself.
 */
describe('npm start under a service manager', () => {
  let dir: ReturnType<typeof tempDir>;
  let npm: ChildProcess | undefined;
  let daemonPid: number | undefined;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => {
    if (npm?.exitCode === null) npm.kill('SIGKILL');
    if (daemonPid !== undefined && alive(daemonPid)) process.kill(daemonPid, 'SIGKILL');
    daemonPid = undefined;
    dir.cleanup();
  });

  async function startNpm(): Promise<{ out: () => string; exited: Promise<number | null> }> {
    npm = spawn('npm', ['start'], { cwd: ROOT, env: { ...process.env, TMON_HOME: dir.path }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    npm.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    npm.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => npm!.on('exit', (code) => resolve(code)));
    const m = await waitFor('the daemon to start under npm', () => /tmon daemon started \(pid (\d+)\)/.exec(out) ?? (npm!.exitCode !== null && Promise.reject(new Error(out))), 30_000);
    daemonPid = Number(m[1]);
    return { out: () => out, exited };
  }

  const logged = () => readFileSync(join(dir.path, 'logs', 'tmon.log'), 'utf8');

  test('SIGTERM to npm stops the daemon cleanly: its shutdown is logged and it exits', async () => {
    const { exited } = await startNpm();
    npm!.kill('SIGTERM');
    await exited;
    await waitFor('the daemon to exit', () => !alive(daemonPid!));
    expect(logged()).toContain('"message":"stopping (SIGTERM): no new work; waiting for running actions"');
    expect(logged()).toContain('"message":"tmon daemon stopped"');
  });

  test('npm killed outright (SIGKILL) still stops the daemon, which notices its parent is gone', async () => {
    const { exited } = await startNpm();
    npm!.kill('SIGKILL');
    await exited;
    await waitFor('the daemon to exit', () => !alive(daemonPid!));
    expect(logged()).toMatch(/"message":"stopping \(its parent process \d+ exited\): no new work/);
    expect(logged()).toContain('"message":"tmon daemon stopped"');
  });
});
