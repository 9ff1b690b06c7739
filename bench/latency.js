// Latency: one interactive single-action batch at a time, from the file landing in the inbox
// to its reply file in the outbox, through the real daemon (its own process, durable store,
// the JS plugin in use). Baseline in the same run: a file written and renamed into a folder,
// watched the same way, which is the floor any inbox/outbox design pays.
import { mkdtempSync, renameSync, rmSync, watch, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnDaemon, writeConfig } from './pipeline.js';
import { median, now, percentile } from './stats.js';

export const name = 'latency';

/** Resolves when `file` exists in `dir` (inotify, with a short poll behind it). */
function arrival(dir, file) {
  return new Promise((resolve) => {
    const w = watch(dir);
    const check = () => {
      if (existsSync(join(dir, file))) {
        w.close();
        clearInterval(t);
        resolve();
      }
    };
    w.on('change', check);
    const t = setInterval(check, 1);
    check();
  });
}

export async function run({ quick }) {
  const n = quick ? 200 : 1000;
  const base = mkdtempSync(join(tmpdir(), 'tmon-latency-'));
  try {
    const home = join(base, 'home');
    writeConfig(home, { storeSync: 'FULL', inboxSweepMs: 1000 });
    const { child, exited } = await spawnDaemon(home);
    const inbox = join(home, 'inbox');
    const outbox = join(home, 'outbox');
    const samples = [];
    for (let i = 0; i < n + 20; i++) {
      const id = `L-${String(i).padStart(6, '0')}`;
      const text = `"" "" = {\n  "batch" "${id}" = {\n    "action" "${id}_0" = {\n      "operation" = "ACUA"\n      "hostid" = "AD"\n      "userid" = "u${i}"\n      "interactive" = "true"\n      "replyid" = "${id}-r"\n    }\n  }\n}\n`;
      // One reply per commit here, so its file is named by that one seq (first-last).
      const seq = String(i + 1).padStart(12, '0');
      const reply = `${seq}-${seq}.replies.kvg`;
      const t = now();
      writeFileSync(join(inbox, `.${id}.tmp`), text);
      renameSync(join(inbox, `.${id}.tmp`), join(inbox, `${id}.kvg`));
      await arrival(outbox, reply);
      if (i >= 20) samples.push(now() - t); // the first ones warm the JIT and the worker
    }
    child.kill('SIGTERM');
    await exited;

    // The floor: the same file handed through a watched folder, no daemon.
    const floorDir = join(base, 'floor');
    mkdirSync(floorDir);
    const floor = [];
    for (let i = 0; i < n; i++) {
      const t = now();
      const f = `f${i}.kvg`;
      const wait = arrival(floorDir, f);
      writeFileSync(join(floorDir, `.${f}`), 'x');
      renameSync(join(floorDir, `.${f}`), join(floorDir, f));
      await wait;
      floor.push(now() - t);
    }
    const p50 = median(samples);
    const p99 = percentile(samples, 99);
    return {
      title: `Latency: ${n} interactive single-action batches one at a time, inbox file → reply file (real daemon, storeSync FULL, JS plugin in use)`,
      rows: [
        ['tmon, file in → reply file out', `p50 ${p50.toFixed(1)} ms`, `p99 ${p99.toFixed(1)} ms, max ${Math.max(...samples).toFixed(1)} ms`],
        ['a file through a watched folder (floor)', `p50 ${median(floor).toFixed(2)} ms`, `p99 ${percentile(floor, 99).toFixed(2)} ms`],
      ],
      ratio: { label: 'tmon p50 / floor p50', value: p50 / median(floor), target: 'p99 <= 20 ms', met: p99 <= 20 },
    };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
