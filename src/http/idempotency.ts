import { createHash } from 'node:crypto';
import { HttpError } from './errors.js';

export interface RememberedAnswer {
  status: number;
  body: unknown;
}

/**
 * Answers given to requests that carried an `Idempotency-Key`, per token: the same key with
 * the same body gets the same answer again; with another body, 422. Kept in memory, newest
 * `capacity` keys, for `ttlMs`: a retry after a daemon restart is still safe, because a
 * batch id is itself idempotent (200 for the identical batch, 409 for other content).
 */
export class IdempotencyCache {
  private readonly entries = new Map<string, { digest: string; answer: RememberedAnswer; at: number }>();

  constructor(
    private readonly capacity = 10_000,
    private readonly ttlMs = 24 * 3600_000,
    private readonly now: () => number = Date.now,
  ) {}

  static digest(body: string): string {
    return createHash('sha256').update(body).digest('hex');
  }

  /** The remembered answer for this key and body, undefined for a new key; throws 422 for a key reused with another body. */
  lookup(owner: string, key: string, digest: string): RememberedAnswer | undefined {
    const id = `${owner}\u0000${key}`;
    const e = this.entries.get(id);
    if (!e) return undefined;
    if (this.now() - e.at > this.ttlMs) {
      this.entries.delete(id);
      return undefined;
    }
    if (e.digest !== digest) throw new HttpError(422, 'HTTP_IDEMPOTENCY_KEY_REUSED', `Idempotency-Key ${key} was used before with another body`);
    return e.answer;
  }

  remember(owner: string, key: string, digest: string, answer: RememberedAnswer): void {
    const id = `${owner}\u0000${key}`;
    this.entries.delete(id);
    this.entries.set(id, { digest, answer, at: this.now() });
    // A Map iterates in insertion order: the first key is the oldest.
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}
