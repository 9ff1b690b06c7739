import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmon } from '../helpers/cli.js';
import { dropIntoInbox, type DaemonProcess } from '../helpers/daemon.js';
import { tempDir } from '../helpers/home.js';
import { actionState } from '../helpers/store-read.js';

/* The home the operator-view tests share (test/e2e/views.test.ts, test/cli/views.test.ts). */

/** A home with a config, a script target HR, and a way to run the CLI on it. */
export function setup(hr: { exit: number; retryMs?: number }) {
  const dir = tempDir();
  const home = join(dir.path, 'home');
  mkdirSync(home);
  const script = join(dir.path, 'hr.sh');
  writeFileSync(script, `#!/bin/sh\necho "HR system ${hr.exit === 0 ? 'done' : 'busy'}"\nexit ${hr.exit}\n`);
  chmodSync(script, 0o755);
  const retry = hr.retryMs ? { retry: { firstDelayMs: hr.retryMs, maxDelayMs: hr.retryMs } } : {};
  writeFileSync(join(home, 'tmon.config.json'), JSON.stringify({ targets: { HR: { connector: 'script', script, ...retry } } }));
  const t = (...args: string[]) => tmon(['--home', home, ...args]);
  // Read from the store, not through `tmon status`: the tests poll it (the CLI's own output is checked elsewhere).
  const stateOf = (batch: string, action: string) => actionState(home, batch, action);
  const drop = (name: string, text: string) => dropIntoInbox(join(home, 'inbox'), name, text);
  return { dir, home, t, stateOf, drop };
}

export async function stop(daemon: DaemonProcess): Promise<void> {
  daemon.child.kill('SIGTERM');
  await daemon.exited;
}

