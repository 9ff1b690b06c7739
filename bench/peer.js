// Against the peer a TypeScript team would pick instead: BullMQ on Redis, on ../shared/peer's
// workload (batches of 1-20 actions, a third fanning out into two dependents), spawn model, AOF
// everysec, one worker × 400 — and the real tmon daemon (npm start's heap flags, FULL sync) on
// the identical DAG through the harness's own tmon-side.mjs, with no plugin and with a
// pass-through JS plugin. Both measured in this run; the ratio is tmon ÷ BullMQ.
// Needs redis-server on PATH (apt-get install redis-server) and the peer harness; without them
// the row says so. The harness's folder may be read-only: it is copied under bench/out/peer and
// its dependencies installed there once.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const name = 'peer';
const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');

function unavailable(title, why) {
  return { title, rows: [['not measured', why, '']], ratio: { label: 'tmon ÷ BullMQ, actions/s', value: Number.NaN, target: '≥ 3', met: false } };
}

/** A private copy of the harness with its dependencies installed. */
function harness(source) {
  const dir = join(here, 'out', 'peer');
  if (!existsSync(join(dir, 'node_modules', 'bullmq'))) {
    mkdirSync(dir, { recursive: true });
    cpSync(source, dir, { recursive: true, filter: (p) => !p.includes('node_modules') });
    // `npm install`, not `ci`: the harness's lockfile lacks other platforms' optional binaries.
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'ignore' });
  }
  return dir;
}

function tmonSide(dir, n, plugin) {
  const args = [join(dir, 'tmon-side.mjs'), '--tmon', repo, '--n', String(n), ...(plugin ? ['--plugin', plugin] : [])];
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  return JSON.parse(out.trim().split('\n').at(-1));
}

export async function run({ quick }) {
  const n = quick ? 10_000 : 100_000;
  const title = `Against BullMQ on the peer workload (${n.toLocaleString('en')} submitted actions)`;
  const source = process.env.TMON_PEER_DIR ?? resolve(repo, '..', 'shared', 'peer');
  if (!existsSync(join(source, 'tmon-side.mjs'))) return unavailable(title, `no peer harness at ${source}`);
  if (spawnSync('redis-server', ['--version']).status !== 0) return unavailable(title, 'redis-server is not installed (apt-get install redis-server)');
  const dir = harness(source);
  const { generateWorkload, fingerprint } = await import(join(dir, 'workload.mjs'));
  const { runBullmq } = await import(join(dir, 'bullmq-run.mjs'));
  const wl = generateWorkload({ n, seed: 1 });
  const bull = await runBullmq(wl, { persistence: 'aof', workers: 1, concurrency: 400, model: 'spawn' });
  const bare = tmonSide(dir, n);
  const plugged = tmonSide(dir, n, 'passthrough');
  const rate = (x) => `${Math.round(x).toLocaleString('en')} actions/s`;
  const rows = [
    ['BullMQ 6 on Redis (spawn, AOF everysec, 1 worker × 400)', `${(bull.wallMs / 1000).toFixed(1)} s`, rate(bull.actionsPerSec)],
    ['tmon daemon, FULL sync, no plugin', `${bare.wallS} s, peak RSS ${bare.peakRssMb} MB`, `${rate(bare.actionsPerSec)} (${(bare.actionsPerSec / bull.actionsPerSec).toFixed(2)}×)`],
    ['tmon daemon, FULL sync, pass-through JS plugin', `${plugged.wallS} s, peak RSS ${plugged.peakRssMb} MB`, `${rate(plugged.actionsPerSec)} (${(plugged.actionsPerSec / bull.actionsPerSec).toFixed(2)}×)`],
  ];
  const worst = Math.min(bare.actionsPerSec, plugged.actionsPerSec) / bull.actionsPerSec;
  return {
    title,
    rows,
    ratio: { label: 'tmon ÷ BullMQ, the slower of the two tmon rows', value: worst, target: '≥ 3', met: worst >= 3 },
    notes: `Workload fingerprint ${fingerprint(wl)}, ${wl.counts.executed.toLocaleString('en')} executed actions; one run each, interleaved on the same machine (the peer's README: ±15 % between runs). tmon's figure runs from the daemon's start with every batch already in the inbox to the last batch closed; BullMQ's from the first enqueue to the last completion.`,
  };
}
