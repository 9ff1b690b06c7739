import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmon } from '../helpers/cli.js';
import { dropIntoInbox, spawnDaemon, waitFor } from '../helpers/daemon.js';
import { tempDir } from '../helpers/home.js';
import { batchStates } from '../helpers/store-read.js';

const SECRET = 'Quokka-\\"Pw-7731';
const PLAIN = 'Quokka-"Pw-7731';

/** Every file under `dir` (the store excepted: encryption at rest is issue 15), as text. */
function allText(dir: string, skip: (path: string) => boolean): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (skip(p)) continue;
    out += statSync(p).isDirectory() ? allText(p, skip) : readFileSync(p, 'utf8');
  }
  return out;
}

describe('passwords past the redaction (issue 13 items 9-11)', () => {
  test('a target that quotes the action, and a syntax error after newpw: the password is in no reply, file, log or CLI output', async () => {
    const dir = tempDir();
    const home = join(dir.path, 'home');
    mkdirSync(home);
    const echo = join(dir.path, 'echo.sh');
    // A target that answers with what it was sent, and refuses.
    writeFileSync(echo, '#!/bin/sh\ncat\nexit 1\n');
    chmodSync(echo, 0o755);
    writeFileSync(join(home, 'tmon.config.json'), JSON.stringify({ inboxSweepMs: 100, targets: { HR: { connector: 'script', script: echo } } }));
    const daemon = spawnDaemon(['--home', home]);
    try {
      await daemon.started();
      const inbox = join(home, 'inbox');
      dropIntoInbox(
        inbox,
        'pw.kvg',
        `"" "" = {\n  "batch" "PW" = {\n    "action" "PW_0" = {\n      "operation" = "ACHG"\n      "hostid" = "HR"\n      "userid" = "ann"\n      "newpw" = "${SECRET}"\n      "replyid" = "pw-0"\n    }\n  }\n}\n`,
      );
      dropIntoInbox(inbox, 'typo.kvg', `"" "" = {\n  "batch" "T" = {\n    "action" "T_0" = {\n      "newpw" : "${SECRET}"\n    }\n  }\n}\n`);
      await waitFor('the failure', async () => (await batchStates(home, 'PW'))?.state === 'failed');
      await waitFor('the refusal', () => readdirSync(join(inbox, 'rejected')).includes('typo.kvg.error'));
      await waitFor('the reply file', () => readdirSync(join(home, 'outbox')).some((f) => !f.startsWith('.')));
      const reply = (JSON.parse(tmon(['--home', home, 'replies', '--json']).stdout) as Array<{ replyid: string; message: string }>).find((r) => r.replyid === 'pw-0')!;
      expect(reply.message).toContain('"newpw" = "[redacted]"');
      const cli = ['status', 'show', 'replies', 'messages'].flatMap((c) => {
        const args = c === 'status' || c === 'show' ? [c, 'PW'] : [c];
        return [tmon(['--home', home, ...args]).stdout, tmon(['--home', home, ...args, '--json']).stdout];
      });
      const files = allText(home, (p) => p.includes('tmon.db') || p.endsWith('typo.kvg') || p.endsWith(join('rejected', 'pw.kvg')));
      for (const text of [...cli, files]) {
        expect(text).not.toContain(PLAIN);
        expect(text).not.toContain(SECRET);
        expect(text).not.toContain('Pw-7731');
      }
      // The refused file itself is kept as submitted, readable by its owner only.
      expect(statSync(join(inbox, 'rejected', 'typo.kvg')).mode & 0o077).toBe(0);
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
      dir.cleanup();
    }
  });
});
