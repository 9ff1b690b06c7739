import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findGroup, parseKvg, type KvGroup } from '../../src/kvgroup/index.js';
import { ROOT, tmon } from '../helpers/cli.js';
import { tempDir } from '../helpers/home.js';

const MANAGER = 'CN=manager,OU=CANADA,DC=yan,DC=local';

describe('tmon rewrite', () => {
  let dir: ReturnType<typeof tempDir>;
  let configFile: string;
  beforeEach(() => {
    dir = tempDir();
    configFile = join(dir.path, 'tmon.config.json');
    writeFileSync(configFile, JSON.stringify({ pluginsDir: join(ROOT, 'plugins'), pluginOptions: { 'terminate-disable': { groups: [MANAGER] } } }));
  });
  afterEach(() => dir.cleanup());

  test('terminate-disable on the reference DELU prints a batch equivalent to delu-output.kvg', () => {
    const r = tmon(['rewrite', 'fixtures/delu-input.kvg', '--plugin', 'terminate-disable', '--config', configFile]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('action 20070503-113234-00_0: rewritten by plugin terminate-disable into 2 actions\n');
    const got = findGroup(parseKvg(r.stdout)[0]!, 'batch')!;
    const expected = findGroup(parseKvg(readFileSync(join(ROOT, 'fixtures', 'delu-output.kvg'), 'utf8'))[0]!, 'batch')!;
    expect(got.name).toBe(expected.name);
    // Same actions; the fanned-out one is named <primary>.1 rather than the reference's _2.
    expect((got.members as KvGroup[]).map((a) => a.name)).toEqual(['20070503-113234-00_0', '20070503-113234-00_0.1']);
    expect(got.members.map((a, i) => ({ ...a, name: (expected.members[i] as KvGroup).name }))).toEqual(expected.members);
    // The context groups are kept.
    expect(findGroup(parseKvg(r.stdout)[0]!, 'recipient', 'user')).toBeDefined();
  });

  test('--plugins points at another folder; a failing plugin is reported per action, the primary kept, and the dry run fails (65)', () => {
    const r = tmon(['rewrite', 'fixtures/delu-input.kvg', '--plugin', 'throws', '--plugins', 'test/fixtures/plugins', '--config', configFile]);
    // The daemon would run the primary as submitted (onPluginError "primary"); the plugin's author still hears it failed.
    expect(r.status).toBe(65);
    expect(r.stderr).toBe('action 20070503-113234-00_0: plugin throws threw: the directory said no; primary action kept as submitted\n');
    expect(parseKvg(r.stdout)).toEqual(parseKvg(readFileSync(join(ROOT, 'fixtures', 'delu-input.kvg'), 'utf8')));
  });

  test('output that changes the batch without changed = "true" is ignored, and said (exit 65)', () => {
    const r = tmon(['rewrite', 'fixtures/delu-input.kvg', '--plugin', 'forgets-changed', '--plugins', 'test/fixtures/plugins', '--config', configFile]);
    expect(r.status).toBe(65);
    expect(r.stderr).toBe('action 20070503-113234-00_0: plugin forgets-changed gave back 2 actions but changed = "", not "true": its output is ignored; runs as submitted\n');
    expect(parseKvg(r.stdout)).toEqual(parseKvg(readFileSync(join(ROOT, 'fixtures', 'delu-input.kvg'), 'utf8')));
  });

  test('without --plugin the config\'s rewritePlugin runs, as in the daemon; with neither, a usage error', () => {
    writeFileSync(configFile, JSON.stringify({ pluginsDir: join(ROOT, 'plugins'), rewritePlugin: 'terminate-disable', pluginOptions: { 'terminate-disable': { groups: [MANAGER] } } }));
    const r = tmon(['rewrite', 'fixtures/delu-input.kvg', '--config', configFile]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('action 20070503-113234-00_0: rewritten by plugin terminate-disable into 2 actions\n');
    writeFileSync(configFile, JSON.stringify({ pluginsDir: join(ROOT, 'plugins') }));
    const none = tmon(['rewrite', 'fixtures/delu-input.kvg', '--config', configFile]);
    expect([none.status, none.stderr]).toEqual([2, `tmon: no plugin to run: give --plugin NAME, or set rewritePlugin in ${configFile}\n`]);
  });

  test('an action that would fail makes the exit code 65', () => {
    const r = tmon(['rewrite', 'fixtures/delu-input.kvg', '--plugin', 'fans-out-cycle', '--plugins', 'test/fixtures/plugins', '--config', configFile]);
    expect(r.status).toBe(65);
    expect(r.stderr).toMatch(/dependency cycle: .* -> .*; action failed\n$/);
  });

  test('the checks across outputs apply too, as in the daemon: a clashing fanned-out id fails the later action', () => {
    const two = readFileSync(join(ROOT, 'fixtures', 'invalid', 'duplicate-replyid.kvg'), 'utf8').replace('"replyid" = "r-1"\n      "depends" "" = {\n      }\n    }\n  }', '"replyid" = "r-2"\n      "depends" "" = {\n      }\n    }\n  }');
    const r = tmon(['rewrite', '-', '--plugin', 'fixed-fanout-id', '--plugins', 'test/fixtures/plugins', '--config', configFile], { input: two });
    expect(r.stderr.split('\n')).toContain("action B-1_1: the plugin output reuses action id SAME-ID, already held by action B-1_0's rewrite; action failed");
    expect(r.status).toBe(65);
  });

  test('passwords are never printed', () => {
    const withPw = readFileSync(join(ROOT, 'fixtures', 'delu-input.kvg'), 'utf8').replace('"newpw" = ""', '"newpw" = "Sup3r-Secret"');
    const r = tmon(['rewrite', '-', '--plugin', 'terminate-disable', '--config', configFile], { input: withPw });
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('Sup3r-Secret');
    expect(r.stdout).toContain('"newpw" = "[redacted]"');
  });

  test('an invalid batch is refused before any plugin runs', () => {
    const r = tmon(['rewrite', 'fixtures/invalid/missing-key.kvg', '--plugin', 'terminate-disable', '--config', configFile]);
    expect(r.status).toBe(65);
    expect(r.stderr).toBe('tmon: fixtures/invalid/missing-key.kvg: action B-1_0: operation GRUA needs "groupid"\n');
  });
});

describe('tmon plugins', () => {
  test('lists plugins, kind, which are in use and load errors', () => {
    const dir = tempDir();
    try {
      const configFile = join(dir.path, 'c.json');
      writeFileSync(configFile, JSON.stringify({ pluginsDir: join(ROOT, 'test', 'fixtures', 'plugins'), rewritePlugin: ['identity', 'ghost'] }));
      const r = tmon(['plugins', '--json', '--config', configFile]);
      expect(r.status).toBe(0);
      const list = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
      const byName = Object.fromEntries(list.map((p) => [p.name, p]));
      expect(byName.identity).toMatchObject({ kind: 'js', inUse: 1, error: null });
      expect(byName.ghost).toMatchObject({ kind: null, inUse: 2, error: expect.stringMatching(/^configured in rewritePlugin but not found/) });
      expect(byName['no-rewrite']).toMatchObject({ kind: 'js', inUse: null, error: expect.stringMatching(/no default export with a rewrite/) });
      expect(byName.interpreted).toMatchObject({ kind: 'executable', interpreter: 'python3', error: null });
      const human = tmon(['plugins', '--config', configFile]);
      expect(human.stdout).toContain('in use: identity -> ghost');
      expect(human.stdout).toMatch(/^identity\s+js\s+1\s+ok$/m);
    } finally {
      dir.cleanup();
    }
  });

  test('the default folder holds the example plugins, none in use', () => {
    const r = tmon(['plugins', '--json', '--home', '/nonexistent-home']);
    const names = (JSON.parse(r.stdout) as Array<{ name: string; inUse: unknown }>).map((p) => [p.name, p.inUse]);
    expect(names).toEqual([
      ['disabled-ou', null],
      ['interactive-password', null],
      ['terminate-disable', null],
    ]);
  });
});
