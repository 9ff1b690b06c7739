import { TARGET_DEFAULTS } from './defaults.js';
import type { Config, ConnectorKind, RetryPolicy, TargetOverrides } from './types.js';

/** The rules that span keys, checked once the schema holds; each error is `path.to.key: what is wrong`. */
export function crossKeyRules(config: Config): string[] {
  const errors: string[] = [];
  config.triggers.forEach((t, i) => {
    const first = config.triggers.findIndex((o) => o.name === t.name);
    if (first !== i) errors.push(`triggers[${i}].name: "${t.name}" is also the name of triggers[${first}]; give each trigger its own name`);
  });
  for (const ext of Object.keys(config.interpreters)) {
    if (!/^\.[^./\\]+$/.test(ext)) errors.push(`interpreters.${ext}: must be a file extension with its dot, such as ".py"`);
    if (['.js', '.mjs', '.cjs'].includes(ext)) errors.push(`interpreters.${ext}: JavaScript plugins run in worker threads, not through an interpreter`);
  }
  // One worker at its heap limit, plus the host's own ~50 MB, must fit, or a plugin within its
  // own limit would get the whole host killed.
  const hostFloor = config.pluginMemoryMb + 64;
  if (config.pluginHostMemoryMb < hostFloor) errors.push(`pluginHostMemoryMb: must be at least pluginMemoryMb + 64 (${hostFloor})`);
  const checkRetry = (path: string, r: Partial<RetryPolicy> | undefined): void => {
    const first = r?.firstDelayMs ?? config.retry.firstDelayMs;
    const max = r?.maxDelayMs ?? config.retry.maxDelayMs;
    if (first > max) errors.push(`${path}.firstDelayMs: must not exceed ${path}.maxDelayMs (${max})`);
  };
  checkRetry('retry', config.retry);
  for (const [host, t] of Object.entries(config.targets)) {
    if (t.retry) checkRetry(`targets.${host}.retry`, t.retry);
    const kind = t.connector ?? config.targets['*']?.connector ?? TARGET_DEFAULTS.connector;
    if (kind === 'script' && !t.script && !config.targets['*']?.script) errors.push(`targets.${host}.script: is required for the script connector`);
    if (kind !== 'script' && t.script) errors.push(`targets.${host}.script: only the script connector runs a script`);
    errors.push(...ldapRules(host, kind, t, config.targets['*'] ?? {}));
  }
  return errors;
}

const LDAP_KEYS = ['url', 'startTls', 'bindDn', 'passwordFile', 'passwordEnv', 'usersDn', 'groupsDn', 'userRdn', 'objectClasses', 'attributes', 'tls', 'poolSize'] as const;

/** An ldap target needs a server, an identity and a place for accounts; other connectors take no ldap keys. */
function ldapRules(host: string, kind: ConnectorKind, own: TargetOverrides, star: TargetOverrides): string[] {
  const errors: string[] = [];
  const at = (key: string): string => `targets.${host}.${key}`;
  if (kind !== 'ldap') {
    for (const key of LDAP_KEYS) if (own[key] !== undefined) errors.push(`${at(key)}: only the ldap connector takes this setting`);
    return errors;
  }
  const t = { ...star, ...own };
  for (const key of ['url', 'bindDn', 'usersDn'] as const) if (!t[key]) errors.push(`${at(key)}: is required for the ldap connector`);
  if (!t.passwordFile && !t.passwordEnv) errors.push(`${at('passwordFile')}: the ldap connector needs passwordFile or passwordEnv for the bind password`);
  if (own.passwordFile && own.passwordEnv) errors.push(`${at('passwordEnv')}: give passwordFile or passwordEnv, not both`);
  if (t.startTls && t.url?.startsWith('ldaps:')) errors.push(`${at('startTls')}: an ldaps:// URL is already encrypted; StartTLS is for ldap:// only`);
  return errors;
}

const POSTGRES_KEYS = ['url', 'poolSize', 'schema', 'leaseMs'] as const;

/** A postgres store needs its URL; a sqlite store (the home's file) takes none of postgres' keys. */
export function storeRules(raw: Record<string, unknown> | undefined): string[] {
  if (!raw) return [];
  if (raw.kind === 'postgres') return typeof raw.url === 'string' ? [] : ['store.url: is required for a postgres store'];
  return POSTGRES_KEYS.filter((k) => raw[k] !== undefined).map((k) => `store.${k}: only a postgres store takes this setting`);
}
