import { readFileSync } from 'node:fs';
import { LDAP_DEFAULTS, type TargetConfig } from '../../config/index.js';
import { ConnectorError } from '../../engine/connector.js';
import type { Naming } from './names.js';

/** An ldap target's settings with the defaults filled in (the config's rules made sure the rest is there). */
export interface LdapSettings extends Naming {
  hostid: string;
  url: string;
  startTls: boolean;
  bindDn: string;
  passwordFile?: string;
  passwordEnv?: string;
  objectClasses: readonly string[];
  /** tmon key → LDAP attribute. */
  attributes: Readonly<Record<string, string>>;
  tls: { ca?: string; rejectUnauthorized?: boolean };
  timeoutMs: number;
  poolSize: number;
}

export function ldapSettings(hostid: string, t: TargetConfig): LdapSettings {
  return {
    hostid,
    url: t.url!,
    startTls: t.startTls ?? LDAP_DEFAULTS.startTls,
    bindDn: t.bindDn!,
    ...(t.passwordFile ? { passwordFile: t.passwordFile } : {}),
    ...(t.passwordEnv ? { passwordEnv: t.passwordEnv } : {}),
    usersDn: t.usersDn!,
    ...(t.groupsDn ? { groupsDn: t.groupsDn } : {}),
    userRdn: t.userRdn ?? LDAP_DEFAULTS.userRdn,
    objectClasses: t.objectClasses ?? LDAP_DEFAULTS.objectClasses,
    attributes: t.attributes ?? {},
    tls: t.tls ?? {},
    timeoutMs: t.timeoutMs,
    poolSize: t.poolSize ?? LDAP_DEFAULTS.poolSize,
  };
}

/**
 * The bind password, read when a connection is made (so a rotated file is picked up at the next
 * reconnect). Errors name the file or variable, never its content.
 */
export function bindPassword(s: LdapSettings): string {
  if (s.passwordEnv) {
    const v = process.env[s.passwordEnv];
    if (v === undefined || v === '') throw new ConnectorError('LDAP_NO_PASSWORD', `target ${s.hostid}: environment variable ${s.passwordEnv} (the bind password) is not set`);
    return v;
  }
  try {
    // The first line: an editor's trailing newline is not part of the password.
    return readFileSync(s.passwordFile!, 'utf8').split(/\r?\n/)[0]!;
  } catch (err) {
    throw new ConnectorError('LDAP_NO_PASSWORD', `target ${s.hostid}: cannot read the bind password file ${s.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/** TLS options for ldaps:// and StartTLS: the CA file read, certificate checking on unless turned off. */
export function tlsOptions(s: LdapSettings): { ca?: Buffer; rejectUnauthorized: boolean } {
  return { ...(s.tls.ca ? { ca: readFileSync(s.tls.ca) } : {}), rejectUnauthorized: s.tls.rejectUnauthorized ?? true };
}
