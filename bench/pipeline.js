// Pipeline: batches dropped in the inbox → parsed, validated, stored → rewritten by a JS
// plugin in the worker pool → run against the directory connector → replies in the store and
// the outbox (a file per commit), with the durable store (synchronous FULL), in one process. Against it, the same
// workload through a bare loop with plugin and store replaced by in-memory no-ops: the ceiling.
// Peak RSS is sampled during the pipeline run.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DependencyGraph, validateDocument } from '../dist/batch/index.js';
import { SqliteStore } from '../dist/store/index.js';
import { parseKvg } from '../dist/index.js';
import { Outbox } from '../dist/replies/index.js';
import { now } from './stats.js';
import { pipelineWorkload } from './workload.js';

export const name = 'pipeline';
const here = fileURLToPath(new URL('.', import.meta.url));

function dropAll(inbox, batches) {
  for (const b of batches) {
    writeFileSync(join(inbox, `.${b.id}.tmp`), b.text);
    renameSync(join(inbox, `.${b.id}.tmp`), join(inbox, `${b.id}.kvg`));
  }
}

/** Peak resident memory of a process so far (Linux: VmHWM), in bytes. */
export function peakRss(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** The Node flags `npm start` gives the daemon (heap bounds), read from package.json. */
const DAEMON_FLAGS = JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8')).scripts.start.split(/\s+/).filter((w) => w.startsWith('--'));

/** Starts the real `tmon daemon` on a home, as `npm start` would; resolves once it says it started. */
export async function spawnDaemon(home) {
  const child = spawn(process.execPath, [...DAEMON_FLAGS, join(here, '..', 'bin', 'tmon.js'), '--home', home, 'daemon'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((r) => child.on('exit', r));
  const logFile = join(home, 'logs', 'tmon.log');
  for (;;) {
    if (child.exitCode !== null) throw new Error(`daemon exited: ${err}`);
    if (existsSync(logFile) && readFileSync(logFile, 'utf8').includes('tmon daemon started')) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  return { child, exited };
}

export function writeConfig(home, extra = {}) {
  mkdirSync(join(home, 'inbox'), { recursive: true });
  writeFileSync(
    join(home, 'tmon.config.json'),
    JSON.stringify({ pluginsDir: join(here, 'plugins'), rewritePlugin: 'bench-fanout', inboxSweepMs: 500, targets: { '*': { concurrency: 8 } }, maxRunning: 128, ...extra }),
  );
}

/** The real daemon, as its own process, from the files already in its inbox to the last reply. */
async function runDaemon(home, work, storeSync) {
  writeConfig(home, { storeSync });
  dropAll(join(home, 'inbox'), work.batches);
  const t = now();
  const { child, exited } = await spawnDaemon(home);
  const reader = new SqliteStore(join(home, 'tmon.db'), { readonly: true });
  for (;;) {
    const held = reader.db.prepare('SELECT count(*) AS n FROM batches').get().n;
    const open = reader.db.prepare(`SELECT count(*) AS n FROM batches WHERE state IN ('received', 'running')`).get().n;
    if (held === work.batches.length && open === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const elapsed = now() - t;
  const peak = peakRss(child.pid);
  const replies = reader.db.prepare('SELECT count(*) AS n FROM replies').get().n;
  const ran = reader.db.prepare(`SELECT count(*) AS n FROM actions WHERE state = 'succeeded'`).get().n;
  await reader.close();
  child.kill('SIGTERM');
  await exited;
  // Replies in the outbox: by default a file holds one commit's replies as a stream of groups.
  const files = readdirSync(join(home, 'outbox')).reduce((n, f) => n + (readFileSync(join(home, 'outbox', f), 'utf8').match(/^"reply" /gm)?.length ?? 0), 0);
  if (replies !== work.submitted || ran !== work.runs || files !== replies) throw new Error(`pipeline incomplete: ${replies} replies of ${work.submitted}, ${ran} actions of ${work.runs}, ${files} replies in outbox files`);
  return { elapsed, peak };
}

/** The ceiling: the same files, parsed, validated and run in dependency order in memory, replies written. */
async function runBareLoop(home, work) {
  const inbox = join(home, 'inbox');
  const outbox = join(home, 'outbox');
  mkdirSync(inbox, { recursive: true });
  dropAll(inbox, work.batches);
  const directory = new Map();
  let seq = 0;
  const mirror = new Outbox(outbox, { unmirroredReplies: async () => [], markMirrored: async () => {} });
  const t = now();
  for (const file of readdirSync(inbox).sort()) {
    const { batch } = validateDocument(parseKvg((await import('node:fs')).readFileSync(join(inbox, file), 'utf8'), { source: file }));
    rmSync(join(inbox, file));
    const fanout = batch.root.members.some((m) => m.type === 'request' && m.members.some((p) => p.key === 'fanout' && p.value === 'yes'));
    const actions = batch.actions.map((a) => ({ id: a.id, op: a.pairs.operation, host: a.pairs.hostid, user: a.pairs.userid, group: a.pairs.groupid, replyid: a.pairs.replyid, deps: a.depends.map((d) => d.action) }));
    if (fanout) actions.push({ id: `${actions[0].id}.1`, op: 'UPDT', host: actions[0].host, user: actions[0].user, replyid: '', deps: [actions[0].id] });
    const graph = new DependencyGraph(actions.map((a) => ({ id: a.id, dependsOn: a.deps })));
    const byId = new Map(actions.map((a) => [a.id, a]));
    const replies = [];
    for (const id of graph.order()) {
      const a = byId.get(id);
      const key = `${a.host}/${a.user}`;
      if (a.op === 'ACUA') directory.set(key, { groups: [] });
      else if (a.op === 'GRUA') directory.get(key).groups.push(a.group);
      if (a.replyid) replies.push({ seq: ++seq, replyid: a.replyid, batch: batch.id, action: a.id, operation: a.op, status: 'success', retval: '0', message: 'ok', at: Date.now() });
    }
    mirror.write(replies);
  }
  return { elapsed: now() - t, replies: seq };
}

export async function run({ quick }) {
  const total = quick ? 10_000 : 100_000;
  const work = pipelineWorkload(total);
  const base = mkdtempSync(join(tmpdir(), 'tmon-bench-'));
  // The same run with the home in memory shows what the disk costs (a file per reply).
  const shm = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/tmon-bench-') : undefined;
  try {
    const ceiling = await runBareLoop(join(base, 'bare'), work);
    const full = await runDaemon(join(base, 'full'), work, 'FULL');
    const normal = await runDaemon(join(base, 'normal'), work, 'NORMAL');
    const memFull = shm ? await runDaemon(join(shm, 'full'), work, 'FULL') : undefined;
    const memCeiling = shm ? await runBareLoop(join(shm, 'bare'), work) : undefined;
    const rate = (ms) => Math.round(work.runs / (ms / 1000));
    const mb = (b) => `${Math.round(b / 2 ** 20)} MB`;
    const rows = [
      ['tmon daemon, storeSync FULL (durable)', `${(full.elapsed / 1000).toFixed(1)} s`, `${rate(full.elapsed).toLocaleString('en')} actions/s; daemon peak RSS ${mb(full.peak)}`],
      ['tmon daemon, storeSync NORMAL', `${(normal.elapsed / 1000).toFixed(1)} s`, `${rate(normal.elapsed).toLocaleString('en')} actions/s; daemon peak RSS ${mb(normal.peak)}`],
      ['bare loop, no plugin, no store (ceiling)', `${(ceiling.elapsed / 1000).toFixed(1)} s`, `${rate(ceiling.elapsed).toLocaleString('en')} actions/s`],
    ];
    if (memFull && memCeiling) {
      rows.push(['home on tmpfs: tmon daemon, FULL', `${(memFull.elapsed / 1000).toFixed(1)} s`, `${rate(memFull.elapsed).toLocaleString('en')} actions/s; daemon peak RSS ${mb(memFull.peak)}`]);
      rows.push(['home on tmpfs: bare loop (ceiling)', `${(memCeiling.elapsed / 1000).toFixed(1)} s`, `${rate(memCeiling.elapsed).toLocaleString('en')} actions/s`]);
    }
    return {
      title: `Pipeline: ${work.runs.toLocaleString('en')} actions (${work.submitted.toLocaleString('en')} submitted in ${work.batches.length.toLocaleString('en')} batches of 1–20; a third fanned out) inbox → rewrite (JS plugin) → store → directory → replies`,
      rows,
      ratio: { label: 'durable pipeline rate / ceiling rate, same disk', value: ceiling.elapsed / full.elapsed, target: '>= 0.5, and >= 20,000 actions/s', met: ceiling.elapsed / full.elapsed >= 0.5 && rate(full.elapsed) >= 20_000 },
      notes: [
        `Daemon peak RSS target <= 200 MB: ${full.peak <= 200 * 2 ** 20 ? 'met' : 'NOT met'} (${mb(full.peak)}).`,
        memFull && memCeiling ? `On tmpfs the durable pipeline reaches ${rate(memFull.elapsed).toLocaleString('en')} actions/s, ${((memCeiling.elapsed / memFull.elapsed) * 100).toFixed(0)}% of its ceiling.` : '',
      ].join(' '),
    };
  } finally {
    rmSync(base, { recursive: true, force: true });
    if (shm) rmSync(shm, { recursive: true, force: true });
  }
}
