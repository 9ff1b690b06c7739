import { ConfigError, normaliseConfig } from '../../src/config/index.js';

const errorsOf = (raw: unknown): string[] => {
  try {
    normaliseConfig(raw, '/base');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).errors;
  }
  throw new Error('expected a ConfigError');
};
const token = (name: string, roles = ['read']) => ({ name, token: `${name}-0123456789abcdef`, roles });

describe('config: http', () => {
  test('off unless configured', () => {
    expect(normaliseConfig({}, '/base').http).toBeUndefined();
  });

  test('defaults: loopback 7070, 10 MB, metrics open on loopback; TLS files relative to the config file', () => {
    expect(normaliseConfig({ http: {} }, '/base').http).toEqual({ host: '127.0.0.1', port: 7070, tokens: [], insecure: false, bodyLimitMb: 10, metricsAuth: false });
    const c = normaliseConfig({ http: { listen: '0.0.0.0:8443', tls: { cert: 'tls/cert.pem', key: '/etc/key.pem' }, tokens: [token('wf', ['submit', 'read'])] } }, '/base').http!;
    expect(c).toMatchObject({ host: '0.0.0.0', port: 8443, tls: { cert: '/base/tls/cert.pem', key: '/etc/key.pem' }, metricsAuth: true });
    expect(normaliseConfig({ http: { listen: '[::1]:9000' } }, '/base').http).toMatchObject({ host: '::1', port: 9000, metricsAuth: false });
  });

  test('a non-loopback address without TLS is refused unless insecure', () => {
    expect(errorsOf({ http: { listen: '10.0.0.5:7070' } })).toEqual([
      'http.listen: 10.0.0.5 is not a loopback address; configure http.tls, or set http.insecure: true to send tokens and passwords unencrypted',
    ]);
    expect(normaliseConfig({ http: { listen: '10.0.0.5:7070', insecure: true } }, '/base').http).toMatchObject({ host: '10.0.0.5', insecure: true, metricsAuth: true });
  });

  test('every error names its key', () => {
    expect(
      errorsOf({
        http: {
          listen: 'localhost',
          bodyLimitMb: 0,
          tokens: [token('a'), { name: 'a', token: 'short', roles: ['admin'] }],
          extra: 1,
        },
      }),
    ).toEqual(
      expect.arrayContaining([
        'http.extra: is not a known setting',
        'http.bodyLimitMb: must be > 0',
        'http.tokens[1].token: must NOT have fewer than 16 characters',
        'http.tokens[1].roles[0]: must be one of "submit", "read", "operate"',
      ]),
    );
    expect(errorsOf({ http: { listen: 'localhost', tokens: [token('a'), { ...token('a'), token: 'another-0123456789abcdef' }, { ...token('b'), roles: [] }] } })).toEqual([
      'http.listen: "localhost" is not HOST:PORT (such as 127.0.0.1:7070 or [::1]:7070)',
      'http.tokens[1].name: "a" is also the name of http.tokens[0]; request logs tell tokens apart by name',
      'http.tokens[2].roles: grants nothing; name at least one of submit, read, operate',
    ]);
  });
});
