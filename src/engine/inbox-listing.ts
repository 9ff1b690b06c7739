import { readdirSync } from 'node:fs';

/**
 * The inbox folder's names, as the inbox reads them: batch files (`*.kvg`, not dot-files) in
 * name order, those that arrived since the previous listing first, so that new work never waits
 * behind a backlog. Other names are reported once each through `onIgnored`.
 */
export class InboxListing {
  /** Names seen in the previous listing. */
  private seen = new Set<string>();
  /** Names already reported as not taken. */
  private ignored = new Set<string>();
  /** How many names at the head of the last listing are new. */
  fresh = 0;

  constructor(
    private readonly dir: string,
    private readonly onIgnored: (name: string) => void,
  ) {}

  list(): string[] {
    const all = readdirSync(this.dir).filter((n) => !n.startsWith('.') && n !== 'rejected');
    for (const n of all) {
      if (n.endsWith('.kvg') || this.ignored.has(n)) continue;
      this.ignored.add(n);
      this.onIgnored(n);
    }
    const names = all.filter((n) => n.endsWith('.kvg')).sort();
    const fresh = names.filter((n) => !this.seen.has(n));
    this.seen = new Set(names);
    this.fresh = fresh.length;
    const isFresh = new Set(fresh);
    return [...fresh, ...names.filter((n) => !isFresh.has(n))];
  }

  /** Whether the last listing holds this name. */
  has(name: string): boolean {
    return this.seen.has(name);
  }
}
