import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { storeHoldsSealedPasswords } from '../../src/store/index.js';
import { tmon } from '../helpers/cli.js';
import { dropIntoInbox, spawnDaemon, waitFor } from '../helpers/daemon.js';
import { tempDir } from '../helpers/home.js';
import { batchStates } from '../helpers/store-read.js';

/*
 * Issue 15 item 1 on the real daemon: after a batch holding passwords has run (one action
 * succeeded, one failed, one fanned out by a plugin that copies the password, one retried, one
 * canceled), no byte of the store, its WAL and shared memory, the logs, the outbox, the board or
 * any CLI output holds any of the passwords, in any of the forms it may be written in.
 */

/**
 * Each password carries a token of its own that survives every escaping (JSON, KVGroup), so a
 * search for the token finds the password in whatever form it was written; b's holds a quote and
 * a backslash, to be escaped differently in each.
 */
const PASSWORDS = {
  ann: 'Ann-Q7x1Lp0a-pw',
  bob: 'Bob-"K9z2Rw4e\\pw',
  carol: 'Carol-M4v8Jt6u-pw',
  xeno: 'Xeno-T5r3Gd8k-pw',
  yves: 'Yves-H2n6Bc1m-pw',
  typo: 'Typo-W3q9Fs5h-pw',
};
const TOKENS = ['Q7x1Lp0a', 'K9z2Rw4e', 'M4v8Jt6u', 'T5r3Gd8k', 'H2n6Bc1m', 'W3q9Fs5h'];

const kvq = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const action = (id: string, pairs: Record<string, string>, extra = '') =>
  `    "action" "${id}" = {\n${Object.entries(pairs)
    .map(([k, v]) => `      "${k}" = ${kvq(v)}\n`)
    .join('')}${extra}    }\n`;

/** A plugin that fans carol's password change out to the VPN too, copying the password (twice: a pair, and nested). */
const FAN_COPY = `export default {
  rewrite(input) {
    const batch = input.members.find((m) => m.type === 'batch');
    const primary = batch.members.find((m) => m.type === 'action');
    const head = (changed) => [{ key: 'changed', value: changed }, { key: 'retval', value: '0' }];
    if (primary.members.find((m) => m.key === 'userid')?.value !== 'carol') return { ...input, members: [...head('false'), ...input.members] };
    const pw = primary.members.find((m) => m.key === 'newpw').value;
    const vpn = {
      type: 'action',
      name: primary.name + '_vpn',
      members: [
        { key: 'operation', value: 'ACHG' },
        { key: 'hostid', value: 'VPN' },
        { key: 'userid', value: 'carol' },
        { key: 'newpw', value: pw },
        { key: 'replyid', value: '' },
        { type: 'attributes', name: '', members: [{ key: 'newpw', value: pw }] },
      ],
    };
    return { ...input, members: [...head('true'), ...input.members.map((m) => (m === batch ? { ...m, members: [primary, vpn] } : m))] };
  },
};
`;

/** Every file under `dir` whose path passes `keep`, as bytes. */
function filesUnder(dir: string, keep: (path: string) => boolean = () => true): Array<{ path: string; bytes: Buffer }> {
  const out: Array<{ path: string; bytes: Buffer }> = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, keep));
    else if (keep(p)) out.push({ path: p, bytes: readFileSync(p) });
  }
  return out;
}

/** The places holding a password: none, or each with the token found. */
function leaks(sources: Array<{ path: string; bytes: Buffer | string }>): string[] {
  const found: string[] = [];
  for (const s of sources) {
    const text = Buffer.isBuffer(s.bytes) ? s.bytes.toString('latin1') : s.bytes;
    for (const t of [...TOKENS, ...Object.values(PASSWORDS)]) if (text.includes(t)) found.push(`${s.path}: ${t}`);
    // UTF-16 too (SQLite could store text so; tmon's store is UTF-8, but look anyway).
    for (const t of TOKENS) if (text.includes(Buffer.from(t, 'utf16le').toString('latin1'))) found.push(`${s.path}: ${t} (UTF-16)`);
  }
  return found;
}

describe('passwords at rest (issue 15 item 1)', () => {
  test('after a batch with passwords has run, no byte of the store, logs, outbox, board or CLI output holds one', async () => {
    const dir = tempDir();
    const home = join(dir.path, 'home');
    const plugins = join(dir.path, 'plugins');
    mkdirSync(home);
    mkdirSync(plugins);
    writeFileSync(join(plugins, 'fan-copy.mjs'), FAN_COPY);
    const marker = join(dir.path, 'dave-fixed');
    // slow's change runs until the test opens this gate: it is still running when the batch is canceled.
    const gate = join(dir.path, 'slow-may-finish');
    // …and says it started: "running" in the store is also the state of an action in its plugin.
    const slowStarted = join(dir.path, 'slow-started');
    const target = join(dir.path, 'target.sh');
    // bob's account is refused (quoting the whole request back); the VPN refuses carol; dave fails
    // until fixed; slow waits for the gate; everything else succeeds.
    writeFileSync(
      target,
      `#!/bin/sh
input=$(cat)
case "$input" in
  *'"userid" = "bob"'*) printf 'refused: %s\\n' "$input"; exit 1 ;;
  *'"hostid" = "VPN"'*) echo "vpn refused"; exit 1 ;;
  *'"userid" = "dave"'*) if [ -e '${marker}' ]; then echo fixed; exit 0; fi; : > '${marker}'; echo "not yet"; exit 1 ;;
  *'"userid" = "slow"'*) : > '${slowStarted}'; while [ ! -e '${gate}' ]; do sleep 0.05; done ;;
esac
echo "done"
`,
    );
    chmodSync(target, 0o755);
    writeFileSync(
      join(home, 'tmon.config.json'),
      JSON.stringify({
        inboxSweepMs: 100,
        pluginsDir: plugins,
        rewritePlugin: 'fan-copy',
        targets: { HR: { connector: 'script', script: target }, VPN: { connector: 'script', script: target } },
      }),
    );
    const daemon = spawnDaemon(['--home', home], { env: { TMON_SECRET_KEY: '' } });
    const cliOutputs: Array<{ path: string; bytes: string }> = [];
    const run = (args: string[]) => {
      const r = tmon(['--home', home, ...args]);
      cliOutputs.push({ path: `tmon ${args.join(' ')}`, bytes: r.stdout + r.stderr });
      return r;
    };
    try {
      await daemon.started();
      const inbox = join(home, 'inbox');
      const pw = (user: string, host = 'HR') => ({ operation: 'ACHG', hostid: host, userid: user, newpw: PASSWORDS[user as keyof typeof PASSWORDS], replyid: `pw-${user}` });
      dropIntoInbox(
        inbox,
        'pw.kvg',
        `"" "" = {\n  "request" "" = {\n    "requester" = "hr"\n  }\n  "batch" "PW" = {\n${action('PW_a', pw('ann'))}${action('PW_b', pw('bob'))}${action('PW_c', pw('carol'))}${action(
          'PW_d',
          { operation: 'UPDT', hostid: 'HR', userid: 'dave', replyid: 'pw-dave' },
          '      "attributes" "" = {\n        "mail" = "dave@example.org"\n      }\n',
        )}  }\n}\n`,
      );
      dropIntoInbox(
        inbox,
        'pw2.kvg',
        `"" "" = {\n  "batch" "PW2" = {\n${action('PW2_x', { ...pw('xeno'), userid: 'slow' })}${action(
          'PW2_y',
          pw('yves'),
          '      "depends" "" = {\n        "local" "" = {\n          "action" = "PW2_x"\n          "batch" = "PW2"\n        }\n      }\n',
        )}  }\n}\n`,
      );
      // A file with a password that does not parse: kept in rejected/ as submitted, for its owner only.
      dropIntoInbox(inbox, 'typo.kvg', `"" "" = {\n  "batch" "T" = {\n    "action" "T_0" = {\n      "newpw" : ${kvq(PASSWORDS.typo)}\n    }\n  }\n}\n`);

      // PW2: cancel while x runs; y, waiting on it, is canceled, and x finishes.
      await waitFor('PW2_x to run at its target', () => existsSync(slowStarted));
      expect((await batchStates(home, 'PW2'))?.actions.PW2_x).toBe('running');
      expect(run(['cancel', 'PW2', '--note', 'change of plan']).status).toBe(0);
      writeFileSync(gate, '');

      // PW: a and c succeed, b and c's VPN copy fail, d fails until it is fixed.
      await waitFor('PW to end', async () => ['failed', 'succeeded'].includes((await batchStates(home, 'PW'))?.state ?? ''));
      expect((await batchStates(home, 'PW'))!.actions).toEqual({ PW_a: 'succeeded', PW_b: 'failed', PW_c: 'succeeded', PW_c_vpn: 'failed', PW_d: 'failed' });
      // A retry of an action whose password was wiped when it failed is refused, saying why.
      const refused = run(['retry', 'PW_c_vpn']);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain('action PW_c_vpn of batch PW held a password (newpw), wiped from the store when it ended; it cannot run again without it: submit it again in a new batch');
      expect(run(['retry', 'PW_b', '--json']).status).toBe(1);
      // One without a password is retried, through the plugin again, and succeeds.
      expect(run(['retry', 'PW_d', '--note', 'mailbox fixed']).status).toBe(0);
      await waitFor('PW_d to succeed', async () => (await batchStates(home, 'PW'))?.actions.PW_d === 'succeeded');
      await waitFor('PW2 to settle', async () => (await batchStates(home, 'PW2'))?.actions.PW2_x === 'succeeded');
      expect(await batchStates(home, 'PW2')).toEqual({ state: 'canceled', actions: { PW2_x: 'succeeded', PW2_y: 'canceled' } });
      await waitFor('the refusal', () => readdirSync(join(inbox, 'rejected')).includes('typo.kvg.error'));
      await waitFor('the reply files', () => readdirSync(join(home, 'outbox')).filter((f) => !f.startsWith('.')).length > 0);
      // The connector was given the password all the same: bob's target quoted it back, masked in the reply.
      const replies = JSON.parse(run(['replies', '--json']).stdout) as Array<{ replyid: string; message: string }>;
      expect(replies.find((r) => r.replyid === 'pw-bob')?.message).toContain('"newpw" = "[redacted]"');

      for (const args of [['status'], ['status', 'PW'], ['status', 'PW2'], ['show', 'PW'], ['show', 'PW2'], ['replies'], ['messages']]) {
        for (const json of [[], ['--json']]) expect(run([...args, ...json]).status).toBe(0);
      }
      const storeFiles = ['tmon.db', 'tmon.db-wal', 'tmon.db-shm'].map((f) => join(home, f));
      const rejectedCopy = join(inbox, 'rejected', 'typo.kvg');
      const everything = () => [
        ...storeFiles.filter(existsSync).map((p) => ({ path: p, bytes: readFileSync(p) })),
        ...filesUnder(join(home, 'logs')),
        ...filesUnder(join(home, 'outbox')),
        ...filesUnder(inbox, (p) => p !== rejectedCopy),
        ...cliOutputs,
      ];
      expect(existsSync(join(home, 'tmon.db-wal'))).toBe(true);
      expect(leaks(everything())).toEqual([]);
      expect(storeHoldsSealedPasswords(join(home, 'tmon.db'))).toBe(false);
      // The refused file is kept as submitted (its password included), readable by its owner only.
      expect(readFileSync(rejectedCopy, 'utf8')).toContain('W3q9Fs5h');
      expect(statSync(rejectedCopy).mode & 0o077).toBe(0);
      expect(statSync(join(home, 'secret.key')).mode & 0o777).toBe(0o600);

      daemon.child.kill('SIGTERM');
      expect((await daemon.exited).code).toBe(0);
      expect(leaks(everything())).toEqual([]);
      expect(cliOutputs.length).toBeGreaterThanOrEqual(17);
    } finally {
      if (daemon.child.exitCode === null && daemon.child.signalCode === null) {
        daemon.child.kill('SIGKILL');
        await daemon.exited;
      }
      dir.cleanup();
    }
  }, 90_000);
});
