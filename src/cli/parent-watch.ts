/**
 * Calls `gone` once the process that started this one has exited (this process was handed to
 * another parent: init or a subreaper). Under `npm start` the service manager signals npm, not
 * tmon; if npm dies without passing the signal on (a SIGKILL, or a shell between them that
 * does not forward it), the daemon would run on, orphaned, with nobody to stop it.
 *
 * Node has no parent-death signal, so the parent id is polled; the timer does not keep the
 * process alive.
 */
export function watchParent(gone: (parent: number) => void, everyMs = 1000): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      gone(parent);
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
