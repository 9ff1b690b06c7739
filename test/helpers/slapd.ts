import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './home.js';
import { waitFor } from './daemon.js';

/**
 * A real OpenLDAP server of the test's own: slapd on a free loopback port, its config and mdb
 * database in a temporary folder, with core, cosine, inetorgperson and nis schemas and the
 * ppolicy overlay (OpenLDAP 2.5 carries the ppolicy schema inside the module). It knows
 * nothing of any system slapd the package may have started, and is stopped by its pid.
 */
export interface Slapd {
  url: string;
  /** With `tls`: the ldaps:// URL, and the self-signed certificate (its own CA) in PEM. */
  ldapsUrl?: string;
  caFile?: string;
  port: number;
  dir: string;
  suffix: string;
  adminDn: string;
  adminPassword: string;
  /** A file holding the admin password, as a target's `passwordFile`. */
  passwordFile: string;
  pid: () => number | undefined;
  /** Stops the server (SIGTERM, then waits for it to exit); the database stays. */
  stop: () => Promise<void>;
  /** Starts it again on the same port with the same database. */
  start: () => Promise<void>;
  /** Stops it and removes its folder. */
  destroy: () => Promise<void>;
  /** Runs `ldapsearch` as the admin; returns its LDIF (`-LLL`, unwrapped). */
  search: (base: string, filter?: string, attrs?: string[], scope?: 'base' | 'one' | 'sub') => string;
  /** Runs `ldapadd` / `ldapmodify` as the admin with this LDIF. */
  modify: (ldif: string) => void;
  /** Client connections the server holds now (from cn=Monitor), not counting the one asking. */
  connections: () => number;
}

export const SUFFIX = 'dc=example,dc=com';
const SCHEMAS = ['core', 'cosine', 'inetorgperson', 'nis'];

function binary(name: string, dirs: string[]): string {
  return dirs.map((d) => join(d, name)).find((p) => existsSync(p)) ?? name;
}
const SLAPD = binary('slapd', ['/usr/sbin', '/usr/local/sbin', '/usr/local/libexec']);
const MODULES = ['/usr/lib/ldap', '/usr/lib64/openldap', '/usr/local/libexec/openldap'].find((d) => existsSync(d)) ?? '/usr/lib/ldap';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = createConnection(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

/** The base entries every test starts from: People, Groups, Disabled, a default password policy. */
export const BASE_LDIF = `dn: ${SUFFIX}
objectClass: dcObject
objectClass: organization
o: Example
dc: example

${['People', 'Groups', 'Disabled', 'Policies'].map((ou) => `dn: ou=${ou},${SUFFIX}\nobjectClass: organizationalUnit\nou: ${ou}\n`).join('\n')}
dn: cn=default,ou=Policies,${SUFFIX}
objectClass: pwdPolicy
objectClass: device
cn: default
pwdAttribute: userPassword
pwdLockout: TRUE
pwdLockoutDuration: 0
`;

/** A self-signed certificate for 127.0.0.1 (it is its own CA), made with the openssl command. */
function selfSignedCert(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'];
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return { cert, key };
}

export async function startSlapd(options: { tls?: boolean } = {}): Promise<Slapd> {
  const tmp = tempDir('tmon-slapd-');
  const dir = tmp.path;
  const db = join(dir, 'db');
  mkdirSync(db);
  const adminDn = `cn=admin,${SUFFIX}`;
  const adminPassword = 'admin-secret';
  const passwordFile = join(dir, 'bind.pw');
  writeFileSync(passwordFile, `${adminPassword}\n`, { mode: 0o600 });
  const tls = options.tls ? selfSignedCert(dir) : undefined;
  const conf = join(dir, 'slapd.conf');
  writeFileSync(
    conf,
    [
      ...SCHEMAS.map((s) => `include /etc/ldap/schema/${s}.schema`),
      `modulepath ${MODULES}`,
      'moduleload back_mdb',
      'moduleload ppolicy',
      `pidfile ${join(dir, 'slapd.pid')}`,
      `argsfile ${join(dir, 'slapd.args')}`,
      ...(tls ? [`TLSCertificateFile ${tls.cert}`, `TLSCertificateKeyFile ${tls.key}`] : []),
      'database mdb',
      `suffix "${SUFFIX}"`,
      `rootdn "${adminDn}"`,
      `rootpw ${adminPassword}`,
      `directory ${db}`,
      'maxsize 104857600',
      'overlay ppolicy',
      `ppolicy_default "cn=default,ou=Policies,${SUFFIX}"`,
      // cn=Monitor: lets a test count the connections the server holds.
      'database monitor',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  const ldapsUrl = tls ? `ldaps://127.0.0.1:${await freePort()}` : undefined;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async (): Promise<void> => {
    // -d 0 keeps slapd in the foreground, so this process holds its pid and sees it exit.
    const c = spawn(SLAPD, ['-f', conf, '-h', [url, ldapsUrl].filter(Boolean).map((u) => `${u}/`).join(' '), '-d', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child = c;
    exited = new Promise((resolve) => c.once('exit', () => resolve()));
    await waitFor(`slapd on port ${port}`, async () => (c.exitCode !== null ? Promise.reject(new Error(`slapd exited: ${err}`)) : accepts(port)), 10_000);
  };
  const stop = async (): Promise<void> => {
    if (child?.pid !== undefined && child.exitCode === null) {
      process.kill(child.pid, 'SIGTERM');
      await exited;
    }
    child = undefined;
  };
  const auth = ['-x', '-H', url, '-D', adminDn, '-w', adminPassword];
  const run = (cmd: string, args: string[], input = ''): string => {
    const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} ${args.slice(auth.length).join(' ')} failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  };

  await start();
  const slapd: Slapd = {
    url,
    ...(tls ? { ldapsUrl, caFile: tls.cert } : {}),
    port,
    dir,
    suffix: SUFFIX,
    adminDn,
    adminPassword,
    passwordFile,
    pid: () => child?.pid,
    stop,
    start,
    destroy: async () => {
      await stop();
      tmp.cleanup();
    },
    search: (base, filter = '(objectClass=*)', attrs = [], scope = 'sub') => run('ldapsearch', [...auth, '-LLL', '-o', 'ldif-wrap=no', '-s', scope, '-b', base, filter, ...attrs]),
    modify: (ldif) => void run('ldapmodify', [...auth, '-a'], ldif),
    connections: () => Number(ldifValues(slapd.search('cn=Current,cn=Connections,cn=Monitor', '(objectClass=*)', ['monitorCounter'], 'base'), 'monitorCounter')[0]) - 1,
  };
  slapd.modify(BASE_LDIF);
  return slapd;
}

/** One attribute's values in ldapsearch's LDIF of one entry (base64 values decoded). */
export function ldifValues(ldif: string, attr: string): string[] {
  const out: string[] = [];
  for (const line of ldif.split('\n')) {
    const m = /^([^:]+):(:?) ?(.*)$/.exec(line);
    if (!m || m[1]!.toLowerCase() !== attr.toLowerCase()) continue;
    out.push(m[2] ? Buffer.from(m[3]!, 'base64').toString('utf8') : m[3]!);
  }
  return out;
}

/** The DNs in ldapsearch's LDIF. */
export function ldifDns(ldif: string): string[] {
  return ldifValues(ldif, 'dn');
}
