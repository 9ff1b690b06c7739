import { chmodSync, existsSync, lstatSync, renameSync, writeFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { problemLine, type Problem } from '../batch/index.js';
import { hasCode } from '../errors.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/index.js';

/** Whether an error means "this input is bad" (refuse the file) rather than "tmon failed" (try again). */
export const isDataError = (err: unknown): boolean => hasCode(err) && (err.code.startsWith('KVG_') || err.code.startsWith('BATCH_'));

/** A file name safe to print: control characters escaped, very long names cut. */
export const shown = (name: string): string =>
  (name.length > 120 ? `${name.slice(0, 100)}…(${name.length} characters)` : name).replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/** Every problem of a refused file, one a line, so the .error file says all that must be fixed. */
export function problemsText(name: string, err: unknown): string {
  const problems = (err as { problems?: Problem[] }).problems;
  return problems?.length ? problems.map((p) => problemLine(p, shown(name))).join('\n') : (err as Error).message;
}

/** Why a file is refused before it is read (not a regular file, too large, a poison), if it is. */
export function unreadRefusal(name: string, st: Stats, maxBytes: number, crashes: number): string | undefined {
  if (!st.isFile()) {
    const what = st.isSymbolicLink() ? 'a symbolic link' : st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a named pipe' : st.isSocket() ? 'a socket' : 'not a regular file';
    return `${shown(name)}: is ${what}, not a regular file; refused unread`;
  }
  if (st.size > maxBytes) return `${shown(name)}: is ${st.size} bytes, over the limit of ${maxBytes} bytes for a batch file; refused unread`;
  if (crashes >= 2) return `${shown(name)}: the daemon died twice while reading this file (its memory, say); refused unread so that it can run`;
  return undefined;
}

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
