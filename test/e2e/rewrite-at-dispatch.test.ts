import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { batchText } from '../helpers/batches.js';
import { ROOT, tmon } from '../helpers/cli.js';
import { dropIntoInbox, spawnDaemon, waitFor, type DaemonProcess } from '../helpers/daemon.js';
import { tempDir } from '../helpers/home.js';
import { batchState, readStore } from '../helpers/store-read.js';

/*
 * Issue 11 on the real daemon: the plugin runs just before an action would, on every path
 * (first run, operator retry, recovery after a kill), and a replyid answers once for the work
 * it stands for.
 */

const FIXTURES = join(ROOT, 'test', 'fixtures', 'plugins');

interface Home {
  home: string;
  plugins: string;
  daemon?: DaemonProcess;
}

function setUp(dir: string, plugin: string, extra: Record<string, unknown> = {}): Home {
  const home = join(dir, 'home');
  const plugins = join(dir, 'plugins');
  mkdirSync(home);
  mkdirSync(plugins);
  for (const f of [`${plugin}.mjs`, '_verdict.mjs']) copyFileSync(join(FIXTURES, f), join(plugins, f));
  writeFileSync(join(home, 'tmon.config.json'), JSON.stringify({ pluginsDir: plugins, rewritePlugin: plugin, inboxSweepMs: 100, ...extra }));
  return { home, plugins };
}

// The waits read the store as the CLI does (query-only), so waiting never spawns a process per poll.
const finalBatch = (home: string, batch: string) => async () => {
  const st = await batchState(home, batch).catch(() => undefined);
  return st === 'succeeded' || st === 'failed' || st === 'canceled' ? st : undefined;
};
const directory = (home: string) => JSON.parse(tmon(['--home', home, 'directory', '--json']).stdout) as Record<string, Record<string, { enabled: boolean; groups: string[] }>>;

async function start(h: Home): Promise<DaemonProcess> {
  h.daemon = spawnDaemon(['--home', h.home]);
  await h.daemon.started();
  return h.daemon;
}

async function stop(h: Home, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (h.daemon && h.daemon.child.exitCode === null && h.daemon.child.signalCode === null) {
    h.daemon.child.kill(signal);
    await h.daemon.exited;
  }
  h.daemon = undefined;
}

const setupAccount = (batch: string, user: string) =>
  batchText(batch, [
    { id: `${batch}_0`, op: 'ACUA', host: 'AD', user, replyid: `${batch}-0`, extra: { fname: 'Ann Smith', accountid: user } },
    { id: `${batch}_1`, op: 'GRUA', host: 'AD', user, group: 'staff', replyid: `${batch}-1`, depends: [`${batch}_0`] },
  ]);

describe('rewrite just before an action runs, on every path (issue 11)', () => {
  let dir: ReturnType<typeof tempDir>;
  let h: Home | undefined;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    if (h) await stop(h, 'SIGKILL');
    h = undefined;
    dir.cleanup();
  });

  test('a retry goes through the plugin again: the failed DELU is disabled, never deleted', async () => {
    h = setUp(dir.path, 'gated-disable');
    await start(h);
    dropIntoInbox(join(h.home, 'inbox'), 'setup.kvg', setupAccount('SETUP', 'ann'));
    expect(await waitFor('SETUP', finalBatch(h.home, 'SETUP'))).toBe('succeeded');
    // The plugin breaks a rule: the DELU fails, and nothing runs in its place.
    writeFileSync(join(h.plugins, 'break-rule'), '');
    dropIntoInbox(join(h.home, 'inbox'), 'leave.kvg', batchText('LEAVE', [{ id: 'LEAVE_0', op: 'DELU', host: 'AD', user: 'ann', replyid: 'leave-0' }]));
    expect(await waitFor('LEAVE', finalBatch(h.home, 'LEAVE'))).toBe('failed');
    const failed = await readStore(h.home, async (s) => (await s.batchDetail('LEAVE'))!.actions[0]!);
    expect(failed).toMatchObject({ state: 'failed', operation: 'DELU', lastError: expect.stringContaining('the plugin changed the batch id to "OTHER"') });
    expect(directory(h.home).AD!.ann).toMatchObject({ enabled: true });
    // The site fixes its plugin; the operator retries.
    rmSync(join(h.plugins, 'break-rule'));
    const r = tmon(['--home', h.home, 'retry', 'LEAVE_0']);
    expect(r.status).toBe(0);
    expect(await waitFor('LEAVE again', finalBatch(h.home, 'LEAVE'))).toBe('succeeded');
    const ann = directory(h.home).AD!.ann;
    expect(ann).toMatchObject({ enabled: false, groups: [] });
    const detail = await readStore(h.home, async (s) => (await s.batchDetail('LEAVE'))!);
    expect(detail.actions.map((a) => [a.id, a.operation, a.state])).toEqual([
      ['LEAVE_0', 'DNAU', 'succeeded'],
      ['LEAVE_0.1', 'GRUD', 'succeeded'],
    ]);
    // The replyid was answered once, with the first failure (a retry does not answer again).
    const replies = await readStore(h.home, (s) => s.replies());
    expect(replies.filter((x) => x.replyid === 'leave-0').map((x) => x.status)).toEqual(['failure']);
  });

  test('a daemon killed while an action is being rewritten: after the restart it goes through the plugin, not as submitted', async () => {
    h = setUp(dir.path, 'gated-disable', { pluginTimeoutMs: 120_000 });
    await start(h);
    dropIntoInbox(join(h.home, 'inbox'), 'setup.kvg', setupAccount('SETUP', 'bob'));
    expect(await waitFor('SETUP', finalBatch(h.home, 'SETUP'))).toBe('succeeded');
    writeFileSync(join(h.plugins, 'hang'), '');
    dropIntoInbox(join(h.home, 'inbox'), 'leave.kvg', batchText('LEAVE', [{ id: 'LEAVE_0', op: 'DELU', host: 'AD', user: 'bob', replyid: 'leave-0' }]));
    // Claimed for its rewrite: running, and the plugin is spinning on it.
    await waitFor('the rewrite to start', () => readStore(h!.home, async (s) => (await s.batchDetail('LEAVE'))?.actions[0]?.state === 'running'));
    await stop(h, 'SIGKILL');
    rmSync(join(h.plugins, 'hang'));
    await start(h);
    expect(await waitFor('LEAVE', finalBatch(h.home, 'LEAVE'))).toBe('succeeded');
    expect(directory(h.home).AD!.bob).toMatchObject({ enabled: false, groups: [] });
    expect(h.daemon!.output()).toContain('were running or being rewritten when tmon stopped');
  });

  test('a daemon killed while a rewritten action is carried out: after the restart the plugin is asked again and the connector is told it is a recovery', async () => {
    const gate = join(dir.path, 'gate');
    const record = join(dir.path, 'record.txt');
    const script = join(dir.path, 'target.sh');
    // The target notes what it was asked and whether as a recovery, then waits for the gate.
    writeFileSync(script, `#!/bin/sh\necho "$TMON_OPERATION $TMON_RECOVERY" >> "${record}"\nwhile [ ! -e "${gate}" ]; do sleep 0.05; done\nexit 0\n`);
    chmodSync(script, 0o755);
    h = setUp(dir.path, 'gated-disable', { targets: { HR: { connector: 'script', script } } });
    await start(h);
    dropIntoInbox(join(h.home, 'inbox'), 'leave.kvg', batchText('LEAVE', [{ id: 'LEAVE_0', op: 'DELU', host: 'HR', user: 'eve', replyid: 'leave-0' }]));
    await waitFor('the disable to start', () => existsSync(record) && readFileSync(record, 'utf8') === 'DNAU 0\n');
    await stop(h, 'SIGKILL');
    writeFileSync(gate, '');
    await start(h);
    expect(await waitFor('LEAVE', finalBatch(h.home, 'LEAVE'))).toBe('succeeded');
    expect(readFileSync(record, 'utf8')).toBe('DNAU 0\nDNAU 1\nGRUD 0\n');
    const rewrites = readFileSync(join(h.home, 'logs', 'tmon.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('action LEAVE_0: rewritten by plugin gated-disable'));
    expect(rewrites).toHaveLength(2);
    expect((await readStore(h.home, (s) => s.replies())).map((r) => [r.replyid, r.status])).toEqual([['leave-0', 'success']]);
  });

  test('an action that waits for another is rewritten after that one ran, not when its batch arrived', async () => {
    h = setUp(dir.path, 'gated-disable');
    await start(h);
    dropIntoInbox(
      join(h.home, 'inbox'),
      'both.kvg',
      batchText('BOTH', [
        { id: 'BOTH_0', op: 'ACUA', host: 'AD', user: 'cy', replyid: 'both-0', extra: { fname: 'Cy', accountid: 'cy' } },
        { id: 'BOTH_1', op: 'DELU', host: 'AD', user: 'cy', replyid: 'both-1', depends: ['BOTH_0'] },
      ]),
    );
    expect(await waitFor('BOTH', finalBatch(h.home, 'BOTH'))).toBe('succeeded');
    const created = (await readStore(h.home, (s) => s.replies())).find((r) => r.replyid === 'both-0')!;
    const log = readFileSync(join(h.home, 'logs', 'tmon.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { message: string; timestamp: string; action?: string });
    const rewrote = log.find((l) => l.action === 'BOTH_1' && l.message.startsWith('action BOTH_1: rewritten by plugin gated-disable'))!;
    // The DELU's rewrite is logged no earlier than the commit that answered the create.
    expect(Date.parse(rewrote.timestamp)).toBeGreaterThanOrEqual(created.at);
    expect(directory(h.home).AD!.cy).toMatchObject({ enabled: false });
  });

  test('a plugin that throws: the action runs as submitted (onPluginError "primary"), and status shows why', async () => {
    h = setUp(dir.path, 'throws');
    await start(h);
    dropIntoInbox(join(h.home, 'inbox'), 'n.kvg', batchText('N', [{ id: 'N_0', op: 'NOOP', host: 'AD', replyid: 'n-0' }]));
    expect(await waitFor('N', finalBatch(h.home, 'N'))).toBe('succeeded');
    const human = tmon(['--home', h.home, 'status', 'N']).stdout;
    expect(human).toMatch(/messages:\n.* error action N_0: plugin throws .*primary action kept as submitted/);
    const asJson = JSON.parse(tmon(['--home', h.home, 'status', 'N', '--json']).stdout) as { messages: Array<{ level: string; action: string; text: string }> };
    expect(asJson.messages).toEqual([expect.objectContaining({ level: 'error', action: 'N_0', text: expect.stringContaining('plugin throws') })]);
    // The board names the action once, not "action N_0: action N_0: …".
    const board = tmon(['--home', h.home, 'messages', '--all']).stdout;
    expect(board).toContain('plugin batch N: action N_0: plugin throws');
    expect(board).not.toContain('action N_0: action N_0');
    // The action succeeded, but its row and its place in the tree still say what its plugin did.
    expect(human).toMatch(/N_0 +succeeded .*action N_0: plugin throws threw/);
    expect(tmon(['--home', h.home, 'show', 'N']).stdout).toMatch(/N_0 .*succeeded\n.*! action N_0: plugin throws threw: the directory said no/);
    // The log line names the action and the plugin once too.
    expect(readFileSync(join(h.home, 'logs', 'tmon.log'), 'utf8')).not.toMatch(/plugin throws failed: action N_0/);
  });

  test('a configured plugin that is missing holds its actions: nothing runs as submitted, the board and status say why', async () => {
    // The hold is short, so that putting the plugin back is seen soon; the action waits through several holds.
    h = setUp(dir.path, 'gated-disable', { pluginHoldMs: 200 });
    await start(h);
    dropIntoInbox(join(h.home, 'inbox'), 'setup.kvg', setupAccount('SETUP', 'fay'));
    expect(await waitFor('SETUP', finalBatch(h.home, 'SETUP'))).toBe('succeeded');
    // The site's plugin file disappears (a botched deploy): the DELU must wait, not delete.
    rmSync(join(h.plugins, 'gated-disable.mjs'));
    dropIntoInbox(join(h.home, 'inbox'), 'leave.kvg', batchText('LEAVE', [{ id: 'LEAVE_0', op: 'DELU', host: 'AD', user: 'fay', replyid: 'leave-0' }]));
    const held = await waitFor('the hold', () =>
      readStore(h!.home, async (s) => {
        const a = (await s.batchDetail('LEAVE'))?.actions[0];
        return a?.state === 'retrying' && a.lastError?.includes('cannot be used') ? a : undefined;
      }),
    );
    expect(held.lastError).toMatch(/^action LEAVE_0: waits: plugin gated-disable cannot be used .*; nothing runs until it can$/);
    expect(directory(h.home).AD!.fay).toMatchObject({ enabled: true });
    expect((await readStore(h.home, (s) => s.messages())).at(-1)).toMatchObject({ level: 'error', action: 'LEAVE_0', text: held.lastError });
    // Put back, the plugin rewrites it: disabled, not deleted.
    copyFileSync(join(FIXTURES, 'gated-disable.mjs'), join(h.plugins, 'gated-disable.mjs'));
    expect(await waitFor('LEAVE', finalBatch(h.home, 'LEAVE'), 30_000)).toBe('succeeded');
    expect(directory(h.home).AD!.fay).toMatchObject({ enabled: false });
  });

  test('a replyid another stored batch holds refuses the whole batch, naming the replyid and the holder', async () => {
    h = setUp(dir.path, 'gated-disable');
    await start(h);
    dropIntoInbox(join(h.home, 'inbox'), 'first.kvg', batchText('FIRST', [{ id: 'FIRST_0', op: 'NOOP', host: 'AD', replyid: 'R-42' }]));
    expect(await waitFor('FIRST', finalBatch(h.home, 'FIRST'))).toBe('succeeded');
    dropIntoInbox(
      join(h.home, 'inbox'),
      'second.kvg',
      batchText('SECOND', [
        { id: 'SECOND_0', op: 'NOOP', host: 'AD', replyid: 'R-43' },
        { id: 'SECOND_1', op: 'NOOP', host: 'AD', replyid: 'R-42' },
      ]),
    );
    const rejected = join(h.home, 'inbox', 'rejected');
    // The board entry is the refusal's last step (after the .error file and the move): wait for it.
    await waitFor('the rejection on the board', async () => (await readStore(h!.home, (s) => s.messages())).some((m) => m.source === 'ingest' && m.level === 'error'));
    expect(readFileSync(join(rejected, 'second.kvg.error'), 'utf8')).toBe(
      'second.kvg: action SECOND_1: replyid "R-42" is already held by batch FIRST; a replyid can be used once\n',
    );
    expect(readdirSync(rejected)).toContain('second.kvg');
    expect(await batchState(h.home, 'SECOND')).toBeUndefined();
    const board = await readStore(h.home, (s) => s.messages());
    expect(board.at(-1)).toMatchObject({ level: 'error', source: 'ingest', text: expect.stringContaining('replyid "R-42" is already held by batch FIRST') });
    expect((await readStore(h.home, (s) => s.replies())).map((r) => r.replyid)).toEqual(['R-42']);
  });

  test('a primary the plugin removed while fanning out answers once its fanned work is final, naming the failure', async () => {
    h = setUp(dir.path, 'removes-and-fans');
    await start(h);
    // The first account exists, so both its group additions succeed; the second does not, so
    // both of its fail.
    dropIntoInbox(join(h.home, 'inbox'), 'setup.kvg', batchText('SETUP', [{ id: 'SETUP_0', op: 'ACUA', host: 'AD', user: 'dee', replyid: 'setup-0', extra: { fname: 'Dee', accountid: 'dee' } }]));
    expect(await waitFor('SETUP', finalBatch(h.home, 'SETUP'))).toBe('succeeded');
    dropIntoInbox(
      join(h.home, 'inbox'),
      'join.kvg',
      batchText('JOIN', [
        { id: 'JOIN_0', op: 'NOOP', host: 'AD', user: 'dee', replyid: 'join-ok' },
        { id: 'JOIN_1', op: 'NOOP', host: 'AD', user: 'nobody', replyid: 'join-bad' },
      ]),
    );
    expect(await waitFor('JOIN', finalBatch(h.home, 'JOIN'))).toBe('failed');
    const replies = await readStore(h.home, (s) => s.replies());
    const ok = replies.find((r) => r.replyid === 'join-ok')!;
    const bad = replies.find((r) => r.replyid === 'join-bad')!;
    expect(ok).toMatchObject({ status: 'success', action: 'JOIN_0' });
    expect(bad).toMatchObject({ status: 'failure', action: 'JOIN_1' });
    expect(bad.message).toContain('action JOIN_1.1 failed');
    expect(bad.message).toContain('action JOIN_1.2 failed');
    // Answered only once every fanned action was final.
    const detail = await readStore(h.home, async (s) => (await s.batchDetail('JOIN'))!);
    const fannedDone = Math.max(...detail.actions.filter((a) => a.primaryId === 'JOIN_1' && a.id !== 'JOIN_1').map((a) => a.finishedAt!));
    expect(bad.at).toBeGreaterThanOrEqual(fannedDone);
    expect(directory(h.home).AD!.dee!.groups).toEqual(['staff', 'vip']);
  });
});
