import { retryDelay } from '../../src/engine/index.js';

describe('retry backoff', () => {
  const policy = { attempts: 10, firstDelayMs: 1000, maxDelayMs: 300_000 };
  test('exponential from the first delay, capped, with half of each wait jittered', () => {
    expect([1, 2, 3, 4].map((a) => retryDelay(a, policy, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((a) => retryDelay(a, policy, () => 1))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelay(30, policy, () => 1)).toBe(300_000);
    expect(retryDelay(30, policy, () => 0)).toBe(150_000);
  });
  test('with any jitter, no wait is shorter than the one before (until the cap)', () => {
    for (let a = 1; a < 9; a++) expect(retryDelay(a + 1, policy, () => 0)).toBeGreaterThanOrEqual(retryDelay(a, policy, () => 1));
  });
});
