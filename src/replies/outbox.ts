import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkLoop } from '../work-loop.js';
import type { KvGroup } from '../kvgroup/document.js';
import { printKvg } from '../kvgroup/printer.js';
import type { Reply, Store } from '../store/index.js';

/** A reply as the workflow manager reads it: `"reply" "<replyid>" = { … }`. */
export function replyDocument(r: Reply): KvGroup {
  return {
    type: 'reply',
    name: r.replyid,
    members: [
      { key: 'seq', value: String(r.seq) },
      { key: 'replyid', value: r.replyid },
      { key: 'batch', value: r.batch },
      { key: 'action', value: r.action },
      { key: 'operation', value: r.operation },
      { key: 'status', value: r.status },
      { key: 'retval', value: r.retval },
      { key: 'message', value: r.message },
      { key: 'at', value: new Date(r.at).toISOString() },
    ],
  };
}

const seqPart = (seq: number): string => String(seq).padStart(12, '0');

/** The file of one reply (`replies.files: "each"`): its seq first, so that names sort in reply order. */
export function replyFileName(r: Reply): string {
  return `${String(r.seq).padStart(10, '0')}-${r.replyid.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100)}.kvg`;
}

/** The file of a group of replies: the first and last seq it holds, so that names sort in reply order. */
export function groupFileName(replies: readonly Reply[]): string {
  return `${seqPart(replies[0]!.seq)}-${seqPart(replies.at(-1)!.seq)}.replies.kvg`;
}

const GROUP_NAME = /^(\d{12})-(\d{12})\.replies\.kvg$/;

/** Replies marked mirrored per store transaction, and most replies in one grouped file. */
const ROUND = 4096;
/** Files written at once in `each` mode (on libuv's pool). */
const PER_TURN = 32;
/** Replies waiting for their file above which the engine stops starting actions. */
export const OUTBOX_BACKLOG_LIMIT = 16_384;

export type OutboxFiles = 'grouped' | 'each';

/**
 * Mirrors replies into the outbox folder as canonical KVGroup, each file written under a
 * dot-name and renamed into place, so a reader never sees half a file. By default a file holds
 * the replies of one commit (several `"reply"` groups in a row; names sort in seq order); with
 * `each`, a file per reply. The store is the record: a reply is marked mirrored only after its
 * file is in place, and at start every unmarked reply is written again — unless a grouped file
 * already holds it (the daemon died between the rename and the mark) — so none is lost or doubled.
 *
 * When the disk cannot keep up, the backlog makes the engine wait (`OUTBOX_BACKLOG_LIMIT`), so
 * memory stays bounded.
 */
export class Outbox {
  /** Committed replies, one entry per commit, waiting for their files. */
  private queue: Reply[][] = [];
  private queued = 0;
  private readonly loop: WorkLoop;
  private idle: Array<() => void> = [];

  constructor(
    readonly dir: string,
    private readonly store: Pick<Store, 'unmirroredReplies' | 'markMirrored' | 'adoptOrphanReplies'>,
    private readonly onError: (err: Error) => void = () => {},
    /** Called when the backlog falls back under the limit (the engine starts actions again). */
    private readonly onRoom: () => void = () => {},
    private readonly files: OutboxFiles = 'grouped',
  ) {
    mkdirSync(dir, { recursive: true });
    this.loop = new WorkLoop(
      () => this.round(),
      (err) => this.onError(err),
      () => this.settle(),
    );
  }

  /**
   * Writes on libuv's pool, not the main thread: under load a file's write waits on the disk
   * behind the store's flushes (0.5 ms and more a file), time the engine can use meanwhile.
   */
  private async place(name: string, text: string): Promise<void> {
    const tmp = join(this.dir, `.${name}.tmp`);
    await writeFile(tmp, text);
    await rename(tmp, join(this.dir, name));
  }

  /** Writes replies: one file for all of them, or one each; resolves when they are in place. */
  async write(replies: readonly Reply[]): Promise<void> {
    if (replies.length === 0) return;
    // A file each: several at once on the pool (names sort in seq order whatever lands first).
    if (this.files === 'each') await Promise.all(replies.map((r) => this.place(replyFileName(r), printKvg(replyDocument(r)))));
    else await this.place(groupFileName(replies), replies.map((r) => printKvg(replyDocument(r))).join(''));
  }

  private async round(): Promise<void> {
    while (this.queue.length > 0) {
      // A few commits at a time, each its own file, marked in one transaction.
      const taken: Reply[][] = [];
      let n = 0;
      while (this.queue.length > 0 && n < ROUND) {
        const c = this.queue.shift()!;
        taken.push(c);
        n += c.length;
      }
      for (const c of taken) {
        if (this.files === 'each') {
          for (let i = 0; i < c.length; i += PER_TURN) await this.write(c.slice(i, i + PER_TURN));
        } else {
          // A file at a time, each awaited: a round of many commits' files (up to ROUND
          // replies, ~20 ms of printing) would otherwise hold an interactive action's turn.
          await this.write(c);
        }
      }
      await this.store.markMirrored(taken.flatMap((c) => c.map((r) => r.seq)));
      // Counted down only once marked: the backlog is every reply not yet settled.
      this.queued -= n;
      if (this.queued < OUTBOX_BACKLOG_LIMIT) this.onRoom();
    }
  }

  /** Replies taken but not yet written and marked (the metrics' reply lag). */
  get backlog(): number {
    return this.queued;
  }

  get full(): boolean {
    return this.queued >= OUTBOX_BACKLOG_LIMIT;
  }

  private settle(): void {
    if (this.queue.length > 0 || this.loop.busy) return;
    const waiting = this.idle;
    this.idle = [];
    for (const w of waiting) w();
  }

  /** Queues one commit's replies for their file. */
  async mirror(replies: readonly Reply[]): Promise<void> {
    if (replies.length === 0) return;
    this.queue.push([...replies]);
    this.queued += replies.length;
    this.loop.wake();
  }

  /**
   * Writes the replies of daemons that died before writing them (several daemons on one store),
   * taken over by this one now. Returns how many.
   */
  async adoptOrphans(): Promise<number> {
    const adopted = await this.store.adoptOrphanReplies();
    await this.mirror(adopted);
    return adopted.length;
  }

  /** Resolves once every queued reply has its file and its mark. */
  drain(): Promise<void> {
    if (this.queue.length === 0 && !this.loop.busy) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Writes every reply not yet marked mirrored (after a crash). Returns how many. */
  async catchUp(): Promise<number> {
    const held: Array<[number, number]> = [];
    for (const f of readdirSync(this.dir)) {
      // Half-written files of a run that was killed; their replies are unmarked and rewritten below.
      if (f.startsWith('.') && f.endsWith('.tmp')) rmSync(join(this.dir, f), { force: true });
      const m = GROUP_NAME.exec(f);
      if (m) held.push([Number(m[1]), Number(m[2])]);
    }
    const pending = await this.store.unmirroredReplies();
    // A grouped file renamed into place holds all of its replies: they only lack their mark.
    const inFile = (seq: number): boolean => held.some(([a, b]) => seq >= a && seq <= b);
    const written = pending.filter((r) => inFile(r.seq));
    if (written.length > 0) await this.store.markMirrored(written.map((r) => r.seq));
    const missing = pending.filter((r) => !inFile(r.seq));
    await this.mirror(missing);
    await this.drain();
    return missing.length;
  }
}
