import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger, redact, REDACTED } from '../src/log.js';
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
