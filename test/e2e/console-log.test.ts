import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TMON } from '../helpers/cli.js';
import { waitFor } from '../helpers/daemon.js';
import { tempDir } from '../helpers/home.js';

describe('tmon daemon --log-format', () => {
  test('text: one readable line per event on the console, no colour off a terminal; the file stays JSON', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, [TMON, '--home', dir.path, 'daemon', '--log-format', 'text'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await waitFor('the start line', () => out.includes('tmon daemon started'));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const lines = out.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO  tmon daemon started \(pid \d+\); home /);
      expect(lines.at(-1)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO  tmon daemon stopped$/);
      expect(out).not.toContain('{');
      expect(out).not.toContain('\x1b[');
      const file = readFileSync(join(dir.path, 'logs', 'tmon.log'), 'utf8').trimEnd().split('\n');
      expect(JSON.parse(file[0]!)).toMatchObject({ level: 'info', message: expect.stringMatching(/^tmon daemon started/) });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      dir.cleanup();
    }
  });
});
