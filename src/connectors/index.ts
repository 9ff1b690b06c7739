import { targetFor, type Config } from '../config/index.js';
import type { Connector } from '../engine/connector.js';
import type { Store } from '../store/index.js';
import { DirectoryConnector } from './directory.js';
import { LdapConnector, ldapSettings } from './ldap/index.js';
import { ScriptConnector } from './script.js';

export { DirectoryConnector } from './directory.js';
export { ScriptConnector, EXIT_TEMPFAIL, type ScriptTarget } from './script.js';
export { LdapConnector, ldapSettings, probeLdap, type LdapSettings, type LdapProbe, type ServerInfo } from './ldap/index.js';

/** The connector of each hostid, and a way to close those that hold connections. */
export type ConnectorLookup = ((hostid: string) => Connector) & { close(): Promise<void> };

/** The connector of each hostid, from the config's `targets` (made once per hostid). */
export function connectorsFor(config: Config, store: Store): ConnectorLookup {
  const directory = new DirectoryConnector(store);
  const made = new Map<string, Connector>();
  const lookup = (hostid: string): Connector => {
    let c = made.get(hostid);
    if (!c) {
      const t = targetFor(config, hostid);
      c =
        t.connector === 'script'
          ? new ScriptConnector({ script: t.script!, args: t.args, timeoutMs: t.timeoutMs })
          : t.connector === 'ldap'
            ? new LdapConnector(ldapSettings(hostid, t))
            : directory;
      made.set(hostid, c);
    }
    return c;
  };
  const close = async (): Promise<void> => {
    const all = [...made.values()];
    made.clear();
    await Promise.all(all.map((c) => c.close?.()));
  };
  return Object.assign(lookup, { close });
}
