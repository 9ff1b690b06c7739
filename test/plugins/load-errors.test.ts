import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkPluginsFolder } from '../../src/plugins/index.js';
import { parseCheckOutput } from '../../src/plugins/load-error.js';
import { tempDir } from '../helpers/home.js';
import { FIXTURE_PLUGINS, fixtureHost } from './fixture-host.js';

describe('a JS plugin that does not parse names FILE:LINE:COLUMN (issue 14 item 3)', () => {
  const { host, run, failure, stillServes } = fixtureHost();
  afterAll(() => host.close());

  test.each([
    ['broken-syntax', 'broken-syntax.mjs:6:1: Unexpected token \'}\''],
    ['broken-syntax-cjs', 'broken-syntax-cjs.cjs:4:16: Unexpected token \';\''],
    // The end of the file has no column to point at: the line is still named.
    ['broken-at-end', 'broken-at-end.mjs:6: Unexpected end of input'],
  ])('%s', async (plugin, where) => {
    expect(failure(await run(plugin))).toEqual({ code: 'PLUGIN_LOAD', message: `cannot load: ${join(FIXTURE_PLUGINS, where)}` });
    await stillServes();
  });

  test('tmon plugins (probe) says the same', async () => {
    const entry = host.registry.get('broken-syntax')!;
    expect(await host.probe(entry)).toBe(`cannot load: ${join(FIXTURE_PLUGINS, "broken-syntax.mjs:6:1: Unexpected token '}'")}`);
  });

  test('node --check output without a position is left alone', () => {
    expect(parseCheckOutput('Error: something else\n')).toBeUndefined();
    expect(parseCheckOutput('/p/x.mjs:2\n\tfoo bar\n\t    ^^^\n\nSyntaxError: Unexpected identifier \'bar\'\n')).toBe("/p/x.mjs:2:6: Unexpected identifier 'bar'");
  });
});

describe('the plugins folder is checked at start (issue 13 item 13)', () => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  test('missing with rewritePlugin set: a clear error with a stable code', () => {
    const pluginsDir = join(dir.path, 'plugins');
    let caught: unknown;
    try {
      checkPluginsFolder({ pluginsDir, rewritePlugin: ['terminate-disable'] });
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({
      code: 'CONFIG_PLUGINS_DIR_MISSING',
      message: `pluginsDir: ${pluginsDir} does not exist, and rewritePlugin names terminate-disable: create the folder or unset rewritePlugin`,
    });
  });

  test('a file where the folder should be is refused too', () => {
    const file = join(dir.path, 'not-a-folder');
    writeFileSync(file, '');
    expect(() => checkPluginsFolder({ pluginsDir: file, rewritePlugin: ['a', 'b'] })).toThrow(`pluginsDir: ${file} is not a folder, and rewritePlugin names a, b`);
  });

  test('missing without rewritePlugin, or present with it: fine', () => {
    expect(() => checkPluginsFolder({ pluginsDir: join(dir.path, 'absent'), rewritePlugin: [] })).not.toThrow();
    mkdirSync(join(dir.path, 'present'));
    expect(() => checkPluginsFolder({ pluginsDir: join(dir.path, 'present'), rewritePlugin: ['x'] })).not.toThrow();
  });
});
