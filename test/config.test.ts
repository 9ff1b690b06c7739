import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, DEFAULTS, loadConfig, normaliseConfig, SECOND } from '../src/config/index.js';
import { tempDir } from './helpers/home.js';

const errorsOf = (raw: unknown): string[] => {
  try {
    normaliseConfig(raw, '/base');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).errors;
  }
  throw new Error('expected a ConfigError');
};

describe('config', () => {
  test('the embedded defaults, with the plugins folder relative to where tmon runs', () => {
    const c = normaliseConfig({}, '/base', undefined, '/work/dir');
    expect(c).toMatchObject({ ...DEFAULTS, pluginsDir: '/work/dir/plugins' });
    expect(c.pluginTimeoutMs).toBe(5 * SECOND);
    expect(c.onPluginError).toBe('primary');
  });

  test('a path in the file is relative to the file; one plugin name becomes a list', () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'tmon.config.json');
      writeFileSync(file, JSON.stringify({ pluginsDir: 'my-plugins', rewritePlugin: 'terminate-disable', interpreters: { '.rb': 'ruby' } }));
      const c = loadConfig(file);
      expect(c.pluginsDir).toBe(join(dir.path, 'my-plugins'));
      expect(c.rewritePlugin).toEqual(['terminate-disable']);
      expect(c.interpreters).toEqual({ '.py': 'python3', '.sh': 'sh', '.rb': 'ruby' });
      expect(c.file).toBe(file);
    } finally {
      dir.cleanup();
    }
  });

  test('every error names its key path and what is wrong, all at once', () => {
    expect(
      errorsOf({ pluginTimeoutMs: 'soon', onPluginError: 'ignore', rewritePlugin: 7, pluginOptions: { x: 3 }, colour: 'blue' }).sort(),
    ).toEqual(
      [
        'colour: is not a known setting',
        'pluginTimeoutMs: must be integer',
        'onPluginError: must be one of "primary", "fail"',
        'rewritePlugin: must be a plugin name, a list of plugin names, or null',
        'pluginOptions.x: must be object',
      ].sort(),
    );
  });

  test('durations are capped at the longest delay a Node timer keeps (2^31 - 1 ms)', () => {
    // Node clamps a longer timer to 1 ms: a 1e300 ms plugin limit would time out every call.
    const errors = errorsOf({ inboxSweepMs: 99999999999, pluginTimeoutMs: 1e300, retry: { maxDelayMs: 2 ** 31 } });
    expect(errors).toEqual(
      expect.arrayContaining(['inboxSweepMs: must be <= 2147483647', 'pluginTimeoutMs: must be <= 2147483647', 'retry.maxDelayMs: must be <= 2147483647']),
    );
    expect(normaliseConfig({ pluginTimeoutMs: 2 ** 31 - 1 }, '/base').pluginTimeoutMs).toBe(2 ** 31 - 1);
  });

  test('cross-key rules: interpreter keys are extensions, and not JavaScript ones', () => {
    expect(errorsOf({ interpreters: { py: 'python3', '.js': 'node' } })).toEqual([
      'interpreters.py: must be a file extension with its dot, such as ".py"',
      'interpreters..js: JavaScript plugins run in worker threads, not through an interpreter',
    ]);
  });

  test('a file that is not JSON says so; a missing optional file means the defaults', () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'bad.json');
      writeFileSync(file, '{ nope');
      expect(() => loadConfig(file)).toThrow(/^config .*bad\.json: \(file\): is not JSON/);
      expect(loadConfig(join(dir.path, 'absent.json')).rewritePlugin).toEqual([]);
      expect(() => loadConfig(join(dir.path, 'absent.json'), { required: true })).toThrow(/no such config file/);
    } finally {
      dir.cleanup();
    }
  });
});
