import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printable } from '../../src/cli/format.js';
import { table } from '../../src/cli/table.js';
import { SqliteStore } from '../../src/store/index.js';
import { newBatch } from '../helpers/batches.js';
import { ROOT, tmon as tmonIn, type CliOptions } from '../helpers/cli.js';
import { tempDir } from '../helpers/home.js';

// Exit codes are what a process ends with: each command here is a real `tmon` process.
const tmon = (args: string[], options: CliOptions = {}) => tmonIn(args, { ...options, process: true });

describe('honest exit codes and output', () => {
  test('tmon rewrite --plugin nosuch exits 66 with one line naming the plugin and what is there', () => {
    const r = tmon(['rewrite', 'fixtures/delu-input.kvg', '--plugin', 'nosuch']);
    expect(r.status).toBe(66);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^tmon: no plugin named nosuch in \S+plugins \(the plugins there: [^\n]*terminate-disable[^\n]*\)\n$/);
  });

  test('tmon submit refuses a depends member without its "local" wrapper, naming its line:column (exit 65)', () => {
    const dir = tempDir();
    try {
      const r = tmon(['--home', dir.path, 'submit', 'fixtures/invalid/depends-bare-pairs.kvg']);
      expect(r.status).toBe(65);
      expect(r.stderr.split('\n')[0]).toBe('tmon: fixtures/invalid/depends-bare-pairs.kvg:21:9: action B-1_1: depends entry 1 is a pair ("action" = "B-1_0"), not a dependency group "local" "" = { "action" = … "batch" = … }');
      expect(readdirSync(join(dir.path, 'inbox'))).toEqual([]);
    } finally {
      dir.cleanup();
    }
  });

  test('control characters in ids and messages are escaped in tables, exact in --json', async () => {
    const dir = tempDir();
    try {
      const id = 'B\x1b[2J\r\n1';
      const store = new SqliteStore(join(dir.path, 'tmon.db'), { synchronous: 'NORMAL' });
      expect((await store.insertBatch(newBatch(id, [{ id: 'a\tb', replyid: '' }]))).result).toBe('inserted');
      await store.close();
      const human = tmon(['--home', dir.path, 'status']);
      expect(human.stdout).toContain('B\\x1b[2J\\r\\n1  received');
      expect(human.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f]/);
      expect(human.stdout.trimEnd().split('\n')).toHaveLength(2);
      const one = tmon(['--home', dir.path, 'status', id]);
      expect(one.stdout).toMatch(/^batch B\\x1b\[2J\\r\\n1: received/);
      expect(one.stdout).toContain('a\\tb');
      expect(JSON.parse(tmon(['--home', dir.path, 'status', '--json']).stdout)[0].id).toBe(id);
      const tree = tmon(['--home', dir.path, 'show', id]);
      expect(tree.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f]/);
      expect(tree.stdout).toContain('a\\tb');
    } finally {
      dir.cleanup();
    }
  });

  test('validate and submit escape control characters in the problems they print; --json keeps them', () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'ctl.kvg');
      writeFileSync(file, '"" "" = { "batch" "B" = { "action" "a\x1b[2Jb" = { operation = NOOP } } }');
      const v = tmon(['validate', file]);
      expect([v.status, v.stdout]).toEqual([65, `${file}: action a\\x1b[2Jb: operation NOOP needs "hostid"\n`]);
      expect(JSON.parse(tmon(['validate', '--json', file]).stdout)[0].action).toBe('a\x1b[2Jb');
      const s = tmon(['--home', dir.path, 'submit', file]);
      expect([s.status, s.stderr]).toEqual([65, `tmon: ${file}: action a\\x1b[2Jb: operation NOOP needs "hostid"\n`]);
    } finally {
      dir.cleanup();
    }
  });

  test('a home that is not there is said, exit 66, instead of an empty listing or a new inbox; a named new home may take a submit', () => {
    const dir = tempDir();
    try {
      const missing = join(dir.path, 'nowhere');
      const status = tmon(['--home', missing, 'status']);
      expect([status.status, status.stdout, status.stderr]).toEqual([66, '', `tmon: no tmon home at ${missing} (from --home); give --home DIR or set TMON_HOME to the daemon's home\n`]);
      // From a folder without ./var, the default home: nothing is created there.
      const { TMON_HOME: _named, ...env } = process.env;
      const sub = tmon(['submit', join(ROOT, 'fixtures/delu-input.kvg')], { cwd: dir.path, env });
      expect(sub.status).toBe(66);
      expect(sub.stderr).toContain(`no tmon home at ${join(dir.path, 'var')} (from the default ./var)`);
      expect(readdirSync(dir.path)).toEqual([]);
      const named = tmon(['--home', missing, 'submit', join(ROOT, 'fixtures/delu-input.kvg')]);
      expect([named.status, named.stdout]).toEqual([0, '20070503-113234-00\n']);
      expect(readdirSync(join(missing, 'inbox')).filter((f) => f.endsWith('.kvg'))).toHaveLength(1);
    } finally {
      dir.cleanup();
    }
  });

  test('cancel names a batch or action that is not there with exit 66 (not found), a refusal with 1', async () => {
    const dir = tempDir();
    try {
      const store = new SqliteStore(join(dir.path, 'tmon.db'));
      await store.insertBatch(newBatch('B-1', [{ id: 'a' }]));
      await store.close();
      const noBatch = tmon(['--home', dir.path, 'cancel', 'B-9']);
      expect([noBatch.status, noBatch.stderr]).toEqual([66, 'tmon: no batch B-9\n']);
      const noAction = tmon(['--home', dir.path, 'cancel', 'B-1', 'zz']);
      expect([noAction.status, noAction.stderr]).toEqual([66, 'tmon: no action zz in batch B-1\n']);
      expect(tmon(['--home', dir.path, 'cancel', 'B-1']).status).toBe(0);
      const again = tmon(['--home', dir.path, 'cancel', 'B-1']);
      expect([again.status, again.stderr]).toEqual([1, 'tmon: batch B-1 is canceled; nothing is left to cancel\n']);
    } finally {
      dir.cleanup();
    }
  });

  test('usage errors are one line in the form of every other error, exit 2', () => {
    const r = tmon(['frobnicate']);
    expect([r.status, r.stdout, r.stderr]).toEqual([2, '', "tmon: unknown command 'frobnicate' (tmon --help for usage)\n"]);
    const o = tmon(['status', '--bogus']);
    expect([o.status, o.stderr]).toEqual([2, "tmon: unknown option '--bogus' (tmon --help for usage)\n"]);
  });

  test('printable escapes C0, DEL, C1 and the line separators; keeps backslashes and other text', () => {
    expect(printable('a\x1b[31mb\x00\x7f\x85\u2028\t\n\r CN=Doe\\, John é 😀')).toBe('a\\x1b[31mb\\x00\\x7f\\x85\\u2028\\t\\n\\r CN=Doe\\, John é 😀');
    expect(table(['ID', 'MSG'], [['x\ny', 'ok']])).toBe('ID    MSG\nx\\ny  ok\n');
  });
});
