import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmon } from '../helpers/cli.js';
import { tempDir } from '../helpers/home.js';
import { ldapTarget, people } from '../helpers/ldap.js';
import { startSlapd, SUFFIX, type Slapd } from '../helpers/slapd.js';

/** `tmon targets test HOST`, the operator's health check after editing the config, against a real slapd. */
describe('tmon targets test', () => {
  let slapd: Slapd;
  let dir: ReturnType<typeof tempDir>;
  beforeAll(async () => {
    slapd = await startSlapd();
    slapd.modify(`dn: ${people('zoe')}\nobjectClass: inetOrgPerson\nuid: zoe\ncn: Zoe\nsn: Zoe\n`);
    dir = tempDir();
  });
  afterAll(async () => {
    await slapd?.destroy();
    dir?.cleanup();
  });

  const withConfig = (targets: Record<string, unknown>): string => {
    const file = join(dir.path, `config-${Object.keys(targets).join('-')}.json`);
    writeFileSync(file, JSON.stringify({ targets }));
    return file;
  };

  test('binds and reports the base DNs and a sample search, as text and as JSON', () => {
    const config = withConfig({ LDAP1: ldapTarget(slapd), SIM: { connector: 'directory' } });
    const text = tmon(['--home', dir.path, 'targets', 'test', 'LDAP1', '--config', config]);
    expect(text.status).toBe(0);
    expect(text.stdout).toBe(
      [
        `target LDAP1: ldap ${slapd.url}, bound as ${slapd.adminDn}`,
        `naming contexts: ${SUFFIX}; accounts and groups searched for under ${SUFFIX}`,
        'password modify operation: offered (ACHG uses it)',
        `usersDn ou=People,${SUFFIX}: found; first entries: ${people('zoe')}`,
        `groupsDn ou=Groups,${SUFFIX}: found; no entries yet`,
        '',
      ].join('\n'),
    );
    const r = tmon(['--home', dir.path, 'targets', '--config', config, 'test', 'LDAP1', '--json']);
    expect(JSON.parse(r.stdout)).toEqual({
      host: 'LDAP1',
      connector: 'ldap',
      ldap: {
        url: slapd.url,
        bindDn: slapd.adminDn,
        bound: true,
        vendor: '',
        namingContexts: [SUFFIX],
        base: SUFFIX,
        passwordModify: true,
        users: { dn: `ou=People,${SUFFIX}`, exists: true, sample: [people('zoe')] },
        groups: { dn: `ou=Groups,${SUFFIX}`, exists: true, sample: [] },
      },
    });
    expect(JSON.parse(tmon(['--home', dir.path, 'targets', '--config', config, '--json']).stdout)).toEqual([
      { host: 'LDAP1', connector: 'ldap', where: slapd.url },
      { host: 'SIM', connector: 'directory', where: '' },
    ]);
  });

  test('exits 1 with one line when it cannot bind, never showing the password', async () => {
    const config = withConfig({ BADPW: ldapTarget(slapd, { passwordFile: undefined, passwordEnv: 'TMON_TEST_BIND_PW' }), MISSINGOU: ldapTarget(slapd, { usersDn: `ou=Nobody,${SUFFIX}` }) });
    const r = tmon(['--home', dir.path, 'targets', 'test', 'BADPW', '--config', config], { env: { TMON_TEST_BIND_PW: 'wrong-secret' } });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`tmon: target BADPW: bind as ${slapd.adminDn}: LDAP error 49 (invalidCredentials)\n`);
    expect(r.stdout + r.stderr).not.toContain('wrong-secret');

    // A container that is not there is reported, not an error: the bind worked.
    expect(tmon(['--home', dir.path, 'targets', 'test', 'MISSINGOU', '--config', config]).stdout).toContain(`usersDn ou=Nobody,${SUFFIX}: NOT FOUND`);

    await slapd.stop();
    try {
      const down = tmon(['--home', dir.path, 'targets', 'test', 'MISSINGOU', '--config', config]);
      expect(down.status).toBe(1);
      expect(down.stderr).toBe(`tmon: target MISSINGOU: bind as ${slapd.adminDn}: cannot reach ${slapd.url}: ECONNREFUSED\n`);
    } finally {
      await slapd.start();
    }
  });
});
