import { CommandRunner, type Engine } from '../../src/engine/index.js';
import type { CommandOutcome, QueuedCommand, Store } from '../../src/store/index.js';
import { recordingLogger } from '../helpers/logger.js';

/*
 * A ring (tmon.wake) that arrives while the daemon is reading the command queue: that read may
 * have missed the command just queued, so the runner reads the queue once more.
 */
describe('CommandRunner', () => {
  test('a ring during a read of the queue makes it read again: the command queued meanwhile is applied', async () => {
    // Each read of the queue waits for the test to answer it; `read(n)` resolves when the n-th read is asked.
    const answers: Array<(commands: QueuedCommand[]) => void> = [];
    const asked: Array<() => void> = [];
    const read = (n: number) => new Promise<void>((resolve) => (answers.length >= n ? resolve() : (asked[n - 1] = resolve)));
    const finished: Array<[number, CommandOutcome]> = [];
    let done!: () => void;
    const applied = new Promise<void>((resolve) => (done = resolve));
    // Only what the runner uses of a store for a queued reload.
    const store = {
      pendingCommands: () =>
        new Promise<QueuedCommand[]>((resolve) => {
          answers.push(resolve);
          asked[answers.length - 1]?.();
        }),
      finishCommand: async (id: number, outcome: CommandOutcome) => {
        finished.push([id, outcome]);
        done();
      },
    } as unknown as Store;
    const runner = new CommandRunner(store, {} as Engine, recordingLogger(), { reload: async () => ({ ok: true, actions: [] }) });

    runner.wake();
    await read(1);
    // The CLI queues a reload and rings while the first read is still out; that read saw nothing.
    runner.wake();
    expect(answers).toHaveLength(1);
    answers[0]!([]);
    await read(2);
    answers[1]!([{ id: 7, command: { kind: 'reload', batch: '' }, state: 'pending', outcome: null }]);
    await applied;
    expect(finished).toEqual([[7, { ok: true, actions: [] }]]);
    runner.stop();
  });
});
