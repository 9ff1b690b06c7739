import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { batchText, type ActionSpec } from '../helpers/batches.js';
import { ROOT, tmon } from '../helpers/cli.js';
import type { BatchDetail } from '../../src/store/index.js';
import { daemonTestFolders, dropIntoInbox, spawnDaemon, waitFor, type DaemonProcess } from '../helpers/daemon.js';
import { group, ldapTarget, people } from '../helpers/ldap.js';
import { ldifDns, ldifValues, startSlapd, SUFFIX, type Slapd } from '../helpers/slapd.js';
import { readStore } from '../helpers/store-read.js';

/**
 * A plugin chained after the seed's terminate-disable: the disabled account is also parked in
 * the `context` OU, once the disable succeeded. The removals and the move wait only for the
 * disable, so they run side by side.
 */
const PARK_PLUGIN = `import { fannedFrom, primaryOf, verdict, withActions } from './_rewrite-kit.mjs';
export default {
  rewrite(input, context) {
    const { batch, primary, operation } = primaryOf(input);
    if (operation !== 'DNAU') return verdict(input, false);
    const move = fannedFrom(primary, batch, primary.name + '.move', { operation: 'MVCU' }, [
      { type: 'attributes', name: '', members: [{ key: 'context', value: context.options.context }] },
    ]);
    return withActions(input, batch, [...batch.members.filter((m) => m.type === 'action'), move]);
  },
};
`;

describe('the daemon against a real slapd', () => {
  const folders = daemonTestFolders();
  // Each test has its own slapd (one test stops and restarts it), and the daemon is tracked by
  // daemonTestFolders, which kills it after the test whatever its outcome.
  let slapd: Slapd | undefined;
  let daemon: DaemonProcess | undefined;
  afterEach(async () => {
    daemon = undefined;
    await slapd?.destroy();
    slapd = undefined;
  });

  /** A home whose target ADCANADA is the test's slapd, and a running daemon on it. */
  async function start(config: Record<string, unknown> = {}): Promise<{ home: string; submit: (batch: string, actions: ActionSpec[]) => void }> {
    slapd = await startSlapd();
    const home = join(folders.dir(), 'home');
    mkdirSync(home);
    writeFileSync(join(home, 'tmon.config.json'), JSON.stringify({ targets: { ADCANADA: ldapTarget(slapd) }, ...config }));
    daemon = folders.track(spawnDaemon(['--home', home]));
    await daemon.started();
    return { home, submit: (batch, actions) => dropIntoInbox(join(home, 'inbox'), `${batch}.kvg`, batchText(batch, actions)) };
  }
  // Polled from the store read-only (what `tmon status BATCH --json` shows), not through a CLI process each time.
  const status = (home: string, batch: string): Promise<BatchDetail | undefined> => readStore(home, (s) => s.batchDetail(batch));
  const final = (home: string, batch: string) =>
    waitFor(`batch ${batch} to finish`, async () => {
      const s = await status(home, batch);
      return s && ['succeeded', 'failed', 'canceled'].includes(s.state) ? s : undefined;
    });
  const replies = (home: string) => JSON.parse(tmon(['--home', home, 'replies', '--json']).stdout) as Array<{ replyid: string; status: string; message: string }>;

  test("the seed's offboarding: DELU becomes a disable, group removals and a move, as ldapsearch shows", async () => {
    const plugins = join(folders.dir(), 'plugins');
    mkdirSync(plugins);
    for (const f of ['terminate-disable.mjs', '_rewrite-kit.mjs']) copyFileSync(join(ROOT, 'plugins', f), join(plugins, f));
    writeFileSync(join(plugins, 'park-disabled.mjs'), PARK_PLUGIN);
    const { home, submit } = await start({
      pluginsDir: plugins,
      rewritePlugin: ['terminate-disable', 'park-disabled'],
      pluginOptions: { 'terminate-disable': { groups: [group('manager'), 'vpn'] }, 'park-disabled': { context: `ou=Disabled,${SUFFIX}` } },
    });
    // The setup goes through the daemon too (DNAU and friends pass the plugins unchanged).
    submit('SETUP', [
      { id: 'S_0', op: 'ACUA', host: 'ADCANADA', user: 'AUTH4', extra: { fname: 'Auth 4', accountid: 'Auth4', newpw: 'Initial-pw1' } },
      ...['manager', 'staff', 'vpn'].flatMap((g, i): ActionSpec[] => [
        { id: `S_${i + 1}`, op: 'CRTG', host: 'ADCANADA', user: '', group: g },
        { id: `S_${i + 4}`, op: 'GRUA', host: 'ADCANADA', user: 'AUTH4', group: g, depends: ['S_0', `S_${i + 1}`] },
      ]),
    ]);
    expect((await final(home, 'SETUP')).state).toBe('succeeded');
    for (const g of ['manager', 'staff', 'vpn']) expect(ldifValues(slapd!.search(group(g), '(objectClass=*)', ['member'], 'base'), 'member')).toEqual([people('AUTH4')]);

    // The reference DELU of the seed, as submitted by the workflow manager.
    expect(tmon(['--home', home, 'submit', 'fixtures/delu-input.kvg']).status).toBe(0);
    const batch = await final(home, '20070503-113234-00');
    expect(batch.actions.map((a) => [a.id, a.operation, a.state])).toEqual([
      ['20070503-113234-00_0', 'DNAU', 'succeeded'],
      ['20070503-113234-00_0.1', 'GRUD', 'succeeded'],
      ['20070503-113234-00_0.2', 'GRUD', 'succeeded'],
      ['20070503-113234-00_0.move', 'MVCU', 'succeeded'],
    ]);

    // What the directory holds now: the account disabled and parked, only in the group it kept, under its new DN.
    const parked = `uid=AUTH4,ou=Disabled,${SUFFIX}`;
    expect(ldifDns(slapd!.search(SUFFIX, '(uid=AUTH4)'))).toEqual([parked]);
    expect(ldifValues(slapd!.search(parked, '(objectClass=*)', ['pwdAccountLockedTime'], 'base'), 'pwdAccountLockedTime')).toEqual(['000001010000Z']);
    const memberOf = (g: string) => ldifValues(slapd!.search(group(g), '(objectClass=*)', ['member'], 'base'), 'member');
    expect([memberOf('manager'), memberOf('staff'), memberOf('vpn')]).toEqual([[''], [parked], ['']]);
    expect(replies(home).find((r) => r.replyid === 'eca0000000000000ff')).toMatchObject({ status: 'success' });
    // The password never reaches the log or the replies.
    expect(daemon!.output()).not.toContain('Initial-pw1');
    expect(JSON.stringify(replies(home))).not.toContain('Initial-pw1');
  });

  test('a server stopped mid-batch: the actions retry, then succeed once it is back', async () => {
    const { home, submit } = await start({ retry: { attempts: 50, firstDelayMs: 100, maxDelayMs: 300 } });
    submit('WARM', [{ id: 'W_0', op: 'ACUA', host: 'ADCANADA', user: 'warm' }]);
    expect((await final(home, 'WARM')).state).toBe('succeeded');

    // The daemon's pooled connections now point at a server that is gone.
    await slapd!.stop();
    const users = ['u1', 'u2', 'u3', 'u4'];
    submit('B2', [
      ...users.map((u, i): ActionSpec => ({ id: `B2_${i}`, op: 'ACUA', host: 'ADCANADA', user: u, replyid: `r-${u}` })),
      { id: 'B2_9', op: 'DNAU', host: 'ADCANADA', user: 'warm', replyid: 'r-warm' },
    ]);
    const waiting = await waitFor('an action to retry', async () => (await status(home, 'B2'))?.actions.find((a) => a.attempts >= 2 && a.lastError));
    expect(waiting.lastError).toMatch(/cannot reach ldap:\/\/127\.0\.0\.1:\d+|connection to .* was lost/);
    await slapd!.start();

    const b = await final(home, 'B2');
    expect(b.state).toBe('succeeded');
    expect(Math.max(...b.actions.map((a) => a.attempts))).toBeGreaterThanOrEqual(2);
    expect(ldifDns(slapd!.search(`ou=People,${SUFFIX}`, '(|(uid=u1)(uid=u2)(uid=u3)(uid=u4))')).sort()).toEqual(users.map(people));
    expect(replies(home).filter((r) => r.replyid.startsWith('r-')).map((r) => r.status)).toEqual(Array(5).fill('success'));
  });

  test("a schema violation fails the action with the server's message in the reply", async () => {
    const { home, submit } = await start();
    submit('B3', [
      { id: 'B3_0', op: 'ACUA', host: 'ADCANADA', user: 'sam', replyid: 'r-create' },
      { id: 'B3_1', op: 'UPDT', host: 'ADCANADA', user: 'sam', replyid: 'r-update', attributes: { drink: 'tea' }, depends: ['B3_0'] },
    ]);
    const b = await final(home, 'B3');
    expect(b.actions.map((a) => [a.id, a.state, a.attempts])).toEqual([
      ['B3_0', 'succeeded', 1],
      ['B3_1', 'failed', 1],
    ]);
    const reply = replies(home).find((r) => r.replyid === 'r-update');
    expect(reply).toMatchObject({ status: 'failure', message: expect.stringContaining("LDAP error 65 (objectClassViolation): attribute 'drink' not allowed") });

    // A clean stop closes the target's connections and exits 0.
    daemon!.child.kill('SIGTERM');
    expect(await daemon!.exited).toEqual({ code: 0, signal: null });
    expect(daemon!.output()).toContain('tmon daemon stopped');
  });
});
