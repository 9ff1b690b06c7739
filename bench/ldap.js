// LDAP: actions per second the ldap connector carries out against a real slapd (its own, on a
// loopback port, mdb database as shipped: every write synced), at the target's default
// concurrency (4 actions at once, a pool of 4 connections) and one at a time. Each account
// takes three actions: ACUA, GRUA (into one shared group), DNAU. Baseline in the same run: the
// same number of bare ldapts adds of the same entries on one pooled-size set of connections,
// which is the floor: one request per action, no lookups.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { readAction } from '../dist/batch/index.js';
import { LdapConnector, ldapSettings } from '../dist/connectors/index.js';
import { normaliseConfig, targetFor, TARGET_DEFAULTS } from '../dist/config/index.js';
import { median, now } from './stats.js';

export const name = 'ldap';
const SUFFIX = 'dc=bench,dc=example';
const ADMIN = `cn=admin,${SUFFIX}`;
const PASSWORD = 'bench-secret';

const port = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
const listening = (p) =>
  new Promise((resolve) => {
    const c = createConnection(p, '127.0.0.1');
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });

/** A slapd of the benchmark's own in `dir` (the tests' helper does the same in TypeScript). */
async function slapd(dir) {
  const p = await port();
  mkdirSync(join(dir, 'db'));
  const conf = ['core', 'cosine', 'inetorgperson', 'nis'].map((s) => `include /etc/ldap/schema/${s}.schema`);
  conf.push('modulepath /usr/lib/ldap', 'moduleload back_mdb', 'moduleload ppolicy', `pidfile ${dir}/slapd.pid`, 'database mdb', `suffix "${SUFFIX}"`);
  conf.push(`rootdn "${ADMIN}"`, `rootpw ${PASSWORD}`, `directory ${dir}/db`, 'maxsize 1073741824', 'overlay ppolicy');
  writeFileSync(join(dir, 'slapd.conf'), `${conf.join('\n')}\n`);
  writeFileSync(join(dir, 'bind.pw'), PASSWORD);
  const bin = existsSync('/usr/sbin/slapd') ? '/usr/sbin/slapd' : 'slapd';
  const child = spawn(bin, ['-f', join(dir, 'slapd.conf'), '-h', `ldap://127.0.0.1:${p}/`, '-d', '0'], { stdio: 'ignore' });
  while (!(await listening(p))) {
    if (child.exitCode !== null) throw new Error('slapd did not start');
    await new Promise((r) => setTimeout(r, 20));
  }
  const ldif = [`dn: ${SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: bench\ndc: bench`];
  for (const ou of ['People', 'Groups', 'Floor']) ldif.push(`dn: ou=${ou},${SUFFIX}\nobjectClass: organizationalUnit\nou: ${ou}`);
  ldif.push(`dn: cn=all,ou=Groups,${SUFFIX}\nobjectClass: groupOfNames\ncn: all\nmember:`);
  const r = spawnSync('ldapadd', ['-x', '-H', `ldap://127.0.0.1:${p}`, '-D', ADMIN, '-w', PASSWORD], { input: `${ldif.join('\n\n')}\n` });
  if (r.status !== 0) throw new Error(`ldapadd: ${r.stderr}`);
  return { url: `ldap://127.0.0.1:${p}`, child, stop: () => new Promise((res) => (child.once('exit', res), child.kill('SIGTERM'))) };
}

const action = (op, userid, more = {}) =>
  readAction({ type: 'action', name: 'a', members: Object.entries({ operation: op, hostid: 'LDAP', userid, ...more }).map(([key, value]) => ({ key, value })) });

/** Runs `jobs` with `width` at a time; returns elapsed ms. */
async function drive(jobs, width) {
  let next = 0;
  const t = now();
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < jobs.length) await jobs[next++]();
  }));
  return now() - t;
}

export async function run({ quick }) {
  const n = quick ? 100 : 400;
  const rounds = quick ? 1 : 5;
  const width = TARGET_DEFAULTS.concurrency;
  const dir = mkdtempSync(join(tmpdir(), 'tmon-bench-ldap-'));
  const server = await slapd(dir);
  try {
    const config = normaliseConfig({ targets: { LDAP: { connector: 'ldap', url: server.url, bindDn: ADMIN, passwordFile: join(dir, 'bind.pw'), usersDn: `ou=People,${SUFFIX}`, groupsDn: `ou=Groups,${SUFFIX}` } } }, dir);
    const connector = new LdapConnector(ldapSettings('LDAP', targetFor(config, 'LDAP')));
    const exec = (a) => connector.execute({ batchId: 'b', action: a, attempt: 1, recovery: false });
    const accountJobs = (prefix, count = n) =>
      Array.from({ length: count }, (_, i) => async () => {
        const u = `${prefix}${i}`;
        await exec(action('ACUA', u, { fname: `Bench User ${i}` }));
        await exec(action('GRUA', u, { groupid: 'all' }));
        await exec(action('DNAU', u));
      });
    // The floor: one bare add per action, same entries, same number of connections.
    const clients = await Promise.all(Array.from({ length: width }, async () => {
      const c = new Client({ url: server.url });
      await c.bind(ADMIN, PASSWORD);
      return c;
    }));
    let k = 0;
    const floorJobs = (round) =>
      Array.from({ length: 3 * n }, (_, i) => async () => {
        const c = clients[k++ % width];
        await c.add(`uid=f${round}-${i},ou=Floor,${SUFFIX}`, { objectClass: ['inetOrgPerson'], uid: `f${round}-${i}`, cn: `Bench User ${i}`, sn: `${i}` });
      });
    await drive(accountJobs('warm', 20), width);
    // Side by side, alternating, so that both see the same disk (its sync time varies a lot here).
    const concurrentRuns = [];
    const floorRuns = [];
    for (let round = 0; round < rounds; round++) {
      concurrentRuns.push(await drive(accountJobs(`c${round}-`), width));
      floorRuns.push(await drive(floorJobs(round), width));
    }
    const concurrent = median(concurrentRuns);
    const floor = median(floorRuns);
    const serial = (await drive(accountJobs('s', n / 4), 1)) * 4;
    await connector.close();
    await Promise.all(clients.map((c) => c.unbind()));

    const rate = (ms) => ((3 * n) / ms) * 1000;
    return {
      title: `LDAP: ${3 * n} actions (ACUA, GRUA, DNAU per account) through the ldap connector against a local slapd (mdb, synced writes)`,
      rows: [
        [`connector, ${width} at a time (pool of ${width})`, `${concurrent.toFixed(0)} ms`, `${rate(concurrent).toFixed(0)} actions/s`],
        ['connector, one at a time (a quarter of the accounts, time ×4)', `${serial.toFixed(0)} ms`, `${rate(serial).toFixed(0)} actions/s`],
        [`bare ldapts adds, ${width} at a time (floor)`, `${floor.toFixed(0)} ms`, `${rate(floor).toFixed(0)} requests/s`],
      ],
      ratio: { label: 'connector actions/s / bare adds/s, both at the target concurrency', value: rate(concurrent) / rate(floor), target: 'report only', met: true },
      notes: 'Each connector action is several requests: a lookup of the account (a base read of its default DN), then the change; GRUA also reads the group and drops the empty placeholder member. Medians of alternating runs; slapd shares the machine (and its disk, whose sync time varies widely) with the benchmark.',
    };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
