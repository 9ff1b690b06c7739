import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TmonError, hasCode } from './errors.js';

/**
 * One daemon per home (contract §6): two daemons on one store race each other for the same
 * actions and stall batches. The lock is a file, `tmon.lock` in the home, created by link(2)
 * (so only one creator wins) and holding the owner's pid; it also says what the running
 * daemon uses, for `tmon plugins`.
 */
export const LOCK_FILE = 'tmon.lock';

export interface LockInfo {
  pid: number;
  /** The process's start time as the kernel counts it (Linux), so a reused pid is not taken for the owner. */
  processStart: string | null;
  since: string;
  /** The rewrite plugins the daemon runs, in order, and the folder it finds them in. */
  plugins: string[];
  pluginsDir: string;
  /** The config file it read, if any. */
  config: string | null;
}

export class HomeLockedError extends TmonError {
  readonly holder: LockInfo;

  constructor(home: string, holder: LockInfo) {
    super('HOME_LOCKED', `home ${home} is in use by another tmon daemon (pid ${holder.pid}, since ${holder.since}); stop it first, or use another --home`);
    this.holder = holder;
  }
}

/** Fields 3 (state) and 22 (start time in clock ticks since boot) of /proc/PID/stat; null off Linux. */
function procStat(pid: number): { state: string; start: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', start: fields[19] ?? '' };
  } catch {
    return null;
  }
}

const processStart = (pid: number): string | null => procStat(pid)?.start ?? null;

/** Whether the process that wrote `info` still runs (and is that process, not a reuse of its pid). */
function holderAlive(info: LockInfo): boolean {
  try {
    process.kill(info.pid, 0);
  } catch (err) {
    // EPERM: it runs, under another user.
    if (!hasCode(err, 'EPERM')) return false;
  }
  const stat = procStat(info.pid);
  // A zombie has exited; its parent just has not collected it yet.
  if (stat?.state === 'Z') return false;
  return info.processStart === null || stat === null || stat.start === info.processStart;
}

function readLock(path: string): { text: string; info: LockInfo | undefined } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (hasCode(err, 'ENOENT')) return undefined;
    throw err;
  }
  try {
    const info = JSON.parse(text) as LockInfo;
    return { text, info: Number.isInteger(info.pid) ? info : undefined };
  } catch {
    // Cut short by a crash between create and write: nobody holds it.
    return { text, info: undefined };
  }
}

/**
 * Throws `HomeLockedError` if a live daemon holds the lock; removes the lock if its holder is
 * gone (or it cannot be read), so that the caller can race for it again.
 */
function takeOverIfStale(home: string, path: string): void {
  const found = readLock(path);
  if (found?.info && holderAlive(found.info)) throw new HomeLockedError(home, found.info);
  // Remove it only if it is still the file just read: another starting daemon may have
  // replaced it in between, and its lock must stay.
  if (found && readLock(path)?.text === found.text) rmSync(path, { force: true });
}

/** The daemon holding the home, if one runs; undefined when none does (or the lock is stale). */
export function lockHolder(home: string): LockInfo | undefined {
  const found = readLock(join(home, LOCK_FILE));
  return found?.info && holderAlive(found.info) ? found.info : undefined;
}

export interface HomeLock {
  readonly path: string;
  /** Removes the lock, if it is still this process's. */
  release(): void;
  /** Rewrites what the daemon uses (a config reload), if the lock is still this process's. */
  update(what: Pick<LockInfo, 'plugins' | 'pluginsDir' | 'config'>): void;
}

/**
 * Takes the home for this process, or throws `HomeLockedError` naming the pid that holds it.
 * A lock left by a process that no longer runs is taken over.
 */
export function acquireHomeLock(home: string, what: Pick<LockInfo, 'plugins' | 'pluginsDir' | 'config'>): HomeLock {
  const path = join(home, LOCK_FILE);
  const info: LockInfo = { pid: process.pid, processStart: processStart(process.pid), since: new Date().toISOString(), ...what };
  // The lock is written whole aside, then linked into place: link(2) fails if the name exists,
  // so only one daemon wins, and nobody ever reads a half-written lock.
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(info)}\n`, { mode: 0o644 });
  try {
    for (let tries = 0; ; tries++) {
      try {
        linkSync(tmp, path);
        break;
      } catch (err) {
        if (!hasCode(err, 'EEXIST') || tries >= 5) throw err;
      }
      takeOverIfStale(home, path);
    }
  } finally {
    rmSync(tmp, { force: true });
  }
  const mine = (): boolean => readLock(path)?.info?.pid === process.pid;
  return {
    path,
    release() {
      if (mine()) rmSync(path, { force: true });
    },
    update(what) {
      if (!mine()) return;
      // Written aside and renamed over, so a reader never sees half a lock.
      writeFileSync(tmp, `${JSON.stringify({ ...info, ...what })}\n`, { mode: 0o644 });
      renameSync(tmp, path);
    },
  };
}
