import { closeSync, openSync, rmSync, watch, writeSync, type FSWatcher } from 'node:fs';

/*
 * The doorbell for operators' commands: `tmon.wake` in the home (HomeLayout.wake). The CLI
 * queues a command in the store and writes a byte into this file; the daemon watches it and
 * looks for commands at once, instead of at its next poll (COMMAND_POLL_MS), so `tmon pause` and the like apply in
 * milliseconds. The poll stays: a watch can miss events (some network file systems), a CLI
 * user who may not write the file leaves it alone, and a daemon on PostgreSQL may run on
 * another machine, whose home no CLI here can reach.
 *
 * A file rather than a signal to the pid in the lock: a signal the running daemon has no
 * handler for (an older version) would kill it, and a pid can be reused by another program.
 */

/**
 * The daemon's side: creates the file if missing and calls `onWake` when someone writes to it.
 * Returns the function that stops watching and removes the file (no file: no daemon to ring).
 * A home where watching is impossible just keeps the poll.
 */
export function watchWake(path: string, onWake: () => void, onError: (err: Error) => void): () => void {
  let watcher: FSWatcher | undefined;
  try {
    // With the umask's mode, as the store's file: whoever may write the store may ring.
    closeSync(openSync(path, 'a'));
    watcher = watch(path, { persistent: false }, () => onWake());
    watcher.on('error', (err) => {
      onError(err);
      watcher?.close();
    });
  } catch (err) {
    onError(err as Error);
  }
  return () => {
    watcher?.close();
    rmSync(path, { force: true });
  };
}

/**
 * The CLI's side: rings the daemon of a home (its HomeLayout.wake), if one watches it. Best
 * effort: a missing file (a daemon from before the doorbell, or one on another machine) or a
 * file this user may not write leaves the command to the daemon's poll, which applies it all the same, just later.
 */
export function wakeDaemon(path: string): void {
  let fd: number | undefined;
  try {
    // Not created here: no file means no daemon watches for it.
    fd = openSync(path, 'r+');
    // One byte over the first: the file never grows, and each write is an inotify change.
    writeSync(fd, '\n', 0);
  } catch {
    // The command is queued already: the poll applies it.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
