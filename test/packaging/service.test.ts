import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';

const unit = readFileSync(join(ROOT, 'packaging', 'tmon.service'), 'utf8');
const setting = (key: string): string[] => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!);

describe('packaging/tmon.service', () => {
  test('runs node directly with the same heap flags as npm start, on the home it may write', () => {
    const start = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    const flags = start.match(/--max-[a-z-]+=\d+/g)!;
    expect(flags.length).toBeGreaterThan(0);
    const [exec] = setting('ExecStart');
    expect(exec).toMatch(/^\/usr\/bin\/node /);
    expect(exec!.match(/--max-[a-z-]+=\d+/g)).toEqual(flags);
    expect(exec).toMatch(/ \S*bin\/tmon\.js daemon\b/);
    const home = setting('Environment').find((e) => e.startsWith('TMON_HOME='))!.slice('TMON_HOME='.length);
    expect(setting('ReadWritePaths')).toEqual([home]);
  });

  test('a dedicated user, restart on failure, and the hardening options', () => {
    expect(setting('User')).toEqual(['tmon']);
    expect(setting('Restart')).toEqual(['on-failure']);
    for (const [key, value] of [
      ['ProtectSystem', 'strict'],
      ['NoNewPrivileges', 'yes'],
      ['PrivateTmp', 'yes'],
      ['ProtectHome', 'yes'],
    ]) expect(setting(key!)).toEqual([value]);
  });
});
