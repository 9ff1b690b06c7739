import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { batchText } from '../helpers/batches.js';
import { ROOT, tmon } from '../helpers/cli.js';
import { daemonTestFolders, dropIntoInbox, outboxReplies, spawnDaemon, waitFor, type DaemonProcess } from '../helpers/daemon.js';
import { batchStates, readStore } from '../helpers/store-read.js';

const statusOf = (home: string, batch: string) => {
  const r = tmon(['--home', home, 'status', batch, '--json']);
  return r.status === 0 ? (JSON.parse(r.stdout) as { state: string }) : undefined;
};
/** Polled from the store read-only, not through a CLI process on each poll. */
const done = async (home: string, batch: string) => {
  const s = await batchStates(home, batch);
  return s && ['succeeded', 'failed', 'canceled'].includes(s.state) ? s : undefined;
};

describe('the real daemon, end to end', () => {
  const folders = daemonTestFolders();
  const spawnTracked = (...a: Parameters<typeof spawnDaemon>): DaemonProcess => folders.track(spawnDaemon(...a));

  test('creates an account, adds it to groups, then the reference DELU is rewritten by terminate-disable', async () => {
    const home = join(folders.dir(), 'home');
    mkdirSync(home);
    writeFileSync(
      join(home, 'tmon.config.json'),
      JSON.stringify({ pluginsDir: join(ROOT, 'plugins'), rewritePlugin: 'terminate-disable', pluginOptions: { 'terminate-disable': { groups: ['CN=manager,OU=CANADA,DC=yan,DC=local'] } } }),
    );
    const daemon = spawnTracked(['--home', home]);
    const inbox = join(home, 'inbox');
    await waitFor('the inbox', () => readdirSync(home).includes('inbox'));
    dropIntoInbox(
      inbox,
      'setup.kvg',
      batchText('SETUP-1', [
        { id: 'SETUP-1_0', op: 'ACUA', host: 'ADCANADA', user: 'AUTH4', replyid: 'setup-0', extra: { fname: 'Auth 4', accountid: 'Auth4' } },
        { id: 'SETUP-1_1', op: 'GRUA', host: 'ADCANADA', user: 'AUTH4', group: 'CN=manager,OU=CANADA,DC=yan,DC=local', replyid: 'setup-1', depends: ['SETUP-1_0'] },
        { id: 'SETUP-1_2', op: 'GRUA', host: 'ADCANADA', user: 'AUTH4', group: 'CN=staff,OU=CANADA,DC=yan,DC=local', replyid: 'setup-2', depends: ['SETUP-1_0'] },
      ]),
    );
    expect((await waitFor('SETUP-1', () => done(home, 'SETUP-1'))).state).toBe('succeeded');
    const before = JSON.parse(tmon(['--home', home, 'directory', '--json']).stdout);
    expect(before).toEqual({
      ADCANADA: {
        AUTH4: {
          accountid: 'Auth4',
          fname: 'Auth 4',
          enabled: true,
          locked: false,
          passwordExpired: false,
          context: '',
          groups: ['CN=manager,OU=CANADA,DC=yan,DC=local', 'CN=staff,OU=CANADA,DC=yan,DC=local'],
          attributes: {},
        },
      },
    });

    // The reference DELU: a delete becomes a disable plus the manager group's removal.
    expect(tmon(['--home', home, 'submit', 'fixtures/delu-input.kvg']).stdout).toBe('20070503-113234-00\n');
    expect((await waitFor('the DELU batch', () => done(home, '20070503-113234-00'))).state).toBe('succeeded');
    expect(JSON.parse(tmon(['--home', home, 'directory', '--json']).stdout)).toEqual({
      ADCANADA: { AUTH4: { ...before.ADCANADA.AUTH4, enabled: false, groups: ['CN=staff,OU=CANADA,DC=yan,DC=local'] } },
    });
    const detail = statusOf(home, '20070503-113234-00') as unknown as { actions: Array<{ id: string; operation: string; state: string; plugin: string | null; depends: unknown[] }> };
    expect(detail.actions.map((a) => [a.id, a.operation, a.state, a.plugin])).toEqual([
      ['20070503-113234-00_0', 'DNAU', 'succeeded', 'terminate-disable'],
      ['20070503-113234-00_0.1', 'GRUD', 'succeeded', 'terminate-disable'],
    ]);

    const replies = JSON.parse(tmon(['--home', home, 'replies', '--json']).stdout) as Array<Record<string, string | number>>;
    expect(replies.map(({ at, ...r }) => (expect(typeof at).toBe('string'), r))).toEqual([
      { seq: 1, replyid: 'setup-0', batch: 'SETUP-1', action: 'SETUP-1_0', operation: 'ACUA', status: 'success', retval: '0', message: 'account AUTH4 created' },
      { seq: 2, replyid: 'setup-1', batch: 'SETUP-1', action: 'SETUP-1_1', operation: 'GRUA', status: 'success', retval: '0', message: 'AUTH4 added to CN=manager,OU=CANADA,DC=yan,DC=local' },
      { seq: 3, replyid: 'setup-2', batch: 'SETUP-1', action: 'SETUP-1_2', operation: 'GRUA', status: 'success', retval: '0', message: 'AUTH4 added to CN=staff,OU=CANADA,DC=yan,DC=local' },
      { seq: 4, replyid: 'eca0000000000000ff', batch: '20070503-113234-00', action: '20070503-113234-00_0', operation: 'DNAU', status: 'success', retval: '0', message: 'account AUTH4 disabled' },
    ]);
    // One outbox file per commit, its replies as a KVGroup stream, names in seq order
    // (written a moment after the commit).
    await waitFor('the reply files', () => outboxReplies(join(home, 'outbox')).length === 4);
    expect(outboxReplies(join(home, 'outbox')).map((r) => [r.seq, r.replyid])).toEqual([
      [1, 'setup-0'],
      [2, 'setup-1'],
      [3, 'setup-2'],
      [4, 'eca0000000000000ff'],
    ]);
    const last = outboxReplies(join(home, 'outbox')).at(-1)!;
    expect(last.file).toMatch(/^\d{12}-000000000004\.replies\.kvg$/);
    expect(readFileSync(join(home, 'outbox', last.file), 'utf8')).toMatch(/"reply" "eca0000000000000ff" = \{\n {2}"seq" = "4"\n/);

    // Logs are JSON lines carrying the batch and action ids.
    const log = readFileSync(join(home, 'logs', 'tmon.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(log.find((l) => l.message === 'action 20070503-113234-00_0: rewritten by plugin terminate-disable into 2 actions')).toMatchObject({
      batch: '20070503-113234-00',
      action: '20070503-113234-00_0',
    });

    await daemon.started();
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
  });

  test('a bad file moves to inbox/rejected with its bytes, its reason and a message; the daemon goes on', async () => {
    const home = join(folders.dir(), 'home');
    const daemon = spawnTracked(['--home', home]);
    await waitFor('the inbox', () => readdirSync(folders.dir()).includes('home') && readdirSync(home).includes('inbox'));
    const broken = '"" "" = {\n  "batch" "X" {\n}\n';
    dropIntoInbox(join(home, 'inbox'), 'broken.kvg', broken);
    const invalid = readFileSync(join(ROOT, 'fixtures', 'invalid', 'several-problems.kvg'), 'utf8');
    dropIntoInbox(join(home, 'inbox'), 'invalid.kvg', invalid);
    const rejected = join(home, 'inbox', 'rejected');
    await waitFor('both rejections', () => readdirSync(rejected).length === 4);
    // Each refusal's board entry comes after its files: wait for both before reading the board.
    await waitFor('both on the board', async () => (await readStore(home, (s) => s.messages())).filter((m) => m.source === 'ingest').length === 2);
    expect(readFileSync(join(rejected, 'broken.kvg'), 'utf8')).toBe(broken);
    expect(readFileSync(join(rejected, 'broken.kvg.error'), 'utf8')).toBe('broken.kvg:2:15: expected "=" but found "{"\n');
    expect(readFileSync(join(rejected, 'invalid.kvg'), 'utf8')).toBe(invalid);
    expect(readFileSync(join(rejected, 'invalid.kvg.error'), 'utf8').trim().split('\n')).toHaveLength(8);
    const messages = JSON.parse(tmon(['--home', home, 'messages', '--json']).stdout) as Array<{ level: string; source: string; text: string }>;
    expect(messages.map((m) => [m.level, m.source, m.text.split(':')[0]])).toEqual([
      ['error', 'ingest', 'rejected broken.kvg (moved to inbox/rejected/broken.kvg)'],
      ['error', 'ingest', 'rejected invalid.kvg (moved to inbox/rejected/invalid.kvg)'],
    ]);
    // Still working.
    dropIntoInbox(join(home, 'inbox'), 'good.kvg', batchText('GOOD', [{ id: 'g1', op: 'CRTG', group: 'g' }]));
    expect((await waitFor('GOOD', () => done(home, 'GOOD'))).state).toBe('succeeded');
    await daemon.started();
    daemon.child.kill('SIGINT');
    expect((await daemon.exited).code).toBe(0);
  });

  test('with no --home and no TMON_HOME, the daemon keeps its state under ./var and runs what lands in var/inbox', async () => {
    const env = { ...process.env };
    delete env.TMON_HOME;
    const daemon = spawnTracked([], { cwd: folders.dir(), env });
    const inbox = join(folders.dir(), 'var', 'inbox');
    await waitFor('var/inbox', () => readdirSync(folders.dir()).includes('var') && readdirSync(join(folders.dir(), 'var')).includes('inbox'));
    dropIntoInbox(inbox, 'one.kvg', batchText('ONE', [{ id: 'o1', op: 'ACUA', host: 'AD', user: 'zed', replyid: 'r-one' }]));
    expect((await waitFor('ONE', () => done(join(folders.dir(), 'var'), 'ONE'))).state).toBe('succeeded');
    expect(readdirSync(join(folders.dir(), 'var')).sort()).toEqual(['inbox', 'logs', 'outbox', 'secret.key', 'tmon.db', 'tmon.db-shm', 'tmon.db-wal', 'tmon.lock', 'tmon.wake']);
    await daemon.started();
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  });

  test('a bad config stops the start with errors that name the key', async () => {
    const home = join(folders.dir(), 'home');
    mkdirSync(home);
    writeFileSync(join(home, 'tmon.config.json'), JSON.stringify({ pluginTimeoutMs: -1, onPluginError: 'ignore' }));
    const daemon = spawnTracked(['--home', home]);
    expect((await daemon.exited).code).toBe(65);
    expect(daemon.output()).toBe(`tmon: config ${join(home, 'tmon.config.json')}: pluginTimeoutMs: must be >= 1; onPluginError: must be one of "primary", "fail"\n`);
    expect(readdirSync(home)).toEqual(['tmon.config.json']); // nothing started, nothing created
  });
});
