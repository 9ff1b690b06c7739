import { join } from 'node:path';
import { ROOT, tmon } from '../helpers/cli.js';
import { tempDir } from '../helpers/home.js';

/*
 * Most tests run `tmon` in a worker thread that keeps the CLI loaded (test/helpers/cli.ts);
 * it must answer as the real command does. Each command here runs both ways on the same home,
 * in an order where the first run's effect would show in the second's output if the two differed.
 */
describe('the CLI worker the tests use answers as the tmon process', () => {
  test('status, exit status, stdout and stderr agree for success, usage errors, refused input and operator commands', () => {
    const dir = tempDir();
    try {
      const home = join(dir.path, 'home');
      expect(tmon(['--home', home, 'migrate']).status).toBe(0);
      const commands: string[][] = [
        ['--home', home, 'submit', join(ROOT, 'fixtures', 'delu-input.kvg')],
        ['--home', home, 'status', '--json'],
        ['--home', home, 'submit', join(ROOT, 'fixtures', 'delu-input.kvg')],
        ['validate', join(ROOT, 'fixtures', 'invalid', 'several-problems.kvg')],
        ['validate', '--json', join(ROOT, 'fixtures', 'invalid', 'depends-bare-pairs.kvg')],
        ['--home', home, 'frobnicate'],
        ['--home', home, 'status', '--bogus'],
        ['--home', join(dir.path, 'none'), 'status'],
        ['--home', home, 'messages', '--all'],
        ['--home', home, 'config', 'check'],
        ['--home', home, 'resume', 'HR'],
      ];
      const codes = new Set<number | null>();
      for (const args of commands) {
        const child = tmon(args, { process: true });
        const worker = tmon(args);
        codes.add(child.status);
        expect({ args, ...worker }).toEqual({ args, ...child });
      }
      // The list covers success and the usual failures, so agreeing meant something.
      expect([...codes].sort()).toEqual(expect.arrayContaining([0, 1, 2, 65, 66]));
    } finally {
      dir.cleanup();
    }
  });
});
