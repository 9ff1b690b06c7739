import type { PgCtx } from './context.js';

/*
 * Who takes a turn when, on a shared schema. Every claim runs under the graph lock, which every
 * daemon's next turn waits for, so a turn that cannot start anything is not free: it delays
 * the turns that can. Two rules keep such turns few, neither deciding what is claimed:
 *  - a turn wakes the other daemons (at COMMIT, listener.ts) only when its results may let one
 *    of them start something (`mayHelpOthers`);
 *  - a turn with nothing to record, whose claim could only find what the daemon's last claim
 *    found, is answered with nothing without the lock (`ClaimGate`).
 */

/**
 * Whether a turn's results may let another daemon start something: a slot they freed that this
 * daemon's own claim left free (or did not look at), or work they may have made ready in a batch
 * another daemon leases. A turn that refilled the slots it freed wakes nobody.
 */
export function mayHelpOthers(c: PgCtx): boolean {
  const { freed, others, room } = c.turn;
  if (others) return true;
  for (const h of freed) if ((room?.get(h) ?? 1) > 0) return true;
  return false;
}

/**
 * The longest a daemon goes without a claim under the lock while it takes turns: what no one
 * announces (an operator's command applied by another daemon, a reloaded config's limits) is
 * claimed this late at worst.
 */
export const QUIET_CLAIM_MS = 1000;

interface LastClaim {
  /** `stir` when it began: what happened since is not in what it found. */
  stir: number;
  at: number;
  max: number;
  rewrite: boolean;
  claimed: number;
  nextDue: number | null;
  nextExpiry: number | null;
}

/**
 * Decides whether a claim-only turn needs the graph lock. It does not when nothing could have
 * changed what the last claim found: no other daemon said it made something claimable since
 * (they say so whenever they may, `mayHelpOthers`; insertions, operators' commands and clean
 * stops say so too), this store changed nothing in the graph, the last claim was not cut short
 * by `max` (this daemon's own free slots), no retry nor lease expiry fell due since, and it is
 * not older than QUIET_CLAIM_MS. Only with a live listener: without one nothing is heard.
 */
export class ClaimGate {
  private stir = 0;
  private last: LastClaim | undefined;

  /** Something may have become claimable: the next turn claims under the lock. */
  stirred(): void {
    this.stir++;
  }

  /** The mark to hand to `claimed` for a claim about to run. */
  get mark(): number {
    return this.stir;
  }

  claimed(mark: number, at: number, claim: { max: number; rewrite?: boolean }, claimed: number, ctx: PgCtx): void {
    this.last = { stir: mark, at, max: claim.max, rewrite: claim.rewrite ?? false, claimed, nextDue: ctx.turn.nextDue, nextExpiry: ctx.turn.nextExpiry };
  }

  /** Forgets the last claim (it failed, or the listener is gone): the next turn claims under the lock. */
  reset(): void {
    this.last = undefined;
  }

  quiet(claim: { now: number; max: number; rewrite?: boolean }, listening: boolean): boolean {
    const l = this.last;
    if (!listening || !l || l.stir !== this.stir || l.claimed >= l.max || l.rewrite !== (claim.rewrite ?? false)) return false;
    const clock = Date.now();
    if (clock - l.at >= QUIET_CLAIM_MS) return false;
    if (l.nextDue !== null && claim.now >= l.nextDue) return false;
    return l.nextExpiry === null || clock < l.nextExpiry;
  }
}
