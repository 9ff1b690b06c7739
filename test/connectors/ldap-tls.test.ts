import { classify } from '../../src/engine/index.js';
import { ldapConnector, people, runAction } from '../helpers/ldap.js';
import { ldifDns, startSlapd, SUFFIX, type Slapd } from '../helpers/slapd.js';

/** StartTLS and ldaps:// against a slapd with a self-signed certificate. */
describe('ldap connector over TLS', () => {
  let slapd: Slapd;
  beforeAll(async () => {
    slapd = await startSlapd({ tls: true });
  });
  afterAll(async () => {
    await slapd?.destroy();
  });

  const attempt = async (extra: Parameters<typeof ldapConnector>[1], user: string) => {
    const c = ldapConnector(slapd, extra);
    try {
      return await runAction(c, { op: 'ACUA', user });
    } catch (err) {
      return { code: (err as { code: string }).code, kind: classify(err), message: (err as Error).message };
    } finally {
      await c.close();
    }
  };

  test('StartTLS and ldaps:// work with the configured CA', async () => {
    expect(await attempt({ startTls: true, tls: { ca: slapd.caFile! } }, 'tls1')).toMatchObject({ retval: '0' });
    expect(await attempt({ url: slapd.ldapsUrl!, tls: { ca: slapd.caFile! } }, 'tls2')).toMatchObject({ retval: '0' });
    expect(ldifDns(slapd.search(`ou=People,${SUFFIX}`, '(|(uid=tls1)(uid=tls2))')).sort()).toEqual([people('tls1'), people('tls2')]);
  });

  test('an untrusted certificate is a permanent failure naming the reason; rejectUnauthorized false accepts it', async () => {
    for (const extra of [{ url: slapd.ldapsUrl! }, { startTls: true }]) {
      expect(await attempt(extra, 'tls3')).toEqual({ code: 'LDAP_TLS_REFUSED', kind: 'permanent', message: expect.stringContaining('DEPTH_ZERO_SELF_SIGNED_CERT') });
    }
    expect(await attempt({ url: slapd.ldapsUrl!, tls: { rejectUnauthorized: false } }, 'tls3')).toMatchObject({ retval: '0' });
  });
});
