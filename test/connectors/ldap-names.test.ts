import { contextDn, escapeRdnValue, firstRdn, firstRdnValue, groupDn, isDn, isUnder, parentOf } from '../../src/connectors/ldap/names.js';

describe('ldap names', () => {
  const naming = { userRdn: 'uid', usersDn: 'ou=People,dc=example,dc=com', groupsDn: 'ou=Groups,dc=example,dc=com' };

  test('RDN values are escaped as RFC 4514 asks', () => {
    expect(escapeRdnValue('Smith, Jo')).toBe('Smith\\, Jo');
    expect(escapeRdnValue('a+b="c"<d>;e\\')).toBe('a\\+b\\=\\"c\\"\\<d\\>\\;e\\\\');
    expect(escapeRdnValue('#1 ')).toBe('\\#1\\ ');
    expect(escapeRdnValue(' lead')).toBe('\\ lead');
  });

  test('a groupid or context is a DN, or a bare name placed under its container', () => {
    expect(isDn('CN=manager,OU=CANADA,DC=yan,DC=local')).toBe(true);
    expect(isDn('2.5.4.3=x,dc=y')).toBe(true);
    expect(isDn('staff')).toBe(false);
    expect(groupDn(naming, 'staff')).toBe('cn=staff,ou=Groups,dc=example,dc=com');
    expect(groupDn(naming, ' cn=x,dc=y ')).toBe('cn=x,dc=y');
    expect(groupDn({ userRdn: 'uid', usersDn: 'ou=People,dc=x' }, 'staff')).toBeUndefined();
    expect(contextDn('Disabled', 'dc=example,dc=com')).toBe('ou=Disabled,dc=example,dc=com');
  });

  test('parent and first RDN honour escaped commas; DNs compare without case or spacing', () => {
    const dn = 'cn=Staff\\, all,ou=Groups,dc=example,dc=com';
    expect(parentOf(dn)).toBe('ou=Groups,dc=example,dc=com');
    expect(firstRdn(dn)).toBe('cn=Staff\\, all');
    expect(firstRdnValue(dn)).toBe('Staff, all');
    expect(firstRdnValue('cn=caf\\C3\\A9 \\2C x,dc=y')).toBe('café , x');
    expect(isUnder('uid=a, OU=People,DC=Example,dc=com', 'dc=example, dc=com')).toBe(true);
    expect(isUnder('uid=a,ou=People,dc=example,dc=org', 'dc=example,dc=com')).toBe(false);
  });
});
