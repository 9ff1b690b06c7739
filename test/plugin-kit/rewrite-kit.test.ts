import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseKvg } from '../../src/kvgroup/index.js';
import { validateDocument } from '../../src/batch/index.js';
import { ROOT, tmon } from '../helpers/cli.js';
import { tempDir } from '../helpers/home.js';

/** A DELU as a workflow manager may write it: no groupid pair at all. */
const DELU = `"" "" = {
  "batch" "B-1" = {
    "action" "B-1_0" = {
      "operation" = "DELU"
      "hostid" = "AD"
      "userid" = "JDOE"
      "newpw" = "secret"
      "replyid" = "r-0"
      "depends" "" = {
      }
    }
  }
}
`;

describe('the plugin kit (plugins/_rewrite-kit.mjs)', () => {
  test('fannedFrom adds the pairs the primary lacks, blanks replyid and newpw, and waits for the primary', async () => {
    const kit = (await import(join(ROOT, 'plugins', '_rewrite-kit.mjs'))) as {
      fannedFrom: (p: unknown, b: unknown, name: string, values: Record<string, string>) => { members: Array<{ key?: string; value?: string; type?: string }> };
      primaryOf: (input: unknown) => { batch: unknown; primary: unknown };
    };
    const { batch, primary } = kit.primaryOf(parseKvg(DELU)[0]!);
    const fanned = kit.fannedFrom(primary, batch, 'B-1_0.1', { operation: 'GRUD', groupid: 'CN=staff' });
    const pairs = fanned.members.filter((m) => m.key !== undefined).map((m) => [m.key, m.value]);
    expect(pairs).toEqual([
      ['operation', 'GRUD'],
      ['hostid', 'AD'],
      ['userid', 'JDOE'],
      ['newpw', ''],
      ['replyid', ''],
      ['groupid', 'CN=staff'],
    ]);
    expect(fanned.members.at(-1)).toEqual({ type: 'depends', name: '', members: [{ type: 'local', name: '', members: [{ key: 'action', value: 'B-1_0' }, { key: 'batch', value: 'B-1' }] }] });
  });

  test('a first plugin copied from terminate-disable fans out GRUDs that validate', () => {
    const dir = tempDir();
    try {
      const plugins = join(dir.path, 'plugins');
      mkdirSync(plugins);
      copyFileSync(join(ROOT, 'plugins', 'terminate-disable.mjs'), join(plugins, 'my-site.mjs'));
      copyFileSync(join(ROOT, 'plugins', '_rewrite-kit.mjs'), join(plugins, '_rewrite-kit.mjs'));
      writeFileSync(join(dir.path, 'tmon.config.json'), JSON.stringify({ pluginsDir: 'plugins', pluginOptions: { 'my-site': { groups: ['CN=staff', 'CN=admins'] } } }));
      writeFileSync(join(dir.path, 'delu.kvg'), DELU);
      const r = tmon(['--home', dir.path, 'rewrite', join(dir.path, 'delu.kvg'), '--plugin', 'my-site']);
      expect(r.stderr).not.toMatch(/needs "groupid"/);
      expect(r.status).toBe(0);
      const { batch, problems } = validateDocument(parseKvg(r.stdout));
      expect(problems).toEqual([]);
      expect(batch!.actions.map((a) => [a.id, a.pairs.operation, a.pairs.groupid ?? null])).toEqual([
        ['B-1_0', 'DNAU', null],
        ['B-1_0.1', 'GRUD', 'CN=staff'],
        ['B-1_0.2', 'GRUD', 'CN=admins'],
      ]);
    } finally {
      dir.cleanup();
    }
  });
});
