import { existsSync, lstatSync, mkdirSync, readFileSync, unlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { hasCode } from '../errors.js';
import type { Logger } from '../log.js';
import type { Effects, Store } from '../store/index.js';
import { prepareBatch } from './ingest.js';
import { InboxListing } from './inbox-listing.js';
import { InboxBudget } from './inbox-budget.js';
import { InboxClaims } from './inbox-claims.js';
import { InboxWatcher } from './inbox-watcher.js';
import { arrivalGroups, countActions, hasInteractiveWork, interactiveStored, pendingLookups, type Prepared } from './inbox-reading.js';
import { isDataError, problemsText, refuse, shown, unreadRefusal } from './inbox-refusal.js';
import { PoisonBreaker } from './poison.js';
import { WorkLoop } from '../work-loop.js';

export interface InboxOptions {
  dir: string;
  /** The daemon's home: it names this daemon's claim folder in the inbox (inbox-claims.ts). */
  home: string;
  store: Store;
  logger: Logger;
  sweepMs: number;
  /** Batches are taken in while fewer actions than this are unfinished (interactive ones always). */
  maxPendingActions?: number;
  /** A file larger than this is refused unread. */
  maxBytes?: number;
  /** A batch with more actions than this is refused. */
  maxActions?: number;
  /** Called after batches were stored, with what storing them set off, so the engine takes it on. */
  onAccepted: (effects: Effects) => void;
  /** Told of the interactive actions just stored; the inbox reads on once it resolves (engine.ts: `expedite`). */
  onInteractive?: (actions: ReadonlyArray<{ batchId: string; actionId: string }>) => Promise<void>;
}

/** Files stored per transaction (one disk flush for all of them). */
const GROUP_FILES = 64;
/** Files looked at between two yields to the event loop. */
const YIELD_FILES = 8;
/** Actions stored per transaction at most. */
const GROUP_ACTIONS = 250;
/** Files up to this size are read to see whether they hold interactive work while the budget is full. */
const PEEK_BYTES = 256 * 1024;
/** Refused when nothing else is configured: far more than a hand-written batch. */
const DEFAULT_MAX_BATCH_BYTES = 8 * 1024 * 1024;

/**
 * The inbox folder. A writer puts `NAME.kvg` there atomically (a dot-file renamed into place).
 * Each file is first taken by a rename into this daemon's claim folder (inbox-claims.ts: several
 * daemons may share one inbox), then parsed, validated and stored in groups, one transaction per
 * group, and only then removed; a bad one moves to `rejected/` with `NAME.kvg.error` beside it. The folder is watched
 * and also swept at start and every `sweepMs`, since a watcher can miss events.
 *
 * Back-pressure: while `maxPendingActions` actions are unfinished, only batches with interactive
 * work are taken (up to a tenth of the budget more); the rest wait on disk. A file that arrives
 * while a backlog is read is taken before the backlog's next group. Only regular files are read
 * (inbox-refusal.ts); no file-system error stops the daemon: it is logged and tried again.
 */
export class Inbox {
  readonly rejectedDir: string;
  private readonly watcher: InboxWatcher;
  private timer: NodeJS.Timeout | undefined;
  /** Runs sweeps one at a time (src/work-loop.ts); `sweep()` callers wait for the run's end. */
  private readonly loop: WorkLoop;
  private waiters: Array<() => void> = [];
  /** A listing of the folder is wanted (start, the timer, a watcher event without a name). */
  private listWanted = false;
  /** A listing was asked for while a backlog is read: its read stops at the next yield. */
  private again = false;
  private stopped = false;
  /** Files read while the budget was full and found to hold no interactive work: skipped unlooked-at while it stays full. */
  private notInteractive = new Set<string>();
  private readonly budget: InboxBudget;
  private readonly maxBytes: number;
  private readonly breaker: PoisonBreaker;
  private readonly claims: InboxClaims;

  constructor(private readonly options: InboxOptions) {
    this.rejectedDir = join(options.dir, 'rejected');
    mkdirSync(this.rejectedDir, { recursive: true });
    this.claims = new InboxClaims(options.dir, options.home, options.logger);
    // A named arrival is taken as it is, without a new listing of the folder.
    this.watcher = new InboxWatcher(options.dir, options.logger, (name) => this.arrive(name), () => void this.sweep());
    // The breaker's marks are this daemon's own (an inbox may be shared): in its claim folder.
    this.breaker = new PoisonBreaker(this.claims.dir);
    const back = this.claims.recover();
    if (back.length > 0) options.logger.info(`inbox: ${back.length} file(s) taken by the previous run and not finished are back in the inbox`);
    this.listing = new InboxListing(options.dir, (n) => {
      const text = `inbox: ${shown(n)} is not taken: only files named *.kvg are batches (a writer renames a finished file to NAME.kvg)`;
      options.logger.warn(text, { file: n });
      void options.store.postMessage({ level: 'warn', source: 'ingest', batch: null, action: null, text }).catch(() => undefined);
    });
    if (this.breaker.diedOn) options.logger.error(`inbox: the daemon died while reading ${shown(this.breaker.diedOn)} (${this.breaker.crashesOn(this.breaker.diedOn)} time(s)); a file it dies on twice is refused`);
    this.loop = new WorkLoop(
      () => this.work(),
      (err) => options.logger.error(`inbox: ${err.message}`),
      () => this.settled(),
    );
    this.budget = new InboxBudget(options.store, options.maxPendingActions, (err) => options.logger.warn(`inbox: cannot count the unfinished actions (${err.message}); the last count is used`));
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BATCH_BYTES;
  }

  start(): void {
    this.watcher.start();
    this.timer = setInterval(() => void this.timedSweep().catch((err: Error) => this.options.logger.error(`inbox: ${err.message}`)), this.options.sweepMs);
    this.sweep();
  }

  /** Looks at the folder now (or right after the group under way). Resolves when done. */
  sweep(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    // A listing asked for while one is read: the backlog's read stops there, and lists again.
    if (this.loop.busy) this.again = true;
    this.listWanted = true;
    this.loop.wake();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * The timer's sweep. While the watcher works (new files come through it) it does not stop a
   * read under way, nor list a full inbox often (inbox-budget.ts); without one, it sweeps as asked.
   */
  private async timedSweep(): Promise<void> {
    if (this.watcher.working) {
      if (this.loop.busy) return;
      if (await this.budget.maySkipListing(this.listedAt)) return;
    }
    await this.sweep();
  }

  /**
   * A file the watcher named: taken before the next file of a backlog under way (stored on its
   * own, ahead of the group read so far: `arrivalGroups`), or on its own; no listing either way.
   */
  private arrive(name: string): void {
    this.arrived.add(name);
    this.loop.wake();
  }

  /** One run of the loop: a listing when one was asked for, otherwise what the watcher named. */
  private async work(): Promise<void> {
    this.again = false;
    const listed = this.listWanted;
    this.listWanted = false;
    await (listed ? this.sweepOnce() : this.sweepNames([])).catch((err: Error) => this.options.logger.error(`inbox: ${err.message}`));
    if (this.listWanted || this.arrived.size > 0) this.loop.wake();
  }

  private settled(): void {
    if (this.loop.busy) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Names the watcher reported that are not yet taken. */
  private arrived = new Set<string>();

  private readonly listing: InboxListing;

  /** When the folder was last listed. */
  private listedAt = 0;

  private list(): string[] {
    this.listedAt = Date.now();
    const names = this.listing.list();
    for (const n of this.notInteractive) if (!this.listing.has(n)) this.notInteractive.delete(n);
    return names;
  }

  private async sweepOnce(): Promise<void> {
    let names: string[];
    try {
      names = this.list();
    } catch (err) {
      this.options.logger.error(`inbox: ${(err as Error).message}`);
      return;
    }
    // What the watcher named before this listing is in it.
    this.arrived.clear();
    await this.sweepNames(names, this.listing.fresh);
  }

  /**
   * Takes `names` (a listing, its `fresh` new ones first) in groups, and before each of them
   * whatever the watcher names meanwhile.
   */
  private async sweepNames(names: readonly string[], fresh = 0): Promise<void> {
    let { room, reserve } = await this.budget.room();
    let group: Prepared[] = [];
    let actions = 0;
    let looked = 0;
    /** The backlog's group read so far while arrivals are taken (they may depend on it). */
    let held: Prepared[] = [];
    const take = async (name: string): Promise<void> => {
      // While full, a file already looked at costs nothing: a backlog of 100,000 files is not
      // looked at again on every sweep.
      if (room <= 0 && (reserve <= 0 || this.notInteractive.has(name))) return;
      const p = await this.prepare(name, room <= 0, held.length > 0 ? [...held, ...group] : group);
      if (!p) return;
      group.push(p);
      actions += p.batch.actions.length;
      reserve -= p.batch.actions.length;
      room -= p.batch.actions.length;
      this.budget.took(p.batch.actions.length);
    };
    /** Stores the group, and lets the engine take a turn (everything above settles in microtasks). */
    const flush = async (): Promise<void> => {
      await this.store(group);
      group = [];
      actions = 0;
      await new Promise((resolve) => setImmediate(resolve));
    };
    /** What the watcher named is stored at once (inbox-reading.ts: `arrivalGroups`). */
    const arrivals = async (): Promise<void> => {
      while (this.arrived.size > 0 && !this.stopped) {
        const named = [...this.arrived];
        this.arrived.clear();
        held = group;
        group = [];
        for (const n of named) await take(n);
        const split = arrivalGroups(held, group);
        held = [];
        group = split.now;
        await flush();
        group = split.held;
        actions = countActions(group);
      }
    };
    await arrivals();
    for (const [i, name] of names.entries()) {
      if (this.stopped) return;
      if (this.arrived.size > 0) await arrivals();
      // What just arrived is stored before the backlog is looked at: interactive work waits for
      // no group to fill (a backlog is read from the second listing on).
      if (i === fresh && i > 0 && group.length > 0 && names.length > fresh) await flush();
      // Reading a backlog settles in microtasks: every few files, let the engine take its turn
      // (and the watcher report a new file), so that interactive work waits for no long stretch.
      if (++looked % YIELD_FILES === 0) {
        await new Promise((resolve) => setImmediate(resolve));
        // A listing was asked for meanwhile: store what is read, then list again, new files first.
        if (this.again) break;
      }
      const full = room <= 0;
      const before = group.length;
      await take(name);
      // Past the budget only interactive work gets in: it is stored at once.
      if (group.length > before && (full || group.length >= GROUP_FILES || actions >= GROUP_ACTIONS)) {
        await flush();
        // A listing was asked for meanwhile: list again, so that what is new goes before the rest of the backlog.
        if (this.again) return;
      }
    }
    await this.store(group);
  }

  /** Reads and validates one file; undefined when it is not to be stored now (refused, waiting, gone). */
  private async prepare(name: string, full: boolean, pending: readonly Prepared[]): Promise<Prepared | undefined> {
    // Taken by an atomic rename first: in a shared inbox another daemon may be taking it too.
    this.watcher.removing(name);
    if (!this.claims.claim(name)) return undefined;
    const taken = await this.look(name, full, pending);
    // Not stored now and not refused (no room yet, a passing error): back for later.
    if (!taken && existsSync(this.claims.pathOf(name))) this.putBack(name);
    return taken;
  }

  /** Puts a taken file back into the inbox (its watcher event is no arrival). */
  private putBack(name: string): void {
    this.watcher.removing(name);
    this.claims.release(name);
  }

  /** Looks at a taken file: refused, left for later (undefined), or read. */
  private async look(name: string, full: boolean, pending: readonly Prepared[]): Promise<Prepared | undefined> {
    const path = this.claims.pathOf(name);
    let st: Stats;
    try {
      st = lstatSync(path);
    } catch (err) {
      if (!hasCode(err, 'ENOENT')) this.options.logger.error(`inbox: cannot look at ${shown(name)}: ${(err as Error).message}; will try again`, { file: name });
      return undefined;
    }
    const refusal = unreadRefusal(name, st, this.maxBytes, this.breaker.crashesOn(name));
    if (refusal) {
      await this.reject(name, refusal, null);
      return undefined;
    }
    if (full && st.size > PEEK_BYTES) {
      this.notInteractive.add(name);
      return undefined;
    }
    this.breaker.reading(name, st.size);
    try {
      return await this.read(name, path, full, pending);
    } finally {
      this.breaker.read(st.size);
    }
  }

  /** Reads, parses and validates one regular file (see `prepare`). */
  private async read(name: string, path: string, full: boolean, pending: readonly Prepared[]): Promise<Prepared | undefined> {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if (!hasCode(err, 'ENOENT')) this.options.logger.error(`inbox: cannot read ${shown(name)}: ${(err as Error).message}; will try again`, { file: name });
      return undefined;
    }
    if (full && !hasInteractiveWork(text)) {
      this.notInteractive.add(name);
      return undefined;
    }
    this.notInteractive.delete(name);
    try {
      return { name, batch: await prepareBatch(text, name, pendingLookups(this.options.store, pending), { maxActions: this.options.maxActions }) };
    } catch (err) {
      if (isDataError(err)) {
        await this.reject(name, problemsText(name, err), null);
        return undefined;
      }
      this.options.logger.error(`inbox: ${shown(name)}: ${(err as Error).message}; will try again`, { file: name });
      return undefined;
    }
  }


  /** Stores a group in one transaction, then removes its files. */
  private async store(group: readonly Prepared[]): Promise<void> {
    if (group.length === 0) return;
    const { store, logger } = this.options;
    let results: Awaited<ReturnType<Store['insertBatches']>>;
    try {
      results = await store.insertBatches(group.map((p) => p.batch));
    } catch (err) {
      // Not the files' fault (a busy or full disk, say): they stay, and are tried again.
      logger.error(`inbox: storing ${group.length} batch(es): ${(err as Error).message}; will try again`);
      for (const p of group) this.putBack(p.name);
      return;
    }
    // The engine hears of the interactive work stored before anything else is awaited here, so
    // that a result committed meanwhile is not missed.
    const interactive = interactiveStored(group, results);
    const answered = interactive.length > 0 ? this.options.onInteractive?.(interactive) : undefined;
    const effects: Effects = { replies: [], events: [] };
    for (const [i, p] of group.entries()) {
      const r = results[i]!;
      const meta = { batch: p.batch.id, file: p.name };
      if (!r.ok) {
        if (isDataError(r.error)) await this.reject(p.name, problemsText(p.name, r.error), p.batch.id);
        else {
          logger.error(`inbox: ${shown(p.name)}: ${(r.error as Error).message}; will try again`, meta);
          this.putBack(p.name);
        }
        continue;
      }
      const { result } = r.outcome;
      effects.replies.push(...r.outcome.effects.replies);
      effects.events.push(...r.outcome.effects.events);
      if (result === 'conflict') {
        await this.reject(p.name, `${shown(p.name)}: batch ${p.batch.id} is already held with other content; refused`, p.batch.id);
        continue;
      }
      if (result === 'duplicate') {
        logger.info(`${shown(p.name)}: batch ${p.batch.id} was already received with the same content; nothing to do`, meta);
        await store.postMessage({ level: 'info', source: 'ingest', batch: p.batch.id, action: null, text: `${shown(p.name)}: duplicate of batch ${p.batch.id}, already received; ignored` });
      } else {
        const n = p.batch.actions.length;
        logger.info(`received batch ${p.batch.id} (${n} action${n === 1 ? '' : 's'}${p.batch.actions.some((a) => a.interactive) ? ', interactive' : ''}) from ${shown(p.name)}`, meta);
      }
      this.breaker.forget(p.name);
      this.watcher.removing(p.name);
      try {
        unlinkSync(this.claims.pathOf(p.name));
      } catch (err) {
        // Stored: a second look finds it a duplicate, which is harmless.
        if (!hasCode(err, 'ENOENT')) logger.error(`inbox: cannot remove ${shown(p.name)} after storing it: ${(err as Error).message}`, meta);
      }
    }
    this.options.onAccepted(effects);
    await answered;
  }

  /** Moves a refused file from this daemon's claim folder to `rejected/` (inbox-refusal.ts). */
  private async reject(name: string, reason: string, batch: string | null): Promise<void> {
    this.watcher.removing(name);
    if (await refuse({ from: this.claims.pathOf(name), rejectedDir: this.rejectedDir, name, shown: shown(name), reason, batch }, this.options)) this.breaker.forget(name);
    else this.putBack(name);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher.close();
    if (this.timer) clearInterval(this.timer);
    this.loop.stop();
    if (this.loop.busy) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.settled();
  }
}
