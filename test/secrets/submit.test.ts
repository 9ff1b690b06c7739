import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareBatch } from '../../src/engine/index.js';
import { homeLayout } from '../../src/home.js';
import { printKvg } from '../../src/kvgroup/index.js';
import { SecretBox } from '../../src/secrets/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { actionGroup } from '../helpers/batches.js';
import { tmon } from '../helpers/cli.js';
import { tempDir } from '../helpers/home.js';

const text = (id: string, op: string, extra: Record<string, string> = {}) =>
  printKvg({ type: '', name: '', members: [{ type: 'batch', name: id, members: [actionGroup(id, { id: `${id}_0`, op, extra })] }] });

describe('tmon submit and batches held under a keyed digest', () => {
  test('a batch holding passwords cannot be compared without the key: the file goes into the inbox for the daemon to tell; one without is still told at once', async () => {
    const dir = tempDir();
    try {
      const home = join(dir.path, 'home');
      mkdirSync(home);
      const store = new SqliteStore(homeLayout(home).db, { secrets: new SecretBox(SecretBox.newKey()) });
      const held = text('H', 'ACHG', { newpw: 'Held-Pw-4410' });
      await store.insertBatch(await prepareBatch(held, 'H.kvg'));
      const plain = text('P', 'ENAU');
      await store.insertBatch(await prepareBatch(plain, 'P.kvg'));
      await store.close();
      writeFileSync(join(dir.path, 'h.kvg'), held);
      writeFileSync(join(dir.path, 'p.kvg'), plain);
      const h = tmon(['--home', home, 'submit', join(dir.path, 'h.kvg'), '--json']);
      expect(h.status).toBe(0);
      expect(JSON.parse(h.stdout)).toEqual([{ file: join(dir.path, 'h.kvg'), batch: 'H', inbox: expect.stringMatching(/inbox\/H\.kvg$/) }]);
      const p = tmon(['--home', home, 'submit', join(dir.path, 'p.kvg')]);
      expect(p.status).toBe(0);
      expect(p.stderr).toContain('batch P was already received with the same content; nothing to do');
      expect(readdirSync(join(home, 'inbox')).filter((f) => f.endsWith('.kvg'))).toEqual(['H.kvg']);
    } finally {
      dir.cleanup();
    }
  });
});
