import { spawnSync } from 'node:child_process';
import type { LdapConnector } from '../../src/connectors/index.js';
import { classify } from '../../src/engine/index.js';
import { waitFor } from '../helpers/daemon.js';
import { group, ldapConnector, people, runAction } from '../helpers/ldap.js';
import { ldifDns, ldifValues, startSlapd, SUFFIX, type Slapd } from '../helpers/slapd.js';

/** Each operation of contract §2 against a real slapd, checked with ldapsearch. */
describe('ldap connector against slapd', () => {
  let slapd: Slapd;
  let ldap: LdapConnector;
  beforeAll(async () => {
    slapd = await startSlapd();
    ldap = ldapConnector(slapd);
  });
  afterAll(async () => {
    await ldap?.close();
    await slapd?.destroy();
  });

  const entry = (dn: string, ...attrs: string[]): string => slapd.search(dn, '(objectClass=*)', attrs.length ? attrs : ['*', '+'], 'base');
  const values = (dn: string, attr: string): string[] => ldifValues(entry(dn, attr), attr);
  const members = (cn: string): string[] => values(group(cn), 'member').sort();
  /** How an action failed: its code, its class, its message. */
  const failure = async (spec: Parameters<typeof runAction>[1]) => {
    try {
      await runAction(ldap, spec);
    } catch (err) {
      const e = err as { code: string; message: string };
      return { code: e.code, kind: classify(err), message: e.message };
    }
    throw new Error('the action succeeded');
  };
  const canBind = (dn: string, pw: string): boolean => spawnSync('ldapwhoami', ['-x', '-H', slapd.url, '-D', dn, '-w', pw]).status === 0;

  test('ACUA builds a valid inetOrgPerson from the action, with mapped attributes and the password', async () => {
    const r = await runAction(ldap, { op: 'ACUA', user: 'ann', extra: { fname: 'Ann Marie Example', accountid: 'E-1001', newpw: 'S3cret!pw' }, attributes: { mail: 'ann@example.com' } });
    expect(r.retval).toBe('0');
    expect(r.message).not.toContain('S3cret');
    const ldif = entry(people('ann'));
    expect(ldifValues(ldif, 'objectClass')).toEqual(['top', 'person', 'organizationalPerson', 'inetOrgPerson']);
    expect([ldifValues(ldif, 'uid'), ldifValues(ldif, 'cn'), ldifValues(ldif, 'sn')]).toEqual([['ann'], ['Ann Marie Example'], ['Example']]);
    expect([ldifValues(ldif, 'employeeNumber'), ldifValues(ldif, 'mail')]).toEqual([['E-1001'], ['ann@example.com']]);
    expect(canBind(people('ann'), 'S3cret!pw')).toBe(true);

    // Without fname, cn and sn come from the userid.
    await runAction(ldap, { op: 'ACUA', user: 'bob' });
    expect([values(people('bob'), 'cn'), values(people('bob'), 'sn')]).toEqual([['bob'], ['bob']]);

    // A second create is the server's entryAlreadyExists (permanent); on a recovery it counts as done.
    expect(await failure({ op: 'ACUA', user: 'bob' })).toMatchObject({ code: 'LDAP_ENTRY_ALREADY_EXISTS', kind: 'permanent', message: expect.stringContaining('LDAP error 68') });
    expect((await runAction(ldap, { op: 'ACUA', user: 'bob' }, { recovery: true })).message).toBe('account bob already created');
  });

  test('CRTG, then GRUA and GRUD are idempotent on member; the last member leaves an empty placeholder', async () => {
    await runAction(ldap, { op: 'ACUA', user: 'carl' });
    await runAction(ldap, { op: 'ACUA', user: 'dora' });
    await runAction(ldap, { op: 'CRTG', group: 'staff' });
    expect(values(group('staff'), 'objectClass')).toEqual(['top', 'groupOfNames']);

    expect((await runAction(ldap, { op: 'GRUA', user: 'carl', group: 'staff' })).message).toBe(`carl added to ${group('staff')}`);
    expect((await runAction(ldap, { op: 'GRUA', user: 'carl', group: 'staff' })).message).toBe(`carl is already in ${group('staff')}`);
    await runAction(ldap, { op: 'GRUA', user: 'dora', group: group('staff') });
    expect(members('staff')).toEqual([people('carl'), people('dora')]);

    expect((await runAction(ldap, { op: 'GRUD', user: 'carl', group: 'staff' })).message).toBe(`carl removed from ${group('staff')}`);
    expect((await runAction(ldap, { op: 'GRUD', user: 'carl', group: 'staff' })).message).toBe(`carl was not in ${group('staff')}`);
    await runAction(ldap, { op: 'GRUD', user: 'dora', group: 'staff' });
    expect(members('staff')).toEqual(['']);
    await runAction(ldap, { op: 'GRUA', user: 'dora', group: 'staff' });
    expect(members('staff')).toEqual([people('dora')]);

    // groupOfUniqueNames groups take uniqueMember.
    slapd.modify(`dn: ${group('unique')}\nobjectClass: groupOfUniqueNames\ncn: unique\nuniqueMember: ${people('dora')}\n`);
    await runAction(ldap, { op: 'GRUA', user: 'carl', group: 'unique' });
    expect(values(group('unique'), 'uniqueMember').sort()).toEqual([people('carl'), people('dora')]);

    expect(await failure({ op: 'CRTG', group: 'staff' })).toMatchObject({ code: 'LDAP_ENTRY_ALREADY_EXISTS', kind: 'permanent' });
    await runAction(ldap, { op: 'DELG', group: 'staff' });
    expect(ldifDns(slapd.search(`ou=Groups,${SUFFIX}`, '(cn=staff)'))).toEqual([]);
    expect(await failure({ op: 'DELG', group: 'staff' })).toMatchObject({ code: 'LDAP_NO_SUCH_OBJECT', kind: 'permanent', message: expect.stringContaining('LDAP error 32 (noSuchObject)') });
  });

  test('no such object is permanent, with the result code', async () => {
    await runAction(ldap, { op: 'ACUA', user: 'erin' });
    expect(await failure({ op: 'GRUA', user: 'erin', group: 'nosuchgroup' })).toEqual({
      code: 'LDAP_NO_SUCH_OBJECT',
      kind: 'permanent',
      message: expect.stringContaining(`read group ${group('nosuchgroup')}: LDAP error 32 (noSuchObject)`),
    });
    expect(await failure({ op: 'MVCU', user: 'erin', attributes: { context: `ou=Nowhere,${SUFFIX}` } })).toMatchObject({ code: 'LDAP_NO_SUCH_OBJECT', kind: 'permanent', message: expect.stringContaining('LDAP error 32') });
    expect(await failure({ op: 'DNAU', user: 'ghost' })).toMatchObject({ code: 'NO_SUCH_ACCOUNT', kind: 'permanent', message: expect.stringContaining(`no entry ${people('ghost')}`) });
  });

  test('a schema violation is permanent, with the server diagnostic message', async () => {
    await runAction(ldap, { op: 'ACUA', user: 'fred' });
    expect(await failure({ op: 'UPDT', user: 'fred', attributes: { drink: 'tea' } })).toEqual({
      code: 'LDAP_OBJECT_CLASS_VIOLATION',
      kind: 'permanent',
      message: `modify ${people('fred')}: LDAP error 65 (objectClassViolation): attribute 'drink' not allowed`,
    });
    expect(await failure({ op: 'UPDT', user: 'fred', attributes: { shoeSize: '44' } })).toMatchObject({ code: 'LDAP_UNDEFINED_ATTRIBUTE_TYPE', message: expect.stringContaining('shoeSize: attribute type undefined') });
  });

  test('UPDT replaces the attributes given (an empty value removes one)', async () => {
    await runAction(ldap, { op: 'ACUA', user: 'gina', attributes: { mail: 'old@example.com', title: 'Clerk' } });
    await runAction(ldap, { op: 'UPDT', user: 'gina', attributes: { mail: 'new@example.com', accountid: 'E-7', title: '' } });
    const ldif = entry(people('gina'));
    expect([ldifValues(ldif, 'mail'), ldifValues(ldif, 'employeeNumber'), ldifValues(ldif, 'title')]).toEqual([['new@example.com'], ['E-7'], []]);
  });

  test('DNAU/ENAU and LOCK/ULCK use pwdAccountLockedTime: permanent for a disable, timed for a lock', async () => {
    await runAction(ldap, { op: 'ACUA', user: 'hank', extra: { newpw: 'pw-hank' } });
    const locked = () => values(people('hank'), 'pwdAccountLockedTime');
    await runAction(ldap, { op: 'DNAU', user: 'hank' });
    expect(locked()).toEqual(['000001010000Z']);
    expect(canBind(people('hank'), 'pw-hank')).toBe(false);
    // Neither a lock nor an unlock changes a disabled account.
    await runAction(ldap, { op: 'LOCK', user: 'hank' });
    await runAction(ldap, { op: 'ULCK', user: 'hank' });
    expect(locked()).toEqual(['000001010000Z']);
    await runAction(ldap, { op: 'ENAU', user: 'hank' });
    expect(locked()).toEqual([]);
    expect(canBind(people('hank'), 'pw-hank')).toBe(true);

    await runAction(ldap, { op: 'LOCK', user: 'hank' });
    expect(locked()).toEqual([expect.stringMatching(/^20\d{12}Z$/)]);
    expect(canBind(people('hank'), 'pw-hank')).toBe(false);
    // Enabling does not lift a lock; unlocking does.
    await runAction(ldap, { op: 'ENAU', user: 'hank' });
    expect(locked()).toHaveLength(1);
    await runAction(ldap, { op: 'ULCK', user: 'hank' });
    expect(locked()).toEqual([]);
  });

  test('ACHG sets the password with the password-modify operation; AEXP sets pwdReset', async () => {
    await runAction(ldap, { op: 'ACUA', user: 'iris', extra: { newpw: 'first-pw' } });
    const r = await runAction(ldap, { op: 'ACHG', user: 'iris', extra: { newpw: 'second-pw' } });
    expect(r.message).toBe('password of iris set');
    expect([canBind(people('iris'), 'first-pw'), canBind(people('iris'), 'second-pw')]).toEqual([false, true]);
    // slapd hashes a password set through the extended operation.
    expect(values(people('iris'), 'userPassword')[0]).toMatch(/^\{SSHA\}/);
    await runAction(ldap, { op: 'AEXP', user: 'iris' });
    expect(values(people('iris'), 'pwdReset')).toEqual(['TRUE']);
  });

  test('MVCU and RENU carry group memberships along, in whichever order a GRUD runs', async () => {
    await runAction(ldap, { op: 'CRTG', group: 'keep' });
    await runAction(ldap, { op: 'CRTG', group: 'drop' });
    for (const u of ['jill', 'kurt', 'lena']) {
      await runAction(ldap, { op: 'ACUA', user: u });
      await runAction(ldap, { op: 'GRUA', user: u, group: 'keep' });
      await runAction(ldap, { op: 'GRUA', user: u, group: 'drop' });
    }
    const disabled = (uid: string) => `uid=${uid},ou=Disabled,${SUFFIX}`;
    const move = (user: string) => runAction(ldap, { op: 'MVCU', user, attributes: { context: `ou=Disabled,${SUFFIX}` } });
    const drop = (user: string) => runAction(ldap, { op: 'GRUD', user, group: 'drop' });
    await drop('jill');
    await move('jill');
    await move('kurt');
    await drop('kurt');
    await Promise.all([move('lena'), drop('lena')]);
    expect(members('keep')).toEqual(['jill', 'kurt', 'lena'].map(disabled));
    expect(members('drop')).toEqual(['']);
    expect((await move('jill')).message).toBe(`account jill is already in ou=Disabled,${SUFFIX}`);

    // A rename keeps the context it found the account in.
    const r = await runAction(ldap, { op: 'RENU', user: 'jill', attributes: { newuserid: 'jill2' } });
    expect(r.message).toBe('account jill renamed to jill2 (1 group membership(s) follow it)');
    expect(members('keep')).toContain(disabled('jill2'));
    expect(values(disabled('jill2'), 'uid')).toEqual(['jill2']);
    expect((await runAction(ldap, { op: 'RENU', user: 'jill', attributes: { newuserid: 'jill2' } }, { recovery: true })).message).toBe('account jill already renamed to jill2');

    // DELU deletes the entry wherever it is, and its memberships with it.
    await runAction(ldap, { op: 'DELU', user: 'kurt' });
    expect(members('keep')).toEqual([disabled('jill2'), disabled('lena')]);
    expect(ldifDns(slapd.search(SUFFIX, '(uid=kurt)'))).toEqual([]);
  });

  test('contexts as DNs or bare OU names; a userid with a comma names one escaped entry', async () => {
    await runAction(ldap, { op: 'ACUA', user: 'pia', attributes: { context: `ou=Disabled,${SUFFIX}` } });
    expect(ldifDns(slapd.search(SUFFIX, '(uid=pia)'))).toEqual([`uid=pia,ou=Disabled,${SUFFIX}`]);
    await runAction(ldap, { op: 'MVCU', user: 'pia', attributes: { context: 'People' } });
    expect(ldifDns(slapd.search(SUFFIX, '(uid=pia)'))).toEqual([people('pia')]);

    await runAction(ldap, { op: 'ACUA', user: 'Smith, Jo', extra: { fname: 'Jo Smith' } });
    expect(ldifDns(slapd.search(SUFFIX, '(uid=Smith, Jo)'))).toEqual([`uid=Smith\\2C Jo,ou=People,${SUFFIX}`]);
    await runAction(ldap, { op: 'DNAU', user: 'Smith, Jo' });
    expect(ldifValues(slapd.search(SUFFIX, '(uid=Smith, Jo)', ['pwdAccountLockedTime']), 'pwdAccountLockedTime')).toEqual(['000001010000Z']);
  });

  test('ACUA copies the groups of a template; NOOP does nothing', async () => {
    await runAction(ldap, { op: 'CRTG', group: 'vpn' });
    await runAction(ldap, { op: 'ACUA', user: 'tmpl' });
    await runAction(ldap, { op: 'GRUA', user: 'tmpl', group: 'vpn' });
    const r = await runAction(ldap, { op: 'ACUA', user: 'mona', extra: { modelid: 'tmpl' } });
    expect(r.message).toBe(`account mona created as ${people('mona')} with the 1 group(s) of tmpl`);
    expect(members('vpn')).toEqual([people('mona'), people('tmpl')]);
    expect((await runAction(ldap, { op: 'NOOP', user: '' })).message).toBe('nothing to do');
    expect(await failure({ op: 'ACUA', user: 'nina', extra: { modelid: 'nobody' } })).toMatchObject({ code: 'NO_SUCH_TEMPLATE', kind: 'permanent' });
  });

  test('the pool holds at most poolSize connections, reuses them, and close() releases them', async () => {
    const before = slapd.connections();
    const pooled = ldapConnector(slapd, { poolSize: 2 });
    await Promise.all(Array.from({ length: 8 }, (_, i) => runAction(pooled, { op: 'ACUA', user: `pool${i}` })));
    await Promise.all(Array.from({ length: 8 }, (_, i) => runAction(pooled, { op: 'DNAU', user: `pool${i}` })));
    expect(slapd.connections() - before).toBe(2);
    await pooled.close();
    await waitFor('the pooled connections to close', () => slapd.connections() === before);
  });

  test('a stopped server is a transient failure; the pool reconnects once it is back', async () => {
    await runAction(ldap, { op: 'ACUA', user: 'otto' });
    await slapd.stop();
    expect(await failure({ op: 'DNAU', user: 'otto' })).toMatchObject({ code: 'TARGET_UNAVAILABLE', kind: 'transient' });
    await slapd.start();
    expect((await runAction(ldap, { op: 'DNAU', user: 'otto' }, { attempt: 2 })).retval).toBe('0');
    expect(values(people('otto'), 'pwdAccountLockedTime')).toEqual(['000001010000Z']);
  });

  test('a wrong bind password is permanent and does not show the password', async () => {
    const other = ldapConnector(slapd, { passwordFile: undefined, passwordEnv: 'TMON_TEST_LDAP_PW' });
    process.env.TMON_TEST_LDAP_PW = 'not-the-password';
    try {
      const err = await runAction(other, { op: 'NOOP' }).then(
        () => undefined,
        (e: unknown) => e as { code: string; message: string },
      );
      expect(err).toMatchObject({ code: 'LDAP_INVALID_CREDENTIALS', message: expect.stringContaining(`bind as ${slapd.adminDn}: LDAP error 49 (invalidCredentials)`) });
      expect(classify(err)).toBe('permanent');
      expect(err!.message).not.toContain('not-the-password');
    } finally {
      delete process.env.TMON_TEST_LDAP_PW;
      await other.close();
    }
  });
});
