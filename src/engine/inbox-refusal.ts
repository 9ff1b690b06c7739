import { chmodSync, existsSync, lstatSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import type { Store } from '../store/index.js';

export interface Refusal {
  /** Where the file is now (this daemon's claim folder). */
  from: string;
  rejectedDir: string;
  /** Its name in the inbox, and that name made safe to print. */
  name: string;
  shown: string;
  reason: string;
  batch: string | null;
}

/**
 * Moves a refused file to `rejected/` with its reason beside it (mode 0600: it may hold
 * passwords), a log line, a board entry and a `batch.rejected` event. A name too long for the
 * `.error` suffix gets a shorter one. False when it could not be moved (logged; the caller puts
 * the file back, so the next sweep tries again).
 */
export async function refuse(r: Refusal, { logger, store }: { logger: Logger; store: Store }): Promise<boolean> {
  const base = r.name.length > 200 ? `${r.name.slice(0, 150).replace(/\.kvg$/, '')}-${Date.now()}.kvg` : r.name;
  let target = base;
  for (let n = 1; existsSync(join(r.rejectedDir, target)); n++) target = `${base.slice(0, -4)}.${n}.kvg`;
  try {
    // The .error file first: a rejected file is never without its reason.
    writeFileSync(join(r.rejectedDir, `${target}.error`), `${r.reason}\n`, { mode: 0o600 });
    renameSync(r.from, join(r.rejectedDir, target));
    // Kept as submitted, passwords and all: for its owner's eyes only.
    if (lstatSync(join(r.rejectedDir, target)).isFile()) chmodSync(join(r.rejectedDir, target), 0o600);
  } catch (err) {
    logger.error(`inbox: cannot move ${r.shown} to rejected/: ${(err as Error).message}; will try again`, { file: r.name });
    return false;
  }
  logger.error(`rejected ${r.shown}: ${r.reason.replace(/\n/g, '; ')}`, { file: r.name, ...(r.batch ? { batch: r.batch } : {}) });
  const lines = r.reason.split('\n');
  const more = lines.length > 1 ? ` (and ${lines.length - 1} more problem${lines.length > 2 ? 's' : ''}; see inbox/rejected/${target}.error)` : '';
  const text = `rejected ${r.shown} (moved to inbox/rejected/${target}): ${lines[0]}${more}`;
  await store
    .postMessage({ level: 'error', source: 'ingest', batch: r.batch, action: null, text }, [{ type: 'batch.rejected', batch: r.batch, source: r.name, message: r.reason, at: Date.now() }])
    .catch((err: Error) => logger.error(`inbox: board: ${err.message}`));
  return true;
}
