import { readAction } from '../../src/batch/index.js';
import { normaliseConfig, targetFor, type TargetOverrides } from '../../src/config/index.js';
import { LdapConnector, ldapSettings } from '../../src/connectors/index.js';
import type { ConnectorResult } from '../../src/engine/connector.js';
import { actionGroup, type ActionSpec } from './batches.js';
import { SUFFIX, type Slapd } from './slapd.js';

/** An ldap target's config entry for a test slapd. */
export function ldapTarget(slapd: Slapd, extra: TargetOverrides = {}): TargetOverrides {
  return {
    connector: 'ldap',
    url: slapd.url,
    bindDn: slapd.adminDn,
    passwordFile: slapd.passwordFile,
    usersDn: `ou=People,${SUFFIX}`,
    groupsDn: `ou=Groups,${SUFFIX}`,
    attributes: { accountid: 'employeeNumber' },
    ...extra,
  };
}

/** A connector on the test slapd, its settings taken through the config's validation like the daemon's. */
export function ldapConnector(slapd: Slapd, extra: TargetOverrides = {}): LdapConnector {
  const config = normaliseConfig({ targets: { LDAP1: ldapTarget(slapd, extra) } }, slapd.dir);
  return new LdapConnector(ldapSettings('LDAP1', targetFor(config, 'LDAP1')));
}

/** Runs one action, built the way a workflow manager writes it, on `connector`. */
export function runAction(connector: LdapConnector, spec: Omit<ActionSpec, 'id'>, options: { attempt?: number; recovery?: boolean } = {}): Promise<ConnectorResult> {
  const action = readAction(actionGroup('B1', { id: 'B1_0', host: 'LDAP1', ...spec }));
  return connector.execute({ batchId: 'B1', action, attempt: options.attempt ?? 1, recovery: options.recovery ?? false });
}

export const people = (uid: string): string => `uid=${uid},ou=People,${SUFFIX}`;
export const group = (cn: string): string => `cn=${cn},ou=Groups,${SUFFIX}`;
