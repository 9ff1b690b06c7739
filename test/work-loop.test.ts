import { WorkLoop } from '../src/work-loop.js';

/*
 * WorkLoop (src/work-loop.ts) runs its work again when woken during a run, never two runs at
 * once, and lets the event loop have its turn between two runs: a loop that is always woken
 * again (an engine draining a backlog over a synchronous store) must not starve file events,
 * timers and the other loops.
 */

/** Runs a loop whose `work` gets the loop itself; resolves once it has settled. */
function runLoop(work: (loop: WorkLoop) => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const loop: WorkLoop = new WorkLoop(
      () => work(loop),
      (err) => {
        throw err;
      },
      () => resolve(),
    );
    loop.wake();
  });
}

test('between two runs the event loop has its turn: a callback queued meanwhile runs before the loop ends', async () => {
  let runs = 0;
  let seenAt: number | undefined;
  await runLoop(async (loop) => {
    runs++;
    if (runs === 1) setImmediate(() => (seenAt = runs));
    if (runs < 50) loop.wake();
  });
  expect(runs).toBe(50);
  expect(seenAt).toBeDefined();
  expect(seenAt!).toBeLessThan(50);
});

test('a wake during a run asks for one more run, never a second one at the same time', async () => {
  let active = 0;
  let most = 0;
  let runs = 0;
  await runLoop(async (loop) => {
    active++;
    most = Math.max(most, active);
    runs++;
    loop.wake();
    loop.wake();
    await new Promise((r) => setTimeout(r, 1));
    active--;
    if (runs >= 5) loop.stop();
  });
  expect(most).toBe(1);
  expect(runs).toBe(5);
});
