import type { RetryPolicy } from '../config/index.js';

/**
 * The wait before try `attempt + 1`, after `attempt` tries failed: exponential from
 * `firstDelayMs`, capped at `maxDelayMs`, with "equal jitter" (half fixed, half random), so
 * that retries spread out while each wait is still at least the one before.
 */
export function retryDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}
