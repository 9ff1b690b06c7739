// Generators of synthetic batches for the benchmarks. Deterministic (seeded), so two runs
// measure the same bytes.

/** A small deterministic PRNG (mulberry32), so workloads do not depend on Math.random. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const OPS = ['ACUA', 'GRUA', 'DNAU', 'UPDT', 'GRUD', 'ENAU'];

/**
 * One action as a document-model group, about 1 KB of KVGroup text: the pairs of the
 * contract's action, an attributes group, and a depends group on the previous action when
 * `dependsOn` is given.
 */
export function action(batchId, index, random, dependsOn) {
  const user = `user${index}`;
  const members = [
    { key: 'operation', value: OPS[index % OPS.length] },
    { key: 'hostid', value: `HOST${index % 7}` },
    { key: 'userid', value: user },
    { key: 'accountid', value: `${user}.acct` },
    { key: 'fname', value: `User Number ${index}, \"quoted\" name` },
    { key: 'groupid', value: `CN=group${index % 50},OU=Groups,DC=example,DC=com` },
    { key: 'groupname', value: `group${index % 50}` },
    { key: 'homeDir', value: `\\\\fileserver\\home\\${user}` },
    { key: 'modelid', value: '' },
    { key: 'modelHomeDir', value: '' },
    { key: 'modelShare', value: '' },
    { key: 'share', value: '' },
    { key: 'newpw', value: '' },
    { key: 'interactive', value: random() < 0.1 ? 'true' : 'false' },
    { key: 'replyid', value: `r-${batchId}-${index}` },
    {
      type: 'attributes',
      name: '',
      members: [
        { key: 'mail', value: `${user}@example.com` },
        { key: 'department', value: `Department ${Math.floor(random() * 100)}` },
        { key: 'title', value: 'Senior Identity Engineer' },
        { key: 'description', value: `Line one\nLine two for ${user}\twith a tab` },
        { key: 'telephoneNumber', value: `+1 555 ${String(index).padStart(7, '0')}` },
        { key: 'manager', value: `CN=manager${index % 13},OU=People,DC=example,DC=com` },
      ],
    },
    {
      type: 'depends',
      name: '',
      members:
        dependsOn === undefined
          ? []
          : [{ type: 'local', name: '', members: [{ key: 'action', value: `${batchId}_${dependsOn}` }, { key: 'batch', value: batchId }] }],
    },
  ];
  return { type: 'action', name: `${batchId}_${index}`, members };
}

/** A batch document with `n` actions; every `chainEvery`th action depends on the one before. */
export function batchDocument(batchId, n, { seed = 1, chainEvery = 3 } = {}) {
  const random = rng(seed);
  const actions = [];
  for (let i = 0; i < n; i++) actions.push(action(batchId, i, random, i > 0 && i % chainEvery === 0 ? i - 1 : undefined));
  return {
    type: '',
    name: '',
    members: [
      { type: 'batch', name: batchId, members: actions },
      { type: 'request', name: '', members: [{ key: 'requester', value: 'AUTH2' }, { key: 'requestID', value: batchId }] },
    ],
  };
}

/**
 * The pipeline workload: batches of 1–20 submitted actions (an ACUA of a new account, then
 * group additions that wait for it), spread over 8 targets; a third of the batches ask the
 * bench plugin to fan the ACUA out into ACUA + UPDT. Returns the files' texts and the number of
 * actions that will run (fan-out included).
 */
export function pipelineWorkload(totalActions, seed = 7) {
  const random = rng(seed);
  const batches = [];
  let actions = 0;
  for (let b = 0; actions < totalActions; b++) {
    const id = `P-${String(b).padStart(6, '0')}`;
    const size = Math.min(totalActions - actions, 1 + Math.floor(random() * 20));
    const fanout = b % 3 === 0;
    const host = `HOST${b % 8}`;
    const user = `user${b}`;
    const lines = [`"" "" = {`, `  "batch" "${id}" = {`];
    for (let i = 0; i < size; i++) {
      const op = i === 0 ? 'ACUA' : 'GRUA';
      lines.push(`    "action" "${id}_${i}" = {`);
      lines.push(`      "operation" = "${op}"`, `      "hostid" = "${host}"`, `      "userid" = "${user}"`, `      "groupid" = "${i === 0 ? '' : `group${i}`}"`);
      lines.push(`      "interactive" = "false"`, `      "replyid" = "${id}-r${i}"`);
      lines.push(`      "depends" "" = {`);
      if (i > 0) lines.push(`        "local" "" = {`, `          "action" = "${id}_0"`, `          "batch" = "${id}"`, `        }`);
      lines.push(`      }`, `    }`);
    }
    lines.push(`  }`, `  "request" "" = {`, `    "fanout" = "${fanout ? 'yes' : 'no'}"`, `  }`, `}`, ``);
    batches.push({ id, text: lines.join('\n'), submitted: size, runs: size + (fanout ? 1 : 0) });
    actions += size;
  }
  return { batches, submitted: actions, runs: batches.reduce((n, b) => n + b.runs, 0) };
}
