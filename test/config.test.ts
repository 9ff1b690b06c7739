import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { checkConfigFile, ConfigError, DEFAULTS, loadConfig, normaliseConfig, SECOND } from '../src/config/index.js';
import { schemaDigest, schemaValidator } from '../src/config/schema.js';
import { didYouMean } from '../src/suggest.js';
import { ROOT, tmon } from './helpers/cli.js';
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
      expect(() => loadConfig(file)).toThrow(/^config .*bad\.json: 1:3: is not JSON: Expected property name/);
      expect(loadConfig(join(dir.path, 'absent.json')).rewritePlugin).toEqual([]);
      // No file is checked as {} without the schema (configProblems): the schema must accept it.
      expect(schemaValidator()({})).toBe(true);
      expect(() => loadConfig(join(dir.path, 'absent.json'), { required: true })).toThrow(/no such config file/);
    } finally {
      dir.cleanup();
    }
  });
});

test('the validator the build generates (dist/) is made from this schema and says what compiling it says', () => {
  const generated = createRequire(import.meta.url)(join(ROOT, 'dist', 'config', 'schema-validator.cjs')) as ReturnType<typeof schemaValidator> & { schemaDigest: string };
  expect(generated.schemaDigest).toBe(schemaDigest());
  // The sources have no generated validator beside them: this one is compiled.
  const compiled = schemaValidator();
  expect(compiled).not.toBe(generated);
  const configs = [
    {},
    { targets: { X: { connector: 'nope' } }, pluginz: 1 },
    { rewritePlugin: 5, triggers: [{ event: ['action.succeeded', 'bad'], script: 's', format: 'xml', filter: { host: 1 } }] },
    { http: { listen: 1, tokens: [{}] }, store: { kind: 'postgres' }, logs: { maxSizeMb: -1 } },
    { targets: { A: { connector: 'ldap', url: 'ftp://x' } } },
    [],
    null,
  ];
  for (const raw of configs) expect([generated(raw), generated.errors]).toEqual([compiled(raw), compiled.errors]);
});

describe('config check: every problem at once', () => {
  test('schema errors and cross-key rules together, a misspelt key with its likely meaning', () => {
    expect(
      errorsOf({
        rewritePlugins: 'x',
        retry: { firstDelayMs: 10_000, maxDelayMs: 5, atempts: 2 },
        targets: { AD: { conector: 'script' } },
        triggers: [
          { name: 'a', script: 'a.sh', event: 'batch.received' },
          { name: 'a', script: 'b.sh', event: 'nope' },
          { name: 'c' },
        ],
        zzzzzz: 1,
      }),
    ).toEqual([
      'rewritePlugins: is not a known setting; did you mean "rewritePlugin"?',
      'zzzzzz: is not a known setting',
      'targets.AD.conector: is not a known setting; did you mean "connector"?',
      'retry.atempts: is not a known setting; did you mean "attempts"?',
      expect.stringMatching(/^triggers\[1\]\.event: must be an event name or a list of event names: batch.received, /),
      'triggers[2].event: is required',
      'triggers[2].script: is required',
      // The rules run on what the schema accepts, with indexes as written.
      'triggers[1].name: "a" is also the name of triggers[0]; give each trigger its own name',
      'retry.firstDelayMs: must not exceed retry.maxDelayMs (5)',
    ]);
  });

  test('a JSON syntax error gives its line:column, even where V8 gives no position', () => {
    const dir = tempDir();
    try {
      const check = (text: string) => {
        writeFileSync(join(dir.path, 'c.json'), text);
        return checkConfigFile(join(dir.path, 'c.json')).errors;
      };
      expect(check('{\n  "retry": {\n    "attempts": 2,\n  }\n}')).toEqual(['4:3: is not JSON: Expected double-quoted property name']);
      expect(check('{\n  "storeSync": tru\n}')).toEqual(["2:19: is not JSON: Unexpected token '\\n'"]);
      expect(check('{\n  "a": \'x\'\n}')).toEqual(["2:8: is not JSON: Unexpected token '''"]);
      expect(check('{ "a": 1 } x')).toEqual(['1:12: is not JSON: Unexpected non-whitespace character after JSON']);
      expect(check('{ "a": [1, 2')).toEqual(["1:13: is not JSON: Expected ',' or ']' after array element"]);
      expect(() => loadConfig(join(dir.path, 'c.json'))).toThrow(`config ${join(dir.path, 'c.json')}: 1:13: is not JSON: Expected ',' or ']' after array element`);
    } finally {
      dir.cleanup();
    }
  });

  test('did-you-mean only for a slip, not for another word', () => {
    expect(didYouMean('pluginTimeoutMS', ['pluginTimeoutMs', 'pluginThreads'])).toBe('pluginTimeoutMs');
    expect(didYouMean('retyr', ['retry', 'replies'])).toBe('retry');
    expect(didYouMean('colour', ['retry', 'replies'])).toBeUndefined();
  });
});

describe('tmon config check', () => {
  test('prints every problem on its own line and exits 65; valid: 0; no file given and none in the home: the defaults, 0; FILE missing: 66', () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'tmon.config.json');
      writeFileSync(file, JSON.stringify({ rewritePlugins: 'x', retry: { firstDelayMs: 10, maxDelayMs: 5 } }));
      const bad = tmon(['config', 'check', file]);
      expect([bad.status, bad.stdout]).toEqual([65, `${file}: rewritePlugins: is not a known setting; did you mean "rewritePlugin"?\n${file}: retry.firstDelayMs: must not exceed retry.maxDelayMs (5)\n`]);
      const json = JSON.parse(tmon(['config', 'check', '--json', file]).stdout);
      expect(json).toEqual({ file, found: true, valid: false, errors: expect.arrayContaining([expect.stringContaining('rewritePlugins')]) });
      // The daemon refuses to start with the same messages.
      const daemon = tmon(['--home', dir.path, 'daemon']);
      expect(daemon.status).toBe(65);
      expect(daemon.stderr).toBe(`tmon: config ${file}: rewritePlugins: is not a known setting; did you mean "rewritePlugin"?; retry.firstDelayMs: must not exceed retry.maxDelayMs (5)\n`);
      writeFileSync(file, JSON.stringify({ rewritePlugin: 'terminate-disable' }));
      expect(tmon(['--home', dir.path, 'config', 'check'])).toMatchObject({ status: 0, stdout: `${file}: valid\n` });
      // A plugin name that is not in the folder would hold its actions: a typo is said here.
      writeFileSync(file, JSON.stringify({ rewritePlugin: 'terminate-disabel' }));
      const typo = tmon(['--home', dir.path, 'config', 'check']);
      expect(typo.status).toBe(65);
      expect(typo.stdout).toMatch(/^\S+: rewritePlugin: no plugin "terminate-disabel" in \S+plugins \(the plugins there: [^)]*terminate-disable[^)]*\); did you mean "terminate-disable"\?/);
      // A plugins folder that is not there: said by config check, and the daemon refuses to start with 65 (a bad config).
      writeFileSync(file, JSON.stringify({ rewritePlugin: 'x', pluginsDir: 'nope' }));
      const noDir = `pluginsDir: ${join(dir.path, 'nope')} does not exist, and rewritePlugin names x: create the folder or unset rewritePlugin`;
      expect(tmon(['--home', dir.path, 'config', 'check'])).toMatchObject({ status: 65, stdout: `${file}: ${noDir}\n` });
      expect(tmon(['--home', dir.path, 'daemon'])).toMatchObject({ status: 65, stderr: `tmon: ${noDir}\n` });
      const empty = join(dir.path, 'empty');
      expect(tmon(['--home', empty, 'config', 'check'])).toMatchObject({ status: 0, stdout: `${join(empty, 'tmon.config.json')}: no such file; the defaults apply\n` });
      expect(tmon(['config', 'check', join(dir.path, 'nope.json')]).status).toBe(66);
    } finally {
      dir.cleanup();
    }
  });
});

describe('config: the store', () => {
  test('sqlite by default; a postgres store gets its defaults', () => {
    expect(normaliseConfig({}, '/base').store).toEqual({ kind: 'sqlite' });
    expect(normaliseConfig({ store: { kind: 'postgres', url: 'postgres://tmon:pw@db:5432/tmon' } }, '/base').store).toEqual({
      kind: 'postgres',
      url: 'postgres://tmon:pw@db:5432/tmon',
      poolSize: 10,
      schema: 'tmon',
      leaseMs: 15 * SECOND,
    });
    expect(normaliseConfig({ store: { kind: 'postgres', url: 'postgresql://h/db', poolSize: 3, schema: 'tmon_eu', leaseMs: 5000 } }, '/base').store).toMatchObject({ poolSize: 3, schema: 'tmon_eu', leaseMs: 5000 });
  });

  test('a bad store config: every problem as path.to.key, never the URL itself', () => {
    expect(errorsOf({ store: { kind: 'postgres' } })).toEqual(['store.url: is required for a postgres store']);
    expect(errorsOf({ store: { kind: 'sqlite', url: 'postgres://h/db', schema: 'x' } })).toEqual([
      'store.url: only a postgres store takes this setting',
      'store.schema: only a postgres store takes this setting',
    ]);
    const bad = errorsOf({ store: { kind: 'postgres', url: 'mysql://u:hunter2@h/db', poolSize: 0, schema: 'Tmon-1', leaseMs: 10 } });
    expect(bad).toEqual([
      'store.url: must be a postgres:// URL, such as "postgres://tmon:PASSWORD@db.example.com:5432/tmon"',
      'store.poolSize: must be >= 1',
      'store.schema: must be a lower-case SQL identifier (letters, digits, _), such as "tmon"',
      'store.leaseMs: must be >= 1000',
    ]);
    expect(bad.join('\n')).not.toContain('hunter2');
    expect(errorsOf({ store: { kind: 'mongo' } })[0]).toMatch(/^store\.kind: /);
    expect(errorsOf({ store: {} })).toEqual(['store.kind: is required']);
  });
});
