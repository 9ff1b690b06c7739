import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PG_MIGRATIONS, PostgresStore } from '../../src/store/postgres/index.js';
import { batchText, newBatch } from '../helpers/batches.js';
import { tmon } from '../helpers/cli.js';
import { dropIntoInbox, outboxReplies, spawnDaemon, waitFor } from '../helpers/daemon.js';
import { tempDir } from '../helpers/home.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';

/** A password the server ignores (trust authentication), so that only tmon could leak it. */
const PASSWORD = 'pg-Secret-4711';

let server: Postgres;
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(() => server.stop());

/** A home whose config puts the store on this file's server, in a schema of its own. */
function postgresHome(): { path: string; schema: string; url: string; cleanup: () => void } {
  const dir = tempDir();
  const schema = server.freshSchema();
  const url = server.urlWithPassword(PASSWORD);
  writeFileSync(join(dir.path, 'tmon.config.json'), JSON.stringify({ store: { kind: 'postgres', url, schema, leaseMs: 5000 } }));
  return { ...dir, schema, url };
}

describe('tmon on a PostgreSQL home', () => {
  test('tmon migrate applies the pending migrations of a sqlite home, then finds nothing to do', () => {
    const dir = tempDir();
    try {
      const first = tmon(['--home', dir.path, 'migrate', '--json']);
      expect(first.status).toBe(0);
      expect(JSON.parse(first.stdout)).toEqual({ store: join(dir.path, 'tmon.db'), applied: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] });
      expect(tmon(['--home', dir.path, 'migrate']).stdout).toBe(`${join(dir.path, 'tmon.db')}: up to date, nothing to apply\n`);
    } finally {
      dir.cleanup();
    }
  });

  test('tmon migrate on a postgres home: applied once, the URL shown without its password; backup refers to pg_dump', () => {
    const home = postgresHome();
    try {
      const first = tmon(['--home', home.path, 'migrate']);
      expect(first.status).toBe(0);
      const versions = PG_MIGRATIONS.map((m) => `migration ${m.version}`).join(', ');
      expect(first.stdout).toMatch(new RegExp(`^postgres 127\\.0\\.0\\.1:\\d+/postgres \\(schema t_[0-9a-f]+\\): applied ${versions}\n$`));
      const again = tmon(['--home', home.path, 'migrate', '--json']);
      expect(JSON.parse(again.stdout)).toMatchObject({ applied: [] });
      const backup = tmon(['--home', home.path, 'backup', join(home.path, 'copy.db')]);
      expect(backup.status).toBe(1);
      expect(backup.stderr).toMatch(/the store is PostgreSQL: back it up with pg_dump/);
      for (const r of [first, again, backup]) expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    } finally {
      home.cleanup();
    }
  });

  test('the CLI reads and operates on the configured postgres store; a store the daemon never made is "not run yet"', async () => {
    const home = postgresHome();
    try {
      expect(tmon(['--home', home.path, 'cancel', 'B']).status).toBe(66);
      const store = await PostgresStore.open({ url: server.url, schema: home.schema });
      try {
        await store.insertBatch(newBatch('B', [{ id: 'a', replyid: 'ra' }]));
      } finally {
        await store.close();
      }
      const status = tmon(['--home', home.path, 'status', '--json']);
      expect(status.status).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject([{ id: 'B', state: 'received' }]);
      const cancel = tmon(['--home', home.path, 'cancel', 'B', '--note', 'not needed']);
      expect(cancel.status).toBe(0);
      const after = JSON.parse(tmon(['--home', home.path, 'status', '--json']).stdout) as Array<{ state: string }>;
      expect(after[0]!.state).toBe('canceled');
      expect(tmon(['--home', home.path, 'replies', '--json']).stdout).toMatch(/"replyid": "ra"/);
      expect(tmon(['--home', home.path, 'messages', '--ack', 'all']).stdout).toMatch(/^acknowledged: 1 message/);
    } finally {
      home.cleanup();
    }
  });

  test('a daemon on a postgres home runs a batch to its replies; its logs never show the URL password', async () => {
    const home = postgresHome();
    const d = spawnDaemon(['--home', home.path]);
    try {
      await d.started();
      dropIntoInbox(join(home.path, 'inbox'), 'one.kvg', batchText('P1', [{ id: 'a', replyid: 'r1' }, { id: 'b', replyid: 'r2', depends: ['a'] }]));
      const replies = await waitFor('both replies in the outbox', () => {
        const r = outboxReplies(join(home.path, 'outbox'));
        return r.length === 2 ? r : undefined;
      });
      expect(replies.map((r) => [r.replyid, r.status])).toEqual([
        ['r1', 'success'],
        ['r2', 'success'],
      ]);
      d.child.kill('SIGTERM');
      expect((await d.exited).code).toBe(0);
      expect(d.output()).toMatch(/store postgres 127\.0\.0\.1:\d+\/postgres \(schema t_/);
      expect(d.output() + readFileSync(join(home.path, 'logs', 'tmon.log'), 'utf8')).not.toContain(PASSWORD);
    } finally {
      if (d.child.exitCode === null) d.child.kill('SIGKILL');
      home.cleanup();
    }
  });
});
