// Memory: the daemon's peak resident memory (VmHWM) with a large store: N finished actions
// already held, then a fresh workload run through it. Baseline in the same run: the daemon's
// peak on an empty store with the same workload.
import { readdirSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../dist/store/index.js';
import { peakRss, spawnDaemon, writeConfig } from './pipeline.js';
import { pipelineWorkload } from './workload.js';
import { renameSync, writeFileSync } from 'node:fs';

export const name = 'memory';

/** Fills a store with `n` succeeded actions in batches of 20, as the engine would leave them. */
function prefill(home, n) {
  const store = new SqliteStore(join(home, 'tmon.db'), { synchronous: 'NORMAL' });
  const db = store.db;
  const insB = db.prepare(`INSERT INTO batches (id, state, document, digest, source, received_at, updated_at, finished_at) VALUES (?, 'succeeded', ?, ?, ?, ?, ?, ?)`);
  const insA = db.prepare(`INSERT INTO actions (batch_id, id, queue_seq, primary_id, plugin, rewritten, state, operation, hostid, userid, replyid, interactive, document, attempts, retval, created_at, updated_at, finished_at)
    VALUES (?, ?, ?, ?, NULL, 1, 'succeeded', 'GRUA', ?, ?, ?, 0, ?, 1, '0', ?, ?, ?)`);
  const insR = db.prepare(`INSERT INTO replies (replyid, batch_id, action_id, operation, status, retval, message, at, mirrored) VALUES (?, ?, ?, 'GRUA', 'success', '0', 'ok', ?, 1)`);
  const now = Date.now();
  let seq = 0;
  const perTx = 500;
  for (let b = 0; b * 20 < n; b += perTx) {
    db.transaction(() => {
      for (let k = b; k < b + perTx && k * 20 < n; k++) {
        const id = `OLD-${k}`;
        insB.run(id, `"" "" = { "batch" "${id}" = { } }`, `d${k}`, `${id}.kvg`, now, now, now);
        for (let i = 0; i < 20; i++) {
          const aid = `${id}_${i}`;
          const doc = JSON.stringify({ type: 'action', name: aid, members: [{ key: 'operation', value: 'GRUA' }, { key: 'hostid', value: `H${k % 8}` }, { key: 'userid', value: `old${k}` }, { key: 'groupid', value: `g${i}` }] });
          insA.run(id, aid, ++seq, aid, `H${k % 8}`, `old${k}`, `${aid}-r`, doc, now, now, now);
          insR.run(`${aid}-r`, id, aid, now);
        }
      }
    })();
  }
  store.close();
}

async function runWith(home, work) {
  writeConfig(home, { storeSync: 'NORMAL' });
  for (const b of work.batches) {
    writeFileSync(join(home, 'inbox', `.${b.id}.tmp`), b.text);
    renameSync(join(home, 'inbox', `.${b.id}.tmp`), join(home, 'inbox', `${b.id}.kvg`));
  }
  const { child, exited } = await spawnDaemon(home);
  const reader = new SqliteStore(join(home, 'tmon.db'), { readonly: true });
  for (;;) {
    const open = reader.db.prepare(`SELECT count(*) AS n FROM batches WHERE state IN ('received', 'running')`).get().n;
    if (open === 0 && readdirSync(join(home, 'inbox')).filter((f) => f.endsWith('.kvg')).length === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await reader.close();
  const peak = peakRss(child.pid);
  child.kill('SIGTERM');
  await exited;
  return peak;
}

export async function run({ quick }) {
  const stored = quick ? 100_000 : 1_000_000;
  const work = pipelineWorkload(quick ? 2_000 : 10_000, 11);
  const base = mkdtempSync(join(tmpdir(), 'tmon-memory-'));
  try {
    const empty = await runWith(join(base, 'empty'), work);
    const bigHome = join(base, 'big');
    writeConfig(bigHome);
    prefill(bigHome, stored);
    const big = await runWith(bigHome, work);
    const mb = (b) => `${Math.round(b / 2 ** 20)} MB`;
    return {
      title: `Memory: daemon peak RSS running ${work.runs.toLocaleString('en')} actions, on an empty store and on one already holding ${stored.toLocaleString('en')} actions`,
      rows: [
        [`store holding ${stored.toLocaleString('en')} actions`, mb(big), ''],
        ['empty store (baseline)', mb(empty), ''],
      ],
      ratio: { label: 'peak with the big store / peak with the empty one', value: big / empty, target: '<= 200 MB', met: big <= 200 * 2 ** 20 },
    };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
