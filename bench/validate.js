// Validation: a 10,000-action batch whose actions form one long dependency chain (each waits
// for the one before) plus a wide fan-out (a thousand actions waiting for the first), against
// parsing the same batch. Target: well under a second.
import { validateDocument } from '../dist/batch/index.js';
import { parseKvg, printKvg } from '../dist/index.js';
import { sideBySide } from './stats.js';
import { batchDocument } from './workload.js';

export const name = 'validate';

export async function run({ quick }) {
  const n = 10_000;
  const doc = batchDocument('BENCH-VAL', n, { chainEvery: 1 });
  const actions = doc.members[0].members;
  // The last thousand wait for the first action instead of their predecessor: the fan-out.
  for (let i = n - 1000; i < n; i++) {
    const local = actions[i].members.at(-1).members[0];
    local.members[0].value = actions[0].name;
  }
  const text = printKvg(doc);
  const parsed = parseKvg(text);
  const problems = validateDocument(parsed).problems;
  if (problems.length > 0) throw new Error(`benchmark batch is invalid: ${problems[0].message}`);
  const r = sideBySide(() => validateDocument(parsed), () => parseKvg(text), quick ? 5 : 15);
  return {
    title: `Validate a ${n.toLocaleString('en')}-action batch (a ${(n - 1000).toLocaleString('en')}-long chain and a 1,000-wide fan-out)`,
    rows: [
      ['validateDocument', `${r.subjectMs.toFixed(1)} ms`, `${Math.round(n / (r.subjectMs / 1000)).toLocaleString('en')} actions/s`],
      ['parseKvg of the same batch', `${r.baselineMs.toFixed(1)} ms`, `${Math.round(n / (r.baselineMs / 1000)).toLocaleString('en')} actions/s`],
    ],
    ratio: { label: 'validate time / parse time', value: r.ratio, target: 'validation well under 1 s', met: r.subjectMs < 1000 },
  };
}
