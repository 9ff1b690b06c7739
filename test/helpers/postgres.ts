import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { tempDir } from './home.js';
import { freePort } from './slapd.js';

/**
 * A private PostgreSQL server for one test file: `initdb` into a temporary folder, `pg_ctl start`
 * on a free loopback port (its socket in that folder too), stopped by `pg_ctl stop -m immediate`
 * and removed in teardown. It knows nothing of a system cluster the package may have started.
 * Durability is off (fsync, full_page_writes): the data lives as long as the test file.
 */
export interface Postgres {
  /** postgres://tmon@127.0.0.1:PORT/postgres (trust authentication: no password). */
  url: string;
  /** The same server with a password in the URL (for redaction tests: the server ignores it). */
  urlWithPassword: (password: string) => string;
  /** A schema name no other test uses: a fresh, empty store (the store's migration makes it). */
  freshSchema: () => string;
  stop: () => Promise<void>;
}

/** The newest installed PostgreSQL's binaries, e.g. /usr/lib/postgresql/15/bin. */
export function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error('PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install postgresql');
  return join(root, newest, 'bin');
}

/** Root may not run the server: as root, the commands run as the `postgres` user, who owns the folder. */
const asRoot = process.getuid?.() === 0;

function run(bin: string, args: string[], cwd: string): void {
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  // In a folder the postgres user may enter (not the repository's, which may be root's).
  const r = spawnSync(cmd, argv, { encoding: 'utf8', cwd });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
}

export async function startPostgres(): Promise<Postgres> {
  const bin = postgresBin();
  const tmp = tempDir('tmon-pg-');
  const data = join(tmp.path, 'data');
  const sockets = join(tmp.path, 'run');
  mkdirSync(sockets);
  if (asRoot) {
    const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const uid = Number(id.stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(tmp.path, uid, gid);
    chownSync(sockets, uid, gid);
  }
  run(join(bin, 'initdb'), ['-D', data, '-U', 'tmon', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C'], tmp.path);
  const port = await freePort();
  const options = `-p ${port} -k ${sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=200`;
  // `pg_ctl start -w` returns once the server accepts connections (it polls the server itself).
  run(join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', join(tmp.path, 'server.log'), '-w', '-t', '60', 'start'], tmp.path);
  const url = `postgres://tmon@127.0.0.1:${port}/postgres`;
  // And a client connection proves it: the first test must not race the server's start.
  const probe = new pg.Client({ connectionString: url });
  await probe.connect();
  await probe.end();
  let stopped = false;
  return {
    url,
    urlWithPassword: (password) => `postgres://tmon:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    freshSchema: () => `t_${randomBytes(6).toString('hex')}`,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      try {
        run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], tmp.path);
      } finally {
        tmp.cleanup();
      }
    },
  };
}
