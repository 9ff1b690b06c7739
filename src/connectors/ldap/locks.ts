/**
 * One action at a time per account within a connector. A move and a group removal fanned from
 * the same offboarding run side by side; without this, the removal could look the account up
 * at its old DN, the move then rewrite the group's member value, and the removal miss it.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async with<T>(keys: string[], fn: () => Promise<T>): Promise<T> {
    // Sorted, so that two actions wanting the same two keys cannot wait on each other.
    const sorted = [...new Set(keys.map((k) => k.toLowerCase()))].sort();
    const releases: Array<() => void> = [];
    for (const key of sorted) {
      const before = this.tails.get(key) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((r) => (release = r));
      const tail = before.then(() => mine);
      this.tails.set(key, tail);
      releases.push(() => {
        release();
        if (this.tails.get(key) === tail) this.tails.delete(key);
      });
      await before;
    }
    try {
      return await fn();
    } finally {
      for (const r of releases) r();
    }
  }
}
