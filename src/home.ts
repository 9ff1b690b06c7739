import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The folders and files of a tmon home (contract §6). */
export interface HomeLayout {
  root: string;
  db: string;
  inbox: string;
  rejected: string;
  outbox: string;
  logs: string;
  config: string;
  /** The running daemon's doorbell for operators' commands (src/command-wake.ts). */
  wake: string;
  /** The secret key that seals passwords at rest (32 bytes, mode 0600; src/secrets). */
  secretKey: string;
}

/** --home, else $TMON_HOME, else ./var. */
export function resolveHomeDir(home?: string): string {
  return resolve(home ?? process.env.TMON_HOME ?? 'var');
}

export function homeLayout(root: string): HomeLayout {
  return {
    root,
    db: join(root, 'tmon.db'),
    inbox: join(root, 'inbox'),
    rejected: join(root, 'inbox', 'rejected'),
    outbox: join(root, 'outbox'),
    logs: join(root, 'logs'),
    config: join(root, 'tmon.config.json'),
    wake: join(root, 'tmon.wake'),
    secretKey: join(root, 'secret.key'),
  };
}

/** Creates what is missing. */
export function ensureHome(layout: HomeLayout): void {
  for (const d of [layout.root, layout.inbox, layout.rejected, layout.outbox, layout.logs]) mkdirSync(d, { recursive: true });
}
