import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { wakeDaemon, watchWake } from '../src/command-wake.js';
import { tempDir } from './helpers/home.js';

describe('the doorbell for operators\' commands (tmon.wake)', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.cleanup());

  test('a ring reaches the watching daemon, the file stays one byte, and stopping removes it', async () => {
    const path = join(dir.path, 'tmon.wake');
    let rang!: () => void;
    const ring = new Promise<void>((resolve) => (rang = resolve));
    const errors: Error[] = [];
    const stop = watchWake(path, () => rang(), (err) => errors.push(err));
    expect(existsSync(path)).toBe(true);
    wakeDaemon(path);
    await ring;
    wakeDaemon(path);
    expect(readFileSync(path, 'utf8')).toBe('\n');
    stop();
    expect(existsSync(path)).toBe(false);
    expect(errors).toEqual([]);
  });

  test('with no daemon watching (no file), ringing creates nothing and does not throw', () => {
    const path = join(dir.path, 'tmon.wake');
    wakeDaemon(path);
    expect(existsSync(path)).toBe(false);
    // A folder where the file should be (cannot be written as a file): still no error, the poll applies the command.
    expect(() => wakeDaemon(dir.path)).not.toThrow();
  });
});
