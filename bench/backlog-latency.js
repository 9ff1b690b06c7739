// Interactive work while a backlog drains (issue 12): the peer workload sits in the inbox of the
// real daemon (npm start's flags, no plugin); once it runs, one interactive single-action batch
// is dropped every 250 ms and timed from its rename into the inbox to its reply in the store
// (../shared/peer/latency-under-load.mjs). Baseline in the same run: the same probes behind a
// backlog of 100 actions, which is drained at once (an idle daemon).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const name = 'backlog-latency';
const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');

function probe(source, n, probes) {
  const out = execFileSync(process.execPath, [join(source, 'latency-under-load.mjs'), '--tmon', repo, '--n', String(n), '--probes', String(probes)], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return JSON.parse(out.trim().split('\n').at(-1));
}

export async function run({ quick }) {
  const n = quick ? 10_000 : 100_000;
  const probes = quick ? 20 : 80;
  const title = `Interactive latency while a backlog of ${n.toLocaleString('en')} submitted actions drains (real daemon, FULL sync, no plugin)`;
  const source = process.env.TMON_PEER_DIR ?? resolve(repo, '..', 'shared', 'peer');
  if (!existsSync(join(source, 'latency-under-load.mjs'))) {
    return { title, rows: [['not measured', `no peer harness at ${source}`, '']], ratio: { label: 'p99 under the backlog, ms', value: Number.NaN, target: '≤ 50', met: false } };
  }
  const idle = probe(source, 100, probes);
  const loaded = probe(source, n, probes);
  const ms = (r) => `p50 ${r.p50ms} ms, p99 ${r.p99ms} ms, max ${r.maxms} ms`;
  return {
    title,
    rows: [
      [`${probes} probes behind 100 actions (idle)`, ms(idle), ''],
      [`${probes} probes while ${n.toLocaleString('en')} drain`, ms(loaded), `${loaded.backlogBatchesLeft} batches still open in the store at the end`],
    ],
    ratio: { label: 'p99 under the backlog, ms', value: loaded.p99ms, target: '≤ 50', met: loaded.p99ms <= 50 },
    notes: 'A probe is an interactive single-action batch renamed into the inbox every 250 ms; its time runs to its reply committed in the store. With 80 probes, the harness’s p99 is the worst probe (its index is floor(0.99 × 80)).',
  };
}
