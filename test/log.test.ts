import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normaliseConfig } from '../src/config/index.js';
import { consoleStyle, createLogger, redact, REDACTED, textLine } from '../src/log.js';
import { tempDir } from './helpers/home.js';

describe('secrets are redacted everywhere', () => {
  test('in pairs, in objects under a newpw key, and in KVGroup text', () => {
    expect(redact({ key: 'newpw', value: 'pw1' })).toEqual({ key: 'newpw', value: REDACTED });
    expect(redact({ a: { newpw: 'pw2', b: [{ key: 'newpw', value: 'pw3' }] } })).toEqual({
      a: { newpw: REDACTED, b: [{ key: 'newpw', value: REDACTED }] },
    });
    expect(redact('x "newpw" = "p\\"w4" y newpw = bare5 z')).toBe(`x "newpw" = "${REDACTED}" y newpw = "${REDACTED}" z`);
    expect(redact({ key: 'newpw', value: '' })).toEqual({ key: 'newpw', value: '' });
  });

  test("a URL's password: masked wherever a store URL reaches a message", () => {
    expect(redact('connect to postgres://tmon:s3cr3t@db:5432/tmon failed')).toBe(`connect to postgres://tmon:${REDACTED}@db:5432/tmon failed`);
    expect(redact({ url: 'postgresql://u:p%40ss@h/db' })).toEqual({ url: `postgresql://u:${REDACTED}@h/db` });
    expect(redact('postgres://tmon@db/tmon and http://host:80/path')).toBe('postgres://tmon@db/tmon and http://host:80/path');
  });

  test('the daemon logger writes JSON lines without the password', async () => {
    const dir = tempDir();
    try {
      const logger = createLogger({ logsDir: dir.path, console: false });
      logger.info('submitted "newpw" = "TopSecret1"', { batch: 'B', action: 'A', newpw: 'TopSecret2', doc: { members: [{ key: 'newpw', value: 'TopSecret3' }] } });
      await new Promise<void>((resolve) => {
        logger.on('finish', resolve);
        logger.end();
      });
      const text = readFileSync(join(dir.path, 'tmon.log'), 'utf8');
      expect(text).not.toMatch(/TopSecret/);
      const line = JSON.parse(text.trim().split('\n')[0]!);
      expect(line).toMatchObject({ level: 'info', batch: 'B', action: 'A', newpw: REDACTED });
    } finally {
      dir.cleanup();
    }
  });
});

describe('the console log for people', () => {
  test('one line per event: time, level, message, then the batch and action ids; control characters escaped', () => {
    const line = textLine({ level: 'warn', message: 'plugin x failed:\n\x1b[2J', timestamp: '2026-11-23T12:00:01.123Z', batch: 'B-1', action: 'B-1_0', other: 'kept in the file' }, false);
    expect(line).toBe('2026-11-23 12:00:01 WARN  plugin x failed:\\n\\x1b[2J  batch=B-1 action=B-1_0');
    expect(textLine({ level: 'info', message: 'started', timestamp: '2026-11-23T12:00:01Z' }, false)).toBe('2026-11-23 12:00:01 INFO  started');
    expect(textLine({ level: 'error', message: 'x', timestamp: '2026-11-23T12:00:01Z' }, true)).toContain('\x1b[');
  });

  test('text and colour on a terminal, colour off with NO_COLOR, JSON off a terminal; --log-format decides the format', () => {
    expect(consoleStyle(true, {})).toEqual({ text: true, colour: true });
    expect(consoleStyle(true, { NO_COLOR: '1' })).toEqual({ text: true, colour: false });
    expect(consoleStyle(false, {})).toEqual({ text: false, colour: false });
    expect(consoleStyle(true, {}, { consoleFormat: 'json' })).toEqual({ text: false, colour: false });
    expect(consoleStyle(false, {}, { consoleFormat: 'text' })).toEqual({ text: true, colour: false });
  });
});

describe('log rotation', () => {
  test('tmon.log rotates by size, keeps maxFiles files, and never splits a line', async () => {
    const dir = tempDir();
    try {
      const logger = createLogger({ logsDir: dir.path, console: false, maxSizeBytes: 4000, maxFiles: 3 });
      for (let i = 0; i < 300; i++) logger.info(`event ${i} ${'x'.repeat(i % 50)}`, { batch: `B-${i}` });
      await new Promise<void>((resolve) => {
        logger.on('finish', resolve);
        logger.end();
      });
      const files = readdirSync(dir.path).sort();
      expect(files).toEqual(['tmon.log', 'tmon1.log', 'tmon2.log']);
      const seen: number[] = [];
      for (const f of files) {
        const text = readFileSync(join(dir.path, f), 'utf8');
        expect(text.endsWith('\n')).toBe(true);
        expect(Buffer.byteLength(text)).toBeLessThanOrEqual(4000);
        for (const l of text.trimEnd().split('\n')) seen.push(Number(/^event (\d+)/.exec(JSON.parse(l).message)![1]));
      }
      // The newest in tmon.log, the oldest kept in the last file; nothing kept is cut.
      const newest = readFileSync(join(dir.path, 'tmon.log'), 'utf8').trimEnd().split('\n');
      expect(JSON.parse(newest.at(-1)!).message).toMatch(/^event 299 /);
      // Nothing between the oldest kept and the newest is lost.
      expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: seen.length }, (_, i) => 300 - seen.length + i));
      expect(seen.length).toBeGreaterThan(50);
    } finally {
      dir.cleanup();
    }
  });

  test('a line longer than the limit goes whole into a file of its own and logging goes on; a restart appends', async () => {
    const dir = tempDir();
    const end = (logger: ReturnType<typeof createLogger>) =>
      new Promise<void>((resolve) => {
        logger.on('finish', resolve);
        logger.end();
      });
    try {
      const first = createLogger({ logsDir: dir.path, console: false, maxSizeBytes: 1000, maxFiles: 3 });
      first.info('before');
      first.info(`huge ${'y'.repeat(5000)}`);
      first.info('after');
      await end(first);
      const second = createLogger({ logsDir: dir.path, console: false, maxSizeBytes: 1000, maxFiles: 3 });
      second.info('restarted');
      await end(second);
      const messages = (f: string) => readFileSync(join(dir.path, f), 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { message: string }).message.slice(0, 9));
      expect([messages('tmon2.log'), messages('tmon1.log'), messages('tmon.log')]).toEqual([['before'], ['huge yyyy'], ['after', 'restarted']]);
    } finally {
      dir.cleanup();
    }
  });

  test('the logs section: defaults 50 MB and 5 files; checked', () => {
    expect(normaliseConfig({}, '/base').logs).toEqual({ maxSizeMb: 50, maxFiles: 5 });
    expect(normaliseConfig({ logs: { maxSizeMb: 0.5 } }, '/base').logs).toEqual({ maxSizeMb: 0.5, maxFiles: 5 });
    expect(() => normaliseConfig({ logs: { maxSizeMb: 0, maxfiles: 2 } }, '/base')).toThrow('logs.maxfiles: is not a known setting; did you mean "maxFiles"?; logs.maxSizeMb: must be > 0');
  });
});
