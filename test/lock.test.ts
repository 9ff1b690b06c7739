import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquireHomeLock, LOCK_FILE, lockHolder } from '../src/lock.js';
import { tempDir } from './helpers/home.js';

/** The pid of a process that has run and exited. */
const deadPid = (): number => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);

describe('the home lock', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => dir.cleanup());

  test('holds the pid and the plugins in use; a second taker is refused naming that pid; release frees it', () => {
    const lock = acquireHomeLock(dir.path, { plugins: ['a', 'b'], config: null });
    expect(lockHolder(dir.path)).toMatchObject({ pid: process.pid, plugins: ['a', 'b'] });
    // A live holder (here this very process, as another daemon would be) refuses the taker.
    expect(() => acquireHomeLock(dir.path, { plugins: [], config: null })).toThrow(expect.objectContaining({ code: 'HOME_LOCKED', message: expect.stringContaining(`pid ${process.pid}`) }));
    lock.release();
    expect(existsSync(join(dir.path, LOCK_FILE))).toBe(false);
    expect(lockHolder(dir.path)).toBeUndefined();
  });

  test('a lock left by a process that no longer runs is taken over', () => {
    const pid = deadPid();
    writeFileSync(join(dir.path, LOCK_FILE), JSON.stringify({ pid, processStart: null, since: 'then', plugins: ['old'], config: null }));
    expect(lockHolder(dir.path)).toBeUndefined();
    const lock = acquireHomeLock(dir.path, { plugins: ['new'], config: null });
    expect(JSON.parse(readFileSync(join(dir.path, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, plugins: ['new'] });
    lock.release();
  });

  test('a live pid with another start time is a reused pid, not the holder', () => {
    writeFileSync(join(dir.path, LOCK_FILE), JSON.stringify({ pid: process.pid, processStart: '1', since: 'then', plugins: [], config: null }));
    const lock = acquireHomeLock(dir.path, { plugins: [], config: null });
    expect(lockHolder(dir.path)?.pid).toBe(process.pid);
    lock.release();
  });

  test('a half-written lock (a crash between create and write) is taken over', () => {
    writeFileSync(join(dir.path, LOCK_FILE), '{"pid": 12');
    acquireHomeLock(dir.path, { plugins: [], config: null }).release();
  });

  test('release leaves a lock that another process has since taken', () => {
    const lock = acquireHomeLock(dir.path, { plugins: [], config: null });
    const other = JSON.stringify({ pid: deadPid(), processStart: null, since: 'now', plugins: [], config: null });
    writeFileSync(join(dir.path, LOCK_FILE), other);
    lock.release();
    expect(readFileSync(join(dir.path, LOCK_FILE), 'utf8')).toBe(other);
  });
});
