import { chmodSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmon } from '../helpers/cli.js';
import { dropIntoInbox, spawnDaemon, waitFor } from '../helpers/daemon.js';
import { tempDir } from '../helpers/home.js';
import { batchStates } from '../helpers/store-read.js';

/** A batch with the context groups a workflow manager sends, and a password to keep out of payloads. */
const BATCH = `"" "" = {
  "request" "" = {
    "id" = "REQ-7"
    "requester" = "jdoe"
  }
  "recipient" "" = {
    "userid" = "ann"
    "fname" = "Ann Smith"
  }
  "batch" "PW-1" = {
    "action" "PW-1_0" = {
      "operation" = "ACUA"
      "hostid" = "AD"
      "userid" = "ann"
      "newpw" = "Zebra-Quartz-991"
      "replyid" = "pw-0"
    }
    "action" "PW-1_1" = {
      "operation" = "GRUD"
      "hostid" = "AD"
      "userid" = "nobody"
      "groupid" = "staff"
      "replyid" = "pw-1"
    }
  }
}
`;

describe('triggers as the change-management seed has them (issue 11)', () => {
  test('one trigger on a list of events; retried and resubmitted raise events; the payload carries the action and the request', async () => {
    const dir = tempDir();
    const home = join(dir.path, 'home');
    mkdirSync(home);
    const out = join(dir.path, 'events.jsonl');
    const script = join(dir.path, 'record.sh');
    writeFileSync(script, '#!/bin/sh\ncat >> "$1"\n');
    chmodSync(script, 0o755);
    writeFileSync(
      join(home, 'tmon.config.json'),
      JSON.stringify({ inboxSweepMs: 100, triggers: [{ name: 'audit', event: ['action.succeeded', 'action.retried', 'batch.resubmitted'], script, args: [out], format: 'json' }] }),
    );
    const daemon = spawnDaemon(['--home', home]);
    const events = () => (existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : []);
    try {
      await daemon.started();
      dropIntoInbox(join(home, 'inbox'), 'pw.kvg', BATCH);
      const succeeded = await waitFor('action.succeeded', () => events().find((e) => e.event === 'action.succeeded'));
      expect(succeeded).toMatchObject({
        batch: 'PW-1',
        action: 'PW-1_0',
        userid: 'ann',
        replyid: 'pw-0',
        retval: '0',
        attempt: 1,
        request: { id: 'REQ-7', requester: 'jdoe' },
        recipient: { userid: 'ann', fname: 'Ann Smith' },
      });
      expect(Date.parse(succeeded.received as string)).toBeLessThanOrEqual(Date.parse(succeeded.at as string));
      // The same batch again: a resubmission event, nothing runs twice.
      dropIntoInbox(join(home, 'inbox'), 'pw-again.kvg', BATCH);
      expect(await waitFor('batch.resubmitted', () => events().find((e) => e.event === 'batch.resubmitted'))).toMatchObject({ batch: 'PW-1', source: 'pw-again.kvg' });
      // The failed GRUD, retried by an operator.
      await waitFor('the failure', async () => (await batchStates(home, 'PW-1'))?.state === 'failed');
      expect(tmon(['--home', home, 'retry', 'PW-1_1', '--note', 'group fixed']).status).toBe(0);
      expect(await waitFor('action.retried', () => events().find((e) => e.event === 'action.retried'))).toMatchObject({
        batch: 'PW-1',
        action: 'PW-1_1',
        who: 'operator',
        message: expect.stringContaining('group fixed'),
      });
      expect(readFileSync(out, 'utf8')).not.toContain('Zebra-Quartz-991');
      expect(events().filter((e) => e.event === 'action.succeeded').map((e) => e.action)).toEqual(['PW-1_0']);

      // A script not configured yet, tried against the stored batch before it is saved.
      const probe = join(dir.path, 'probe.sh');
      writeFileSync(probe, '#!/bin/sh\nread line\necho "got: $line"\necho "to stderr" >&2\nexit 3\n');
      chmodSync(probe, 0o755);
      const r = tmon(['--home', home, 'triggers', 'test', '--script', probe, '--event', 'action.succeeded', '--batch', 'PW-1', '--json']);
      expect(r.status).toBe(1);
      const shown = JSON.parse(r.stdout) as { exitCode: number; stdout: string; stderr: string; input: string };
      expect(shown.exitCode).toBe(3);
      expect(shown.stderr).toBe('to stderr\n');
      expect(JSON.parse(shown.stdout.replace(/^got: /, ''))).toMatchObject({ event: 'action.succeeded', batch: 'PW-1', action: 'PW-1_0', userid: 'ann', request: { id: 'REQ-7' } });
      expect(r.stdout).not.toContain('Zebra-Quartz-991');
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
      dir.cleanup();
    }
  });
});
