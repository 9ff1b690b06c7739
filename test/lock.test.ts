import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquireHomeLock, LOCK_FILE, lockHolder } from '../src/lock.js';
import { ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/home.js';

/** The pid of a process that has run and exited. */
const deadPid = (): number => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);

describe('the home lock', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => dir.cleanup());

  test('holds the pid and the plugins in use; a second taker is refused naming that pid; release frees it', () => {
    const lock = acquireHomeLock(dir.path, { plugins: ['a', 'b'], pluginsDir: '/p', config: null });
    expect(lockHolder(dir.path)).toMatchObject({ pid: process.pid, plugins: ['a', 'b'] });
    // A live holder (here this very process, as another daemon would be) refuses the taker.
    expect(() => acquireHomeLock(dir.path, { plugins: [], pluginsDir: '/p', config: null })).toThrow(expect.objectContaining({ code: 'HOME_LOCKED', message: expect.stringContaining(`pid ${process.pid}`) }));
    lock.release();
    expect(existsSync(join(dir.path, LOCK_FILE))).toBe(false);
    expect(lockHolder(dir.path)).toBeUndefined();
  });

  test('update rewrites what the holder uses (a config reload), keeping its pid and start; not once released', () => {
    const lock = acquireHomeLock(dir.path, { plugins: ['a'], pluginsDir: '/p', config: null });
    const before = lockHolder(dir.path)!;
    lock.update({ plugins: ['b', 'c'], pluginsDir: '/q', config: '/etc/tmon.json' });
    expect(lockHolder(dir.path)).toEqual({ ...before, plugins: ['b', 'c'], pluginsDir: '/q', config: '/etc/tmon.json' });
    lock.release();
    // Released: an update does not bring the lock back.
    lock.update({ plugins: ['stale'], pluginsDir: '/p', config: null });
    expect(existsSync(join(dir.path, LOCK_FILE))).toBe(false);
  });

  test('of daemons starting at the same moment, exactly one takes the home; the others name it', async () => {
    // Each child tries once, says how it went, and holds what it got until its stdin closes.
    const child = `import('${join(ROOT, 'dist', 'lock.js')}').then(({ acquireHomeLock }) => {
      let lock;
      try { lock = acquireHomeLock(process.argv[1], { plugins: [], pluginsDir: '/p', config: null }); console.log('won ' + process.pid); }
      catch (err) { console.log(err.code + ' ' + err.holder.pid); }
      process.stdin.resume().on('end', () => lock?.release());
    });`;
    const children = Array.from({ length: 6 }, () => spawn(process.execPath, ['-e', child, dir.path], { stdio: ['pipe', 'pipe', 'inherit'] }));
    const said = await Promise.all(children.map((c) => new Promise<string>((resolve) => c.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())))));
    const winners = said.filter((s) => s.startsWith('won '));
    expect(winners).toHaveLength(1);
    const winner = winners[0]!.slice(4);
    expect(said.filter((s) => s !== winners[0]).every((s) => s === `HOME_LOCKED ${winner}`)).toBe(true);
    await Promise.all(children.map((c) => new Promise((resolve) => (c.on('exit', resolve), c.stdin!.end()))));
    expect(lockHolder(dir.path)).toBeUndefined();
  });

  test('a lock left by a process that no longer runs is taken over', () => {
    const pid = deadPid();
    writeFileSync(join(dir.path, LOCK_FILE), JSON.stringify({ pid, processStart: null, since: 'then', plugins: ['old'], config: null }));
    expect(lockHolder(dir.path)).toBeUndefined();
    const lock = acquireHomeLock(dir.path, { plugins: ['new'], pluginsDir: '/p', config: null });
    expect(JSON.parse(readFileSync(join(dir.path, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, plugins: ['new'] });
    lock.release();
  });

  test('a live pid with another start time is a reused pid, not the holder', () => {
    writeFileSync(join(dir.path, LOCK_FILE), JSON.stringify({ pid: process.pid, processStart: '1', since: 'then', plugins: [], pluginsDir: '/p', config: null }));
    const lock = acquireHomeLock(dir.path, { plugins: [], pluginsDir: '/p', config: null });
    expect(lockHolder(dir.path)?.pid).toBe(process.pid);
    lock.release();
  });

  test('a lock that is not JSON (not written by tmon) is taken over', () => {
    writeFileSync(join(dir.path, LOCK_FILE), '{"pid": 12');
    acquireHomeLock(dir.path, { plugins: [], pluginsDir: '/p', config: null }).release();
  });

  test('release leaves a lock that another process has since taken', () => {
    const lock = acquireHomeLock(dir.path, { plugins: [], pluginsDir: '/p', config: null });
    const other = JSON.stringify({ pid: deadPid(), processStart: null, since: 'now', plugins: [], pluginsDir: '/p', config: null });
    writeFileSync(join(dir.path, LOCK_FILE), other);
    lock.release();
    expect(readFileSync(join(dir.path, LOCK_FILE), 'utf8')).toBe(other);
  });
});
