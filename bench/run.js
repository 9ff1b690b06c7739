// `npm run bench [-- --quick] [-- --only NAME]`: runs every benchmark, prints its figures and
// its ratio against a baseline measured in the same run, and (on a full run) writes
// bench/RESULTS.md with the machine and Node version.
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as parse from './parse.js';
import * as validate from './validate.js';
import * as pluginCall from './plugin-call.js';
import * as pipeline from './pipeline.js';
import * as latency from './latency.js';
import * as memory from './memory.js';
import * as ldap from './ldap.js';
import * as http from './http.js';
import * as peer from './peer.js';
import * as cluster from './cluster.js';
import * as backlogLatency from './backlog-latency.js';

const BENCHES = [parse, validate, pluginCall, pipeline, latency, memory, ldap, http, peer, backlogLatency, cluster];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;

const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version} on ${os.platform()} ${os.release()}`;
console.log(`tmon benchmarks (${quick ? 'quick' : 'full'} run)\n${machine}\n`);

const sections = [];
for (const bench of BENCHES) {
  if (only && bench.name !== only) continue;
  const result = await bench.run({ quick });
  const lines = [`## ${result.title}`, '', '| measure | time | rate |', '| --- | --- | --- |'];
  for (const row of result.rows) lines.push(`| ${row.join(' | ')} |`);
  const r = result.ratio;
  lines.push('', Number.isNaN(r.value) ? `**Ratio** (${r.label}): not measured — target ${r.target}.` : `**Ratio** (${r.label}): **${r.value.toFixed(2)}** — target ${r.target}: ${r.met ? 'met' : 'NOT met'}.`);
  if (result.notes) lines.push('', result.notes);
  const section = lines.join('\n');
  console.log(`${section}\n`);
  sections.push(section);
}

if (!quick && !only) {
  const here = dirname(fileURLToPath(import.meta.url));
  const header = `# Benchmark results\n\nWritten by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}.\nMachine: ${machine}.\n\nEvery figure is a median of repeated runs, measured side by side with its baseline in the same process.\n`;
  // The hand-written account of profiles and changes follows the figures.
  const notes = readFileSync(join(here, 'notes.md'), 'utf8');
  writeFileSync(join(here, 'RESULTS.md'), `${header}\n${sections.join('\n\n')}\n\n${notes}`);
  console.log('wrote bench/RESULTS.md');
}
