import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { hasCode } from '../errors.js';
import type { Logger } from '../log.js';
import type { Effects, Store } from '../store/index.js';
import { prepareBatch } from './ingest.js';

export interface InboxOptions {
  dir: string;
  store: Store;
  logger: Logger;
  sweepMs: number;
  /** Called after a batch was stored, with what storing it set off, so the engine takes it on. */
  onAccepted: (effects: Effects) => void;
}

/** Whether an error means "this input is bad" (refuse the file) rather than "tmon failed" (try again). */
const isDataError = (err: unknown): boolean => hasCode(err) && (err.code.startsWith('KVG_') || err.code.startsWith('BATCH_'));

/**
 * The inbox folder. A writer puts `NAME.kvg` there atomically (a dot-file renamed into place).
 * Each file is parsed, validated and stored in one transaction, and only then removed; a bad
 * one moves to `rejected/` with `NAME.kvg.error` beside it. The folder is watched and also swept
 * at start and every `sweepMs`, since a watcher can miss events.
 */
export class Inbox {
  readonly rejectedDir: string;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly options: InboxOptions) {
    this.rejectedDir = join(options.dir, 'rejected');
    mkdirSync(this.rejectedDir, { recursive: true });
  }

  start(): void {
    try {
      this.watcher = watch(this.options.dir, () => this.sweep());
      this.watcher.on('error', (err) => this.options.logger.warn(`inbox watcher: ${err.message}; sweeping only`));
    } catch (err) {
      this.options.logger.warn(`inbox watcher: ${(err as Error).message}; sweeping only`);
    }
    this.timer = setInterval(() => this.sweep(), this.options.sweepMs);
    this.sweep();
  }

  /** Looks at the folder now (or right after the sweep under way). Resolves when done. */
  sweep(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.sweeping) {
      this.again = true;
      return this.sweeping;
    }
    this.sweeping = (async () => {
      do {
        this.again = false;
        await this.sweepOnce();
      } while (this.again && !this.stopped);
      this.sweeping = undefined;
    })();
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    let names: string[];
    try {
      names = readdirSync(this.options.dir).filter((n) => n.endsWith('.kvg') && !n.startsWith('.')).sort();
    } catch (err) {
      this.options.logger.error(`inbox: ${(err as Error).message}`);
      return;
    }
    for (const name of names) {
      if (this.stopped) return;
      await this.take(name);
    }
  }

  private async take(name: string): Promise<void> {
    const { store, logger } = this.options;
    const path = join(this.options.dir, name);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if (!hasCode(err, 'ENOENT')) logger.error(`inbox: cannot read ${name}: ${(err as Error).message}`);
      return;
    }
    try {
      const batch = await prepareBatch(text, name, store);
      const { result, effects } = await store.insertBatch(batch);
      const meta = { batch: batch.id, file: name };
      if (result === 'conflict') {
        return await this.reject(name, `${name}: batch ${batch.id} is already held with other content; refused`, batch.id);
      }
      if (result === 'duplicate') {
        logger.info(`${name}: batch ${batch.id} was already received with the same content; nothing to do`, meta);
        await store.postMessage({ level: 'info', source: 'ingest', batch: batch.id, action: null, text: `${name}: duplicate of batch ${batch.id}, already received; ignored` });
      } else {
        logger.info(`received batch ${batch.id} (${batch.actions.length} action${batch.actions.length === 1 ? '' : 's'}) from ${name}`, meta);
      }
      unlinkSync(path);
      this.options.onAccepted(effects);
    } catch (err) {
      if (isDataError(err)) {
        // Every problem, one a line, so the .error file says all that must be fixed.
        const problems = (err as { problems?: Array<{ message: string }> }).problems;
        return this.reject(name, problems?.length ? problems.map((p) => `${name}: ${p.message}`).join('\n') : (err as Error).message, null);
      }
      // Not the file's fault (a full disk, say): leave it for the next sweep.
      logger.error(`inbox: ${name}: ${(err as Error).message}; will try again`, { file: name });
    }
  }

  private async reject(name: string, reason: string, batch: string | null): Promise<void> {
    let target = name;
    for (let n = 1; existsSync(join(this.rejectedDir, target)); n++) target = `${name.slice(0, -4)}.${n}.kvg`;
    // The .error file first: a rejected file is never without its reason.
    writeFileSync(join(this.rejectedDir, `${target}.error`), `${reason}\n`);
    renameSync(join(this.options.dir, name), join(this.rejectedDir, target));
    this.options.logger.error(`rejected ${name}: ${reason.replace(/\n/g, '; ')}`, { file: name, ...(batch ? { batch } : {}) });
    const lines = reason.split('\n');
    const more = lines.length > 1 ? ` (and ${lines.length - 1} more problem${lines.length > 2 ? 's' : ''}; see inbox/rejected/${target}.error)` : '';
    const text = `rejected ${name} (moved to inbox/rejected/${target}): ${lines[0]}${more}`;
    await this.options.store.postMessage({ level: 'error', source: 'ingest', batch, action: null, text }, [
      { type: 'batch.rejected', batch, source: name, message: reason, at: Date.now() },
    ]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
    await this.sweeping;
  }
}
