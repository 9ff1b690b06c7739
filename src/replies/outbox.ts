import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkLoop } from '../engine/work-loop.js';
import { printKvg, type KvGroup } from '../kvgroup/index.js';
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

/** The file name of a reply: its seq first, so that names sort in reply order, and always the same. */
export function replyFileName(r: Reply): string {
  return `${String(r.seq).padStart(10, '0')}-${r.replyid.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100)}.kvg`;
}

/**
 * Files written per turn of the event loop. Creating a small file is one synchronous call in
 * libuv terms (a handful of µs on tmpfs, ~0.4 ms on a slow disk), far cheaper than four
 * thread-pool round trips; writing a few per turn keeps the loop free for the engine.
 */
const PER_TURN = 32;
/** Replies marked mirrored per store transaction. */
const ROUND = 512;
/** Replies waiting for their file above which the engine stops starting actions. */
export const OUTBOX_BACKLOG_LIMIT = 4096;

/**
 * Mirrors replies into the outbox folder, one canonical KVGroup file each, written under a
 * dot-name and renamed into place, so a reader never sees half a file. The store is the record:
 * a reply is marked mirrored only after its file is in place, and at start every unmarked reply
 * is written again (same name, same content), so none is lost or doubled.
 *
 * Files are written in their own loop, a few per turn, and marked in rounds: a reply is durable
 * (and in `tmon replies`) when its transaction commits; its file follows at once. When the disk
 * cannot keep up, the backlog makes the engine wait (see `OUTBOX_BACKLOG_LIMIT`), so memory
 * stays bounded.
 */
export class Outbox {
  private queue: Reply[] = [];
  private readonly loop: WorkLoop;
  private idle: Array<() => void> = [];

  constructor(
    readonly dir: string,
    private readonly store: Pick<Store, 'unmirroredReplies' | 'markMirrored'>,
    private readonly onError: (err: Error) => void = () => {},
    /** Called when the backlog falls back under the limit (the engine starts actions again). */
    private readonly onRoom: () => void = () => {},
  ) {
    mkdirSync(dir, { recursive: true });
    this.loop = new WorkLoop(
      () => this.round(),
      (err) => this.onError(err),
      () => this.settle(),
    );
  }

  /** Writes replies now, synchronously (the benchmark's bare loop; tests). */
  write(replies: readonly Reply[]): void {
    for (const r of replies) {
      const name = replyFileName(r);
      const tmp = join(this.dir, `.${name}.tmp`);
      writeFileSync(tmp, printKvg(replyDocument(r)));
      renameSync(tmp, join(this.dir, name));
    }
  }

  private async round(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, ROUND);
      for (let i = 0; i < batch.length; i += PER_TURN) {
        this.write(batch.slice(i, i + PER_TURN));
        await new Promise((resolve) => setImmediate(resolve));
      }
      await this.store.markMirrored(batch.map((r) => r.seq));
      // Off the queue only once marked: `backlog` counts every reply not yet settled.
      this.queue.splice(0, batch.length);
      if (this.queue.length < OUTBOX_BACKLOG_LIMIT) this.onRoom();
    }
  }

  /** Replies taken but not yet written and marked. */
  get backlog(): number {
    return this.queue.length;
  }

  get full(): boolean {
    return this.queue.length >= OUTBOX_BACKLOG_LIMIT;
  }

  private settle(): void {
    if (this.queue.length > 0 || this.loop.busy) return;
    const waiting = this.idle;
    this.idle = [];
    for (const w of waiting) w();
  }

  /** Queues committed replies for their files. */
  async mirror(replies: readonly Reply[]): Promise<void> {
    if (replies.length === 0) return;
    this.queue.push(...replies);
    this.loop.wake();
  }

  /** Resolves once every queued reply has its file and its mark. */
  drain(): Promise<void> {
    if (this.queue.length === 0 && !this.loop.busy) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Writes every reply not yet marked mirrored (after a crash). Returns how many. */
  async catchUp(): Promise<number> {
    // Half-written files of a run that was killed; their replies are unmarked and rewritten below.
    for (const f of readdirSync(this.dir)) if (f.startsWith('.') && f.endsWith('.tmp')) rmSync(join(this.dir, f), { force: true });
    const pending = await this.store.unmirroredReplies();
    await this.mirror(pending);
    await this.drain();
    return pending.length;
  }
}
