import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
 * Mirrors replies into the outbox folder, one canonical KVGroup file each, written under a
 * dot-name and renamed into place, so a reader never sees half a file. The store is the
 * record: a reply is marked mirrored only after its file is in place, and at start every
 * unmarked reply is written again (same name, same content), so none is lost or doubled.
 */
export class Outbox {
  constructor(
    readonly dir: string,
    private readonly store: Pick<Store, 'unmirroredReplies' | 'markMirrored'>,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  write(replies: readonly Reply[]): void {
    for (const r of replies) {
      const name = replyFileName(r);
      const tmp = join(this.dir, `.${name}.tmp`);
      writeFileSync(tmp, printKvg(replyDocument(r)));
      renameSync(tmp, join(this.dir, name));
    }
  }

  async mirror(replies: readonly Reply[]): Promise<void> {
    if (replies.length === 0) return;
    this.write(replies);
    await this.store.markMirrored(replies.map((r) => r.seq));
  }

  /** Writes every reply not yet marked mirrored (after a crash). Returns how many. */
  async catchUp(): Promise<number> {
    // Half-written files of a run that was killed; their replies are unmarked and rewritten below.
    for (const f of readdirSync(this.dir)) if (f.startsWith('.') && f.endsWith('.tmp')) rmSync(join(this.dir, f), { force: true });
    const pending = await this.store.unmirroredReplies();
    await this.mirror(pending);
    return pending.length;
  }
}
