import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/index.js';
import { newBatch } from '../helpers/batches.js';
import { tmon } from '../helpers/cli.js';
import { tempDir } from '../helpers/home.js';

/** What bash completes for the words typed so far (the last one being completed). */
function bashComplete(script: string, typed: string[], cwd: string): string[] {
  const words = typed.map((w) => `'${w}'`).join(' ');
  const r = spawnSync('bash', ['-c', `${script}\nCOMP_WORDS=(${words}); COMP_CWORD=${typed.length - 1}; _tmon; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8', cwd });
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter(Boolean).sort();
}

describe('tmon completion', () => {
  test('bash: commands, subcommands, each command\'s options, folders after --home, files for arguments', () => {
    const dir = tempDir();
    try {
      mkdirSync(join(dir.path, 'homes'));
      writeFileSync(join(dir.path, 'batch.kvg'), '');
      const r = tmon(['completion', 'bash']);
      expect(r.status).toBe(0);
      expect(bashComplete(r.stdout, ['tmon', 'sta'], dir.path)).toEqual(['status']);
      expect(bashComplete(r.stdout, ['tmon', 'c'], dir.path)).toEqual(['cancel', 'completion', 'config']);
      expect(bashComplete(r.stdout, ['tmon', '--home', 'x', 'config', 'ch'], dir.path)).toEqual(['check']);
      expect(bashComplete(r.stdout, ['tmon', 'status', '--s'], dir.path)).toEqual(['--since', '--state']);
      expect(bashComplete(r.stdout, ['tmon', 'daemon', '--log'], dir.path)).toEqual(['--log-format']);
      expect(bashComplete(r.stdout, ['tmon', '--home', 'ho'], dir.path)).toEqual(['homes']);
      expect(bashComplete(r.stdout, ['tmon', 'validate', 'ba'], dir.path)).toEqual(['batch.kvg']);
    } finally {
      dir.cleanup();
    }
  });

  test('zsh: the same tree, registered with compdef; an unknown shell is a usage error', () => {
    const r = tmon(['completion', 'zsh']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^#compdef tmon\n/);
    expect(r.stdout).toContain('"config check") choices=(--json --home --verbose --help) ;;');
    expect(r.stdout).toContain('compdef _tmon tmon');
    expect(tmon(['completion', 'fish']).status).toBe(2);
  });
});

describe('tmon backup', () => {
  test('an online copy, taken while another connection writes, opens and holds the batches; an existing FILE is kept', async () => {
    const dir = tempDir();
    const live = new SqliteStore(join(dir.path, 'tmon.db'), { synchronous: 'NORMAL' });
    try {
      await live.insertBatch(newBatch('B-1', [{ id: 'a' }]));
      await live.insertBatch(newBatch('B-2', [{ id: 'b' }, { id: 'c', depends: ['b'] }]));
      const file = join(dir.path, 'copy.db');
      const r = tmon(['--home', dir.path, 'backup', file]);
      expect([r.status, r.stderr]).toEqual([0, '']);
      // The daemon's connection is still open (WAL not checkpointed): the copy has it all.
      const copy = new SqliteStore(file, { readonly: true });
      try {
        expect((await copy.listBatches()).map((b) => [b.id, b.counts.total]).sort()).toEqual([
          ['B-1', 1],
          ['B-2', 2],
        ]);
      } finally {
        await copy.close();
      }
      const again = tmon(['--home', dir.path, 'backup', file]);
      expect([again.status, again.stderr]).toEqual([1, `tmon: ${file}: exists; give another name, or --force to replace it\n`]);
      expect(tmon(['--home', dir.path, 'backup', '--force', file]).status).toBe(0);
      expect(tmon(['--home', join(dir.path, 'none'), 'backup', join(dir.path, 'x.db')]).status).toBe(66);
    } finally {
      await live.close();
      dir.cleanup();
    }
  });
});
