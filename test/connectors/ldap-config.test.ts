import { ConfigError, normaliseConfig, targetFor } from '../../src/config/index.js';
import { ldapSettings } from '../../src/connectors/index.js';

const errorsOf = (targets: unknown): string[] => {
  try {
    normaliseConfig({ targets }, '/base');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).errors;
  }
  throw new Error('expected a ConfigError');
};

const valid = { connector: 'ldap', url: 'ldap://127.0.0.1:389', bindDn: 'cn=admin,dc=example,dc=com', passwordFile: 'bind.pw', usersDn: 'ou=People,dc=example,dc=com' };

describe('ldap target config', () => {
  test('a complete target: paths relative to the config, defaults filled in', () => {
    const c = normaliseConfig({ targets: { LDAP1: { ...valid, tls: { ca: 'ca.pem' }, groupsDn: 'ou=Groups,dc=example,dc=com' } } }, '/base');
    const s = ldapSettings('LDAP1', targetFor(c, 'LDAP1'));
    expect(s).toMatchObject({
      url: 'ldap://127.0.0.1:389',
      passwordFile: '/base/bind.pw',
      tls: { ca: '/base/ca.pem' },
      userRdn: 'uid',
      objectClasses: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'],
      poolSize: 4,
      startTls: false,
      timeoutMs: 30_000,
      attributes: {},
    });
  });

  test('the required keys, one error each, with the key path', () => {
    expect(errorsOf({ LDAP1: { connector: 'ldap' } })).toEqual([
      'targets.LDAP1.url: is required for the ldap connector',
      'targets.LDAP1.bindDn: is required for the ldap connector',
      'targets.LDAP1.usersDn: is required for the ldap connector',
      'targets.LDAP1.passwordFile: the ldap connector needs passwordFile or passwordEnv for the bind password',
    ]);
    // "*" can hold the server for every target.
    expect(normaliseConfig({ targets: { '*': valid, LDAP2: { usersDn: 'ou=Staff,dc=example,dc=com' } } }, '/base').targets.LDAP2).toBeDefined();
  });

  test('values are checked: URL, DNs, attribute names, and keys that belong to other connectors', () => {
    expect(errorsOf({ A: { ...valid, url: 'http://x', usersDn: 'People', attributes: { mail: 'not an attribute' }, poolSize: 0 } }).sort()).toEqual(
      [
        'targets.A.url: must be an ldap:// or ldaps:// URL with host and port only, such as "ldap://127.0.0.1:389"',
        'targets.A.usersDn: must be a DN, such as "ou=People,dc=example,dc=com"',
        'targets.A.attributes.mail: must be an LDAP attribute name, such as "mail"',
        'targets.A.poolSize: must be >= 1',
      ].sort(),
    );
    expect(errorsOf({ B: { ...valid, passwordEnv: 'PW' }, C: { ...valid, url: 'ldaps://x:636', startTls: true }, D: { connector: 'directory', url: 'ldap://x' } })).toEqual([
      'targets.B.passwordEnv: give passwordFile or passwordEnv, not both',
      'targets.C.startTls: an ldaps:// URL is already encrypted; StartTLS is for ldap:// only',
      'targets.D.url: only the ldap connector takes this setting',
    ]);
  });
});
