export { LdapConnector, baseOf } from './connector.js';
export { ldapSettings, type LdapSettings } from './settings.js';
export type { ServerInfo } from './session.js';
export { probeLdap, type LdapProbe, type ContainerProbe } from './probe.js';
