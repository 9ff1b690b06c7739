import { spawnSync } from 'node:child_process';
import { open } from 'node:fs/promises';
import { waitFor } from './daemon.js';

/**
 * A named pipe a test script waits on (`read _ < FIFO`) until the test lets it through: a gate
 * that holds a script exactly as long as the test needs, instead of a `sleep` it must outlast.
 */
export function makeFifo(path: string): string {
  const r = spawnSync('mkfifo', [path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mkfifo ${path}: ${r.stderr}`);
  return path;
}

/**
 * Lets `count` readers through, one line each. Opening for writing waits (off the event loop)
 * for a first reader; the pipe is then held open until `done` holds, so that readers arriving
 * later still find their line rather than an empty pipe.
 */
export async function letThrough(fifo: string, count: number, done: () => unknown): Promise<void> {
  const writer = await open(fifo, 'w');
  try {
    await writer.write('go\n'.repeat(count));
    await waitFor(`the readers of ${fifo}`, async () => Boolean(await done()));
  } finally {
    await writer.close();
  }
}
