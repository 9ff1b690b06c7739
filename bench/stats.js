// Shared timing helpers for the benchmarks: medians of repeated runs, measured side by side
// with their baseline in one process, so that ratios compare like with like.

export const now = () => Number(process.hrtime.bigint()) / 1e6;

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

/**
 * A full collection before each timed run (when node runs with --expose-gc, as
 * `npm run bench` does), so that neither side pays for the other's garbage.
 */
export function settle() {
  globalThis.gc?.();
}

/**
 * Times `subject` and `baseline` alternately (warm-up first), so that both see the same
 * machine state; returns the median milliseconds of each and their ratio.
 */
export function sideBySide(subject, baseline, rounds) {
  subject();
  baseline();
  const a = [];
  const b = [];
  for (let i = 0; i < rounds; i++) {
    settle();
    let t = now();
    subject();
    a.push(now() - t);
    settle();
    t = now();
    baseline();
    b.push(now() - t);
  }
  const subjectMs = median(a);
  const baselineMs = median(b);
  return { subjectMs, baselineMs, ratio: subjectMs / baselineMs };
}
