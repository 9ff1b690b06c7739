// HTTP API: batches per second submitted over loopback HTTP by several clients at once (each
// 202 means durable), then reply-feed latency: one interactive batch at a time, from the POST
// to its reply read through the long poll. Real daemon, its own process, storeSync FULL, the JS
// plugin in use. Baseline in the same run and daemon: the same batches dropped into the inbox
// folder and followed through the same feed, so the ratio is what HTTP adds to submitting.
// Bounded: fixed counts, loopback only, and a deadline after which it stops itself.
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnDaemon, writeConfig } from './pipeline.js';
import { median, now, percentile } from './stats.js';

export const name = 'http';

const TOKEN = 'bench-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };
/** The whole benchmark stops with an error past this, whatever happens. */
const DEADLINE_MS = 180_000;

const batch = (id, i, interactive) =>
  `"" "" = {\n  "batch" "${id}" = {\n    "action" "${id}_0" = {\n      "operation" = "ACUA"\n      "hostid" = "AD"\n      "userid" = "u${i}"\n      "interactive" = "${interactive}"\n      "replyid" = "${id}-r"\n    }\n  }\n}\n`;

async function post(base, text) {
  const res = await fetch(`${base}/v1/batches`, { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body: text, signal: AbortSignal.timeout(30_000) });
  await res.arrayBuffer();
  if (res.status !== 202) throw new Error(`POST /v1/batches: ${res.status}`);
}

/** Long-polls from `after` until a reply with this replyid arrives; returns the last seq read. */
async function awaitReply(base, after, replyid) {
  for (;;) {
    const res = await fetch(`${base}/v1/replies?after=${after}&wait=30&limit=1000`, { headers: auth, signal: AbortSignal.timeout(40_000) });
    const body = await res.json();
    after = body.last;
    if (body.replies.some((r) => r.replyid === replyid)) return after;
  }
}

export async function run({ quick }) {
  const n = quick ? 400 : 2000;
  const clients = 8;
  const rounds = quick ? 100 : 400;
  const dir = mkdtempSync(join(tmpdir(), 'tmon-bench-http-'));
  const home = join(dir, 'home');
  writeConfig(home, { storeSync: 'FULL', http: { listen: '127.0.0.1:0', tokens: [{ name: 'bench', token: TOKEN, roles: ['submit', 'read'] }] } });
  const { child, exited } = await spawnDaemon(home);
  const deadline = setTimeout(() => {
    child.kill('SIGKILL');
    console.error(`bench http: over ${DEADLINE_MS / 1000} s; stopped`);
    process.exit(1);
  }, DEADLINE_MS);
  try {
    const base = /http api listening on (http:\/\/[^"\s]+)/.exec(readFileSync(join(home, 'logs', 'tmon.log'), 'utf8'))[1];

    // Throughput: `clients` concurrent submitters share n batches.
    let next = 0;
    const t0 = now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        for (let i = next++; i < n; i = next++) await post(base, batch(`T-${String(i).padStart(6, '0')}`, i, 'false'));
      }),
    );
    const submitMs = now() - t0;
    // Every reply of the burst, read through the feed by one consumer keeping its cursor.
    let after = 0;
    for (let seen = 0; seen < n; ) {
      const res = await fetch(`${base}/v1/replies?after=${after}&wait=30&limit=1000`, { headers: auth, signal: AbortSignal.timeout(40_000) });
      const body = await res.json();
      seen += body.replies.length;
      after = body.last;
    }
    const allMs = now() - t0;

    // Latency, one interactive batch at a time, alternately POSTed and dropped into the inbox
    // folder, each followed until its reply comes back through the long poll.
    const viaHttp = [];
    const viaFile = [];
    const floor = [];
    const inbox = join(home, 'inbox');
    for (let i = 0; i < 2 * (rounds + 10); i++) {
      const id = `L-${String(i).padStart(6, '0')}`;
      const text = batch(id, n + i, 'true');
      const t = now();
      if (i % 2) await post(base, text);
      else {
        writeFileSync(join(inbox, `.${id}.tmp`), text);
        renameSync(join(inbox, `.${id}.tmp`), join(inbox, `${id}.kvg`));
      }
      after = await awaitReply(base, after, `${id}-r`);
      const ms = now() - t;
      const h = now();
      await (await fetch(`${base}/healthz`)).arrayBuffer();
      if (i >= 20) {
        (i % 2 ? viaHttp : viaFile).push(ms);
        floor.push(now() - h);
      }
    }
    const p50 = median(viaHttp);
    const fileP50 = median(viaFile);
    return {
      title: `HTTP API: ${n} single-action batches POSTed by ${clients} clients; then ${rounds} interactive batches one at a time, POST → reply via long poll, beside as many inbox files → reply via long poll (real daemon, loopback, storeSync FULL, JS plugin in use)`,
      rows: [
        ['POST /v1/batches, 202 each (durable)', `${(submitMs / 1000).toFixed(2)} s`, `${Math.round(n / (submitMs / 1000))} batches/s`],
        ['… until every reply is read from the feed', `${(allMs / 1000).toFixed(2)} s`, `${Math.round(n / (allMs / 1000))} batches/s`],
        ['reply-feed latency, POST → long poll answers', `p50 ${p50.toFixed(1)} ms`, `p99 ${percentile(viaHttp, 99).toFixed(1)} ms, max ${Math.max(...viaHttp).toFixed(1)} ms`],
        ['inbox file → long poll answers (baseline)', `p50 ${fileP50.toFixed(1)} ms`, `p99 ${percentile(viaFile, 99).toFixed(1)} ms`],
        ['GET /healthz round trip', `p50 ${median(floor).toFixed(2)} ms`, `p99 ${percentile(floor, 99).toFixed(2)} ms`],
      ],
      ratio: { label: 'POST → reply p50 / inbox file → reply p50', value: p50 / fileP50, target: '<= 1.5: submitting over HTTP costs little more than the file path', met: p50 / fileP50 <= 1.5 },
    };
  } finally {
    clearTimeout(deadline);
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}
