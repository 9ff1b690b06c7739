import { ResultCodeError } from 'ldapts';
import { ConnectorError } from '../../engine/connector.js';

/** LDAP result codes by number, with the name RFC 4511 gives them (for messages and error codes). */
const RESULT_NAMES: Record<number, string> = {
  1: 'operationsError', 2: 'protocolError', 3: 'timeLimitExceeded', 4: 'sizeLimitExceeded', 7: 'authMethodNotSupported',
  8: 'strongAuthRequired', 11: 'adminLimitExceeded', 12: 'unavailableCriticalExtension', 13: 'confidentialityRequired',
  16: 'noSuchAttribute', 17: 'undefinedAttributeType', 18: 'inappropriateMatching', 19: 'constraintViolation',
  20: 'attributeOrValueExists', 21: 'invalidAttributeSyntax', 32: 'noSuchObject', 33: 'aliasProblem', 34: 'invalidDNSyntax',
  36: 'aliasDereferencingProblem', 48: 'inappropriateAuthentication', 49: 'invalidCredentials', 50: 'insufficientAccessRights',
  51: 'busy', 52: 'unavailable', 53: 'unwillingToPerform', 54: 'loopDetect', 64: 'namingViolation', 65: 'objectClassViolation',
  66: 'notAllowedOnNonLeaf', 67: 'notAllowedOnRDN', 68: 'entryAlreadyExists', 69: 'objectClassModsProhibited', 80: 'other',
};

/**
 * Result codes worth retrying, as codes the engine's table already calls transient: the server
 * is busy, unavailable (shutting down, a replica catching up), or ran out of time.
 */
const TRANSIENT_RESULTS: Record<number, string> = { 3: 'TARGET_BUSY', 51: 'TARGET_BUSY', 52: 'TARGET_UNAVAILABLE' };

/** Node's codes for a server certificate that fails verification (OpenSSL's names, and Node's host check). */
const TLS_REFUSALS = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS_CERT_ALTNAME_INVALID|ERR_SSL_WRONG_VERSION_NUMBER/;

export const RESULT = { NO_SUCH_ATTRIBUTE: 16, VALUE_EXISTS: 20, NO_SUCH_OBJECT: 32, OBJECT_CLASS_VIOLATION: 65, ALREADY_EXISTS: 68 } as const;

/** The LDAP result code of an error from the server, if it is one. */
export function resultCode(err: unknown): number | undefined {
  return err instanceof ResultCodeError ? err.code : undefined;
}

/** An answer from the server (the connection is fine), rather than a lost or refused connection. */
export function isServerAnswer(err: unknown): boolean {
  return err instanceof ResultCodeError || err instanceof ConnectorError;
}

/**
 * Turns what ldapts threw into a `ConnectorError` the engine classifies: a result code with
 * the server's diagnostic message (permanent unless busy/unavailable), or a connection that
 * failed, closed or timed out (transient, under TARGET_UNAVAILABLE). `doing` says what was
 * tried, such as `modify uid=jdoe,ou=People,…`; it never holds a value, so no password can
 * reach a message this way.
 */
export function ldapError(err: unknown, doing: string, url: string): ConnectorError {
  if (err instanceof ConnectorError) return err;
  if (err instanceof ResultCodeError) {
    const name = RESULT_NAMES[err.code] ?? 'result';
    // ldapts appends " Code: 0x20" to the server's diagnostic message; the code is said below.
    const said = err.message.replace(/\s*Code: 0x[0-9a-f]+$/i, '').trim();
    const code = TRANSIENT_RESULTS[err.code] ?? `LDAP_${name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`;
    return new ConnectorError(code, `${doing}: LDAP error ${err.code} (${name})${said ? `: ${said}` : ''}`, String(err.code));
  }
  const e = err as { code?: unknown; message?: unknown };
  const message = String(e?.message ?? err).split('\n')[0]!;
  // A certificate the client does not trust will not become trusted by retrying: the config must change.
  if (typeof e?.code === 'string' && TLS_REFUSALS.test(e.code)) return new ConnectorError('LDAP_TLS_REFUSED', `${doing}: TLS with ${url} refused: ${e.code}: ${message}`);
  const why = typeof e?.code === 'string' ? e.code : message;
  return new ConnectorError('TARGET_UNAVAILABLE', `${doing}: cannot reach ${url}: ${why}`);
}
