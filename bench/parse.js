// Parse: KVGroup text of a generated 10,000-action batch (about 10 MB) against JSON.parse of
// the JSON view of the same document. Target: the ratio within 4x.
import { parseKvg, printKvg } from '../dist/index.js';
import { sideBySide } from './stats.js';
import { batchDocument } from './workload.js';

export const name = 'parse';

export async function run({ quick }) {
  const actions = 10_000;
  const doc = batchDocument('BENCH-PARSE', actions);
  const kvg = printKvg(doc);
  const json = JSON.stringify(doc);
  const mb = Buffer.byteLength(kvg) / 1e6;
  const r = sideBySide(() => parseKvg(kvg), () => JSON.parse(json), quick ? 5 : 15);
  return {
    title: `Parse a ${actions.toLocaleString('en')}-action batch (${mb.toFixed(1)} MB of KVGroup, ${(Buffer.byteLength(json) / 1e6).toFixed(1)} MB as JSON)`,
    rows: [
      ['KVGroup parse (parseKvg)', `${r.subjectMs.toFixed(1)} ms`, `${(mb / (r.subjectMs / 1000)).toFixed(1)} MB/s`],
      ['JSON.parse of the JSON view', `${r.baselineMs.toFixed(1)} ms`, `${(Buffer.byteLength(json) / 1e6 / (r.baselineMs / 1000)).toFixed(1)} MB/s`],
    ],
    ratio: { label: 'parseKvg time / JSON.parse time', value: r.ratio, target: '<= 4', met: r.ratio <= 4 },
  };
}
