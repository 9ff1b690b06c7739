// Several daemons on one PostgreSQL store (issue 18): the peer workload (../shared/peer, batches
// of 1-20 actions, a third fanning out into two dependents), its batches dealt round-robin into
// the inboxes of 1, 2 and 3 real daemons (npm start's heap flags) sharing one database, against
// one daemon on SQLite (FULL sync) on the same workload in the same run. PostgreSQL runs with
// its durable defaults (fsync on, synchronous_commit on), so both sides flush every commit.
// Needs PostgreSQL's server binaries (apt-get install postgresql) and the peer harness; without
// them the row says so. The server is the benchmark's own, on a free loopback port in a
// temporary folder, stopped by pid (the tests' helper, test/helpers/postgres.ts, does the same
// in TypeScript, with durability off).
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const name = 'cluster';
const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const TMON = join(repo, 'bin', 'tmon.js');

const freePort = () =>
  new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });

function postgresBin() {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  return newest ? join(root, newest, 'bin') : undefined;
}

/** A durable PostgreSQL of the benchmark's own; as root, run as the postgres user. */
async function startPostgres(bin) {
  const dir = mkdtempSync(join(tmpdir(), 'tmon-bench-pg-'));
  const asRoot = process.getuid?.() === 0;
  const run = (cmd, args) => {
    const [c, a] = asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
    const r = spawnSync(c, a, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
  };
  if (asRoot) {
    const id = (flag) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, id('-u'), id('-g'));
  }
  const data = join(dir, 'data');
  run(join(bin, 'initdb'), ['-D', data, '-U', 'tmon', '-A', 'trust', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  run(join(bin, 'pg_ctl'), ['-D', data, '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=100`, '-l', join(dir, 'server.log'), '-w', 'start']);
  return {
    url: `postgres://tmon@127.0.0.1:${port}/postgres`,
    stop: () => {
      try {
        run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** The peer's workload with operations every daemon's directory connector carries out (as tmon-side.mjs maps them). */
function workload(generateWorkload, n) {
  const wl = generateWorkload({ n, seed: 1 });
  const primaryOf = new Map();
  for (const b of wl.batches) {
    for (const a of b.actions) {
      if (a.primary) {
        Object.assign(a, { operation: 'ACUA', userid: a.id, accountid: a.id.toLowerCase(), groupid: '', newpw: '', attributes: null });
        primaryOf.set(a.id, a);
      } else {
        const p = primaryOf.get(a.depends[0]);
        Object.assign(a, { operation: 'GRUA', hostid: p.hostid, userid: p.userid, accountid: p.accountid });
      }
    }
  }
  return wl;
}

/** Runs `daemons` daemons on `store` (null: one on SQLite) until every batch is final; actions/s. */
async function runCluster(wl, toKVGroup, daemons, store, finalCount) {
  const base = mkdtempSync(join(tmpdir(), 'tmon-bench-cluster-'));
  const flags = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).scripts.start.split(/\s+/).filter((w) => w.startsWith('--'));
  const homes = Array.from({ length: daemons }, (_, i) => join(base, `d${i}`));
  for (const home of homes) {
    mkdirSync(join(home, 'inbox'), { recursive: true });
    const cfg = { storeSync: 'FULL', targets: { '*': { concurrency: 8 } }, maxRunning: 128, inboxSweepMs: 500, ...(store ? { store } : {}) };
    writeFileSync(join(home, 'tmon.config.json'), JSON.stringify(cfg));
  }
  wl.batches.forEach((b, i) => {
    const inbox = join(homes[i % daemons], 'inbox');
    writeFileSync(join(inbox, `.${b.id}.tmp`), toKVGroup(b));
    renameSync(join(inbox, `.${b.id}.tmp`), join(inbox, `${b.id}.kvg`));
  });
  const t0 = performance.now();
  // The daemons of one database share its secret key (docs/postgres.md).
  const env = { ...process.env, TMON_SECRET_KEY: randomBytes(32).toString('hex') };
  const children = homes.map((home) => spawn(process.execPath, [...flags, TMON, '--home', home, 'daemon'], { stdio: ['ignore', 'ignore', 'pipe'], env }));
  const stderr = children.map((c) => {
    let text = '';
    c.stderr.on('data', (d) => (text = (text + d).slice(-2000)));
    return () => text;
  });
  try {
    const total = wl.batches.length;
    for (;;) {
      const done = await finalCount(homes[0]);
      if (done >= total) break;
      const gone = children.findIndex((c) => c.exitCode !== null);
      if (gone >= 0) throw new Error(`a daemon exited before the work was done: ${stderr[gone]()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const wallS = (performance.now() - t0) / 1000;
    return { wallS, actionsPerSec: wl.counts.executed / wallS };
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
    rmSync(base, { recursive: true, force: true });
  }
}

export async function run({ quick }) {
  const n = quick ? 3_000 : 20_000;
  const title = `Several daemons on one PostgreSQL store (the peer workload, ${n.toLocaleString('en')} submitted actions)`;
  const ratio = { label: '3 daemons on PostgreSQL ÷ 1 daemon on SQLite, actions/s', target: 'report (2 cores)' };
  const bin = postgresBin();
  const source = process.env.TMON_PEER_DIR ?? resolve(repo, '..', 'shared', 'peer');
  if (!bin || !existsSync(join(source, 'workload.mjs'))) {
    return { title, rows: [['not measured', !bin ? 'PostgreSQL is not installed (apt-get install postgresql)' : `no peer harness at ${source}`, '']], ratio: { ...ratio, value: Number.NaN, met: false } };
  }
  // workload.mjs imports nothing: it is read where it is, without the harness's dependencies.
  const { generateWorkload, toKVGroup } = await import(join(source, 'workload.mjs'));
  const rate = (r) => `${Math.round(r.actionsPerSec).toLocaleString('en')} actions/s`;
  const sqliteDone = async (home) => {
    const { default: Database } = await import('better-sqlite3');
    if (!existsSync(join(home, 'tmon.db'))) return 0;
    const db = new Database(join(home, 'tmon.db'), { readonly: true });
    try {
      return db.prepare("SELECT count(*) AS n FROM batches WHERE state NOT IN ('received','running')").get().n;
    } catch {
      return 0;
    } finally {
      db.close();
    }
  };
  const rows = [];
  const sqlite = await runCluster(workload(generateWorkload, n), toKVGroup, 1, null, sqliteDone);
  rows.push(['1 daemon on SQLite (FULL sync)', `${sqlite.wallS.toFixed(1)} s`, rate(sqlite)]);
  const server = await startPostgres(bin);
  let three;
  try {
    for (const daemons of [1, 2, 3]) {
      const schema = `bench${daemons}`;
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      const done = async () => {
        try {
          return Number((await client.query(`SELECT count(*) AS n FROM ${schema}.batches WHERE state NOT IN ('received','running')`)).rows[0].n);
        } catch {
          return 0; // the first daemon has not made the schema yet
        }
      };
      try {
        const r = await runCluster(workload(generateWorkload, n), toKVGroup, daemons, { kind: 'postgres', url: server.url, schema }, done);
        rows.push([`${daemons} daemon${daemons > 1 ? 's' : ''} on PostgreSQL (fsync on)`, `${r.wallS.toFixed(1)} s`, `${rate(r)} (${(r.actionsPerSec / sqlite.actionsPerSec).toFixed(2)}× SQLite)`]);
        if (daemons === 3) three = r;
      } finally {
        await client.end();
      }
    }
  } finally {
    server.stop();
  }
  return {
    title,
    rows,
    ratio: { ...ratio, value: three.actionsPerSec / sqlite.actionsPerSec, met: true },
    notes:
      'Every daemon, PostgreSQL and the benchmark share the same 2 cores: more daemons add contention, not capacity, so no gain is expected here. ' +
      'What would change it: daemons on their own machines (each core pair then adds a daemon\'s throughput until the database\'s commit rate or the claim lock, one transaction per turn per daemon, becomes the limit), and a database on its own disk.',
  };
}
